"""Attention maps of every attention block for a fixed batch of validation samples.

As in pyqtgraph's ``MatrixDisplayExample.py``: one ImageItem with a colour bar, updated in
place with fixed levels [0, 1] (the weights are probabilities), so colours mean the same
from the first probe to the last.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from app.dashboard.plotting import (
    AXIS,
    MUTED,
    PROBABILITY_MAP,
    RUN_COLOURS,
    LazyView,
    TickGrid,
    layout_widget,
    plot_widget,
    sparse_ticks,
    style_plot,
)
from app.dashboard.pyqtgraph_compat import quiet_child_group
from projects import events as ev
from projects.text import count_text

MEAN_OF_HEADS = "Mean of heads"
OUTLINE = "#f97316"  # the chosen sample or head


def _labels_that_fit(plot: pg.PlotItem, axis: str, labels: list[str], cap: int) -> int:
    """How many of ``labels`` (one per cell) fit side by side along ``axis`` of ``plot``."""
    if not labels:
        return cap
    pixel = plot.getViewBox().viewPixelSize()[0 if axis == "bottom" else 1]
    if not pixel or not math.isfinite(pixel):
        return cap  # not laid out yet
    metrics = QFontMetricsF(plot.getAxis(axis).style.get("tickFont") or plot.font())
    need = (max(metrics.horizontalAdvance(label) for label in labels) + 8 if axis == "bottom"
            else metrics.height())
    cells_per_label = max(1.0, need * pixel)
    return max(1, min(cap, int(len(labels) / cells_per_label)))


class AttentionView(LazyView):
    """Block, head (or their mean) and sample selectors over a heatmap of the weights.

    Multi-head attention ``(samples, heads, Tq, Tk)`` shows queries down and keys across;
    additive attention ``(samples, T)`` shows every probed sample as a row (the chosen one
    outlined) and the chosen sample's weights over the steps as bars.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._weights: dict[str, np.ndarray] = {}
        self._tokens: list[list[str]] = []
        self._labels: list[int] = []
        self._titles: dict[str, str] = {}
        self._shown_shape: tuple[int, ...] = ()
        self._ticks_key: tuple = ()
        self._tick_labels: tuple[list[str], list[str]] = ([], [])

        self.block_combo = QComboBox()
        self.block_combo.setMinimumContentsLength(18)
        self.head_combo = QComboBox()
        self.head_combo.setMinimumContentsLength(12)
        self.sample_combo = QComboBox()
        self.sample_combo.setMinimumContentsLength(14)
        self.info_label = QLabel("Waiting for the first probe…")
        self.info_label.setStyleSheet(f"color: {MUTED};")
        self.block_combo.currentIndexChanged.connect(self._on_block_changed)
        self.head_combo.currentIndexChanged.connect(self.redraw)
        self.sample_combo.currentIndexChanged.connect(self.redraw)
        controls = QHBoxLayout()
        controls.setContentsMargins(8, 4, 8, 0)
        for name, combo in (("Block", self.block_combo), ("Head", self.head_combo),
                            ("Sample", self.sample_combo)):
            controls.addWidget(QLabel(name))
            controls.addWidget(combo)
            controls.addSpacing(10)
        controls.addStretch(1)
        controls.addWidget(self.info_label)

        self.heatmap_widget = layout_widget()
        self.heatmap_plot: pg.PlotItem = self.heatmap_widget.ci.addPlot(row=0, col=0)
        style_plot(self.heatmap_plot, grid=False)
        self.heatmap_plot.invertY(True)
        self.heatmap_plot.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.heatmap_plot.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=PROBABILITY_MAP,
                                          interactive=False, width=14, colorMapMenu=False)
        self.colour_bar.setImageItem(self.image, insert_in=self.heatmap_plot)
        self.colour_bar.axis.setPen(pg.mkPen(AXIS))
        self.colour_bar.axis.setTextPen(pg.mkPen(MUTED))
        self.colour_bar.axis.setLabel("weight", color=MUTED)
        self._outline = pg.PlotDataItem(pen=pg.mkPen(OUTLINE, width=2.5))
        self.heatmap_plot.addItem(self._outline)

        self.bars_widget = plot_widget(left="weight", grid=False)
        self.bars_plot: pg.PlotItem = self.bars_widget.getPlotItem()
        TickGrid(self.bars_plot, x=False)
        for plot in (self.heatmap_plot, self.bars_plot):
            plot.getViewBox().sigResized.connect(self._fit_ticks)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=RUN_COLOURS[0],
                                    pen=pg.mkPen(None))
        self.bars_plot.addItem(self.bars)
        self._uniform = pg.InfiniteLine(angle=0, pen=pg.mkPen(AXIS, width=1,
                                                              style=Qt.PenStyle.DashLine))
        self.bars_plot.addItem(self._uniform)
        self.bars_widget.setVisible(False)

        self.heads_widget = layout_widget()
        self.heads_widget.scene().sigMouseClicked.connect(self._on_heads_clicked)
        self.heads_widget.setToolTip("Click a head to show it")
        self.heads_widget.setVisible(False)
        self.head_images: list[pg.ImageItem] = []
        self._head_plots: list[pg.PlotItem] = []
        self._head_outline = pg.PlotDataItem(pen=pg.mkPen(OUTLINE, width=2.5))

        maps = QSplitter(Qt.Orientation.Vertical)
        maps.addWidget(self.bars_widget)
        maps.addWidget(self.heatmap_widget)
        maps.setStretchFactor(0, 3)
        maps.setStretchFactor(1, 2)
        self._maps = maps
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(maps)
        splitter.addWidget(self.heads_widget)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self._splitter = splitter
        self._heads_split: list[int] = []  # the split when the heads panel was last hidden
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addWidget(splitter, 1)

    # ---- events

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.AttentionProbe):
            self._on_probe(event)
        elif isinstance(event, ev.RunStarted):
            self.reset()
            self._add_blocks(event.attention_nodes)

    def _on_probe(self, event: ev.AttentionProbe) -> None:
        self.show_weights(event.weights, event.tokens, event.labels,
                          f"Epoch {event.epoch} · step {count_text(event.step)}")

    def show_weights(self, weights: dict[str, np.ndarray], tokens: list[list[str]],
                     labels: list[int] | list[str], info: str) -> None:
        """Show attention weights of some samples: a probe's, or the Try it tab's one
        sample (``labels`` name each sample's class; ``info`` says where they are from)."""
        samples = max((len(w) for w in weights.values()), default=0)
        relabel = samples != self.sample_combo.count() or list(labels) != self._labels
        self._weights = dict(weights)
        self._tokens = tokens
        self._labels = list(labels)
        self._add_blocks(weights)
        if relabel:
            self._fill_samples(samples)
        self._sync_heads()
        self.info_label.setText(info)
        self.draw_later()

    def _add_blocks(self, node_ids) -> None:
        known = {self.block_combo.itemData(i) for i in range(self.block_combo.count())}
        for node_id in node_ids:
            if node_id not in known:
                self.block_combo.addItem(self._block_text(node_id), node_id)

    def _block_text(self, node_id: str) -> str:
        title = self._titles.get(node_id)
        return f"{title} ({node_id})" if title else node_id

    def set_block_titles(self, titles: dict[str, str]) -> None:
        """Name the blocks by their titles on the canvas instead of their ids."""
        self._titles = dict(titles)
        for i in range(self.block_combo.count()):
            self.block_combo.setItemText(i, self._block_text(self.block_combo.itemData(i)))

    def _fill_samples(self, count: int) -> None:
        keep = max(self.sample_combo.currentIndex(), 0)
        self.sample_combo.blockSignals(True)
        self.sample_combo.clear()
        for i in range(count):
            label = f" · class {self._labels[i]}" if i < len(self._labels) else ""
            self.sample_combo.addItem(f"Sample {i + 1}{label}")
        self.sample_combo.setCurrentIndex(min(keep, count - 1))
        self.sample_combo.blockSignals(False)

    def _on_block_changed(self) -> None:
        self._sync_heads()
        self.redraw()

    def _sync_heads(self) -> None:
        """One entry per head of the chosen block, plus their mean; none for additive."""
        weights = self._weights.get(self.block_combo.currentData())
        heads = weights.shape[1] if weights is not None and weights.ndim == 4 else 0
        if heads and self.head_combo.count() == heads + 1:
            return
        keep = max(self.head_combo.currentIndex(), 0) if self.head_combo.isEnabled() else 0
        self.head_combo.blockSignals(True)
        self.head_combo.clear()
        if heads:
            self.head_combo.addItems([MEAN_OF_HEADS] + [f"Head {h + 1}" for h in range(heads)])
            self.head_combo.setCurrentIndex(min(keep, heads))
        else:
            self.head_combo.addItem("—")
        self.head_combo.setEnabled(bool(heads))
        self.head_combo.blockSignals(False)

    # ---- drawing

    def selected(self) -> tuple[str | None, int | None, int]:
        """The chosen block, head (None for the mean, or for additive attention) and sample."""
        head = self.head_combo.currentIndex() - 1 if self.head_combo.isEnabled() else -1
        return (self.block_combo.currentData(), head if head >= 0 else None,
                max(self.sample_combo.currentIndex(), 0))

    def shown_weights(self) -> np.ndarray | None:
        """The matrix the heatmap shows for the current selection."""
        block, head, sample = self.selected()
        weights = self._weights.get(block)
        if weights is None or not len(weights):
            return None
        if weights.ndim == 2:
            longest = max((len(t) for t in self._tokens), default=0)
            return weights[:, :longest] if 0 < longest < weights.shape[1] else weights
        matrix = weights[min(sample, len(weights) - 1)]
        if matrix.ndim == 3:
            matrix = matrix.mean(axis=0) if head is None else matrix[min(head, len(matrix) - 1)]
        return self._unpadded(matrix, sample)

    def _unpadded(self, matrices: np.ndarray, sample: int) -> np.ndarray:
        """(…, Tq, Tk) attention of one sample without the steps its tokens do not cover:
        a text's padding is not drawn (its labels leave the padding out)."""
        tokens = len(self._sample_tokens(sample))
        queries, keys = matrices.shape[-2:]
        if not 0 < tokens < keys:
            return matrices
        return matrices[..., :tokens if queries == keys else queries, :tokens]

    def redraw(self) -> None:
        matrix = self.shown_weights()
        if matrix is None:
            self.image.clear()
            self.bars_widget.setVisible(False)
            self.heads_widget.setVisible(False)
            return
        block, head, sample = self.selected()
        additive = self._weights[block].ndim == 2
        self.image.setImage(matrix, autoLevels=False)
        rows, columns = matrix.shape
        if (rows, columns, additive) != self._shown_shape:
            self._shown_shape = (rows, columns, additive)
            self.heatmap_plot.getViewBox().setAspectLocked(not additive)
            self.heatmap_plot.setRange(xRange=(0, columns), yRange=(0, rows), padding=0.02)
            self.heatmap_plot.setLabel("left", "sample" if additive else "query", color=MUTED)
            self.heatmap_plot.setLabel("bottom", "step" if additive else "key", color=MUTED)
        tokens = self._sample_tokens(sample)
        self._set_ticks(rows, columns, additive, tokens)
        if additive and self.bars_widget.isHidden():
            self.bars_widget.setVisible(True)
            # Shown late (after a multi-head block), the bars get their share, not a sliver.
            height = self._maps.height()
            self._maps.setSizes([height * 3 // 5, height - height * 3 // 5])
        self.bars_widget.setVisible(additive)
        if additive:
            row = min(sample, rows - 1)
            self._outline.setData([0, columns, columns, 0, 0], [row, row, row + 1, row + 1, row])
            self.bars.setOpts(x=np.arange(columns) + 0.5, height=matrix[row], width=0.8)
            self._uniform.setPos(1.0 / columns)
            label = f" (class {self._labels[row]})" if row < len(self._labels) else ""
            self.bars_plot.setTitle(f"Attention over the steps · sample {row + 1}{label}",
                                    color=MUTED, size="10pt")
            self.heatmap_plot.setTitle("All probed samples", color=MUTED, size="10pt")
        else:
            self._outline.setData([], [])
            which = "mean of heads" if head is None else f"head {head + 1}"
            self.heatmap_plot.setTitle(f"{self.block_combo.currentText()} · {which} · "
                                       f"sample {sample + 1}", color=MUTED, size="10pt")
        self._show_heads(self._weights[block], sample, head)

    def _show_heads(self, weights: np.ndarray, sample: int, head: int | None) -> None:
        """Small multiples of every head for the chosen sample, the chosen one outlined."""
        heads = weights.shape[1] if weights.ndim == 4 else 0
        if heads <= 1:
            if not self.heads_widget.isHidden():
                self._heads_split = self._splitter.sizes()  # to restore when it comes back
                self.heads_widget.setVisible(False)
            return
        if self.heads_widget.isHidden():
            self.heads_widget.setVisible(True)
            # A panel shown late gets its share, not the sliver left over; shown again, the
            # split the user left.
            width = self._splitter.width()
            self._splitter.setSizes(self._heads_split
                                    or [width * 3 // 5, width - width * 3 // 5])
        if len(self.head_images) != heads:
            self._build_heads(heads)
        matrices = self._unpadded(weights[min(sample, len(weights) - 1)], sample)
        for image, matrix in zip(self.head_images, matrices, strict=True):
            image.setImage(matrix, autoLevels=False)
        self._heads_title.setText(f"Every head · sample {sample + 1}", color=MUTED, size="10pt")
        rows, columns = matrices.shape[1:]
        parent = self._head_outline.getViewBox()
        target = None if head is None else self._head_plots[head].getViewBox()
        if parent is not target:
            if parent is not None:
                parent.removeItem(self._head_outline)
            if target is not None:
                target.addItem(self._head_outline)
        self._head_outline.setData([0, columns, columns, 0, 0], [0, 0, rows, rows, 0])

    def _build_heads(self, heads: int) -> None:
        ci = self.heads_widget.ci
        ci.clear()
        self._head_outline = pg.PlotDataItem(pen=pg.mkPen(OUTLINE, width=3))
        columns = math.ceil(math.sqrt(heads))
        self._heads_title = ci.addLabel("", row=0, col=0, colspan=columns)
        self.head_images, self._head_plots = [], []
        for h in range(heads):
            # Without menus from the start: building a plot's menus costs a third of it.
            plot = ci.addPlot(row=1 + h // columns, col=h % columns, enableMenu=False)
            for axis in ("left", "bottom"):
                plot.hideAxis(axis)
            plot.setTitle(f"Head {h + 1}", color=MUTED, size="9pt")
            plot.invertY(True)
            plot.setAspectLocked(True)
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            quiet_child_group(plot)
            image = pg.ImageItem(axisOrder="row-major")
            image.setColorMap(PROBABILITY_MAP)
            image.setLevels((0.0, 1.0))
            plot.addItem(image)
            self.head_images.append(image)
            self._head_plots.append(plot)

    def _on_heads_clicked(self, event) -> None:
        for h, plot in enumerate(self._head_plots):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                self.head_combo.setCurrentIndex(h + 1)

    def _sample_tokens(self, sample: int) -> list[str]:
        if not self._tokens:
            return []
        return self._tokens[min(sample, len(self._tokens) - 1)]

    def _set_ticks(self, rows: int, columns: int, additive: bool, tokens: list[str]) -> None:
        key = (rows, columns, additive, tuple(tokens))
        if key == self._ticks_key:
            return
        self._ticks_key = key
        if tokens and len(tokens) < columns and additive:  # a shorter text of the batch
            tokens = [*tokens, *[""] * (columns - len(tokens))]
        across = tokens if len(tokens) == columns else [str(i + 1) for i in range(columns)]
        if additive:
            down = [str(i + 1) for i in range(rows)]
        else:
            down = tokens if len(tokens) == rows else [str(i + 1) for i in range(rows)]
        self._tick_labels = (across, down)
        self.bars_plot.setXRange(0, columns, padding=0.01)
        self._fit_ticks()

    def _fit_ticks(self) -> None:
        """Word labels every k-th cell, k as small as lets them stand apart at the size the
        plots are drawn (a word is wider than a cell; pyqtgraph draws every tick given)."""
        across, down = self._tick_labels
        for plot, axis, labels, cap in ((self.heatmap_plot, "bottom", across, 24),
                                        (self.heatmap_plot, "left", down, 24),
                                        (self.bars_plot, "bottom", across, 32)):
            plot.getAxis(axis).setTicks(sparse_ticks(labels, _labels_that_fit(
                plot, axis, labels, cap)))

    def reset(self) -> None:
        self._weights = {}
        self._tokens = []
        self._labels = []
        self._shown_shape = ()
        self._ticks_key = ()
        for combo in (self.block_combo, self.head_combo, self.sample_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self.info_label.setText("Waiting for the first probe…")
        self.heads_widget.ci.clear()
        self.head_images, self._head_plots = [], []
        self.redraw()
