"""Starting Deepwire: the window first, TensorFlow in the background, then the project."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

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
    collector.install(qt_app)
    return qt_app


def open_initial_project(window, args: Sequence[str]) -> None:
    """The file named on the command line, recovered work after a crash, or the example."""
    import resources
    from app import autosave

    if args:
        window.open_path(args[0])
        return
    recoverable = autosave.find_recoverable()
    if recoverable and offer_recovery(window, recoverable[0]):
        return
    window.new_from_template(resources.examples_dir() / STARTUP_EXAMPLE)


def offer_recovery(window, found) -> bool:
    """Ask whether to restore unsaved work left by a session that ended abruptly."""
    from PySide6.QtWidgets import QMessageBox

    from app import autosave
    from projects import files

    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(found.saved_at))
    where = f" (from {found.original_path})" if found.original_path else ""
    answer = QMessageBox.question(
        window, "Recover unsaved work?",
        f"Deepwire closed unexpectedly. Unsaved work on “{found.name}”{where} was kept at "
        f"{when}.\n\nRecover it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes)
    if answer != QMessageBox.StandardButton.Yes:
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


def run(argv: Sequence[str]) -> int:
    from app import platform_check

    if problem := platform_check.startup_problem(argv):  # before Qt, which would abort
        print(problem, file=sys.stderr)
        return platform_check.EXIT_NO_WINDOW
    qt_app = create_application(argv)
    from app.main_window import MainWindow

    window = MainWindow()
    window.show()
    qt_app.processEvents()  # the window is on screen before anything slow happens
    loader = start_tensorflow(window)
    open_initial_project(window, [a for a in argv if not a.startswith("-")])
    code = qt_app.exec()
    loader.wait()  # an import cannot be interrupted; let it finish before exit
    return code
