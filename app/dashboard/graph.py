"""The graph view: node embeddings in 2-D coloured by class, and accuracy per node group."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.dashboard.plotting import (
    CLASS_COLOURS,
    INK,
    MUTED,
    GrowingSeries,
    LazyView,
    add_legend,
    curve,
    plot_widget,
    tint,
)
from projects import events as ev
from projects.text import count_text

MAX_NODES_SHOWN = 3_000  # bigger graphs show a fixed random subset of their nodes
LABELLED, UNLABELLED = "#111827", "#6b7280"
MISCLASSIFIED = "#dc2626"
NO_LABEL = "#c0c4cc"  # nodes without a label: never right or wrong
NODE_SIZE, LABELLED_SIZE = 11, 24


class GraphView(LazyView):
    """One scatter of all nodes (brush = true class, grey = no label, star = labelled for
    training, red ring = predicted wrong), the graph's edges drawn faintly beneath, and the
    accuracy on the training nodes and on the other labelled nodes (held out), now and over
    the epochs. Nodes without a label count in neither."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._brushes = [pg.mkBrush(c) for c in CLASS_COLOURS]
        self._no_label = pg.mkBrush(NO_LABEL)
        self._legend_no_label = False
        self._shown: np.ndarray | None = None  # which nodes are drawn, fixed for the run
        self._classes = 0
        self._styled_labels: np.ndarray | None = None  # the classes _node_brushes colour
        self._node_brushes: list = []
        self.probe: ev.EmbeddingProbe | None = None  # the latest

        self.scatter_widget = plot_widget("Node embeddings (first two principal components)",
                                          grid=False)
        self.scatter_plot: pg.PlotItem = self.scatter_widget.getPlotItem()
        self.scatter_plot.setAspectLocked(True)
        for axis in ("left", "bottom"):  # principal components have no units worth reading
            self.scatter_plot.hideAxis(axis)
        self.legend = add_legend(self.scatter_plot)
        self.edges = pg.PlotDataItem(pen=pg.mkPen(tint("#94a3b8", 0.4), width=1),
                                     connect="pairs", antialias=True)
        self.scatter_plot.addItem(self.edges)
        # Every node in one scatter, coloured by class; a uniform symbol, size and pen keep
        # pyqtgraph on its fast path. The few labelled nodes get stars drawn over them, and
        # wrongly predicted ones a red ring.
        self.scatter = pg.ScatterPlotItem(antialias=True, hoverable=False, symbol="o",
                                          size=NODE_SIZE, pen=pg.mkPen("w"))
        self.labelled_points = pg.ScatterPlotItem(antialias=True, hoverable=False,
                                                  symbol="star", size=LABELLED_SIZE,
                                                  pen=pg.mkPen(INK, width=1.2))
        self.mistakes = pg.ScatterPlotItem(antialias=True, hoverable=False, symbol="o",
                                           size=NODE_SIZE + 8, brush=None,
                                           pen=pg.mkPen(MISCLASSIFIED, width=2))
        for item in (self.scatter, self.mistakes, self.labelled_points):
            self.scatter_plot.addItem(item)

        self.labelled_label = _statistic()
        self.unlabelled_label = _statistic()
        self.accuracy_label = QLabel()
        self.accuracy_label.setStyleSheet(f"color: {MUTED};")
        self.accuracy_widget = plot_widget("Accuracy over the epochs", bottom="epoch")
        self.accuracy_plot: pg.PlotItem = self.accuracy_widget.getPlotItem()
        self.accuracy_plot.setYRange(0, 1, padding=0.02)
        self.accuracy_plot.enableAutoRange(axis="y", enable=False)
        add_legend(self.accuracy_plot, offset=(-6, -30))
        self.labelled_curve = curve(self.accuracy_plot, LABELLED, name="labelled (training)")
        self.unlabelled_curve = curve(self.accuracy_plot, "#2563eb",
                                      name="held out (labelled, not trained on)", dashed=True)
        self._labelled = GrowingSeries()
        self._unlabelled = GrowingSeries()
        note = QLabel("★ labelled (trained on) · ● held out · colour: true class · "
                      f"<span style='color:{NO_LABEL}'>grey: no label (never counted)</span> · "
                      f"<span style='color:{MISCLASSIFIED}'>red ring: predicted wrong</span>")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {MUTED};")

        statistics = QHBoxLayout()
        statistics.setSpacing(24)
        for value, caption in ((self.labelled_label, "labelled nodes"),
                               (self.unlabelled_label, "held-out labelled nodes")):
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(value)
            title = QLabel(f"accuracy on {caption}")
            title.setStyleSheet(f"color: {MUTED};")
            column.addWidget(title)
            statistics.addLayout(column)
        statistics.addStretch(1)
        side = QVBoxLayout()
        side.setContentsMargins(8, 8, 8, 4)
        side.addLayout(statistics)
        side.addWidget(self.accuracy_label)
        side.addWidget(self.accuracy_widget, 1)
        side.addWidget(note)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scatter_widget, 3)
        layout.addLayout(side, 2)
        self.reset()

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.EmbeddingProbe):
            self._on_probe(event)
        elif isinstance(event, ev.RunStarted):
            self.reset()
            self.accuracy_plot.setXRange(0, event.epochs, padding=0.02)

    def _on_probe(self, event: ev.EmbeddingProbe) -> None:
        self.probe = event
        count = len(event.coords)
        if self._shown is None or len(self._shown) > count:
            self._shown = _nodes_to_show(count)
        self.draw_later()
        self._labelled.append(event.epoch, event.labelled_accuracy)
        self._unlabelled.append(event.epoch, event.unlabelled_accuracy)
        self._labelled.show_in(self.labelled_curve)
        self._unlabelled.show_in(self.unlabelled_curve)
        self.labelled_label.setText(_percent(event.labelled_accuracy))
        self.unlabelled_label.setText(_percent(event.unlabelled_accuracy))
        drawn = "" if len(self._shown) == count else f" ({count_text(len(self._shown))} drawn)"
        self.accuracy_label.setText(
            f"Epoch {event.epoch}, step {count_text(event.step)} · {count_text(count)} "
            f"nodes{drawn}, "
            f"{count_text(int(np.asarray(event.labelled).sum()))} labelled")

    def redraw(self) -> None:
        """The latest probe's scatter, stars, rings and edges."""
        event, shown = self.probe, self._shown
        if event is None or shown is None:
            return
        coords = np.asarray(event.coords, dtype=np.float64)
        labels = np.asarray(event.labels)[shown]
        labelled = np.asarray(event.labelled, dtype=bool)[shown]
        correct = (np.asarray(event.predictions) == np.asarray(event.labels))[shown]
        self._update_legend(int(labels.max()) + 1 if labels.size else 0,
                            bool((labels < 0).any()))
        if self._styled_labels is None or not np.array_equal(labels, self._styled_labels):
            self._styled_labels = labels
            self._node_brushes = [self._brushes[c % len(self._brushes)] if c >= 0
                                  else self._no_label for c in labels.tolist()]
        points = coords[shown]
        self.scatter.setData(pos=points, brush=self._node_brushes)
        self.labelled_points.setData(
            pos=points[labelled],
            brush=[self._node_brushes[i] for i in np.flatnonzero(labelled).tolist()])
        self.mistakes.setData(pos=points[~correct & (labels >= 0)])
        if event.edges is None:
            self.edges.setData([], [])
            return
        edges = np.asarray(event.edges, dtype=np.int64).reshape(-1, 2)
        if len(shown) < len(coords):  # only edges between drawn nodes
            drawn = np.zeros(len(coords), dtype=bool)
            drawn[shown] = True
            edges = edges[drawn[edges[:, 0]] & drawn[edges[:, 1]]]
        ends = coords[edges.reshape(-1)]
        self.edges.setData(ends[:, 0], ends[:, 1])

    def _update_legend(self, classes: int, no_label: bool = False) -> None:
        if classes <= self._classes and (self._legend_no_label or not no_label):
            return
        if self._legend_no_label:  # keep "no label" last
            self.legend.removeItem("no label")
            self._legend_no_label = False
        for c in range(self._classes, classes):
            sample = pg.ScatterPlotItem(symbol="o", size=10, brush=self._brushes[c % 10],
                                        pen=pg.mkPen("w"))
            self.legend.addItem(sample, f"class {c}")
        self._classes = max(classes, self._classes)
        if no_label:
            sample = pg.ScatterPlotItem(symbol="o", size=10, brush=self._no_label,
                                        pen=pg.mkPen("w"))
            self.legend.addItem(sample, "no label")
            self._legend_no_label = True

    def reset(self) -> None:
        self.probe = None
        self._shown = None
        self._classes = 0
        self._legend_no_label = False
        self.legend.clear()
        for item in (self.scatter, self.labelled_points, self.mistakes):
            item.clear()
        self._styled_labels = None
        self.edges.setData([], [])
        self._labelled = GrowingSeries()
        self._unlabelled = GrowingSeries()
        self._labelled.show_in(self.labelled_curve)
        self._unlabelled.show_in(self.unlabelled_curve)
        self.labelled_label.setText("–")
        self.unlabelled_label.setText("–")
        self.accuracy_label.setText("Waiting for the first probe…")


def _statistic() -> QLabel:
    label = QLabel("–")
    label.setStyleSheet(f"color: {INK}; font-size: 20pt; font-weight: 600;")
    return label


def _nodes_to_show(count: int) -> np.ndarray:
    if count <= MAX_NODES_SHOWN:
        return np.arange(count)
    return np.sort(np.random.default_rng(0).choice(count, MAX_NODES_SHOWN, replace=False))


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %" if math.isfinite(value) else "–"
