"""The editor: start-up, opening a big project, canvas frame time, a block's shape back.

Targets (docs/architecture.md): process start to main window shown < 1.5 s
with TensorFlow not imported; opening a 500-block project < 1.5 s; pan/zoom frame time on
it p95 < 16 ms; adding a block and getting its shape back < 50 ms once TensorFlow is ready.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.benchmarks.harness import REPO_ROOT, Row, Settings, benchmark, child_env, limit_row

START_LIMIT_S = 1.5
OPEN_LIMIT_S = 1.5
FRAME_P95_LIMIT_S = 0.016
SHAPE_LIMIT_S = 0.050
REOPEN_LIMIT_S = 1.0

_SHOW_WINDOW = (
    "import sys\n"
    "from PySide6.QtWidgets import QApplication\n"
    "from app.application import create_application\n"
    "qt_app = create_application([])\n"
    "from app.main_window import MainWindow\n"
    "window = MainWindow()\n"
    "window.show()\n"
    "qt_app.processEvents()\n"
    "print('shown', 'tensorflow' in sys.modules, flush=True)\n"
    "window.editor.undo_stack.setClean()\n"
)


def _time_to_window() -> tuple[float, bool]:
    """Seconds from starting a fresh interpreter to the window on screen (as the user's
    ``deepwire`` does), and whether TensorFlow had been imported by then."""
    env = child_env()
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return _time_to_line([_SHOW_WINDOW], env, "shown", "the window did not appear")


def _time_to_line(args: list[str], env: dict[str, str], word: str, failure: str,
                  timeout: float = 60) -> tuple[float, bool]:
    """Seconds from starting ``python -c *args`` until it prints its first line, which
    must start with ``word``; and that line's verdict on TensorFlow ("True" or "False")."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", *args], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(timeout=timeout)
    if not line.startswith(word):
        raise RuntimeError(failure)
    return elapsed, line.split()[1] == "True"


# The app's own start (app.application.run) on a project named on the command line, until
# every block of it shows its shapes; with "warm-up" it waits for TensorFlow and Keras's
# check of the shapes, so the disk cache is filled and verified, and closes the window.
_REOPEN = (
    "import os, sys\n"
    "from PySide6.QtCore import QTimer\n"
    "from app.application import create_application, open_initial_project, "
    "start_tensorflow\n"
    "qt_app = create_application([])\n"
    "from app.main_window import MainWindow\n"
    "window = MainWindow()\n"
    "window.show()\n"
    "qt_app.processEvents()\n"
    "loaders = []  # as app.application.run: TensorFlow starts once the project is open\n"
    "from app.application import TENSORFLOW_DELAY_MS\n"
    "QTimer.singleShot(TENSORFLOW_DELAY_MS, lambda: loaders.append(start_tensorflow(window)))\n"
    "open_initial_project(window, [sys.argv[1]])\n"
    "warm_up = sys.argv[2] == 'warm-up'\n"
    "def check():\n"
    "    editor = window.editor\n"
    "    report = editor.report\n"
    "    if report is None or (warm_up and not editor.tensorflow_ready):\n"
    "        return\n"
    "    if all(n in report.shapes and report.shapes[n].outputs for n in editor.project.nodes):\n"
    "        print('shapes', editor.tensorflow_ready, flush=True)\n"
    "        window.editor.undo_stack.setClean()\n"
    "        window.close()\n"
    "        for loader in loaders:\n"
    "            loader.wait()\n"
    "        os._exit(0)\n"
    "timer = QTimer(interval=5)\n"
    "timer.timeout.connect(check)\n"
    "timer.start()\n"
    "qt_app.exec()\n"
)


def _time_to_shapes(path: Path, env: dict[str, str], warm_up: bool = False
                    ) -> tuple[float, bool]:
    """Seconds from starting the app on ``path`` until all its blocks show shapes, and
    whether TensorFlow had loaded by then."""
    return _time_to_line([_REOPEN, str(path), "warm-up" if warm_up else "measure"], env,
                         "shapes", "the reopened project never showed its shapes", 120)


