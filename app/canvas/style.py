"""How the canvas looks: metrics, colours, fonts, pens, and category icons at block size.

Everything here is made once (fonts and pens after QApplication exists) and shared by every
item, so painting never builds a pen or parses an icon.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPen,
    QPixmap,
)

from app.icons import category_icon

GRID = 20.0
NODE_WIDTH = 180.0
NODE_MAX_WIDTH = 220.0  # blocks widen for long titles and parameters up to this (a
# layout's gaps are 60 px: a block that widens never reaches its neighbour)
LABEL_GAP = 10.0  # between a port's label and the text beside it
NODE_HEIGHT = 126.0  # every block with up to three ports a side; more ports stretch it
HEADER = 30.0
RADIUS = 8.0
PAD = 12.0
PORT_SPACING = 20.0
PORT_RADIUS = 5.0
PORT_HIT = 10.0  # ports are easier to grab than they look
FLASH_REACH = 14.0  # how far a refused port's ring spreads beyond its grab circle
FLASH_MS = 900  # a refused port flashes this long: two pulses of its ring
ROW = 15.0
META_BASELINE = HEADER + 17
PARAM_BASELINES = (HEADER + 34, HEADER + 49)
PARAMS_MIDDLE = HEADER + 37.5  # the middle of the two parameter rows
SEPARATOR_FROM_BOTTOM = 37.0
FOOTER_BASELINES = (22.0, 8.0)  # shape and parameter count, from the bottom edge
# A cubic whose control points rise by h peaks at 3h/4: clear a block's top by ~28 px.
ARC_LIFT = (HEADER + (NODE_HEIGHT - HEADER) / 2 + 28) / 0.75
TURN = 60.0  # how far a wire that turns back to another row swings out of its blocks
LANE_STEP = 10.0  # the heights tried for the run back of such a wire
BOXES = Qt.ItemSelectionMode.IntersectsItemBoundingRect  # blocks are boxes: the fast test
OVERVIEW_LOD = 0.12  # below this, blocks are plain cards; above it up to TEXT_LOD, a big title
TEXT_LOD = 0.45  # below this zoom, blocks are drawn as coloured cards without text
LABEL_LOD = 0.6  # below this zoom, wires drop their shape labels
PENDING = "…"

KIND_COLOURS = {"tensor": "#64748b", "graph": "#16a34a"}
WIRE_COLOURS = {"tensor": "#8a9ab0", "graph": "#22c55e"}
ACCENT = "#2563eb"
ERROR = "#ef4444"
WARNING = "#f59e0b"
TEXT = "#1e293b"
MUTED = "#64748b"
FAINT = "#94a3b8"


class Metrics(QFontMetricsF):
    """Font metrics that remember the widths and elided texts they measured: the blocks
    of a project repeat their titles, parameters and shapes, and measuring is most of the
    cost of laying out a block's text."""

    def __init__(self, font: QFont) -> None:
        super().__init__(font)
        self._advances: dict[str, float] = {}
        self._elided: dict[tuple[str, Qt.TextElideMode, float], str] = {}

    def horizontalAdvance(self, text: str) -> float:
        width = self._advances.get(text)
        if width is None:
            if len(self._advances) > CACHED_TEXTS:
                self._advances.clear()
            width = self._advances[text] = super().horizontalAdvance(text)
        return width

    def elidedText(self, text: str, mode: Qt.TextElideMode,
                   width: float) -> str:
        key = (text, mode, width)
        elided = self._elided.get(key)
        if elided is None:
            if len(self._elided) > CACHED_TEXTS:
                self._elided.clear()
            elided = self._elided[key] = super().elidedText(text, mode, width)
        return elided


CACHED_TEXTS = 20_000  # per font; a cache this full starts afresh


