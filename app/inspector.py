"""The inspector: edits what is selected, generated from the blocks' parameter specs.

One block selected: its title, one editor per parameter (by type: number fields with
limits, combo boxes, check boxes, shape fields), checked as you type — a value the spec
refuses turns the field red with the reason under it and is not applied — then the shapes
of its inputs and outputs, its parameter count and its problems. Nothing selected: the
project's name, task, dataset (with a preview) and training settings. Several selected:
how many and their parameter count.

Every change goes through the Editor, so each is one undo command. The pages follow the
editor's signals, so undo and edits made elsewhere show up here; a field is rewritten
only when the document's value differs from what it shows, and only user actions
(``textEdited``, ``clicked``, ``activated``) apply values, so showing never edits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.dataset_panel import (
    DATASET_TITLES,
    DOWNLOADS,
    FILE_FILTERS,
    FILE_KINDS,
    READY_MADE,
    DatasetField,
    DatasetPreview,
    FileKind,
    fields_for,
    file_kind_of,
    spec_for_file,
)
from app.editor import Editor
from app.icons import category_icon
from app.panels import ERROR_COLOUR, WARNING_COLOUR
from blocks.spec import Param, ParamError, Port, format_shape
from projects.document import (
    OPTIMIZERS,
    TASK_KINDS,
    DocumentError,
    DocumentEvent,
    LinkAdded,
    LinkRemoved,
    NodeChanged,
    NodeRemoved,
    SettingsChanged,
    check_training,
)

CAPTION_COLOUR = "#64748b"
REFUSED = (ParamError, DocumentError)  # what a field shows in red instead of applying
PENDING = "pending…"

STYLE = f"""
QLabel[role="caption"] {{ color: {CAPTION_COLOUR}; }}
QLabel[role="error"] {{ color: {ERROR_COLOUR}; }}
QLabel[role="warning"] {{ color: {WARNING_COLOUR}; }}
QLabel[role="section"] {{
    color: #334155; font-weight: 600;
    padding: 14px 0 4px 0; border: 0px solid #cbd5e1; border-bottom-width: 1px;
}}
QLabel[role="heading"] {{ font-weight: 600; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"] {{
    border: 1px solid {ERROR_COLOUR}; border-radius: 3px; background: #fef2f2;
    padding: 2px 3px;
}}
"""

TASK_TITLES = {
    "supervised": "Supervised",
    "node_classification": "Node classification",
    "adversarial": "Adversarial (GAN)",
}
OPTIMIZER_TITLES = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}
# name -> (label, help, int or float, step of the arrow keys)
TRAINING_FIELDS: dict[str, tuple[str, str, type, int | None]] = {
    "epochs": ("Epochs", "Passes over the training data.", int, 1),
    "batch_size": ("Batch size", "Samples per training step.", int, 1),
    "learning_rate": ("Learning rate", "Step size of the optimizer; 0.001 suits Adam.",
                      float, None),
    "seed": ("Seed", "Fixes the shuffle, the split and the first weights, so a run can be "
             "repeated.", int, 1),
    "validation_split": ("Validation split", "Fraction of the samples held out to measure "
                         "how well the model generalises (0 keeps them all).", float, None),
}


# ----------------------------------------------------------------------------- little helpers


def _label(text: str = "", role: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text, wordWrap=wrap)
    if role:
        label.setProperty("role", role)
    if role in ("caption", "error", "warning"):
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _section(title: str) -> QLabel:
    label = _label(title, "section", wrap=False)
    label.setIndent(0)  # a styled border would otherwise indent the text
    return label


def _count(n: int) -> str:
    return f"{n:,}"  # 1,234,567 as the canvas and the summary write counts


def _number(value: float) -> str:
    """Shortest text that reads back as ``value`` (1e-06, 0.99, 10000)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    short = f"{value:g}"
    if float(short) != value:
        return repr(value)
    return short if any(c in short for c in ".en") else short + ".0"  # 0.0 reads as a float


