"""The canvas's block item: a block with its ports and its error or warning badge.

Items draw what the scene hands them (a document Node, its NodeShapes, its issues) and keep
nothing else. Painting is cheap: fonts, pens, paths and elided text are prepared when the
node or its report changes, never per frame, and far-out zoom levels skip the text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt, QVariantAnimation
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QStaticText,
    QTextOption,
    QTransform,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QMenu,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.canvas.style import (
    FLASH_MS,
    FLASH_REACH,
    FOOTER_BASELINES,
    GRID,
    HEADER,
    LABEL_GAP,
    META_BASELINE,
    NODE_HEIGHT,
    NODE_MAX_WIDTH,
    NODE_WIDTH,
    OVERVIEW_LOD,
    PAD,
    PARAM_BASELINES,
    PARAMS_MIDDLE,
    PENDING,
    PORT_HIT,
    PORT_RADIUS,
    PORT_SPACING,
    RADIUS,
    ROW,
    SEPARATOR_FROM_BOTTOM,
    TEXT_LOD,
    category_pixmap,
    style,
)
from app.icons import category_colour
from blocks.spec import BlockSpec, Param, Port, format_shape
from projects.document import Node
from projects.shapes import NodeShapes
from projects.text import count_text
from projects.validation import Issue

if TYPE_CHECKING:
    from app.canvas.wires import LinkItem

# ----------------------------------------------------------------------------- text


# ----------------------------------------------------------------------------- text


def key_params(node: Node, limit: int = 3) -> list[str]:
    """Up to ``limit`` short texts such as ``units 64`` or ``relu``: what a reader looks for.

    Chosen in this order: the first parameter, the activation, whatever differs from its
    default, the second parameter unless it is an unset zero (a penalty of 0 says nothing);
    shown in declaration order. Booleans appear only when not default.
    """
    spec = node.spec
    texts: dict[str, str] = {}
    for param in spec.params:
        text = _param_text(param, node.params[param.name])
        if text is not None:
            texts[param.name] = text
    names = [p.name for p in spec.params]
    changed = [p.name for p in spec.params if node.params[p.name] != p.default]
    chosen: list[str] = []
    second = [p.name for p in spec.params[1:2]
              if not (p.default == 0 and node.params[p.name] == 0)]
    for name in [*names[:1], "activation", *changed, *second]:
        if name in texts and name not in chosen and len(chosen) < limit:
            chosen.append(name)
    return [texts[n] for n in names if n in chosen]


def _param_text(param: Param, value: Any) -> str | None:
    if value is None or (param.type == "bool" and value == param.default):
        return None
    if param.type == "bool":
        return param.name if value else f"no {param.name}"
    if param.type == "choice":
        return str(value)
    if param.type == "shape":
        return format_shape(value)
    if param.type == "text":
        return value or None
    if param.type == "float":
        return f"{param.name} {value:g}"
    if value == 0 and value == param.default:
        return None  # a 0 default is a "same as" sentinel (pooling strides), not news
    return f"{param.name} {value}"



def params_text(count: int) -> str:
    return f"{count_text(count)} param" + ("" if count == 1 else "s")


def _drop(item: QGraphicsItem) -> None:
    """Take a child item out of its block and its scene."""
    if item.scene() is not None:
        item.scene().removeItem(item)
    item.setParentItem(None)


def _wrap(parts: Sequence[str], metrics: QFontMetricsF, width: float, lines: int) -> list[str]:
    """Join ``parts`` with " · " into at most ``lines`` lines no wider than ``width``."""
    rows: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current} · {part}" if current else part
        if not current or metrics.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        rows.append(current)
        current = part
    if current:
        rows.append(current)
    if len(rows) > lines:
        rows = [*rows[:lines - 1], " · ".join(rows[lines - 1:])]
    return [metrics.elidedText(r, Qt.TextElideMode.ElideRight, width) for r in rows]



# ----------------------------------------------------------------------------- paths


@cache
def _glyph(kind: str, r: float) -> QPainterPath:
    """A port's outline of radius ``r``: a circle for tensors, a diamond for graphs; made
    once and shared by every port (a 500-block project has over a thousand)."""
    path = QPainterPath()
    if kind == "graph":
        r += 1.0
        path.addPolygon(QPolygonF([QPointF(0, -r), QPointF(r, 0), QPointF(0, r),
                                   QPointF(-r, 0), QPointF(0, -r)]))
    else:
        path.addEllipse(QPointF(0, 0), r, r)
    return path


@cache
def _card(width: float, height: float) -> tuple[QPainterPath, QPainterPath,
                                                tuple[QRectF, QRectF]]:
    """A block's outline, header and shadow rectangles for its size; blocks come in a
    few sizes, so these are shared."""
    rect = QRectF(0, 0, width, height)
    outline = QPainterPath()
    outline.addRoundedRect(rect, RADIUS, RADIUS)
    top = QPainterPath()
    top.addRect(QRectF(0, 0, width, HEADER))
    return (outline, outline.intersected(top),
            (rect.adjusted(-1, 1, 1, 4), rect.adjusted(0, 0.5, 0, 1.5)))


# ----------------------------------------------------------------------------- ports


class Hoverable(QGraphicsItem):
    """An item drawn highlighted while the mouse is over it (``self._hover``)."""

    def hoverEnterEvent(self, event) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hover = False
        self.update()


class PortItem(Hoverable):
    """A connection point: a circle for tensors, a diamond for graphs; hollow if optional."""

    NORMAL, COMPATIBLE, INCOMPATIBLE, TARGET = range(4)

    def __init__(self, parent: NodeItem, port: Port, is_output: bool) -> None:
        super().__init__(parent)
        self.node_item = parent
        self.port = port
        self.name = port.name
        self.kind = port.kind
        self.is_output = is_output
        self._state = self.NORMAL
        self._hover = False
        self._flash: QVariantAnimation | None = None  # running while a refusal shows here
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        side = "output" if is_output else "input"
        optional = ", optional" if port.optional else ""
        doc = f"\n{port.doc}" if port.doc else ""
        self.setToolTip(f"{side} '{port.name}' ({port.kind}{optional}){doc}")
        self._glyph = _glyph(self.kind, PORT_RADIUS)
        self._glyph_big = _glyph(self.kind, PORT_RADIUS + 1.5)

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    def boundingRect(self) -> QRectF:
        edge = PORT_HIT + 1 + (FLASH_REACH if self._flash is not None else 0.0)
        return QRectF(-edge, -edge, 2 * edge, 2 * edge)

    def flash(self) -> None:
        """Pulse a red ring around the port: an edit it concerns was refused (the status
        bar says why)."""
        if self._flash is None:
            self.prepareGeometryChange()
            self._flash = QVariantAnimation(duration=FLASH_MS, startValue=0.0, endValue=2.0)
            self._flash.valueChanged.connect(self._on_flash)
            self._flash.finished.connect(self._end_flash)
        self._flash.stop()
        self._flash.start()

    @property
    def flashing(self) -> bool:
        return self._flash is not None

    def _on_flash(self, _value: float) -> None:
        try:
            self.update()
        except RuntimeError:  # the block went away mid-flash
            self._flash.stop()

    def _end_flash(self) -> None:
        try:
            self.prepareGeometryChange()
            self.update()
        except RuntimeError:
            pass
        self._flash = None

    def shape(self) -> QPainterPath:
        return _glyph("tensor", PORT_HIT)

    def set_state(self, state: int) -> None:
        if state != self._state:
            self._state = state
            self.setOpacity(0.25 if state == self.INCOMPATIBLE else 1.0)
            self.update()

    @property
    def state(self) -> int:
        return self._state

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        s = style()
        colour = s.kind[self.kind]
        big = self._hover or self._state in (self.COMPATIBLE, self.TARGET)
        if self._state in (self.COMPATIBLE, self.TARGET):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(s.port_glow)
            glow = PORT_HIT if self._state == self.TARGET else PORT_HIT - 2
            painter.drawEllipse(QPointF(0, 0), glow, glow)
        painter.setPen(s.port_target if self._state == self.TARGET else s.port_ring)
        painter.setBrush(s.white if self.port.optional else colour)
        painter.drawPath(self._glyph_big if big else self._glyph)
        if self.port.optional:
            painter.setPen(s.optional_port[self.kind])
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._glyph if not big else self._glyph_big)
        if self._flash is not None:  # a ring that spreads and fades, twice
            phase = float(self._flash.currentValue() or 0.0) % 1.0
            colour = QColor(s.port_flash)
            colour.setAlphaF(1.0 - phase)
            painter.setPen(QPen(colour, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            reach = PORT_RADIUS + 2 + phase * (PORT_HIT + FLASH_REACH - PORT_RADIUS - 3)
            painter.drawEllipse(QPointF(0, 0), reach, reach)


# ----------------------------------------------------------------------------- badges


class BadgeItem(QGraphicsItem):
    """The top-right error (red circle, "!") or warning (amber triangle) of a block.
    When a problem has an obvious repair, a click or right-click on the badge offers it."""

    SIZE = 18.0

    def __init__(self, parent: NodeItem) -> None:
        super().__init__(parent)
        self.severity: str | None = None
        self._issues: tuple[Issue, ...] = ()
        self._menu: QMenu | None = None
        self.setZValue(3)
        self.setVisible(False)
        half = self.SIZE / 2
        self._triangle = QPainterPath()
        self._triangle.addPolygon(QPolygonF([QPointF(0, -half), QPointF(half + 1, half - 1),
                                             QPointF(-half - 1, half - 1), QPointF(0, -half)]))

    def set_issues(self, issues: Sequence[Issue]) -> None:
        key = tuple(issues)
        same = key == self._issues
        self._issues = key  # the same problems may come with freshly planned fixes
        if same:
            return
        if not issues:
            self.severity = None
            self.setVisible(False)
            self.setToolTip("")
            return
        errors = [i for i in issues if i.severity == "error"]
        self.severity = "error" if errors else "warning"
        ordered = errors + [i for i in issues if i.severity != "error"]
        tips = [f"{i.severity.capitalize()}: {i.message}" for i in ordered]
        if any(i.fix is not None for i in issues):
            tips.append("Click to fix.")
        self.setToolTip("\n".join(tips))
        self.setCursor(Qt.CursorShape.PointingHandCursor if any(i.fix for i in issues)
                       else Qt.CursorShape.ArrowCursor)
        self.setVisible(True)
        self.update()

    def fix_menu(self) -> QMenu | None:
        """The fixes of this block's problems as a menu, or None when there are none."""
        fixes = [i.fix for i in self._issues if i.fix is not None]
        scene = self.scene()
        if not fixes or scene is None:
            return None
        menu = QMenu()
        for fix in fixes:
            menu.addAction(f"Fix: {fix.title}", lambda f=fix: apply_fix(scene, f))
        return menu

    def _offer_fixes(self, screen_pos) -> bool:
        menu = self.fix_menu()
        if menu is None:
            return False
        self._menu = menu  # kept until the next one: a popup must outlive this call
        menu.popup(screen_pos)
        return True

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._offer_fixes(
                event.screenPos()):
            event.accept()
            return
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        if self._offer_fixes(event.screenPos()):
            event.accept()
            return
        super().contextMenuEvent(event)

    def boundingRect(self) -> QRectF:
        half = self.SIZE / 2 + 2
        return QRectF(-half, -half, 2 * half, 2 * half)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        s = style()
        painter.setPen(QPen(s.white, 2.0))
        half = self.SIZE / 2
        if self.severity == "error":
            painter.setBrush(s.error)
            painter.drawEllipse(QPointF(0, 0), half, half)
            mark = QRectF(-half, -half, self.SIZE, self.SIZE)
        else:
            painter.setBrush(s.warning)
            painter.drawPath(self._triangle)
            mark = QRectF(-half, -half + 2.5, self.SIZE, self.SIZE)
        painter.setPen(s.white)
        painter.setFont(s.badge)
        painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "!")


