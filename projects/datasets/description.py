"""What validation knows about a dataset: its shapes, classes and kind of labels, without its
arrays, and the rules that hold a model's blocks against it (docs/architecture.md, Datasets).

:func:`describe` answers from the dataset's fields when its spec has a ``describer``
(generated data), otherwise loads the data once; either way the answer is cached by the
spec, the task and the size and time of the files it reads. :func:`check_fits` (in
:mod:`~projects.datasets.dataset`) and :mod:`projects.validation` share the rules below, so
the trainer refuses exactly what the Problems panel shows.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from projects.datasets import registry
from projects.datasets.registry import DatasetError
from projects.text import count_text

if TYPE_CHECKING:
    from projects.datasets.dataset import Dataset

LabelKind = Literal["classes", "numbers", "none"]
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Facts:
    """What a spec's ``describer`` reads off the fields of generated data."""

    input_shapes: tuple[Shape, ...]
    num_classes: int | None = None
    num_nodes: int | None = None


@dataclass(frozen=True)
class DatasetDescription:
    """A dataset as the model sees it.

    ``labels`` is "classes" (one whole-number class per sample or node, counted from 0:
    the trainer feeds sparse labels, never one-hot ones), "numbers" (regression targets)
    or "none" (GAN data). ``input_shapes`` are per sample without the batch axis, in
    Input-node order; for a graph, the one input is a node's feature vector.
    """

    name: str
    title: str
    kind: str  # "arrays", "graph" or "unlabelled"
    input_shapes: tuple[Shape, ...]
    labels: LabelKind
    num_classes: int | None = None
    max_label: int | None = None
    num_nodes: int | None = None
    from_file: bool = False  # whole-number labels of a file become numbers for regression
    texts: bool = False  # the samples are strings, for a string Input block

    @property
    def quoted(self) -> str:
        """How messages name it: the menu title in quotes."""
        return f"the dataset '{self.title}'"

    @property
    def top_label(self) -> int | None:
        """The largest class label a model must be able to predict."""
        if self.num_classes is None:
            return None
        return max(self.num_classes - 1, self.max_label or 0)


def _title(name: str) -> str:
    spec = registry.get(name)
    return spec.title if spec is not None else name


def describe_loaded(data: Dataset) -> DatasetDescription:
    """The description of data already loaded."""
    spec = registry.get(data.name)
    if data.kind == "unlabelled":
        labels: LabelKind = "none"
    else:
        labels = "classes" if data.num_classes is not None else "numbers"
    from projects.datasets.dataset import as_list, is_text

    texts = data.kind != "graph" and any(is_text(a) for a in as_list(data.x_train))
    return DatasetDescription(
        data.name, _title(data.name), data.kind, tuple(data.input_shapes()), labels,
        data.num_classes, data.max_label(), data.num_nodes,
        from_file=spec is not None and spec.source == "file", texts=texts)


# ----------------------------------------------------------------------------- describing

_CACHE: dict[str, DatasetDescription] = {}
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()
_CACHE_SIZE = 32


