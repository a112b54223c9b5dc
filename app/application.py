"""Starting Deepwire: the window first, TensorFlow in the background, then the project."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from app import crash_log

STARTUP_EXAMPLE = "transformer_classifier.deepwire"


def create_application(argv: Sequence[str]):
    """The QApplication, with garbage collected on its thread only (app/collector.py):
    automatic collection is off from here on, so no worker thread ever runs it."""
    from PySide6.QtWidgets import QApplication

    from app import collector

    qt_app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    qt_app.setApplicationName("Deepwire")
    qt_app.setOrganizationName("Deepwire")
    qt_app.setStyle("Fusion")
    qt_app.aboutToQuit.connect(_wait_for_previews)  # before the collector's last pass
    collector.install(qt_app)
    return qt_app


def _wait_for_previews() -> None:
    """No dataset preview may still run Python on Qt's pool once the event loop has ended
    (PySide destroys the app's Python-owned objects, the preview's relay among them)."""
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone()


def open_initial_project(window, args: Sequence[str], crash: crash_log.Crash | None = None
                         ) -> None:
    """The file named on the command line, recovered work after a crash, or the example.
    A crash log left by the last session is offered first, with its unsaved work if any."""
    import resources
    from app import autosave

    recoverable = autosave.find_recoverable()
    found = recoverable[0] if recoverable else None
    if crash is not None:
        recovered = offer_crash_report(window, crash, None if args else found)
    elif found is not None and not args:
        recovered = offer_recovery(window, found)
    else:
        recovered = False
    if args:
        window.open_path(args[0])
    elif not recovered:
        window.new_from_template(resources.examples_dir() / STARTUP_EXAMPLE)


def crash_report_box(window, crash: crash_log.Crash, found=None) -> QMessageBox:
    """The message shown after a crash: what happened, where the log is (its text in the
    details), and, when the crashed session left unsaved work, the offer to recover it."""
    from PySide6.QtWidgets import QMessageBox

    from app import crash_log

    box = QMessageBox(window)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Deepwire closed unexpectedly")
    box.setText(crash_log.summary(crash))
    lines = [f"A crash log was kept at {crash.path}. Please attach it to a bug report."]
    if found is not None:
        lines.append(f"\n{_unsaved_work_text(found)}\n\nRecover it?")
    box.setInformativeText("\n".join(lines))
    box.setDetailedText(crash.text)
    box.addButton("Show Log", QMessageBox.ButtonRole.ActionRole).setObjectName("showLog")
    if found is not None:
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText("Recover")
        box.button(QMessageBox.StandardButton.No).setText("Discard")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
    else:
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box


def offer_crash_report(window, crash: crash_log.Crash, found=None) -> bool:
    """Say that the last session crashed, offer its log (Show Log opens its folder, and the
    box stays) and its unsaved work. True if the work was recovered."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QAbstractButton, QMessageBox

    box = crash_report_box(window, crash, found)
    show_log = box.findChild(QAbstractButton, "showLog")
    while True:
        box.exec()
        if box.clickedButton() is not show_log:
            break
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(crash.path.parent)))
    recover = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
    box.deleteLater()
    return found is not None and _recover_or_forget(window, found, recover)


def _unsaved_work_text(found) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(found.saved_at))
    where = f" (from {found.original_path})" if found.original_path else ""
    return f"Unsaved work on “{found.name}”{where} was kept at {when}."


def offer_recovery(window, found) -> bool:
    """Ask whether to restore unsaved work left by a session that ended abruptly."""
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        window, "Recover unsaved work?",
        f"Deepwire closed unexpectedly. {_unsaved_work_text(found)}\n\nRecover it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes)
    return _recover_or_forget(window, found, answer == QMessageBox.StandardButton.Yes)


def _recover_or_forget(window, found, recover: bool) -> bool:
    """Open the autosaved work if asked to; either way it is offered only once."""
    from app import autosave
    from projects import files

    if not recover:
        autosave.forget(found)
        return False
    try:
        project = files.load(found.project_file)
    except files.ProjectFileError as err:
        window._show_open_error(err)
        autosave.forget(found)
        return False
    recover_into(window, project, found.original_path)
    autosave.forget(found)
    return True


def recover_into(window, project, original_path: Path | None) -> None:
    """Show recovered work as unsaved changes to its original file (never saved silently)."""
    window.editor.replace_project(project, original_path)
    window.editor.undo_stack.resetClean()  # unsaved until the user saves


def start_tensorflow(window):
    from app import collector
    from app.tf_loader import TensorFlowLoader

    loader = TensorFlowLoader(window)
    gui_collector = collector.installed()
    if gui_collector is not None:  # freeze TensorFlow's objects, on the GUI thread
        loader.loaded.connect(gui_collector.on_tensorflow_loaded)
    loader.loaded.connect(window.tensorflow_loaded)
    loader.failed.connect(window.tensorflow_failed)
    loader.start()
    return loader


def wait_for_threads(loader) -> None:
    """Before the interpreter shuts down, every thread the app started has ended: a thread
    still running Python while the interpreter and Qt tear down crashes the exiting process.
    The training thread has been joined when the window closed; the TensorFlow import cannot
    be interrupted, and a dataset preview's load (on Qt's global pool) takes a moment."""
    if loader is not None:
        loader.wait()
    _wait_for_previews()


TENSORFLOW_DELAY_MS = 250  # after the event loop starts: the opened project paints first


def run(argv: Sequence[str]) -> int:
    from PySide6.QtCore import QTimer

    from app import platform_check

    if problem := platform_check.startup_problem(argv):  # before Qt, which would abort
        print(problem, file=sys.stderr)
        return platform_check.EXIT_NO_WINDOW
    qt_app = create_application(argv)
    from app import crash_log
    from app.main_window import MainWindow

    crash = crash_log.find_previous()  # before this session's own log exists
    log = crash_log.start()
    window = MainWindow()
    window.show()
    qt_app.processEvents()  # the window is on screen before anything slow happens
    # TensorFlow's import holds the GIL for seconds (loading its libraries): it starts once
    # the project is open and painted (its shapes may come from the disk cache at once),
    # or while a dialog asks first.
    loaders = []
    QTimer.singleShot(TENSORFLOW_DELAY_MS, lambda: loaders.append(start_tensorflow(window)))
    open_initial_project(window, [a for a in argv if not a.startswith("-")], crash)
    code = qt_app.exec()
    wait_for_threads(loaders[0] if loaders else None)
    if log is not None:
        log.close()  # a clean exit: nothing to offer at the next start
    return code
