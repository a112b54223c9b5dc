"""Datasets for training: built-in ones that work offline, Keras downloads, a person's files.

``load_dataset(project.dataset, ...)`` turns the project's "dataset" object into a
:class:`Dataset` of numpy arrays, shuffled and split with a seed. Everything that can be
wrong with the data is refused here, before any training starts, by a :class:`DatasetError`
that names the file, the row and the column (rows counted as a spreadsheet shows them: the
header is row 1). :func:`check_fits` then holds the data against the model's Input and
Output blocks.

Three kinds of dataset come out (DESIGN.md §4):

- ``"arrays"``: supervised samples ``x_train, y_train, x_val, y_val``;
- ``"unlabelled"``: ``x_train`` only, for GANs (pass ``task_kind="adversarial"``);
- ``"graph"``: one graph for node classification, with node features, undirected edges,
  labels and train / validation / test node masks.

Built-in data is generated from ``spec["data_seed"]`` (default 0), so a training seed
changes the shuffle and the split but never the problem itself. TensorFlow is imported
only by the loaders that need it (Keras downloads, image decoding).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import socket
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

DATASET_KINDS: tuple[str, ...] = ("arrays", "graph", "unlabelled")
IMAGE_SUFFIXES: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif"})
SCALES: tuple[str, ...] = ("unit", "tanh", "none")
_SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val",
                "validation": "val", "test": "test", "": None}
_NETWORKX_SBM_MAX_NODES = 2_000  # above this the numpy sampler is used (networkx is O(N) Python)
_MAX_IDENTITY_FEATURES = 10_000  # one-hot node ids as features: N×N floats
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_DOWNLOAD_TIMEOUT_S = 20.0  # per socket operation, so an offline machine fails fast


class DatasetError(ValueError):
    """Data that cannot be used; the message says what and where (file, row, column).

    Where the fault lies is also data, so that callers never search the message:
    ``field`` is the dataset field to fix (``"samples"``, ``"path"``) and ``node_id`` the
    block the data does not fit.
    """

    def __init__(self, message: str, *, field: str | None = None,
                 node_id: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.node_id = node_id


# ----------------------------------------------------------------------------- dataset


@dataclass(eq=False)
class Dataset:
    """Training data in numpy arrays, ready for Keras.

    For ``kind == "arrays"``: ``x_train``/``x_val`` are arrays with samples on axis 0, or
    lists of such arrays (one per Input block, in Input-node order); ``y_train``/``y_val``
    are int32 class indices (float32 targets when ``num_classes`` is None: regression).
    For ``kind == "unlabelled"``: ``x_train`` only, in ``value_range``.
    For ``kind == "graph"``: ``features`` (N, F) float32, ``edges`` (E, 2) int64 with each
    undirected edge once (u < v, no self-loops), ``labels`` (N,) int32 (-1: unlabelled
    node), and boolean node masks; ``adjacency()`` gives the sparse matrix.

    ``sample_labels`` names the steps of a sequence for attention axes (``"1"``, ``"2"``,
    ...); for token sequences it is the vocabulary as strings (index = token id).
    :meth:`step_labels` gives one sample's axis labels either way. ``key_positions`` (N, k)
    holds, for synthetic sequence tasks, the steps that decide each label; its rows follow
    ``x_train`` then ``x_val`` (see :attr:`train_key_positions`, :attr:`val_key_positions`).
    """

    kind: str
    name: str
    description: str = ""
    x_train: Any = None
    y_train: np.ndarray | None = None
    x_val: Any = None
    y_val: np.ndarray | None = None
    num_classes: int | None = None
    class_names: list[str] | None = None
    features: np.ndarray | None = None
    edges: np.ndarray | None = None
    num_nodes: int | None = None
    labels: np.ndarray | None = None
    train_mask: np.ndarray | None = None
    val_mask: np.ndarray | None = None
    test_mask: np.ndarray | None = None
    sample_labels: list[str] | None = None
    key_positions: np.ndarray | None = None
    value_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in DATASET_KINDS:
            raise ValueError(f"kind must be one of {DATASET_KINDS}. Received: kind={self.kind!r}")
        if not self.description:
            self.description = self.describe()

    # ---- shapes and sizes

    def input_shapes(self) -> list[tuple[int, ...]]:
        """Per-sample shapes of the inputs, without the batch axis, in Input-node order.

        For a graph the one input is a node's feature vector ``(F,)``.
        """
        if self.kind == "graph":
            return [tuple(self.features.shape[1:])]
        return [tuple(int(d) for d in a.shape[1:]) for a in _as_list(self.x_train)]

    @property
    def num_train(self) -> int:
        if self.kind == "graph":
            return int(self.train_mask.sum())
        return len(_as_list(self.x_train)[0])

    @property
    def num_val(self) -> int:
        if self.kind == "graph":
            return int(self.val_mask.sum())
        return 0 if self.x_val is None else len(_as_list(self.x_val)[0])

    @property
    def num_edges(self) -> int | None:
        return None if self.edges is None else len(self.edges)

    @property
    def train_key_positions(self) -> np.ndarray | None:
        return None if self.key_positions is None else self.key_positions[: self.num_train]

    @property
    def val_key_positions(self) -> np.ndarray | None:
        return None if self.key_positions is None else self.key_positions[self.num_train:]

    def max_label(self) -> int | None:
        """The largest class label in the data, or None for regression / no labels."""
        if self.num_classes is None:
            return None
        if self.kind == "graph":
            known = self.labels[self.labels >= 0]
            return int(known.max()) if known.size else None
        parts = [y for y in (self.y_train, self.y_val) if y is not None and y.size]
        return max(int(y.max()) for y in parts) if parts else None

    def adjacency(self) -> Any:
        """The symmetric (N, N) adjacency as a ``scipy.sparse.coo_matrix`` of float32 ones."""
        from scipy import sparse

        both = np.concatenate([self.edges, self.edges[:, ::-1]])
        ones = np.ones(len(both), dtype=np.float32)
        n = self.num_nodes
        return sparse.coo_matrix((ones, (both[:, 0], both[:, 1])), shape=(n, n))

    def step_labels(self, sample: np.ndarray) -> list[str] | None:
        """Axis labels for one sample: its token ids, or the names of its steps."""
        if self.sample_labels is None:
            return None
        sample = np.asarray(sample)
        if sample.ndim == 1 and np.issubdtype(sample.dtype, np.integer):
            return [self.sample_labels[t] if 0 <= t < len(self.sample_labels) else str(t)
                    for t in sample.tolist()]
        return list(self.sample_labels[: len(sample)])

    def describe(self) -> str:
        """One line for the UI, e.g. "digits: 1 437 train / 360 validation samples of ..."."""
        if self.kind == "graph":
            classes = f", {self.num_classes} classes" if self.num_classes else ""
            return (f"{self.name}: graph of {_count(self.num_nodes)} nodes and "
                    f"{_count(len(self.edges))} edges, {self.features.shape[1]} features per "
                    f"node{classes}; {_count(int(self.train_mask.sum()))} train / "
                    f"{_count(int(self.val_mask.sum()))} validation / "
                    f"{_count(int(self.test_mask.sum()))} test nodes")
        shapes = " + ".join(str(s) for s in self.input_shapes())
        if self.kind == "unlabelled":
            values = "" if self.value_range is None else (
                f", values in [{self.value_range[0]:g}, {self.value_range[1]:g}]")
            return f"{self.name}: {_count(self.num_train)} samples of {shapes}{values}"
        target = (f"{self.num_classes} classes" if self.num_classes is not None
                  else "numeric targets")
        return (f"{self.name}: {_count(self.num_train)} train / {_count(self.num_val)} "
                f"validation samples of {shapes}, {target}")


def _as_list(x: Any) -> list[np.ndarray]:
    return list(x) if isinstance(x, list | tuple) else [x]


def _count(n: int) -> str:
    """1437 -> "1 437" (grouped by a space, as the UI shows counts)."""
    return f"{n:,}".replace(",", " ")


# ----------------------------------------------------------------------------- loading


def load_dataset(spec: Mapping[str, Any], *, seed: int = 0, validation_split: float = 0.2,
                 base_dir: Path | None = None, task_kind: str | None = None) -> Dataset:
    """Load the dataset a project's "dataset" object describes.

    Args:
        spec: The project's dataset settings; ``spec["name"]`` picks the loader (see
            :data:`LOADERS`) and the other keys are its parameters.
        seed: Shuffles samples, draws the validation split and graph masks. The same seed
            gives identical arrays.
        validation_split: Fraction held out for validation; ``spec["validation_split"]``
            overrides it. Graphs hold out this fraction of the nodes not used for training.
        base_dir: Folder that relative paths in ``spec`` are resolved against (the folder
            of the project file).
        task_kind: The project's task kind. ``"adversarial"`` makes any image or array
            dataset unlabelled (all samples in ``x_train``, scaled to [0, 1], or [-1, 1]
            with ``spec["scale"] == "tanh"``); ``"node_classification"`` requires a graph.
            None accepts whatever the dataset naturally is.

    Raises:
        DatasetError: naming the file, row and column of the first problem found.
    """
    if not isinstance(spec, Mapping) or not spec.get("name"):
        raise DatasetError("The project has no dataset yet: choose one of "
                           f"{', '.join(LOADERS)}")
    name = spec["name"]
    loader = LOADERS.get(name)
    if loader is None:
        raise DatasetError(f"Unknown dataset {name!r}; Deepwire knows {', '.join(LOADERS)}")
    split = spec.get("validation_split", validation_split)
    if isinstance(split, bool) or not isinstance(split, int | float) or not 0 <= split < 1:
        raise DatasetError(f"validation_split must be a number in [0, 1). "
                           f"Received: validation_split={split!r}")
    if task_kind not in (None, "supervised", "node_classification", "adversarial"):
        raise DatasetError(f"Unknown task kind {task_kind!r}")
    scale = spec.get("scale")
    if scale is not None and scale not in SCALES:
        raise DatasetError(f"dataset scale must be one of {', '.join(SCALES)}. "
                           f"Received: scale={scale!r}")
    if name in GRAPH_DATASETS and task_kind not in (None, "node_classification"):
        raise DatasetError(f"{name} is a graph for node classification; a {task_kind} "
                           "project needs samples (digits, mnist, csv, ...)")
    if name not in GRAPH_DATASETS and task_kind == "node_classification":
        raise DatasetError(f"{name} is not a graph; node classification needs "
                           f"{', '.join(GRAPH_DATASETS)}")
    if name in UNLABELLED_DATASETS and task_kind not in (None, "adversarial"):
        raise DatasetError(f"{name} has no labels; it is data for GAN (adversarial) projects")
    context = _Context(spec, int(seed), float(split), base_dir, task_kind)
    raw = loader(context)
    return raw.graph if raw.graph is not None else _finish(raw, context)


@dataclass
class _Context:
    spec: Mapping[str, Any]
    seed: int
    validation_split: float
    base_dir: Path | None
    task_kind: str | None

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def unlabelled(self) -> bool:
        return self.task_kind == "adversarial"

    def data_rng(self) -> np.random.Generator:
        return np.random.default_rng(self.integer("data_seed", 0, 0, 2**31 - 1))

    def split_rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DatasetError(f"{self.name}: {key} must be a whole number from {_count(low)} "
                               f"to {_count(high)}. Received: {key}={value!r}")
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                low <= value <= high):
            raise DatasetError(f"{self.name}: {key} must be a number from {low:g} to "
                               f"{high:g}. Received: {key}={value!r}")
        return float(value)

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.spec.get(key, default)
        if value is not None and not isinstance(value, str):
            raise DatasetError(f"{self.name}: {key} must be text. Received: {key}={value!r}")
        return value

    def path(self, key: str, required: bool = True) -> Path | None:
        value = self.spec.get(key)
        if value is None or value == "":
            if required:
                raise DatasetError(f"{self.name}: the dataset needs '{key}', the path of the "
                                   "file to read")
            return None
        if not isinstance(value, str):
            raise DatasetError(f"{self.name}: {key} must be a path. Received: {key}={value!r}")
        path = Path(value).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = Path(self.base_dir) / path
        if not path.exists():
            raise DatasetError(f"{value}: file not found (looked for {path})")
        return path


@dataclass
class _Raw:
    """What a loader returns before the common shuffle / split / scale step."""

    x: Any = None  # array or list of arrays, samples on axis 0
    y: np.ndarray | None = None
    num_classes: int | None = None
    class_names: list[str] | None = None
    pixel_max: float | None = None  # images: the value that means "white" (scale to [0, 1])
    sample_labels: list[str] | None = None
    key_positions: np.ndarray | None = None
    graph: Dataset | None = None  # graph loaders build their Dataset themselves


def _finish(raw: _Raw, context: _Context) -> Dataset:
    """Scale, shuffle and split samples with the seed (or keep them all, unlabelled)."""
    name = context.name
    xs = [np.asarray(a) for a in _as_list(raw.x)]
    multi = isinstance(raw.x, list | tuple)
    if context.unlabelled or name in UNLABELLED_DATASETS:
        scale = context.spec.get("scale") or "unit"
        order = context.split_rng().permutation(len(xs[0]))
        xs = [_scale(a[order], scale, raw.pixel_max) for a in xs]
        return Dataset("unlabelled", name, x_train=xs if multi else xs[0],
                       value_range=_value_range(scale), sample_labels=raw.sample_labels)
    if raw.y is None:
        raise DatasetError(f"{name}: no labels were given; say which column or array holds "
                           "them (or make the project a GAN, which needs none)")
    scale = context.spec.get("scale") or ("unit" if raw.pixel_max is not None else "none")
    xs = [_scale(a, scale, raw.pixel_max) for a in xs]
    n = len(raw.y)
    n_val = math.ceil(n * context.validation_split) if context.validation_split else 0
    if n - n_val < 1:
        raise DatasetError(f"{name}: validation_split {context.validation_split:g} leaves no "
                           f"training samples out of {n}")
    order = context.split_rng().permutation(n)
    train, val = order[n_val:], order[:n_val]
    keys = raw.key_positions
    return Dataset(
        "arrays", name,
        x_train=[a[train] for a in xs] if multi else xs[0][train],
        y_train=raw.y[train],
        x_val=[a[val] for a in xs] if multi else xs[0][val],
        y_val=raw.y[val],
        num_classes=raw.num_classes, class_names=raw.class_names,
        sample_labels=raw.sample_labels,
        key_positions=None if keys is None else np.concatenate([keys[train], keys[val]]),
        value_range=_value_range(scale),
    )


def _scale(x: np.ndarray, scale: str, pixel_max: float | None) -> np.ndarray:
    """Map values to [0, 1] ("unit") or [-1, 1] ("tanh").

    Images use their known range (``pixel_max``; 255 for uint8 arrays). Other arrays are
    min-max scaled: a table (samples, columns) column by column, since its columns have
    their own units, anything else as a whole. Integer tokens are left alone.
    """
    if scale == "none" or (pixel_max is None and np.issubdtype(x.dtype, np.integer)
                           and x.dtype != np.uint8):
        return x
    if pixel_max is None and x.dtype == np.uint8:
        pixel_max = 255.0
    x = x.astype(np.float32)
    if pixel_max is not None:
        low, high = np.float32(0.0), np.float32(pixel_max)
    elif x.ndim == 2 and len(x):
        low, high = x.min(axis=0), x.max(axis=0)
    else:
        low, high = (x.min(), x.max()) if x.size else (np.float32(0.0), np.float32(1.0))
    span = np.where(high > low, high - low, np.float32(1.0))
    unit = np.clip((x - low) / span, 0.0, 1.0)
    return unit * 2.0 - 1.0 if scale == "tanh" else unit


def _value_range(scale: str) -> tuple[float, float] | None:
    return {"unit": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(scale)


# ----------------------------------------------------------------------------- built in


def _digits(context: _Context) -> _Raw:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32)[..., None]  # (1797, 8, 8, 1), values 0..16
    return _Raw(images, digits.target.astype(np.int32), 10, [str(i) for i in range(10)],
                pixel_max=16.0)


def _marker_sequences(context: _Context) -> _Raw:
    """Gaussian noise sequences with one marked step (feature 0 = 1) that decides the label.

    The label is the sector of the angle of the marked step's features (1, 2) when the
    circle is cut into ``classes`` equal sectors; for 4 classes that is the sign pattern
    (quadrant) of features 1 and 2. Every other step is noise, so only a model that finds
    the marked step can know the label.
    """
    samples = context.integer("samples", 2000, 1, 10_000_000)
    length = context.integer("length", 20, 2, 100_000)
    classes = context.integer("classes", 4, 2, 1000)
    features = context.integer("features", 4, 2 if classes == 2 else 3, 100_000)
    rng = context.data_rng()
    x = rng.normal(size=(samples, length, features)).astype(np.float32)
    x[:, :, 0] = 0.0
    marked = rng.integers(0, length, samples)
    rows = np.arange(samples)
    x[rows, marked, 0] = 1.0
    y = marker_label(x[rows, marked], classes)
    return _Raw(x, y, classes, [str(i) for i in range(classes)],
                sample_labels=[str(t + 1) for t in range(length)],
                key_positions=marked[:, None].astype(np.int64))


def marker_label(marked_steps: np.ndarray, classes: int) -> np.ndarray:
    """The marker_sequences label of marked steps (rows of features, marker first)."""
    f1 = marked_steps[:, 1].astype(np.float64)
    f2 = (marked_steps[:, 2] if marked_steps.shape[1] > 2 else np.zeros_like(f1)).astype(
        np.float64)
    angle = np.mod(np.arctan2(f2, f1), 2 * np.pi)
    return np.minimum((angle / (2 * np.pi / classes)).astype(np.int64), classes - 1).astype(
        np.int32)


def _key_tokens(context: _Context) -> _Raw:
    """Token sequences with two key tokens among fillers; which key comes first is the label.

    Key tokens are ids 1..classes (0 is padding, fillers are classes+1..vocab-1). Two
    different keys sit at random distinct positions and the label is :func:`key_label`:
    the first key's class. The bag of tokens shows only the unordered pair, which leaves
    two labels equally likely, and no single position or token count says which key came
    first: a model must attend to both keys and compare where they are.
    """
    samples = context.integer("samples", 2000, 1, 10_000_000)
    length = context.integer("length", 16, 2, 100_000)
    classes = context.integer("classes", 4, 2, 10_000)
    vocab = context.integer("vocab", 32, classes + 2, 10_000_000)
    rng = context.data_rng()
    x = rng.integers(classes + 1, vocab, size=(samples, length)).astype(np.int32)
    earlier = rng.integers(0, length, samples)
    later = rng.integers(0, length - 1, samples)
    later += later >= earlier  # a different position, uniformly
    positions = np.sort(np.stack([earlier, later], axis=1), axis=1)
    first = rng.integers(1, classes + 1, samples)
    second = (first - 1 + rng.integers(1, classes, samples)) % classes + 1  # another key
    rows = np.arange(samples)
    x[rows, positions[:, 0]] = first
    x[rows, positions[:, 1]] = second
    return _Raw(x, key_label(first, second), classes,
                [f"key {k} first" for k in range(1, classes + 1)],
                sample_labels=[str(t) for t in range(vocab)],
                key_positions=positions.astype(np.int64))


def key_label(first_key: np.ndarray, second_key: np.ndarray) -> np.ndarray:
    """The key_tokens label of (earlier key id, later key id): the earlier key's id - 1.

    ``second_key`` does not change the class, but a model has to find it to know that the
    other key is the first.
    """
    del second_key
    return (np.asarray(first_key) - 1).astype(np.int32)


def _gaussian_mixture_2d(context: _Context) -> _Raw:
    """Points from ``components`` gaussians evenly spaced on a ring (the classic GAN toy)."""
    samples = context.integer("samples", 4000, 1, 10_000_000)
    components = context.integer("components", 8, 1, 10_000)
    std = context.number("std", 0.05, 0.0, 1.0)
    rng = context.data_rng()
    which = rng.integers(0, components, samples)
    angle = 2 * np.pi * which / components
    centres = 0.7 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    points = np.clip(centres + rng.normal(scale=std, size=(samples, 2)), -1.0, 1.0)
    unit = ((points + 1.0) / 2.0).astype(np.float32)  # ring in [0, 1]²; "tanh" maps it back
    return _Raw(unit, pixel_max=1.0)


def _karate(context: _Context) -> _Raw:
    """Zachary's karate club: 34 members, 78 friendships, which club each member joined."""
    graph = nx.karate_club_graph()
    names = ["Mr. Hi", "Officer"]
    labels = np.array([names.index(graph.nodes[v]["club"]) for v in graph.nodes],
                      dtype=np.int32)
    per_class = context.integer("labelled_per_class", 1, 1, 16)
    if per_class == 1:  # the two leaders, as in Kipf & Welling's demo
        train = np.zeros(34, dtype=bool)
        train[[0, 33]] = True
        masks = _masks_from_train(train, labels, context)
    else:
        masks = _seeded_masks(labels, per_class, context)
    edges = _undirected_edges(np.array(graph.edges, dtype=np.int64), 34)
    features = np.eye(34, dtype=np.float32)
    return _Raw(graph=_graph_dataset(context, features, edges, labels, masks, names))


