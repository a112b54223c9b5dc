"""The inspector's pages for selected blocks: one block (title, parameters, input and
output shapes, parameter count, problems) or several (how many, their parameters in
total)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.editor import Editor
from app.fields import (
    Field,
    add_row,
    form_layout,
    label_width_for,
    param_field,
    section,
    text_label,
)
from app.icons import category_icon
from blocks.spec import Port, format_shape
from projects.document import DocumentEvent, LinkAdded, LinkRemoved, NodeChanged
from projects.text import count_text

PENDING = "pending…"


# ----------------------------------------------------------------------------- block page


class _Rows(QWidget):
    """Label/value rows rebuilt on each refresh (ports and their shapes)."""

    def __init__(self, label_width: int) -> None:
        super().__init__()
        self.form = form_layout(label_width)
        self.form.setContentsMargins(0, 6, 0, 0)
        self.form.setVerticalSpacing(4)
        self.setLayout(self.form)

    def set_rows(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """(name, value, tooltip, role of the value) per row."""
        while self.form.rowCount():
            self.form.removeRow(0)
        width = self.form.property("labelWidth")
        for name, value, tooltip, role in rows:
            label = QLabel(name)
            label.setMinimumWidth(width)
            label.setToolTip(tooltip)
            shown = text_label(value, role)
            shown.setToolTip(tooltip)
            self.form.addRow(label, shown)

    def texts(self) -> dict[str, str]:
        """What each row says, by name (for tests and accessibility)."""
        items = [self.form.itemAt(i, role) for i in range(self.form.rowCount())
                 for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole)]
        widgets = [item.widget() for item in items]
        return {widgets[i].text(): widgets[i + 1].text() for i in range(0, len(widgets), 2)}


def page_head(layout: QVBoxLayout, icon: QIcon, heading: str, subtitle: str
              ) -> tuple[QLabel, QLabel]:
    """A page's icon, large heading and caption line; returns the two labels."""
    head = QHBoxLayout()
    head.setSpacing(10)
    picture = QLabel()
    picture.setPixmap(icon.pixmap(32, 32))
    picture.setAlignment(Qt.AlignmentFlag.AlignTop)
    head.addWidget(picture)
    titles = QVBoxLayout()
    titles.setSpacing(1)
    title = text_label(heading, "heading")
    font = title.font()
    font.setPointSizeF(font.pointSizeF() * 1.3)
    title.setFont(font)
    titles.addWidget(title)
    caption = text_label(subtitle, "caption")
    titles.addWidget(caption)
    head.addLayout(titles, 1)
    layout.addLayout(head)
    return title, caption


def port_sections(layout: QVBoxLayout, label_width: int) -> tuple[_Rows, _Rows]:
    """The Inputs and Outputs sections, whose rows show what flows through each port."""
    rows = []
    for name in ("Inputs", "Outputs"):
        layout.addWidget(section(name))
        rows.append(_Rows(label_width))
        layout.addWidget(rows[-1])
    return rows[0], rows[1]


def tensor_text(info: Any) -> str:
    text = format_shape(info.shape)
    extras = [e for e in (info.dtype if info.dtype != "float32" else "",
                          "sparse" if info.sparse else "") if e]
    return f"{text}  {' '.join(extras)}" if extras else text


def _port_tip(port: Port) -> str:
    kind = "" if port.kind == "tensor" else f" ({port.kind})"
    return f"{port.name}{kind}: {port.doc}" if port.doc else port.name + kind


