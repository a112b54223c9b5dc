"""Predictions of a past run's model for new inputs: files, typed values, or samples of the
run's own validation and test parts (docs/architecture.md, Datasets).

Inputs are prepared exactly as training prepared its data: a CSV's feature columns are
found by name in the order the run's table had them, images are decoded by the image
dataset's reader and converted to the model's channels, and every value is scaled with the
scale and the bounds the run's dataset used (:func:`projects.datasets.loading.scale_values`).
Input that does not fit the model's Input blocks is refused by the rules that hold a
dataset against them (:mod:`projects.datasets.description`), naming the file and what was
expected against what was found. Images of another size are resized (bilinear, with
antialiasing) to the model's, and the notes say so: a photo taken for a 28×28 model rarely
has that size, and refusing it would leave the person nothing to try.

A node-classification model predicts the nodes of the graph it trained on, all of them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from projects.datasets import DatasetError
from projects.datasets.description import DatasetDescription, input_misfits
from projects.evaluation import PastRun, open_run
from projects.probes import _step_labels, as_tuple
from projects.text import count_text
from projects.training import REGRESSION_LOSSES, RunFailure

SPLITS = ("validation", "test")
NOT_FEATURES = frozenset({"label", "split"})  # columns of a table that are never inputs
GRAPH_INPUT = "graph"  # what `deepwire predict` takes for a graph run's own graph
TEXT_HINT = "Give some words: the model reads a text as it read its training texts."


@dataclass
class Samples:
    """Inputs ready for the model (one array per model input, samples on axis 0), named.

    ``ids`` name each sample (a row number, a file name, a node number); ``labels`` are the
    true classes or targets when the samples come from a split; ``notes`` tell what was
    done to fit them (images resized).
    """

    x: list[np.ndarray]
    ids: list[str]
    source: str
    labels: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, i: int) -> Samples:
        """Sample ``i`` alone."""
        labels = None if self.labels is None else self.labels[i:i + 1]
        return Samples([a[i:i + 1] for a in self.x], [self.ids[i]], self.source, labels,
                       self.notes)


@dataclass
class Predictions:
    """What the model says about each sample.

    Classification: ``probabilities`` (samples, classes) with ``class_names``; regression:
    ``values`` (samples, outputs). ``attention`` holds, for models with attention blocks,
    each block's weights per sample ((samples, T) additive, (samples, heads, Tq, Tk)
    multi-head) and ``tokens`` the axis labels of each sample's steps. ``texts`` are the
    samples themselves when the model takes text.
    """

    ids: list[str]
    source: str
    class_names: list[str] | None = None
    probabilities: np.ndarray | None = None
    values: np.ndarray | None = None
    labels: np.ndarray | None = None
    attention: dict[str, np.ndarray] = field(default_factory=dict)
    tokens: list[list[str]] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    texts: list[str] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def classes(self) -> bool:
        return self.probabilities is not None

    def predicted(self) -> list[str]:
        """Each sample's predicted class name, or its predicted value as text."""
        if self.probabilities is not None:
            return [self.class_name(int(k)) for k in self.probabilities.argmax(axis=1)]
        return [" ".join(f"{v:.6g}" for v in row) for row in self.values]

    def class_name(self, index: int) -> str:
        names = self.class_names or []
        return names[index] if 0 <= index < len(names) else str(index)

    def true_text(self, i: int) -> str | None:
        """Sample ``i``'s true class name or target, when known."""
        if self.labels is None or i >= len(self.labels):
            return None
        value = self.labels[i]
        if self.probabilities is not None:
            return None if int(value) < 0 else self.class_name(int(value))
        return f"{float(value):.6g}"

    def table(self) -> tuple[list[str], list[list[str]]]:
        """The header and rows of predictions.csv: id, predicted, then ``p_<class>`` per
        class (classification) or one ``predicted_<k>`` per output unit beyond the first;
        a text model's rows give the text after the id."""
        header, rows = self._table()
        if self.texts is not None:
            header = [header[0], "text", *header[1:]]
            rows = [[row[0], text, *row[1:]] for row, text in zip(rows, self.texts,
                                                                   strict=True)]
        return header, rows

    def _table(self) -> tuple[list[str], list[list[str]]]:
        if self.probabilities is not None:
            names = [self.class_name(k) for k in range(self.probabilities.shape[1])]
            header = ["id", "predicted", *(f"p_{name}" for name in names)]
            rows = [[i, p, *(f"{v:.9g}" for v in probs)] for i, p, probs in
                    zip(self.ids, self.predicted(), self.probabilities.tolist(), strict=True)]
            return header, rows
        values = self.values
        if values.shape[1] == 1:
            return ["id", "predicted"], [[i, f"{v[0]:.9g}"] for i, v in
                                         zip(self.ids, values.tolist(), strict=True)]
        header = ["id", *(f"predicted_{k + 1}" for k in range(values.shape[1]))]
        return header, [[i, *(f"{v:.9g}" for v in row)] for i, row in
                        zip(self.ids, values.tolist(), strict=True)]


