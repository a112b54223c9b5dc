"""The canvas's wires: the routed path between two ports, the wire item and the wire
that follows the mouse while a connection is dragged."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas.block_item import Hoverable, NodeItem
from app.canvas.style import (
    ARC_LIFT,
    LABEL_LOD,
    LANE_STEP,
    NODE_HEIGHT,
    NODE_WIDTH,
    TEXT_LOD,
    TURN,
    style,
)
from projects.document import Link
from projects.shapes import TensorInfo


def compact_shape(info: TensorInfo) -> str:
    """What a wire carries, without the batch axis: ``8×8×32``, ``?×32``, ``scalar``."""
    dims = info.shape[1:]
    if not dims:
        return "scalar"
    return "×".join("?" if d is None else str(d) for d in dims)



def wire_path(start: QPointF, end: QPointF, lane: float | None = None) -> QPainterPath:
    """A horizontal-tangent cubic from an output to an input.

    Long wires between blocks on one row arc over the blocks they skip (a residual
    connection reads as a bridge, not as a wire hidden behind the next block). A wire that
    turns back to a row above or below (a long model wrapped onto rows) bends out of its
    block, runs back through the gap between the rows and bends into its target, instead
    of cutting diagonally across both rows. ``lane`` is the height of that run, when the
    caller found one clear of blocks (see ``LinkItem``); otherwise it runs half-way. A
    forward wire to another row that would cut across blocks gets a ``lane`` too, and steps
    down (or up) to it and back.
    """
    dx = end.x() - start.x()
    dy = end.y() - start.y()
    path = QPainterPath(start)
    if lane is not None and not turns_back(start, end):  # forward, by the gaps and a lane
        _rounded_steps(path, [QPointF(start.x() + TURN / 2, start.y()),
                              QPointF(start.x() + TURN / 2, lane),
                              QPointF(end.x() - TURN / 2, lane),
                              QPointF(end.x() - TURN / 2, end.y()), end])
        return path
    if turns_back(start, end) or (lane is not None and dx < 0):
        middle = start.y() + dy / 2 if lane is None else lane
        path.cubicTo(QPointF(start.x() + TURN, start.y()), QPointF(start.x() + TURN, middle),
                     QPointF(start.x(), middle))
        path.lineTo(QPointF(end.x(), middle))
        path.cubicTo(QPointF(end.x() - TURN, middle), QPointF(end.x() - TURN, end.y()), end)
        return path
    pull = max(40.0, abs(dx) * 0.45) if dx >= 0 else max(80.0, min(200.0, -dx * 0.5))
    if dx > NODE_WIDTH * 1.5 and abs(dy) < NODE_HEIGHT * 0.5:
        top = min(start.y(), end.y()) - ARC_LIFT
        path.cubicTo(QPointF(start.x() + pull * 0.5, top), QPointF(end.x() - pull * 0.5, top),
                     end)
    else:
        path.cubicTo(QPointF(start.x() + pull, start.y()), QPointF(end.x() - pull, end.y()),
                     end)
    return path


def drag_path(start: QPointF, end: QPointF) -> QPainterPath:
    """The wire that follows the mouse: one cubic whose bend grows smoothly with the
    distance, so its shape never jumps as the mouse crosses a threshold (a placed wire
    may turn back or arc over blocks; a dragged one only shows where it goes)."""
    pull = 40.0 + min(abs(end.x() - start.x()), 400.0) * 0.4
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + pull, start.y()), QPointF(end.x() - pull, end.y()), end)
    return path


def _rounded_steps(path: QPainterPath, corners: list[QPointF], radius: float = 12.0) -> None:
    """Straight runs from the path's end through ``corners``, each bend rounded."""
    for i, corner in enumerate(corners[:-1]):
        before, after = path.currentPosition(), corners[i + 1]
        r = min(radius, _distance(before, corner) / 2, _distance(corner, after) / 2)
        path.lineTo(_towards(corner, before, r))
        path.quadTo(corner, _towards(corner, after, r))
    path.lineTo(corners[-1])


def _distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(b.x() - a.x(), b.y() - a.y())


def _towards(a: QPointF, b: QPointF, length: float) -> QPointF:
    """The point ``length`` from ``a`` on the way to ``b``."""
    distance = _distance(a, b)
    if distance == 0:
        return QPointF(a)
    return a + (b - a) * (length / distance)


