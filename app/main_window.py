"""Deepwire's main window: palette, canvas, inspector, problems, summary and history."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

import resources
from app.autosave import AutoSaver
from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView
from app.editor import Editor
from app.icons import icon
from app.inspector import Inspector
from app.palette import BlockHelp, BlockPalette
from app.panels import ProblemsPanel, SummaryPanel
from app.runs_panel import RunsPanel
from app.training_session import TrainingSession
from projects import clipboard, files
from projects.document import DocumentError

MAX_RECENT = 10
DASHBOARD_REFRESH_MS = 250  # the dashboard redraws at most ~4 times a second
FILE_FILTER = "Deepwire projects (*.deepwire)"


def example_title(path: Path) -> str:
    """The example's project name, for menus (read without building the project)."""
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8")).get("name") or path.stem
    except (OSError, ValueError):
        return path.stem


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.editor = Editor(self)
        self.setWindowIcon(icon("deepwire"))
        self.resize(1400, 860)
        self.setDockNestingEnabled(True)

        self.scene = CanvasScene(self.editor)
        self.view = CanvasView(self.scene)
        self.session = TrainingSession(self)
        self._pending_events: list = []
        self._flush_timer = QTimer(self, singleShot=True, interval=DASHBOARD_REFRESH_MS)
        self._flush_timer.timeout.connect(self._flush_training_events)
        self.runs_dir_override: Path | None = None  # where runs go, if not beside the file
        self._run_revision = 0
        self._training_tab = self._build_training_tab()
        self.central_tabs = QTabWidget()
        self.central_tabs.setDocumentMode(True)
        self.central_tabs.addTab(self.view, "Model")
        self.central_tabs.addTab(self._training_tab, "Training")
        self.setCentralWidget(self.central_tabs)
        self.palette = BlockPalette()
        self.inspector = Inspector(self.editor)
        self.problems = ProblemsPanel(self.editor)
        self.summary = SummaryPanel(self.editor)
        self.history = QUndoView(self.editor.undo_stack)
        self.history.setEmptyLabel("Opened")
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("palette", "Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("inspector", "Inspector", self.inspector,
                       Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("summary", "Model summary", self.summary,
                       Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("problems", "Problems", self.problems,
                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("history", "History", self.history,
                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["problems"], self.docks["history"])
        self.docks["problems"].raise_()
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]], [260, 340],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["problems"]], [150], Qt.Orientation.Vertical)
        self.splitDockWidget(self.docks["inspector"], self.docks["summary"],
                             Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["inspector"], self.docks["summary"]], [560, 200],
                         Qt.Orientation.Vertical)

        self._status_widgets()
        self._actions()
        self._menus()
        self._toolbar()
        self._connect()
        self.autosaver = AutoSaver(self.editor, parent=self)
        self._restore_layout()
        self._update_title()

    # ---- construction

    def _add_dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self, objectName=f"{key}Dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def _status_widgets(self) -> None:
        self.validity_label = QLabel()
        self.tensorflow_label = QLabel("Loading TensorFlow…")
        for label in (self.validity_label, self.tensorflow_label):
            label.setContentsMargins(8, 0, 8, 0)
            self.statusBar().addPermanentWidget(label)

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
        self.save_action = self._action("&Save", self.save, keys.Save)
        self.save_as_action = self._action("Save &As…", self.save_as, keys.SaveAs)
        self.export_python_action = self._action("Python script…", self.export_python,
                                                 tip="A standalone Keras script")
        self.export_keras_action = self._action(".keras model…", self.export_keras)
        self.quit_action = self._action("&Quit", self.close, keys.Quit)
        self.undo_action = self.editor.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(keys.Undo)
        self.redo_action = self.editor.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.cut_action = self._action("Cu&t", self.cut, keys.Cut)
        self.copy_action = self._action("&Copy", self.copy, keys.Copy)
        self.paste_action = self._action("&Paste", self.paste, keys.Paste)
        self.duplicate_action = self._action("D&uplicate", self.view.duplicate_selection,
                                             QKeySequence("Ctrl+D"))
        self.delete_action = self._action("&Delete", self.delete_selection,
                                          [QKeySequence.StandardKey.Delete,
                                           QKeySequence("Backspace")])
        self.select_all_action = self._action("Select &All", self.select_all, keys.SelectAll)
        # Canvas edits answer their shortcuts only when the canvas has focus, so Backspace,
        # Ctrl+C and friends keep working in the inspector's text fields.
        for action in (self.cut_action, self.copy_action, self.paste_action,
                       self.duplicate_action, self.delete_action, self.select_all_action):
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
            action = templates.addAction(example_title(path))
            action.triggered.connect(lambda _=False, p=path: self.new_from_template(p))
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
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
                       self.delete_action, None, self.select_all_action):
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

    def _connect(self) -> None:
        editor = self.editor
        editor.stateChanged.connect(self._update_title)
        editor.reportChanged.connect(self._update_validity)
        editor.documentReplaced.connect(self._update_validity)
        self.scene.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.scene.selectionChangedIds.connect(self.inspector.show_nodes)
        self.palette.blockActivated.connect(self.add_block_from_palette)
        self.problems.nodeRequested.connect(self.reveal_node)
        self.scene.nodeActivated.connect(self._focus_inspector)
        editor.documentReplaced.connect(lambda: QTimer.singleShot(0, self.view.fit_to_view))
        editor.documentReplaced.connect(self._update_runs_dir)
        editor.stateChanged.connect(self._update_runs_dir)
        editor.documentChanged.connect(self._mark_run_differs)
        self.session.event.connect(self._on_training_event)
        self.session.finished.connect(self._on_training_finished)
        self.runs.runsSelected.connect(self._show_runs)
        self.central_tabs.currentChanged.connect(self._on_central_tab)
        self._update_training_actions()

    # ---- status

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.editor.display_name}[*] — Deepwire")
        self.setWindowModified(self.editor.dirty)

    def _update_validity(self) -> None:
        report = self.editor.report
        if report is None:
            self.validity_label.setText("Shapes pending")
        elif report.errors:
            count = len(report.errors)
            self.validity_label.setText(f"<span style='color:#dc2626'>● {count} "
                                        f"error{'s' if count != 1 else ''}</span>")
        else:
            self.validity_label.setText(f"<span style='color:#16a34a'>● Valid</span> · "
                                        f"{report.total_params:,} parameters")

    def tensorflow_loaded(self, description: str) -> None:
        self.tensorflow_label.setText(description)
        self.editor.set_tensorflow_ready()

    def tensorflow_failed(self, message: str) -> None:
        self.tensorflow_label.setText("TensorFlow unavailable")
        QMessageBox.warning(self, "Deepwire", f"{message}\n\nYou can still edit projects; "
                            "shapes and training need a working TensorFlow.")

    # ---- files

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
            from projects.document import Project

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

    def open_dialog(self) -> None:
        start = str(self.editor.path.parent) if self.editor.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, FILE_FILTER)
        if path:
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
        start = str(self.editor.path or Path.home() / f"{self.editor.project.name}.deepwire")
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(files.EXTENSION):
            path += files.EXTENSION
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
            action = self.recent_menu.addAction(path)
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
        path, _ = QFileDialog.getSaveFileName(self, "Export", f"{stem}{suffix}", file_filter)
        if not path:
            return
        try:
            if suffix == ".py":
                files.atomic_write(Path(path),
                                   export.export_python(self.editor.project).encode("utf-8"))
            else:
                export.export_keras(self.editor.project, path)
        except CompileError as err:
            QMessageBox.warning(self, "Cannot export", "The model is not valid yet:\n\n"
                                + "\n".join(i.message for i in err.issues[:10]))
            return
        except (OSError, export.ExportError) as err:
            QMessageBox.critical(self, "Cannot export", str(err))
            return
        self.statusBar().showMessage(f"Exported {path}", 4000)

    # ---- editing

    def selected_ids(self) -> list[str]:
        return self.scene.selected_node_ids()

    def add_block_from_palette(self, block_id: str) -> None:
        node_id = self.editor.add_block_after(block_id, self.selected_ids())
        self.scene.select_nodes([node_id])
        self.view.center_on_node(node_id)

    def delete_selection(self) -> None:
        self.view.delete_selection()

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.editor.project.nodes))

    def copy(self) -> None:
        self.view.copy_selection()

    def cut(self) -> None:
        self.view.cut_selection()

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        text = ""
        if mime.hasFormat(clipboard.MIME_TYPE):
            text = bytes(mime.data(clipboard.MIME_TYPE).data()).decode("utf-8")
        elif mime.hasText():
            text = mime.text()
        try:
            self.view.paste(text)
        except (clipboard.FragmentError, DocumentError) as err:
            self.statusBar().showMessage(str(err), 5000)

    def auto_layout(self) -> None:
        self.editor.auto_layout(self.scene.item_sizes())
        self.view.fit_to_view()

    def reveal_node(self, node_id: str) -> None:
        if node_id not in self.editor.project.nodes:
            return
        self.central_tabs.setCurrentWidget(self.view)
        self.scene.select_nodes([node_id])
        self.view.center_on_node(node_id)

    def _focus_inspector(self, node_id: str) -> None:
        self.inspector.show_nodes([node_id])
        self.docks["inspector"].show()
        self.docks["inspector"].raise_()
        self.inspector.setFocus()

    def _toggle_snap(self, checked: bool) -> None:
        self.view.snap_to_grid = checked
        self.settings.setValue("snapToGrid", checked)

    # ---- layout and closing

    def _restore_layout(self) -> None:
        self._default_state = self.saveState()
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session.running:
            answer = QMessageBox.question(
                self, "Training is running",
                "A training run is going. Stop it and close? The run's folder is kept.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if not self._confirm_discard():
            event.ignore()
            return
        self.session.stop_and_wait()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.autosaver.discard()
        event.accept()

    # ---- training

    def _build_training_tab(self) -> QWidget:
        """Runs on the left, the dashboard on the right; the dashboard (and pyqtgraph) is
        created the first time it is needed, so it costs nothing at start-up."""
        self.dashboard = None
        self.runs = RunsPanel()
        self.run_note = QLabel(wordWrap=True)
        self.run_note.setStyleSheet("color: #92400e; background: #fef3c7; padding: 6px 10px;"
                                    " border-radius: 4px;")
        self.run_note.hide()
        right = QWidget()
        self._dashboard_layout = QVBoxLayout(right)
        self._dashboard_layout.setContentsMargins(8, 8, 8, 8)
        self._dashboard_layout.addWidget(self.run_note)
        splitter = QSplitter()
        splitter.addWidget(self.runs)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 1140])
        # The plots must not claim width from the docks while the Model tab is shown.
        splitter.setMinimumSize(320, 240)
        return splitter

    def ensure_dashboard(self):
        if self.dashboard is None:
            from app.dashboard import Dashboard

            self.dashboard = Dashboard()
            self.dashboard.failureNodeRequested.connect(self.reveal_node)
            self._dashboard_layout.addWidget(self.dashboard, 1)
        return self.dashboard

    def _on_central_tab(self, index: int) -> None:
        """The Training tab gets the window's width: the editing docks step aside while it
        is shown and come back with the Model tab."""
        editing = ("palette", "inspector", "summary")
        if self.central_tabs.widget(index) is self._training_tab:
            self.ensure_dashboard()
            self._docks_before_training = {k: self.docks[k].isVisible() for k in editing}
            for key in editing:
                self.docks[key].hide()
        elif getattr(self, "_docks_before_training", None):
            for key, visible in self._docks_before_training.items():
                self.docks[key].setVisible(visible)
            self._docks_before_training = None

    def runs_dir(self) -> Path:
        from projects.training import default_runs_dir

        return self.runs_dir_override or default_runs_dir(self.editor.project, self.editor.path)

    def _update_runs_dir(self) -> None:
        self.runs.set_runs_dir(self.runs_dir())

    def train(self) -> None:
        """Train a snapshot of the model on a worker thread; editing may go on meanwhile."""
        if self.session.running:
            return
        if not self.editor.tensorflow_ready:
            self.statusBar().showMessage("TensorFlow is still loading; train in a moment",
                                         5000)
            return
        from projects.training import RunOptions

        dashboard = self.ensure_dashboard()
        dashboard.reset()
        dashboard.show_live()
        dashboard.set_block_titles({i: n.title or n.spec.title for i, n in
                                         self.editor.project.nodes.items()})
        self._run_revision = self.editor.project.revision
        self.run_note.hide()
        self.central_tabs.setCurrentWidget(self._training_tab)
        self.session.start(self.editor.project, self.editor.path,
                           RunOptions(runs_dir=self.runs_dir()))
        self._update_training_actions()

    def stop_training(self) -> None:
        self.session.stop()
        self.statusBar().showMessage("Stopping after the current step…", 3000)

    def toggle_pause(self) -> None:
        if self.session.paused:
            self.session.resume()
        else:
            self.session.pause()
        self._update_training_actions()

    def _on_training_event(self, event) -> None:
        """Queue the event; the dashboard takes the queue 4 times a second, so a burst
        of events costs one repaint. The start and the end of a run show at once."""
        from projects import events as ev

        self._pending_events.append(event)
        if isinstance(event, ev.RunStarted | ev.Failed | ev.Finished | ev.RunWarning):
            self._flush_training_events()
        elif not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush_training_events(self) -> None:
        from projects import events as ev

        self._flush_timer.stop()
        pending, self._pending_events = self._pending_events, []
        dashboard = self.ensure_dashboard()
        for event in pending:
            dashboard.handle(event)
            if isinstance(event, ev.Failed) and event.node_id in self.editor.project.nodes:
                self.scene.select_nodes([event.node_id])  # the guilty block, on the canvas
        dashboard.draw_now()  # one draw for the lot

    def _on_training_finished(self, result) -> None:
        from projects import events as ev

        self._flush_training_events()
        self._update_training_actions()
        self.runs.refresh()
        if isinstance(result, ev.Failed):
            self.statusBar().showMessage(f"Training failed: {result.message}", 8000)
        else:
            self.statusBar().showMessage(f"Training {result.status}", 5000)

    def _mark_run_differs(self, _event=None) -> None:
        if self.session.running and self.editor.project.revision != self._run_revision:
            self.run_note.setText("The model has changed since this run started; the run "
                                  "goes on training the model as it was when you pressed "
                                  "Train.")
            self.run_note.show()

    def _update_training_actions(self) -> None:
        running = self.session.running
        self.train_action.setEnabled(not running)
        self.stop_action.setEnabled(running)
        self.pause_action.setEnabled(running)
        self.pause_action.setChecked(running and self.session.paused)
        self.pause_action.setText("&Resume" if self.session.paused else "&Pause")

    def _show_runs(self, folders: list[Path]) -> None:
        from projects.runs import read_history

        if self.session.running:
            return  # the live run keeps the curves
        self.ensure_dashboard().show_history({f.name: read_history(f) for f in folders})

    # ---- help

    def show_reference(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Block reference")
        dialog.resize(900, 600)
        palette = BlockPalette()
        page = BlockHelp()
        palette.blockSelected.connect(page.show_block)
        layout = QVBoxLayout(dialog)
        from PySide6.QtWidgets import QSplitter

        splitter = QSplitter()
        splitter.addWidget(palette)
        splitter.addWidget(page)
        splitter.setSizes([260, 640])
        layout.addWidget(splitter)
        first = palette.tree.topLevelItem(0).child(0)
        palette.tree.setCurrentItem(first)
        dialog.show()
        self._reference = dialog

    def _about(self) -> None:
        QMessageBox.about(
            self, "About Deepwire",
            "<h3>Deepwire</h3><p>Build, train and understand deep-learning models without "
            "writing code: drag blocks, wire them, watch them learn.</p>")