def write_predictions(predictions: Predictions, path: str | Path) -> Path:
    """Write predictions.csv (see :meth:`Predictions.table`) atomically."""
    import io

    from projects.files import atomic_write

    header, rows = predictions.table()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = Path(path)
    atomic_write(path, text.getvalue().encode("utf-8"))
    return path


# ----------------------------------------------------------------------------- the model's inputs


@dataclass(frozen=True)
class ModelInput:
    """One Input block of the run's model: its node id, how messages name it, the
    per-sample shape (None: any length) and the element type."""

    node_id: str
    label: str
    shape: tuple[int | None, ...]
    dtype: str

    @property
    def image(self) -> bool:
        """Float (height, width, 1, 3 or 4), as every image dataset gives: an image file
        can feed it."""
        shape = self.shape
        return (self.dtype.startswith("float") and None not in shape and len(shape) == 3
                and shape[2] in (1, 3, 4))

    @property
    def text(self) -> bool:
        """A string input: it takes raw texts (through a Text Vectorization block)."""
        return self.dtype == "string"

    @property
    def size(self) -> int | None:
        """Values per sample, when every dimension is fixed."""
        return None if None in self.shape else math.prod(self.shape)


class _Named(DatasetDescription):
    """An input file described for the fit rules; messages name the file itself."""

    @property
    def quoted(self) -> str:
        return self.title


@dataclass
class _Scaling:
    """How the run's dataset scaled its samples, read off its raw data (one load)."""

    scale: str
    pixel_max: float | None
    bounds: list[tuple[Any, Any] | None]
    class_names: list[str] | None
    dtypes: list[np.dtype]


