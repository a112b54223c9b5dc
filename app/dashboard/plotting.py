"""What the dashboard's plots share: the light theme, the colours and growing series.

Plots follow pyqtgraph's ``scrollingPlots.py``: every curve is created once, its points
live in preallocated numpy arrays that double when full, and each update is one
``setData`` of views into those arrays, downsampled (peak) and clipped to the view.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QShowEvent
from PySide6.QtWidgets import QWidget

from app.dashboard.pyqtgraph_compat import (
    plot_data_item,
    quiet_child_group,
    set_points_per_pixel,
)

INK = "#111827"
MUTED = "#4b5563"
AXIS = "#9ca3af"
BORDER = "#e5e7eb"
GRID = "#eceef1"
RUN_COLOURS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#db2777")
CLASS_COLOURS = ("#2563eb", "#ea580c", "#16a34a", "#dc2626", "#9333ea", "#0891b2",
                 "#db2777", "#65a30d", "#ca8a04", "#475569")
# Attention weights are probabilities: white (0) to deep blue (1), legible on white.
PROBABILITY_MAP = pg.ColorMap([0.0, 0.35, 1.0], ["#f8fafc", "#60a5fa", "#1e3a8a"])
DEFAULT_SMOOTHING = 0.8
# Downsampled curves keep ~1.5 points per pixel (pyqtgraph's default, 5, costs 3× the paint).
POINTS_PER_PIXEL = 1.5
QSIZE_MAX = 16777215


def tint(hex_colour: str, strength: float) -> QColor:
    """``hex_colour`` blended into white, opaque: looks translucent on the white plots but
    paints many times faster than a translucent pen does on long, jagged curves."""
    base = QColor(hex_colour)
    mix = [round(255 - strength * (255 - c)) for c in (base.red(), base.green(), base.blue())]
    return QColor(*mix)


class TickGrid(pg.GraphicsObject):
    """Faint lines at the major ticks of a plot's axes, drawn inside its view.

    pyqtgraph's own grid (``showGrid``) is painted by the axes across the whole plot, so
    every curve update repaints them too: ~10× the cost of these few lines.
    """

    def __init__(self, plot: pg.PlotItem, x: bool = True, y: bool = True) -> None:
        super().__init__()
        self._plot = plot
        self._axes = [name for name, shown in (("bottom", x), ("left", y)) if shown]
        self._pen = pg.mkPen(GRID, width=1)
        self._pen.setCosmetic(True)
        # Each axis's major ticks and the (low, high, pixels) they were found for: the view
        # repaints more often than its range changes, and then mostly only along y.
        self._ticks: dict[str, tuple[tuple[float, float, float], list[float]]] = {}
        self.setZValue(-1000)
        plot.addItem(self, ignoreBounds=True)
        plot.getViewBox().sigRangeChanged.connect(self._follow_range)

    def _follow_range(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        view = self.getViewBox()
        return view.viewRect() if view is not None else QRectF()

    def paint(self, painter: QPainter, *args) -> None:
        rect = self.boundingRect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self._pen)
        for name in self._axes:
            axis = self._plot.getAxis(name)
            vertical = name == "bottom"  # its ticks are vertical lines
            low, high = sorted((rect.left(), rect.right()) if vertical
                               else (rect.top(), rect.bottom()))
            pixels = axis.width() if vertical else axis.height()
            painter.drawLines([QLineF(value, rect.top(), value, rect.bottom()) if vertical
                               else QLineF(rect.left(), value, rect.right(), value)
                               for value in self._major_ticks(axis, low, high, pixels)])

    def _major_ticks(self, axis: pg.AxisItem, low: float, high: float, pixels: float
                     ) -> list[float]:
        key = (low, high, pixels)
        cached = self._ticks.get(axis.orientation)
        if cached is None or cached[0] != key:
            levels = axis.tickValues(low, high, pixels) if high > low and pixels > 0 else []
            cached = self._ticks[axis.orientation] = (key, list(levels[0][1]) if levels else [])
        return cached[1]


def style_plot(plot: pg.PlotItem, title: str = "", left: str = "", bottom: str = "",
               grid: bool = True) -> None:
    """Dark-on-white axes with a faint grid, as every dashboard plot has."""
    if title:
        plot.setTitle(title, color=INK, size="10.5pt")
    tick_font = QFont()
    tick_font.setPointSizeF(8.5)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS))
        axis.setTextPen(pg.mkPen(MUTED))
        axis.setTickFont(tick_font)
        # Major ticks and one level of minor ones: a third level costs 0.7 ms more each
        # time the range changes, for ticks too small to read.
        axis.setStyle(maxTickLevel=1)
        # No axis has units, so pyqtgraph's SI prefix never shows ("epoch" spans more
        # than 1); looking for one re-typesets the axis label at every range change.
        axis.enableAutoSIPrefix(False)
    if left:
        plot.setLabel("left", left, color=MUTED, **{"font-size": "9pt"})
    if bottom:
        plot.setLabel("bottom", bottom, color=MUTED, **{"font-size": "9pt"})
    if grid:
        TickGrid(plot)
    quiet_child_group(plot)


def add_legend(plot: pg.PlotItem, columns: int = 1, offset: tuple[int, int] = (-6, 6)
               ) -> pg.LegendItem:
    """A legend in a corner: offsets' signs pick it, (-, +) being the top right."""
    return plot.addLegend(offset=offset, brush=pg.mkBrush(255, 255, 255, 225),
                          pen=pg.mkPen(BORDER), labelTextColor=INK, labelTextSize="8.5pt",
                          colCount=columns)


