"""The dataset preview of the project page: a few samples of the data, loaded off the GUI
thread so a big download never freezes the window.

The form that edits the project's "dataset" object, generated from the dataset registry,
is :mod:`app.dataset_form`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QFontDatabase, QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from projects.datasets.description import request_key
from projects.text import count_text

if TYPE_CHECKING:  # numpy and the loaders are imported by the loading thread, not at startup
    import numpy as np

    from projects.datasets import Dataset
    from projects.datasets.description import DatasetDescription

# ----------------------------------------------------------------------------- preview data

THUMBNAILS = 8
TEXT_ROWS = 4
_TEXT_WIDTH = 22  # characters of values per text row (the label follows)


@dataclass(frozen=True)
class PreviewData:
    """What the preview shows, small enough to hand from the loading thread to the GUI."""

    description: str
    shapes: str
    images: tuple[np.ndarray, ...] = ()  # uint8 (height, width, channels)
    captions: tuple[str, ...] = ()  # one per image
    rows: tuple[str, ...] = ()  # a few samples as text
    graph: str = ""
    data: DatasetDescription | None = None  # what validation checks the model against


def make_preview(data: Dataset) -> PreviewData:
    """Pick a few samples of ``data`` and turn them into thumbnails or lines of text."""
    if data.kind == "graph":
        counts = Counter(data.labels[data.labels >= 0].tolist())
        names = data.class_names or [str(i) for i in range(max(counts, default=-1) + 1)]
        classes = " · ".join(f"{name} {counts[i]}" for i, name in enumerate(names))
        graph = (f"{count_text(data.num_nodes)} nodes · {count_text(data.num_edges)} edges · "
                 f"{data.features.shape[1]} features per node\nClasses: {classes}")
        return PreviewData(data.description, f"Node features: {data.input_shapes()[0]}",
                           graph=graph)
    shapes = data.input_shapes()
    shape_text = ("Input: " if len(shapes) == 1 else "Inputs: ") + " + ".join(
        str(s) for s in shapes)
    x = data.x_train[0] if isinstance(data.x_train, list | tuple) else data.x_train
    from projects.datasets.dataset import is_text  # numpy-bound: loaded by this thread

    if is_text(x):
        from projects.datasets.texts import text_overview

        return PreviewData(data.description, "Input: text, one per sample",
                           rows=tuple(text_overview(data)))
    labels = [_label_text(data, y) for y in (data.y_train[:THUMBNAILS]
                                             if data.y_train is not None else [])]
    if _is_image_batch(x):
        images = tuple(_to_uint8(x[:THUMBNAILS], data.value_range))
        return PreviewData(data.description, shape_text, images=images,
                           captions=tuple(labels) or ("",) * len(images))
    rows = []
    for i, sample in enumerate(x[:TEXT_ROWS]):
        values = _sample_text(sample)
        rows.append(f"{values}  → {labels[i]}" if labels else values)
    return PreviewData(data.description, shape_text, rows=tuple(rows))


def _is_image_batch(x: np.ndarray) -> bool:
    return x.ndim == 4 and x.shape[-1] in (1, 3, 4) and min(x.shape[1:3]) >= 4


def _to_uint8(images: np.ndarray, value_range: tuple[float, float] | None) -> list[np.ndarray]:
    images = images.astype("float32")
    low, high = value_range or (float(images.min()), float(images.max()))
    span = (high - low) or 1.0
    scaled = ((images - low) / span * 255.0 + 0.5).clip(0, 255).astype("uint8")
    return [image.copy() for image in scaled]  # each one contiguous, for QImage


def _label_text(data: Dataset, label: Any) -> str:
    if data.num_classes is None:
        return f"{float(label):.3g}"
    names = data.class_names
    return names[int(label)] if names and 0 <= int(label) < len(names) else str(int(label))


def _sample_value_text(value: Any) -> str:
    """A value in a preview row: whole numbers as they are, others to two decimals."""
    return str(int(value)) if isinstance(value, Integral) else f"{float(value):.2f}"


def _sample_text(sample: np.ndarray) -> str:
    """One sample in a few characters: values, or the first steps of a sequence."""
    if sample.ndim <= 1:
        items = [_sample_value_text(v) for v in sample.reshape(-1)]
    else:
        items = []
        for step in sample:
            flat = step.reshape(-1)
            inner = " ".join(_sample_value_text(v) for v in flat[:3])
            items.append(f"[{inner}{' …' if flat.size > 3 else ''}]")
    shown: list[str] = []
    for item in items:
        if shown and len(" ".join([*shown, item])) > _TEXT_WIDTH:
            return " ".join(shown) + " …"
        shown.append(item)
    return " ".join(shown)


# ----------------------------------------------------------------------------- loading


def _load_key(spec: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, str]:
    return repr(sorted(spec.items())), repr(sorted(options.items()))


@dataclass(frozen=True)
class LoadFailure:
    """Why a preview could not load; ``field`` is the dataset field the error blames."""

    message: str
    field: str | None = None


class _Relay(QObject):
    """Carries a finished load from the pool thread to the GUI thread (a queued signal)."""

    finished = Signal(int, object)  # request number, PreviewData or LoadFailure


def _load_preview(request: int, spec: dict[str, Any], options: dict[str, Any],
                  relay: _Relay) -> None:
    from dataclasses import replace

    from projects.datasets import DatasetError, load_dataset
    from projects.datasets.description import cache_key, describe_loaded, remember

    try:
        data = load_dataset(spec, **options)
        description = describe_loaded(data)
        remember(cache_key(spec, options["task_kind"], options["base_dir"]), description)
        result: PreviewData | LoadFailure = replace(make_preview(data), data=description)
    except DatasetError as err:
        result = LoadFailure(str(err), err.field)
    except Exception as err:  # a loader bug must show up in the preview, not kill the thread
        result = LoadFailure(f"The dataset could not be loaded: {type(err).__name__}: {err}")
    relay.finished.emit(request, result)


class DatasetPreview(QWidget):
    """A few samples of the project's dataset, with its description and input shapes.

    :meth:`load` starts a load on the global thread pool; only the newest request's result
    is shown. ``state`` is "empty", "loading", "ready" or "failed" (``error`` holds why,
    ``error_field`` the dataset field it blames, if any).
    """

    stateChanged = Signal(str)
    described = Signal(str, object)  # request_key, DatasetDescription: the data is known

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = "empty"
        self.error = ""
        self.error_field: str | None = None
        self._request = 0
        self._key: tuple | None = None
        self._described_key = ""  # the request_key of the load on its way
        self._relay = _Relay()  # no parent: a load still running may outlive this widget
        self._relay.finished.connect(self._on_finished)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.status = QLabel(wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.description = QLabel(wordWrap=True)
        self.shapes = QLabel(wordWrap=True)
        self.shapes.setProperty("role", "caption")
        self.thumbnails = QWidget()
        self._grid = QGridLayout(self.thumbnails)
        self._grid.setContentsMargins(0, 2, 0, 0)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(6)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.rows = QLabel()
        self.rows.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.rows.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.rows.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.graph = QLabel(wordWrap=True)
        for widget in (self.status, self.description, self.shapes, self.thumbnails, self.rows,
                       self.graph):
            layout.addWidget(widget)
        self._show(None)

    # ---- requests

    def load(self, spec: Mapping[str, Any], *, task_kind: str, seed: int,
             validation_split: float, base_dir: Path | None, test_split: float = 0.0,
             force: bool = False) -> None:
        """Load ``spec`` in the background unless the same load is already shown."""
        options = {"seed": seed, "validation_split": validation_split, "base_dir": base_dir,
                   "task_kind": task_kind, "test_split": test_split}
        key = _load_key(spec, options)
        if key == self._key and not force:
            return
        self._key = key
        self._request += 1
        if not spec.get("name"):
            self._set_state("empty")
            self._show(None, "No dataset yet: choose one above.")
            return
        self._set_state("loading")
        self._show(None, "Loading…")
        self._described_key = request_key(spec, task_kind)
        request, relay = self._request, self._relay
        QThreadPool.globalInstance().start(
            lambda: _load_preview(request, dict(spec), options, relay))

    def expect(self, spec: Mapping[str, Any], *, task_kind: str, seed: int,
               validation_split: float, base_dir: Path | None,
               test_split: float = 0.0) -> None:
        """Say at once that another dataset is coming (its load starts a moment later), so
        the preview of the project shown before never stands under this one's settings."""
        options = {"seed": seed, "validation_split": validation_split, "base_dir": base_dir,
                   "task_kind": task_kind, "test_split": test_split}
        if _load_key(spec, options) != self._key:
            self._key = None
            self._request += 1  # whatever was on its way is no longer wanted
            self.error, self.error_field = "", None
            self._set_state("loading")
            self._show(None, "Loading…")

    def _on_finished(self, request: int, result: PreviewData | LoadFailure) -> None:
        if request != self._request:
            return  # a newer request is on its way
        if isinstance(result, LoadFailure):
            self.error, self.error_field = result.message, result.field
            self._show(None, result.message, failed=True)
            self._set_state("failed")
        else:
            self.error, self.error_field = "", None
            self._show(result)
            self._set_state("ready")
            if result.data is not None:
                self.described.emit(self._described_key, result.data)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.stateChanged.emit(state)

    # ---- showing

    def _show(self, data: PreviewData | None, status: str = "", failed: bool = False) -> None:
        self.status.setText(status)
        self.status.setVisible(bool(status))
        self.status.setProperty("role", "error" if failed else "caption")
        self.status.style().unpolish(self.status)  # the role picks the colour: restyle
        self.status.style().polish(self.status)
        self.description.setText(data.description if data else "")
        self.shapes.setText(data.shapes if data else "")
        self.rows.setText("\n".join(data.rows) if data else "")
        self.graph.setText(data.graph if data else "")
        self._fill_thumbnails(data.images if data else (), data.captions if data else ())
        for label in (self.description, self.shapes, self.rows, self.graph):
            label.setVisible(bool(label.text()))
        self.thumbnails.setVisible(bool(data and data.images))

    def _fill_thumbnails(self, images: tuple[np.ndarray, ...], captions: tuple[str, ...]
                         ) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        columns = 4
        for i, (image, caption) in enumerate(zip(images, captions, strict=True)):
            tile = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
            tile.setPixmap(_pixmap(image, 52))
            tile.setObjectName("thumbnail")
            tile.setToolTip(caption)
            text = QLabel(caption, alignment=Qt.AlignmentFlag.AlignCenter)
            text.setProperty("role", "caption")
            text.setMaximumWidth(60)
            row, column = divmod(i, columns)
            self._grid.addWidget(tile, row * 2, column)
            self._grid.addWidget(text, row * 2 + 1, column)

    def thumbnail_count(self) -> int:
        return sum(1 for i in range(self._grid.count())
                   if self._grid.itemAt(i).widget().objectName() == "thumbnail")


def _pixmap(image: np.ndarray, size: int) -> QPixmap:
    """A crisp (nearest-neighbour) square thumbnail of a uint8 image."""
    height, width, channels = image.shape
    formats = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888,
               4: QImage.Format.Format_RGBA8888}
    pixels = image.tobytes()  # must outlive the QImage that borrows it
    qimage = QImage(pixels, width, height, width * channels, formats[channels])
    scaled = qimage.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                           Qt.TransformationMode.FastTransformation)
    return QPixmap.fromImage(scaled)