class Predictor:
    """A past run's model, ready to predict: reads inputs as the run's data was read.

    Slow parts (the model, the data) load on first use; everything runs on the calling
    thread (the GUI calls it from app/background.py's thread).
    """

    def __init__(self, run: PastRun) -> None:
        self.run = run
        if run.kind == "adversarial":
            raise RunFailure(f"{run.folder} is a GAN's run: its model generates samples and "
                             "has no predictions to make.",
                             "See its samples in the dashboard's GAN tab.")
        nodes = run.project.nodes
        outputs = sorted(i for i, n in nodes.items() if n.block == "output")
        self.output = nodes[outputs[0]].params if outputs else {"loss": "mean_squared_error"}
        self._scaling: _Scaling | None = None
        self._inputs: list[ModelInput] | None = None
        self._data_loaded = False  # the run's Dataset is at hand: its class names too
        self._model: Any = None
        self._compiled: Any = None

    # ---- facts

    @property
    def kind(self) -> str:
        return self.run.kind

    @property
    def regression(self) -> bool:
        return self.output["loss"] in REGRESSION_LOSSES

    def model(self) -> Any:
        """The run's saved model. Loading (and compiling, below) makes Keras layers, which
        draw on Keras's global random state: they wait while a training run builds its
        model (projects/training.py trains one run at a time for that reason)."""
        if self._model is None:
            from projects.training import _ONE_AT_A_TIME

            with _ONE_AT_A_TIME:
                self._model = self.run.model()
        return self._model

    def compiled(self) -> Any:
        if self._compiled is None:
            from projects.training import _ONE_AT_A_TIME

            with _ONE_AT_A_TIME:
                self._compiled = self.run.compiled()
        return self._compiled

    def inputs(self) -> list[ModelInput]:
        """The model's inputs, in its order (loads the model)."""
        if self._inputs is None:
            nodes = self.run.project.nodes
            found = []
            for tensor in self.model().inputs:
                name = tensor.name.split(":")[0]
                node = nodes.get(name)
                found.append(ModelInput(name, node.label if node is not None else name,
                                        tuple(tensor.shape[1:]), str(tensor.dtype)))
            self._inputs = found
        return self._inputs

    def vocabulary(self) -> int | None:
        """How many token ids the model's Embedding blocks take (the smallest), if any."""
        sizes = [int(n.params["input_dim"]) for n in self.run.project.nodes.values()
                 if n.block == "embedding"]
        return min(sizes) if sizes else None

    def table_columns(self) -> list[str] | None:
        """The feature columns of the run's CSV table, in training order; None when the
        run did not train on a table."""
        spec = self.run.project.dataset
        if spec.get("name") != "csv":
            return None
        wanted = spec.get("feature_columns")
        if wanted:
            return [str(c) for c in wanted]
        table = self._training_table()
        skip = {spec.get("label_column"), spec.get("split_column", "split")}
        return [name for name in table.header if name not in skip]

    def _training_table(self) -> Any:
        from projects.datasets.loading import request
        from projects.datasets.tables import Table

        spec = self.run.project.dataset
        try:
            context = request(spec, base_dir=self.run.base_dir)
            return Table(context.path("path"), context.display("path"), "path",
                         context.text("delimiter"))
        except DatasetError as err:
            raise RunFailure(f"The run's table cannot be read, so its columns are unknown: "
                             f"{err}", "The run's dataset must still be where it was.",
                             ) from err

    def scaling(self) -> _Scaling:
        """The run's scale, pixel range and per-input bounds, from its raw data."""
        if self._scaling is None:
            from projects.datasets.loading import request, scale_bounds

            spec = dict(self.run.project.dataset)
            if self.regression:
                spec.setdefault("targets", "numbers")  # as the run loaded it
            try:
                context = request(spec, seed=self.run.settings.seed,
                                  base_dir=self.run.base_dir, task_kind=self.kind)
                raw = context.dataset.loader(context)
            except DatasetError as err:
                raise RunFailure(f"The run's dataset cannot be read, so how it scaled its "
                                 f"values is unknown: {err}",
                                 "The run's dataset must still be where it was.") from err
            scale = spec.get("scale") or ("unit" if raw.pixel_max is not None else "none")
            xs = [np.asarray(a) for a in as_tuple(raw.x)]
            # None where training left the values as they were (tokens, scale "none")
            bounds = [None if _left_alone(a[:1], scale, raw.pixel_max) else
                      scale_bounds(a, raw.pixel_max) for a in xs]
            self._scaling = _Scaling(scale, raw.pixel_max, bounds, raw.class_names,
                                     [a.dtype for a in xs])
        return self._scaling

    def class_names(self) -> list[str] | None:
        if self.regression:
            return None
        if self._data_loaded or self.kind == "node_classification":
            return self.run.data().class_names
        return self.scaling().class_names

    # ---- reading inputs

    def read(self, source: str | Path) -> Samples:
        """Samples from a file or folder (CSV, NPZ, NPY, images) or, for a graph run, its
        own graph (``"graph"``)."""
        if self.kind == "node_classification":
            return self.graph(source)
        path = Path(source)
        if not path.exists():
            raise RunFailure(f"{source}: no such file or folder.",
                             "Give a CSV, NPZ or NPY file, or a folder of images.")
        suffix = path.suffix.lower()
        if self.takes_text():
            return self.text_file(path)
        if path.is_dir():
            return self.image_folder(path)
        if suffix in (".csv", ".tsv", ".txt"):
            return self.csv_file(path)
        if suffix == ".npz":
            return self.npz_file(path)
        if suffix == ".npy":
            return self.npy_file(path)
        from projects.datasets.arrays import IMAGE_SUFFIXES

        if suffix in IMAGE_SUFFIXES:
            return self.image_files([path], path.parent)
        raise RunFailure(f"{source}: Deepwire reads CSV, NPZ and NPY files and image "
                         f"folders, not {suffix or 'files without a suffix'}.",
                         "Save the samples as CSV or NumPy arrays.")

    def graph(self, source: str | Path = GRAPH_INPUT) -> Samples:
        """Every node of the run's own graph (the only input a graph model takes)."""
        spec = self.run.project.dataset
        own = spec.get("path")
        given = str(source)
        same = given in (GRAPH_INPUT, spec.get("name")) or (
            own and (self.run.base_dir / own).resolve() == Path(given).resolve())
        if not same:
            raise RunFailure(f"{given}: a node-classification model predicts the nodes of "
                             "the graph it trained on, not another input.",
                             f"Give '{GRAPH_INPUT}' (or the run's graph file"
                             f"{f', {own}' if own else ''}) to predict all its nodes.")
        data = self.run.data()
        ids = [str(i) for i in range(data.num_nodes)]
        return Samples([data.features], ids, f"the graph of {count_text(data.num_nodes)} "
                       "nodes", labels=data.labels)

    def split(self, split: str) -> Samples:
        """The run's validation or test part, as the model saw it."""
        data = self.run.data()
        self._data_loaded = True
        if self.kind == "node_classification":
            nodes = np.flatnonzero(data.val_mask if split == "validation" else data.test_mask)
            return Samples([data.features], [str(i) for i in nodes], f"the {split} nodes",
                           data.labels[nodes])
        x, y = (data.x_val, data.y_val) if split == "validation" else (data.x_test,
                                                                        data.y_test)
        if x is None or not len(as_tuple(x)[0]):
            raise RunFailure(f"The run's data has no {split} part.", "Try the other split.")
        xs = list(as_tuple(x))
        return Samples(xs, [f"{split} {i + 1}" for i in range(len(xs[0]))],
                       f"the {split} part", y)

    def csv_file(self, path: Path, display: str | None = None) -> Samples:
        """A CSV: the run's feature columns by name (others ignored), or for models that
        take sequences or images, every column but label and split, flattened."""
        from projects.datasets.tables import Table

        display = display or str(path)
        model_input = self._single_input(display, "CSV")
        table = self._dataset_call(lambda: Table(path, display, "path"), display)
        columns = self.table_columns()
        if columns is not None:
            missing = [c for c in columns if c not in table.header]
            if missing:
                raise RunFailure(
                    f"{display} lacks the feature column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(repr(c) for c in missing)} the model was trained on (it has "
                    f"{', '.join(repr(c) for c in table.header)}).",
                    f"Give a CSV with the columns {', '.join(columns)} (by name, in any "
                    "order; label and other columns are ignored).")
            wanted = [table.header.index(c) for c in columns]
        else:
            wanted = [j for j, name in enumerate(table.header) if name not in NOT_FEATURES]
        self._dataset_call(lambda: table.parse(wanted), display)
        rows = table.numbers()
        ids = [str(r) for r in table.row_numbers()] if len(rows) < 1_000_000 else [
            str(i + 2) for i in range(len(rows))]
        flat = columns is None and len(model_input.shape) > 1
        return self._samples([rows], ids, display, flat=flat,
                             what=f"{len(wanted)} values per row", inputs=[model_input])

    def takes_text(self) -> bool:
        """Whether the model takes raw texts (a string Input block), one per sample."""
        inputs = self.inputs()
        return len(inputs) == 1 and inputs[0].text

    def texts(self, texts: Sequence[str], ids: Sequence[str] | None = None,
              display: str = "the typed text") -> Samples:
        """Texts for a model that takes raw text: one sample each, as the run's texts were
        (a numpy object array of str; Keras's string input wants no other kind)."""
        if not self.takes_text():
            model_input = self.inputs()[0]
            raise RunFailure(f"{self.run.folder.name}: the model takes samples of shape "
                             f"{model_input.shape} ({model_input.dtype}), not text; only a "
                             "model whose Input block is of type string takes text.",
                             "Give a file as INPUT instead (" + self.values_hint() + ")")
        if not texts:
            raise RunFailure("No text was given.", TEXT_HINT)
        for i, text in enumerate(texts):
            if not str(text).strip():
                which = "The text" if len(texts) == 1 else (
                    f"Text {ids[i] if ids is not None else i + 1}")
                raise RunFailure(f"{which} is empty.", TEXT_HINT)
        x = np.array([str(t).strip() for t in texts], dtype=object)
        names = list(ids) if ids is not None else (
            ["typed"] if len(texts) == 1 else [str(i + 1) for i in range(len(texts))])
        return Samples([x], names, display)

    def text_file(self, path: Path, display: str | None = None) -> Samples:
        """Texts for a text model from a CSV/TSV (the column the run's texts came from, or
        "text") or a plain text file (one text per non-blank line)."""
        display = display or str(path)
        suffix = path.suffix.lower()
        if path.is_dir() or suffix not in (".csv", ".tsv", ".txt"):
            raise RunFailure(f"{display}: the model takes text, so give it texts: a CSV or "
                             "TSV file with a text column, or a .txt file with one text per "
                             "line.", "On the command line, --text \"...\" gives a text "
                             "itself.")
        spec = self.run.project.dataset
        encoding = spec.get("encoding") or None
        if suffix == ".txt":
            raw = path.read_bytes()
            try:
                content = raw.decode(encoding or "utf-8-sig")
            except (UnicodeDecodeError, LookupError) as err:
                raise RunFailure(f"{display}: not readable as {encoding or 'UTF-8'} ({err}).",
                                 "Save the file as UTF-8.") from None
            lines = [(n, line.strip()) for n, line in enumerate(content.splitlines(), 1)
                     if line.strip()]
            if not lines:
                raise RunFailure(f"{display} holds no text.", TEXT_HINT)
            return self.texts([t for _, t in lines], [f"line {n}" for n, _ in lines], display)
        from projects.datasets.tables import Table

        wanted = str(spec.get("text_column") or "text") if spec.get(
            "name") == "text_table" else "text"
        table = self._dataset_call(lambda: Table(path, display, "path", None, encoding),
                                   display)
        if wanted not in table.header:
            raise RunFailure(f"{display} has no column {wanted!r} (it has "
                             f"{', '.join(repr(c) for c in table.header)}).",
                             f"Name the column of texts {wanted!r}; other columns are "
                             "ignored.")
        column = table.header.index(wanted)
        # Every column, so that a row counts as it does in the row numbers (a row with
        # other cells but no text is refused below, not skipped)
        self._dataset_call(lambda: table.parse((), range(len(table.header)), prose=[column]),
                           display)
        texts = table.texts(column)
        rows = table.row_numbers()
        empty = [i for i, t in enumerate(texts) if not t]
        if empty:
            raise RunFailure(f"{table.where(empty[0], column)}: the text is empty.",
                             "Every row needs a text.")
        return self.texts(list(texts), [f"row {r}" for r in rows], display)

    def values(self, text: str) -> Samples:
        """One sample typed as comma- or space-separated numbers: a table row in the order
        of :meth:`table_columns`, a token sequence, or flattened values; for a model that
        takes text, the text itself."""
        if self.takes_text():
            return self.texts([text])
        model_input = self._single_input("the values", "typed values")
        cells = [c for c in text.replace(",", " ").split() if c]
        if not cells:
            raise RunFailure("No values were given.", self.values_hint())
        try:
            numbers = np.array([float(c) for c in cells], dtype=np.float64)
        except ValueError:
            from projects.datasets.tables import is_number

            bad = next(c for c in cells if not is_number(c))
            raise RunFailure(f"{bad!r} is not a number.", self.values_hint()) from None
        what = ("the token sequence" if model_input.dtype.startswith("int")
                else "the typed values")
        columns = self.table_columns()
        if columns is not None and len(numbers) != len(columns):
            raise RunFailure(f"{len(numbers)} values given, but the model takes "
                             f"{len(columns)}: {', '.join(columns)}.", self.values_hint())
        flat = columns is None and len(model_input.shape) > 1
        return self._samples([numbers[None, :]], ["typed"], what, flat=flat,
                             what=f"{len(numbers)} values", inputs=[model_input])

    def values_hint(self) -> str:
        """What :meth:`values` expects, in a sentence."""
        model_input = self.inputs()[0]
        if self.takes_text():
            return "Type a text and press Enter: the model reads it as its training texts."
        columns = self.table_columns()
        if columns is not None:
            return f"Type {len(columns)} numbers separated by commas: {', '.join(columns)}."
        if model_input.dtype.startswith("int"):
            vocab = self.vocabulary()
            ids = f" from 0 to {vocab - 1}" if vocab else ""
            length = model_input.shape[0]
            many = f"{length} " if length is not None else ""
            return f"Type {many}token ids{ids}, separated by spaces."
        if model_input.size is not None:
            return (f"Type {model_input.size} numbers separated by commas (one sample of "
                    f"shape {model_input.shape}, flattened).")
        return f"Type one sample of shape {model_input.shape}, flattened."

    def npy_file(self, path: Path, display: str | None = None) -> Samples:
        display = display or str(path)
        model_input = self._single_input(display, "NPY")
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as err:
            raise RunFailure(f"{display}: not a readable .npy array ({err}).",
                             "Save the samples with numpy.save.") from None
        if not isinstance(array, np.ndarray):
            raise RunFailure(f"{display} is an .npz archive, not an .npy array.",
                             "Give it a .npz suffix.")
        return self._samples([self._batched(array, model_input, display)],
                             None, display, inputs=[model_input])

    def npz_file(self, path: Path, display: str | None = None) -> Samples:
        """An .npz: one array per model input, by its block's id or title, or the
        training archive's input names; a single array feeds a single input."""
        display = display or str(path)
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as err:
            raise RunFailure(f"{display}: not a readable .npz archive ({err}).",
                             "Save the samples with numpy.savez.") from None
        if not hasattr(archive, "files"):
            raise RunFailure(f"{display} holds a single array, not an .npz archive.",
                             "Give it a .npy suffix.")
        inputs = self.inputs()
        trained = self.run.project.dataset.get("x_key", "x")
        trained = trained if isinstance(trained, list) else [trained]
        with archive:
            names = list(archive.files)
            arrays = []
            for k, model_input in enumerate(inputs):
                node = self.run.project.nodes.get(model_input.node_id)
                keys = [model_input.node_id, node.title if node is not None else None,
                        str(trained[k]) if k < len(trained) else None]
                key = next((key for key in keys if key and key in names), None)
                if key is None and len(names) == 1 and len(inputs) == 1:
                    key = names[0]
                if key is None:
                    raise RunFailure(
                        f"{display} has no array for the Input block '{model_input.label}' "
                        f"(it has: {', '.join(names) or 'none'}).",
                        "Name each array after its Input block's id "
                        f"({', '.join(i.node_id for i in inputs)}).")
                try:
                    array = archive[key]
                except ValueError as err:  # object arrays would need unpickling
                    raise RunFailure(f"{display}, array {key!r}: {err}.",
                                     "Save numeric arrays.") from None
                arrays.append(self._batched(array, model_input, f"{display}, array {key!r}"))
        return self._samples(arrays, None, display, inputs=inputs)

    def image_folder(self, folder: Path, display: str | None = None) -> Samples:
        """Every image in ``folder`` and its sub-folders, by file name."""
        from projects.datasets.arrays import IMAGE_SUFFIXES

        display = display or str(folder)
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                       and p.is_file() and not p.name.startswith("."))
        if not files:
            raise RunFailure(f"{display} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).",
                             "Give a folder of images, or a CSV, NPZ or NPY file.")
        return self.image_files(files, folder, display)

    def image_files(self, files: list[Path], root: Path, display: str | None = None
                    ) -> Samples:
        """Images decoded by the image dataset's reader, converted to the model's channels,
        resized to its size when they differ, and scaled as the run's images were."""
        import tensorflow as tf

        from projects.datasets.arrays import _read_image

        display = display or (str(files[0]) if len(files) == 1 else str(root))
        model_input = self._single_input(display, "images")
        if not model_input.image:
            raise RunFailure(f"{display}: the model takes samples of shape "
                             f"{model_input.shape}, not images.",
                             "Give a CSV, NPZ or NPY file of samples.")
        height, width, channels = model_input.shape
        pictures, resized = [], []
        for path in files:
            where = path.name if len(files) == 1 else path.relative_to(root).as_posix()
            picture = self._dataset_call(lambda p=path, w=where: _read_image(p, channels, w),
                                         display)
            if picture.shape[:2] != (height, width):
                resized.append(f"{where} ({picture.shape[1]}×{picture.shape[0]})")
                picture = tf.image.resize(picture, (height, width), antialias=True).numpy()
                picture = np.clip(np.round(picture), 0, 255).astype(np.uint8)
            pictures.append(picture)
        x = np.stack(pictures)
        # In the units of the run's pixels (digits count 0 to 16), which its scale maps
        pixel_max = self.scaling().pixel_max or 255.0
        values = x.astype(np.float32) * np.float32(pixel_max / 255.0)
        ids = [p.name if len(files) == 1 else p.relative_to(root).as_posix() for p in files]
        notes = ()
        if resized:
            shown = ", ".join(resized[:3]) + (f" and {len(resized) - 3} more"
                                               if len(resized) > 3 else "")
            notes = (f"resized to {width}×{height} pixels as the model takes them: {shown}",)
        samples = self._scaled([values], ids, display, [model_input])
        samples.notes = notes  # decoded here, so in the run's units: no scaling note
        return samples

    # ---- checks and scaling

    def _single_input(self, display: str, what: str) -> ModelInput:
        inputs = self.inputs()
        if len(inputs) != 1:
            raise RunFailure(f"{display}: the model has {len(inputs)} Input blocks, and "
                             f"{what} feed only one.",
                             "Give an .npz with one array per Input block, named by its id ("
                             f"{', '.join(i.node_id for i in inputs)}).")
        return inputs[0]

    @staticmethod
    def _batched(array: np.ndarray, model_input: ModelInput, display: str) -> np.ndarray:
        """Samples along axis 0; one sample of exactly the input's shape gets that axis."""
        if array.ndim == len(model_input.shape) and all(
                w is None or w == h for w, h in zip(model_input.shape, array.shape,
                                                     strict=True)):
            return array[None]
        if array.ndim == 0:
            raise RunFailure(f"{display} holds a single number, not samples.",
                             f"Save samples of shape {model_input.shape}, one per row.")
        return array

    @staticmethod
    def _dataset_call(call: Any, display: str) -> Any:
        try:
            return call()
        except DatasetError as err:
            raise RunFailure(str(err), "Fix the file, or give another.") from None

    def _samples(self, arrays: list[np.ndarray], ids: list[str] | None, display: str, *,
                 inputs: list[ModelInput], flat: bool = False, what: str = "") -> Samples:
        """Check numbers and shapes against the model's inputs, then scale."""
        for array in arrays:
            if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
                raise RunFailure(f"{display} holds {array.dtype} values, not numbers.",
                                 "Save numeric samples.")
            if not len(array):
                raise RunFailure(f"{display} holds no samples.", "Give at least one sample.")
        if flat:  # a row of values per sample, for a model that takes another shape
            model_input = inputs[0]
            size = model_input.size
            if size is None or arrays[0].shape[1] != size:
                wanted = f"{size} values" if size is not None else "a fixed number of values"
                raise RunFailure(f"{display[:1].upper()}{display[1:]}: {what}, but the Input block "
                                 f"'{model_input.label}' takes samples of shape "
                                 f"{model_input.shape}: {wanted}.",
                                 self.values_hint())
            arrays = [arrays[0].reshape((len(arrays[0]), *model_input.shape))]
        description = _Named(display, display, "arrays",
                             tuple(tuple(int(d) for d in a.shape[1:]) for a in arrays),
                             "none")
        misfits = input_misfits(description, {i.node_id: i.shape for i in inputs},
                                {i.node_id: i.label for i in inputs}.get)
        errors = [m for m in misfits if m.severity == "error"]
        if errors:
            raise RunFailure(f"{errors[0].message}.",
                             "Give samples of the shape the model takes (one per row).")
        for array, model_input in zip(arrays, inputs, strict=True):
            if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
                bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
                raise RunFailure(f"{display}: sample {bad[0] + 1} holds {array[bad]}; every "
                                 "value must be a finite number.", "Fix the sample.")
            if model_input.dtype.startswith("int"):
                self._check_tokens(array, display)
        if ids is None:
            ids = [str(i + 1) for i in range(len(arrays[0]))]
        counts = {len(a) for a in arrays}
        if len(counts) > 1:
            raise RunFailure(f"{display}: the arrays hold different numbers of samples "
                             f"({', '.join(str(len(a)) for a in arrays)}).",
                             "Give every Input block as many samples.")
        return self._scaled(arrays, ids, display, inputs)

    def _check_tokens(self, array: np.ndarray, display: str) -> None:
        if not np.all(array == np.round(array)):
            raise RunFailure(f"{display}: token ids must be whole numbers.",
                             self.values_hint())
        vocab = self.vocabulary()
        if array.size and (array.min() < 0 or (vocab is not None and array.max() >= vocab)):
            bad = array.min() if array.min() < 0 else array.max()
            top = f"from 0 to {vocab - 1}" if vocab is not None else "from 0"
            raise RunFailure(f"{display}: the token id {int(bad)} is out of range; the "
                             f"model's Embedding takes ids {top}.", self.values_hint())

    def _scaled(self, arrays: list[np.ndarray], ids: list[str], display: str,
                inputs: list[ModelInput]) -> Samples:
        """Scale as the run's dataset did and cast to each input's type."""
        from projects.datasets.loading import scale_values

        spec = self.run.project.dataset
        # Files kept as stored need no look at the run's data (and no second load).
        as_stored = spec.get("scale") in (None, "none") and spec.get("name") in (
            "csv", "npz", "npy")
        scaled, notes = [], []
        for k, (array, model_input) in enumerate(zip(arrays, inputs, strict=True)):
            if model_input.dtype.startswith("int"):
                scaled.append(array.astype(np.int32))
                continue
            value = array
            if not as_stored:
                scaling = self.scaling()
                bounds = scaling.bounds[k] if k < len(scaling.bounds) else None
                if bounds is not None:
                    value = scale_values(array.astype(np.float32), scaling.scale,
                                         scaling.pixel_max, bounds)
                    high = float(np.max(bounds[1]))
                    if high > 1.5 and array.size and 0 < float(np.max(array)) <= 1.0:
                        notes.append(f"{display}: its values lie within 0 to 1, while the "
                                     f"run's data ran up to {high:g} as stored; give values "
                                     "as the data stored them (they are scaled the way the "
                                     "run's data was), not scaled already")
            scaled.append(np.asarray(value, dtype=np.float32))
        return Samples(scaled, ids, display, notes=tuple(notes))

    # ---- predicting

    def predict(self, samples: Samples, attention: bool = True) -> Predictions:
        """The model's output for ``samples``: class probabilities or values, and for
        models with attention blocks (and ``attention``) their weights per sample."""
        model = self.model()
        x = samples.x if len(samples.x) > 1 else samples.x[0]
        if self.kind == "node_classification":
            from projects.training import _graph_tensors

            x, _ = _graph_tensors(self.run.data())
            out = np.asarray(model.predict_on_batch(x))[[int(i) for i in samples.ids]]
        else:
            out = model.predict(x, batch_size=self.run.settings.batch_size, verbose=0)
        out = np.asarray(as_tuple(out)[0], dtype=np.float64)
        out = out.reshape(len(out), -1)
        result = Predictions(list(samples.ids), samples.source, labels=samples.labels,
                             notes=samples.notes)
        first = np.asarray(samples.x[0])
        if first.dtype == object and self.kind == "supervised":
            result.texts = [str(t) for t in first.reshape(len(first), -1)[:, 0]]
        if self.regression:
            result.values = out
        else:
            result.probabilities = self._probabilities(out)
            result.class_names = self.class_names()
        if attention and self.kind == "supervised":
            probe = self.compiled().probe_model()
            if probe is not None:
                weights = probe.predict(x, batch_size=self.run.settings.batch_size, verbose=0)
                result.attention = {k: np.asarray(v, dtype=np.float32)
                                    for k, v in weights.items()}
                result.tokens = _step_labels(samples.x[0], self.compiled().model)
        if result.texts is not None and not result.tokens:  # the words, for showing them
            from projects.vectorizers import words

            result.tokens = words(model, first)
        return result

    def _probabilities(self, out: np.ndarray) -> np.ndarray:
        logits = bool(self.output.get("from_logits"))
        if self.output["loss"] == "binary_crossentropy":
            p = 1.0 / (1.0 + np.exp(-out)) if logits else out
            return np.concatenate([1.0 - p, p], axis=1) if p.shape[1] == 1 else p
        if logits:
            shifted = np.exp(out - out.max(axis=1, keepdims=True))
            return shifted / shifted.sum(axis=1, keepdims=True)
        return out


