"""The dataset layer: built-in data offline, downloads, a person's files, and check_fits."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.datasets import (
    Dataset,
    DatasetError,
    check_fits,
    column_letter,
    key_label,
    load_dataset,
    marker_label,
    registry,
    sample_sbm_edges,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _same(a: Dataset, b: Dataset) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f))
               for f in ("x_train", "y_train", "x_val", "y_val"))


# ----------------------------------------------------------------------------- registry


def test_listing_the_datasets_does_not_import_numpy() -> None:
    """The GUI builds its dataset form before any data library loads."""
    code = ("import sys; from projects.datasets import registry; "
            "specs = registry.all_specs(); [s.params for s in specs]; "
            "assert 'numpy' not in sys.modules and 'pandas' not in sys.modules, 'imported'; "
            "print(len(specs))")
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(registry.names()) >= 14


def test_every_dataset_spec_is_complete_and_its_defaults_load() -> None:
    for spec in registry.all_specs():
        assert spec.title and spec.doc and spec.tasks
        if spec.source == "file":
            assert spec.has_param(spec.path_key) and spec.param(spec.path_key).is_path
    data = load_dataset({"name": "key_tokens"})
    tokens = registry.get("key_tokens")
    assert data.x_train.shape[1] == tokens.param("length").default
    assert len(data.sample_labels) == tokens.param("vocab").default
    assert registry.get("karate").tasks == ("node_classification",)
    assert registry.get("gaussian_mixture_2d").tasks == ("adversarial",)


@pytest.mark.parametrize(("spec", "files", "field"), [
    ({"name": "marker_sequences", "samples": 0}, {}, "samples"),
    ({"name": "key_tokens", "classes": 8, "vocab": 9}, {}, "vocab"),
    ({"name": "digits", "scale": "big"}, {}, "scale"),
    ({"name": "csv"}, {}, "path"),
    ({"name": "csv", "path": "nowhere.csv"}, {}, "path"),
    ({"name": "csv", "path": "t.csv"}, {"t.csv": "a,label\n1,0\n"}, "label_column"),
    ({"name": "csv", "path": "t.csv", "label_column": "y"}, {"t.csv": "a,label\n1,0\n"},
     "label_column"),
    ({"name": "csv", "path": "t.csv", "label_column": "label"},
     {"t.csv": "a,label\n1,0\nx,1\n"}, "path"),
    ({"name": "npy", "x_path": "x.npy"}, {}, "y_path"),
    ({"name": "graph_file", "path": "g.edgelist", "features": "f.csv"},
     {"g.edgelist": "0 1\n1 2\n", "f.csv": "node,x\n0,1\n1,1\n"}, "features"),
    ({"name": "graph_file", "path": "g.edgelist", "labels": "l.csv", "node_column": "id"},
     {"g.edgelist": "0 1\n1 2\n", "l.csv": "node,label\n0,1\n"}, "node_column"),
])
def test_an_error_about_one_field_names_it(tmp_path: Path, spec: dict, files: dict,
                                           field: str) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    if spec["name"] == "npy":
        np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    with pytest.raises(DatasetError) as caught:
        load_dataset(spec, base_dir=tmp_path)
    assert caught.value.field == field, str(caught.value)


# ----------------------------------------------------------------------------- built in


def test_digits_are_scaled_images_split_by_the_seed() -> None:
    data = load_dataset({"name": "digits"}, seed=0)
    assert data.kind == "arrays"
    assert data.x_train.shape == (1437, 8, 8, 1) and data.x_val.shape == (360, 8, 8, 1)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.num_classes == 10 and data.class_names == [str(i) for i in range(10)]
    assert data.input_shapes() == [(8, 8, 1)]
    assert data.description == (
        "digits: 1,437 train / 360 validation samples of (8, 8, 1), 10 classes")
    assert data.describe() == data.description
    assert _same(data, load_dataset({"name": "digits"}, seed=0))
    other = load_dataset({"name": "digits"}, seed=1)
    assert not np.array_equal(data.y_val, other.y_val)
    # The same samples, only split differently.
    assert sorted(np.concatenate([data.y_train, data.y_val]).tolist()) == sorted(
        np.concatenate([other.y_train, other.y_val]).tolist())


def test_the_spec_validation_split_overrides_the_argument() -> None:
    assert load_dataset({"name": "digits", "validation_split": 0.5},
                        validation_split=0.1).x_val.shape[0] == 899
    assert load_dataset({"name": "digits"}, validation_split=0.0).x_val.shape[0] == 0
    with pytest.raises(DatasetError, match="validation_split must be a number in"):
        load_dataset({"name": "digits", "validation_split": 1.0})


def test_digits_for_a_gan_are_unlabelled_in_tanh_range() -> None:
    data = load_dataset({"name": "digits", "scale": "tanh"}, task_kind="adversarial")
    assert data.kind == "unlabelled" and data.y_train is None and data.x_val is None
    assert data.x_train.shape == (1797, 8, 8, 1)
    assert data.x_train.min() == -1.0 and data.x_train.max() == 1.0
    assert data.value_range == (-1.0, 1.0)
    assert data.description == "digits: 1,797 samples of (8, 8, 1), values in [-1, 1]"
    unit = load_dataset({"name": "digits"}, task_kind="adversarial")
    assert unit.x_train.min() == 0.0 and unit.x_train.max() == 1.0


def test_karate_club_graph() -> None:
    data = load_dataset({"name": "karate", "labelled_per_class": 1}, validation_split=0.0)
    assert data.kind == "graph" and data.num_nodes == 34 and data.num_edges == 78
    assert data.features.shape == (34, 34) and data.features.dtype == np.float32
    assert np.array_equal(data.features, np.eye(34))
    assert data.num_classes == 2 and data.class_names == ["Mr. Hi", "Officer"]
    assert data.labels[0] == 0 and data.labels[33] == 1 and data.labels.sum() == 17
    assert np.flatnonzero(data.train_mask).tolist() == [0, 33]
    assert not data.val_mask.any() and data.test_mask.sum() == 32
    assert not (data.train_mask & data.test_mask).any()
    assert (data.edges[:, 0] < data.edges[:, 1]).all()
    adjacency = data.adjacency().toarray()
    assert adjacency.shape == (34, 34) and np.array_equal(adjacency, adjacency.T)
    assert adjacency.sum() == 156 and np.trace(adjacency) == 0
    assert data.input_shapes() == [(34,)]
    assert "34 nodes and 78 edges" in data.description


def test_karate_with_more_labelled_members_is_seeded() -> None:
    spec = {"name": "karate", "labelled_per_class": 3}
    a, b = load_dataset(spec, seed=4), load_dataset(spec, seed=4)
    assert np.array_equal(a.train_mask, b.train_mask)
    assert np.bincount(a.labels[a.train_mask]).tolist() == [3, 3]
    assert a.val_mask.sum() == 6  # ceil(0.2 × 28) of the remaining members
    assert (a.train_mask.astype(int) + a.val_mask + a.test_mask == 1).all()
    c = load_dataset(spec, seed=5)
    assert not np.array_equal(a.train_mask, c.train_mask)


def test_marker_sequence_labels_come_from_the_marked_step() -> None:
    spec = {"name": "marker_sequences", "samples": 500, "length": 12, "features": 4,
            "classes": 4}
    data = load_dataset(spec, seed=3)
    assert data.x_train.shape == (400, 12, 4) and data.x_train.dtype == np.float32
    assert data.key_positions.shape == (500, 1)
    for x, y, keys in ((data.x_train, data.y_train, data.train_key_positions),
                       (data.x_val, data.y_val, data.val_key_positions)):
        rows = np.arange(len(x))
        assert np.array_equal(np.argmax(x[:, :, 0], axis=1), keys[:, 0])
        assert x[:, :, 0].sum() == len(x)  # exactly one marked step per sample
        marked = x[rows, keys[:, 0]]
        assert np.array_equal(y, marker_label(marked, 4))
        # Four classes are the sign pattern (quadrant) of features 1 and 2.
        right, up = marked[:, 1] >= 0, marked[:, 2] >= 0
        quadrant = np.select([right & up, ~right & up, ~right & ~up], [0, 1, 2], 3)
        assert np.array_equal(y, quadrant)
    assert set(np.unique(data.y_train)) == {0, 1, 2, 3}
    assert data.sample_labels == [str(t) for t in range(1, 13)]
    assert data.step_labels(data.x_val[0]) == data.sample_labels
    assert _same(data, load_dataset(spec, seed=3))
    # The data itself is fixed by data_seed; the seed only shuffles and splits.
    whole = np.concatenate([data.x_train, data.x_val])
    other = load_dataset(spec, seed=4)
    assert np.array_equal(np.sort(whole.ravel()),
                          np.sort(np.concatenate([other.x_train, other.x_val]).ravel()))


def test_key_token_labels_need_both_keys_and_their_order() -> None:
    spec = {"name": "key_tokens", "samples": 2000, "length": 16, "vocab": 32, "classes": 4}
    data = load_dataset(spec, seed=0)
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    assert x.dtype == np.int32 and x.shape == (2000, 16) and data.input_shapes() == [(16,)]
    assert x.min() >= 1 and x.max() <= 31
    keys = data.key_positions
    assert keys.shape == (2000, 2) and (keys[:, 0] < keys[:, 1]).all()
    rows = np.arange(len(x))
    first, second = x[rows, keys[:, 0]], x[rows, keys[:, 1]]
    assert ((x <= 4).sum(axis=1) == 2).all()  # exactly two key tokens, nowhere else
    assert ((first <= 4) & (second <= 4) & (first != second)).all()
    assert np.array_equal(y, key_label(first, second))
    assert np.bincount(y).min() > 400  # balanced classes
    # The bag of tokens does not decide the label: each unordered key pair has two labels.
    pair = np.minimum(first, second) * 10 + np.maximum(first, second)
    for value in np.unique(pair):
        assert len(np.unique(y[pair == value])) == 2
    # Neither does any single position: the first key is anywhere but the last step.
    assert len(np.unique(keys[:, 0])) == 15
    assert data.step_labels(x[0]) == [str(t) for t in x[0]]


def test_sbm_graph_of_20_000_nodes() -> None:
    spec = {"name": "sbm_graph", "num_nodes": 20_000, "num_classes": 5, "average_degree": 10,
            "features": 8, "labelled_per_class": 20}
    data = load_dataset(spec, seed=0, validation_split=0.1)
    assert data.num_nodes == 20_000 and data.features.shape == (20_000, 8)
    assert data.features.dtype == np.float32 and data.labels.dtype == np.int32
    assert data.edges.dtype == np.int64 and (data.edges[:, 0] < data.edges[:, 1]).all()
    assert len(np.unique(data.edges[:, 0] * 20_000 + data.edges[:, 1])) == data.num_edges
    assert 9.5 < 2 * data.num_edges / data.num_nodes < 10.5
    same_block = data.labels[data.edges[:, 0]] == data.labels[data.edges[:, 1]]
    assert 0.77 < same_block.mean() < 0.83  # homophily 0.8 by default
    assert np.bincount(data.labels[data.train_mask]).tolist() == [20] * 5
    assert data.val_mask.sum() == 1990
    assert (data.train_mask.astype(int) + data.val_mask + data.test_mask == 1).all()
    # Features carry the class: the nearest class mean beats chance (0.2) clearly.
    means = np.stack([data.features[data.labels == c].mean(axis=0) for c in range(5)])
    nearest = np.argmin(((data.features[:, None] - means) ** 2).sum(axis=2), axis=1)
    assert (nearest == data.labels).mean() > 0.4
    again = load_dataset(spec, seed=0, validation_split=0.1)
    assert np.array_equal(data.edges, again.edges)
    assert np.array_equal(data.val_mask, again.val_mask)


def test_small_sbm_graph_comes_from_networkx() -> None:
    data = load_dataset({"name": "sbm_graph", "num_nodes": 300, "num_classes": 3,
                         "p_in": 0.1, "p_out": 0.005})
    within = data.labels[data.edges[:, 0]] == data.labels[data.edges[:, 1]]
    assert 3 * 4950 * 0.08 < within.sum() < 3 * 4950 * 0.12
    assert data.class_names == ["0", "1", "2"]
    with pytest.raises(DatasetError, match="average_degree 50 is too high"):
        load_dataset({"name": "sbm_graph", "num_nodes": 40, "average_degree": 50})


def test_the_sbm_sampler_draws_the_expected_number_of_edges() -> None:
    rng = np.random.default_rng(0)
    edges = sample_sbm_edges([1000, 1000], 0.01, 0.001, rng)
    expected = 2 * 1000 * 999 / 2 * 0.01 + 1000 * 1000 * 0.001
    assert abs(len(edges) - expected) < 0.1 * expected


def test_gaussian_mixture_is_unlabelled_gan_data() -> None:
    data = load_dataset({"name": "gaussian_mixture_2d", "samples": 800, "components": 8,
                         "scale": "tanh"})
    assert data.kind == "unlabelled" and data.x_train.shape == (800, 2)
    assert data.x_train.min() >= -1 and data.x_train.max() <= 1
    radius = np.linalg.norm(data.x_train, axis=1)
    assert abs(np.median(radius) - 0.7) < 0.05
    unit = load_dataset({"name": "gaussian_mixture_2d"})
    assert unit.x_train.min() >= 0 and unit.x_train.max() <= 1
    with pytest.raises(DatasetError, match="has no labels"):
        load_dataset({"name": "gaussian_mixture_2d"}, task_kind="supervised")


def test_the_task_kind_must_suit_the_dataset() -> None:
    with pytest.raises(DatasetError, match="karate is a graph for node classification"):
        load_dataset({"name": "karate"}, task_kind="supervised")
    with pytest.raises(DatasetError, match="digits is not a graph"):
        load_dataset({"name": "digits"}, task_kind="node_classification")
    assert load_dataset({"name": "karate"}, task_kind="node_classification").kind == "graph"


@pytest.mark.parametrize(("spec", "message"), [
    ({}, "The project has no dataset yet"),
    ({"name": "imagenet"}, "Unknown dataset 'imagenet'; Deepwire knows 'Digits: 8×8 handwriting', "
                             "'Karate club: graph'"),
    ({"name": "marker_sequences", "samples": 0}, "samples must be a whole number from 1"),
    ({"name": "key_tokens", "vocab": 5}, "vocab must be a whole number from 6"),
    ({"name": "digits", "scale": "big"}, "scale must be one of unit, tanh, none"),
    ({"name": "csv"}, "the dataset needs 'path'"),
])
def test_bad_specs_are_refused(spec: dict, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load_dataset(spec)


def test_every_example_project_fits_its_dataset() -> None:
    """The shipped examples load offline (but MNIST) and fit their Input blocks."""
    checked = 0
    for path in sorted(EXAMPLES.glob("*.deepwire")):
        project = json.loads(path.read_text(encoding="utf-8"))
        if project["dataset"]["name"] in ("mnist", "fashion_mnist", "cifar10"):
            continue
        training = project["training"]
        data = load_dataset(project["dataset"], seed=training["seed"],
                            validation_split=training["validation_split"],
                            task_kind=project["task"]["kind"])
        nodes = project["nodes"]

        def label(node: dict) -> str:
            return f"{node.get('title') or node['block']} ({node['id']})"

        inputs = {label(n): tuple(n["params"]["shape"]) for n in nodes if n["block"] == "input"}
        graphs = {label(n): n["params"]["num_nodes"] for n in nodes
                  if n["block"] == "graph_input"}
        check_fits(data, inputs, graph_nodes=graphs)
        checked += 1
    assert checked == 7


# ----------------------------------------------------------------------------- downloads


@pytest.mark.parametrize(("name", "title"), [("mnist", "MNIST"),
                                             ("fashion_mnist", "Fashion-MNIST"),
                                             ("cifar10", "CIFAR-10")])
def test_downloads_explain_that_they_need_the_internet_once(
        name: str, title: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Keras really tries to download; name lookups fail at once, as they do offline, so
    # this test neither hangs nor downloads on a computer that happens to be online.
    def offline(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    try:
        data = load_dataset({"name": name}, task_kind="adversarial")
    except DatasetError as err:
        assert str(err).startswith(
            f"{title} is not on this computer yet and could not be downloaded: connect to "
            "the internet once so Keras can fetch it (it is cached in ~/.keras/datasets)")
    else:
        assert data.x_train.shape[0] > 50_000 and data.x_train.max() == 1.0
        pytest.skip(f"{title} is already cached on this computer")
    finally:
        assert socket.getdefaulttimeout() is None  # the download timeout was put back


# ----------------------------------------------------------------------------- CSV


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _csv(tmp_path: Path, text: str, task_kind: str | None = None, **spec) -> Dataset:
    _write(tmp_path / "data.csv", text)
    return load_dataset({"name": "csv", "path": "data.csv", **spec}, base_dir=tmp_path,
                        task_kind=task_kind)


def test_csv_with_class_names(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i * 0.5},{'cat' if i % 2 else 'dog'}\n" for i in range(10))
    data = _csv(tmp_path, "a,b,species\n" + rows, label_column="species",
                validation_split=0.2)
    assert data.x_train.shape == (8, 2) and data.x_val.shape == (2, 2)
    assert data.class_names == ["cat", "dog"] and data.num_classes == 2
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    assert np.array_equal(y, (x[:, 0] % 2 == 0).astype(int))  # dog (1) for even a


def test_csv_integer_labels_feature_columns_and_semicolons(tmp_path: Path) -> None:
    text = "id;x1;x2;label\n1;0.5;1;2\n2;1.5;2;0\n\n3;2.5;3;1\n"
    data = _csv(tmp_path, text, label_column="label", feature_columns=["x2", "x1"],
                validation_split=0.0)
    assert data.num_classes == 3 and data.class_names == ["0", "1", "2"]
    assert sorted(map(tuple, data.x_train.tolist())) == [(1, 0.5), (2, 1.5), (3, 2.5)]


def test_csv_numeric_targets_are_regression(tmp_path: Path) -> None:
    data = _csv(tmp_path, "x,price\n1,2.5\n2,3.25\n3,1\n", label_column="price",
                validation_split=0.0)
    assert data.num_classes is None and data.y_train.dtype == np.float32
    assert "numeric targets" in data.description
    check_fits(data, {"x (n1)": (1,)}, {"Price (n3)": 1})


def test_csv_without_labels_for_a_gan(tmp_path: Path) -> None:
    data = _csv(tmp_path, "a,b\n0,10\n5,20\n", task_kind="adversarial")
    assert data.kind == "unlabelled"
    # Min-max scaled to [0, 1], column by column.
    assert sorted(data.x_train.tolist()) == [[0, 0], [1, 1]]


@pytest.mark.parametrize(("text", "spec", "message"), [
    ("a,b,label\n1,2,0\n", {"label_column": "species"},
     re.escape("data.csv has no label column 'species' (row 1 names: a, b, label)")),
    ("a,b,label\n1,2,0\n3,4\n5,6,1\n", {},
     re.escape("data.csv, row 3: 2 cells, but the header (row 1) names 3 columns")),
    ("a,b,label\n1,2,0\n3,4,5,6\n", {},
     re.escape("data.csv, row 3: 4 cells, but the header (row 1) names 3 columns")),
    ("a,b,label\n1,2,0\n3,x7,1\n", {},
     r"data.csv, row 3, column 'b' \(B\): 'x7' is not a number"),
    ("a,b,label\n1,2,0\n\n3,,1\n", {},
     r"data.csv, row 4, column 'b' \(B\): the cell is empty"),
    ("a,b,label\n1,nan,0\n", {}, r"row 2, column 'b' \(B\): 'nan' is not a finite number"),
    ("a,b,label\n1e39,1,0\n", {}, r"row 2, column 'a' \(A\): '1e39' is not a finite number"),
    ("\n\na,label\n1,0\n", {"label_column": "y"},
     re.escape("data.csv has no label column 'y' (row 3 names: a, label)")),
    ("a,b,label\n1,2,0\n3,4,-1\n", {},
     r"data.csv, row 3, column 'label' \(C\): the label -1 is negative"),
    ("a,b,label\n1,2,0\n3,4,5\n", {"num_classes": 3},
     r"row 3, column 'label' \(C\): the label 5 is out of range: with num_classes=3 "
     "labels run from 0 to 2"),
    ("a,b,label\n1,2,cat\n3,4,dgo\n", {"class_names": ["cat", "dog"]},
     "row 3, column 'label' .*: the label 'dgo' is not one of the class names cat, dog"),
    ("a,label\n1,0\n2,1\n3,l\n", {},
     "row 4, column 'label' .*: the label 'l' is not a number like the others"),
    ("a,label\n1,0\n2,\n", {}, r"row 3, column 'label' \(B\): the label is missing"),
    ("", {}, "data.csv is empty: it needs a header row"),
    ("\n\n", {}, "data.csv is empty"),
    ("a,b,label\n", {}, "data.csv has a header but no data rows"),
    ("1,2,0\n3,4,1\n", {}, "data.csv, row 1: the first row must name the columns"),
    ("a,a,label\n1,2,0\n", {}, "the column name 'a' appears more than once"),
])
def test_csv_problems_name_the_file_row_and_column(tmp_path: Path, text: str, spec: dict,
                                                   message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        _csv(tmp_path, text, **{"label_column": "label", **spec})


def test_csv_rows_of_empty_cells_are_blank_lines_and_bad_cells_are_found(
        tmp_path: Path) -> None:
    rows = [f"{i},{i * 2},{i % 2}\n" for i in range(200)]
    rows[50] = ",,\n"
    data = _csv(tmp_path, "a\tb\tlabel\n".replace("\t", ",") + "".join(rows),
                label_column="label", validation_split=0.0)
    assert data.num_train == 199
    rows[150] = "150,inf,0\n"
    with pytest.raises(DatasetError, match=r"data.csv, row 152, column 'b' \(B\): 'inf' is "
                                           "not a finite number") as caught:
        _csv(tmp_path, "a,b,label\n" + "".join(rows), label_column="label")
    assert caught.value.field == "path"
    tsv = _csv(tmp_path, "a\tb\tlabel\n1\t2\t0\n3\t4\t1\n", label_column="label",
               validation_split=0.0)
    assert sorted(tsv.x_train.tolist()) == [[1, 2], [3, 4]]


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_bytes("a,label\n1,0\n2,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"data.csv, row 3: the file is not UTF-8 text "
                                           r"\(byte 0xe9\)"):
        load_dataset({"name": "csv", "path": "data.csv", "label_column": "label"},
                     base_dir=tmp_path)


def test_a_missing_file_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=re.escape("nowhere.csv: file not found")):
        load_dataset({"name": "csv", "path": "nowhere.csv", "label_column": "y"},
                     base_dir=tmp_path)


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A", "Z", "AA", "AB", "ZZ", "AAA"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.floats(-1e6, 1e6, width=32), min_size=3, max_size=3),
                min_size=1, max_size=20))
def test_csv_numbers_round_trip(tmp_path: Path, rows: list[list[float]]) -> None:
    text = "a,b,c,label\n" + "".join(
        f"{a!r},{b!r},{c!r},{i % 3}\n" for i, (a, b, c) in enumerate(rows))
    data = _csv(tmp_path, text, label_column="label", validation_split=0.0)
    order = np.argsort(np.lexsort(np.asarray(rows, dtype=np.float32).T[::-1]))
    got = data.x_train[np.lexsort(data.x_train.T[::-1])]
    assert np.array_equal(got[order], np.asarray(rows, dtype=np.float32))


# ----------------------------------------------------------------------------- NPZ / NPY


def test_npz_arrays_with_one_or_two_inputs(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    extra = rng.random((20, 3)).astype(np.float32)
    np.savez(tmp_path / "data.npz", images=rng.random((20, 4, 4, 1)), extra=extra,
             labels=np.arange(20) % 4)
    spec = {"name": "npz", "path": "data.npz", "x_key": "images", "y_key": "labels"}
    data = load_dataset(spec, base_dir=tmp_path)
    assert data.x_train.shape == (16, 4, 4, 1) and data.x_train.dtype == np.float32
    assert data.num_classes == 4
    both = load_dataset({**spec, "x_key": ["images", "extra"]}, base_dir=tmp_path, seed=2)
    assert [a.shape for a in both.x_train] == [(16, 4, 4, 1), (16, 3)]
    assert both.input_shapes() == [(4, 4, 1), (3,)]
    # Inputs stay aligned with each other and with the labels after the shuffle.
    assert np.array_equal(both.y_val, np.array(
        [np.flatnonzero((extra == row).all(axis=1))[0] % 4 for row in both.x_val[1]]))
    check_fits(both, {"Image (n1)": (4, 4, 1), "Extra (n2)": (None,)}, {"Class (n7)": 4})
    with pytest.raises(DatasetError, match=r"The model has 1 Input blocks \('Image \(n1\)'\) "
                                           r"but the dataset 'NumPy archive' provides 2 inputs"):
        check_fits(both, {"Image (n1)": (4, 4, 1)})


@pytest.mark.parametrize(("arrays", "spec", "message"), [
    ({"x": np.zeros((3, 2)), "y": np.zeros(3)}, {"y_key": "labels"},
     r"data.npz has no array 'labels' \(it has: x, y\)"),
    ({"x": np.zeros((3, 2)), "y": np.zeros(4)}, {},
     "data.npz, array 'y': 4 labels, but data.npz, array 'x' has 3 samples"),
    ({"x": np.array([[0.0], [np.inf]]), "y": np.zeros(2)}, {},
     r"data.npz, array 'x': sample 1 holds inf at position \(0,\)"),
    ({"x": np.zeros((3, 2)), "y": np.array([0, 2, -3])}, {},
     "data.npz, array 'y': sample 2: the label -3 is negative"),
    ({"x": np.zeros((3, 2)), "y": np.array([0, 2, 7])}, {"num_classes": 5},
     "sample 2: the label 7 is out of range"),
    ({"x": np.array(["a", "b"]), "y": np.zeros(2)}, {}, "holds <U1 values"),
])
def test_npz_problems(tmp_path: Path, arrays: dict, spec: dict, message: str) -> None:
    np.savez(tmp_path / "data.npz", **arrays)
    with pytest.raises(DatasetError, match=message):
        load_dataset({"name": "npz", "path": "data.npz", **spec}, base_dir=tmp_path)


def test_npz_refuses_pickled_objects(tmp_path: Path) -> None:
    np.savez(tmp_path / "data.npz", x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2))
    with pytest.raises(DatasetError, match=r"data.npz, array 'x'.*pickle"):
        load_dataset({"name": "npz", "path": "data.npz"}, base_dir=tmp_path)


def test_npy_pair(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.arange(30, dtype=np.uint8).reshape(10, 3))
    np.save(tmp_path / "y.npy", (np.arange(10) % 2).astype(np.float64))
    data = load_dataset({"name": "npy", "x_path": str(tmp_path / "x.npy"),
                         "y_path": str(tmp_path / "y.npy")}, validation_split=0.3)
    assert data.x_train.shape == (7, 3) and data.y_train.dtype == np.int32
    assert data.num_classes == 2
    gan = load_dataset({"name": "npy", "x_path": str(tmp_path / "x.npy"), "scale": "tanh"},
                       task_kind="adversarial")
    assert gan.x_train.min() == -1.0 and gan.x_train.max() < -0.7  # uint8 means 0..255


# ----------------------------------------------------------------------------- images


def _png(path: Path, height: int, width: int, channels: int = 1, value: int = 0) -> None:
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((height, width, channels), value, dtype=np.uint8)
    path.write_bytes(tf.io.encode_png(pixels).numpy())


def test_image_folder_with_one_sub_folder_per_class(tmp_path: Path) -> None:
    for i in range(3):
        _png(tmp_path / "shapes" / "circle" / f"{i}.png", 6, 5, value=255)
        _png(tmp_path / "shapes" / "square" / f"{i}.png", 6, 5, value=0)
    (tmp_path / "shapes" / "square" / "notes.txt").write_text("ignored")
    data = load_dataset({"name": "image_folder", "path": "shapes"}, base_dir=tmp_path,
                        validation_split=0.0)
    assert data.class_names == ["circle", "square"] and data.num_classes == 2
    assert data.x_train.shape == (6, 6, 5, 1) and data.x_train.dtype == np.float32
    assert np.array_equal(data.x_train.max(axis=(1, 2, 3)), (data.y_train == 0).astype(float))
    rgb = load_dataset({"name": "image_folder", "path": "shapes", "channels": 3},
                       base_dir=tmp_path)
    assert rgb.input_shapes() == [(6, 5, 3)]
    with pytest.raises(DatasetError, match=r"Input block 'Photo \(n1\)' takes samples of "
                                           r"shape \(5, 6, 1\) but the dataset 'Image folder' "
                                           r"has \(6, 5, 1\)"):
        check_fits(data, {"Photo (n1)": (5, 6, 1)})


def test_image_folder_names_the_image_that_does_not_fit(tmp_path: Path) -> None:
    for i in range(3):
        _png(tmp_path / "pics" / "a" / f"{i}.png", 8, 8)
        _png(tmp_path / "pics" / "b" / f"{i}.png", 8, 8)
    _png(tmp_path / "pics" / "b" / "big.png", 9, 8)
    with pytest.raises(DatasetError, match=re.escape(
            "pics/b/big.png: the image is 8×9 pixels but the dataset's images are 8×8")):
        load_dataset({"name": "image_folder", "path": "pics"}, base_dir=tmp_path)
    (tmp_path / "pics" / "b" / "big.png").unlink()
    with pytest.raises(DatasetError, match=re.escape(
            "pics/a/0.png: the image is 8×8 pixels but the dataset's images are 4×4")):
        load_dataset({"name": "image_folder", "path": "pics", "image_size": [4, 4]},
                     base_dir=tmp_path)
    _png(tmp_path / "pics" / "a" / "colour.png", 8, 8, channels=3)
    with pytest.raises(DatasetError,
                       match=re.escape("pics/a/colour.png: the image has 3 channels")):
        load_dataset({"name": "image_folder", "path": "pics"}, base_dir=tmp_path)
    (tmp_path / "pics" / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match=re.escape("pics/a/broken.png: not a readable image")):
        load_dataset({"name": "image_folder", "path": "pics"}, base_dir=tmp_path)
    (tmp_path / "pics" / "empty").mkdir()
    with pytest.raises(DatasetError, match="pics/empty holds no images"):
        load_dataset({"name": "image_folder", "path": "pics"}, base_dir=tmp_path)


# ----------------------------------------------------------------------------- graph files


def _club(tmp_path: Path) -> nx.Graph:
    """A small labelled graph with string node names, plus its features and labels CSVs."""
    graph = nx.relabel_nodes(nx.karate_club_graph(), {v: f"m{v}" for v in range(34)})
    rows = "".join(f"m{v},{v % 3},{v / 10}\n" for v in range(34))
    _write(tmp_path / "features.csv", "node,f1,f2\n" + rows + "loner,1,1\n")
    clubs = "".join(f"{v},{graph.nodes[v]['club']}\n" for v in graph.nodes)
    _write(tmp_path / "labels.csv", "node,label\n" + clubs + "loner,Officer\n")
    return graph


@pytest.mark.parametrize(("filename", "writer"), [
    ("club.edgelist", lambda g, p: nx.write_edgelist(g, p, data=False)),
    ("club.graphml", nx.write_graphml),
    ("club.gml", nx.write_gml),
])
def test_graph_files_round_trip(tmp_path: Path, filename: str, writer) -> None:
    graph = _club(tmp_path)
    writer(graph, tmp_path / filename)
    spec = {"name": "graph_file", "path": filename, "features": "features.csv",
            "labels": "labels.csv", "labelled_per_class": 2}
    data = load_dataset(spec, base_dir=tmp_path, seed=1)
    assert data.kind == "graph" and data.num_nodes == 35  # 34 members and one loner
    assert data.features.shape == (35, 2) and np.allclose(data.features[4], [1, 0.4])
    assert data.class_names == ["Mr. Hi", "Officer"]
    assert data.labels[:34].tolist() == [int(graph.nodes[f"m{v}"]["club"] == "Officer")
                                         for v in range(34)]
    edges = {tuple(sorted((f"m{u}", f"m{v}"))) for u, v in data.edges}
    assert edges == {tuple(sorted(e)) for e in graph.edges}
    assert np.bincount(data.labels[data.train_mask]).tolist() == [2, 2]
    again = load_dataset(spec, base_dir=tmp_path, seed=1)
    assert np.array_equal(data.train_mask, again.train_mask)
    check_fits(data, {"Member features (n1)": (2,)}, {"Club (n5)": 2},
               graph_nodes={"Friendships (n2)": None})


def test_graph_file_with_node_attributes_and_a_split_column(tmp_path: Path) -> None:
    graph = nx.path_graph(6)
    nx.set_node_attributes(graph, {v: ["low", "high"][v >= 3] for v in graph}, "level")
    nx.write_graphml(graph, tmp_path / "path.graphml")
    split = ["train", "train", "validation", "test", "", "val"]
    _write(tmp_path / "nodes.csv", "node,degree,split\n" + "".join(
        f"{v},{graph.degree[v]},{split[v]}\n" for v in graph))
    data = load_dataset({"name": "graph_file", "path": "path.graphml",
                         "features": "nodes.csv", "label_attribute": "level"},
                        base_dir=tmp_path)
    assert data.class_names == ["high", "low"] and data.labels.tolist() == [1, 1, 1, 0, 0, 0]
    assert data.features[:, 0].tolist() == [1, 2, 2, 2, 2, 1]
    assert np.flatnonzero(data.train_mask).tolist() == [0, 1]
    assert np.flatnonzero(data.val_mask).tolist() == [2, 5]
    assert np.flatnonzero(data.test_mask).tolist() == [3]
    assert data.input_shapes() == [(1,)]  # the split column is not a feature


def test_graph_features_from_a_dense_npy_or_a_sparse_npz(tmp_path: Path) -> None:
    from scipy import sparse

    graph = nx.path_graph(5)
    nx.set_node_attributes(graph, {v: v % 2 for v in graph}, "kind")
    nx.write_graphml(graph, tmp_path / "g.graphml")
    features = np.arange(15, dtype=np.float64).reshape(5, 3) % 4
    np.save(tmp_path / "f.npy", features)
    sparse.save_npz(tmp_path / "f.npz", sparse.csr_matrix(features))
    spec = {"name": "graph_file", "path": "g.graphml", "label_attribute": "kind",
            "labelled_per_class": 1}
    for name in ("f.npy", "f.npz"):
        data = load_dataset({**spec, "features": name}, base_dir=tmp_path)
        assert data.features.dtype == np.float32 and np.array_equal(data.features, features)
        assert data.labels.tolist() == [0, 1, 0, 1, 0]
    np.save(tmp_path / "short.npy", features[:4])
    with pytest.raises(DatasetError, match=re.escape("short.npy: 4 rows of features but "
                                                     "g.graphml has 5 nodes")) as caught:
        load_dataset({**spec, "features": "short.npy"}, base_dir=tmp_path)
    assert caught.value.field == "features"


def test_graph_file_problems(tmp_path: Path) -> None:
    nx.write_edgelist(nx.path_graph(4), tmp_path / "g.edgelist", data=False)
    spec = {"name": "graph_file", "path": "g.edgelist"}
    _write(tmp_path / "f.csv", "node,x\n0,1\n1,1\n2,1\n")
    with pytest.raises(DatasetError,
                       match=re.escape("f.csv has no row for node '3' of g.edgelist")):
        load_dataset({**spec, "features": "f.csv"}, base_dir=tmp_path)
    _write(tmp_path / "l.csv", "node,label\n0,1\n7,0\n")
    with pytest.raises(DatasetError, match=r"l.csv, row 3, column 'node' \(A\): node '7' is "
                                           "not in g.edgelist"):
        load_dataset({**spec, "labels": "l.csv"}, base_dir=tmp_path)
    with pytest.raises(DatasetError, match="the graph needs node labels"):
        load_dataset(spec, base_dir=tmp_path)
    _write(tmp_path / "l.csv", "node,label,split\n0,1,train\n1,0,later\n")
    with pytest.raises(DatasetError, match=r"l.csv, row 3, column 'split' .*'later' is not a "
                                           "split"):
        load_dataset({**spec, "labels": "l.csv"}, base_dir=tmp_path)
    nx.write_edgelist(nx.path_graph(10_001), tmp_path / "long.edgelist", data=False)
    with pytest.raises(DatasetError, match="a graph of 10,001 nodes needs node features"):
        load_dataset({**spec, "path": "long.edgelist"}, base_dir=tmp_path)
    _write(tmp_path / "bad.gml", "graph [ node [ id 0 ")
    with pytest.raises(DatasetError, match=re.escape("bad.gml: not a readable gml graph")):
        load_dataset({"name": "graph_file", "path": "bad.gml"}, base_dir=tmp_path)


# ----------------------------------------------------------------------------- check_fits


def test_check_fits_names_the_block_and_both_shapes() -> None:
    data = load_dataset({"name": "digits"})
    check_fits(data, {"Digit image (n1)": (8, 8, 1)}, {"Digit (n9)": 10})
    check_fits(data, {"Digit image (n1)": (None, None, 1)})
    with pytest.raises(DatasetError) as caught:
        check_fits(data, {"Digit image (n1)": (64,)})
    assert str(caught.value) == (
        "Input block 'Digit image (n1)' takes samples of shape (64,) but the dataset "
        "'Digits: 8×8 handwriting' has (8, 8, 1)")
    with pytest.raises(DatasetError) as caught:
        check_fits(data, {"Digit image (n1)": (8, 8, 1)}, {"Digit (n9)": 4})
    assert str(caught.value) == "labels run up to 9 but the Output block 'Digit (n9)' has 4 classes"
    with pytest.raises(DatasetError, match="The model has 0 Input blocks"):
        check_fits(data, {})


def test_check_fits_carries_the_block_as_data() -> None:
    """The culprit is an attribute, so no caller searches the message for a label."""
    data = load_dataset({"name": "digits"})
    labels = {"n1": "Digit image (n1)", "n9": "Digit (n9)"}
    with pytest.raises(DatasetError) as caught:
        check_fits(data, {"n1": (64,)}, labels=labels)
    assert caught.value.node_id == "n1" and caught.value.field is None
    assert "'Digit image (n1)'" in str(caught.value)
    with pytest.raises(DatasetError) as caught:
        check_fits(data, {"n1": (8, 8, 1)}, {"n9": 4}, labels=labels)
    assert caught.value.node_id == "n9"
    with pytest.raises(DatasetError) as caught:
        check_fits(data, {"Digit image (n1)": (64,)})  # keyed by label: no node id to give
    assert caught.value.node_id is None


def test_check_fits_for_graphs_and_binary_outputs(tmp_path: Path) -> None:
    karate = load_dataset({"name": "karate"})
    check_fits(karate, {"Member features (n1)": (34,)}, {"Club (n5)": 1},
               graph_nodes={"Friendships (n2)": 34})
    with pytest.raises(DatasetError, match=r"Input block 'Member features \(n1\)' takes node "
                                           r"features of shape \(16,\) but the dataset "
                                           r"'Karate club: graph' has \(34,\)"):
        check_fits(karate, {"Member features (n1)": (16,)})
    with pytest.raises(DatasetError, match=r"Graph block 'Friendships \(n2\)' is set to 100 "
                                           "nodes but the dataset 'Karate club: graph' has 34"):
        check_fits(karate, {"Member features (n1)": (34,)},
                   graph_nodes={"Friendships (n2)": 100})
    data = _csv(tmp_path, "a,label\n1,0\n2,2\n", label_column="label")
    with pytest.raises(DatasetError, match="labels run up to 2 but the Output block 'Out "
                                           r"\(n3\)' has 1 class"):
        check_fits(data, {"a (n1)": (1,)}, {"Out (n3)": 1})
