"""Test parts and the figures reported on them: held back from training, evaluated after
every run and again from a run folder; graph losses and accuracies checked against NumPy
on a graph with unlabelled nodes."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from projects import cli, files
from projects import events as ev
from projects.datasets import DatasetError, load_dataset
from projects.document import Project, TrainingSettings
from projects.evaluation import evaluate_run
from projects.training import RunOptions, Trainer
from tests.projects.support import add_two_layer_gcn, only_run_folder

CLASSES, FEATURES, NODES = 3, 4, 60


# ----------------------------------------------------------------------------- supervised


def _ids(x) -> set[int]:
    """The samples' ids (column 0 of their features holds id / 1000)."""
    return {round(float(v) * 1000) for v in np.asarray(x)[:, 0]}


def _table(folder: Path, rows: int = 100, split: dict[int, str] | None = None,
           labels: np.ndarray | None = None) -> Path:
    """A CSV of ``rows`` samples whose first feature is the sample's id / 1000."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, CLASSES, rows) if labels is None else labels
    noise = rng.normal(size=(rows, 2))
    header = "id,a,b,label" + (",split" if split is not None else "")
    lines = [header]
    for i in range(rows):
        cells = [f"{i / 1000:g}", f"{labels[i] + noise[i, 0]:.4f}", f"{noise[i, 1]:.4f}",
                 str(labels[i])]
        if split is not None:
            cells.append(split.get(i, ""))
        lines.append(",".join(cells))
    path = folder / "table.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_test_part_is_disjoint_and_leaves_validation_as_it_was(tmp_path: Path) -> None:
    _table(tmp_path)
    spec = {"name": "csv", "path": "table.csv", "label_column": "label"}
    before = load_dataset(spec, seed=3, validation_split=0.2, base_dir=tmp_path)
    data = load_dataset(spec, seed=3, validation_split=0.2, base_dir=tmp_path,
                        test_split=0.1)
    train, val, test = _ids(data.x_train), _ids(data.x_val), _ids(data.x_test)
    assert (len(train), len(val), len(test)) == (70, 20, 10)
    assert not (train & val or train & test or val & test)
    assert train | val | test == set(range(100))
    assert val == _ids(before.x_val) and before.x_test is None
    assert data.num_test == 10 and "70 train / 20 validation / 10 test samples" in (
        data.description)
    with pytest.raises(DatasetError, match=r"test_split 0\.5 leave no training samples"):
        load_dataset(spec, validation_split=0.5, base_dir=tmp_path, test_split=0.5)
    with pytest.raises(DatasetError, match="test_split must be a number in"):
        load_dataset(spec, base_dir=tmp_path, test_split=1.0)


def test_a_csv_split_column_fixes_the_parts(tmp_path: Path) -> None:
    split = {**{i: "test" for i in range(10)}, **{i: "validation" for i in range(10, 15)},
             20: "train"}
    _table(tmp_path, split=split)
    data = load_dataset({"name": "csv", "path": "table.csv", "label_column": "label"},
                        validation_split=0.5, base_dir=tmp_path, test_split=0.5)
    assert _ids(data.x_test) == set(range(10))  # the file's own parts win over the fractions
    assert _ids(data.x_val) == set(range(10, 15))
    assert _ids(data.x_train) == set(range(15, 100))
    assert data.input_shapes() == [(3,)]  # the split column is no feature
    (tmp_path / "table.csv").write_text("a,label,split\n1,0,train\n2,1,later\n")
    with pytest.raises(DatasetError, match=r"row 3, column 'split' .*'later' is not a split"):
        load_dataset({"name": "csv", "path": "table.csv", "label_column": "label"},
                     base_dir=tmp_path)


def test_keras_datasets_keep_their_own_test_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras's official test part is the test part (the download is replaced: no internet
    here); the seed draws validation from the train part."""
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 200, (50, 28, 28), dtype=np.uint8)
    x_test = np.full((10, 28, 28), 255, dtype=np.uint8)  # white: told apart at once
    y_train, y_test = rng.integers(0, 10, 50), np.arange(10)
    monkeypatch.setattr(keras.datasets.mnist, "load_data",
                        lambda: ((x_train, y_train), (x_test, y_test)))
    data = load_dataset({"name": "mnist"}, validation_split=0.2, test_split=0.5)
    assert data.x_test.shape == (10, 28, 28, 1) and (data.x_test == 1.0).all()
    assert data.y_test.tolist() == list(range(10))
    assert (data.num_train, data.num_val) == (40, 10)
    assert (data.x_train < 1.0).all() and (data.x_val < 1.0).all()