def _left_alone(head: np.ndarray, scale: str, pixel_max: float | None) -> bool:
    """Whether the dataset's scaling returns such values as they are (token ids, "none")."""
    from projects.datasets.loading import scale_values

    return scale_values(head, scale, pixel_max) is head


def predict_run(run: str | Path | PastRun, inputs: str | Path | Samples | None = None,
                attention: bool = True, texts: Sequence[str] = ()) -> Predictions:
    """Predict ``inputs`` (a file, an image folder, ``"graph"``, or :class:`Samples`), or
    ``texts`` for a model that takes text, with the model of the run in ``run`` (its
    folder, or an opened :class:`PastRun`)."""
    predictor = Predictor(run if isinstance(run, PastRun) else open_run(run))
    if texts:
        samples = predictor.texts(list(texts), display=(
            "the given text" if len(texts) == 1 else f"{len(texts)} given texts"))
    elif inputs is None:
        raise RunFailure("Nothing to predict was given.", "Give an INPUT file, or --text.")
    else:
        samples = inputs if isinstance(inputs, Samples) else predictor.read(inputs)
    return predictor.predict(samples, attention)


def summary(predictions: Predictions, out: Path | None = None) -> str:
    """One line: how many samples were predicted, from what, and where they went."""
    noun = ("node" if predictions.source.startswith("the graph") else
            "text" if predictions.texts is not None else "sample")
    many = f"{count_text(len(predictions))} {noun}{'s' if len(predictions) != 1 else ''}"
    where = f"; wrote {out}" if out is not None else ""
    return f"predicted {many} from {predictions.source}{where}"