def turns_back(start: QPointF, end: QPointF) -> bool:
    """A wire into a block to the left on another row: it runs back between the rows."""
    return end.x() < start.x() and abs(end.y() - start.y()) >= NODE_HEIGHT


LABEL_PLACES = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)  # along a wire, for its shape label


class BlockIndex:
    """The blocks' rectangles as arrays, for the wires' route searches.

    A wire between rows looks for a lane clear of blocks, a strip at a time; asking the
    scene (``QGraphicsScene.items``) costs milliseconds per strip while the scene grows,
    as its index is rebuilt, which made opening a 500-block project take seconds. The
    scene marks this index stale when a block is added, removed, moved or resized.
    """

    def __init__(self, blocks: Callable[[], Iterable[NodeItem]]) -> None:
        self._blocks = blocks
        self._items: list[NodeItem] = []
        self._rows: dict[int, int] = {}  # id(item) -> its row in the arrays
        self._rects: Any = None  # NumPy (imported on first use: not needed to start)
        self._stale = True

    def invalidate(self) -> None:
        self._stale = True

    def hits(self, rect: QRectF) -> list[NodeItem]:
        """The blocks whose bounding rectangles meet ``rect``."""
        import numpy as np

        x0, y0, x1, y1 = _edges(rect)
        r = self._rects_now()
        found = np.flatnonzero((r[:, 0] <= x1) & (r[:, 2] >= x0) & (r[:, 1] <= y1)
                               & (r[:, 3] >= y0))
        return [self._items[i] for i in found]

    def _rects_now(self) -> Any:
        import numpy as np

        if self._stale:
            self._items = list(self._blocks())
            self._rows = {id(item): row for row, item in enumerate(self._items)}
            self._rects = np.array([_edges(i.sceneBoundingRect()) for i in self._items]
                                   ).reshape(-1, 4)
            self._stale = False
        return self._rects

    def first_clear(self, heights: Sequence[float], left: float, right: float,
                    legs: Sequence[tuple[float, float]], ignore: Sequence[NodeItem],
                    half: float) -> float | None:
        """The first of ``heights`` whose run from ``left`` to ``right`` (``half`` above
        and below it) and whose vertical legs (``(x, port y)``: from the port to the run)
        meet no block but those in ``ignore``; all heights are tried at once."""
        import numpy as np

        r = self._rects_now()
        keep = np.ones(len(r), dtype=bool)
        for item in ignore:
            row = self._rows.get(id(item))
            if row is not None:
                keep[row] = False
        r = r[keep]
        ys = np.asarray(heights, dtype=float)
        if not len(ys):
            return None
        across = r[(r[:, 0] <= right) & (r[:, 2] >= left)]
        blocked = _meets(across[:, 1], across[:, 3], ys - half, ys + half)
        for x, port_y in legs:
            column = r[(r[:, 0] <= x + 1) & (r[:, 2] >= x - 1)]
            top, bottom = column[:, 1], column[:, 3]
            # a leg from the port to height y meets a block beside the port whatever y
            # is, one above the port when y reaches up to its bottom, one below when y
            # reaches down to its top
            if ((top <= port_y) & (bottom >= port_y)).any():
                return None
            above, below = bottom[bottom < port_y], top[top > port_y]
            if len(above):
                blocked |= ys <= above.max()
            if len(below):
                blocked |= ys >= below.min()
        clear = np.flatnonzero(~blocked)
        return float(ys[clear[0]]) if len(clear) else None


def _meets(tops: Any, bottoms: Any, run_tops: Any, run_bottoms: Any) -> Any:
    """For each run i, whether some block j has ``tops[j] <= run_bottoms[i]`` and
    ``bottoms[j] >= run_tops[i]`` (they overlap in y): with the blocks sorted by top, the
    lowest bottom of those starting above a run's bottom says. Testing every pair of
    blocks and heights took most of opening a big project."""
    import numpy as np

    if not len(tops):
        return np.zeros(len(run_tops), dtype=bool)
    order = np.argsort(tops, kind="stable")
    lowest = np.maximum.accumulate(bottoms[order])
    last = np.searchsorted(tops[order], run_bottoms, side="right") - 1
    return (last >= 0) & (lowest[np.maximum(last, 0)] >= run_tops)