def _tabular_project(folder: Path, epochs: int = 3) -> Path:
    project = Project("table")
    source = project.add_node("input", {"shape": [3]})
    hidden = project.add_node("dense", {"units": 8, "activation": "relu"})
    scores = project.add_node("dense", {"units": CLASSES, "activation": "softmax"})
    output = project.add_node("output", {"loss": "sparse_categorical_crossentropy"})
    project.add_link(source.id, "out", hidden.id, "in")
    project.add_link(hidden.id, "out", scores.id, "in")
    project.add_link(scores.id, "out", output.id, "in")
    project.set_dataset({"name": "csv", "path": "table.csv", "label_column": "label"})
    project.set_training(TrainingSettings(epochs=epochs, batch_size=16, seed=2))
    path = folder / "table.deepwire"
    files.save(project, path)
    return path


def _weights(run: Path) -> list[np.ndarray]:
    return keras.saving.load_model(run / "model.keras").get_weights()


def test_training_never_sees_the_test_part(tmp_path: Path) -> None:
    """Corrupting the test rows' labels and features changes the test figures only."""
    split = {i: "test" for i in range(0, 100, 5)}
    runs = []
    for name, labels in (("clean", None), ("corrupt", np.zeros(100, dtype=int))):
        folder = tmp_path / name
        folder.mkdir()
        _table(folder, split=split)
        if labels is not None:  # the test rows get other labels and features
            lines = (folder / "table.csv").read_text().splitlines()
            for i in split:
                cells = lines[i + 1].split(",")
                cells[1:4] = ["3.0", "-3.0", str((int(cells[3]) + 1) % CLASSES)]
                lines[i + 1] = ",".join(cells)
            (folder / "table.csv").write_text("\n".join(lines) + "\n")
        path = _tabular_project(folder)
        result = Trainer(files.load(path), path, RunOptions(tensorboard=False, probes=False)
                         ).run()
        assert isinstance(result, ev.Finished), result
        runs.append((only_run_folder(folder / "table.runs"), result))
    (clean, clean_result), (corrupt, corrupt_result) = runs
    for a, b in zip(_weights(clean), _weights(corrupt), strict=True):
        np.testing.assert_array_equal(a, b)
    assert clean_result.final_metrics == corrupt_result.final_metrics
    assert clean_result.test_metrics != corrupt_result.test_metrics
    recorded = json.loads((clean / "run.json").read_text())
    assert recorded["test_metrics"] == clean_result.test_metrics
    assert set(recorded["test_metrics"]) == {"loss", "accuracy"}
    # The model's own figures on the test rows, computed here from its predictions.
    data = load_dataset({"name": "csv", "path": "table.csv", "label_column": "label"},
                        seed=2, base_dir=tmp_path / "clean", validation_split=0.2)
    assert _ids(data.x_test) == set(split)
    model = keras.saving.load_model(clean / "model.keras")
    p = np.asarray(model.predict(data.x_test, verbose=0), dtype=np.float64)
    loss = -np.mean(np.log(p[np.arange(len(p)), data.y_test]))
    accuracy = np.mean(p.argmax(-1) == data.y_test)
    assert recorded["test_metrics"]["loss"] == pytest.approx(loss, abs=1e-5)
    assert recorded["test_metrics"]["accuracy"] == pytest.approx(accuracy, abs=1e-6)


