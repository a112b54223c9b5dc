"""The :class:`Dataset` that loaders produce, and :func:`check_fits`, which holds it against
the model's Input and Output blocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from projects.datasets.registry import DATASET_KINDS
from projects.text import count_text


@dataclass(eq=False)
class Dataset:
    """Training data in numpy arrays, ready for Keras.

    For ``kind == "arrays"``: ``x_train``/``x_val``/``x_test`` are arrays with samples on
    axis 0, or lists of such arrays (one per Input block, in Input-node order);
    ``y_train``/``y_val``/``y_test`` are int32 class indices (float32 targets when
    ``num_classes`` is None: regression). The test part is never trained on; it is None
    when nothing was held back for it.
    Texts are numpy object arrays of Python strings (per-sample shape ``()``).
    For ``kind == "unlabelled"``: ``x_train`` only, in ``value_range``.
    For ``kind == "graph"``: ``features`` (N, F) float32, ``edges`` (E, 2) int64 with each
    undirected edge once (u < v, no self-loops), ``labels`` (N,) int32 (-1: unlabelled
    node), and boolean node masks; ``adjacency()`` gives the sparse matrix.
    ``warnings`` are facts about the data a person should hear before training (a graph
    file's self-loops left out, say).

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
    x_test: Any = None
    y_test: np.ndarray | None = None
    warnings: tuple[str, ...] = ()

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
        return [tuple(int(d) for d in a.shape[1:]) for a in as_list(self.x_train)]

    @property
    def num_train(self) -> int:
        if self.kind == "graph":
            return int(self.train_mask.sum())
        return len(as_list(self.x_train)[0])

    @property
    def num_val(self) -> int:
        if self.kind == "graph":
            return int(self.val_mask.sum())
        return 0 if self.x_val is None else len(as_list(self.x_val)[0])

    @property
    def num_test(self) -> int:
        if self.kind == "graph":
            return int(self.test_mask.sum())
        return 0 if self.x_test is None else len(as_list(self.x_test)[0])

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
        parts = [y for y in (self.y_train, self.y_val, self.y_test)
                 if y is not None and y.size]
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
            return (f"{self.name}: graph of {count_text(self.num_nodes)} nodes and "
                    f"{count_text(len(self.edges))} edges, {self.features.shape[1]} features per "
                    f"node{classes}; {count_text(int(self.train_mask.sum()))} train / "
                    f"{count_text(int(self.val_mask.sum()))} validation / "
                    f"{count_text(int(self.test_mask.sum()))} test nodes")
        shapes = " + ".join("text" if is_text(a) else str(tuple(int(d) for d in a.shape[1:]))
                            for a in as_list(self.x_train))
        if self.kind == "unlabelled":
            values = "" if self.value_range is None else (
                f", values in [{self.value_range[0]:g}, {self.value_range[1]:g}]")
            return f"{self.name}: {count_text(self.num_train)} samples of {shapes}{values}"
        target = (f"{self.num_classes} classes" if self.num_classes is not None
                  else "numeric targets")
        test = f" / {count_text(self.num_test)} test" if self.num_test else ""
        return (f"{self.name}: {count_text(self.num_train)} train / {count_text(self.num_val)} "
                f"validation{test} samples of {shapes}, {target}")


def is_text(x: Any) -> bool:
    """Whether an array of samples holds texts (Python or numpy strings), one per sample."""
    return isinstance(x, np.ndarray) and (x.dtype == object or x.dtype.kind in "US")


def as_list(x: Any) -> list[np.ndarray]:
    return list(x) if isinstance(x, list | tuple) else [x]


def check_fits(dataset: Dataset, input_shapes: Mapping[str, Sequence[int | None]],
               output_classes: Mapping[str, int] | None = None, *,
               graph_nodes: Mapping[str, int | None] | None = None,
               labels: Mapping[str, str] | None = None,
               input_dtypes: Mapping[str, str] | None = None) -> None:
    """Raise DatasetError when the data does not fit the model's Input and Output blocks,
    by the rules validation shows (projects.datasets.description).

    Args:
        dataset: What :func:`load_dataset` returned.
        input_shapes: Input block -> per-sample shape (None for a free dimension), in
            Input-node order. For a graph: the one Input block of node features, ``(F,)``.
        output_classes: Output block -> its number of classes (1 means a single
            sigmoid unit, which fits labels 0 and 1). Regression data is not checked.
        graph_nodes: Graph block -> its ``num_nodes`` (None: taken from the data).
        input_dtypes: Input block -> its dtype ("float32", "int32", "string"): texts
            need "string".
        labels: Node id -> the block's label. Given, the keys above are node ids and the
            error's ``node_id`` names the block; without it the keys are labels.
    """
    from projects.datasets.description import describe_loaded, fit_misfits, raise_first

    def name(key: str) -> str:
        return labels.get(key, key) if labels is not None else key

    misfits = fit_misfits(describe_loaded(dataset), input_shapes, output_classes, graph_nodes,
                          name, input_dtypes)
    raise_first(misfits, blame_blocks=labels is not None)
