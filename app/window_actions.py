"""The main window's actions, menus and toolbar: what each command is called, its shortcut
and where it shows. The commands themselves live with the window, its file commands and its
training controller."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

import resources
from app.file_commands import example_title
from app.icons import icon

TOOLBAR_OTHER_TEXTS = {"&Pause": ("&Resume",)}  # texts an action takes on later


class WindowActions:
    """Mixed into MainWindow: builds ``*_action`` attributes, the menu bar and the toolbar."""

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
        if icon_name:
            action.setIcon(icon(icon_name))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_project, keys.New,
                                       tip="Start a blank project")
        self.open_action = self._action("&Open…", self.open_dialog, keys.Open)
        self.import_keras_action = self._action(
            "&Import Keras Model…", self.import_keras_dialog,
            tip="Open a .keras model as a new project, each layer a block")
        self.save_action = self._action("&Save", self.save, keys.Save)
        self.save_as_action = self._action("Save &As…", self.save_as, keys.SaveAs)
        self.export_python_action = self._action("Python script…", self.export_python,
                                                 tip="A standalone Keras script")
        self.export_keras_action = self._action(".keras model…", self.export_keras)
        self.quit_action = self._action("&Quit", self.close, keys.Quit)
        # The menu names the edit ("Undo Change units of Dense (n6)"); the toolbar button
        # keeps a short text and shows the whole one in its tooltip.
        self.undo_action = self.editor.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setIconText("Undo")
        self.undo_action.setShortcuts(keys.Undo)
        self.redo_action = self.editor.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setIconText("Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.cut_action = self._action("Cu&t", self.cut, keys.Cut)
        self.copy_action = self._action("&Copy", self.copy, keys.Copy)
        self.paste_action = self._action("&Paste", lambda: self.paste(), keys.Paste)
        self.duplicate_action = self._action("D&uplicate", self.view.duplicate_selection,
                                             QKeySequence("Ctrl+D"))
        self.delete_action = self._action("&Delete", self.delete_selection,
                                          [QKeySequence.StandardKey.Delete,
                                           QKeySequence("Backspace")])
        self.select_all_action = self._action("Select &All", self.select_all, keys.SelectAll)
        self.group_action = self._action("&Group", self.group_selection,
                                         QKeySequence("Ctrl+G"),
                                         tip="Make the selected blocks one group block")
        self.ungroup_action = self._action("U&ngroup", self.ungroup_selection,
                                           QKeySequence("Ctrl+Shift+G"))
        self.open_group_action = self._action("&Open Group", self.open_group,
                                              QKeySequence("Ctrl+Shift+O"))
        self.leave_group_action = self._action("&Leave Group", self.navigator.up,
                                               QKeySequence("Alt+Up"),
                                               tip="Back to the level around this group")
        # Canvas edits answer their shortcuts only when the canvas has focus, so Backspace,
        # Ctrl+C and friends keep working in the inspector's text fields.
        for action in (self.cut_action, self.copy_action, self.paste_action,
                       self.duplicate_action, self.delete_action, self.select_all_action,
                       self.group_action, self.ungroup_action, self.open_group_action,
                       self.leave_group_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)
        self.zoom_in_action = self._action("Zoom &In", self.view.zoom_in, keys.ZoomIn)
        self.zoom_out_action = self._action("Zoom &Out", self.view.zoom_out, keys.ZoomOut)
        self.zoom_reset_action = self._action("&Actual Size", self.view.reset_zoom,
                                              QKeySequence("Ctrl+0"))
        self.fit_action = self._action("&Fit to Window", self.view.fit_to_view,
                                       QKeySequence("Ctrl+9"))
        self.snap_action = self._action("&Snap to Grid", self._toggle_snap)
        self.snap_action.setCheckable(True)
        self.snap_action.setChecked(self.settings.value("snapToGrid", True, type=bool))
        self.view.snap_to_grid = self.snap_action.isChecked()
        self.reset_layout_action = self._action("Reset &Window Layout", self.reset_layout)
        self.layout_action = self._action("&Auto-layout", self.auto_layout,
                                          QKeySequence("Ctrl+L"),
                                          tip="Arrange the blocks in layers, left to right")
        self.validate_action = self._action("&Check Model", self.editor.validate_now,
                                            QKeySequence("Ctrl+B"))
        self.train_action = self._action("&Train", self.train, QKeySequence("F5"),
                                         tip="Train the model on its dataset")
        self.stop_action = self._action("&Stop", self.stop_training, QKeySequence("Shift+F5"),
                                        tip="Stop the run after the current step")
        self.pause_action = self._action("&Pause", self.toggle_pause, QKeySequence("F6"),
                                         tip="Pause or resume the run")
        self.pause_action.setCheckable(True)
        self.reference_action = self._action("&Block Reference", self.show_reference,
                                             keys.HelpContents)
        self.about_action = self._action("&About Deepwire", self._about)

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_action)
        templates = file_menu.addMenu("New from &Template")
        for path in resources.example_paths():
            # "&&": a menu reads "&" as the mark of a shortcut letter ("Kipf & Welling")
            action = templates.addAction(example_title(path).replace("&", "&&"))
            action.triggered.connect(lambda _=False, p=path: self.new_from_template(p))
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(self.import_keras_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        export = file_menu.addMenu("&Export")
        export.addAction(self.export_python_action)
        export.addAction(self.export_keras_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit = bar.addMenu("&Edit")
        for action in (self.undo_action, self.redo_action, None, self.cut_action,
                       self.copy_action, self.paste_action, self.duplicate_action,
                       self.delete_action, None, self.select_all_action, None,
                       self.group_action, self.ungroup_action, self.open_group_action,
                       self.leave_group_action):
            edit.addSeparator() if action is None else edit.addAction(action)

        view = bar.addMenu("&View")
        for action in (self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action,
                       self.fit_action, None, self.snap_action, None):
            view.addSeparator() if action is None else view.addAction(action)
        panels = view.addMenu("&Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        view.addAction(self.reset_layout_action)

        self.model_menu = bar.addMenu("&Model")
        self.model_menu.addAction(self.validate_action)
        self.model_menu.addAction(self.layout_action)
        self.model_menu.addSeparator()
        for action in (self.train_action, self.pause_action, self.stop_action):
            self.model_menu.addAction(action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.reference_action)
        help_menu.addAction(self.about_action)

    def _toolbar(self) -> None:
        self.toolbar = self.addToolBar("Main")
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.new_action, self.open_action, self.save_action, None,
                       self.undo_action, self.redo_action, None, self.layout_action,
                       self.fit_action, None, self.train_action, self.pause_action,
                       self.stop_action):
            self.toolbar.addSeparator() if action is None else self.toolbar.addAction(action)
        # Buttons keep their size whatever their action says, so nothing moves under the
        # mouse: Pause is as wide as Resume, the text it turns into.
        for action in self.toolbar.actions():
            if not action.isSeparator():
                self._fix_button_size(action, *TOOLBAR_OTHER_TEXTS.get(action.text(), ()))

    def _fix_button_size(self, action: QAction, *other_texts: str) -> None:
        """Fix the action's toolbar button at the size of its widest text."""
        button = self.toolbar.widgetForAction(action)
        text = action.text()
        size = button.sizeHint()
        for other in other_texts:
            action.setText(other)
            size = size.expandedTo(button.sizeHint())
        action.setText(text)
        button.setFixedSize(size)
