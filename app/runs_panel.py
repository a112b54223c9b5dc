"""Past runs of the open project, read from its run folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.tensorboard import TensorBoardLauncher
from projects.runs import list_runs

RUN_ROLE = Qt.ItemDataRole.UserRole
STATUS_COLOURS = {"completed": "#16a34a", "stopped": "#d97706", "failed": "#dc2626",
                  "running": "#2563eb", "starting": "#2563eb", "not finished": "#6b7280"}
GAN_LOSSES = (("g_loss", "G loss"), ("d_loss", "D loss"))


def result_text(final: dict[str, float], test: dict[str, float] | None = None
                ) -> tuple[str, str]:
    """A run's result in a few words, and every figure for the tooltip.

    Accuracy where the run measures it ("test 81.2 % · val 80.0 %"), else the loss
    ("test loss 0.412 · val loss 0.398"), the test figure first: it is the one to trust.
    """
    test = test or {}

    def accuracy(metrics: dict[str, float], prefix: str = "") -> float | None:
        key = next((k for k in metrics if k.startswith(prefix) and k.endswith("accuracy")
                    and (prefix or not k.startswith("val_"))), None)
        return None if key is None else metrics[key]

    parts = []
    figures = [("test", accuracy(test)), ("val", accuracy(final, "val_")),
               ("train", accuracy(final))]
    found = [(name, value) for name, value in figures if value is not None]
    if found:
        parts = [f"{name} {value * 100:.1f} %" for name, value in found[:2]]
    elif any(k in final for k, _ in GAN_LOSSES):
        parts = [f"{label} {final[k]:.3g}" for k, label in GAN_LOSSES if k in final]
    else:
        losses = [("test loss", test.get("loss")), ("val loss", final.get("val_loss")),
                  ("loss", final.get("loss"))]
        parts = [f"{name} {value:.3g}" for name, value in losses if value is not None][:2]
    lines = []
    if test:
        lines.append("Test: " + ", ".join(f"{k} {v:.4g}" for k, v in sorted(test.items())))
    if final:
        lines.append("Last epoch: " + ", ".join(f"{k} {v:.4g}" for k, v in
                                                sorted(final.items())))
    return " · ".join(parts), "\n".join(lines) or "No figures: the run ended before an epoch"


class ElidedLabel(QLabel):
    """One line of text, elided in the middle when narrow; the whole text is the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setMinimumWidth(40)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle,
                                                   max(self.width(), 40)))


