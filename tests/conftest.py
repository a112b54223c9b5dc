"""Suite-wide settings: offscreen Qt, quiet TensorFlow, no thread left running, and
screenshots that reach resources/screenshots/ only when asked for."""

from __future__ import annotations

import os
import tempfile
import weakref
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Hypothesis keeps its caches outside the repository, and by default draws the same examples
# on every run, so a run never depends on the one before; `--hypothesis-profile=explore`
# draws new ones.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      str(Path(tempfile.gettempdir()) / "deepwire-hypothesis"))
# The app's caches (shapes on disk) go to a folder of this run, not the user's.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="deepwire-test-cache-")
# ... and My blocks (the user data folder) to one of its own.
os.environ["DEEPWIRE_DATA_DIR"] = tempfile.mkdtemp(prefix="deepwire-test-data-")
settings.register_profile("deepwire", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile("deepwire")

SCREENSHOTS = Path(__file__).resolve().parent.parent / "resources" / "screenshots"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-screenshots", action="store_true", default=False,
                     help="save the README's screenshots into resources/screenshots/ "
                          "(otherwise they render into a temporary folder)")


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest, tmp_path_factory) -> Path:
    """Where screenshot tests save their PNGs: a temporary folder, so a test run never
    changes tracked files, or resources/screenshots/ with ``--update-screenshots``."""
    if request.config.getoption("--update-screenshots"):
        SCREENSHOTS.mkdir(exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")

_started_threads: weakref.WeakSet = weakref.WeakSet()


def _track_qthreads() -> None:
    """Record every QThread started from Python, so a test that leaves one running fails
    (as napari's fixtures do): a dangling training thread would outlive its window."""
    from PySide6.QtCore import QThread

    if getattr(QThread.start, "_deepwire_tracked", False):
        return
    original = QThread.start

    def start(self, *args, **kwargs):
        _started_threads.add(self)
        return original(self, *args, **kwargs)

    start._deepwire_tracked = True
    QThread.start = start


@pytest.fixture(autouse=True)
def no_thread_left_running(request):
    """Fail a test that leaves a QThread (or a thread-pool task) running."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    _track_qthreads()
    yield
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(20_000)  # dataset previews: short tasks
    running = [t.objectName() or type(t).__name__ for t in list(_started_threads)
               if _alive(t)]
    for thread in list(_started_threads):  # don't let one leak cascade into later tests
        if _alive(thread):
            thread.wait(30_000)
    assert not running, f"test left QThreads running: {running}"


def _alive(thread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ object is already gone
        return False
