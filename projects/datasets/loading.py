"""Loading: turn a project's "dataset" object into a :class:`Dataset`.

:func:`load_dataset` looks the name up in the registry, checks the spec against what the
project's task needs, runs the dataset's loader with a :class:`Context` (the spec, the
seeds, where relative paths start) and then scales, shuffles and splits the samples the
loader returned (a :class:`Raw`) with the seed. Graph loaders build their Dataset
themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from blocks.spec import Param
from projects.datasets import registry
from projects.datasets.dataset import Dataset, as_list
from projects.datasets.registry import SCALES, DatasetError, DatasetSpec
from projects.text import count_text


def load_dataset(spec: Mapping[str, Any], *, seed: int = 0, validation_split: float = 0.2,
                 base_dir: Path | None = None, task_kind: str | None = None,
                 test_split: float = 0.0) -> Dataset:
    """Load the dataset a project's "dataset" object describes.

    Args:
        spec: The project's dataset settings; ``spec["name"]`` picks the loader (see
            the registry) and the other keys are its parameters.
        seed: Shuffles samples, draws the validation split and graph masks. The same seed
            gives identical arrays.
        validation_split: Fraction held out for validation; ``spec["validation_split"]``
            overrides it. Graphs hold out this fraction of the nodes not used for training.
        base_dir: Folder that relative paths in ``spec`` are resolved against (the folder
            of the project file).
        test_split: Fraction of the samples held back for the test part, which training
            never sees. A dataset with its own test part (Keras's test arrays, a CSV
            ``split`` column that marks test rows) keeps that instead. Graphs have their
            test mask.
        task_kind: The project's task kind. ``"adversarial"`` makes any image or array
            dataset unlabelled (all samples in ``x_train``, scaled to [0, 1], or [-1, 1]
            with ``spec["scale"] == "tanh"``); ``"node_classification"`` requires a graph.
            None accepts whatever the dataset naturally is.

    Raises:
        DatasetError: naming the file, row and column of the first problem found.
    """
    context = request(spec, seed=seed, validation_split=validation_split, base_dir=base_dir,
                      task_kind=task_kind, test_split=test_split)
    raw = context.dataset.loader(context)
    return raw.graph if raw.graph is not None else _finish(raw, context)


def request(spec: Mapping[str, Any], *, seed: int = 0, validation_split: float = 0.2,
            base_dir: Path | None = None, task_kind: str | None = None,
            test_split: float = 0.0) -> Context:
    """Check what a project asks of a dataset, before anything loads; the loader's Context.

    Raises:
        DatasetError: when no dataset is chosen, it is unknown, or does not serve the task.
    """
    if not isinstance(spec, Mapping) or not spec.get("name"):
        raise DatasetError("The project has no dataset yet: choose one of "
                           f"{_titles(registry.all_specs())}", field="name")
    name = spec["name"]
    dataset = registry.get(name)
    if dataset is None:
        raise DatasetError(f"Unknown dataset {name!r}; Deepwire knows "
                           f"{_titles(registry.all_specs())}", field="name")
    split = spec.get("validation_split", validation_split)
    if isinstance(split, bool) or not isinstance(split, int | float) or not 0 <= split < 1:
        raise DatasetError(f"validation_split must be a number in [0, 1). "
                           f"Received: validation_split={split!r}", field="validation_split")
    if isinstance(test_split, bool) or not isinstance(test_split, int | float) or not (
            0 <= test_split < 1):
        raise DatasetError(f"test_split must be a number in [0, 1). "
                           f"Received: test_split={test_split!r}", field="test_split")
    if task_kind not in (None, "supervised", "node_classification", "adversarial"):
        raise DatasetError(f"Unknown task kind {task_kind!r}")
    scale = spec.get("scale")
    if scale is not None and scale not in SCALES:
        raise DatasetError(f"dataset scale must be one of {', '.join(SCALES)}. "
                           f"Received: scale={scale!r}", field="scale")
    graphs = [s.name for s in registry.all_specs() if s.kind == "graph"]
    if dataset.kind == "graph" and task_kind not in (None, "node_classification"):
        raise DatasetError(f"{name} is a graph for node classification; a {task_kind} "
                           "project needs samples (digits, mnist, csv, ...)", field="name")
    if dataset.kind != "graph" and task_kind == "node_classification":
        raise DatasetError(f"{name} is not a graph; node classification needs "
                           f"{', '.join(graphs)}", field="name")
    if dataset.kind == "unlabelled" and task_kind not in (None, "adversarial"):
        raise DatasetError(f"{name} has no labels; it is data for GAN (adversarial) projects",
                           field="name")
    if task_kind is not None and task_kind not in dataset.tasks:
        serves = " or ".join(dataset.tasks)
        raise DatasetError(f"{name} is data for {serves} projects, not {task_kind}",
                           field="name")
    return Context(dataset, spec, int(seed), float(split), base_dir, task_kind,
                   float(test_split))


def _titles(specs: list[DatasetSpec]) -> str:
    """Datasets as the menu names them."""
    return ", ".join(f"'{s.title}'" for s in specs)


@dataclass
class Context:
    """What a loader gets: the dataset's spec, the project's settings for it, the seeds.

    The typed getters check a value against the dataset's :class:`Param` of that name
    (default and limits; a loader may narrow the limits) and blame the field by name.
    """

    dataset: DatasetSpec
    spec: Mapping[str, Any]
    seed: int
    validation_split: float
    base_dir: Path | None
    task_kind: str | None
    test_split: float = 0.0

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

    def _param(self, key: str) -> Param | None:
        return self.dataset.param(key) if self.dataset.has_param(key) else None

    def _limits(self, key: str, default: Any, low: Any, high: Any) -> tuple[Any, Any, Any]:
        param = self._param(key)
        if param is not None:
            default = param.default if default is None else default
            low = param.minimum if low is None else low
            high = param.maximum if high is None else high
        return default, low, high

    def integer(self, key: str, default: int | None = None, low: int | None = None,
                high: int | None = None) -> int:
        """A whole number from ``low`` to ``high`` (by default the param's)."""
        default, low, high = self._limits(key, default, low, high)
        value = self.spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DatasetError(f"{self.name}: {key} must be a whole number from "
                               f"{count_text(int(low))} to {count_text(int(high))}. "
                               f"Received: {key}={value!r}", field=key)
        return value

    def number(self, key: str, default: float | None = None, low: float | None = None,
               high: float | None = None) -> float:
        """A number from ``low`` to ``high`` (by default the param's)."""
        default, low, high = self._limits(key, default, low, high)
        value = self.spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                low <= value <= high):
            raise DatasetError(f"{self.name}: {key} must be a number from {low:g} to "
                               f"{high:g}. Received: {key}={value!r}", field=key)
        return float(value)

    def text(self, key: str, default: str | None = None) -> str | None:
        param = self._param(key)
        if default is None and param is not None:
            default = param.default
        value = self.spec.get(key, default)
        if value is not None and not isinstance(value, str):
            raise DatasetError(f"{self.name}: {key} must be text. Received: {key}={value!r}",
                               field=key)
        return value

    def display(self, key: str) -> str:
        """The path in ``key`` as the person wrote it, for messages."""
        return str(self.spec.get(key))

    def path(self, key: str, required: bool = True) -> Path | None:
        value = self.spec.get(key)
        if value is None or value == "":
            if required:
                raise DatasetError(f"{self.name}: the dataset needs '{key}', the path of the "
                                   "file to read", field=key)
            return None
        if not isinstance(value, str):
            raise DatasetError(f"{self.name}: {key} must be a path. Received: {key}={value!r}",
                               field=key)
        path = Path(value).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = Path(self.base_dir) / path
        if not path.exists():
            raise DatasetError(f"{value}: file not found (looked for {path})", field=key)
        return path


