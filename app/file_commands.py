"""The main window's file commands: new, open, save, recent files and export."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from projects import files
from projects.document import Project

MAX_RECENT = 10
FILE_FILTER = "Deepwire projects (*.deepwire)"
KERAS_FILTER = "Keras models (*.keras)"
LAST_FOLDER = "lastFolder"  # the settings key of the folder the last file dialog chose


def example_title(path: Path) -> str:
    """The example's project name, for menus (read without building the project)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("name") or path.stem
    except (OSError, ValueError):
        return path.stem


class FileCommands:
    """Mixed into MainWindow: the File menu's commands, on ``self.editor`` and ``self.settings``."""

    def _confirm_discard(self) -> bool:
        """True if the current project may be replaced (saved, discarded or unchanged)."""
        if not self.editor.dirty:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"“{self.editor.display_name}” has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self._confirm_discard():
            self.editor.replace_project(Project(), None)
            self.autosaver.discard()

    def new_from_template(self, path: Path) -> None:
        """A new, unsaved project copied from an example (saving asks for a file)."""
        if not self._confirm_discard():
            return
        try:
            project = files.load(path)
        except files.ProjectFileError as err:
            self._show_open_error(err)
            return
        self.editor.replace_project(project, None)

    def dialog_folder(self) -> Path:
        """Where the Open, Save As and Export dialogs start: the folder the last of them
        chose while it still exists, else the project's folder, else the home folder."""
        last = self.settings.value(LAST_FOLDER, "")
        if isinstance(last, str) and last and Path(last).is_dir():
            return Path(last)
        return self.editor.path.parent if self.editor.path else Path.home()

    def _remember_folder(self, chosen: str | Path) -> None:
        self.settings.setValue(LAST_FOLDER, str(Path(chosen).resolve().parent))

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", str(self.dialog_folder()),
                                              FILE_FILTER)
        if path:
            self._remember_folder(path)
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a file; a broken or newer-format file leaves the current project open."""
        if not self._confirm_discard():
            return False
        try:
            self.editor.open(path)
        except files.ProjectFileError as err:
            self._show_open_error(err)
            return False
        self._remember_recent(Path(path))
        self.autosaver.discard()
        return True

    def import_keras_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import Keras model",
                                              str(self.dialog_folder()), KERAS_FILTER)
        if path:
            self._remember_folder(path)
            self.import_keras_path(path)

    def import_keras_path(self, path: str | Path) -> bool:
        """Open the model in ``path`` as a new, unsaved project (saving asks for a file);
        a model Deepwire refuses leaves the current project open and says which layers."""
        from projects.keras_import import KerasImportError, import_keras

        if not self.editor.tensorflow_ready:
            self.statusBar().showMessage("TensorFlow is still loading; try again in a moment",
                                         5000)
            return False
        if not self._confirm_discard():
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            project = import_keras(path)
        except KerasImportError as err:
            QApplication.restoreOverrideCursor()
            self._show_import_error(err)
            return False
        self.editor.replace_project(project, None)
        self.autosaver.discard()
        QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(f"Imported {Path(path).name}: {len(project.nodes)} "
                                     "blocks; save it as a project to keep it", 6000)
        return True

    def _show_import_error(self, err) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Cannot import model",
                          f"Deepwire cannot import {err.source}.", QMessageBox.StandardButton.Ok,
                          self)
        if err.layers:
            shown = [str(layer) for layer in err.layers[:12]]
            more = len(err.layers) - len(shown)
            box.setInformativeText("\n".join(shown) + (f"\n… and {more} more" if more else ""))
        else:
            box.setInformativeText(str(err))
        box.setDetailedText(str(err))
        box.exec()

    def _show_open_error(self, err: files.ProjectFileError) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Cannot open project",
                          f"Deepwire cannot open {err.source}.", QMessageBox.StandardButton.Ok,
                          self)
        box.setInformativeText("\n".join(str(p) for p in err.problems[:12])
                               + ("\n…" if len(err.problems) > 12 else ""))
        box.setDetailedText(str(err))
        box.exec()

    def save(self) -> bool:
        if self.editor.path is None:
            return self.save_as()
        return self._save_to(self.editor.path)

    def save_as(self) -> bool:
        """Ask where to save; an "Untitled" project takes the file's name."""
        editor = self.editor
        stem = editor.path.stem if editor.path else editor.project.name
        start = self.dialog_folder() / f"{stem}{files.EXTENSION}"
        path, _ = QFileDialog.getSaveFileName(self, "Save project", str(start), FILE_FILTER)
        if not path:
            return False
        if not path.endswith(files.EXTENSION):
            path += files.EXTENSION
        self._remember_folder(path)
        if editor.project.name == Project.name:  # the dataclass default: never named yet
            editor.set_setting("name", Path(path).stem)
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.editor.save(path)
        except files.ProjectSaveError as err:
            QMessageBox.critical(self, "Cannot save", str(err))
            return False
        self._remember_recent(path)
        self.autosaver.discard()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def _remember_recent(self, path: Path) -> None:
        recent = [p for p in self.recent_files() if Path(p) != path.resolve()]
        recent.insert(0, str(path.resolve()))
        self.settings.setValue("recentFiles", recent[:MAX_RECENT])

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for path in recent:
            action = self.recent_menu.addAction(path.replace("&", "&&"))  # "&" is no mnemonic
            action.setEnabled(Path(path).exists())
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not recent:
            self.recent_menu.addAction("No recent projects").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear List", lambda: self.settings.setValue(
                "recentFiles", []))

    def export_python(self) -> None:
        self._export("Python script (*.py)", ".py")

    def export_keras(self) -> None:
        self._export("Keras model (*.keras)", ".keras")

    def _export(self, file_filter: str, suffix: str) -> None:
        from projects import export
        from projects.compiler import CompileError

        if not self.editor.tensorflow_ready:
            self.statusBar().showMessage("TensorFlow is still loading; try again in a moment",
                                         5000)
            return
        stem = self.editor.path.stem if self.editor.path else self.editor.project.name
        path, _ = QFileDialog.getSaveFileName(
            self, "Export", str(self.dialog_folder() / f"{stem}{suffix}"), file_filter)
        if not path:
            return
        self._remember_folder(path)
        try:
            if suffix == ".py":
                files.atomic_write(Path(path),
                                   export.export_python(self.editor.project).encode("utf-8"))
            else:
                folder = self.editor.path.parent if self.editor.path else None
                export.export_keras(self.editor.project, path, folder)
        except CompileError as err:
            QMessageBox.warning(self, "Cannot export", "The model is not valid yet:\n\n"
                                + "\n".join(i.message for i in err.issues[:10]))
            return
        except (OSError, export.ExportError) as err:
            QMessageBox.critical(self, "Cannot export", str(err))
            return
        self.statusBar().showMessage(f"Exported {path}", 4000)