def _edges(rect: QRectF) -> tuple[float, float, float, float]:
    return rect.left(), rect.top(), rect.right(), rect.bottom()


class LinkItem(Hoverable):
    """A wire from an output port to an input port, labelled with the shape it carries."""

    def __init__(self, link: Link, source: NodeItem, target: NodeItem, kind: str) -> None:
        super().__init__()
        self.link = link
        self.source = source
        self.target = target
        self.kind = kind
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self._hover = False  # drawn at z 0, below the blocks
        self._path = QPainterPath()
        self._points: dict[float, QPointF] = {}
        self._hit: QPainterPath | None = QPainterPath()
        self._bounds = QRectF()
        self._wire_bounds = QRectF()
        self.label = ""
        self._label_size = (0.0, 0.0)
        self._label_rect = QRectF()
        self._label_visible = False
        # routed by the scene once it holds the wire (``update_path``): a route may go
        # around blocks, and only the scene knows them

    def _clear_lane(self, start: QPointF, end: QPointF) -> float | None:
        """The height of a horizontal run that crosses no block, for a wire whose plain
        route would pass behind one (and so look as if that block fed its target), or
        None when the plain route is clear.

        A wire that turns back runs through the gap between its rows (a row may hold a
        fork, and a skip may pass a whole row); a wire back to a block on its own row runs
        above or below that row; a forward wire steps to its lane in the gaps beside its
        two blocks. Heights nearest half-way between the ends are tried first, then ones
        beyond them, a row at most.
        """
        scene = self.scene()
        if scene is None:
            return None
        dy = abs(end.y() - start.y())
        backward = end.x() < start.x()
        if backward and dy >= NODE_HEIGHT:
            left, right = end.x() - TURN, start.x() + TURN
            legs = (start.x() + TURN * 0.75, end.x() - TURN * 0.75)
        elif not self._crosses_blocks(wire_path(start, end)):
            return None
        elif backward:
            left, right = end.x() - TURN, start.x() + TURN
            legs = (start.x() + TURN * 0.75, end.x() - TURN * 0.75)
        elif end.x() - start.x() >= 2 * TURN:
            left, right = start.x() + TURN / 2, end.x() - TURN / 2
            legs = (left, right)
        else:
            return None
        low, high = sorted((start.y(), end.y()))
        middle = (low + high) / 2
        between = [middle + sign * step * LANE_STEP
                   for step in range(int((high - low) / 2 / LANE_STEP) + 1) for sign in (1, -1)]
        reach = int(NODE_HEIGHT * 1.5 / LANE_STEP)
        beyond = [y for step in range(1, reach + 1)
                  for y in (low - step * LANE_STEP, high + step * LANE_STEP)]
        return scene.block_index.first_clear(
            list(dict.fromkeys(between + beyond)), left, right,
            list(zip(legs, (start.y(), end.y()), strict=True)), (self.source, self.target),
            LANE_STEP / 2)

    def _crosses_blocks(self, path: QPainterPath) -> bool:
        """Whether ``path`` runs over a block other than the two it joins."""
        ends = (self.source, self.target)
        near = [item for item in self.scene().block_index.hits(path.boundingRect())
                if item not in ends]
        if not near:  # most wires: nothing but their own blocks anywhere near
            return False
        line = QPainterPathStroker()
        line.setWidth(1.0)
        stroke = line.createStroke(path)
        return any(stroke.intersects(item.sceneBoundingRect()) for item in near)

    def set_label(self, info: TensorInfo | None) -> None:
        label = compact_shape(info) if info is not None else ""
        if label != self.label:
            self.label = label
            metrics = style().wire_metrics
            self._label_size = (metrics.horizontalAdvance(label) + 8, metrics.height() + 3)
            self.setToolTip(f"{info} {info.dtype}{' sparse' if info.sparse else ''}"
                            if info is not None else "")
            self._layout_label()  # the route stays: it does not depend on the label

    def update_path(self) -> None:
        self.prepareGeometryChange()
        start = self.source.port_scene_pos(self.link.source_port, True)
        end = self.target.port_scene_pos(self.link.target_port, False)
        lane = self._clear_lane(start, end) if self.scene() is not None else None
        self._path = wire_path(start, end, lane)
        self._points = {}  # label places along the path (``_label_at``)
        self._hit = None  # the outline to hit-test, made when first asked for (``shape``)
        self._wire_bounds = self._path.boundingRect().adjusted(-3, -3, 3, 3)
        self._layout_label()

    def _layout_label(self) -> None:
        """The label at the wire's middle, unless it would cover one of its two blocks;
        the scene then spreads the labels (``place_label``)."""
        self._label_visible = False
        if self.label:
            self._label_rect = self._label_at(0.5)
            self._label_visible = self._label_fits(self._label_rect)
        self._set_bounds()
        notify = getattr(self.scene(), "labels_changed", None)
        if notify is not None and self.label:
            notify(self.link)  # the scene keeps labels from covering each other

    def _set_bounds(self) -> None:
        bounds = self._wire_bounds
        if self._label_visible:
            bounds = bounds.united(self._label_rect.adjusted(-1, -1, 1, 1))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def _label_at(self, percent: float) -> QRectF:
        w, h = self._label_size
        mid = self._points.get(percent)
        if mid is None:  # measuring along a curve is slow; the route changes seldom
            mid = self._points[percent] = self._path.pointAtPercent(percent)
        return QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)

    def _label_fits(self, rect: QRectF) -> bool:
        """Not over either of its own blocks (the label would hide their ports)."""
        blocked = rect.adjusted(-1, 0, 1, 0)
        return not (
            blocked.intersects(self.source.sceneBoundingRect().adjusted(4, 4, -4, -4))
            or blocked.intersects(self.target.sceneBoundingRect().adjusted(4, 4, -4, -4)))

    def label_rect(self) -> QRectF | None:
        """Where its shape label is drawn, if it is."""
        return QRectF(self._label_rect) if self._label_visible else None

    def place_label(self, is_free: Callable[[QRectF], bool]) -> QRectF | None:
        """Slide the label along the wire to the first place ``is_free`` accepts, nearest
        the middle first; with none free it is left out (the wire's tooltip keeps the
        shape). Returns where it went."""
        if not self.label:
            return None
        before = (QRectF(self._label_rect), self._label_visible)
        for percent in LABEL_PLACES:
            rect = self._label_at(percent)
            if self._label_fits(rect) and is_free(rect):
                self._label_rect, self._label_visible = rect, True
                break
        else:
            self._label_visible = False
        if (self._label_rect, self._label_visible) != before:
            self._set_bounds()
        return self.label_rect()

    def path(self) -> QPainterPath:
        return self._path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        # A rubber band selects blocks; wires it happens to cross stay unselected, so that
        # Delete after a band selection removes blocks, not unrelated wires.
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedChange and value and any(
                not view.rubberBandRect().isNull() for view in self.scene().views()):
            return False
        return value

    def label_shown(self) -> bool:
        return self._label_visible

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._hit is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12.0)
            self._hit = stroker.createStroke(self._path)
        return self._hit

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        s = style()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.isSelected() or self._hover:
            painter.setPen(s.wire_selected if self.isSelected() else s.wire_hover[self.kind])
            painter.drawPath(self._path)
        else:  # three offset hairlines look like a 2 px wire and cost a tenth of one
            painter.setPen(s.wire_pen[self.kind])
            painter.drawPath(self._path)
            if lod >= TEXT_LOD:
                step = 0.9 / lod
                painter.translate(step, 0)
                painter.drawPath(self._path)
                painter.translate(-step, step)
                painter.drawPath(self._path)
                painter.translate(0, -step)
        if not self._label_visible or lod < LABEL_LOD:
            return
        painter.setPen(s.label_pen)
        painter.setBrush(s.label_brush)
        radius = self._label_rect.height() / 2
        painter.drawRoundedRect(self._label_rect, radius, radius)
        painter.setFont(s.wire)
        painter.setPen(s.label_text)
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)


class DragWireItem(QGraphicsItem):
    """The dashed wire that follows the mouse while a new connection is dragged."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(10)
        self._path = QPainterPath()
        self._bounds = QRectF()

    def set_ends(self, start: QPointF, end: QPointF, from_output: bool) -> None:
        self.prepareGeometryChange()
        self._path = drag_path(start, end) if from_output else drag_path(end, start)
        self._bounds = self._path.boundingRect().adjusted(-3, -3, 3, 3)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(style().drag_wire)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
