"""The app's tests run under the app's garbage-collection rule (app/collector.py): automatic
collection off, the GUI thread collecting from a timer, so no worker thread ever frees a Qt
object. Headless tests keep Python's automatic collection."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def gui_collector(qapp):
    """The collector the app installs at start, for one test; automatic collection after."""
    from PySide6.QtCore import QThreadPool

    from app import collector

    installed = collector.install(qapp)
    yield installed
    QThreadPool.globalInstance().waitForDone(20_000)  # no preview thread may collect later
    collector.uninstall()


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """A shown main window with its own settings and autosave folder, closed afterwards
    without asking about unsaved work. Test files with other needs define their own."""
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow

    monkeypatch.setattr("app.autosave.autosave_folder", lambda: tmp_path / "autosave")
    shown = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    shown.show()
    yield shown
    shown.editor.undo_stack.setClean()
    shown.close()
    shown.deleteLater()


@pytest.fixture
def training_window(qtbot, tmp_path):
    """A shown main window ready to train (TensorFlow marked loaded), its runs under
    ``tmp_path``; any run is stopped and the window closed afterwards."""
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow

    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    window.autosaver.folder = tmp_path / "autosave"
    window.runs_dir_override = tmp_path / "runs"
    window.resize(1400, 900)
    window.show()
    window.tensorflow_loaded("TensorFlow ready")
    yield window
    window.session.stop_and_wait()
    window.editor.undo_stack.setClean()
    window.close()
    window.deleteLater()