class BlockPage(QWidget):
    """One block: title, parameters, input/output shapes, parameter count, problems."""

    def __init__(self, editor: Editor, node_id: str) -> None:
        super().__init__()
        self.editor, self.node_id = editor, node_id
        node = editor.project.node(node_id)
        spec = node.spec
        self.fields: dict[str, Field] = {}
        width = label_width_for(["Title", *(p.name for p in spec.params),
                              *(p.name for p in node.input_ports()),
                              *(p.name for p in spec.output_ports()), "Parameters"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(0)

        self.heading, self.subtitle = page_head(
            layout, category_icon(spec.category), spec.title,
            f"{spec.category} · {spec.id} · {node_id}")
        self.doc = text_label(spec.doc, "caption")
        self.doc.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.doc)

        form = form_layout(width)
        self.title_edit = QLineEdit(placeholderText=spec.title)
        self.title_edit.setToolTip("A name for this block on the canvas; empty shows the "
                                   "block type.")
        self.title_edit.editingFinished.connect(self._apply_title)
        add_row(form, "Title", self.title_edit, self.title_edit.toolTip())
        layout.addLayout(form)

        layout.addWidget(section("Parameters"))
        if spec.params:
            params = form_layout(width)
            for param in spec.params:
                field = param_field(param, lambda v, name=param.name: self._apply(name, v))
                self.fields[param.name] = field
                add_row(params, param.name, field, param.help)
            layout.addLayout(params)
        else:
            none = text_label("This block has no parameters.", "caption")
            none.setContentsMargins(0, 6, 0, 0)
            layout.addWidget(none)

        self.inputs, self.outputs = port_sections(layout, width)
        self.pending_note = text_label("Shapes and parameter counts appear once TensorFlow has "
                                   "loaded.", "caption")
        self.pending_note.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.pending_note)
        self.problems_header = section("Problems")
        layout.addWidget(self.problems_header)
        self.problems = QWidget()
        self._problems = QVBoxLayout(self.problems)
        self._problems.setContentsMargins(0, 6, 0, 0)
        self._problems.setSpacing(4)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        self.refresh_values(force=True)
        self.on_report_changed()

    # ---- editing

    def _apply(self, name: str, value: Any) -> None:
        self.editor.set_param(self.node_id, name, value)

    def _apply_title(self) -> None:
        if self.node_id in self.editor.project.nodes:  # focus can leave as the block goes
            self.editor.set_title(self.node_id, self.title_edit.text().strip() or None)

    # ---- following the document

    def refresh_values(self, force: bool = False) -> None:
        node = self.editor.project.node(self.node_id)
        if (self.title_edit.text().strip() or None) != node.title:
            self.title_edit.setText(node.title or "")
        for name, field in self.fields.items():
            field.show_value(node.params[name], force)

    def on_document_changed(self, event: DocumentEvent) -> None:
        if isinstance(event, NodeChanged) and event.new.id == self.node_id:
            self.refresh_values()
            self.on_report_changed()  # ports may come and go (a merge block's inputs)
        elif isinstance(event, LinkAdded | LinkRemoved) and self.node_id in (
                event.link.source, event.link.target):
            self.on_report_changed()

    def on_report_changed(self) -> None:
        project, report = self.editor.project, self.editor.report
        node = project.node(self.node_id)
        result = None if report is None else report.shapes.get(self.node_id)
        inputs = []
        for port in node.input_ports():
            link = project.link_into(self.node_id, port.name)
            tip = _port_tip(port)
            if link is None:
                text = "optional, not connected" if port.optional else "not connected"
                inputs.append((port.name, text, tip, "caption"))
                continue
            tip += f"\nFrom {project.node(link.source).label}, output '{link.source_port}'"
            source = None if report is None else report.shapes.get(link.source)
            info = None if source is None else source.outputs.get(link.source_port)
            inputs.append((port.name, PENDING if source is None else (
                tensor_text(info) if info else "unknown: the block before has a problem"),
                tip, "caption" if info is None else ""))
        if not inputs:
            inputs.append(("", "none: data starts here", "", "caption"))
        self.inputs.set_rows(inputs)
        outputs = []
        for port in node.output_ports():
            if result is None:
                text, role = PENDING, "caption"
            elif result.waiting:
                text, role = "waiting for its inputs", "caption"
            elif port.name not in result.outputs:
                text, role = "unknown", "caption"
            else:
                text, role = tensor_text(result.outputs[port.name]), ""
            outputs.append((port.name, text, _port_tip(port), role))
        if result is None:
            count, role = PENDING, "caption"
        else:
            count, role = count_text(result.params), ""
            if result.trainable_params != result.params:
                count += f" ({count_text(result.trainable_params)} trainable)"
        outputs.append(("Parameters", count, "Weights this block learns", role))
        self.outputs.set_rows(outputs)
        self.pending_note.setVisible(report is None)
        self._show_problems([] if report is None else report.for_node(self.node_id))

    def _show_problems(self, issues: list) -> None:
        while self._problems.count():
            self._problems.takeAt(0).widget().deleteLater()
        for issue in sorted(issues, key=lambda i: i.severity != "error"):
            mark = "●" if issue.severity == "error" else "▲"
            self._problems.addWidget(text_label(f"{mark} {issue.message}", issue.severity))
        self.problems_header.setVisible(bool(issues))
        self.problems.setVisible(bool(issues))

    def problem_texts(self) -> list[str]:
        return [self._problems.itemAt(i).widget().text() for i in range(self._problems.count())]


# ----------------------------------------------------------------------------- several blocks


class SelectionPage(QWidget):
    """Several blocks: how many, which, and their parameters in total."""

    def __init__(self, editor: Editor, node_ids: list[str]) -> None:
        super().__init__()
        self.editor, self.node_ids = editor, node_ids
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(6)
        self.heading = text_label(f"{len(node_ids)} blocks selected", "heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.names = text_label("", "caption")
        layout.addWidget(self.names)
        self.total = text_label()
        layout.addWidget(self.total)
        layout.addStretch(1)
        self.on_report_changed()

    def on_document_changed(self, event: DocumentEvent) -> None:
        if isinstance(event, NodeChanged) and event.new.id in self.node_ids:
            self.on_report_changed()

    def on_report_changed(self) -> None:
        nodes = self.editor.project.nodes
        self.names.setText(", ".join(nodes[i].label for i in self.node_ids if i in nodes))
        report = self.editor.report
        if report is None:
            self.total.setText(f"Parameters: {PENDING}")
            return
        total = sum(report.shapes[i].params for i in self.node_ids if i in report.shapes)
        self.total.setText(f"Parameters: {count_text(total)} in total")