def _form(label_width: int) -> QFormLayout:
    form = QFormLayout()
    form.setContentsMargins(0, 6, 0, 0)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(10)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setProperty("labelWidth", label_width)
    return form


@cache
def _line_height() -> int:
    return QLineEdit().sizeHint().height()


def _row_label(text: str, tooltip: str, width: int) -> QLabel:
    """A form label as tall as a line edit, so it lines up with the editor, not its caption."""
    label = QLabel(text)
    label.setToolTip(tooltip)
    label.setMinimumWidth(width)
    label.setFixedHeight(_line_height())
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return label


def _label_width(texts: Sequence[str]) -> int:
    """One width for every label of a page, so editors line up from section to section."""
    metrics = QFontMetrics(QFont())
    return min(150, max([metrics.horizontalAdvance(t) for t in texts] + [70]) + 4)


def _add_row(form: QFormLayout, text: str, field: QWidget, tooltip: str = "") -> None:
    form.addRow(_row_label(text, tooltip, form.property("labelWidth")), field)


# ----------------------------------------------------------------------------- fields


class _LineEdit(QLineEdit):
    """A line edit that steps numbers with the arrow keys or the wheel and reverts on Esc."""

    stepped = Signal(int)
    reverted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.stepped.emit(1 if key == Qt.Key.Key_Up else -1)
        elif key == Qt.Key.Key_Escape:
            self.reverted.emit()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus() and event.angleDelta().y():  # never steal the scroll of the page
            self.stepped.emit(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
        else:
            super().wheelEvent(event)


class Field(QWidget):
    """One editor with a grey caption under it and, when a value is refused, why in red.

    ``apply(value)`` edits the document (raising ParamError or DocumentError to refuse);
    :meth:`show_value` shows the document's value and never applies anything.
    """

    def __init__(self, editor: QWidget, caption: str, tooltip: str,
                 apply: Callable[[Any], None], trailing: QWidget | None = None) -> None:
        super().__init__()
        self.input = editor
        self._apply = apply
        self.value: Any = None
        self._shown = False
        self.error_text = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        if trailing is None:
            layout.addWidget(editor)
        else:
            row = QHBoxLayout()
            row.setSpacing(4)
            row.addWidget(editor, 1)
            row.addWidget(trailing)
            layout.addLayout(row)
        self.error = _label("", "error")
        self.error.hide()
        layout.addWidget(self.error)
        self.caption = _label(caption, "caption")
        self.caption.setVisible(bool(caption))
        layout.addWidget(self.caption)
        editor.setToolTip(tooltip)
        self.setToolTip(tooltip)

    @property
    def invalid(self) -> bool:
        return bool(self.error_text)

    def show_value(self, value: Any, force: bool = False) -> None:
        """Show the document's ``value`` if it differs from the last one shown."""
        if self._shown and value == self.value and not force:
            return
        self.value, self._shown = value, True
        self._display(value)

    def _display(self, value: Any) -> None:
        raise NotImplementedError

    def commit(self, value: Any) -> bool:
        """Apply ``value``; if it is refused, say why and return False."""
        try:
            self._apply(value)
        except REFUSED as err:
            self.set_error(str(err))
            return False
        self.set_error("")
        return True

    def set_error(self, message: str) -> None:
        if message == self.error_text:
            return
        self.error_text = message
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.mark_invalid(bool(message))

    def mark_invalid(self, invalid: bool) -> None:
        """Red frame without a message (e.g. when the dataset preview blames this key)."""
        self.input.setProperty("invalid", invalid)
        self.input.style().unpolish(self.input)
        self.input.style().polish(self.input)


class LineField(Field):
    """Text, numbers and shapes: ``to_value(text)`` reads (or refuses) what was typed.

    ``live`` fields apply on every valid keystroke (the editor merges them into one undo
    command); the others when Return is pressed or the field is left.
    """

    def __init__(self, to_value: Callable[[str], Any], to_text: Callable[[Any], str],
                 apply: Callable[[Any], None], caption: str = "", tooltip: str = "", *,
                 live: bool = True, step: int | None = None,
                 bounds: tuple[float | None, float | None] = (None, None),
                 placeholder: str = "", trailing: QWidget | None = None) -> None:
        edit = _LineEdit()
        edit.setPlaceholderText(placeholder)
        super().__init__(edit, caption, tooltip, apply, trailing)
        self._to_value, self._to_text = to_value, to_text
        self._step, self._bounds = step, bounds
        if live:
            edit.textEdited.connect(self.apply_text)
        else:
            edit.editingFinished.connect(lambda: self.apply_text(edit.text()))
        edit.stepped.connect(self._on_step)
        edit.reverted.connect(self.revert)

    def apply_text(self, text: str) -> bool:
        try:
            value = self._to_value(text)
        except REFUSED as err:
            self.set_error(str(err))
            return False
        return self.commit(value)

    def _display(self, value: Any) -> None:
        try:
            same = not self.invalid and self._to_value(self.input.text()) == value
        except REFUSED:
            same = False
        if not same:  # leave "0.10" alone when the document says 0.1
            self.input.setText(self._to_text(value))
            self.set_error("")

    def revert(self) -> None:
        """Esc: back to the document's value."""
        if self._shown:
            self.input.setText(self._to_text(self.value))
            self.set_error("")

    def _on_step(self, direction: int) -> None:
        if self._step is None:
            return
        try:
            current = int(self.input.text().strip())
        except ValueError:
            if not isinstance(self.value, int):
                return
            current = self.value
        low, high = self._bounds
        new = current + direction * self._step
        new = max(new, low) if low is not None else new
        new = min(new, high) if high is not None else new
        self.input.setText(str(int(new)))
        self.apply_text(self.input.text())


class CheckField(Field):
    def __init__(self, apply: Callable[[Any], None], caption: str = "", tooltip: str = "",
                 text: str = "") -> None:
        super().__init__(QCheckBox(text), caption, tooltip, apply)
        self.input.clicked.connect(self._on_clicked)

    def _on_clicked(self, checked: bool) -> None:
        if not self.commit(checked):
            self._display(self.value)

    def _display(self, value: Any) -> None:
        self.input.setChecked(bool(value))


class ChoiceField(Field):
    """A combo box of (title, value) items; ``activated`` applies, so showing never does."""

    def __init__(self, items: Sequence[tuple[str, Any]], apply: Callable[[Any], None],
                 caption: str = "", tooltip: str = "") -> None:
        combo = QComboBox()
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        for title, value in items:
            combo.addItem(title, value)
        super().__init__(combo, caption, tooltip, apply)
        combo.activated.connect(self._on_activated)

    def values(self) -> list[Any]:
        return [self.input.itemData(i) for i in range(self.input.count())]

    def _on_activated(self, index: int) -> None:
        if not self.commit(self.input.itemData(index)):
            self._display(self.value)

    def _display(self, value: Any) -> None:
        values = self.values()
        self.input.setCurrentIndex(values.index(value) if value in values else -1)


# ----------------------------------------------------------------------------- parameters


def _whole_or_text(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text  # the check that follows names it in its message


def _number_or_text(text: str) -> float | str:
    try:
        return float(text.strip())
    except ValueError:
        return text


def _range_text(param: Param) -> str:
    """"1 to 1 000 000", "at least 0.5", or "" when the parameter has no limits."""
    def show(limit: float) -> str:
        return _count(int(limit)) if param.type == "int" else _number(limit)

    low, high = param.minimum, param.maximum
    if low is not None and high is not None:
        return f"{show(low)} to {show(high)}"
    if low is not None:
        return f"at least {show(low)}"
    return "" if high is None else f"at most {show(high)}"


def param_field(param: Param, apply: Callable[[Any], None]) -> Field:
    """The editor a parameter's type calls for; ``apply`` receives coerced values."""
    caption = param.help
    if param.type == "bool":
        return CheckField(apply, caption, param.help)
    if param.type == "choice":
        return ChoiceField([(c, c) for c in param.choices], apply, caption, param.help)
    if param.type in ("int", "float") and (limits := _range_text(param)):
        caption = f"{caption} ({limits})"
    empty = "empty: automatic" if param.allow_none else ""

    def read(text: str) -> Any:
        if param.type in ("int", "float") and not text.strip() and param.allow_none:
            return param.coerce(None)
        if param.type == "int":
            return param.coerce(_whole_or_text(text))
        if param.type == "float":
            return param.coerce(_number_or_text(text))
        return param.coerce(text)  # text, or a shape such as "28, 28, 1"

    def write(value: Any) -> str:
        if value is None:
            return ""
        if param.type == "shape":
            return ", ".join("None" if d is None else str(d) for d in value)
        return value if param.type == "text" else _number(value)

    bounds = (param.minimum, param.maximum)
    return LineField(read, write, apply, caption, param.help,
                     step=1 if param.type == "int" else None, bounds=bounds,
                     placeholder=empty if param.type != "shape" else "e.g. 28, 28, 1")


# ----------------------------------------------------------------------------- block page


class _Rows(QWidget):
    """Label/value rows rebuilt on each refresh (ports and their shapes)."""

    def __init__(self, label_width: int) -> None:
        super().__init__()
        self.form = _form(label_width)
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
            shown = _label(value, role)
            shown.setToolTip(tooltip)
            self.form.addRow(label, shown)

    def texts(self) -> dict[str, str]:
        """What each row says, by name (for tests and accessibility)."""
        items = [self.form.itemAt(i, role) for i in range(self.form.rowCount())
                 for role in (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole)]
        widgets = [item.widget() for item in items]
        return {widgets[i].text(): widgets[i + 1].text() for i in range(0, len(widgets), 2)}


def _tensor_text(info: Any) -> str:
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
        width = _label_width(["Title", *(p.name for p in spec.params),
                              *(p.name for p in node.input_ports()),
                              *(p.name for p in spec.output_ports()), "Parameters"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(0)

        head = QHBoxLayout()
        head.setSpacing(10)
        icon = QLabel()
        icon.setPixmap(category_icon(spec.category).pixmap(32, 32))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        head.addWidget(icon)
        titles = QVBoxLayout()
        titles.setSpacing(1)
        self.heading = _label(spec.title, "heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        titles.addWidget(self.heading)
        self.subtitle = _label(f"{spec.category} · {spec.id} · {node_id}", "caption")
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        layout.addLayout(head)
        self.doc = _label(spec.doc, "caption")
        self.doc.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.doc)

        form = _form(width)
        self.title_edit = QLineEdit(placeholderText=spec.title)
        self.title_edit.setToolTip("A name for this block on the canvas; empty shows the "
                                   "block type.")
        self.title_edit.editingFinished.connect(self._apply_title)
        _add_row(form, "Title", self.title_edit, self.title_edit.toolTip())
        layout.addLayout(form)

        layout.addWidget(_section("Parameters"))
        if spec.params:
            params = _form(width)
            for param in spec.params:
                field = param_field(param, lambda v, name=param.name: self._apply(name, v))
                self.fields[param.name] = field
                _add_row(params, param.name, field, param.help)
            layout.addLayout(params)
        else:
            none = _label("This block has no parameters.", "caption")
            none.setContentsMargins(0, 6, 0, 0)
            layout.addWidget(none)

        layout.addWidget(_section("Inputs"))
        self.inputs = _Rows(width)
        layout.addWidget(self.inputs)
        layout.addWidget(_section("Outputs"))
        self.outputs = _Rows(width)
        layout.addWidget(self.outputs)
        self.pending_note = _label("Shapes and parameter counts appear once TensorFlow has "
                                   "loaded.", "caption")
        self.pending_note.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.pending_note)
        self.problems_header = _section("Problems")
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
                _tensor_text(info) if info else "unknown: the block before has a problem"),
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
                text, role = _tensor_text(result.outputs[port.name]), ""
            outputs.append((port.name, text, _port_tip(port), role))
        if result is None:
            count, role = PENDING, "caption"
        else:
            count, role = _count(result.params), ""
            if result.trainable_params != result.params:
                count += f" ({_count(result.trainable_params)} trainable)"
        outputs.append(("Parameters", count, "Weights this block learns", role))
        self.outputs.set_rows(outputs)
        self.pending_note.setVisible(report is None)
        self._show_problems([] if report is None else report.for_node(self.node_id))

    def _show_problems(self, issues: list) -> None:
        while self._problems.count():
            self._problems.takeAt(0).widget().deleteLater()
        for issue in sorted(issues, key=lambda i: i.severity != "error"):
            mark = "●" if issue.severity == "error" else "▲"
            self._problems.addWidget(_label(f"{mark} {issue.message}", issue.severity))
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
        self.heading = _label(f"{len(node_ids)} blocks selected", "heading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.names = _label("", "caption")
        layout.addWidget(self.names)
        self.total = _label()
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
        self.total.setText(f"Parameters: {_count(total)} in total")


# ----------------------------------------------------------------------------- project page


class _NotesEdit(QPlainTextEdit):
    """Notes are applied after a short pause in typing, or when the field is left."""

    def __init__(self, apply: Callable[[str], None]) -> None:
        super().__init__()
        self._apply = apply
        self._pause = QTimer(self, singleShot=True, interval=800)
        self._pause.timeout.connect(self.flush)
        self.textChanged.connect(self._pause.start)
        self.setPlaceholderText("What this project is about, what to try next…")
        self.setTabChangesFocus(True)

    def flush(self) -> None:
        self._pause.stop()
        self._apply(self.toPlainText())

    def focusOutEvent(self, event) -> None:
        if self._pause.isActive():
            self.flush()
        super().focusOutEvent(event)

    def show_notes(self, notes: str) -> None:
        if notes != self.toPlainText():
            self._pause.stop()
            with QSignalBlocker(self):
                self.setPlainText(notes)


class DatasetForm(QWidget):
    """Choose the dataset, fill in what it needs, and see a preview of it."""

    def __init__(self, editor: Editor, label_width: int) -> None:
        super().__init__()
        self.editor = editor
        self.label_width = label_width
        self.fields: dict[str, Field] = {}
        self._fields_for: tuple[str, str] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        form = _form(label_width)
        self.choice = QComboBox()
        self.choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(8)
        self.choice.setPlaceholderText("Choose a dataset…")
        for name in READY_MADE:
            if name == DOWNLOADS[0]:
                self.choice.insertSeparator(self.choice.count())
            self.choice.addItem(DATASET_TITLES[name], name)
        self.choice.insertSeparator(self.choice.count())
        for kind, (title, _) in FILE_KINDS.items():
            self.choice.addItem(title, f"file:{kind}")
        self.choice.setToolTip("Built-in datasets work offline; the others are downloaded "
                               "once by Keras; or read your own files.")
        self.choice.activated.connect(self._on_chosen)
        _add_row(form, "Dataset", self.choice, self.choice.toolTip())
        layout.addLayout(form)
        self.fields_box = QWidget()
        layout.addWidget(self.fields_box)

        preview_head = QHBoxLayout()
        preview_head.setContentsMargins(0, 12, 0, 4)
        preview_title = _label("Preview", "heading", wrap=False)
        preview_head.addWidget(preview_title)
        preview_head.addStretch(1)
        self.reload = QToolButton(text="Reload")
        self.reload.setToolTip("Read the data again (after the files changed)")
        self.reload.setAutoRaise(True)
        self.reload.clicked.connect(lambda: self.load_preview(force=True))
        preview_head.addWidget(self.reload)
        layout.addLayout(preview_head)
        self.preview = DatasetPreview()
        self.preview.stateChanged.connect(self._on_preview_state)
        layout.addWidget(self.preview)
        self._preview_timer = QTimer(self, singleShot=True, interval=150)
        self._preview_timer.timeout.connect(self.load_preview)

    # ---- choosing

    def choose(self, name: str) -> None:
        """Use a ready-made dataset (built in or downloaded); keeps the scaling choice."""
        current = self.editor.project.dataset
        spec = {"name": name}
        if "scale" in current and any(f.key == "scale" for f in fields_for(name, "")):
            spec["scale"] = current["scale"]
        self.editor.set_setting("dataset", spec)

    def choose_file(self, kind: FileKind, path: str | Path) -> None:
        """Use the person's file (what the file dialog of ``kind`` returned)."""
        spec = spec_for_file(kind, self._portable(path))
        if "scale" in self.editor.project.dataset:
            spec["scale"] = self.editor.project.dataset["scale"]
        self.editor.set_setting("dataset", spec)

    def _portable(self, path: str | Path) -> str:
        """Relative to the project's folder when inside it, so the project can be shared."""
        path = Path(path)
        if self.editor.path is not None:
            try:
                return path.resolve().relative_to(self.editor.path.parent.resolve()).as_posix()
            except ValueError:
                pass
        return str(path)

    def _on_chosen(self, index: int) -> None:
        data = self.choice.itemData(index)
        if not data.startswith("file:"):
            self.choose(data)
            return
        kind = data.removeprefix("file:")
        path = self.ask_path(kind, kind == "image_folder", FILE_FILTERS.get(kind, ""))
        if path:
            self.choose_file(kind, path)
        else:
            self.refresh()  # cancelled: show the dataset that is still chosen

    def ask_path(self, what: str, folder: bool, file_filter: str) -> str:
        """A non-native file dialog (the same on every platform, and scriptable)."""
        options = QFileDialog.Option.DontUseNativeDialog
        start = str(self.editor.path.parent) if self.editor.path else ""
        if folder:
            return QFileDialog.getExistingDirectory(self, "Choose a folder of images", start,
                                                    options | QFileDialog.Option.ShowDirsOnly)
        title = {"numpy": "Choose a NumPy file", "graph_file": "Choose a graph file"}.get(
            what, "Choose a file")
        path, _ = QFileDialog.getOpenFileName(self, title, start, file_filter, "", options)
        return path

    # ---- the fields a dataset needs

    def _build_fields(self, name: str, task_kind: str) -> None:
        old = self.fields_box.layout()
        if old is not None:
            while old.rowCount():
                old.removeRow(0)
            QWidget().setLayout(old)  # the usual way to drop a layout from a widget
        self.fields = {}
        form = _form(self.label_width)
        for spec in fields_for(name, task_kind):
            field = self._field(spec, name)
            self.fields[spec.key] = field
            _add_row(form, spec.label, field, spec.help)
        self.fields_box.setLayout(form)
        self.fields_box.setVisible(bool(self.fields))

    def _field(self, spec: DatasetField, name: str) -> Field:
        def apply(value: Any) -> None:
            dataset = dict(self.editor.project.dataset)
            if dataset.get("name") != name:
                return  # a field of the dataset just replaced, losing focus as it goes
            if value is None or value == "":
                dataset.pop(spec.key, None)
            else:
                dataset[spec.key] = value
            self.editor.set_setting("dataset", dataset)

        if spec.kind == "choice":
            return ChoiceField(spec.choices, apply, spec.help, spec.help)

        def read(text: str) -> Any:
            text = text.strip()
            if not text or spec.kind not in ("int", "float"):
                return text or None
            value = (_whole_or_text if spec.kind == "int" else _number_or_text)(text)
            if isinstance(value, str) or (isinstance(value, float) and not math.isfinite(value)):
                what = "a whole number" if spec.kind == "int" else "a number"
                raise ParamError(spec.key, f"{spec.key} must be {what}. "
                                           f"Received: {spec.key}={text!r}")
            return value

        def write(value: Any) -> str:
            if value is None:
                return ""
            return _number(value) if isinstance(value, int | float) else str(value)

        browse = None
        if spec.kind in ("file", "folder"):
            browse = QToolButton(text="Browse…")
            browse.setToolTip(f"Choose the {spec.label.lower()}")
        placeholder = "" if spec.default is None else _number(spec.default) if isinstance(
            spec.default, int | float) else str(spec.default)
        field = LineField(read, write, apply, spec.help, spec.help, live=False,
                          step=1 if spec.kind == "int" else None, placeholder=placeholder,
                          trailing=browse)
        if browse is not None:
            def pick() -> None:
                path = self.ask_path(spec.key, spec.kind == "folder", spec.file_filter)
                if path:
                    field.input.setText(self._portable(path))
                    field.apply_text(field.input.text())

            browse.clicked.connect(pick)
        return field

    # ---- following the document

    def refresh(self) -> None:
        project = self.editor.project
        dataset, kind = project.dataset, project.task.get("kind", "supervised")
        name = str(dataset.get("name", ""))
        entry = f"file:{file_kind_of(name)}" if file_kind_of(name) else name
        self.choice.setCurrentIndex(self.choice.findData(entry) if entry else -1)
        if self._fields_for != (name, kind):
            self._fields_for = (name, kind)
            self._build_fields(name, kind)
        for key, field in self.fields.items():
            field.show_value(dataset.get(key))
        self.preview.expect(project.dataset, **self._preview_options())
        self._preview_timer.start()

    def load_preview(self, force: bool = False) -> None:
        self.preview.load(self.editor.project.dataset, **self._preview_options(), force=force)

    def _preview_options(self) -> dict:
        project = self.editor.project
        return {"task_kind": project.task.get("kind", "supervised"),
                "seed": project.training.seed,
                "validation_split": project.training.validation_split,
                "base_dir": self.editor.path.parent if self.editor.path else None}

    def _on_preview_state(self, state: str) -> None:
        """Frame in red the fields a loading error names ("Received: samples=0", "needs
        'y_path'", "(label_column)"), and a file whose errors start with its name."""
        message = self.preview.error if state == "failed" else ""
        for key, field in self.fields.items():
            named = any(f in message for f in (f"Received: {key}=", f"'{key}'", f"({key})"))
            its_file = isinstance(field.value, str) and message.startswith(field.value)
            field.mark_invalid(field.invalid or (bool(message) and (named or its_file)))


class ProjectPage(QWidget):
    """Nothing selected: the project's name, task, dataset, training settings and notes."""

    def __init__(self, editor: Editor) -> None:
        super().__init__()
        self.editor = editor
        width = _label_width(["Name", "Task", "Dataset", "Optimizer",
                              *(label for label, *_ in TRAINING_FIELDS.values()),
                              "Labelled per class", "Average degree"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 4, 14, 14)
        layout.setSpacing(0)

        layout.addWidget(_section("Project"))
        form = _form(width)
        self.name = LineField(str.strip, str, self._set_name, live=False)
        _add_row(form, "Name", self.name)
        self.task = ChoiceField([(TASK_TITLES.get(k, k), k) for k in TASK_KINDS],
                                self._set_task,
                                "How the model learns: from labelled samples, on one "
                                "graph, or as a generator against a discriminator.",
                                "How the model is trained")
        _add_row(form, "Task", self.task)
        layout.addLayout(form)

        layout.addWidget(_section("Dataset"))
        self.dataset = DatasetForm(editor, width)
        layout.addWidget(self.dataset)

        layout.addWidget(_section("Training"))
        form = _form(width)
        self.training: dict[str, Field] = {}
        for name, (label, help_, kind, step) in TRAINING_FIELDS.items():
            read = _whole_or_text if kind is int else _number_or_text
            field = LineField(read, _number, lambda v, n=name: self._set_training(n, v),
                              help_, help_, step=step)
            self.training[name] = field
            _add_row(form, label, field, help_)
            if name == "learning_rate":
                optimizer = ChoiceField([(OPTIMIZER_TITLES.get(o, o), o) for o in OPTIMIZERS],
                                        lambda v: self._set_training("optimizer", v),
                                        "Adam is a good default.", "The optimizer")
                self.training["optimizer"] = optimizer
                _add_row(form, "Optimizer", optimizer)
        layout.addLayout(form)

        layout.addWidget(_section("Notes"))
        self.notes = _NotesEdit(lambda text: editor.set_setting("notes", text))
        self.notes.setMinimumHeight(90)
        self.notes.setMaximumHeight(160)
        notes_box = QVBoxLayout()
        notes_box.setContentsMargins(0, 8, 0, 0)
        notes_box.addWidget(self.notes)
        layout.addLayout(notes_box)
        layout.addStretch(1)
        self.on_document_replaced()

    # ---- editing

    def _set_name(self, name: str) -> None:
        if not name:
            raise DocumentError("A project needs a name")
        self.editor.set_setting("name", name)

    def _set_task(self, kind: str) -> None:
        self.editor.set_setting("task", {**self.editor.project.task, "kind": kind})

    def _set_training(self, name: str, value: Any) -> None:
        settings = replace(self.editor.project.training, **{name: value})
        check_training(settings)  # refused here, before any command is pushed
        self.editor.set_setting("training", settings)

    # ---- following the document

    def on_document_replaced(self) -> None:
        self.refresh(force=True)

    def refresh(self, what: str = "", force: bool = False) -> None:
        """Show the document's settings: all of them, or only ``what`` changed."""
        project = self.editor.project
        if what in ("", "name"):
            self.name.show_value(project.name, force)
        if what in ("", "task"):
            self.task.show_value(project.task.get("kind", "supervised"), force)
        if what in ("", "training"):
            for name, field in self.training.items():
                field.show_value(getattr(project.training, name), force)
        if what in ("", "notes"):  # not on other edits: typing may be under way
            self.notes.show_notes(project.notes)
        if what in ("", "task", "dataset", "training"):  # the preview depends on all three
            self.dataset.refresh()

    def on_document_changed(self, event: DocumentEvent) -> None:
        if isinstance(event, SettingsChanged):
            self.refresh(event.what)


# ----------------------------------------------------------------------------- the inspector


class Inspector(QWidget):
    """The inspector dock's content; the main window calls :meth:`show_nodes` with the
    canvas selection."""

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setStyleSheet(STYLE)
        self.node_ids: list[str] = []
        self.scroll = QScrollArea(widgetResizable=True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self.project_page = ProjectPage(editor)
        self.page: QWidget = self.project_page
        self.scroll.setWidget(self.project_page)
        self.setMinimumWidth(280)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        editor.documentChanged.connect(self._on_document_changed)
        editor.documentReplaced.connect(self._on_document_replaced)
        editor.reportChanged.connect(self._on_report_changed)

    @property
    def block_page(self) -> BlockPage | None:
        return self.page if isinstance(self.page, BlockPage) else None

    def show_nodes(self, node_ids: Sequence[str]) -> None:
        """Show one block's page, the project's (no block) or a summary (several)."""
        nodes = self.editor.project.nodes
        ids = [i for i in node_ids if i in nodes]
        if ids == self.node_ids:
            return  # the same selection again: keep the page, its focus and what is typed
        self.node_ids = ids
        if not ids:
            self._set_page(self.project_page)
        elif len(ids) == 1:
            self._set_page(BlockPage(self.editor, ids[0]))
        else:
            self._set_page(SelectionPage(self.editor, ids))

    def _set_page(self, page: QWidget) -> None:
        if page is self.page:
            return
        old = self.scroll.takeWidget()  # takeWidget keeps the project page alive
        if old is not None and old is not self.project_page:
            old.deleteLater()
        self.page = page
        self.scroll.setWidget(page)
        self.scroll.verticalScrollBar().setValue(0)

    def _on_document_changed(self, event: DocumentEvent) -> None:
        if isinstance(event, NodeRemoved) and event.node.id in self.node_ids:
            self.show_nodes([i for i in self.node_ids if i != event.node.id])
            return
        if self.page is not self.project_page:
            self.page.on_document_changed(event)
        self.project_page.on_document_changed(event)  # stays current while hidden

    def _on_document_replaced(self) -> None:
        self.node_ids = []
        self.project_page.on_document_replaced()
        self._set_page(self.project_page)

    def _on_report_changed(self) -> None:
        if self.page is not self.project_page:  # the project page shows no shapes
            self.page.on_report_changed()