@dataclass
class Raw:
    """What a loader returns before the common shuffle / split / scale step."""

    x: Any = None  # array or list of arrays, samples on axis 0
    y: np.ndarray | None = None
    num_classes: int | None = None
    class_names: list[str] | None = None
    pixel_max: float | None = None  # images: the value that means "white" (scale to [0, 1])
    sample_labels: list[str] | None = None
    key_positions: np.ndarray | None = None
    graph: Dataset | None = None  # graph loaders build their Dataset themselves
    # Per sample: "train", "val" or "test" where the data itself says so, "" where the
    # seeded split decides (Keras's test arrays, a CSV's split column).
    split: np.ndarray | None = None


def _finish(raw: Raw, context: Context) -> Dataset:
    """Scale, shuffle and split samples with the seed (or keep them all, unlabelled)."""
    name = context.name
    xs = [np.asarray(a) for a in as_list(raw.x)]
    multi = isinstance(raw.x, list | tuple)
    if context.unlabelled or context.dataset.kind == "unlabelled":
        scale = context.spec.get("scale") or "unit"
        order = context.split_rng().permutation(len(xs[0]))
        xs = [scale_values(a[order], scale, raw.pixel_max) for a in xs]
        return Dataset("unlabelled", name, x_train=xs if multi else xs[0],
                       value_range=_value_range(scale), sample_labels=raw.sample_labels)
    if raw.y is None:
        raise DatasetError(f"{name}: no labels were given; say which column or array holds "
                           "them (or make the project a GAN, which needs none)")
    scale = context.spec.get("scale") or ("unit" if raw.pixel_max is not None else "none")
    xs = [scale_values(a, scale, raw.pixel_max) for a in xs]
    train, val, test = split_samples(raw.split, len(raw.y), context)
    keys = raw.key_positions

    def part(rows: np.ndarray) -> Any:
        return [a[rows] for a in xs] if multi else xs[0][rows]

    return Dataset(
        "arrays", name,
        x_train=part(train), y_train=raw.y[train],
        x_val=part(val), y_val=raw.y[val],
        x_test=part(test) if len(test) else None, y_test=raw.y[test] if len(test) else None,
        num_classes=raw.num_classes, class_names=raw.class_names,
        sample_labels=raw.sample_labels,
        key_positions=None if keys is None else np.concatenate([keys[train], keys[val]]),
        value_range=_value_range(scale),
    )