def _sbm_graph(context: _Context) -> _Raw:
    """A stochastic block model: blocks are classes, features are noisy class means."""
    num_nodes = context.integer("num_nodes", 1000, 2, 100_000_000)
    num_classes = context.integer("num_classes", 4, 2, min(num_nodes, 10_000))
    num_features = context.integer("features", 16, 1, 100_000)
    sizes = [num_nodes // num_classes + (i < num_nodes % num_classes)
             for i in range(num_classes)]
    if "p_in" in context.spec or "p_out" in context.spec:
        p_in = context.number("p_in", 0.1, 0.0, 1.0)
        p_out = context.number("p_out", 0.01, 0.0, 1.0)
    else:
        degree = context.number("average_degree", 10.0, 0.0, 1e6)
        homophily = context.number("homophily", 0.8, 0.0, 1.0)
        p_in = homophily * degree / max(min(sizes) - 1, 1)
        p_out = (1 - homophily) * degree / max(num_nodes - max(sizes), 1)
        if p_in > 1 or p_out > 1:
            raise DatasetError(f"sbm_graph: average_degree {degree:g} is too high for blocks "
                               f"of {min(sizes)} nodes; lower it or add nodes")
    rng = context.data_rng()
    if num_nodes <= _NETWORKX_SBM_MAX_NODES:
        probabilities = [[p_in if a == b else p_out for b in range(num_classes)]
                         for a in range(num_classes)]
        graph = nx.stochastic_block_model(sizes, probabilities,
                                          seed=int(rng.integers(2**31 - 1)))
        pairs = np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)
    else:
        pairs = sample_sbm_edges(sizes, p_in, p_out, rng)
    edges = _undirected_edges(pairs, num_nodes)
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), sizes)
    signal = context.number("feature_signal", 0.5, 0.0, 1e3)
    means = rng.normal(scale=signal, size=(num_classes, num_features)).astype(np.float32)
    features = rng.standard_normal((num_nodes, num_features), dtype=np.float32)
    features += means[labels]
    per_class = context.integer("labelled_per_class", 20, 1, num_nodes)
    masks = _seeded_masks(labels, per_class, context)
    return _Raw(graph=_graph_dataset(context, features, edges, labels, masks,
                                     [str(i) for i in range(num_classes)]))


