"""The GAN view: both losses, D(x) and D(G(z)), and samples from a fixed latent batch."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.dashboard.plotting import (
    AXIS,
    MUTED,
    GrowingSeries,
    LazyView,
    LegendRow,
    SmoothedCurve,
    SteadyRange,
    curve,
    layout_widget,
    settle_range,
    style_plot,
)
from projects import events as ev
from projects.text import count_text

GRID_COLUMNS = 4
GENERATOR, DISCRIMINATOR, REAL, FAKE = "#9333ea", "#0891b2", "#16a34a", "#dc2626"
WARNING = "#d97706"


def tile_grid(samples: np.ndarray, columns: int = GRID_COLUMNS, gap: int = 1,
              fill: float = 1.0) -> np.ndarray:
    """Samples ``(n, h, w[, c])`` as one image of tiles, ``columns`` across, ``gap`` pixels of
    ``fill`` between them: ``(rows·(h+gap)−gap, columns·(w+gap)−gap[, 3])``.

    Flat samples ``(n, d)`` become square tiles when ``d`` is a square, else one-pixel-high
    strips; one channel gives a grey image, three an RGB one (others show their first).
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        x = x.reshape(len(x), side, side) if side * side == x.shape[1] else x[:, None, :]
    if x.ndim == 4:
        x = x if x.shape[-1] == 3 else x[..., 0]
    n, h, w = x.shape[:3]
    rows = max(1, math.ceil(n / columns))
    columns = min(columns, max(n, 1))
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, *x.shape[3:]), fill,
                   dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, columns)
        grid[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = x[i]
    return grid


class GanView(LazyView):
    """Generator and discriminator losses per batch (smoothed), D(x) and D(G(z)) per probe
    (at ½ when the two are balanced), and the sample grid with levels fixed to the data's
    value range, so that brightness means the same in every frame."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps_per_epoch = 1
        self.levels: tuple[float, float] | None = None
        self.probe: ev.GanProbe | None = None  # the latest
        self._drawn_probe: ev.GanProbe | None = None
        self.layout_widget = layout_widget()
        ci = self.layout_widget.ci
        self.legend = LegendRow(ci, 0, 0)  # both plots' series, above them
        self.loss_plot: pg.PlotItem = ci.addPlot(row=1, col=0)
        style_plot(self.loss_plot, "Losses", bottom="epoch")
        self.loss_range = SteadyRange(self.loss_plot)
        self.d_plot: pg.PlotItem = ci.addPlot(row=2, col=0)
        style_plot(self.d_plot, "Discriminator's view", left="probability", bottom="epoch")
        self.d_plot.setYRange(0, 1, padding=0.02)
        self.d_range = SteadyRange(self.d_plot, y=False)  # 0 to 1 always
        self.d_plot.setXLink(self.loss_plot)
        self.d_plot.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen(
            AXIS, style=Qt.PenStyle.DashLine)))
        self.grid_plot: pg.PlotItem = ci.addPlot(row=0, col=1, rowspan=3)
        style_plot(self.grid_plot, "Samples from a fixed latent batch", grid=False)
        for axis in ("left", "bottom"):
            self.grid_plot.hideAxis(axis)
        self.grid_plot.invertY(True)
        self.grid_plot.setAspectLocked(True)
        self.grid_plot.setMouseEnabled(False, False)
        self.grid_plot.setMenuEnabled(False)
        self.grid_plot.hideButtons()
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        self.grid_plot.addItem(self.grid_image)
        ci.layout.setColumnStretchFactor(0, 3)
        ci.layout.setColumnStretchFactor(1, 2)
        self.warning_lines: list[pg.InfiniteLine] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.layout_widget, 1)
        self._make_curves()

    def _make_curves(self) -> None:
        self._blank = True  # nothing plotted yet: a reset has nothing to clear
        self._x_max = 0.0
        self.loss_range.reset()
        self.d_range.reset()
        self.generator_loss = SmoothedCurve(self.loss_plot, GENERATOR)
        self.discriminator_loss = SmoothedCurve(self.loss_plot, DISCRIMINATOR)
        self.d_real = curve(self.d_plot, REAL, symbol="o")
        self.d_fake = curve(self.d_plot, FAKE, symbol="o")
        self._real = GrowingSeries()
        self._fake = GrowingSeries()

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.BatchEnd):
            x = event.epoch - 1 + event.epoch_step / max(event.steps_per_epoch, 1)
            if "g_loss" in event.metrics:
                self.generator_loss.append(x, event.metrics["g_loss"])
                self.discriminator_loss.append(x, event.metrics.get("d_loss", event.loss))
                self._x_max = max(self._x_max, x)
                self._blank = False
                self.draw_later()
        elif isinstance(event, ev.GanProbe):
            self._on_probe(event)
        elif isinstance(event, ev.RunWarning):
            self._mark_warning(event)
        elif isinstance(event, ev.Finished | ev.Failed):
            self.loss_range.tighten()
            self.d_range.tighten()
            self.draw_later()
        elif isinstance(event, ev.RunStarted):
            self.reset()
            self._steps_per_epoch = max(event.steps_per_epoch, 1)

    def _on_probe(self, event: ev.GanProbe) -> None:
        x = event.step / self._steps_per_epoch
        self._real.append(x, event.d_real)
        self._fake.append(x, event.d_fake)
        self._x_max = max(self._x_max, x)
        self._blank = False
        low, high = _value_range(np.asarray(event.samples, dtype=np.float32))
        if self.levels is not None:
            low, high = min(low, self.levels[0]), max(high, self.levels[1])
        self.levels = (low, high)
        self.probe = event
        self.draw_later()

    def redraw(self) -> None:
        """The points that arrived since the last draw, and the latest probe's sample grid
        unless it is already shown."""
        for smoothed in (self.generator_loss, self.discriminator_loss):
            smoothed.show()
        self._real.show_in(self.d_real, points=True)
        self._fake.show_in(self.d_fake, points=True)
        for item, name in ((self.generator_loss.smoothed, "generator"),
                           (self.discriminator_loss.smoothed, "discriminator"),
                           (self.d_real, "D(x), real"), (self.d_fake, "D(G(z)), generated")):
            self.legend.offer(item, name)
        losses = (self.generator_loss, self.discriminator_loss)
        self.loss_range.follow(self._x_max, min(c.low for c in losses),
                               max(c.high for c in losses))
        self.d_range.follow(self._x_max, 0.0, 1.0)
        for plot in (self.loss_plot, self.d_plot):
            settle_range(plot)
        if self.probe is None or self.levels is None or self.probe is self._drawn_probe:
            return
        self._drawn_probe = self.probe
        self.grid_image.setImage(tile_grid(self.probe.samples, fill=self.levels[1]),
                                 autoLevels=False, levels=self.levels)
        self.grid_plot.setTitle(f"Samples from a fixed latent batch · epoch {self.probe.epoch}, "
                                f"step {count_text(self.probe.step)}", color=MUTED, size="10pt")

    def _mark_warning(self, event: ev.RunWarning) -> None:
        """A dashed line where the engine warned (collapse, a winning discriminator); the
        header's banner has the words, the line's tooltip too."""
        for plot in (self.loss_plot, self.d_plot):
            line = pg.InfiniteLine(event.step / self._steps_per_epoch, angle=90, label="⚠",
                                   pen=pg.mkPen(WARNING, width=1.5, style=Qt.PenStyle.DashLine),
                                   labelOpts={"position": 0.92, "color": WARNING})
            line.setToolTip(event.message)
            plot.addItem(line)
            self.warning_lines.append(line)

    def reset(self) -> None:
        self._steps_per_epoch = 1
        self.levels = None
        self.probe = self._drawn_probe = None
        if not self._blank or self.warning_lines:  # new curves cost ~10 ms: not for nothing
            for item in (self.generator_loss.raw, self.generator_loss.smoothed,
                         self.discriminator_loss.raw, self.discriminator_loss.smoothed,
                         self.d_real, self.d_fake, *self.warning_lines):
                for plot in (self.loss_plot, self.d_plot):
                    if item in plot.items:
                        plot.removeItem(item)
            self.warning_lines = []
            self.legend.clear()
            self._make_curves()
        self.grid_image.clear()
        self.grid_plot.setTitle("Samples from a fixed latent batch", color=MUTED, size="10pt")


def _value_range(samples: np.ndarray) -> tuple[float, float]:
    """[-1, 1] for tanh outputs, [0, 1] for sigmoid ones, wider only if the data is."""
    finite = samples[np.isfinite(samples)]
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    return (min(low, -1.0) if low < 0 else 0.0), max(high, 1.0)
