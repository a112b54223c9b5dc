"""Datasets for training: built-in ones that work offline, Keras downloads, a person's files.

``load_dataset(project.dataset, ...)`` turns the project's "dataset" object into a
:class:`Dataset` of numpy arrays, shuffled and split with a seed. Everything that can be
wrong with the data is refused there, before any training starts, by a
:class:`DatasetError` that names the file, the row and the column (rows counted as a
spreadsheet shows them: the header is row 1) and carries the dataset field to fix as
data. :func:`check_fits` then holds the data against the model's Input and Output blocks.

Three kinds of dataset come out (docs/architecture.md, Datasets):

- ``"arrays"``: supervised samples ``x_train, y_train, x_val, y_val``;
- ``"unlabelled"``: ``x_train`` only, for GANs (pass ``task_kind="adversarial"``);
- ``"graph"``: one graph for node classification, with node features, undirected edges,
  labels and train / validation / test node masks.

Modules: :mod:`~projects.datasets.registry` (the :class:`DatasetSpec` of every dataset,
numpy-free), :mod:`~projects.datasets.catalog` (the specs and their loaders, one module per
source), :mod:`~projects.datasets.loading` (load, scale, shuffle, split),
:mod:`~projects.datasets.dataset` (:class:`Dataset`, :func:`check_fits`),
:mod:`~projects.datasets.tables`, :mod:`~projects.datasets.arrays` and
:mod:`~projects.datasets.graphs` (the readers). Importing this package or the registry
imports no numpy; the names below that need it load their module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from projects.datasets.registry import (
    DATASET_KINDS,
    SCALES,
    DatasetError,
    DatasetSpec,
    all_specs,
)

if TYPE_CHECKING:
    from projects.datasets.catalog.builtin import key_label, marker_label
    from projects.datasets.dataset import Dataset, check_fits
    from projects.datasets.graphs import sample_sbm_edges
    from projects.datasets.loading import load_dataset
    from projects.datasets.tables import column_letter

_LAZY = {
    "Dataset": "projects.datasets.dataset",
    "check_fits": "projects.datasets.dataset",
    "load_dataset": "projects.datasets.loading",
    "column_letter": "projects.datasets.tables",
    "sample_sbm_edges": "projects.datasets.graphs",
    "key_label": "projects.datasets.catalog.builtin",
    "marker_label": "projects.datasets.catalog.builtin",
}

__all__ = ["DATASET_KINDS", "SCALES", "Dataset", "DatasetError", "DatasetSpec", "all_specs",
           "check_fits", "column_letter", "key_label", "load_dataset", "marker_label",
           "sample_sbm_edges"]


def __getattr__(name: str) -> Any:
    """Import the module behind a numpy-bound name the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
