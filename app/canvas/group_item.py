"""The canvas's group block and the boundary of a group opened for editing.

A group block is a block item drawn as a stack of cards with a double border and a group
icon: its ports are the group's ports (each named, labelled beside it), its footer the
output shape of its first output and the parameters of every block inside it, and its badge
the worst problem inside it, with all of them in the tooltip. It reads these from the
editor's report for its leaves, so the scene feeds it like any block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
    QTextOption,
    QTransform,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas.block_item import NodeItem
from app.canvas.style import (
    FOOTER_BASELINES,
    GRID,
    HEADER,
    LABEL_GAP,
    NODE_HEIGHT,
    NODE_WIDTH,
    OVERVIEW_LOD,
    PAD,
    PORT_SPACING,
    RADIUS,
    SEPARATOR_FROM_BOTTOM,
    TEXT_LOD,
    style,
)
from app.level_model import IN, BoundaryFace, GroupFace, nesting
from projects.shapes import NodeShapes
from projects.validation import Issue

GROUP_MAX_WIDTH = 300.0
GROUP_HEADER = QColor("#334155")
GROUP_INNER = QPen(QColor("#94a3b8"), 1.0)
STACK_STEP = 4.0  # how far each card behind the group block peeks out
BODY_TOP = HEADER + 24.0  # below the id line: where the port rows start
FOOTER = SEPARATOR_FROM_BOTTOM + 4.0
BOUNDARY_WIDTH = 140.0
BOUNDARY_HEADER = QColor("#e2e8f0")
PROBLEMS_SHOWN = 8  # in a group block's tooltip


class GroupItem(NodeItem):
    """A group on the canvas: one block standing for the blocks and groups in it."""

    def set_node(self, face: GroupFace) -> None:  # type: ignore[override]
        self.prepareGeometryChange()
        self._geometry_changed()
        self.node = face
        s = style()

        def widest(ports: Sequence) -> float:
            return max((s.port_metrics.horizontalAdvance(p.name) for p in ports), default=0.0)

        needs = [s.title_metrics.horizontalAdvance(face.title) + 33 + PAD + 16,
                 s.meta_metrics.horizontalAdvance(self._meta(face)) + 2 * PAD,
                 widest(face.inputs) + widest(face.outputs) + 3 * LABEL_GAP + 2 * PAD]
        width = min(max(NODE_WIDTH, *needs), GROUP_MAX_WIDTH)
        self._width = math.ceil(width / GRID) * GRID
        most = max(len(face.inputs), len(face.outputs), 1)
        self._height = max(NODE_HEIGHT, BODY_TOP + most * PORT_SPACING + FOOTER)
        self.inputs = self._place_ports(self.inputs, face.inputs, False)
        self.outputs = self._place_ports(self.outputs, face.outputs, True)
        self.badge.setPos(self._width - 3, 3)
        rect = QRectF(0, 0, self._width, self._height)
        self._outline = QPainterPath()
        self._outline.addRoundedRect(rect, RADIUS, RADIUS)
        self._inner = QPainterPath()
        self._inner.addRoundedRect(rect.adjusted(3, 3, -3, -3), RADIUS - 2, RADIUS - 2)
        self._stack = [rect.translated(STACK_STEP * i, -STACK_STEP * i) for i in (2, 1)]
        header = QPainterPath()
        header.addRect(QRectF(0, 0, self._width, HEADER))
        self._header = self._outline.intersected(header)
        self._shadows = (rect.adjusted(-1, 1, 1, 4), rect.adjusted(0, 0.5, 0, 1.5))
        self._layout_group_text()
        self._tip = (f"{face.title} ({face.id}): a group of {face.blocks} blocks.\n"
                     "Double-click to open it; Ctrl+Shift+G ungroups it.")
        self.setToolTip(self._tip)
        self.sync_position(face.position)
        for link in self.links:
            link.update_path()
        self.update()

    @staticmethod
    def _meta(face: GroupFace) -> str:
        return f"{face.id} · Group · {face.blocks} block" + ("" if face.blocks == 1 else "s")

    def boundingRect(self) -> QRectF:
        reach = 2 * STACK_STEP
        return QRectF(-4, -4 - reach, self._width + 8 + reach, self._height + 8 + reach)

    def _port_ys(self, count: int, is_output: bool) -> list[float]:
        middle = BODY_TOP + (self._height - FOOTER - BODY_TOP) / 2
        top = middle - (count - 1) * PORT_SPACING / 2
        return [top + i * PORT_SPACING for i in range(count)]

    def _layout_group_text(self) -> None:
        s = style()
        face: GroupFace = self.node
        self._title = s.title_metrics.elidedText(face.title, Qt.TextElideMode.ElideRight,
                                                 self._width - 33 - PAD - 16)
        self._meta_text = s.meta_metrics.elidedText(self._meta(face),
                                                    Qt.TextElideMode.ElideRight,
                                                    self._width - 2 * PAD)
        overview = QStaticText(face.title)  # zoomed out: the title, big
        overview.setTextFormat(Qt.TextFormat.PlainText)
        overview.setTextWidth(self._width - 2 * PAD)
        overview.setTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
        overview.prepare(QTransform(), s.overview)
        self._overview_text = overview  # what the block's ``_overview`` draws
        half = self._width / 2 - LABEL_GAP
        self._port_labels = []
        for port in self.inputs.values():
            text = s.port_metrics.elidedText(port.name, Qt.TextElideMode.ElideRight, half)
            self._port_labels.append((QPointF(10, port.y() + 3.5), text))
        for port in self.outputs.values():
            text = s.port_metrics.elidedText(port.name, Qt.TextElideMode.ElideRight, half)
            x = self._width - 10 - s.port_metrics.horizontalAdvance(text)
            self._port_labels.append((QPointF(x, port.y() + 3.5), text))
        self._separator_y = self._height - SEPARATOR_FROM_BOTTOM
        self._footer_baselines = [self._height - b for b in FOOTER_BASELINES]
        self._footer_spans = [(PAD, self._width - 2 * PAD)] * 2
        self._text_ready = True  # laid out here, whole: a group has few lines
        self._layout_footer()

    # ---- the report of the blocks inside

    def set_report(self, shapes: NodeShapes | None, issues: Sequence[Issue],
                   pending: bool) -> None:
        """The scene hands every item its own report entry; a group has none, so it reads
        its leaves' entries from the editor's report."""
        editor = getattr(self.scene(), "editor", None)
        report = editor.report if editor is not None else None
        if report is None or self.node_id not in editor.project.groups:
            self._show(None, (), "")
            return
        inside = nesting(editor.project)  # one pass for every group of the level
        leaves = inside.leaves.get(self.node_id, set())
        _, outputs = inside.ports(self.node_id)
        shapes_out = {}
        for port in outputs:
            node_id, name = port.ends[0]
            entry = report.shapes.get(node_id)
            info = entry.outputs.get(name) if entry is not None else None
            if info is not None:
                shapes_out[port.name] = info
        entries = [report.shapes[n] for n in leaves if n in report.shapes]
        errors = [e for e in entries if e.error]
        summary = NodeShapes(outputs=shapes_out, params=sum(e.params for e in entries),
                             error=errors[0].error if errors and not shapes_out else None)
        more = len(outputs) - 1
        self._show(summary, [i for i in report.issues if i.node_id in leaves],
                   f" (+{more} more)" if more > 0 and shapes_out else "")

    def _show(self, shapes: NodeShapes | None, issues: Sequence[Issue], more: str) -> None:
        error = any(i.severity == "error" for i in issues)
        self._shapes, self._pending, self._error = shapes, shapes is None, error
        self._layout_footer()
        if more and self._footer_rows:
            font, colour, point, _ = self._footer_rows[0]
            self.shape_text += more
            self._footer_rows[0] = (font, colour, point, style().mono_metrics.elidedText(
                self.shape_text, Qt.TextElideMode.ElideRight, self._width - 2 * PAD))
        self.badge.set_issues(issues)
        if issues:  # hovering anywhere on the group says what is wrong inside
            ordered = sorted(issues, key=lambda i: i.severity != "error")
            lines = [f"{i.severity.capitalize()}: {i.message}" for i in ordered[:PROBLEMS_SHOWN]]
            if len(ordered) > PROBLEMS_SHOWN:
                lines.append(f"… and {len(ordered) - PROBLEMS_SHOWN} more in the Problems panel")
            self.setToolTip(self._tip + "\n\nInside:\n" + "\n".join(lines))
        else:
            self.setToolTip(self._tip)
        self.update()

    def texts(self) -> list[str]:
        return [self._title, self._meta_text, self.shape_text, self.params_text,
                *(label for _, label in self._port_labels)]

    # ---- painting

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        s = style()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        for card in self._stack:  # the cards behind: a stack of blocks
            painter.setPen(s.border_hover)
            painter.setBrush(s.card)
            painter.drawRoundedRect(card, RADIUS, RADIUS)
        painter.setPen(Qt.PenStyle.NoPen)
        if lod >= TEXT_LOD:
            far = self._shadows[0]
            painter.setBrush(s.shadow)
            painter.drawRoundedRect(far, RADIUS + 1, RADIUS + 1)
        if selected:
            painter.setPen(s.halo)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._outline)
        painter.setPen(s.selected if selected else s.border_error if self._error
                       else s.border_hover)
        painter.setBrush(s.card)
        painter.drawPath(self._outline)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(GROUP_HEADER)
        painter.drawPath(self._header)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(GROUP_INNER)  # the double border
        painter.drawPath(self._inner)
        if selected:
            painter.setPen(s.selected)
            painter.drawPath(self._outline)
        if lod < TEXT_LOD:
            if lod >= OVERVIEW_LOD:
                painter.setFont(s.overview)
                painter.setPen(s.text)
                height = min(self._overview.size().height(), self._height - HEADER - 8)
                painter.setClipRect(QRectF(0, HEADER, self._width, self._height - HEADER))
                painter.drawStaticText(
                    QPointF(PAD, HEADER + (self._height - HEADER - height) / 2), self._overview)
                painter.setClipping(False)
            return
        _group_icon(painter, QPointF(10, HEADER / 2))
        painter.setFont(s.title)
        painter.setPen(s.title_pen)
        painter.drawText(QPointF(33, HEADER / 2 + 4.5), self._title)
        painter.setFont(s.meta)
        painter.setPen(s.muted)
        painter.drawText(QPointF(PAD, HEADER + 17), self._meta_text)
        painter.setFont(s.port)
        for point, text in self._port_labels:
            painter.drawText(point, text)
        painter.setPen(s.separator)
        painter.drawLine(QPointF(PAD, self._separator_y),
                         QPointF(self._width - PAD, self._separator_y))
        for font, colour, point, text in self._footer_rows:
            painter.setFont(font)
            painter.setPen(colour)
            painter.drawText(point, text)


def _group_icon(painter: QPainter, left_middle: QPointF) -> None:
    """Three small squares over a frame: blocks gathered into one."""
    x, y = left_middle.x(), left_middle.y()
    painter.setPen(QPen(QColor("#ffffff"), 1.4))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(x, y - 8, 16, 16), 3, 3)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#ffffff"))
    for dx, dy in ((3.5, -4.5), (9.0, -4.5), (3.5, 1.0)):
        painter.drawRect(QRectF(x + dx, y + dy, 3.5, 3.5))


class BoundaryItem(NodeItem):
    """The inputs or outputs of the group being edited, at the left or right of its
    blocks; its wires show where each port leads inside. It cannot be moved, selected or
    wired from (the group's ports are wired from outside it)."""

    wirable = False

    def __init__(self, face: BoundaryFace) -> None:
        super().__init__(face)  # type: ignore[arg-type]
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setZValue(0.5)

    def set_node(self, face: BoundaryFace) -> None:  # type: ignore[override]
        self.prepareGeometryChange()
        self._geometry_changed()
        first = not getattr(self, "_placed", False)  # later port changes keep its place
        self._placed = True
        self.node = face
        s = style()
        widest = max((s.port_metrics.horizontalAdvance(p.name) for p in face.ports),
                     default=0.0)
        self._width = math.ceil(max(BOUNDARY_WIDTH, widest + 2 * PAD + 10) / GRID) * GRID
        # as tall as a block, so a single port sits level with a block's
        self._height = max(NODE_HEIGHT, HEADER + 2 * PAD + len(face.ports) * PORT_SPACING)
        is_inputs = face.id == IN
        self.outputs = self._place_ports(self.outputs, face.ports if is_inputs else (), True)
        self.inputs = self._place_ports(self.inputs, () if is_inputs else face.ports, False)
        self._outline = QPainterPath()
        self._outline.addRoundedRect(QRectF(0, 0, self._width, self._height), RADIUS, RADIUS)
        header = QPainterPath()
        header.addRect(QRectF(0, 0, self._width, HEADER))
        self._header = self._outline.intersected(header)
        self._port_labels = []
        for port in self.ports():
            width = s.port_metrics.horizontalAdvance(port.name)
            x = self._width - 10 - width if port.is_output else 10
            self._port_labels.append((QPointF(x, port.y() + 3.5), port.name))
        self._title = face.title
        self._text_ready = True  # laid out here: the block's own layout is not for it
        self.setToolTip(f"The group's {face.title.lower()}: wire them from outside the group.")
        if first:
            self.sync_position(face.position)
        for link in self.links:
            link.update_path()
        self.update()

    def _port_ys(self, count: int, is_output: bool) -> list[float]:
        top = HEADER + (self._height - HEADER) / 2 - (count - 1) * PORT_SPACING / 2
        return [top + i * PORT_SPACING for i in range(count)]

    def set_report(self, shapes, issues, pending) -> None:
        """A boundary has no report of its own and never a problem."""

    def texts(self) -> list[str]:
        return [self._title, *(label for _, label in self._port_labels)]

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        s = style()
        pen = QPen(s.border_hover)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(s.card)
        painter.drawPath(self._outline)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BOUNDARY_HEADER)
        painter.drawPath(self._header)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < TEXT_LOD:
            if lod >= OVERVIEW_LOD:  # zoomed out: the title, big, as blocks show theirs
                painter.setFont(s.overview)
                painter.setPen(s.muted)
                painter.drawText(QRectF(0, 0, self._width, self._height),
                                 Qt.AlignmentFlag.AlignCenter, self._title)
            return
        painter.setFont(s.title)
        painter.setPen(s.text)
        painter.drawText(QRectF(0, 0, self._width, HEADER), Qt.AlignmentFlag.AlignCenter,
                         self._title)
        painter.setFont(s.port)
        painter.setPen(s.muted)
        for point, text in self._port_labels:
            painter.drawText(point, text)

