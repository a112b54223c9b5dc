"""No model left behind (docs/architecture.md, Garbage collection and threads).

- ``run_memory``: resident memory after 20 consecutive tiny runs in one process, against the
  resident memory after the first: at most 50 MB more. Headless (the Trainer, automatic
  collection) and in the app (TrainingSession on its QThread, automatic collection off, the
  GUI thread's collector freeing each run when it ends), each in a fresh child process. The
  app case also reports the collector's longest pause per generation.
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.benchmarks.harness import Row, Settings, benchmark, format_quantity, limit_row, run_child

RUNS, QUICK_RUNS = 20, 3
GROWTH_LIMIT_BYTES = 50e6


def resident_bytes() -> int:
    """This process's resident set size now (Linux ``VmRSS``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _tiny_project(folder: Path) -> Path:
    from tests.projects.support import tiny_project

    return tiny_project(folder, samples=200, epochs=2)


def headless_runs_child(runs: int) -> dict[str, Any]:
    """``runs`` Trainer runs of the tiny project, one after another; RSS after each."""
    from projects import events as ev
    from projects import files
    from projects.training import RunOptions, Trainer

    resident = []
    with tempfile.TemporaryDirectory() as folder:
        path = _tiny_project(Path(folder) / "p")
        project = files.load(path)
        for _ in range(runs):
            result = Trainer(project, path, RunOptions(record=False)).run()
            if not isinstance(result, ev.Finished):
                raise RuntimeError(f"the run did not finish: {result}")
            gc.collect()  # what automatic collection would do sooner or later
            resident.append(resident_bytes())
    return {"resident": resident}


def app_runs_child(runs: int) -> dict[str, Any]:
    """``runs`` runs through the app's TrainingSession, each waited for on the event loop,
    then the GUI collector's run-end collection; RSS after each."""
    from PySide6.QtCore import QEventLoop, QTimer

    from app import collector
    from app.application import create_application
    from app.training_session import TrainingSession
    from projects import events as ev
    from projects import files

    qt_app = create_application([])
    gui = collector.installed()
    import keras

    keras.layers.Dense(1)(keras.KerasTensor((None, 1)))  # as the app's loader does, then
    gui.on_tensorflow_loaded("")  # what its ``loaded`` signal does on the GUI thread
    gui.longest_pause = [0.0, 0.0, 0.0]  # the runs' pauses, not the start-up's
    session = TrainingSession(qt_app)
    resident, results = [], []
    session.finished.connect(results.append)
    with tempfile.TemporaryDirectory() as folder:
        path = _tiny_project(Path(folder) / "p")
        project = files.load(path)
        from projects.training import RunOptions

        for run in range(runs):
            loop = QEventLoop()
            session.finished.connect(loop.quit)
            session.start(project, path, RunOptions(record=False))
            loop.exec()
            session.finished.disconnect(loop.quit)
            full = gui.collections[2]
            while gui.collections[2] == full:  # the run-end collection, on this thread
                QTimer.singleShot(20, loop.quit)
                loop.exec()
            if not isinstance(results[run], ev.Finished):
                raise RuntimeError(f"the run did not finish: {results[run]}")
            resident.append(resident_bytes())
    return {"resident": resident, "longest_pause": gui.longest_pause,
            "collections": gui.collections}


@benchmark("run_memory")
def run_memory(settings: Settings) -> Iterator[Row]:
    """Resident memory after N consecutive runs vs after the first, headless and in the app."""
    runs = QUICK_RUNS if settings.quick else RUNS
    for case, target in (("headless Trainer", "headless_runs_child"),
                         ("app TrainingSession", "app_runs_child")):
        child = run_child(f"{__name__}:{target}", {"runs": runs})
        first, last = child["resident"][0], child["resident"][-1]
        growth = format_quantity(last - first, "bytes")
        note = (f"RSS after run 1 {format_quantity(first, 'bytes')}, after run {runs} "
                f"{format_quantity(last, 'bytes')} (growth {growth})")
        if "longest_pause" in child:
            young, middle, full = child["longest_pause"]
            note += (f"; longest GUI-thread collection pause: generation 0 "
                     f"{format_quantity(young, 's')}, 1 {format_quantity(middle, 's')}, full "
                     f"{format_quantity(full, 's')} ({child['collections'][2]} full)")
        yield limit_row("run_memory", f"RSS after {runs} runs, {case}", last, "bytes",
                        below=first + GROWTH_LIMIT_BYTES + 1, baseline=first,
                        baseline_label="after run 1", note=note)