class LegendRow:
    """A legend in a row of its own above plots, entries side by side: it never covers a
    curve. A series gets its entry once it has points, so none is listed that isn't there."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int = 0, colspan: int = 1
                 ) -> None:
        self.legend = pg.LegendItem(labelTextColor=INK, labelTextSize="8.5pt", colCount=8,
                                    horSpacing=14)
        self._place = (row, col, colspan)
        self._layout = layout
        self.names: list[str] = []
        self.attach()

    def attach(self) -> None:
        """Into its row again, after the layout was cleared."""
        row, col, colspan = self._place
        self._layout.addItem(self.legend, row=row, col=col, colspan=colspan)
        self._layout.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignLeft
                                         | Qt.AlignmentFlag.AlignVCenter)

    def offer(self, item: pg.PlotDataItem, name: str) -> None:
        """List ``item`` as ``name`` if it has points and ``name`` is not listed yet."""
        if name not in self.names and item.xData is not None and len(item.xData):
            self.legend.addItem(item, name)
            self.names.append(name)
            # As wide and high as its entries, at the row's left: not stretched over it.
            needed = self.legend.layout.preferredSize()
            self.legend.setMaximumSize(needed.width(), needed.height())

    def clear(self) -> None:
        if self.names:
            self.legend.clear()
            self.names = []
            self.legend.setMaximumSize(QSIZE_MAX, QSIZE_MAX)


def plot_widget(title: str = "", left: str = "", bottom: str = "", grid: bool = True
                ) -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    style_plot(widget.getPlotItem(), title, left, bottom, grid)
    return widget


def layout_widget() -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    widget.ci.setContentsMargins(6, 6, 6, 6)
    widget.ci.setSpacing(12)
    return widget


def curve(plot: pg.PlotItem, hex_colour: str, *, width: float = 2.0, dashed: bool = False,
          faint: bool = False, name: str | None = None, symbol: str | None = None,
          method: str = "peak") -> pg.PlotDataItem:
    """A curve added to ``plot``, ready for repeated ``setData`` of long series.

    ``method`` downsamples: "peak" keeps a noisy series' extremes; "mean" suits a smooth one
    (peak would turn it into a zigzag, which is slow to stroke with a wide pen).
    """
    pen = pg.mkPen(tint(hex_colour, 0.35) if faint else QColor(hex_colour), width=width,
                   style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
    options = {}
    if symbol:
        options = {"symbol": symbol, "symbolSize": 6, "symbolPen": pg.mkPen(hex_colour, width=1.5),
                   "symbolBrush": pg.mkBrush("w" if dashed else hex_colour)}
    # A faint 1-pixel line shows no jaggies, and drawing it unsmoothed halves its cost. The
    # lines between measured points (a few, under symbols that stay smooth) are drawn
    # unsmoothed too: a smoothed dashed line of a few points cost as much as the per-batch
    # curve, and every refresh repaints them (11-20 % less painting per refresh, busy machine).
    item = plot_data_item(pen=pen, name=name, antialias=not (faint or symbol), connect="finite",
                          **options)
    plot.addItem(item)  # which applies the plot's own downsampling: override it after
    if width > 1 and not dashed:
        # Qt strokes a wide antialiased path very slowly (100 ms for 800 jagged points);
        # separate segments draw the same line in about 1 ms.
        item.curve.setSegmentedLineMode("on")
    set_points_per_pixel(item, POINTS_PER_PIXEL)
    item.setDownsampling(auto=True, method=method)
    item.setClipToView(True)
    return item


FEW_POINTS = 3  # fewer per-epoch points than this show as points alone, no line
MANY_POINTS = 60  # more than this show as a line alone: symbols would crowd it


def show_points(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """``item.setData(x, y)`` for a series of a few measured points (per epoch, per probe):
    two points joined by a line would read as a trend, so the line appears from
    ``FEW_POINTS`` on; the symbols go once there are ``MANY_POINTS``."""
    style = getattr(item, "_deepwire_style", None)
    if style is None:  # the style it was made with
        style = item._deepwire_style = [item.opts["pen"], item.opts["symbol"], None]
    pen, symbol, shown = style
    mode = "points" if len(x) < FEW_POINTS else "both" if len(x) <= MANY_POINTS else "line"
    if mode != shown:
        style[2] = mode
        item.setPen(None if mode == "points" else pen)
        item.setSymbol(None if mode == "line" else symbol)
    item.setData(x, y)


def x_axis_end(x_max: float) -> int:
    """Where the x axis ends for data up to ``x_max`` epochs: the next power of two, so the
    data fills at least half the axis, and the axis (whose change re-clips every curve and
    redraws the axis) moves a few times in a run, not at every epoch."""
    return 1 << max(0, math.ceil(math.log2(max(x_max, 1.0)) - 1e-9))


class SteadyRange:
    """A plot's x and y ranges, kept around its data by the view rather than by pyqtgraph's
    auto-range, and changed only when they must.

    pyqtgraph's auto-range re-fits the y range to the data at every refresh, as a loss
    falls: each time the axis re-derives its ticks and texts and the whole plot repaints,
    a third of a refresh. Here the y range changes only when the data leaves it or fills
    less than half of it, and then leaves ``HEADROOM`` on the side the data went. The x
    range runs from 0 to the last whole epoch. Once the user zooms or pans a plot (or
    presses its auto-range button), the plot is theirs.
    """

    HEADROOM = 0.3  # of the data's span, beyond the side it left the range on
    MARGIN = 0.05  # of the data's span, on the other side

    def __init__(self, plot: pg.PlotItem, x: bool = True, y: bool = True) -> None:
        self.view = plot.getViewBox()
        self._axes = (x, y)
        self._x_end = 0
        self._y: tuple[float, float] | None = None
        self.manual = False
        self._final = False  # the run is over: no more growth to leave room for
        plot.enableAutoRange(x=False if x else None, y=False if y else None)
        self.view.sigRangeChangedManually.connect(self._on_manual)

    def _on_manual(self, *_args) -> None:
        self.manual = True

    def _ours(self, axis: int) -> bool:
        return self._axes[axis] and not self.manual and not self.view.state["autoRange"][axis]

    def follow(self, x_max: float, low: float, high: float) -> None:
        """Fit the ranges to data up to ``x_max`` with y values in [``low``, ``high``]."""
        if self._ours(0):
            end = max(1, math.ceil(x_max - 1e-9)) if self._final else x_axis_end(x_max)
            if end != self._x_end:
                self._x_end = end
                self.view.setXRange(0, end, padding=0.02)
        if not self._ours(1) or not (math.isfinite(low) and math.isfinite(high)):
            return
        span = high - low or abs(high) * 0.1 or 1.0
        if self._y is not None:
            bottom, top = self._y
            if bottom <= low and high <= top and span >= 0.5 * (top - bottom):
                return  # the data is inside and fills the range well: it stays
            self._y = (low - span * (self.HEADROOM if low < bottom else self.MARGIN),
                       high + span * (self.HEADROOM if high > top else self.MARGIN))
        else:
            self._y = (low - span * self.MARGIN, high + span * self.MARGIN)
        bottom, top = self._y
        if low >= 0:  # a loss or a rate: no headroom below zero
            bottom = max(bottom, -span * self.MARGIN)
        if low >= 0 and high <= 1:  # an accuracy or a probability: none above one
            top = min(top, 1 + span * self.MARGIN)
        self._y = (bottom, top)
        self.view.setYRange(bottom, top, padding=0)

    def tighten(self) -> None:
        """Fit closely at the next ``follow``, x to the last epoch and y without headroom:
        the run is over."""
        self._y, self._final = None, True

    def reset(self) -> None:
        self._x_end, self._y, self.manual, self._final = 0, None, False, False


def settle_range(plot: pg.PlotItem) -> None:
    """Auto-range ``plot`` now, after new data, instead of in its next paint: a range (or
    transform) that changes while painting makes every curve re-clip and the whole view
    paint twice."""
    view = plot.getViewBox()
    view.updateAutoRange()
    view.updateMatrix()


class GrowingSeries:
    """x/y points in preallocated arrays that double when full.

    It remembers whether points arrived since it was last shown, so that a view can hand
    its curves to pyqtgraph once per redraw, and only the curves that changed.
    """

    def __init__(self, capacity: int = 256) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self._n = 0
        self._changed = True  # an empty series still clears its item once

    def __len__(self) -> int:
        return self._n

    @property
    def x(self) -> np.ndarray:
        return self._x[:self._n]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self._n]

    def append(self, x: float, y: float) -> None:
        if self._n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self._n] = x
        self._y[self._n] = y
        self._n += 1
        self._changed = True
        if math.isfinite(y):
            if y < self.low:
                self.low = y
            if y > self.high:
                self.high = y

    low = math.inf  # the finite values' range, kept as they arrive
    high = -math.inf

    def replace_y(self, y: np.ndarray) -> None:
        self._y[:self._n] = y
        self._changed = True

    def show_in(self, item: pg.PlotDataItem, points: bool = False) -> None:
        """``item.setData`` with every point, if any changed since the last time: each
        ``setData`` re-derives bounds, downsampling and the path, whatever was added.
        ``points``: a few measured points, drawn as :func:`show_points` does."""
        if self._changed:
            self._changed = False
            if points:
                show_points(item, self.x, self.y)
            else:
                item.setData(self.x, self.y)


class Smoother:
    """Exponential moving average with TensorBoard's start-up debiasing, one point at a time.

    ``factor`` 0 shows the raw values; non-finite values are skipped (they stay visible as
    gaps in the raw curve only).
    """

    def __init__(self, factor: float = DEFAULT_SMOOTHING) -> None:
        self.factor = factor
        self._average = 0.0
        self._weight = 0.0

    def __call__(self, value: float) -> float:
        if not math.isfinite(value):
            return self._average / self._weight if self._weight else math.nan
        self._average = self.factor * self._average + (1.0 - self.factor) * value
        self._weight = self.factor * self._weight + (1.0 - self.factor)
        return self._average / self._weight

    def restart(self, factor: float | None = None) -> None:
        if factor is not None:
            self.factor = factor
        self._average = self._weight = 0.0

    def over(self, values: np.ndarray) -> np.ndarray:
        """The smoothed series from scratch (after the factor changed)."""
        self.restart()
        return np.fromiter((self(float(v)) for v in values), float, len(values))


class SmoothedCurve:
    """A noisy per-batch series drawn twice: faintly as it is, boldly smoothed.

    ``append`` only keeps the point; ``show`` hands the new points to the plot.
    """

    def __init__(self, plot: pg.PlotItem, hex_colour: str, name: str | None = None,
                 factor: float = DEFAULT_SMOOTHING) -> None:
        self.raw = curve(plot, hex_colour, width=1.0, faint=True)
        self.smoothed = curve(plot, hex_colour, width=2.0, name=name, method="mean")
        self._raw = GrowingSeries()
        self._smooth = GrowingSeries()
        self._smoother = Smoother(factor)

    def append(self, x: float, y: float) -> None:
        self._raw.append(x, y)
        self._smooth.append(x, self._smoother(y))

    def show(self) -> None:
        self._raw.show_in(self.raw)
        self._smooth.show_in(self.smoothed)

    @property
    def low(self) -> float:
        """The lowest finite raw value (the smoothed ones lie within the raw range)."""
        return self._raw.low

    @property
    def high(self) -> float:
        return self._raw.high

    def set_smoothing(self, factor: float) -> None:
        self._smoother.factor = factor
        self._smooth.replace_y(self._smoother.over(self._raw.y))
        self.show()


class LazyView(QWidget):
    """A view that draws at most once per pass of the event loop, and only while it can be
    seen. ``handle`` keeps the data and calls :meth:`draw_later`; :meth:`redraw` draws what
    is new. A burst of events then costs one draw, a hidden tab next to nothing, and a view
    shown again catches up at once."""

    _stale = False
    _queued = False

    def can_be_seen(self) -> bool:
        # A view on its own (as in tests) always draws; one in a window only while visible.
        return self.parentWidget() is None or self.isVisible()

    def draw_later(self) -> None:
        """Draw on the next pass of the event loop, or when shown if hidden until then."""
        self._stale = True
        if not self._queued and self.can_be_seen():
            self._queued = True
            QTimer.singleShot(0, self, self._draw_queued)

    def _draw_queued(self) -> None:
        self._queued = False
        if self.can_be_seen():
            self.draw_now()

    def draw_now(self) -> None:
        """Draw what is pending, if anything."""
        if self._stale:
            self._stale = False
            self.redraw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.draw_now()

    def redraw(self) -> None:
        raise NotImplementedError


def metric_order(name: str) -> tuple[int, str]:
    """Where a metric's plot goes: losses first, then accuracies, then the rest, by name;
    the live and the past runs' grids both follow it."""
    return (0 if name.endswith("loss") else 1 if name.endswith("accuracy") else 2, name)


def pretty_metric(name: str) -> str:
    """``sparse_categorical_accuracy`` → ``Sparse categorical accuracy``; GAN names as maths."""
    special = {"loss": "Loss", "d_loss": "Discriminator loss", "g_loss": "Generator loss",
               "d_real": "D(x)", "d_fake": "D(G(z))", "mae": "MAE", "mse": "MSE",
               "rmse": "RMSE", "auc": "AUC"}
    return special.get(name, name.replace("_", " ").capitalize())


def format_duration(seconds: float) -> str:
    """0:42, 12:03, 1:02:03."""
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def sparse_ticks(labels: list[str], max_labels: int = 24) -> list[list[tuple[float, str]]]:
    """Tick labels at cell centres, every k-th one so that at most ``max_labels`` show."""
    every = max(1, math.ceil(len(labels) / max_labels))
    return [[(i + 0.5, labels[i]) for i in range(0, len(labels), every)], []]
