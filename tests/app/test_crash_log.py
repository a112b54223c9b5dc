"""A crash leaves a record, and the next start offers it (app/crash_log.py): a real fatal
signal in a real Deepwire process, then the start-up flow reading what it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

import resources
from app import application, autosave, crash_log
from app.main_window import MainWindow
from projects import files

# Deepwire as ``deepwire`` starts it, crashing on a fatal signal once its window is up and
# its first project is open (TensorFlow is still loading on its thread then).
CRASHING_START = """
import faulthandler, sys
from PySide6.QtCore import QTimer
from app import application
opened = application.open_initial_project
def open_then_crash(*args):
    opened(*args)
    # once TensorFlow has started loading (it starts after the project has painted)
    QTimer.singleShot(application.TENSORFLOW_DELAY_MS + 500, faulthandler._sigsegv)
application.open_initial_project = open_then_crash
sys.exit(application.run([]))
"""


def _private_home(tmp_path: Path) -> dict[str, str]:
    """An environment whose data and settings folders are under ``tmp_path``."""
    return {**os.environ, "HOME": str(tmp_path / "home"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "QT_QPA_PLATFORM": "offscreen"}


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture(scope="module")
def crashed_home(tmp_path_factory) -> Path:
    """The data folder of a Deepwire that died of a segmentation fault."""
    home = tmp_path_factory.mktemp("crashed")
    result = subprocess.run([sys.executable, "-c", CRASHING_START], env=_private_home(home),
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == -signal.SIGSEGV, result.stderr[-3000:]
    return home


def test_a_fatal_signal_leaves_a_log_with_every_threads_stack(crashed_home: Path) -> None:
    [folder] = (crashed_home / "data").rglob("crashes")
    [left] = folder.glob("running-*.log")
    pid = int(left.stem.removeprefix("running-"))
    crash = crash_log.find_previous(folder)
    assert crash is not None and crash.path.name.startswith("crash-")
    assert crash.path.parent == folder and not left.exists()  # renamed: offered once, kept
    assert crash.header.startswith("Deepwire crash log: started ")
    assert f"pid {pid}" in crash.header and "PySide6 " in crash.header
    assert "Fatal Python error: Segmentation fault" in crash.stacks
    assert "application.py" in crash.stacks and "in run" in crash.stacks  # in the event loop
    assert crash.stacks.lower().count("thread 0x") >= 2  # every thread, TensorFlow's loader too
    assert crash_log.find_previous(folder) is None


def test_the_next_start_offers_the_log_and_the_unsaved_work(window: MainWindow,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "crashes"
    folder.mkdir()
    text = ("Deepwire crash log: started 2026-01-01T10:00:00+00:00; pid 4242\n"
            "Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call "
            "first):\n  File \"app/application.py\", line 9 in run\n")
    (folder / f"running-{_dead_pid()}.log").write_text(text, encoding="utf-8")
    crash = crash_log.find_previous(folder)
    unsaved = files.load(resources.examples_dir() / "attention_find_marker.deepwire")
    unsaved.set_name("Unsaved work")
    autosave_folder = tmp_path / "autosave"
    autosave_folder.mkdir()
    files.save(unsaved, autosave_folder / "session-1.deepwire")
    (autosave_folder / "session-1.json").write_text(
        f'{{"pid": {_dead_pid()}, "saved_at": {time.time()}, "name": "Unsaved work"}}')

    class Folders(QObject):  # Show Log's request, instead of a file manager
        def __init__(self) -> None:
            super().__init__()
            self.opened: list[Path] = []

        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            self.opened.append(Path(url.toLocalFile()))

    folders = Folders()
    QDesktopServices.setUrlHandler("file", folders, "open")
    shown: list[tuple[str, str, str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        shown.append((box.text(), box.informativeText(), box.detailedText()))
        if len(shown) == 1:
            box.findChild(QObject, "showLog").click()  # the box comes back afterwards
            QTimer.singleShot(0, answer)
        else:
            box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(0, answer)
    try:
        application.open_initial_project(window, [], crash)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert len(shown) == 2
    summary, informative, details = shown[0]
    assert summary == ("Deepwire stopped with a fatal error (segmentation fault) the last "
                       "time it ran.")
    assert str(crash.path) in informative and "Unsaved work" in informative
    assert details == text
    assert folders.opened == [folder]
    assert window.editor.project.name == "Unsaved work" and window.editor.dirty
    assert autosave.find_recoverable(autosave_folder) == []  # offered once


def test_a_crash_without_unsaved_work_is_reported_and_the_example_opens(
        window: MainWindow, tmp_path: Path) -> None:
    folder = tmp_path / "crashes"
    folder.mkdir()
    (folder / f"running-{_dead_pid()}.log").write_text("Deepwire crash log: started\n")
    crash = crash_log.find_previous(folder)
    box = application.crash_report_box(window, crash)
    assert box.text() == "Deepwire did not close normally the last time it ran."  # killed
    assert box.standardButtons() == QMessageBox.StandardButton.Ok
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().accept())
    application.open_initial_project(window, [], crash)
    assert window.editor.project.name == "Transformer classifier"


def test_a_clean_exit_leaves_no_log_and_old_logs_are_rotated(tmp_path: Path) -> None:
    folder = tmp_path / "crashes"
    clean = ("import sys; from pathlib import Path; from app import crash_log; "
             "log = crash_log.start(Path(sys.argv[1])); print(log.path.exists()); log.close()")
    result = subprocess.run([sys.executable, "-c", clean, str(folder)], capture_output=True,
                            text=True, timeout=60, env=_private_home(tmp_path))
    assert result.returncode == 0 and result.stdout.split() == ["True"], result.stderr
    assert list(folder.iterdir()) == []
    for age in range(crash_log.KEEP + 2):
        old = folder / f"crash-2026010{age}-000000-{age}.log"
        old.write_text("Deepwire crash log\n")
        os.utime(old, (1_000_000 - age, 1_000_000 - age))
    mine = folder / f"running-{os.getpid()}.log"  # a window still open: not a crash
    mine.write_text("Deepwire crash log\n")
    assert crash_log.find_previous(folder) is None
    assert mine.exists()
    kept = sorted(p.name for p in folder.glob("crash-*.log"))
    assert kept == [f"crash-2026010{age}-000000-{age}.log" for age in range(crash_log.KEEP)]
