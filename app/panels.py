"""The problems list and the model summary, both read off the editor's validation report."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.editor import Editor
from blocks.spec import format_shape
from projects.datasets import registry
from projects.document import TASK_TITLES
from projects.text import count_noun, count_text

NODE_ROLE = Qt.ItemDataRole.UserRole
ISSUE_ROLE = Qt.ItemDataRole.UserRole + 1
ERROR_COLOUR = "#dc2626"
WARNING_COLOUR = "#d97706"


def _dot(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class ProblemsPanel(QListWidget):
    """Errors first, then warnings; clicking one asks to select and centre its block.
    A problem with an obvious repair says so on a second line: double-click it (or use
    its context menu) to apply the fix, as one undo step."""

    nodeRequested = Signal(str)

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self._icons = {"error": _dot(ERROR_COLOUR), "warning": _dot(WARNING_COLOUR)}
        editor.reportChanged.connect(self.refresh)
        editor.documentReplaced.connect(self.refresh)
        editor.stateChanged.connect(self.refresh)
        self.itemClicked.connect(self._on_clicked)
        self.itemActivated.connect(self._on_activated)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        report = self.editor.report
        if report is None:
            item = QListWidgetItem("Checking the model once TensorFlow has loaded…")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
            return
        issues = sorted(report.issues, key=lambda i: i.severity != "error")
        for issue in issues:
            text = issue.message
            tip = f"{issue.severity.title()}: {issue.message}"
            if issue.fix is not None:
                text += f"\n→ Fix: {issue.fix.title} (double-click)"
                tip += f"\nDouble-click to fix: {issue.fix.title}"
            item = QListWidgetItem(self._icons[issue.severity], text)
            item.setData(NODE_ROLE, issue.node_id)
            item.setData(ISSUE_ROLE, issue)
            item.setToolTip(tip)
            self.addItem(item)
        if not issues:
            item = QListWidgetItem("No problems: the model is valid.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(item)

    def _on_clicked(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id and node_id in self.editor.project.nodes:
            self.nodeRequested.emit(node_id)

    def _on_activated(self, item: QListWidgetItem) -> None:
        issue = item.data(ISSUE_ROLE)
        if issue is not None and issue.fix is not None:
            self.apply_fix(issue.fix)
        else:
            self._on_clicked(item)

    def context_menu(self, item: QListWidgetItem) -> QMenu:
        """What a right-click on a problem offers: its fix, and showing its block."""
        menu = QMenu(self)
        issue = item.data(ISSUE_ROLE)
        if issue is not None and issue.fix is not None:
            fix = issue.fix
            menu.addAction(f"Fix: {fix.title}", lambda: self.apply_fix(fix))
        node_id = item.data(NODE_ROLE)
        if node_id and node_id in self.editor.project.nodes:
            menu.addAction("Show the block", lambda: self.nodeRequested.emit(node_id))
        return menu

    def _on_context_menu(self, position) -> None:
        item = self.itemAt(position)
        if item is not None and item.data(ISSUE_ROLE) is not None:
            self.context_menu(item).popup(self.viewport().mapToGlobal(position))

    def apply_fix(self, fix) -> None:
        """Apply ``fix`` as one undo step; say why if the model changed under it."""
        from projects.document import DocumentError

        try:
            self.editor.apply_fix(fix)
        except DocumentError as err:
            QMessageBox.warning(self, "Cannot fix", f"{fix.title}: {err}")


class SummaryPanel(QWidget):
    """Total parameters, inputs and outputs with their shapes, the task and validity, and
    what one epoch will cost, as the background dry run measured it."""

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.label = QLabel(textFormat=Qt.TextFormat.RichText, wordWrap=True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(10, 8, 10, 8)
        inner.addWidget(self.label)
        inner.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)  # a dry run's failure and hint may need more room
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.checking = False
        self.dry_run = None  # the estimator's DryRunResult for the current revision
        for signal in (editor.reportChanged, editor.documentReplaced, editor.documentChanged,
                       editor.stateChanged):
            signal.connect(self.refresh)
        self.refresh()

    def set_estimate(self, checking: bool, result) -> None:
        self.checking, self.dry_run = checking, result
        self.refresh()

    def refresh(self, *_args) -> None:
        result = self.dry_run
        if result is not None and result.revision != self.editor.project.revision:
            result = None  # edited since: the estimate is for a model no longer shown
        self.label.setText(summary_html(self.editor, estimate_html(self.checking, result)))


def estimate_html(checking: bool, result) -> str:
    """The summary's "Training" row: the dry run's estimate, its failure, or nothing yet."""
    if result is not None and result.ok and result.estimate:
        return f"<b>{html.escape(result.estimate)}</b>"
    if result is not None and not result.ok:
        return (f"<span style='color:{ERROR_COLOUR}'>one batch fails: "
                f"{html.escape(result.message)}</span><br>"
                f"<span style='color:#64748b'>{html.escape(result.hint)}</span>")
    return "<i>measuring one batch…</i>" if checking else ""


def summary_html(editor: Editor, estimate: str = "") -> str:
    project, report = editor.project, editor.report
    esc = html.escape
    nodes = project.nodes
    rows = [("Task", TASK_TITLES.get(project.task.get("kind"), "?")),
            ("Blocks", f"{count_noun(len(nodes), 'block')}, "
                       f"{count_noun(len(project.links), 'wire')}")]
    if report is None:
        rows.append(("Parameters", "pending (TensorFlow is loading)"))
    else:
        trainable = sum(s.trainable_params for s in report.shapes.values())
        rows.append(("Parameters", f"<b>{count_text(report.total_params)}</b> "
                                      f"({count_text(trainable)} trainable)"))
        state = (f"<span style='color:{ERROR_COLOUR}'>"
                 f"{count_noun(len(report.errors), 'error')}</span>"
                 if report.errors else "<span style='color:#16a34a'>valid</span>")
        if report.warnings:
            warnings = count_noun(len(report.warnings), "warning")
            state += f", <span style='color:{WARNING_COLOUR}'>{warnings}</span>"
        rows.append(("Status", state))
    dataset = project.dataset.get("name")
    spec = registry.get(dataset) if dataset else None
    title = spec.title if spec is not None else dataset  # an unknown name shows as written
    rows.append(("Dataset", esc(title) if dataset else "<i>none chosen</i>"))

    def port_lines(kinds: tuple[str, ...], port: str | None) -> str:
        lines = []
        for node_id in sorted(nodes):
            node = nodes[node_id]
            if node.block not in kinds:
                continue
            shape = "…"
            if report is not None:
                info = report.shapes.get(node_id)
                name = port or node.output_ports()[0].name
                tensor = info.outputs.get(name) if info else None
                shape = format_shape(tensor.shape) if tensor else "?"
            lines.append(f"{esc(node.label)} <span style='color:#64748b'>{shape}</span>")
        return "<br>".join(lines) or "<i>none</i>"

    rows.append(("Inputs", port_lines(("input", "latent_noise", "graph_input"), None)))
    rows.append(("Outputs", port_lines(("output", "generator_output", "discriminator_output"),
                                       "result")))
    if estimate:
        rows.append(("Training", estimate))
    cells = "".join(f"<tr><td style='color:#64748b;padding-right:10px' valign='top'>{k}</td>"
                    f"<td>{v}</td></tr>" for k, v in rows)
    return f"<table cellspacing='0' cellpadding='2'>{cells}</table>"
