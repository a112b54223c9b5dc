"""The dataset registry: every dataset Deepwire can load, keyed by name, without numpy.

Modules in ``projects.datasets.catalog`` call :func:`register` at import time; the registry
imports them all on first use, so adding a dataset touches only its catalog file. A spec is
pure data plus its loader, a function that imports numpy (and whatever else it needs) when
it runs, so the GUI and ``deepwire datasets`` can list datasets and build their forms
without loading any data library (docs/architecture.md, Datasets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from blocks.spec import Param
from blocks.spec_registry import SpecRegistry

DatasetKind = Literal["arrays", "graph", "unlabelled"]
DATASET_KINDS: tuple[str, ...] = ("arrays", "graph", "unlabelled")
Source = Literal["built in", "download", "file"]
SOURCES: tuple[str, ...] = ("built in", "download", "file")
SCALES: tuple[str, ...] = ("unit", "tanh", "none")
# The task kinds each kind of data serves: samples become unlabelled for a GAN.
TASKS_OF_KIND: dict[str, tuple[str, ...]] = {
    "arrays": ("supervised", "adversarial"),
    "graph": ("node_classification",),
    "unlabelled": ("adversarial",),
}


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


# loader(context) -> raw samples or a finished graph; see projects.datasets.loading
Loader = Callable[[Any], Any]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything Deepwire knows about one dataset, declared in one place.

    ``params`` are the keys of the project's "dataset" object besides ``name``; a key left
    out means the param's default. For datasets read from the person's files, ``picker``
    groups the specs the GUI offers behind one "choose a file" entry (``picker_title``),
    ``path_key`` is the param the chosen path goes into, and ``suffixes`` pick the spec
    of a group from the chosen file's suffix. ``describer`` tells, for generated data, what
    the loader would make without making it (:mod:`projects.datasets.description`).
    """

    name: str
    title: str
    kind: DatasetKind
    source: Source
    doc: str
    loader: Loader
    params: tuple[Param, ...] = ()
    picker: str = ""
    picker_title: str = ""
    path_key: str = "path"
    suffixes: tuple[str, ...] = ()
    # describer(context) -> Facts: shapes and classes read off the fields, for generated
    # data whose description needs no load (see projects.datasets.description)
    describer: Loader | None = None
    # The task kinds it serves when fewer than its kind's (texts train no GAN); empty: all
    task_kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in DATASET_KINDS:
            raise ValueError(f"kind must be one of {DATASET_KINDS}. Received: kind={self.kind!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}. "
                             f"Received: source={self.source!r}")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names) or "name" in names:
            raise ValueError(f"Dataset {self.name!r} declares a field twice: {names}")
        if self.source == "file" and not (self.picker and self.picker_title):
            raise ValueError(f"Dataset {self.name!r} is read from a file but has no picker")

    @property
    def tasks(self) -> tuple[str, ...]:
        """The task kinds this dataset can train."""
        return self.task_kinds or TASKS_OF_KIND[self.kind]

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"Dataset {self.name!r} has no field {name!r}")

    def has_param(self, name: str) -> bool:
        return any(p.name == name for p in self.params)


_REGISTRY: SpecRegistry[DatasetSpec] = SpecRegistry(
    "projects.datasets.catalog", lambda s: s.name, "Dataset")
_SPECS = _REGISTRY.specs


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add ``spec`` to the registry; a second spec with the same name raises ValueError."""
    return _REGISTRY.register(spec)


def all_specs() -> list[DatasetSpec]:
    """Every dataset: built in, then downloads, then files, each in registration order."""
    _REGISTRY.loaded()
    return sorted(_SPECS.values(), key=lambda s: SOURCES.index(s.source))


def names() -> tuple[str, ...]:
    return tuple(s.name for s in all_specs())


def get(name: str) -> DatasetSpec | None:
    """The spec called ``name``, or None."""
    _REGISTRY.loaded()
    return _SPECS.get(name)


# ----------------------------------------------------------------------------- shared fields

SCALE = Param("scale", "choice", None,
              "How values are scaled for the model: unit is 0 to 1, tanh is −1 to 1 (for a "
              "GAN whose generator ends in tanh), none keeps them as stored; empty: 0 to 1 "
              "for images, as stored otherwise.", choices=SCALES, allow_none=True,
              title="Scale", choice_titles=("0 to 1", "−1 to 1 (tanh)", "As stored"),
              none_title="Automatic")
FEATURE_NORMALIZATIONS: tuple[str, ...] = ("rows",)
FEATURE_NORMALIZATION = Param(
    "feature_normalization", "choice", None, "How node features reach the model: rows "
    "divides each node's features by their sum, so every row sums to 1 (Kipf & Welling's "
    "preprocessing; a row of zeros stays zeros); empty keeps them as stored.",
    choices=FEATURE_NORMALIZATIONS, allow_none=True, title="Features",
    choice_titles=("Row-normalised",), none_title="As stored")
DATA_SEED = Param("data_seed", "int", 0, "Generates the data; the training seed only "
                  "shuffles and splits it.", minimum=0, maximum=2**31 - 1, title="Data seed")


def samples(default: int) -> Param:
    return Param("samples", "int", default, "How many samples to generate.", minimum=1,
                 maximum=10_000_000, title="Samples")


def labelled_per_class(default: int, maximum: int = 100_000_000) -> Param:
    return Param("labelled_per_class", "int", default, "Nodes of each class whose label "
                 "training sees; the others are validation and test nodes.", minimum=1,
                 maximum=maximum, title="Labelled per class")
