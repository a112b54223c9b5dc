"""Deepwire's main window: palette, canvas, inspector, problems, summary and history.

The window is the composition root: it builds the views and docks and wires them to the
editor. Its actions and menus (``window_actions``), file commands (``file_commands``) and
training controller (``training_controller``) are mixins kept in their own modules.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from app.autosave import AutoSaver
from app.breadcrumb import Breadcrumb
from app.canvas.levels import LevelNavigator, place_boundary
from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView
from app.context_menus import ContextMenus
from app.editor import Editor, open_shape_cache
from app.file_commands import FileCommands
from app.icons import icon
from app.inspector import Inspector
from app.library_actions import LibraryActions
from app.palette import BLOCK_ID_ROLE, BlockHelp, BlockPalette
from app.panels import ProblemsPanel, SummaryPanel
from app.training_controller import TrainingController
from app.window_actions import WindowActions
from projects import clipboard
from projects.document import DocumentError, is_group_id
from projects.text import count_noun

ESSENTIAL_DOCKS = ("palette", "inspector")  # without them no block can be added or edited


class MainWindow(WindowActions, FileCommands, TrainingController, QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.editor = Editor(self, shape_cache=open_shape_cache())
        self.setWindowIcon(icon("deepwire"))
        self.resize(1400, 860)
        self.setDockNestingEnabled(True)

        self.scene = CanvasScene(self.editor)
        self.view = CanvasView(self.scene)
        self.navigator = LevelNavigator(self.scene, self.view, self)
        self.breadcrumb = Breadcrumb(self.navigator, self.view)
        self._init_training()
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

    def _connect(self) -> None:
        editor = self.editor
        editor.stateChanged.connect(self._update_title)
        editor.reportChanged.connect(self._update_validity)
        editor.documentReplaced.connect(self._update_validity)
        # the block count follows edits even before TensorFlow has loaded
        self._validity_timer = QTimer(self, singleShot=True, interval=0)
        self._validity_timer.timeout.connect(self._update_validity)
        editor.documentChanged.connect(lambda _event: self._validity_timer.start())
        self.scene.statusMessage.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.scene.selectionChangedIds.connect(self.inspector.show_nodes)
        self.palette.blockActivated.connect(self.add_block_from_palette)
        self.problems.nodeRequested.connect(self.reveal_node)
        self.scene.nodeActivated.connect(self._activate)
        self.view.leaveRequested.connect(self.navigator.up)
        self.context_menus = ContextMenus(self)
        self.library = LibraryActions(self)
        editor.documentReplaced.connect(lambda: QTimer.singleShot(0, self.view.fit_to_view))
        editor.documentReplaced.connect(self._update_runs_dir)
        self._connect_training()

    # ---- status

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.editor.display_name}[*] — Deepwire")
        self.setWindowModified(self.editor.dirty)

    def _update_validity(self) -> None:
        """The status bar's summary: "● 1 error · 2 blocks", "● Valid · 1 block · 80
        parameters", or the block count with "shapes pending" while TensorFlow loads."""
        report = self.editor.report
        blocks = count_noun(len(self.editor.project.nodes), "block")
        if report is None:
            text = f"{blocks} · shapes pending"
        elif report.errors:
            text = (f"<span style='color:#dc2626'>● {count_noun(len(report.errors), 'error')}"
                    f"</span> · {blocks}")
        else:
            text = (f"<span style='color:#16a34a'>● Valid</span> · {blocks} · "
                    f"{count_noun(report.total_params, 'parameter')}")
        self.validity_label.setText(text)

    def tensorflow_loaded(self, description: str) -> None:
        self.tensorflow_label.setText(description)
        self.editor.set_tensorflow_ready()

    def tensorflow_failed(self, message: str) -> None:
        self.tensorflow_label.setText("TensorFlow unavailable")
        QMessageBox.warning(self, "Deepwire", f"{message}\n\nYou can still edit projects; "
                            "shapes and training need a working TensorFlow.")

    # ---- editing

    def selected_ids(self) -> list[str]:
        return self.scene.selected_node_ids()

    def add_block_from_palette(self, block_id: str) -> None:
        node_id = self.editor.add_block_after(block_id, self.selected_ids(), self.scene.level)
        self.scene.select_nodes([node_id])
        self.view.center_on_node(node_id)

    def delete_selection(self) -> None:
        self.view.delete_selection()

    def select_all(self) -> None:
        self.scene.select_nodes(self.editor.project.members(self.scene.level))

    def copy(self) -> None:
        self.view.copy_selection()

    def cut(self) -> None:
        self.view.cut_selection()

    def paste(self, at: QPointF | None = None) -> None:
        """Paste the clipboard's blocks at ``at`` (a scene point, as a menu at a place
        knows it), else at the mouse over the canvas, else beside the copied blocks."""
        mime = QGuiApplication.clipboard().mimeData()
        text = ""
        if mime.hasFormat(clipboard.MIME_TYPE):
            text = bytes(mime.data(clipboard.MIME_TYPE).data()).decode("utf-8")
        elif mime.hasText():
            text = mime.text()
        try:
            self.view.paste(text, at)
        except (clipboard.FragmentError, DocumentError) as err:
            self.statusBar().showMessage(str(err), 5000)

    def auto_layout(self) -> None:
        self.editor.auto_layout(self.scene.item_sizes(), self.scene.level)
        place_boundary(self.scene)
        self.view.fit_to_view()

    def reveal_node(self, node_id: str) -> None:
        """Show a block where it is: inside its group, opened, if it sits in one."""
        if node_id not in self.editor.project.nodes:
            return
        self.central_tabs.setCurrentWidget(self.view)
        self.navigator.go(self.editor.project.parent_of(node_id))
        self.scene.select_nodes([node_id])
        self.view.center_on_node(node_id)

    # ---- groups

    def group_selection(self) -> str | None:
        """Group the selected blocks and groups (Ctrl+G) and select the group."""
        try:
            group_id = self.editor.group(self.selected_ids())
        except DocumentError as err:
            self.statusBar().showMessage(str(err), 5000)
            return None
        self.scene.select_nodes([group_id])
        return group_id

    def ungroup_selection(self) -> list[str]:
        """Ungroup the selected groups (Ctrl+Shift+G), selecting what was in them."""
        groups = [i for i in self.selected_ids() if is_group_id(i)]
        if not groups:
            self.statusBar().showMessage("Select a group to ungroup", 5000)
            return []
        members: list[str] = []
        stack = self.editor.undo_stack
        if len(groups) > 1:
            stack.beginMacro(f"Ungroup {len(groups)} groups")
        try:
            for group_id in groups:
                members += self.editor.ungroup(group_id)
        finally:
            if len(groups) > 1:
                stack.endMacro()
        self.scene.select_nodes(members)
        return members

    def open_group(self) -> None:
        """Open the one selected group for editing."""
        groups = [i for i in self.selected_ids() if is_group_id(i)]
        if len(groups) == 1:
            self.navigator.enter(groups[0])

    def _activate(self, item_id: str) -> None:
        """A double-click: a group opens, a block shows in the inspector."""
        if is_group_id(item_id):
            self.navigator.enter(item_id)
        else:
            self._focus_inspector(item_id)

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
        if isinstance(state, QByteArray) and not self.restoreState(state):
            self.restoreState(self._default_state)  # unreadable: the default layout
        self._repair_layout()

    def _repair_layout(self) -> None:
        """Whatever layout was saved, blocks can be added and edited: the palette, the
        inspector and the toolbar show, and a floating panel off every screen docks again."""
        for key in ESSENTIAL_DOCKS:
            dock = self.docks[key]
            if dock.isFloating() and QGuiApplication.screenAt(
                    dock.geometry().center()) is None:
                dock.setFloating(False)
            if not dock.isVisibleTo(self):
                dock.show()
        if not self.toolbar.isVisibleTo(self):
            self.toolbar.show()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()
        self._editor_state = None  # every panel shows now, on either tab: save it so

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
        if self.session.estimator is not None:
            self.session.estimator.close()
        self.close_training_views()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.editor_layout_state())
        self.autosaver.discard()
        self.editor.close()
        event.accept()

    # ---- help

    def show_reference(self, block_id: str | None = None) -> None:
        """The block reference, open at ``block_id`` (default: the first block)."""
        dialog = QDialog(self)
        dialog.setWindowTitle("Block reference")
        dialog.resize(900, 600)
        palette = BlockPalette()
        page = BlockHelp()
        palette.blockSelected.connect(page.show_block)
        layout = QVBoxLayout(dialog)

        splitter = QSplitter()
        splitter.addWidget(palette)
        splitter.addWidget(page)
        splitter.setSizes([260, 640])
        layout.addWidget(splitter)
        entries = [palette.tree.topLevelItem(i).child(j)
                   for i in range(palette.tree.topLevelItemCount())
                   for j in range(palette.tree.topLevelItem(i).childCount())]
        shown = next((e for e in entries if e.data(0, BLOCK_ID_ROLE) == block_id), entries[0])
        palette.tree.setCurrentItem(shown)
        dialog.show()
        self._reference = dialog

    def _about(self) -> None:
        QMessageBox.about(
            self, "About Deepwire",
            "<h3>Deepwire</h3><p>Build, train and understand deep-learning models without "
            "writing code: drag blocks, wire them, watch them learn.</p>")
