"""My blocks in the window: saving a group to the library, and placing, exporting,
importing and deleting library entries from the palette.

The library itself is Qt-free (projects/library.py); this class asks the questions (a
name, whether to replace, whether to delete, which file) and keeps the palette's My blocks
and Templates in step with the folders. A library entry dragged from the palette is
dropped through an event filter on the canvas's viewport, so the canvas needs to know
nothing about the library.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF
from PySide6.QtGui import QAction, QDropEvent
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMenu, QMessageBox

from app.palette import LIBRARY_MIME_TYPE
from projects import files, library
from projects.document import DocumentError, is_group_id
from resources.templates import TEMPLATES_DIR

if TYPE_CHECKING:
    from app.main_window import MainWindow

FILE_FILTER = f"Deepwire blocks (*{library.EXTENSION})"
_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


class LibraryActions(QObject):
    """The window's library commands; ``entries`` are the palette's, by key (their file)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.entries: dict[str, library.LibraryEntry] = {}
        self.templates_dir = TEMPLATES_DIR
        self.save_action = QAction("Save Group to My Blocks…", window)
        self.save_action.triggered.connect(self.save_selection)
        self.import_action = QAction("Import Block File…", window)
        self.import_action.triggered.connect(self.import_file)
        edit = next((a.menu() for a in window.menuBar().actions() if a.text() == "&Edit"),
                    None)
        if edit is not None:
            edit.addSeparator()
            edit.addAction(self.save_action)
            edit.addAction(self.import_action)
        window.palette.entryActivated.connect(self.place_at_centre)
        window.view.viewport().installEventFilter(self)
        self.refresh()

    # ---- the palette

    def refresh(self) -> None:
        """Read the templates and My blocks again and list them; a file that cannot be
        read is named in the status bar rather than skipped in silence."""
        templates, _ = library.read_folder(self.templates_dir, template=True)
        mine, broken = library.read_folder(library.library_dir())
        self.entries = {str(e.path): e for e in (*mine, *templates)}
        self.window.palette.show_library(self.entries)
        if broken:
            names = ", ".join(Path(b.source).name for b in broken)
            self.window.statusBar().showMessage(
                f"My blocks: cannot read {names} (open it in a text editor to see why)", 8000)

    def key_of(self, title: str, template: bool = False) -> str | None:
        """The key of the entry titled ``title`` (for tests and selections)."""
        return next((k for k, e in self.entries.items()
                     if e.title == title and e.template == template), None)

    def entry_menu(self, key: str) -> QMenu:
        """The right-click menu of a library entry (``key``) or of My blocks itself ("");
        app/context_menus.py shows it."""
        menu = QMenu(self.window)
        entry = self.entries.get(key)
        if entry is not None:
            menu.addAction(f"Place {entry.title}", lambda: self.place_at_centre(key))
            menu.addAction("Export to File…", lambda: self.export(key))
            delete = menu.addAction("Delete…", lambda: self.delete(key))
            delete.setEnabled(not entry.template)
            if entry.template:
                delete.setToolTip("Templates come with Deepwire")
            menu.addSeparator()
        menu.addAction(self.import_action)
        return menu

    # ---- placing

    def current_level(self) -> str | None:
        """The group the canvas shows (None: the top level): placed blocks land there."""
        return self.window.scene.level

    def place(self, key: str, scene_pos: QPointF) -> str | None:
        """Place the entry as a new group at ``scene_pos`` (one undo step)."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        window = self.window
        at = window.scene.snapped(scene_pos)
        try:
            group = window.editor.place_library_block(entry, (at.x(), at.y()),
                                                      self.current_level())
        except DocumentError as err:
            window.statusBar().showMessage(str(err), 6000)
            return None
        window.scene.select_nodes([group])
        window.statusBar().showMessage(f"Placed {entry.title} ({group})", 4000)
        return group

    def place_at_centre(self, key: str) -> str | None:
        """Double-click or Enter on an entry: place it in the middle of the view."""
        view = self.window.view
        return self.place(key, view.mapToScene(view.viewport().rect().center()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Library entries dragged from the palette onto the canvas; other drags pass."""
        if event.type() not in _DRAG_EVENTS or not isinstance(event, QDropEvent):
            return False  # (a drag's enter and move events are drop events too)
        mime = event.mimeData()
        if not mime.hasFormat(LIBRARY_MIME_TYPE):
            return False
        key = bytes(mime.data(LIBRARY_MIME_TYPE).data()).decode("utf-8", "replace")
        if key not in self.entries:
            event.ignore()
            return True
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            view = self.window.view
            self.place(key, view.mapToScene(event.position().toPoint()))
            view.setFocus()
        return True

    # ---- saving

    def group_to_save(self, node_ids: list[str]) -> str | None:
        """The group the selected blocks stand in at the canvas's level, if they are all
        in one."""
        project, level = self.window.editor.project, self.current_level()
        standing = {project.item_at(n, level) for n in node_ids}
        if len(standing) == 1:
            item = standing.pop()
            return item if item is not None and is_group_id(item) else None
        return None

    def save_selection(self) -> library.LibraryEntry | None:
        """Save the selection's group (or the selected blocks, as a new group) to My
        blocks."""
        ids = self.window.selected_ids()
        group = self.group_to_save(ids)
        if group is not None:
            return self.save_group(group)
        if not ids:
            self.window.statusBar().showMessage("Select a group (or blocks) to save", 5000)
            return None
        copy = self.window.editor.project.copy()
        try:
            made = copy.group_items(ids, "My block")
        except DocumentError as err:
            self.window.statusBar().showMessage(str(err), 6000)
            return None
        return self._save(copy, made.id, "My block")

    def save_group(self, group_id: str) -> library.LibraryEntry | None:
        project = self.window.editor.project
        return self._save(project, group_id, project.group(group_id).title)

    def _save(self, project, group_id: str, suggested: str) -> library.LibraryEntry | None:
        name, ok = QInputDialog.getText(self.window, "Save to My blocks", "Name of the block:",
                                        QLineEdit.EchoMode.Normal, suggested)
        if not ok or not name.strip():
            return None
        return self._add(library.entry_from_group(project, group_id, name.strip()))

    def _add(self, entry: library.LibraryEntry) -> library.LibraryEntry | None:
        """Keep ``entry`` in My blocks, asking before a block of the same name is replaced."""
        try:
            try:
                kept = library.add(entry)
            except FileExistsError:
                answer = QMessageBox.question(
                    self.window, "Replace block?",
                    f"My blocks already holds “{entry.title}”. Replace it?",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                    QMessageBox.StandardButton.No)
                if answer != QMessageBox.StandardButton.Yes:
                    return None
                kept = library.add(entry, overwrite=True)
        except files.ProjectSaveError as err:
            QMessageBox.warning(self.window, "Deepwire", str(err))
            return None
        self.refresh()
        item = self.window.palette.entry_item(str(kept.path))
        if item is not None:
            self.window.palette.tree.setCurrentItem(item)
        self.window.statusBar().showMessage(f"Saved {kept.title} to My blocks", 4000)
        return kept

    # ---- files

    def export(self, key: str) -> Path | None:
        """Write the entry to a block file the user chooses."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        name, _ = QFileDialog.getSaveFileName(
            self.window, "Export block", str(Path.home() / library.file_name(entry.title)),
            FILE_FILTER)
        if not name:
            return None
        path = Path(name)
        if path.suffix != library.EXTENSION:
            path = path.with_name(path.name + library.EXTENSION)
        try:
            library.save(entry, path)
        except files.ProjectSaveError as err:
            QMessageBox.warning(self.window, "Deepwire", str(err))
            return None
        self.window.statusBar().showMessage(f"Exported {entry.title} to {path}", 5000)
        return path

    def import_file(self) -> library.LibraryEntry | None:
        """Add a block file to My blocks; a file that cannot be read says why."""
        name, _ = QFileDialog.getOpenFileName(self.window, "Import block", str(Path.home()),
                                              FILE_FILTER)
        if not name:
            return None
        try:
            entry = library.load(name)
        except library.BlockFileError as err:
            QMessageBox.warning(self.window, "Cannot import the block", str(err))
            return None
        return self._add(entry)

    def delete(self, key: str) -> bool:
        """Delete a block of My blocks, once the user confirms (placed copies stay)."""
        entry = self.entries.get(key)
        if entry is None or entry.template:
            return False
        answer = QMessageBox.question(
            self.window, "Delete block?",
            f"Delete “{entry.title}” from My blocks? Projects where it was placed keep "
            "their copies.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        library.delete(entry)
        self.refresh()
        return True
