"""The canvas view: zoom around the cursor, pan, rubber-band selection, drops from the
palette, and the clipboard edits the main window's Edit menu calls."""

from __future__ import annotations

import atexit
import math

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QWidget

import blocks
from app.canvas.block_item import BadgeItem
from app.canvas.scene import CanvasScene
from app.canvas.style import GRID, HEADER, NODE_WIDTH
from projects import clipboard

ZOOM_MIN = 0.05
ZOOM_MAX = 4.0
ZOOM_STEP = 1.25
FIT_MARGIN = 40.0
FIT_MAX_ZOOM = 1.0  # fitting a small graph does not blow it up
PASTE_OFFSET = 40.0
WORLD = 4.0e6  # the pannable area; scroll bars are hidden, so the canvas feels endless
BACKGROUND = QColor("#f5f7fa")
DOT = QColor("#c9d1dc")


def fragment_mime(text: str) -> QMimeData:
    """Clipboard data for copied blocks: Deepwire's own type plus plain text."""
    mime = QMimeData()
    mime.setData(clipboard.MIME_TYPE, text.encode("utf-8"))
    mime.setText(text)
    return mime


class CanvasView(QGraphicsView):
    """Shows a CanvasScene; owns only how it is looked at (zoom, pan), not what it shows.

    A right-click asks for a menu (``menuRequested``: the scene point and the screen
    point); the main window builds it (app/context_menus.py). A problem badge keeps its
    own menu of fixes.
    """

    menuRequested = Signal(QPointF, QPoint)
    leaveRequested = Signal()  # Escape with nothing to cancel: out of the group shown

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.canvas = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSceneRect(QRectF(-WORLD / 2, -WORLD / 2, WORLD, WORLD))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)  # pastes land under the mouse, on any canvas
        self._pan_from: QPoint | None = None
        self._space = False
        self._mouse: QPointF | None = None  # the mouse on the viewport, None when away
        self._last_paste: tuple[str, int] = ("", 0)
        self._dot_pen = QPen(DOT, 1.6)
        self._dot_pen.setCosmetic(True)
        self._dot_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.centerOn(0, 0)

    # ---- zoom

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Scale to ``zoom`` (clamped) keeping the scene point under ``anchor`` (a viewport
        position; the centre by default) where it is."""
        zoom = min(ZOOM_MAX, max(ZOOM_MIN, zoom))
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        fixed = self.viewportTransform().inverted()[0].map(anchor)
        self.setTransform(QTransform.fromScale(zoom, zoom))
        moved = self.viewportTransform().map(fixed) - anchor
        self._scroll_by(moved.x(), moved.y())

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def fit_to_view(self) -> None:
        """Zoom and scroll so every block shows (never magnified beyond actual size)."""
        rect = self.canvas.items_bounding_rect()
        if rect.isNull():
            self.set_zoom(1.0)
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        size = self.viewport().size()
        zoom = min(size.width() / rect.width(), size.height() / rect.height(), FIT_MAX_ZOOM)
        self.set_zoom(zoom)
        self.centerOn(rect.center())

    def center_on_node(self, node_id: str) -> None:
        item = self.canvas.node_item(node_id)
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta == 0:
            super().wheelEvent(event)
            return
        self.set_zoom(self.zoom * math.pow(ZOOM_STEP, delta / 120.0), event.position())
        event.accept()

    def _scroll_by(self, dx: float, dy: float) -> None:
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(dx))
        v.setValue(v.value() + round(dy))

    # ---- snapping

    @property
    def snap_to_grid(self) -> bool:
        return self.canvas.snap_to_grid

    @snap_to_grid.setter
    def snap_to_grid(self, on: bool) -> None:
        self.canvas.snap_to_grid = on

    # ---- panning: middle button, or space + left button

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if isinstance(self.itemAt(event.pos()), BadgeItem):
            super().contextMenuEvent(event)  # the badge offers its block's fixes
            return
        self.menuRequested.emit(self.mapToScene(event.pos()), event.globalPos())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._mouse = event.position()
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self._scroll_by(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                             Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._update_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        self._mouse = None
        super().leaveEvent(event)

    def _update_cursor(self) -> None:
        if self._space:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # ---- keyboard

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self._update_cursor()
            event.accept()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
            event.accept()
            return
        if key == Qt.Key.Key_Escape:
            leave = not self.canvas.selectedItems() and self.canvas.level is not None
            self.canvas.cancel_wire()
            self.canvas.select_nodes([])
            if leave:
                self.leaveRequested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan_from is None:
                self._update_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self._space = False
        self._update_cursor()
        super().focusOutEvent(event)

    # ---- edits the Edit menu calls

    def delete_selection(self) -> None:
        self.canvas.delete_selection()

    def copy_selection(self) -> str:
        """Put the selected blocks (and the wires among them) on the clipboard."""
        ids = self.canvas.selected_node_ids()
        if not ids:
            return ""
        text = self.canvas.editor.copy(ids)
        QGuiApplication.clipboard().setMimeData(fragment_mime(text))
        _release_clipboard_at_exit()
        return text

    def cut_selection(self) -> str:
        text = self.copy_selection()
        if text:
            self.canvas.editor.remove_nodes(self.canvas.selected_node_ids())
        return text

    def mouse_scene_pos(self) -> QPointF | None:
        """The scene point under the mouse, None when the mouse is not over the canvas."""
        if self._mouse is None:
            return None
        return self.viewportTransform().inverted()[0].map(self._mouse)

    def paste(self, text: str, at: QPointF | None = None) -> list[str]:
        """Paste a fragment with new ids and select it: its top-left block at ``at`` (a
        scene point), else at the mouse when it is over the canvas, else offset from the
        originals (each further paste of the same fragment a step further). Never exactly
        on top of a block: a paste that would be steps on. Raises FragmentError."""
        entries = clipboard.fragment_items(text)
        if at is None:
            at = self.mouse_scene_pos()
        if at is not None and entries:
            left = min(float(e["position"][0]) for e in entries)
            top = min(float(e["position"][1]) for e in entries)
            at = self.canvas.snapped(at)
            offset = (at.x() - left, at.y() - top)
        else:
            count = self._last_paste[1] + 1 if self._last_paste[0] == text else 1
            self._last_paste = (text, count)
            offset = (PASTE_OFFSET * count, PASTE_OFFSET * count)
        ids = self.canvas.editor.paste(text, self._clear_offset(entries, offset),
                                       self.canvas.level)
        self.canvas.select_nodes(ids)
        return ids

    def duplicate_selection(self) -> list[str]:
        """Copy the selection beside itself (the clipboard is left alone)."""
        ids = self.canvas.selected_node_ids()
        if not ids:
            return []
        text = self.canvas.editor.copy(ids)
        new = self.canvas.editor.paste(text, self._clear_offset(
            clipboard.fragment_items(text), (PASTE_OFFSET, PASTE_OFFSET)), self.canvas.level)
        self.canvas.select_nodes(new)
        return new

    def _clear_offset(self, entries: list[dict], offset: tuple[float, float]
                      ) -> tuple[float, float]:
        """``offset``, stepped on diagonally until no pasted block would land on (within
        half a step of) a block already there."""
        taken = [(item.x(), item.y()) for item in self.canvas.node_items()]
        near = PASTE_OFFSET / 2
        try:
            spots = [(float(e["position"][0]), float(e["position"][1])) for e in entries]
        except (KeyError, IndexError, TypeError, ValueError):
            return offset  # not a fragment: the paste will say why
        dx, dy = offset
        while any(abs(x + dx - tx) < near and abs(y + dy - ty) < near
                  for x, y in spots for tx, ty in taken):
            dx, dy = dx + PASTE_OFFSET, dy + PASTE_OFFSET
        return dx, dy

    # ---- drops from the palette

    def _block_id(self, mime: QMimeData) -> str | None:
        """The block a palette drag carries, or None for any other drag."""
        if not mime.hasFormat(clipboard.BLOCK_MIME_TYPE):
            return None
        block_id = bytes(mime.data(clipboard.BLOCK_MIME_TYPE).data()).decode("utf-8", "replace")
        return block_id if blocks.has(block_id) else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._block_id(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._block_id(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        block_id = self._block_id(event.mimeData())
        if block_id is None:
            event.ignore()
            return
        # the cursor holds the new block by the middle of its title bar, as if dragged there
        point = self.canvas.snapped(
            self.viewportTransform().inverted()[0].map(event.position())
            - QPointF(NODE_WIDTH / 2, HEADER / 2))
        node_id = self.canvas.editor.add_block(block_id, (point.x(), point.y()),
                                               group=self.canvas.level)
        self.canvas.select_nodes([node_id])
        event.acceptProposedAction()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- background: a dot grid that thins out as the view zooms out

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, BACKGROUND)
        zoom = self.zoom
        step = GRID
        while step * zoom < 14:
            step *= 2
        pixels = step * zoom
        pen = QPen(self._dot_pen)
        width = pen.widthF()
        # A dotted line per grid row: one dash of (almost) nothing, then a gap to the next dot.
        pen.setDashPattern([0.001, pixels / width - 0.001])
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(pen)
        left = math.floor(rect.left() / step) * step
        right = rect.right() + step
        y = math.floor(rect.top() / step) * step
        while y <= rect.bottom() + step:
            painter.drawLine(QPointF(left, y), QPointF(right, y))
            y += step
        painter.restore()


_release_registered = False


def _release_clipboard_at_exit() -> None:
    """Clear our fragment from the clipboard when Python exits: PySide6 crashes at exit
    when the clipboard still holds QMimeData that Python made."""
    global _release_registered
    if _release_registered:
        return
    _release_registered = True

    def release() -> None:
        app = QGuiApplication.instance()
        if app is not None and app.clipboard().mimeData().hasFormat(clipboard.MIME_TYPE):
            app.clipboard().clear()

    atexit.register(release)