def split_samples(marks: np.ndarray | None, n: int, context: Context
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample indices of the train, validation and test parts.

    Samples the data marks keep their part. Of the others, a seeded shuffle holds back
    ``validation_split`` for validation (unless the data marks validation samples) and
    then ``test_split`` for the test (unless the data has its own test part); the rest
    train. The validation part does not depend on ``test_split``.
    """
    marks = np.full(n, "", dtype=object) if marks is None else np.asarray(marks, dtype=object)
    free = np.flatnonzero(marks == "")
    fixed = {part: np.flatnonzero(marks == part) for part in ("train", "val", "test")}
    n_val = 0 if len(fixed["val"]) else math.ceil(len(free) * context.validation_split)
    n_test = 0 if len(fixed["test"]) else math.ceil(len(free) * context.test_split)
    order = free[context.split_rng().permutation(len(free))]
    val = np.concatenate([fixed["val"], order[:n_val]])
    test = np.concatenate([fixed["test"], order[n_val:n_val + n_test]])
    train = np.concatenate([order[n_val + n_test:], fixed["train"]])
    if len(train) < 1:
        raise DatasetError(
            f"{context.name}: validation_split {context.validation_split:g} and test_split "
            f"{context.test_split:g} leave no training samples out of {n}",
            field="validation_split")
    return train, val, test


def scale_values(x: np.ndarray, scale: str, pixel_max: float | None,
                 bounds: tuple[Any, Any] | None = None) -> np.ndarray:
    """Map values to [0, 1] ("unit") or [-1, 1] ("tanh").

    Images use their known range (``pixel_max``; 255 for uint8 arrays). Other arrays are
    min-max scaled: a table (samples, columns) column by column, since its columns have
    their own units, anything else as a whole. Integer tokens are left alone. ``bounds``,
    :func:`scale_bounds` of the training samples, scales new samples as those were.
    """
    if scale == "none" or (pixel_max is None and np.issubdtype(x.dtype, np.integer)
                           and x.dtype != np.uint8):
        return x
    low, high = bounds if bounds is not None else scale_bounds(x, pixel_max)
    x = x.astype(np.float32)
    span = np.where(high > low, high - low, np.float32(1.0))
    unit = np.clip((x - low) / span, 0.0, 1.0)
    return unit * 2.0 - 1.0 if scale == "tanh" else unit


def scale_bounds(x: np.ndarray, pixel_max: float | None) -> tuple[Any, Any]:
    """The (low, high) that :func:`scale_values` maps to the ends of the scale."""
    if pixel_max is None and x.dtype == np.uint8:
        pixel_max = 255.0
    if pixel_max is not None:
        return np.float32(0.0), np.float32(pixel_max)
    if x.ndim == 2 and len(x):  # float32 rounding keeps the order: the same min and max
        return x.min(axis=0).astype(np.float32), x.max(axis=0).astype(np.float32)
    if x.size:
        return np.float32(x.min()), np.float32(x.max())
    return np.float32(0.0), np.float32(1.0)


def _value_range(scale: str) -> tuple[float, float] | None:
    return {"unit": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(scale)