def test_cli_prints_the_test_line_and_evaluates_a_run_again(tmp_path: Path, capsys) -> None:
    _table(tmp_path)
    path = _tabular_project(tmp_path, epochs=2)
    assert cli.main(["train", str(path), "--no-tensorboard"]) == 0
    printed = capsys.readouterr().out
    run = only_run_folder(tmp_path / "table.runs")
    test = json.loads((run / "run.json").read_text())["test_metrics"]
    line = f"test: accuracy {test['accuracy']:.4f}  loss {test['loss']:.4f}"
    assert line in printed.splitlines()
    assert cli.main(["evaluate", str(run)]) == 0
    assert capsys.readouterr().out.strip() == line
    validation = evaluate_run(run, "validation")
    final = json.loads((run / "run.json").read_text())["final_metrics"]
    assert validation == pytest.approx({"loss": final["val_loss"],
                                        "accuracy": final["val_accuracy"]}, abs=1e-5)
    assert cli.main(["evaluate", str(tmp_path)]) == 1
    assert "not a readable run folder" in capsys.readouterr().err


# ----------------------------------------------------------------------------- graphs


def _graph_files(folder: Path, self_loops: int = 0) -> None:
    """Three planted communities of 20 nodes; 12 nodes have no label; fixed train /
    validation / test parts among the labelled ones."""
    rng = np.random.default_rng(4)
    community = np.repeat(np.arange(CLASSES), NODES // CLASSES)
    edges = {(int(u), int(v)) for u in range(NODES) for v in range(u + 1, NODES)
             if rng.random() < (0.3 if community[u] == community[v] else 0.02)}
    lines = [f"{u} {v}" for u, v in sorted(edges)] + [f"{v} {v}" for v in range(self_loops)]
    (folder / "graph.edgelist").write_text("\n".join(lines) + "\n")
    features = rng.normal(size=(NODES, FEATURES)) + community[:, None] * 0.5
    parts = np.array(["train"] * 3 + ["validation"] * 5 + ["test"] * 8 + [""] * 4)
    rows = ["node," + ",".join(f"f{j}" for j in range(FEATURES)) + ",label,split"]
    for v in range(NODES):
        k = v % 20
        unlabelled = k >= 16
        label = "" if unlabelled else str(community[v])
        rows.append(",".join([str(v), *(f"{x:.4f}" for x in features[v]), label,
                              "" if unlabelled else parts[k]]))
    (folder / "nodes.csv").write_text("\n".join(rows) + "\n")


def _graph_project(folder: Path, epochs: int) -> Path:
    project = Project(f"graph{epochs}")
    project.set_task({"kind": "node_classification"})
    add_two_layer_gcn(project, FEATURES, 8, CLASSES)
    project.set_dataset({"name": "graph_file", "path": "graph.edgelist",
                         "features": "nodes.csv"})
    project.set_training(TrainingSettings(epochs=epochs, learning_rate=0.05, seed=5))
    path = folder / f"graph{epochs}.deepwire"
    files.save(project, path)
    return path


@pytest.fixture(scope="module")
def graph_runs(tmp_path_factory) -> dict:
    """The same graph run trained for one epoch and for two, with their events."""
    folder = tmp_path_factory.mktemp("graph")
    _graph_files(folder, self_loops=3)
    runs = {}
    for epochs in (1, 2):
        path = _graph_project(folder, epochs)
        seen: list = []
        result = Trainer(files.load(path), path, RunOptions(tensorboard=False,
                                                            probe_interval=0.0),
                         seen.append).run()
        assert isinstance(result, ev.Finished), result
        runs[epochs] = (only_run_folder(folder / f"graph{epochs}.runs"), result, seen)
    data = load_dataset({"name": "graph_file", "path": "graph.edgelist",
                         "features": "nodes.csv"}, seed=5, base_dir=folder)
    return {"runs": runs, "data": data}


def _adjacency(data):
    import tensorflow as tf

    from projects.training import _sparse_adjacency

    assert isinstance(_sparse_adjacency(data), tf.SparseTensor)
    return _sparse_adjacency(data)


def _masked(logits: np.ndarray, labels: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over the mask's nodes, in NumPy."""
    logits = logits.astype(np.float64)
    log_p = logits - logits.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    nodes = np.flatnonzero(mask)
    loss = -log_p[nodes, labels[nodes]].mean()
    return float(loss), float((logits[nodes].argmax(-1) == labels[nodes]).mean())


def test_graph_losses_and_accuracies_are_means_over_their_masks(graph_runs) -> None:
    data = graph_runs["data"]
    assert (data.labels < 0).sum() == 12 and data.num_test == 24
    train, val, test = data.train_mask, data.val_mask, data.test_mask
    assert not (train & val).any() and not (train & test).any() and not (val & test).any()
    assert (data.labels[train | val | test] >= 0).all()
    one, _, _ = graph_runs["runs"][1]
    two, two_result, _ = graph_runs["runs"][2]
    # The saved model predicts with plain predict (all nodes in one batch).
    model = keras.saving.load_model(one / "model.keras")
    logits = np.asarray(model.predict((data.features, _adjacency(data)), verbose=0))
    assert logits.shape == (NODES, CLASSES)
    np.testing.assert_allclose(
        logits, model.predict_on_batch((data.features, _adjacency(data))), atol=1e-6)
    # Epoch 2 of the longer run starts from the weights the one-epoch run saved.
    history = {k: [float(v) for v in vs] for k, vs in _history(two).items()}
    train_loss, train_accuracy = _masked(logits, data.labels, data.train_mask)
    val_loss, val_accuracy = _masked(logits, data.labels, data.val_mask)
    assert history["loss"][1] == pytest.approx(train_loss, abs=1e-5)
    assert history["accuracy"][1] == pytest.approx(train_accuracy, abs=1e-6)
    assert history["val_loss"][0] == pytest.approx(val_loss, abs=1e-5)
    assert history["val_accuracy"][0] == pytest.approx(val_accuracy, abs=1e-6)
    # The test figures: the one-epoch run's final model on the test mask.
    test_loss, test_accuracy = _masked(logits, data.labels, data.test_mask)
    test = json.loads((one / "run.json").read_text())["test_metrics"]
    assert test["loss"] == pytest.approx(test_loss, abs=1e-5)
    assert test["accuracy"] == pytest.approx(test_accuracy, abs=1e-6)
    assert evaluate_run(one, "test") == pytest.approx(test, abs=1e-6)
    assert two_result.test_metrics and two_result.test_metrics != test


def _history(run: Path) -> dict[str, list[str]]:
    import csv

    with open(run / "history.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [row[key] for row in rows] for key in rows[0]}


def test_probe_accuracy_leaves_out_the_unlabelled_nodes(graph_runs) -> None:
    data = graph_runs["data"]
    _, _, seen = graph_runs["runs"][2]
    probes = [e for e in seen if isinstance(e, ev.EmbeddingProbe)]
    assert probes
    for probe in probes:
        right = probe.predictions == probe.labels
        others = ~data.train_mask & (data.labels >= 0)
        assert probe.unlabelled_accuracy == pytest.approx(right[others].mean(), abs=1e-9)
        assert probe.labelled_accuracy == pytest.approx(right[data.train_mask].mean(),
                                                        abs=1e-9)


def test_self_loops_are_counted_and_announced(graph_runs) -> None:
    data = graph_runs["data"]
    assert "(3 self-loops besides the edges)" in data.description
    assert (data.edges[:, 0] != data.edges[:, 1]).all()
    _, _, seen = graph_runs["runs"][1]
    warnings = [e.message for e in seen if isinstance(e, ev.RunWarning)]
    assert any("has 3 self-loops" in w for w in warnings)
    started = next(e for e in seen if isinstance(e, ev.RunStarted))
    assert "3 self-loops" in started.dataset
