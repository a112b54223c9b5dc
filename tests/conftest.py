"""Suite-wide settings: offscreen Qt, quiet TensorFlow, and no thread left running."""

from __future__ import annotations

import os
import weakref

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