@benchmark("reopen")
def reopen(settings: Settings) -> Iterator[Row]:
    """Instant reopen: start the app on a project it has shown before (shapes from the disk
    cache), against the same start with an empty cache (shapes once TensorFlow loads)."""
    from projects import files
    from projects.layout import layered_positions
    from tests.graph_factory import random_project

    size = 60 if settings.quick else 500
    repeats = settings.repeats_or(5, quick_default=1)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        project = random_project(size, seed=11)
        for node_id, position in layered_positions(project).items():
            project.move_node(node_id, position)
        path = tmp / "big.deepwire"
        files.save(project, path)
        env = child_env()
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["XDG_CONFIG_HOME"] = str(tmp / "config")  # the window's settings
        env["XDG_DATA_HOME"] = str(tmp / "data")  # autosaves and crash logs
        env["XDG_CACHE_HOME"] = str(tmp / "cold")
        cold = _time_to_shapes(path, env, warm_up=True)[0]
        env["XDG_CACHE_HOME"] = str(tmp / "warm")
        _time_to_shapes(path, env, warm_up=True)  # fills and verifies the cache
        samples = [_time_to_shapes(path, env) for _ in range(repeats)]
        seconds = statistics.median(s for s, _ in samples)
        waited = any(tf for _, tf in samples)
        row = limit_row("reopen", f"start until a reopened {size}-block project shows all "
                        "its shapes", seconds, "s", below=REOPEN_LIMIT_S,
                        note=f"empty cache: {cold:.2f} s (waits for TensorFlow)"
                        + ("; TensorFlow was needed!" if waited else ""))
        if waited:
            row.ok = False
        yield row


@benchmark("app_start")
def app_start(settings: Settings) -> Iterator[Row]:
    repeats = settings.repeats_or(7, quick_default=1)
    _time_to_window()  # the first start fills the OS file cache, as any second start would
    samples = [_time_to_window() for _ in range(repeats)]
    seconds = statistics.median(s for s, _ in samples)
    imported = any(tf for _, tf in samples)
    row = limit_row("app_start", "process start to main window shown", seconds, "s",
                    below=START_LIMIT_S,
                    note="TensorFlow imported by then!" if imported
                    else "TensorFlow not yet imported")
    if imported:
        row.ok = False
    yield row


def median_open_time(window, path: Path, repeats: int) -> float:
    """Median seconds for the window to open ``path`` and handle the events that follow."""
    from PySide6.QtWidgets import QApplication

    opens = []
    for _ in range(repeats):
        window.editor.undo_stack.setClean()
        start = time.perf_counter()
        window.open_path(path)
        QApplication.instance().processEvents()
        opens.append(time.perf_counter() - start)
    return statistics.median(opens)


def offscreen_window(tmp: Path, width: int = 1600, height: int = 1000):
    """A main window with its settings and autosaves in ``tmp``, shown offscreen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from app.application import create_application

    create_application([])
    from app.main_window import MainWindow

    window = MainWindow(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    window.autosaver.folder = tmp / "autosave"
    window.resize(width, height)
    window.show()
    return window


@benchmark("editor")
def editor(settings: Settings) -> Iterator[Row]:
    from PySide6.QtWidgets import QApplication

    from projects import files
    from tests.graph_factory import random_project

    size = 60 if settings.quick else 500
    repeats = settings.repeats_or(5, quick_default=1)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        path = tmp / "big.deepwire"
        project = random_project(size, seed=11)
        from projects.layout import layered_positions

        for node_id, position in layered_positions(project).items():
            project.move_node(node_id, position)
        files.save(project, path)
        window = offscreen_window(tmp)
        app = QApplication.instance()
        window.tensorflow_loaded("TensorFlow ready")  # shapes are computed on open, too
        yield limit_row("editor", f"open a {size}-block project (TensorFlow ready)",
                        median_open_time(window, path, repeats), "s", below=OPEN_LIMIT_S)

        view = window.view
        viewport = view.viewport()
        frames = []
        view.fit_to_view()
        for zoom in (0.25, 0.5, 1.0):
            view.set_zoom(zoom, None)
            for _ in range(20):
                view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 37)
                start = time.perf_counter()
                viewport.repaint()
                frames.append(time.perf_counter() - start)
        frames.sort()
        p95 = frames[int(0.95 * (len(frames) - 1))]
        yield limit_row("editor", f"pan/zoom frame on {size} blocks, p95 of {len(frames)}",
                        p95, "s", below=FRAME_P95_LIMIT_S,
                        note=f"median {statistics.median(frames) * 1e3:.1f} ms, 1600x1000")

        shapes = []
        last = window.editor.project.topological_order()[-3]
        for step in range(repeats * 4):
            start = time.perf_counter()
            node_id = window.editor.add_block("dense", (step * 10.0, -400.0), {"units": 7})
            window.editor.connect(last, "out", node_id, "in")
            app.processEvents()  # the coalesced validation runs here
            report = window.editor.report
            assert report.shapes[node_id].outputs["out"].shape[-1] == 7
            item = window.scene.node_item(node_id)
            assert item is not None
            shapes.append(time.perf_counter() - start)
        yield limit_row("editor", "add + wire a block until its shape shows",
                        statistics.median(shapes), "s", below=SHAPE_LIMIT_S,
                        note=f"on the {size}-block project")
        window.editor.undo_stack.setClean()
        window.close()
