"""Inspector fields: one editor per value, checked as you type.

A value the spec refuses turns the field red with the reason under it and is not applied.
Only user actions (``textEdited``, ``clicked``, ``activated``) apply values, so showing a
document's value never edits it. :func:`param_field` picks the editor a
:class:`~blocks.spec.Param` calls for; block parameters and dataset fields both use it.
The little helpers below lay out the inspector's forms alike on every page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.panels import ERROR_COLOUR, WARNING_COLOUR
from blocks.spec import Param, ParamError
from projects.document import DocumentError
from projects.text import count_text, number_text

CAPTION_COLOUR = "#64748b"
REFUSED = (ParamError, DocumentError)  # what a field shows in red instead of applying
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

# ----------------------------------------------------------------------------- little helpers


def text_label(text: str = "", role: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text, wordWrap=wrap)
    if role:
        label.setProperty("role", role)
    if role in ("caption", "error", "warning"):
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def section(title: str) -> QLabel:
    label = text_label(title, "section", wrap=False)
    label.setIndent(0)  # a styled border would otherwise indent the text
    return label


def form_layout(label_width: int) -> QFormLayout:
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


def label_width_for(texts: Sequence[str]) -> int:
    """One width for every label of a page, so editors line up from section to section."""
    metrics = QFontMetrics(QFont())
    return min(150, max([metrics.horizontalAdvance(t) for t in texts] + [70]) + 4)


def add_row(form: QFormLayout, text: str, field: QWidget, tooltip: str = "") -> None:
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
        self.error = text_label("", "error")
        self.error.hide()
        layout.addWidget(self.error)
        self.caption = text_label(caption, "caption")
        layout.addWidget(self.caption)
        self.caption.setVisible(bool(caption))  # once in the layout: never a window of its own
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


class ComboBox(QComboBox):
    """A combo box that leaves the wheel to the page it sits on unless it has the focus:
    scrolling the inspector past a combo must not change its value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel alone never focuses it

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # the scroll area behind scrolls instead


class ChoiceField(Field):
    """A combo box of (title, value) items; ``activated`` applies, so showing never does."""

    def __init__(self, items: Sequence[tuple[str, Any]], apply: Callable[[Any], None],
                 caption: str = "", tooltip: str = "") -> None:
        combo = ComboBox()
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


def whole_or_text(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text  # the check that follows names it in its message


def number_or_text(text: str) -> float | str:
    try:
        return float(text.strip())
    except ValueError:
        return text


def _range_text(param: Param) -> str:
    """"1 to 1 000 000", "at least 0.5", or "" when the parameter has no limits."""
    def show(limit: float) -> str:
        return count_text(int(limit)) if param.type == "int" else number_text(limit)

    low, high = param.minimum, param.maximum
    if low is not None and high is not None:
        return f"{show(low)} to {show(high)}"
    if low is not None:
        return f"at least {show(low)}"
    return "" if high is None else f"at most {show(high)}"


def param_field(param: Param, apply: Callable[[Any], None], *, live: bool = True,
                optional: bool = False, browse: Callable[[Param], str] | None = None
                ) -> Field:
    """The editor a parameter's type calls for; ``apply`` receives coerced values.

    ``live`` applies on every valid keystroke (else on Return or leaving the field).
    ``optional`` fields may be left empty, which applies None (the caller then leaves the
    value out, so the default holds; the default shows as the placeholder). A path
    parameter gets a Browse… button that asks ``browse(param)`` for a path ("" when
    cancelled).
    """
    caption = param.help
    if param.type == "bool":
        return CheckField(apply, caption, param.help)
    if param.type == "choice":
        titles = param.choice_titles or tuple(str(c) for c in param.choices)
        items: list[tuple[str, Any]] = list(zip(titles, param.choices, strict=True))
        if param.allow_none:
            items.insert(0, (param.none_title or "automatic", None))
        return ChoiceField(items, apply, caption, param.help)
    if param.type in ("int", "float") and (limits := _range_text(param)):
        caption = f"{caption} ({limits})"
    if optional:
        empty = "" if param.default is None else _value_text(param, param.default)
    else:
        empty = "empty: automatic" if param.allow_none else ""

    def read(text: str) -> Any:
        if optional and not text.strip():
            return None
        if param.type in ("int", "float") and not text.strip() and param.allow_none:
            return param.coerce(None)
        if param.type == "int":
            return param.coerce(whole_or_text(text))
        if param.type == "float":
            return param.coerce(number_or_text(text))
        if optional:
            text = text.strip()
        return param.coerce(text)  # text, or a shape such as "28, 28, 1"

    trailing = None
    if param.is_path and browse is not None:
        trailing = QToolButton(text="Browse…")
        trailing.setToolTip(f"Choose the {'folder' if param.folder else 'file'}")
    bounds = (param.minimum, param.maximum)
    field = LineField(read, lambda value: _value_text(param, value), apply, caption,
                      param.help, live=live, step=1 if param.type == "int" else None,
                      bounds=bounds,
                      placeholder=empty if param.type != "shape" else "e.g. 28, 28, 1",
                      trailing=trailing)
    if trailing is not None:
        def pick() -> None:
            path = browse(param)
            if path:
                field.input.setText(path)
                field.apply_text(path)

        trailing.clicked.connect(pick)
    return field


def _value_text(param: Param, value: Any) -> str:
    """A parameter's value as its editor shows it."""
    if value is None:
        return ""
    if param.type == "shape":
        return ", ".join("None" if d is None else str(d) for d in value)
    if param.type == "text" or not isinstance(value, int | float):
        return str(value)
    return number_text(value)
