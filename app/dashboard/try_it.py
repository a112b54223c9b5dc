"""The Try it tab: a finished run's model on one sample at a time.

Pick a sample of the run's validation or test part, or give your own (an image, a CSV or
NumPy file, typed values or token ids, or for a model that takes text, a typed sentence),
and see the class probabilities, or the value, and for attention models the attention maps
for that very input (over its words, for text). Inputs are read and scaled by
projects/predict.py, exactly as ``deepwire predict`` reads them; loading the run and
predicting run in :class:`~app.background.BackgroundJobs`, never on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.background import BackgroundJobs
from app.dashboard.attention import AttentionView
from app.dashboard.plotting import MUTED, RUN_COLOURS, plot_widget
from projects.text import count_text

ERROR = "#b91c1c"
TRUE_COLOUR = "#16a34a"
SOURCE_FILES = ("Inputs (*.png *.jpg *.jpeg *.bmp *.gif *.csv *.tsv *.txt *.npy *.npz);;"
                "Images (*.png *.jpg *.jpeg *.bmp *.gif);;CSV tables (*.csv *.tsv *.txt);;"
                "NumPy arrays (*.npy *.npz);;All files (*)")
PART_TITLES = {"validation": "Validation part", "test": "Test part"}


@dataclass
class _Loaded:
    """What loading a run hands the GUI thread (plain data, and the predictor to pass
    back into later jobs)."""

    predictor: Any
    title: str
    sources: dict[str, Any] = field(default_factory=dict)  # title -> Samples
    hint: str = ""
    image: bool = False
    tokens: bool = False
    text: bool = False  # the model takes raw text
    columns: list[str] | None = None
    value_range: tuple[float, float] | None = None
    graph: Any = None  # Predictions of every node
    edges: np.ndarray | None = None
    node_sets: dict[str, np.ndarray] = field(default_factory=dict)
    block_titles: dict[str, str] = field(default_factory=dict)


def _load(folder: Path) -> _Loaded:
    """Open the run and its data (background thread)."""
    from projects.evaluation import open_run
    from projects.predict import Predictor
    from projects.training import RunFailure

    run = open_run(folder)
    predictor = Predictor(run)
    model_input = predictor.inputs()[0]
    data = run.data()
    loaded = _Loaded(predictor, f"{folder.name} · {data.description}",
                     hint=predictor.values_hint() if predictor.kind != "node_classification"
                     else "", image=model_input.image,
                     tokens=model_input.dtype.startswith("int"), text=model_input.text,
                     columns=predictor.table_columns(), value_range=data.value_range,
                     block_titles={i: n.title or n.spec.title
                                   for i, n in run.project.nodes.items()})
    if predictor.kind == "node_classification":
        loaded.graph = predictor.predict(predictor.graph(), attention=False)
        loaded.edges = np.asarray(data.edges)
        loaded.node_sets = {"Validation nodes": np.flatnonzero(data.val_mask),
                            "Test nodes": np.flatnonzero(data.test_mask),
                            "All nodes": np.arange(data.num_nodes)}
        return loaded
    for split, title in PART_TITLES.items():
        try:
            loaded.sources[title] = predictor.split(split)
        except RunFailure:
            continue  # a run without that part
    return loaded


class TryItView(QWidget):
    """One run's model on one sample: the sample, its class probabilities (or value) and,
    for attention models, its attention maps. ``set_run_folder(folder)`` chooses the run; it
    loads when the tab is first shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = BackgroundJobs("try-it", self)
        self._folder: Path | None = None
        self._pending = False  # a run to load once the tab is shown
        self._loaded: _Loaded | None = None
        self._request = 0  # the newest request; older answers are dropped
        self._newest = _Newest()  # the same, for jobs to skip work nobody waits for
        self.shown = None  # the Predictions on screen

        self.title_label = QLabel("No run chosen")
        self.title_label.setStyleSheet("font-weight: 600;")
        self.busy_label = QLabel()
        self.busy_label.setStyleSheet(f"color: {MUTED};")
        self.message_label = QLabel(wordWrap=True)
        self.message_label.setStyleSheet(f"color: {ERROR}; background: #fef2f2; "
                                         "padding: 6px 10px; border-radius: 4px;")
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()

        self.source_combo = QComboBox()
        self.source_combo.setMinimumContentsLength(16)
        self.source_combo.setToolTip("Where the sample comes from: a part of the run's data, "
                                     "or your own input")
        self.sample_spin = QSpinBox()
        self.sample_spin.setMinimumWidth(70)
        self.sample_spin.setKeyboardTracking(False)  # typed numbers count on Enter
        self.sample_spin.setToolTip("Which sample of the source")
        self.count_label = QLabel()
        self.count_label.setStyleSheet(f"color: {MUTED};")
        self.values_edit = QLineEdit()
        self.values_edit.setClearButtonEnabled(True)
        self.values_edit.setMinimumWidth(260)
        self.open_button = QPushButton("Open File…")
        self.open_button.setToolTip("An image, a CSV table, or NumPy arrays (.npy, .npz)")
        self.own_label = QLabel("Your own:")
        self.source_combo.currentIndexChanged.connect(self._on_source)
        self.sample_spin.valueChanged.connect(self._on_sample)
        self.values_edit.returnPressed.connect(
            lambda: self.try_values(self.values_edit.text()))
        self.open_button.clicked.connect(self._choose_file)

        controls = QHBoxLayout()
        controls.setContentsMargins(8, 4, 8, 0)
        controls.addWidget(QLabel("Source"))
        controls.addWidget(self.source_combo)
        controls.addSpacing(6)
        controls.addWidget(QLabel("Sample"))
        controls.addWidget(self.sample_spin)
        controls.addWidget(self.count_label)
        controls.addStretch(1)
        own = QHBoxLayout()
        own.setContentsMargins(8, 0, 8, 0)
        own.addWidget(self.own_label)
        own.addWidget(self.values_edit, 1)
        own.addWidget(self.open_button)
        header = QHBoxLayout()
        header.setContentsMargins(8, 6, 8, 0)
        header.addWidget(self.title_label, 1)
        header.addWidget(self.busy_label)

        # The sample
        self.sample_image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.sample_image.setMinimumSize(160, 160)
        self.sample_text = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignTop)
        self.sample_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_text.setStyleSheet("font-family: monospace;")
        sample_box = QWidget()
        sample_layout = QVBoxLayout(sample_box)
        sample_layout.setContentsMargins(8, 4, 8, 4)
        heading = QLabel("Input")
        heading.setStyleSheet(f"color: {MUTED}; font-weight: 600;")
        sample_layout.addWidget(heading)
        sample_layout.addWidget(self.sample_image)
        sample_layout.addWidget(self.sample_text)
        sample_layout.addStretch(1)

        # The prediction
        self.prediction_label = QLabel(wordWrap=True)
        self.prediction_label.setStyleSheet("font-size: 11pt;")
        self.bars_widget = plot_widget(bottom="probability", grid=False)
        self.bars_plot: pg.PlotItem = self.bars_widget.getPlotItem()
        self.bars_plot.invertY(True)
        self.bars_plot.setMouseEnabled(False, False)
        self.bars_plot.hideButtons()
        self.bars_plot.setMenuEnabled(False)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7, brush=RUN_COLOURS[0],
                                    pen=pg.mkPen(None))
        self.bars_plot.addItem(self.bars)
        self._texts: list[pg.TextItem] = []
        prediction_box = QWidget()
        prediction_layout = QVBoxLayout(prediction_box)
        prediction_layout.setContentsMargins(8, 4, 8, 4)
        prediction_layout.addWidget(self.prediction_label)
        prediction_layout.addWidget(self.bars_widget, 1)
        prediction_layout.addStretch(0)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(sample_box)
        top.addWidget(prediction_box)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 3)
        top.setChildrenCollapsible(False)
        sample_box.setMinimumWidth(240)
        top.setSizes([340, 660])
        self.attention = AttentionView()
        self.attention.setVisible(False)
        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.addWidget(top)
        self._splitter.addWidget(self.attention)
        self._splitter.setStretchFactor(0, 2)
        self._splitter.setStretchFactor(1, 3)
        self._splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addLayout(controls)
        layout.addLayout(own)
        layout.addWidget(self.message_label)
        layout.addWidget(self._splitter, 1)
        self._clear("Select one run in the Runs list, or train one, to try its model.")

    # ---- choosing the run

    def set_run_folder(self, folder: Path | None) -> None:
        """Try the model of the run in ``folder`` (None: none). It loads when shown."""
        folder = None if folder is None else Path(folder)
        if folder == self._folder and (self._loaded is not None or self._pending
                                       or self.jobs.busy):
            return
        self._folder = folder
        self._loaded = None
        self._request += 1
        if folder is None:
            self._clear("Select one run in the Runs list, or train one, to try its model.")
            return
        self._clear("")
        self.title_label.setText(folder.name)
        self._pending = True
        if self.isVisible() or self.parentWidget() is None:
            self._start_loading()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._pending:
            self._start_loading()

    def _start_loading(self) -> None:
        self._pending = False
        folder, request = self._folder, self._request
        self._set_busy("Loading the run…")
        self.jobs.submit(lambda: _load(folder),
                         lambda loaded: self._on_loaded(request, loaded),
                         lambda err: self._on_failed(request, err))

    def _on_loaded(self, request: int, loaded: _Loaded) -> None:
        if request != self._request:
            return
        self._loaded = loaded
        self._set_busy("")
        self.title_label.setText(loaded.title)
        graph = loaded.graph is not None
        for widget in (self.own_label, self.values_edit, self.open_button):
            widget.setVisible(not graph)
        self.attention.set_block_titles(loaded.block_titles)
        self.values_edit.setPlaceholderText(loaded.hint)
        self.values_edit.setToolTip(loaded.hint + " Press Enter to predict.")
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.addItems(list(loaded.node_sets if graph else loaded.sources))
        self.source_combo.blockSignals(False)
        self._set_controls(True)
        if self.source_combo.count():
            self._on_source()
        else:
            self._show_message("The run's data has no validation or test part to pick from; "
                               "give your own input.")

    def _on_failed(self, request: int, err: BaseException) -> None:
        if request != self._request:
            return
        self._set_busy("")
        self._show_error(err)

    # ---- choosing the sample

    def _source_size(self) -> int:
        loaded, title = self._loaded, self.source_combo.currentText()
        if loaded is None or not title:
            return 0
        if loaded.graph is not None:
            return len(loaded.node_sets.get(title, ()))
        samples = loaded.sources.get(title)
        return 0 if samples is None else len(samples)

    def _on_source(self) -> None:
        size = self._source_size()
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(1 if size else 0, max(size, 0))
        self.sample_spin.setValue(1 if size else 0)
        self.sample_spin.blockSignals(False)
        self.sample_spin.setEnabled(size > 1)
        self._count_text(size)
        if size:
            self._on_sample()

    def _count_text(self, size: int, node: int | None = None) -> None:
        noun = "node" if self._loaded is not None and self._loaded.graph is not None \
            else "sample"
        text = f"of {count_text(size)} {noun}{'s' if size != 1 else ''}" if size else ""
        self.count_label.setText(text if node is None else f"{text} · node {node}")
        self.count_label.setMinimumWidth(
            self.count_label.fontMetrics().horizontalAdvance(self.count_label.text()) + 4)

    def _on_sample(self) -> None:
        loaded = self._loaded
        if loaded is None or not self._source_size():
            return
        index = self.sample_spin.value() - 1
        title = self.source_combo.currentText()
        if loaded.graph is not None:
            node = int(loaded.node_sets[title][index])
            self._count_text(self._source_size(), node)
            self._show_node(node)
            return
        samples = loaded.sources[title].take(index)
        self._request += 1
        request = newest = self._newest.value = self._request
        self._set_busy("Predicting…")
        predictor, latest = loaded.predictor, self._newest
        self.jobs.submit(lambda: predictor.predict(samples) if latest.value == newest
                         else None,
                         lambda result: self._on_predicted(request, samples, result),
                         lambda err: self._on_failed(request, err))

    def _on_predicted(self, request: int, samples, predictions) -> None:
        if request != self._request or predictions is None:
            return
        self._set_busy("")
        if samples.notes:  # what was done to fit the input (an image resized)
            self._show_message("Note: " + "; ".join(samples.notes) + ".", error=False)
        else:
            self.message_label.hide()
        self._show_sample(samples, predictions)
        self._show_prediction(predictions, 0)

    # ---- your own input

    def try_values(self, text: str) -> None:
        """Predict typed values: a table row, token ids or flattened values, or for a
        model that takes text, the typed text."""
        if self._loaded is None:
            return
        predictor = self._loaded.predictor
        self._read_own(lambda: predictor.values(text),
                       "Typed text" if self._loaded.text else "Typed values")

    def open_file(self, path: str | Path) -> None:
        """Predict the samples of an image, CSV or NumPy file (or an image folder); the
        sample spin box then browses them."""
        if self._loaded is None:
            return
        predictor = self._loaded.predictor
        path = Path(path)
        self._read_own(lambda: predictor.read(path), f"File: {path.name}")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Try the model on a file", "",
                                              SOURCE_FILES)
        if path:
            self.open_file(path)

    def _read_own(self, read, title: str) -> None:
        self._request += 1
        request = self._request
        self._set_busy("Reading the input…")
        self.jobs.submit(read, lambda samples: self._on_own(request, title, samples),
                         lambda err: self._on_failed(request, err))

    def _on_own(self, request: int, title: str, samples) -> None:
        if request != self._request or self._loaded is None:
            return
        self._set_busy("")
        self.message_label.hide()
        for old in [t for t in self._loaded.sources if t.startswith(("File: ", "Typed"))]:
            if old != title and title.startswith("File: ") == old.startswith("File: "):
                self._loaded.sources.pop(old)
        self._loaded.sources[title] = samples
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.addItems(list(self._loaded.sources))
        self.source_combo.setCurrentText(title)
        self.source_combo.blockSignals(False)
        self._on_source()

    # ---- showing

    def _show_sample(self, samples, predictions=None) -> None:
        loaded = self._loaded
        x = samples.x[0][0]
        if loaded.text:  # the text, and the words the model reads of it
            self.sample_image.hide()
            words = predictions.tokens[0] if predictions is not None and \
                predictions.tokens else []
            shown = f"{samples.ids[0]}: {x}" if samples.ids[0] != "typed" else str(x)
            self.sample_text.setText(shown + ("\n\nWords the model reads: " + " · ".join(words)
                                              if words else ""))
            return
        if loaded.image:
            self.sample_image.setPixmap(_pixmap(x, loaded.value_range, 200))
            self.sample_image.show()
            self.sample_text.setText(f"{samples.ids[0]} · {x.shape[1]}×{x.shape[0]} pixels")
            return
        self.sample_image.hide()
        if loaded.columns is not None:
            width = max(len(name) for name in loaded.columns)
            lines = [f"{name:>{width}} = {value:.6g}" for name, value in
                     zip(loaded.columns, x.tolist(), strict=False)]
            self.sample_text.setText("\n".join(lines))
        elif loaded.tokens:
            self.sample_text.setText("Tokens: " + " ".join(str(int(t)) for t in x.ravel()))
        else:
            flat = ", ".join(f"{v:.4g}" for v in x.ravel()[:64])
            more = " …" if x.size > 64 else ""
            self.sample_text.setText(f"Shape {tuple(x.shape)}: {flat}{more}")

    def _show_node(self, node: int) -> None:
        loaded = self._loaded
        self.message_label.hide()
        edges = loaded.edges
        neighbours = np.unique(np.concatenate([edges[edges[:, 0] == node, 1],
                                               edges[edges[:, 1] == node, 0]]))
        predicted = loaded.graph.predicted()
        lines = [f"Node {node}: {count_text(len(neighbours))} neighbours"]
        for other in neighbours[:40].tolist():
            true = loaded.graph.true_text(other)
            mark = "" if true is None else (" ✓" if true == predicted[other] else
                                            f" (true {true})")
            lines.append(f"  {other}: predicted {predicted[other]}{mark}")
        if len(neighbours) > 40:
            lines.append(f"  … and {count_text(len(neighbours) - 40)} more")
        self.sample_image.hide()
        self.sample_text.setText("\n".join(lines))
        self._show_prediction(loaded.graph, node)

    def _show_prediction(self, predictions, i: int) -> None:
        self.shown = predictions
        self._shown_index = i
        true = predictions.true_text(i)
        predicted = predictions.predicted()[i]
        true_text = ""
        if true is not None:
            right = true == predicted
            colour = TRUE_COLOUR if right or not predictions.classes else ERROR
            true_text = f" · <span style='color:{colour}'>true: {true}</span>"
        if predictions.classes:
            p = float(predictions.probabilities[i].max())
            self.prediction_label.setText(f"Predicted: <b>{predicted}</b> ({p:.1%})"
                                          f"{true_text}")
            self._draw_bars(predictions, i)
        else:
            if true is not None and predictions.values.shape[1] == 1:
                error = float(predictions.values[i, 0]) - float(predictions.labels[i])
                true_text += f" · error {error:+.4g}"
            self.prediction_label.setText(f"Predicted value: <b>{predicted}</b>{true_text}")
        self.bars_widget.setVisible(predictions.classes)
        attention = bool(predictions.attention)
        if attention:
            labels = [] if true is None else [true]
            self.attention.show_weights(predictions.attention, predictions.tokens, labels,
                                        f"For {predictions.ids[i]}")
            self.attention.draw_now()  # one sample: cheap, and in step with the bars
        if attention and self.attention.isHidden():
            self.attention.setVisible(True)
            height = max(self._splitter.height(), 400)  # the maps get their share
            self._splitter.setSizes([height * 2 // 5, height - height * 2 // 5])
        elif not attention:
            self.attention.setVisible(False)

    def _draw_bars(self, predictions, i: int) -> None:
        probabilities = predictions.probabilities[i]
        k = len(probabilities)
        names = [predictions.class_name(c) for c in range(k)]
        best = int(probabilities.argmax())
        brushes = [pg.mkBrush(RUN_COLOURS[0] if c == best else "#93c5fd") for c in range(k)]
        self.bars.setOpts(x0=np.zeros(k), y=np.arange(k), width=probabilities, height=0.7,
                          brushes=brushes)
        for item in self._texts:
            self.bars_plot.removeItem(item)
        self._texts = []
        if k <= 40:
            for c, value in enumerate(probabilities.tolist()):
                text = pg.TextItem(f"{value:.1%}", color=MUTED, anchor=(0, 0.5))
                text.setPos(value + 0.01, c)
                self.bars_plot.addItem(text)
                self._texts.append(text)
        every = max(1, k // 30)
        axis = self.bars_plot.getAxis("left")
        axis.setTicks([[(c, names[c]) for c in range(0, k, every)], []])
        metrics = QFontMetrics(axis.style["tickFont"] or self.font())
        axis.setWidth(min(260, max(metrics.horizontalAdvance(n) for n in names) + 14))
        self.bars_plot.setXRange(0, 1.12, padding=0)  # room right of a full bar for its text
        self.bars_plot.getAxis("bottom").setTicks(
            [[(v / 10, f"{v / 10:g}") for v in range(0, 11, 2)], []])  # no "1.1": p ≤ 1
        # Bars of a readable thickness: a few classes need not fill the height.
        self.bars_widget.setMaximumHeight(max(180, 36 * k + 70))
        self.bars_plot.setYRange(-0.6, k - 0.4, padding=0)

    def shown_probabilities(self) -> np.ndarray | None:
        """The probabilities the bars show (for tests and screenshots)."""
        if self.shown is None or not self.shown.classes:
            return None
        return np.asarray(self.shown.probabilities[self._shown_index])

    # ---- state

    def _clear(self, text: str) -> None:
        self.shown = None
        self._shown_index = 0
        self.title_label.setText(text or "")
        self.message_label.hide()
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.blockSignals(False)
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, 0)
        self.sample_spin.blockSignals(False)
        self.count_label.setText("")
        self.values_edit.clear()
        self.sample_image.clear()
        self.sample_text.setText("")
        self.prediction_label.setText("")
        self.bars.setOpts(x0=[], y=[], width=[], height=0.7)
        for item in self._texts:
            self.bars_plot.removeItem(item)
        self._texts = []
        self.attention.reset()
        self.attention.setVisible(False)
        self._set_controls(False)

    def _set_controls(self, enabled: bool) -> None:
        for widget in (self.source_combo, self.sample_spin, self.values_edit,
                       self.open_button):
            widget.setEnabled(enabled)

    def _set_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        if text.startswith("Loading"):
            self._set_controls(False)

    def _show_message(self, text: str, error: bool = True) -> None:
        colour, back = (ERROR, "#fef2f2") if error else ("#92400e", "#fef3c7")
        self.message_label.setStyleSheet(f"color: {colour}; background: {back}; "
                                         "padding: 6px 10px; border-radius: 4px;")
        self.message_label.setText(text)
        self.message_label.show()

    def _show_error(self, err: BaseException) -> None:
        hint = getattr(err, "hint", "")
        self._show_message(f"{err}" + (f"\n{hint}" if hint else ""))

    def message(self) -> str:
        """The message shown above the sample, or ""."""
        return self.message_label.text() if not self.message_label.isHidden() else ""

    def close_jobs(self) -> None:
        """Finish the job under way and stop the thread (the window is closing)."""
        self.jobs.close()


class _Newest:
    """The number of the newest request, read by jobs on the background thread."""

    value = 0


def _pixmap(x: np.ndarray, value_range: tuple[float, float] | None, size: int) -> QPixmap:
    """One image sample, (h, w) or (h, w, c), as a pixmap ``size`` pixels across, scaled
    from the data's value range (or the sample's own) to 0..255, nearest-neighbour."""
    x = np.asarray(x, dtype=np.float32)
    low, high = value_range if value_range is not None else (float(x.min()), float(x.max()))
    grey = np.clip((x - low) / ((high - low) or 1.0), 0.0, 1.0)
    pixels = np.ascontiguousarray((grey * 255).round().astype(np.uint8))
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = np.ascontiguousarray(pixels[..., 0])
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        channels = pixels.shape[2]
        fmt = QImage.Format.Format_RGBA8888 if channels == 4 else QImage.Format.Format_RGB888
        pixels = pixels if channels in (3, 4) else np.ascontiguousarray(pixels[..., :3])
        image = QImage(pixels.data, w, h, w * pixels.shape[2], fmt)
    scale = max(1, size // max(h, w))
    return QPixmap.fromImage(image.copy()).scaled(
        w * scale, h * scale, Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation)
