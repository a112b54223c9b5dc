"""Garbage collection in the app: automatic collection is off, the GUI thread collects from a
timer, no worker thread ever runs the collector, and a run's model dies when the run ends."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app import collector
from app.main_window import MainWindow
from projects import events as ev
from tests.projects.support import tiny_project

pytest.importorskip("tensorflow")


@pytest.fixture
def window(qtbot, tmp_path: Path):
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    window.autosaver.folder = tmp_path / "autosave"
    window.runs_dir_override = tmp_path / "runs"
    window.tensorflow_loaded("TensorFlow ready")
    window.open_path(tiny_project(tmp_path / "p", epochs=2))
    yield window
    window.session.stop_and_wait()
    window.editor.undo_stack.setClean()
    window.close()
    window.deleteLater()


@pytest.fixture
def collecting_threads():
    """The names of the threads on which the collector starts, while the test runs."""
    seen: list[str] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append(threading.current_thread().name)

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


def test_the_app_turns_automatic_collection_off_and_its_gui_timer_collects(
        qtbot, collecting_threads) -> None:
    from app.application import create_application

    create_application([])  # what the app does at start: the same collector, installed once
    gui = collector.installed()
    assert gui is not None and gui.active and not gc.isenabled()
    with pytest.raises(RuntimeError, match="GUI thread only"):
        _on_another_thread(lambda: gui.collect(0))
    before = list(gui.collections)
    qtbot.waitUntil(lambda: gui.collections[1] > before[1], timeout=10_000)
    assert gui.collections[0] > before[0]
    assert set(collecting_threads) == {threading.main_thread().name}


def _on_another_thread(work) -> None:
    """Run ``work`` on a plain thread and re-raise what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as err:  # handed back to the test's thread
            raised.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if raised:
        raise raised[0]


def test_a_run_collects_only_on_the_gui_thread_and_its_model_dies_at_its_end(
        window: MainWindow, qtbot, collecting_threads) -> None:
    models: list[weakref.ref] = []

    def on_event(event) -> None:
        if isinstance(event, ev.RunStarted):  # compiled, on the GUI thread
            models.append(weakref.ref(window.session.trainer.compiled.model))

    window.session.event.connect(on_event)
    gui = collector.installed()
    full_before = gui.collections[2]
    window.train()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    assert len(models) == 1
    qtbot.waitUntil(lambda: gui.collections[2] > full_before, timeout=10_000)  # the run's end
    assert models[0]() is None
    assert window.session.trainer is None
    assert collecting_threads and set(collecting_threads) == {threading.main_thread().name}
