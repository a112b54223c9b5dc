"""Past runs of the open project, read from its run folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from projects.runs import list_runs

RUN_ROLE = Qt.ItemDataRole.UserRole
STATUS_COLOURS = {"completed": "#16a34a", "stopped": "#d97706", "failed": "#dc2626"}


def _metrics_text(metrics: dict[str, float], test: dict[str, float] | None = None) -> str:
    """The test figure first (the one to trust), then two of the final metrics."""
    keys = [k for k in ("val_accuracy", "accuracy", "val_loss", "loss", "g_loss", "d_loss")
            if k in metrics][:2]
    first = [f"test_{k} {test[k]:.3f}" for k in ("accuracy", "loss", "mae")
             if k in (test or {})][:1]
    return "  ".join(first + [f"{k} {metrics[k]:.3f}" for k in keys])


class RunsPanel(QWidget):
    """A list of runs; select one to see its curves, two to overlay them."""

    runsSelected = Signal(list)  # list[Path]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs_dir: Path | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Run", "Status", "Result"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.empty = QLabel("No runs yet: press Train (F5).", wordWrap=True)
        self.empty.setStyleSheet("color: #64748b")
        self.open_button = QPushButton("Open Folder")
        self.logs_button = QPushButton("TensorBoard Logs")
        self.open_button.clicked.connect(lambda: self._open("."))
        self.logs_button.clicked.connect(lambda: self._open("tensorboard"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.logs_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        title = QLabel("<b>Runs</b> <span style='color:#64748b'>(Ctrl-click two to "
                       "compare)</span>")
        layout.addWidget(title)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self._on_selection()

    def set_runs_dir(self, runs_dir: Path | None) -> None:
        self.runs_dir = runs_dir
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        runs = list_runs(self.runs_dir) if self.runs_dir else []
        for run in runs:
            result = _metrics_text(run.final_metrics, run.test_metrics)
            item = QTreeWidgetItem([run.name, run.status, result])
            item.setData(0, RUN_ROLE, str(run.folder))
            item.setForeground(1, Qt.GlobalColor.black)
            colour = STATUS_COLOURS.get(run.status)
            if colour:
                from PySide6.QtGui import QColor

                item.setForeground(1, QColor(colour))
            item.setToolTip(0, str(run.folder))
            self.tree.addTopLevelItem(item)
        for column in range(3):
            self.tree.resizeColumnToContents(column)
        self.empty.setVisible(not runs)
        self.tree.setVisible(bool(runs))

    def selected_runs(self) -> list[Path]:
        return [Path(i.data(0, RUN_ROLE)) for i in self.tree.selectedItems()]

    def select_run(self, folder: Path | None = None) -> None:
        """Select ``folder`` (default: the newest run) without asking for its curves, so a
        run that has just ended keeps the dashboard as it is while Open Folder works, for
        a failed run too (its folder holds error.txt)."""
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        item = next((i for i in items if folder is None or Path(i.data(0, RUN_ROLE)) == folder),
                    None)
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
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