def _file_stamps(spec: Mapping[str, Any], base_dir: Path | None) -> list[Any]:
    """Size and modification time of every file the spec reads, so an edit shows."""
    dataset = registry.get(str(spec.get("name")))
    stamps: list[Any] = []
    for param in dataset.params if dataset else ():
        value = spec.get(param.name)
        if not (param.file_filter or param.folder) or not isinstance(value, str) or not value:
            continue
        path = Path(value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        try:
            info = path.stat()
            stamps.append([param.name, info.st_size, info.st_mtime_ns])
        except OSError:
            stamps.append([param.name, None])
    return stamps


def request_key(spec: Mapping[str, Any], task_kind: str | None) -> str:
    """Which description a project needs: its dataset settings and its task."""
    return json.dumps([dict(spec), task_kind], sort_keys=True, default=str)


def cache_key(spec: Mapping[str, Any], task_kind: str | None, base_dir: Path | None) -> str:
    return json.dumps([dict(spec), task_kind, str(base_dir or ""),
                       _file_stamps(spec, base_dir)], sort_keys=True, default=str)


def remember(key: str, description: DatasetDescription) -> None:
    """Keep a description (the preview calls this after its own load)."""
    with _GUARD:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = description


def cached(key: str) -> DatasetDescription | None:
    with _GUARD:
        return _CACHE.get(key)


def describe(spec: Mapping[str, Any], *, task_kind: str | None = None,
             base_dir: Path | None = None) -> DatasetDescription:
    """Describe the dataset ``spec`` names, as :func:`load_dataset` would load it for a
    ``task_kind`` project. Generated data is described from its fields; anything else is
    loaded once (one load at a time per spec) and the description kept.

    Raises:
        DatasetError: as :func:`load_dataset` does.
    """
    key = cache_key(spec, task_kind, base_dir)
    found = cached(key)
    if found is not None:
        return found
    with _GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:  # a second caller waits for the first one's load instead of loading again
        found = cached(key)
        if found is None:
            found = _describe(spec, task_kind, base_dir)
            remember(key, found)
    with _GUARD:
        _LOCKS.pop(key, None)
    return found


def _describe(spec: Mapping[str, Any], task_kind: str | None, base_dir: Path | None
              ) -> DatasetDescription:
    from projects.datasets.loading import load_dataset, request

    dataset = registry.get(str(spec.get("name") or ""))
    if dataset is None or dataset.describer is None:
        return describe_loaded(load_dataset(spec, base_dir=base_dir, task_kind=task_kind))
    context = request(spec, base_dir=base_dir, task_kind=task_kind)
    facts: Facts = dataset.describer(context)
    unlabelled = dataset.kind == "unlabelled" or (
        task_kind == "adversarial" and dataset.kind == "arrays")
    if unlabelled:
        return DatasetDescription(dataset.name, dataset.title, "unlabelled",
                                  facts.input_shapes, "none")
    labels: LabelKind = "classes" if facts.num_classes is not None else "numbers"
    top = None if facts.num_classes is None else facts.num_classes - 1
    return DatasetDescription(dataset.name, dataset.title, dataset.kind, facts.input_shapes,
                              labels, facts.num_classes, top, facts.num_nodes)


# ----------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Misfit:
    """One way a block does not fit the data. ``key`` is the block (a node id, or a label
    for :func:`check_fits` called without labels); ``hint`` says what would fix it and
    ``value`` is the value of ``param`` that fits, when there is one."""

    severity: Literal["error", "warning"]
    message: str
    key: str | None = None
    param: str | None = None
    value: Any = None
    hint: str = ""


Namer = Callable[[str], str]


def input_misfits(data: DatasetDescription, input_shapes: Mapping[str, Sequence[int | None]],
                  name: Namer) -> list[Misfit]:
    """Input blocks against the data's inputs: as many, each of the same shape."""
    shapes = data.input_shapes
    blocks_ = list(input_shapes.items())
    if len(blocks_) != len(shapes):
        names = ", ".join(f"'{name(key)}'" for key, _ in blocks_) or "none"
        noun = "input" if len(shapes) == 1 else "inputs"
        return [Misfit("error", f"The model has {len(blocks_)} Input blocks ({names}) but "
                                f"{data.quoted} provides {len(shapes)} {noun} of shape "
                                f"{' + '.join(str(s) for s in shapes)}",
                       blocks_[0][0] if blocks_ else None,
                       hint=f"use {len(shapes)} Input block{'s' if len(shapes) > 1 else ''}")]
    found = []
    for (key, wanted), have in zip(blocks_, shapes, strict=True):
        wanted = tuple(wanted)
        fits = len(wanted) == len(have) and all(
            w is None or w == h for w, h in zip(wanted, have, strict=True))
        # One value per sample, as texts are: an Input of shape (1,) takes it (Keras adds
        # the axis), and the shape field needs a dimension.
        if not have and wanted == (1,):
            fits = True
        if not fits:
            what = "node features" if data.kind == "graph" else "samples"
            fix = have or (1,)
            found.append(Misfit("error", f"Input block '{name(key)}' takes {what} of shape "
                                         f"{wanted} but {data.quoted} has {have}",
                                key, "shape", fix, f"set its shape to {fix}"))
    return found


def dtype_misfits(data: DatasetDescription, input_dtypes: Mapping[str, str],
                  name: Namer) -> list[Misfit]:
    """Texts need string Input blocks, and string Input blocks need texts."""
    found = []
    for key, dtype in input_dtypes.items():
        if data.texts and dtype != "string":
            found.append(Misfit("error", f"Input block '{name(key)}' takes {dtype} values but "
                                         f"{data.quoted} holds texts", key, "dtype", "string",
                                "set its type to string and vectorize the text in the model "
                                "(Text Vectorization)"))
        elif not data.texts and dtype == "string" and data.kind != "graph":
            found.append(Misfit("error", f"Input block '{name(key)}' takes text but "
                                         f"{data.quoted} holds numbers", key, "dtype",
                                "float32", "set its type to float32"))
    return found


def graph_misfits(data: DatasetDescription, graph_nodes: Mapping[str, int | None],
                  name: Namer) -> list[Misfit]:
    """Graph blocks need graph data with as many nodes as they are set to."""
    found = []
    for key, nodes in graph_nodes.items():
        if data.kind != "graph":
            found.append(Misfit("error", f"Graph block '{name(key)}' needs a graph dataset, "
                                         f"but {data.quoted} is not a graph", key,
                                hint="choose a graph dataset or remove the block"))
        elif nodes is not None and nodes != data.num_nodes:
            found.append(Misfit("error", f"Graph block '{name(key)}' is set to "
                                         f"{count_text(nodes)} nodes but {data.quoted} has "
                                         f"{count_text(data.num_nodes)}",
                                key, "num_nodes", data.num_nodes,
                                f"set Nodes to {count_text(data.num_nodes)}"))
    return found


def class_misfits(data: DatasetDescription, output_classes: Mapping[str, int],
                  name: Namer) -> list[Misfit]:
    """Outputs that predict classes against the number of classes: too few units is an
    error, more than needed a warning (1 unit means one sigmoid: classes 0 and 1)."""
    top = data.top_label
    if top is None:
        return []
    found = []
    for key, classes in output_classes.items():
        capacity = 2 if classes == 1 else classes
        noun = "class" if classes == 1 else "classes"
        if top >= capacity:
            found.append(Misfit("error", f"labels run up to {top} but the Output block "
                                         f"'{name(key)}' has {classes} {noun}",
                                key, "units", top + 1, f"give it {top + 1} units"))
        elif classes > 1 and classes > top + 1:
            found.append(Misfit("warning", f"'{name(key)}' has {classes} units but "
                                           f"{data.quoted} has {top + 1} classes; the extra "
                                           "units are never right", key, "units", top + 1,
                                f"set units to {top + 1}"))
    return found


def fit_misfits(data: DatasetDescription, input_shapes: Mapping[str, Sequence[int | None]],
                output_classes: Mapping[str, int] | None = None,
                graph_nodes: Mapping[str, int | None] | None = None,
                name: Namer = str, input_dtypes: Mapping[str, str] | None = None
                ) -> list[Misfit]:
    """Every rule :func:`check_fits` applies, in its order."""
    return [*input_misfits(data, input_shapes, name),
            *dtype_misfits(data, input_dtypes or {}, name),
            *graph_misfits(data, graph_nodes or {}, name),
            *class_misfits(data, output_classes or {}, name)]


def raise_first(misfits: list[Misfit], blame_blocks: bool) -> None:
    """Raise the first error as a DatasetError (warnings never stop a run)."""
    for misfit in misfits:
        if misfit.severity == "error":
            raise DatasetError(misfit.message, node_id=misfit.key if blame_blocks else None)
