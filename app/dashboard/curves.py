"""Loss and metric curves: live per batch and per epoch, or past runs' histories overlaid."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.dashboard.plotting import (
    DEFAULT_SMOOTHING,
    MUTED,
    RUN_COLOURS,
    GrowingSeries,
    LazyView,
    LegendRow,
    SmoothedCurve,
    SteadyRange,
    curve,
    layout_widget,
    metric_order,
    pretty_metric,
    settle_range,
    show_points,
    style_plot,
)
from projects import events as ev

COLUMNS = 2
HISTORY_SKIPPED = frozenset({"epoch", "learning_rate", "lr"})
LIVE_NAMES = {"smoothed": "train (batches, smoothed)", "train": "train (epoch)",
              "validation": "validation (epoch)"}


class _MetricGrid:
    """One plot per metric in a two-column grid under a legend row, x axes linked, created
    on first use."""

    def __init__(self) -> None:
        self.widget = layout_widget()
        self.legend = LegendRow(self.widget.ci, 0, 0, COLUMNS)
        self.plots: dict[str, pg.PlotItem] = {}

    def plot(self, metric: str) -> pg.PlotItem:
        """The metric's plot (the legend above holds for all)."""
        if metric in self.plots:
            return self.plots[metric]
        index = len(self.plots)
        plot = self.widget.ci.addPlot(row=1 + index // COLUMNS, col=index % COLUMNS)
        style_plot(plot, pretty_metric(metric), bottom="epoch")
        if self.plots:
            plot.setXLink(next(iter(self.plots.values())))
        self.plots[metric] = plot
        return plot

    def clear(self) -> None:
        self.legend.clear()
        self.widget.ci.clear()
        self.legend.attach()
        self.plots.clear()


class _LiveMetric:
    """A metric's live curves: per batch (raw and smoothed), per epoch train and validation."""

    def __init__(self, plot: pg.PlotItem, hex_colour: str, smoothing: float) -> None:
        self.range = SteadyRange(plot)
        self.batch = SmoothedCurve(plot, hex_colour, None, smoothing)
        self.train = curve(plot, hex_colour, width=1.5, symbol="o")
        self.validation = curve(plot, hex_colour, dashed=True, symbol="o")
        self.train_points = GrowingSeries(64)
        self.validation_points = GrowingSeries(64)

    def show(self, x_max: float) -> None:
        """Hand the points that arrived since the last time to the plot, and fit its range
        (the x axis grows with the run)."""
        self.batch.show()
        self.train_points.show_in(self.train, points=True)
        self.validation_points.show_in(self.validation, points=True)
        series = (self.batch, self.train_points, self.validation_points)
        self.range.follow(x_max, min(s.low for s in series), max(s.high for s in series))

    def name_in(self, legend: LegendRow) -> None:
        items = self.items()
        for key, name in LIVE_NAMES.items():
            legend.offer(items[key], name)

    def items(self) -> dict[str, pg.PlotDataItem]:
        return {"batch": self.batch.raw, "smoothed": self.batch.smoothed, "train": self.train,
                "validation": self.validation}


class CurvesView(LazyView):
    """Every metric, train solid and validation dashed in one hue, against epochs.

    Per-batch points sit at fractional epochs, so batch and epoch curves share the axis.
    Every point is kept as it arrives; the curves take them once per pass of the event
    loop, not per event, and not while the tab is hidden.
    ``show_history`` switches to a page of past runs' per-epoch curves, one hue per run;
    live data keeps arriving underneath and ``show_live`` switches back.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._smoothing = DEFAULT_SMOOTHING
        self._x_max = 0.0  # the live run's last x (fractional epochs)
        self._live: dict[str, _LiveMetric] = {}
        self._history_items: dict[str, dict[str, pg.PlotDataItem]] = {}
        self._live_grid = _MetricGrid()
        self._history_grid = _MetricGrid()

        self._smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self._smoothing_slider.setRange(0, 99)
        self._smoothing_slider.setValue(round(DEFAULT_SMOOTHING * 100))
        self._smoothing_slider.setFixedWidth(140)
        self._smoothing_slider.setToolTip("Exponential moving average of the per-batch values")
        self._smoothing_slider.valueChanged.connect(lambda v: self.set_smoothing(v / 100))
        self._smoothing_label = QLabel()
        self._raw_check = QCheckBox("Raw batch values")
        self._raw_check.setChecked(True)
        self._raw_check.toggled.connect(self._show_raw)
        self._caption = QLabel()
        self._caption.setStyleSheet(f"color: {MUTED};")
        self._live_button = QPushButton("Back to the live run")
        self._live_button.clicked.connect(self.show_live)

        controls = QHBoxLayout()
        controls.setContentsMargins(8, 4, 8, 0)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self._smoothing_slider)
        controls.addWidget(self._smoothing_label)
        controls.addSpacing(16)
        controls.addWidget(self._raw_check)
        controls.addStretch(1)
        controls.addWidget(self._caption)
        controls.addWidget(self._live_button)
        self._pages = QStackedWidget()
        self._pages.addWidget(self._live_grid.widget)
        self._pages.addWidget(self._history_grid.widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addWidget(self._pages, 1)
        self.show_live()
        self._update_smoothing_label()

    # ---- live

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.BatchEnd):
            x = event.epoch - 1 + event.epoch_step / max(event.steps_per_epoch, 1)
            values = _batch_values(event)
            for name in sorted(values, key=metric_order) if not self._live else values:
                self._metric(name).batch.append(x, values[name])
            self._x_max = max(self._x_max, x)
            self.draw_later()
        elif isinstance(event, ev.EpochEnd):
            for name in sorted(event.metrics, key=metric_order):
                if name not in HISTORY_SKIPPED:  # the header shows the learning rate
                    self._metric(name).train_points.append(event.epoch, event.metrics[name])
            for name, value in event.val_metrics.items():
                if name not in HISTORY_SKIPPED:
                    self._metric(name).validation_points.append(event.epoch, value)
            self._x_max = max(self._x_max, event.epoch)
            self.draw_later()
        elif isinstance(event, ev.Finished | ev.Failed):
            for metric in self._live.values():
                metric.range.tighten()
            self.draw_later()
        elif isinstance(event, ev.RunStarted):
            self.reset()

    def redraw(self) -> None:
        """Hand every curve the points that arrived since the last draw, in one go."""
        for metric in self._live.values():
            metric.show(self._x_max)
            metric.name_in(self._live_grid.legend)
        for plot in self._live_grid.plots.values():
            settle_range(plot)

    def _metric(self, name: str) -> _LiveMetric:
        metric = self._live.get(name)
        if metric is None:
            plot = self._live_grid.plot(name)
            metric = self._live[name] = _LiveMetric(plot, RUN_COLOURS[0], self._smoothing)
            metric.batch.raw.setVisible(self._raw_check.isChecked())
        return metric

    def set_smoothing(self, factor: float) -> None:
        """0 (none) to 0.99 (heavy); recomputes the smoothed curves from the raw values."""
        self._smoothing = min(max(factor, 0.0), 0.99)
        for metric in self._live.values():
            metric.batch.set_smoothing(self._smoothing)
        self._smoothing_slider.blockSignals(True)
        self._smoothing_slider.setValue(round(self._smoothing * 100))
        self._smoothing_slider.blockSignals(False)
        self._update_smoothing_label()

    def _update_smoothing_label(self) -> None:
        self._smoothing_label.setText(f"{self._smoothing:.2f}")

    def _show_raw(self, shown: bool) -> None:
        for metric in self._live.values():
            metric.batch.raw.setVisible(shown)

    def metrics(self) -> list[str]:
        """The metrics shown, in plot order (of the history page when it is shown)."""
        grid = self._history_grid if self.showing_history else self._live_grid
        return list(grid.plots)

    def items(self, metric: str) -> dict[str, pg.PlotDataItem]:
        """The curves of ``metric``: live ``batch``, ``smoothed``, ``train`` and ``validation``;
        or, on the history page, ``"<run> train"`` and ``"<run> validation"``."""
        if self.showing_history:
            return dict(self._history_items.get(metric, {}))
        return self._live[metric].items() if metric in self._live else {}

    def reset(self) -> None:
        self._x_max = 0.0
        self._live.clear()
        self._live_grid.clear()
        self._history_items.clear()
        self._history_grid.clear()
        self.show_live()

    # ---- past runs

    @property
    def showing_history(self) -> bool:
        return self._pages.currentWidget() is self._history_grid.widget

    def show_history(self, histories: dict[str, dict[str, list[float]]]) -> None:
        """Per-epoch curves of past runs (``read_history`` of each), one hue per run."""
        self._history_items.clear()
        self._history_grid.clear()
        metrics = sorted({key[4:] if key.startswith("val_") else key
                          for history in histories.values() for key, values in history.items()
                          if key not in HISTORY_SKIPPED and values}, key=metric_order)
        for metric in metrics:  # in the live grid's order
            self._history_grid.plot(metric)
        for index, (run, history) in enumerate(histories.items()):
            hue = RUN_COLOURS[index % len(RUN_COLOURS)]
            epochs = history.get("epoch")
            for key, values in history.items():
                if key in HISTORY_SKIPPED or not values:
                    continue
                validation = key.startswith("val_")
                metric = key[4:] if validation else key
                plot = self._history_grid.plot(metric)
                kind = "validation" if validation else "train"
                item = curve(plot, hue, dashed=validation, width=2.0, symbol="o")
                x = ([e + 1 for e in epochs[:len(values)]] if epochs
                     else list(range(1, len(values) + 1)))
                show_points(item, np.asarray(x, dtype=float), np.asarray(values, dtype=float))
                self._history_grid.legend.offer(item, f"{run} · {kind}")
                self._history_items.setdefault(metric, {})[f"{run} {kind}"] = item
        names = list(histories)
        self._caption.setText("Past run: " + names[0] if len(names) == 1
                              else "Comparing " + " vs ".join(names))
        self._pages.setCurrentWidget(self._history_grid.widget)
        self._set_live_controls(False)

    def show_live(self) -> None:
        self._pages.setCurrentWidget(self._live_grid.widget)
        self._caption.setText("")
        self._set_live_controls(True)

    def _set_live_controls(self, live: bool) -> None:
        for widget in (self._smoothing_slider, self._smoothing_label, self._raw_check):
            widget.setEnabled(live)
        self._live_button.setVisible(not live and bool(self._live))


def _batch_values(event: ev.BatchEnd) -> dict[str, float]:
    """The loss and metrics of one batch event. A GAN has no single loss: the engine then
    reports the discriminator's as ``loss``, which ``d_loss`` already shows."""
    values = dict(event.metrics)
    if "d_loss" not in values:
        values = {"loss": event.loss, **values}
    return values