class RunsPanel(QWidget):
    """A list of runs, the current one first; select one to see its curves, two to overlay
    them."""

    runsSelected = Signal(list)  # list[Path]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs_dir: Path | None = None
        self.live_run: Path | None = None  # the folder of the run going on, once known
        self.starting = False  # Train was pressed; the run's folder is not known yet
        self.unsaved = False  # the project has no file: its runs go to a folder of its own
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Run", "Status", "Result"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.where = ElidedLabel()
        self.where.setStyleSheet("color: #64748b")
        self.empty = QLabel("No runs yet: press Train (F5).", wordWrap=True)
        self.empty.setStyleSheet("color: #64748b")
        self.open_button = QPushButton("Open Folder")
        self.logs_button = QPushButton("TensorBoard")
        self.logs_button.setToolTip("Start TensorBoard on the selected run's logs and open it "
                                    "in the browser")
        self.open_button.clicked.connect(lambda: self._open("."))
        self.logs_button.clicked.connect(self._open_tensorboard)
        self.tensorboard = TensorBoardLauncher(self)
        self.tensorboard.failed.connect(self._tensorboard_failed)
        self.message_box: QMessageBox | None = None  # the last problem shown
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.logs_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        title = QLabel("<b>Runs</b> <span style='color:#64748b'>(Ctrl-click two to "
                       "compare)</span>")
        layout.addWidget(title)
        layout.addWidget(self.where)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self._on_selection()

    def set_runs_dir(self, runs_dir: Path | None, unsaved: bool = False) -> None:
        self.runs_dir = runs_dir
        self.unsaved = unsaved
        where = "" if runs_dir is None else str(runs_dir).replace(str(Path.home()), "~", 1)
        self.where.set_full_text(f"Runs go to {where}" + (
            " (this unsaved project's own folder)" if unsaved else ""))
        self.refresh()

    def run_starting(self) -> None:
        """Train was pressed: the run shows at once, first and selected, as starting."""
        self.starting, self.live_run = True, None
        self.refresh()

    def run_started(self, folder: Path) -> None:
        """The run has its folder (its run.json says "running" until it ends)."""
        self.starting, self.live_run = False, folder
        self.refresh()

    def run_ended(self) -> None:
        self.starting, self.live_run = False, None
        self.refresh()

    def refresh(self) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        runs = list_runs(self.runs_dir) if self.runs_dir else []
        live = None
        for run in runs:
            status = run.status
            if status == "running" and run.folder != self.live_run:
                status = "not finished"  # its process ended without saying how
            result, figures = result_text(run.final_metrics, run.test_metrics)
            item = QTreeWidgetItem([run.name, status, result])
            item.setData(0, RUN_ROLE, str(run.folder))
            item.setForeground(1, QColor(STATUS_COLOURS.get(status, "#111827")))
            item.setToolTip(0, str(run.folder))
            item.setToolTip(1, "The run ended without writing its result: the app or the "
                            "process training it stopped first" if status == "not finished"
                            else status)
            item.setToolTip(2, figures if status != "running" else "Training")
            if run.folder == self.live_run:
                live = item
            else:
                self.tree.addTopLevelItem(item)
        if self.starting:
            live = QTreeWidgetItem(["New run", "starting", ""])
            live.setForeground(1, QColor(STATUS_COLOURS["starting"]))
            live.setToolTip(1, "Loading the data and building the model")
        if live is not None:
            self.tree.insertTopLevelItem(0, live)
            live.setSelected(True)
            self.tree.setCurrentItem(live)
        self.tree.blockSignals(False)
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        self.empty.setVisible(self.tree.topLevelItemCount() == 0)
        self._update_buttons()

    def selected_runs(self) -> list[Path]:
        return [Path(i.data(0, RUN_ROLE)) for i in self.tree.selectedItems()
                if i.data(0, RUN_ROLE)]

    def select_run(self, folder: Path | None = None) -> None:
        """Select ``folder`` (default: the newest run) without asking for its curves, so a
        run that has just ended keeps the dashboard as it is while Open Folder works, for
        a failed run too (its folder holds error.txt)."""
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        item = next((i for i in items if i.data(0, RUN_ROLE) and (
            folder is None or Path(i.data(0, RUN_ROLE)) == folder)), None)
        if item is None:
            return
        self.tree.blockSignals(True)
        self.tree.clearSelection()
        item.setSelected(True)
        self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected_runs()
        one = len(chosen) == 1
        self.open_button.setEnabled(one)
        self.logs_button.setEnabled(one and (chosen[0] / "tensorboard").is_dir())

    def _on_selection(self) -> None:
        chosen = self.selected_runs()
        self._update_buttons()
        if chosen:
            self.runsSelected.emit(chosen[:2])

    def _open(self, sub: str) -> None:
        chosen = self.selected_runs()
        if chosen:
            target = (chosen[0] / sub).resolve()
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
                self._show_problem("Cannot open the folder",
                                   f"No application opened {target}.")

    def _open_tensorboard(self) -> None:
        chosen = self.selected_runs()
        if chosen:
            self.tensorboard.watch_window(self.window())
            self.tensorboard.open(chosen[0] / "tensorboard")

    def _tensorboard_failed(self, message: str) -> None:
        self._show_problem("TensorBoard", message)

    def _show_problem(self, title: str, message: str) -> None:
        """A message box that does not block: the panel goes on while it shows."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda *_: setattr(self, "message_box", None))
        self.message_box = box
        box.open()