class _Style:
    """Fonts, metrics, pens and brushes shared by every item (made once, after QApplication)."""

    def __init__(self) -> None:
        def font(size: float, weight: QFont.Weight = QFont.Weight.Normal,
                 base: QFont | None = None) -> QFont:
            f = QFont(base) if base is not None else QFont()
            f.setPixelSize(round(size))
            f.setWeight(weight)
            f.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
            return f

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.title = font(13, QFont.Weight.DemiBold)
        self.meta = font(11)
        self.body = font(12)
        self.mono = font(11.5, base=mono)
        self.port = font(10, QFont.Weight.Medium)
        self.wire = font(10, QFont.Weight.Medium, base=mono)
        self.badge = font(11, QFont.Weight.Bold)
        self.overview = font(28, QFont.Weight.DemiBold)
        self.title_metrics = Metrics(self.title)
        self.meta_metrics = Metrics(self.meta)
        self.body_metrics = Metrics(self.body)
        self.mono_metrics = Metrics(self.mono)
        self.port_metrics = Metrics(self.port)
        self.wire_metrics = Metrics(self.wire)
        self.overview_metrics = Metrics(self.overview)

        self.text = QColor(TEXT)
        self.muted = QColor(MUTED)
        self.faint = QColor(FAINT)
        self.white = QColor("#ffffff")
        self.title_pen = QPen(QColor("#ffffff"))
        self.card = QBrush(QColor("#ffffff"))
        self.shadow = QBrush(QColor(15, 23, 42, 22))
        self.shadow_near = QBrush(QColor(15, 23, 42, 18))
        self.border = QPen(QColor("#d5dbe3"), 1.0)
        self.border_hover = QPen(QColor("#aab4c3"), 1.0)
        self.border_error = QPen(QColor(ERROR), 1.5)
        self.selected = QPen(QColor(ACCENT), 2.0)
        self.halo = QPen(QColor(37, 99, 235, 60), 6.0)
        self.separator = QPen(QColor("#eef1f5"), 1.0)
        for pen in (self.border, self.border_hover, self.border_error, self.selected,
                    self.halo, self.separator):
            pen.setCosmetic(False)
        self.error = QColor(ERROR)
        self.warning = QColor(WARNING)
        self.kind = {k: QColor(v) for k, v in KIND_COLOURS.items()}
        self.optional_port = {k: QPen(c, 2.0) for k, c in self.kind.items()}
        self.wire_pen = {k: _hairline(QColor(v)) for k, v in WIRE_COLOURS.items()}
        self.wire_pen["graph"].setDashPattern([6.0, 4.0])
        self.wire_selected = _round_pen(QColor(ACCENT), 3.0)
        self.wire_hover = {k: _round_pen(QColor(v).darker(125), 2.5)
                           for k, v in WIRE_COLOURS.items()}
        self.drag_wire = _round_pen(QColor(ACCENT), 2.0)
        self.drag_wire.setDashPattern([5.0, 3.0])
        self.label_brush = QBrush(QColor(255, 255, 255, 235))
        self.label_pen = QPen(QColor("#dbe1e8"), 1.0)
        self.label_text = QColor("#475569")
        self.port_ring = QPen(QColor("#ffffff"), 1.5)
        self.port_target = QPen(QColor(ACCENT), 2.0)
        self.port_glow = QBrush(QColor(37, 99, 235, 55))
        self.port_flash = QColor(ERROR)


def _round_pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _hairline(colour: QColor) -> QPen:
    """A one-pixel cosmetic pen: Qt strokes these on a fast path, some 20 times quicker
    than a wide antialiased pen, which matters when hundreds of long wires cross the view."""
    pen = QPen(colour, 1.0)
    pen.setCosmetic(True)
    return pen


@cache
def style() -> _Style:
    return _Style()


@cache
def category_pixmap(category: str) -> QPixmap:
    """The category icon rendered once at twice its size, for crisp drawing when zoomed."""
    pixmap = category_icon(category).pixmap(36, 36)
    pixmap.setDevicePixelRatio(2.0)
    return pixmap