def apply_fix(scene: Any, fix: Any) -> None:
    """Apply a quick fix from the canvas; one the model has outgrown just re-validates."""
    from projects.document import DocumentError

    try:
        scene.editor.apply_fix(fix)
    except DocumentError:
        scene.editor.validate_now()  # the model changed under the fix: show what is true now


# ----------------------------------------------------------------------------- blocks


class NodeItem(Hoverable):
    """One block: header in its category colour, key parameters, output shape, parameters."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.node_id = node.id
        self.node = node
        self.links: set[LinkItem] = set()
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self._badge: BadgeItem | None = None  # made when the block first has a problem
        self.snap = False  # set by the scene; applies to moves made by dragging
        self._syncing = False
        self._hover = False
        self._width = NODE_WIDTH
        self._height = NODE_HEIGHT
        self._shapes: NodeShapes | None = None
        self._pending = True
        self._error = False
        self._text_ready = False
        self._port_labels: list[tuple[QPointF, str]] = []
        self._paint_rows: list[tuple[QFont, QColor, QPointF, str]] = []
        self._footer_rows: list[tuple[QFont, QColor, QPointF, str]] = []
        self._layout_footer()  # "→ …" and "… params" until the report comes
        self.set_node(node)

    @property
    def badge(self) -> BadgeItem:
        """The error or warning badge, hidden while the block has no problem."""
        if self._badge is None:
            self._badge = BadgeItem(self)
            self._badge.setPos(self._width - 3, 3)
        return self._badge

    # ---- geometry

    @property
    def width(self) -> float:
        return self._width

    @property
    def height(self) -> float:
        return self._height

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -4, self._width + 8, self._height + 8)

    def shape(self) -> QPainterPath:
        return self._outline

    def port_scene_pos(self, name: str, is_output: bool) -> QPointF:
        port = (self.outputs if is_output else self.inputs).get(name)
        local = port.pos() if port else QPointF(self._width if is_output else 0,
                                                self._height / 2)
        return self.pos() + local

    def ports(self) -> list[PortItem]:
        return [*self.inputs.values(), *self.outputs.values()]

    # ---- mirroring the document

    def _geometry_changed(self) -> None:
        """Tell the scene's block index (app/canvas/wires.py) that this block moved or
        changed size."""
        index = getattr(self.scene(), "block_index", None)
        if index is not None:
            index.invalidate()

    def set_node(self, node: Node) -> None:
        """Lay out the block for ``node`` (new parameters may add or remove ports)."""
        self.prepareGeometryChange()
        self._geometry_changed()
        self.node = node
        spec = node.spec
        self._header_colour = category_colour(spec.category)
        self._icon = category_pixmap(spec.category)
        inputs, outputs = node.input_ports(), node.output_ports()
        self._width = self._fitting_width(node, inputs, outputs)
        most = max(len(inputs), len(outputs), 1)
        self._height = max(NODE_HEIGHT, HEADER + most * PORT_SPACING + 2 * PAD)
        self.inputs = self._place_ports(self.inputs, inputs, False)
        self.outputs = self._place_ports(self.outputs, outputs, True)
        if self._badge is not None:
            self._badge.setPos(self._width - 3, 3)
        self._outline, self._header, self._shadows = _card(self._width, self._height)
        self._tooltip(node, spec)
        self._text_ready = False  # laid out when first drawn or read (``_layout_text``)
        self._overview_text: QStaticText | None = None
        self.sync_position(node.position)
        for link in self.links:
            link.update_path()
        self.update()

    @staticmethod
    def _fitting_width(node: Node, inputs: Sequence[Port], outputs: Sequence[Port]) -> float:
        """Wide enough for the title, the block's kind and its key parameters beside any
        port labels, up to NODE_MAX_WIDTH (longer texts are elided, in full in the
        tooltip), on the grid so wires still run straight."""
        s = style()

        def labels(ports: Sequence[Port]) -> float:
            if len(ports) < 2:
                return 0.0
            return max(s.port_metrics.horizontalAdvance(p.name) for p in ports) + LABEL_GAP

        beside = labels(inputs) + labels(outputs)
        needs = [s.title_metrics.horizontalAdvance(node.title or node.spec.title) + 24,
                 s.meta_metrics.horizontalAdvance(f"{node.id} · {node.spec.title}") + beside,
                 *(s.body_metrics.horizontalAdvance(text) + beside
                   for text in key_params(node))]
        width = min(max(NODE_WIDTH, max(needs) + 2 * PAD), NODE_MAX_WIDTH)
        return math.ceil(width / GRID) * GRID

    def _port_ys(self, count: int, is_output: bool) -> list[float]:
        """Where a side's ports go. One port sits mid-body, so chains of blocks wire up
        straight. Several inputs sit beside the parameter rows and several outputs beside
        the footer rows, so no text row has labels on both sides."""
        middle = HEADER + (self._height - HEADER) / 2
        if count <= 1:
            return [middle]
        if self._height > NODE_HEIGHT:  # a block stretched by its ports: spread them out
            top = middle - (count - 1) * PORT_SPACING / 2
            return [top + i * PORT_SPACING for i in range(count)]
        if is_output:
            last = self._height - FOOTER_BASELINES[1] - 4
            return [last - (count - 1 - i) * ROW for i in range(count)]
        top = PARAMS_MIDDLE - (count - 1) * PORT_SPACING / 2
        return [top + i * PORT_SPACING for i in range(count)]

    def _place_ports(self, existing: dict[str, PortItem], ports: tuple[Port, ...],
                     is_output: bool) -> dict[str, PortItem]:
        placed: dict[str, PortItem] = {}
        for port, y in zip(ports, self._port_ys(len(ports), is_output), strict=False):
            item = existing.pop(port.name, None)
            if item is None or item.port != port:
                if item is not None:
                    _drop(item)
                item = PortItem(self, port, is_output)
            item.setPos(self._width if is_output else 0.0, y)
            placed[port.name] = item
        for item in existing.values():
            _drop(item)
        return placed

    def _tooltip(self, node: Node, spec: BlockSpec) -> None:
        params = "\n".join(f"  {k} = {format_shape(v) if isinstance(v, tuple) else v}"
                           for k, v in node.params.items())
        self.setToolTip(f"{node.title or spec.title} ({node.id}) — {spec.title}\n{spec.doc}"
                        + (f"\n{params}" if params else ""))

    def _layout_text(self) -> None:
        """Elide and place every line once; ``paint`` only draws the prepared rows. Done
        when the block is first drawn close enough to read, or its texts are asked for:
        a reopened project is first shown whole, too far out for text."""
        s = style()
        node, spec = self.node, self.node.spec
        self._port_labels = []
        left = self._labels(list(self.inputs.values()), False)
        right = self._labels(list(self.outputs.values()), True)

        def span(baseline: float) -> tuple[float, float]:
            """The free (x, width) of a text row: beside any port label level with it."""
            top, bottom = baseline - 11, baseline + 3
            lo = PAD + max((w for y, w in left if y - 5 < bottom and y + 5 > top), default=0)
            hi = self._width - PAD - max((w for y, w in right if y - 5 < bottom and y + 5 > top),
                                         default=0)
            return lo, hi - lo

        self._title = s.title_metrics.elidedText(node.title or spec.title,
                                                 Qt.TextElideMode.ElideRight,
                                                 self._width - 2 * PAD - 24)
        x, width = span(META_BASELINE)
        rows = [(s.meta, s.muted, QPointF(x, META_BASELINE), s.meta_metrics.elidedText(
            f"{node.id} · {spec.title}", Qt.TextElideMode.ElideRight, width))]
        narrowest = min(span(b)[1] for b in PARAM_BASELINES)
        lines = _wrap(key_params(node), s.body_metrics, narrowest, len(PARAM_BASELINES))
        for baseline, line in zip(PARAM_BASELINES, lines, strict=False):
            x, width = span(baseline)
            rows.append((s.body, s.text, QPointF(x, baseline), s.body_metrics.elidedText(
                line, Qt.TextElideMode.ElideRight, width)))
        self._paint_rows = rows
        self._separator_y = self._height - SEPARATOR_FROM_BOTTOM
        self._footer_baselines = [self._height - b for b in FOOTER_BASELINES]
        self._footer_spans = [span(b) for b in self._footer_baselines]
        self._text_ready = True
        self._elide_footer()

    def prepare_text(self) -> None:
        """Lay out the block's text now unless it is already (``_layout_text``)."""
        if not self._text_ready:
            self._layout_text()

    @property
    def _overview(self) -> QStaticText:
        """The big title drawn zoomed far out, prepared when first needed: the title
        wraps at spaces; a word wider than the block is elided, not cut at both sides
        ("axPooling2")."""
        if self._overview_text is None:
            s = style()
            room = self._width - 2 * PAD
            text = QStaticText(" ".join(
                s.overview_metrics.elidedText(word, Qt.TextElideMode.ElideRight, room)
                for word in (self.node.title or self.node.spec.title).split()))
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setTextWidth(room)
            text.setTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
            text.prepare(QTransform(), s.overview)
            self._overview_text = text
        return self._overview_text

    def _labels(self, ports: list[PortItem], right: bool) -> list[tuple[float, float]]:
        """Name the ports of a side that has several; returns each label's y and inset."""
        if len(ports) < 2:
            return []
        metrics = style().port_metrics
        insets = []
        for port in ports:
            width = metrics.horizontalAdvance(port.name)
            x = self._width - 10 - width if right else 10
            self._port_labels.append((QPointF(x, port.y() + 3.5), port.name))
            insets.append((port.y(), width + LABEL_GAP))
        return insets

    def set_report(self, shapes: NodeShapes | None, issues: Sequence[Issue],
                   pending: bool) -> None:
        """Show what validation found; repaints only when something visible changed."""
        if pending:
            shapes, issues = None, ()
        error = any(i.severity == "error" for i in issues)
        if (shapes, pending, error) != (self._shapes, self._pending, self._error):
            self._shapes, self._pending, self._error = shapes, pending, error
            self._layout_footer()
            self.update()
        if issues or self._badge is not None:
            self.badge.set_issues(issues)

    def _layout_footer(self) -> None:
        s = style()
        shapes = self._shapes
        shape_colour = count_colour = s.muted
        if shapes is None:
            shape, count = PENDING, PENDING + " params"
        elif shapes.outputs:
            shape, count = str(next(iter(shapes.outputs.values()))), params_text(shapes.params)
            shape_colour = s.text
        elif shapes.error:
            shape, count = "?", "cannot be built"
            shape_colour = count_colour = s.error
        elif shapes.waiting:
            shape, count = "?", "waiting for its inputs"
        else:
            shape, count = "–", params_text(shapes.params)
        self.shape_text = f"→ {shape}"
        self.params_text = count
        self._footer_colours = (shape_colour, count_colour)
        if self._text_ready:
            self._elide_footer()

    def _elide_footer(self) -> None:
        s = style()
        shape_colour, count_colour = self._footer_colours
        (x1, w1), (x2, w2) = self._footer_spans
        y1, y2 = self._footer_baselines
        self._footer_rows = [
            (s.mono, shape_colour, QPointF(x1, y1),
             s.mono_metrics.elidedText(self.shape_text, Qt.TextElideMode.ElideRight, w1)),
            (s.meta, count_colour, QPointF(x2, y2),
             s.meta_metrics.elidedText(self.params_text, Qt.TextElideMode.ElideRight, w2)),
        ]

    def texts(self) -> list[str]:
        """Every line the block shows (for tests and accessibility)."""
        self.prepare_text()
        return [self._title, *(r[3] for r in self._paint_rows), self.shape_text,
                self.params_text, *(label for _, label in self._port_labels)]

    def sync_position(self, position: tuple[float, float]) -> None:
        """Put the item where the document says, without snapping."""
        self._syncing = True
        try:
            self.setPos(QPointF(*position))
        finally:
            self._syncing = False

    # ---- Qt

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        # Returning ``value`` rather than calling the base class: PySide's base
        # itemChange mishandles reference counts for child-item changes.
        kind = QGraphicsItem.GraphicsItemChange
        if change == kind.ItemPositionChange and self.snap and not self._syncing:
            return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        if change == kind.ItemPositionHasChanged:
            self._geometry_changed()
            for link in self.links:
                link.update_path()
        elif change == kind.ItemSelectedHasChanged:
            self.setZValue(2 if value else 1)
        return value

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        s = style()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        painter.setPen(Qt.PenStyle.NoPen)
        if lod >= TEXT_LOD:
            far, near = self._shadows
            painter.setBrush(s.shadow)
            painter.drawRoundedRect(far, RADIUS + 1, RADIUS + 1)
            painter.setBrush(s.shadow_near)
            painter.drawRoundedRect(near, RADIUS, RADIUS)
        if selected:
            painter.setPen(s.halo)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._outline)
        painter.setPen(s.selected if selected else s.border_error if self._error
                       else s.border_hover if self._hover else s.border)
        painter.setBrush(s.card)
        painter.drawPath(self._outline)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._header_colour)
        painter.drawPath(self._header)
        if selected:  # the header hides the top of the outline; redraw it over
            painter.setPen(s.selected)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._outline)
        if lod < TEXT_LOD:
            if lod >= OVERVIEW_LOD:  # zoomed far out: one big title is what can be read
                painter.setFont(s.overview)
                painter.setPen(s.text)
                height = min(self._overview.size().height(), self._height - HEADER - 8)
                top = HEADER + (self._height - HEADER - height) / 2
                painter.setClipRect(QRectF(0, HEADER, self._width, self._height - HEADER))
                painter.drawStaticText(QPointF(PAD, top), self._overview)
                painter.setClipping(False)
            return
        self.prepare_text()
        painter.drawPixmap(QPointF(9, (HEADER - 18) / 2), self._icon)
        painter.setFont(s.title)
        painter.setPen(s.title_pen)
        painter.drawText(QPointF(33, HEADER / 2 + 4.5), self._title)
        for font, colour, point, text in self._paint_rows:
            painter.setFont(font)
            painter.setPen(colour)
            painter.drawText(point, text)
        painter.setPen(s.separator)
        painter.drawLine(QPointF(PAD, self._separator_y), QPointF(self._width - PAD,
                                                                  self._separator_y))
        for font, colour, point, text in self._footer_rows:
            painter.setFont(font)
            painter.setPen(colour)
            painter.drawText(point, text)
        if self._port_labels:
            painter.setFont(s.port)
            painter.setPen(s.muted)
            for point, text in self._port_labels:
                painter.drawText(point, text)