def sample_sbm_edges(sizes: Sequence[int], p_in: float, p_out: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Edges (E, 2) of a stochastic block model in O(E) time and memory.

    For each pair of blocks the edge count is drawn from its binomial, then that many node
    pairs are drawn uniformly; repeated pairs and self-pairs are dropped, which for sparse
    graphs loses a negligible fraction of edges.
    """
    starts = np.concatenate([[0], np.cumsum(sizes)])
    parts = []
    for a, size_a in enumerate(sizes):
        for b in range(a, len(sizes)):
            size_b = sizes[b]
            if a == b:
                count = rng.binomial(size_a * (size_a - 1) // 2, p_in)
            else:
                count = rng.binomial(size_a * size_b, p_out)
            u = starts[a] + rng.integers(0, size_a, count)
            v = starts[b] + rng.integers(0, size_b, count)
            parts.append(np.stack([u, v], axis=1))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def _undirected_edges(pairs: np.ndarray, num_nodes: int) -> np.ndarray:
    """Each undirected edge once as (u, v) with u < v, sorted; self-loops dropped.

    (Graph convolution adds every node's self-loop itself.)
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    low, high = pairs.min(axis=1), pairs.max(axis=1)
    keys = np.sort((low * num_nodes + high)[low != high])  # sort + diff beats np.unique
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    return np.stack([keys // num_nodes, keys % num_nodes], axis=1)


def _seeded_masks(labels: np.ndarray, per_class: int, context: _Context
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``per_class`` random training nodes of each class; then validation and test."""
    rng = context.split_rng()
    train = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == label)
        train[rng.choice(members, size=min(per_class, len(members)), replace=False)] = True
    return _masks_from_train(train, labels, context, rng)


def _masks_from_train(train: np.ndarray, labels: np.ndarray, context: _Context,
                      rng: np.random.Generator | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validation: ``validation_split`` of the other labelled nodes; test: the rest."""
    rng = rng or context.split_rng()
    rest = np.flatnonzero(~train & (labels >= 0))
    n_val = math.ceil(len(rest) * context.validation_split) if context.validation_split else 0
    val = np.zeros(len(labels), dtype=bool)
    val[rng.choice(rest, size=n_val, replace=False)] = True
    test = ~train & ~val & (labels >= 0)
    return train, val, test


def _graph_dataset(context: _Context, features: np.ndarray, edges: np.ndarray,
                   labels: np.ndarray, masks: tuple[np.ndarray, np.ndarray, np.ndarray],
                   class_names: list[str] | None) -> Dataset:
    train, val, test = masks
    if not train.any():
        raise DatasetError(f"{context.name}: no node is marked for training")
    return Dataset("graph", context.name, features=features.astype(np.float32, copy=False),
                   edges=edges, num_nodes=len(features), labels=labels.astype(np.int32),
                   train_mask=train, val_mask=val, test_mask=test,
                   num_classes=len(class_names) if class_names else int(labels.max()) + 1,
                   class_names=class_names)


# ----------------------------------------------------------------------------- downloads

# name -> (title, keras.datasets module, channel axis to add)
_KERAS_DATASETS = {
    "mnist": ("MNIST", "mnist", True),
    "fashion_mnist": ("Fashion-MNIST", "fashion_mnist", True),
    "cifar10": ("CIFAR-10", "cifar10", False),
}
_CLASS_NAMES = {
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                      "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                "ship", "truck"],
}


def _keras_dataset(context: _Context) -> _Raw:
    """MNIST, Fashion-MNIST or CIFAR-10 through ``keras.datasets`` (cached after one download).

    Keras's official train and test parts are pooled, then split by the seed like any
    other dataset.
    """
    title, module, add_channel = _KERAS_DATASETS[context.name]
    import keras

    try:
        with _socket_timeout(_DOWNLOAD_TIMEOUT_S):
            (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, module).load_data()
    except Exception as err:  # Keras raises a bare Exception on a failed download
        raise DatasetError(
            f"{title} is not on this computer yet and could not be downloaded: connect to "
            "the internet once so Keras can fetch it (it is cached in ~/.keras/datasets). "
            f"({err})") from err
    x = np.concatenate([x_train, x_test])
    if add_channel:
        x = x[..., None]
    y = np.concatenate([y_train, y_test]).reshape(-1).astype(np.int32)
    return _Raw(x, y, 10, _CLASS_NAMES.get(context.name, [str(i) for i in range(10)]),
                pixel_max=255.0)


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    """Give sockets a timeout (Keras downloads with urllib, which has none by default)."""
    previous = socket.getdefaulttimeout()
    if previous is None:
        socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        if previous is None:
            socket.setdefaulttimeout(None)


# ----------------------------------------------------------------------------- tables


@dataclass
class _Table:
    """A CSV file read as text: header, rows, and where each row is in the file."""

    display: str  # the file as the person named it
    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]  # spreadsheet row of each row (the header is row 1)
    header_row: int = 1  # later when blank lines come first

    def column(self, name: str, role: str = "column") -> int:
        try:
            return self.header.index(name)
        except ValueError:
            raise DatasetError(f"{self.display} has no {role} {name!r} (row "
                               f"{self.header_row} names: {', '.join(self.header)})") from None

    def where(self, i: int, j: int) -> str:
        return (f"{self.display}, row {self.row_numbers[i]}, column {self.header[j]!r} "
                f"({column_letter(j)})")

    def numbers(self, columns: Sequence[int]) -> np.ndarray:
        """The given columns as float32 (rows, columns); refuses empty, text, nan, inf."""
        cells = [[row[j] for j in columns] for row in self.rows]
        try:  # fast path; float64 first so that values too big for float32 can be found
            values = np.array(cells, dtype=str).astype(np.float64)
        except ValueError:
            values = None
        if values is None or not (np.abs(values) <= _FLOAT32_MAX).all():
            for i, row in enumerate(cells):  # slow path, to name the first bad cell
                for j, cell in zip(columns, row, strict=True):
                    self._check_number(i, j, cell)
            values = np.array([[float(c) for c in row] for row in cells])
        return values.reshape(len(cells), len(columns)).astype(np.float32)

    def _check_number(self, i: int, j: int, cell: str) -> None:
        if not cell.strip():
            raise DatasetError(f"{self.where(i, j)}: the cell is empty; every cell must "
                               "hold a number")
        try:
            value = float(cell)
        except ValueError:
            raise DatasetError(f"{self.where(i, j)}: {cell!r} is not a number") from None
        if not abs(value) <= _FLOAT32_MAX:  # also catches nan
            raise DatasetError(f"{self.where(i, j)}: {cell!r} is not a finite number")


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _read_table(path: Path, display: str, delimiter: str | None = None) -> _Table:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        row = data[: err.start].count(b"\n") + 1
        raise DatasetError(f"{display}, row {row}: the file is not UTF-8 text (byte "
                           f"0x{data[err.start]:02x}); save it as CSV UTF-8") from None
    if not text.strip():
        raise DatasetError(f"{display} is empty: it needs a header row naming the columns "
                           "and then one row per sample")
    if delimiter is None:
        first_line = text.lstrip("\n").split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count) if first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise DatasetError(f"{display}: not a readable CSV file ({err})") from None
    # Blank lines count as (empty) rows, as a spreadsheet shows them.
    start = next((i for i, record in enumerate(records) if any(c.strip() for c in record)),
                 None)
    if start is None:
        raise DatasetError(f"{display} is empty: it needs a header row naming the columns "
                           "and then one row per sample")
    header = [c.strip() for c in records[start]]
    _check_header(header, display, start + 1)
    rows, numbers = [], []
    for i in range(start + 1, len(records)):
        record = records[i]
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            raise DatasetError(f"{display}, row {i + 1}: {len(record)} cells, but the header "
                               f"(row {start + 1}) names {len(header)} columns")
        rows.append(record)
        numbers.append(i + 1)
    if not rows:
        raise DatasetError(f"{display} has a header but no data rows")
    return _Table(display, header, rows, numbers, start + 1)


def _check_header(header: list[str], display: str, row: int) -> None:
    for j, name in enumerate(header):
        if not name:
            raise DatasetError(f"{display}, row {row}, column {column_letter(j)}: the header "
                               "cell is empty; every column needs a name")
        if _is_number(name):
            raise DatasetError(f"{display}, row {row}: the first row must name the columns, "
                               f"but column {column_letter(j)} holds the number {name!r}")
    repeated = [name for name, n in Counter(header).items() if n > 1]
    if repeated:
        raise DatasetError(f"{display}, row {row}: the column name {repeated[0]!r} appears "
                           "more than once")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _table_labels(table: _Table, column: int, context: _Context,
                  rows: Sequence[int] | None = None
                  ) -> tuple[np.ndarray, int | None, list[str] | None]:
    """Labels from a column: integer classes, class names, or numbers (regression).

    Returns (labels, num_classes, class_names); num_classes is None for regression.
    """
    rows = range(len(table.rows)) if rows is None else rows
    cells = [(i, table.rows[i][column].strip()) for i in rows]
    for i, cell in cells:
        if not cell:
            raise DatasetError(f"{table.where(i, column)}: the label is missing")
    given_names = context.spec.get("class_names")
    numeric = [_is_number(cell) for _, cell in cells]
    if given_names is None and all(numeric):
        values = np.array([float(cell) for _, cell in cells])
        if not np.all(np.isfinite(values)):
            i = cells[int(np.flatnonzero(~np.isfinite(values))[0])][0]
            raise DatasetError(f"{table.where(i, column)}: the label is not a finite number")
        if _are_classes(values, context):
            return _class_indices(values.astype(np.int64), context,
                                  lambda k: table.where(cells[k][0], column))
        return values.astype(np.float32), None, None
    if given_names is None and numeric.count(True) > len(numeric) // 2:
        k = numeric.index(False)
        raise DatasetError(f"{table.where(cells[k][0], column)}: the label {cells[k][1]!r} is "
                           "not a number like the others")
    names = [str(n) for n in given_names] if given_names is not None else sorted(
        {cell for _, cell in cells})
    index = {name: k for k, name in enumerate(names)}
    labels = np.empty(len(cells), dtype=np.int32)
    for k, (i, cell) in enumerate(cells):
        if cell not in index:
            raise DatasetError(f"{table.where(i, column)}: the label {cell!r} is not one of "
                               f"the class names {', '.join(names)}")
        labels[k] = index[cell]
    return labels, len(names), names


MAX_CLASSES = 100_000


def _are_classes(values: np.ndarray, context: _Context) -> bool:
    """Whole numbers are class labels, unless the spec says ``"targets": "numbers"`` (the
    trainer does for regression losses) or they are too large to count classes."""
    if context.spec.get("targets") == "numbers":
        return False
    whole = bool(np.all(values == np.round(values)))
    return whole and (not values.size or float(np.abs(values).max()) < MAX_CLASSES)


def _class_indices(values: np.ndarray, context: _Context, where: Callable[[int], str]
                   ) -> tuple[np.ndarray, int, list[str]]:
    """Check integer class labels against 0 and ``num_classes`` (if the spec gives it)."""
    if values.size and values.min() < 0:
        k = int(np.argmin(values))
        raise DatasetError(f"{where(k)}: the label {values[k]} is negative; class labels "
                           "count from 0")
    top = int(values.max()) if values.size else 0
    num_classes = context.spec.get("num_classes")
    if num_classes is None:
        num_classes = top + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise DatasetError(f"{context.name}: num_classes must be a positive whole number. "
                           f"Received: num_classes={num_classes!r}")
    elif top >= num_classes:
        k = int(np.argmax(values))
        raise DatasetError(f"{where(k)}: the label {top} is out of range: with num_classes="
                           f"{num_classes} labels run from 0 to {num_classes - 1}")
    return values.astype(np.int32), num_classes, [str(i) for i in range(num_classes)]


# ----------------------------------------------------------------------------- own files


def _csv(context: _Context) -> _Raw:
    """A CSV file with a header row: numeric feature columns and a label column."""
    path = context.path("path")
    display = str(context.spec["path"])
    table = _read_table(path, display, context.text("delimiter"))
    label_name = context.text("label_column")
    label = None
    if label_name is not None:
        label = table.column(label_name, "label column")
    elif not context.unlabelled:
        raise DatasetError(f"{display}: say which column holds the labels (label_column)")
    wanted = context.spec.get("feature_columns")
    if wanted is None:
        columns = [j for j in range(len(table.header)) if j != label]
    elif not isinstance(wanted, list) or not wanted:
        raise DatasetError(f"{display}: feature_columns must be a list of column names")
    else:
        columns = [table.column(str(name), "feature column") for name in wanted]
        if label in columns:
            raise DatasetError(f"{display}: the label column {label_name!r} cannot also be a "
                               "feature column")
    if not columns:
        raise DatasetError(f"{display} has no feature columns besides the label column")
    x = table.numbers(columns)
    if label is None or context.unlabelled:
        return _Raw(x)
    y, num_classes, names = _table_labels(table, label, context)
    return _Raw(x, y, num_classes, names)


def _npz(context: _Context) -> _Raw:
    """Arrays from an .npz archive: ``x_key`` (a name, or a list of names for several
    inputs) and ``y_key`` (default "x" and "y")."""
    path = context.path("path")
    display = str(context.spec["path"])
    x_keys = context.spec.get("x_key", "x")
    y_key = context.spec.get("y_key", "y")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DatasetError(f"{display}: not a numpy .npz archive ({err})") from None
    if not hasattr(archive, "files"):
        raise DatasetError(f"{display}: holds a single array, not an .npz archive; use the "
                           "npy dataset for .npy files")
    with archive:
        def get(key: str) -> np.ndarray:
            if key not in archive.files:
                raise DatasetError(f"{display} has no array {key!r} (it has: "
                                   f"{', '.join(archive.files) or 'none'})")
            try:
                return archive[key]
            except ValueError as err:  # object arrays would need unpickling: refused
                raise DatasetError(f"{display}, array {key!r}: {err}") from None

        names = x_keys if isinstance(x_keys, list) else [x_keys]
        xs = [get(str(key)) for key in names]
        y = None if context.unlabelled else get(str(y_key))
    labelled = [(f"{display}, array {key!r}", x) for key, x in zip(names, xs, strict=True)]
    return _arrays(context, labelled, None if y is None else (f"{display}, array {y_key!r}", y),
                   multi=isinstance(x_keys, list))


def _npy(context: _Context) -> _Raw:
    """Arrays from two .npy files, ``x_path`` and ``y_path``."""
    x_display = str(context.spec.get("x_path"))
    x = _load_npy(context.path("x_path"), x_display)
    y = None
    if not context.unlabelled:
        y_display = str(context.spec.get("y_path"))
        y = (y_display, _load_npy(context.path("y_path"), y_display))
    return _arrays(context, [(x_display, x)], y, multi=False)


def _load_npy(path: Path, display: str) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DatasetError(f"{display}: not a readable .npy array ({err})") from None
    if not isinstance(array, np.ndarray):
        raise DatasetError(f"{display}: is an .npz archive; use the npz dataset for it")
    return array


def _arrays(context: _Context, xs: list[tuple[str, np.ndarray]],
            y: tuple[str, np.ndarray] | None, multi: bool) -> _Raw:
    """Check user arrays: numeric, finite, one sample count; labels are classes or targets."""
    count = None
    for where, x in xs:
        if x.ndim < 1 or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise DatasetError(f"{where}: holds {x.dtype} values of shape {x.shape}; it must "
                               "be a numeric array with samples along the first axis")
        if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
            raise DatasetError(f"{where}: sample {bad[0]} holds {x[bad]} at position "
                               f"{bad[1:]}; every value must be a finite number")
        if count is not None and len(x) != count:
            raise DatasetError(f"{where}: {len(x)} samples, but {xs[0][0]} has {count}")
        count = len(x)
    arrays = [x.astype(np.float32) if x.dtype in (bool, np.float64) else x for _, x in xs]
    x_out: Any = arrays if multi else arrays[0]
    if y is None:
        return _Raw(x_out)
    where, labels = y
    labels = labels.reshape(len(labels), -1) if labels.ndim > 1 else labels
    if labels.ndim != 1 and labels.shape[1] != 1:
        raise DatasetError(f"{where}: labels must be one number per sample; got shape "
                           f"{labels.shape}")
    labels = labels.reshape(-1)
    if len(labels) != count:
        raise DatasetError(f"{where}: {len(labels)} labels, but {xs[0][0]} has {count} samples")
    if not (np.issubdtype(labels.dtype, np.number) or labels.dtype == bool):
        raise DatasetError(f"{where}: labels must be numbers; got {labels.dtype}")
    if np.issubdtype(labels.dtype, np.floating):
        if not np.isfinite(labels).all():
            k = int(np.flatnonzero(~np.isfinite(labels))[0])
            raise DatasetError(f"{where}: sample {k} has the label {labels[k]}")
        if not _are_classes(labels, context):
            return _Raw(x_out, labels.astype(np.float32))
    y_out, num_classes, names = _class_indices(labels.astype(np.int64), context,
                                               lambda k: f"{where}: sample {k}")
    return _Raw(x_out, y_out, num_classes, names)


def _image_folder(context: _Context) -> _Raw:
    """A folder with one sub-folder of images per class (the sub-folder names the class).

    Images must all have one size (``image_size`` [height, width] when the spec gives it)
    and one number of channels (``channels`` converts them when given); an image that does
    not fit is refused by name rather than resized.
    """
    root = context.path("path")
    display = str(context.spec["path"])
    if not root.is_dir():
        raise DatasetError(f"{display}: not a folder; an image dataset is a folder with one "
                           "sub-folder of images per class")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"{display} has no sub-folders; put each class's images in a "
                           "sub-folder named after the class")
    files: list[tuple[Path, int]] = []
    for label, name in enumerate(classes):
        images = sorted(p for p in (root / name).iterdir()
                        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
        if not images:
            raise DatasetError(f"{display}/{name} holds no images "
                               f"({', '.join(sorted(IMAGE_SUFFIXES))})")
        files += [(p, label) for p in images]
    channels = context.spec.get("channels")
    if channels not in (None, 1, 3, 4):
        raise DatasetError(f"{display}: channels must be 1 (grey), 3 (RGB) or 4 (RGBA). "
                           f"Received: channels={channels!r}")
    pictures = [_read_image(path, channels, f"{display}/{path.relative_to(root).as_posix()}")
                for path, _ in files]
    size = context.spec.get("image_size")
    if size is not None:
        if not (isinstance(size, list | tuple) and len(size) == 2
                and all(isinstance(s, int) and s > 0 for s in size)):
            raise DatasetError(f"{display}: image_size must be [height, width]. "
                               f"Received: image_size={size!r}")
        expected = tuple(size)
    else:  # the most common size, so that the odd image out is the one named
        expected = Counter(p.shape[:2] for p in pictures).most_common(1)[0][0]
    depth = Counter(p.shape[2] for p in pictures).most_common(1)[0][0]
    for (path, _), picture in zip(files, pictures, strict=True):
        where = f"{display}/{path.relative_to(root).as_posix()}"
        if picture.shape[:2] != expected:
            raise DatasetError(f"{where}: the image is {picture.shape[1]}×{picture.shape[0]} "
                               f"pixels but the dataset's images are {expected[1]}×"
                               f"{expected[0]} (height {expected[0]}, width {expected[1]}); "
                               "Deepwire does not resize images")
        if picture.shape[2] != depth:
            raise DatasetError(f"{where}: the image has {picture.shape[2]} channels but the "
                               f"others have {depth}; set 'channels' to convert them all")
    x = np.stack(pictures)
    y = np.array([label for _, label in files], dtype=np.int32)
    return _Raw(x, y, len(classes), classes, pixel_max=255.0)


def _read_image(path: Path, channels: int | None, where: str) -> np.ndarray:
    """Decode with TensorFlow (PNG, JPEG, BMP, GIF) to uint8 (height, width, channels)."""
    import tensorflow as tf

    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), channels=channels or 0,
                                   expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as err:
        raise DatasetError(f"{where}: not a readable image ({err.message.splitlines()[0]})"
                           ) from None
    return image.numpy()


def _graph_file(context: _Context) -> _Raw:
    """A graph from an edge list, GraphML or GML file, with features and labels from CSV.

    Keys: ``path``; ``format`` (edgelist, graphml or gml; from the suffix when absent);
    ``features`` (CSV with a ``node_column``, default "node", and numeric feature columns;
    its rows set the node order and may add nodes without edges; without it each node gets
    a one-hot identity feature, in the graph file's order); ``labels`` (CSV with node and
    ``label_column``, default "label") or a label column in the features CSV or a node
    attribute ``label_attribute``; a ``split_column`` (default "split": train, validation,
    test) fixes the masks, otherwise ``labelled_per_class`` seeded training nodes per class.
    """
    path = context.path("path")
    display = str(context.spec["path"])
    graph = _read_graph(path, display, context.text("format"))
    node_column = context.text("node_column", "node")
    label_column = context.text("label_column", "label")
    split_column = context.text("split_column", "split")
    order = [str(v) for v in graph.nodes]
    by_id = {str(v): v for v in graph.nodes}
    if len(by_id) != len(order):
        raise DatasetError(f"{display}: two nodes have the same name once read as text")

    feature_table = _optional_table(context, "features")
    label_table = _optional_table(context, "labels")
    if feature_table is not None:
        feature_rows = _node_rows(feature_table, node_column)
        missing = [v for v in order if v not in feature_rows]
        if missing:
            raise DatasetError(f"{feature_table.display} has no row for node {missing[0]!r} "
                               f"of {display} ({len(missing)} nodes are missing)")
        # Nodes follow the features file, which may list nodes without edges too.
        order = list(feature_rows)
        skip = {node_column, label_column, split_column}
        wanted = context.spec.get("feature_columns")
        columns = ([feature_table.column(str(c), "feature column") for c in wanted] if wanted
                   else [j for j, h in enumerate(feature_table.header) if h not in skip])
        if not columns:
            raise DatasetError(f"{feature_table.display} has no feature columns")
        features = feature_table.numbers(columns)
    elif len(order) <= _MAX_IDENTITY_FEATURES:
        features = np.eye(len(order), dtype=np.float32)
    else:
        raise DatasetError(f"{display}: a graph of {_count(len(order))} nodes needs node "
                           "features (a 'features' CSV); one-hot node ids are used only up "
                           f"to {_count(_MAX_IDENTITY_FEATURES)} nodes")
    position = {v: i for i, v in enumerate(order)}
    num_nodes = len(order)

    labels = np.full(num_nodes, -1, dtype=np.int32)
    source = next((t for t in (label_table, feature_table)
                   if t is not None and label_column in t.header), None)
    attribute = context.text("label_attribute")
    if source is not None:
        rows = _node_rows(source, node_column)
        unknown = [v for v in rows if v not in position]
        if unknown:
            i = rows[unknown[0]]
            raise DatasetError(f"{source.where(i, source.column(node_column))}: node "
                               f"{unknown[0]!r} is not in {display}")
        column = source.column(label_column)
        labelled = [i for i in range(len(source.rows)) if source.rows[i][column].strip()]
        values, num_classes, class_names = _table_labels(source, column, context, labelled)
        if num_classes is None:
            raise DatasetError(f"{source.display}: column {label_column!r} holds numbers "
                               "that are not whole; node labels must be classes")
        for i, value in zip(labelled, values, strict=True):
            labels[position[source.rows[i][source.column(node_column)].strip()]] = value
    elif attribute is not None:
        labels, class_names = _attribute_labels(graph, attribute, order, by_id, display)
    else:
        raise DatasetError(f"{display}: the graph needs node labels: a 'labels' CSV, a "
                           f"{label_column!r} column in the features CSV, or the node "
                           "attribute that holds them (label_attribute)")

    split_source = next((t for t in (label_table, feature_table)
                         if t is not None and split_column in t.header), None)
    if split_source is not None:
        masks = _split_masks(split_source, node_column, split_column, position, labels)
    else:
        per_class = context.integer("labelled_per_class", 20, 1, 100_000_000)
        masks = _seeded_masks(labels, per_class, context)
    pairs = np.array([(position[str(u)], position[str(v)]) for u, v in graph.edges()],
                     dtype=np.int64)
    edges = _undirected_edges(pairs, num_nodes)
    return _Raw(graph=_graph_dataset(context, features, edges, labels, masks, class_names))


def _read_graph(path: Path, display: str, fmt: str | None) -> nx.Graph:
    suffix = path.suffix.lower()
    fmt = fmt or {".graphml": "graphml", ".gml": "gml"}.get(suffix, "edgelist")
    try:
        if fmt == "graphml":
            return nx.read_graphml(path)
        if fmt == "gml":
            try:
                return nx.read_gml(path)  # nodes named by their "label"
            except nx.NetworkXError:
                return nx.read_gml(path, label="id")
        if fmt == "edgelist":
            return nx.read_edgelist(path, nodetype=str, data=False)
    except (nx.NetworkXError, OSError, ValueError, TypeError, IndexError,
            UnicodeDecodeError) as err:
        raise DatasetError(f"{display}: not a readable {fmt} graph ({err})") from None
    raise DatasetError(f"{display}: unknown graph format {fmt!r}; use edgelist, graphml or gml")


def _optional_table(context: _Context, key: str) -> _Table | None:
    path = context.path(key, required=False)
    return None if path is None else _read_table(path, str(context.spec[key]))


def _node_rows(table: _Table, node_column: str) -> dict[str, int]:
    """Node id -> row index in the table; a node listed twice is refused."""
    column = table.column(node_column, "node column")
    rows: dict[str, int] = {}
    for i, row in enumerate(table.rows):
        node_id = row[column].strip()
        if not node_id:
            raise DatasetError(f"{table.where(i, column)}: the node id is missing")
        if node_id in rows:
            raise DatasetError(f"{table.where(i, column)}: node {node_id!r} is listed twice "
                               f"(also in row {table.row_numbers[rows[node_id]]})")
        rows[node_id] = i
    return rows


def _attribute_labels(graph: nx.Graph, attribute: str, order: list[str],
                      by_id: Mapping[str, Any], display: str
                      ) -> tuple[np.ndarray, list[str]]:
    values = {v: graph.nodes[by_id[v]].get(attribute) for v in order if v in by_id}
    if all(value is None for value in values.values()):
        raise DatasetError(f"{display}: no node has the attribute {attribute!r}")
    known = {str(value) for value in values.values() if value is not None}
    if all(_is_number(k) and float(k) == int(float(k)) for k in known):
        names = [str(i) for i in range(max(int(float(k)) for k in known) + 1)]
        if min(int(float(k)) for k in known) < 0:
            raise DatasetError(f"{display}: attribute {attribute!r} holds a negative class")
        index = {k: int(float(k)) for k in known}
    else:
        names = sorted(known)
        index = {k: i for i, k in enumerate(names)}
    labels = np.array([index[str(values[v])] if values.get(v) is not None else -1
                       for v in order], dtype=np.int32)
    return labels, names


def _split_masks(table: _Table, node_column: str, split_column: str,
                 position: Mapping[str, int], labels: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    masks = {name: np.zeros(len(labels), dtype=bool) for name in ("train", "val", "test")}
    node, split = table.column(node_column), table.column(split_column)
    for i, row in enumerate(table.rows):
        value = row[split].strip().lower()
        if value not in _SPLIT_NAMES:
            raise DatasetError(f"{table.where(i, split)}: {row[split]!r} is not a split; use "
                               "train, validation, test or leave the cell empty")
        if _SPLIT_NAMES[value] is None:
            continue
        if row[node].strip() not in position:
            raise DatasetError(f"{table.where(i, node)}: node {row[node].strip()!r} is not in "
                               "the graph")
        index = position[row[node].strip()]
        if labels[index] < 0:
            raise DatasetError(f"{table.where(i, split)}: node {row[node].strip()!r} is in "
                               f"the {value} split but has no label")
        masks[_SPLIT_NAMES[value]][index] = True
    return masks["train"], masks["val"], masks["test"]


LOADERS: dict[str, Callable[[_Context], _Raw]] = {
    "digits": _digits,
    "karate": _karate,
    "marker_sequences": _marker_sequences,
    "key_tokens": _key_tokens,
    "sbm_graph": _sbm_graph,
    "gaussian_mixture_2d": _gaussian_mixture_2d,
    "mnist": _keras_dataset,
    "fashion_mnist": _keras_dataset,
    "cifar10": _keras_dataset,
    "csv": _csv,
    "npz": _npz,
    "npy": _npy,
    "image_folder": _image_folder,
    "graph_file": _graph_file,
}
GRAPH_DATASETS: tuple[str, ...] = ("karate", "sbm_graph", "graph_file")
UNLABELLED_DATASETS: tuple[str, ...] = ("gaussian_mixture_2d",)
BUILT_IN: tuple[str, ...] = ("digits", "karate", "marker_sequences", "key_tokens", "sbm_graph",
                             "gaussian_mixture_2d")
DOWNLOADABLE: tuple[str, ...] = tuple(_KERAS_DATASETS)


# ----------------------------------------------------------------------------- fitting


def check_fits(dataset: Dataset, input_shapes: Mapping[str, Sequence[int | None]],
               output_classes: Mapping[str, int] | None = None, *,
               graph_nodes: Mapping[str, int | None] | None = None,
               labels: Mapping[str, str] | None = None) -> None:
    """Raise DatasetError when the data does not fit the model's Input and Output blocks.

    Args:
        dataset: What :func:`load_dataset` returned.
        input_shapes: Input block -> per-sample shape (None for a free dimension), in
            Input-node order. For a graph: the one Input block of node features, ``(F,)``.
        output_classes: Output block -> its number of classes (1 means a single
            sigmoid unit, which fits labels 0 and 1). Regression data is not checked.
        graph_nodes: Graph block -> its ``num_nodes`` (None: taken from the data).
        labels: Node id -> the block's label. Given, the keys above are node ids and the
            error's ``node_id`` names the block; without it the keys are labels.
    """
    def name(key: str) -> str:
        return labels.get(key, key) if labels is not None else key

    def error(message: str, key: str | None = None) -> DatasetError:
        return DatasetError(message, node_id=key if labels is not None else None)

    shapes = dataset.input_shapes()
    blocks_ = list(input_shapes.items())
    if len(blocks_) != len(shapes):
        names = ", ".join(f"'{name(key)}'" for key, _ in blocks_) or "none"
        noun = "input" if len(shapes) == 1 else "inputs"
        raise error(f"The model has {len(blocks_)} Input blocks ({names}) but "
                    f"{dataset.name} provides {len(shapes)} {noun} of shape "
                    f"{' + '.join(str(s) for s in shapes)}",
                    blocks_[0][0] if blocks_ else None)
    for (key, wanted), have in zip(blocks_, shapes, strict=True):
        wanted = tuple(wanted)
        fits = len(wanted) == len(have) and all(
            w is None or w == h for w, h in zip(wanted, have, strict=True))
        if not fits:
            what = "node features" if dataset.kind == "graph" else "samples"
            raise error(f"Input block '{name(key)}' takes {what} of shape {wanted} but "
                        f"{dataset.name} has {have}", key)
    for key, nodes in (graph_nodes or {}).items():
        if dataset.kind != "graph":
            raise error(f"Graph block '{name(key)}' needs a graph dataset, but "
                        f"{dataset.name} is not a graph", key)
        if nodes is not None and nodes != dataset.num_nodes:
            raise error(f"Graph block '{name(key)}' is set to {_count(nodes)} nodes but "
                        f"{dataset.name} has {_count(dataset.num_nodes)}", key)
    top = dataset.max_label()
    if top is None:
        return
    for key, classes in (output_classes or {}).items():
        capacity = 2 if classes == 1 else classes
        if top >= capacity:
            raise error(f"labels run up to {top} but the Output block '{name(key)}' has "
                        f"{classes} {'class' if classes == 1 else 'classes'}", key)
