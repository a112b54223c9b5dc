"""Kipf & Welling's GCN as the README's recipe builds it: the ``gcn_citation`` example on a
graph file with row-normalised features, trained through ``deepwire train`` on a small
citation graph with unlabelled papers; its figures checked against NumPy."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import resources
from projects import cli, files
from projects.datasets import DatasetError, load_dataset, registry
from tests.citation_graph import citation_graph, recipe_for_files, write_citation_files
from tests.projects.support import only_run_folder

SMALL = {"sizes": (30, 30, 30), "words": 50, "citations": 200, "self_loops": 3,
         "per_class": 5, "validation": 15, "test": 30}
SEED, EPOCHS = 3, 30


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    """The recipe trained by ``deepwire train`` on a 90-paper graph (30 without labels)."""
    folder = tmp_path_factory.mktemp("citation")
    graph = citation_graph(1, **SMALL)
    edges, table = write_citation_files(graph, folder)
    project = files.load(resources.examples_dir() / "gcn_citation.deepwire")
    recipe_for_files(project, edges.name, table.name, graph.features.shape[1],
                     graph.num_classes, EPOCHS, SEED)
    path = folder / "citation.deepwire"
    files.save(project, path)
    assert cli.main(["train", str(path), "--no-tensorboard"]) == 0
    run = only_run_folder(folder / "citation.runs")
    data = load_dataset(project.dataset, seed=SEED, base_dir=folder,
                        validation_split=project.training.validation_split,
                        task_kind="node_classification")
    return {"graph": graph, "run": run, "data": data,
            "model": keras.saving.load_model(run / "model.keras")}


def _propagation(graph) -> np.ndarray:
    """Kipf & Welling's D̂^-½ (A + I) D̂^-½ from the edge list (its self-loops are the I)."""
    n = graph.num_nodes
    adjacency = np.zeros((n, n))
    adjacency[graph.edges[:, 0], graph.edges[:, 1]] = 1
    adjacency = np.maximum(adjacency, adjacency.T)
    np.fill_diagonal(adjacency, 1)
    scale = adjacency.sum(1) ** -0.5
    return adjacency * scale[:, None] * scale[None, :]


def _paper_features(graph) -> np.ndarray:
    """The paper's preprocess_features: each row divided by its sum (empty rows: 0)."""
    words = graph.features.astype(np.float64)
    sums = words.sum(1, keepdims=True)
    return np.divide(words, sums, out=np.zeros_like(words), where=sums > 0)


def _paper_logits(graph, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The paper's forward pass without dropout: Â ReLU(Â X W0) W1, X row-normalised."""
    x = _paper_features(graph)
    a = _propagation(graph)
    return a @ np.maximum(a @ x @ first, 0) @ second


def test_test_metrics_are_the_accuracy_on_the_test_papers(trained) -> None:
    graph, run, data, model = (trained[k] for k in ("graph", "run", "data", "model"))
    # The file's split column fixed the parts; unlabelled papers are in none of them.
    np.testing.assert_array_equal(data.train_mask, graph.train)
    np.testing.assert_array_equal(data.test_mask, graph.test)
    assert not (data.train_mask & data.test_mask).any()
    assert not (data.train_mask & data.val_mask).any()
    assert (graph.labels < 0).sum() == 30 and not (data.labels[graph.labels < 0] >= 0).any()
    from projects.training import _sparse_adjacency

    logits = np.asarray(model.predict((data.features, _sparse_adjacency(data)), verbose=0))
    test = np.flatnonzero(data.test_mask)
    right = logits[test].argmax(-1) == graph.true_classes[test]
    info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert info["test_metrics"]["accuracy"] == pytest.approx(right.mean(), abs=1e-6)
    shifted = logits[test] - logits[test].max(-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    cross_entropy = -log_p[np.arange(len(test)), graph.true_classes[test]].mean()
    # Keras's loss holds the L2 penalty too, as the paper's code's does.
    penalty = float(model.losses[0])
    assert info["test_metrics"]["loss"] == pytest.approx(cross_entropy + penalty, abs=1e-5)
    assert info["weights_epoch"] == EPOCHS and "features row-normalised" in (
        info["dataset_description"])


def test_the_model_is_the_papers_formula(trained) -> None:
    """Same numbers as NumPy's Â ReLU(Â X W0) W1 with the saved weights (no biases), and
    the penalty is the paper's 5e-4 · Σw²/2 on the first layer's weights only."""
    graph, data, model = trained["graph"], trained["data"], trained["model"]
    convolutions = [layer for layer in model.layers
                    if type(layer).__name__ == "GraphConvolution"]
    assert [len(layer.weights) for layer in convolutions] == [1, 1]  # kernels, no biases
    first, second = (np.asarray(layer.kernel, dtype=np.float64) for layer in convolutions)
    from projects.training import _sparse_adjacency

    logits = model.predict((data.features, _sparse_adjacency(data)), verbose=0)
    np.testing.assert_allclose(logits, _paper_logits(graph, first, second), rtol=1e-4,
                               atol=1e-5)
    assert len(model.losses) == 1
    assert float(model.losses[0]) == pytest.approx(5e-4 * (first**2).sum() / 2, rel=1e-5)


def test_the_training_objective_is_the_papers(trained) -> None:
    """The loss Keras minimises (dropout aside) and its gradients equal the paper's code's:
    the mean cross-entropy over the training nodes plus 5e-4 · l2_loss(W0)."""
    import tensorflow as tf

    from projects.training import _graph_tensors, mask_weights

    graph, data, model = trained["graph"], trained["data"], trained["model"]
    x, y = _graph_tensors(data)
    kernels = [layer.kernel for layer in model.layers
               if type(layer).__name__ == "GraphConvolution"]
    with tf.GradientTape(persistent=True) as tape:
        ours = model.compute_loss(x, y, model(x, training=False),
                                  mask_weights(data.train_mask), training=False)
        features = tf.constant(_paper_features(graph), tf.float32)
        a = tf.constant(_propagation(graph), tf.float32)
        logits = a @ tf.nn.relu(a @ features @ kernels[0]) @ kernels[1]
        train = np.flatnonzero(graph.train)
        theirs = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            graph.labels[train], tf.gather(logits, train)))
        theirs += 5e-4 * tf.nn.l2_loss(kernels[0])
    assert float(ours) == pytest.approx(float(theirs), rel=1e-5)
    for mine, paper in zip(tape.gradient(ours, kernels), tape.gradient(theirs, kernels),
                           strict=True):
        np.testing.assert_allclose(mine, paper, rtol=1e-4, atol=1e-7)


def test_row_normalised_features_are_a_field_of_graph_files(tmp_path: Path) -> None:
    graph = citation_graph(2, **SMALL)
    edges, table = write_citation_files(graph, tmp_path)
    spec = {"name": "graph_file", "path": edges.name, "features": table.name}
    stored = load_dataset(spec, base_dir=tmp_path)
    np.testing.assert_array_equal(stored.features, graph.features)  # the default: as stored
    data = load_dataset({**spec, "feature_normalization": "rows"}, base_dir=tmp_path)
    sums = graph.features.sum(1)
    np.testing.assert_allclose(data.features.sum(1)[sums > 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(data.features * sums[:, None], graph.features, atol=1e-6)
    assert "; features row-normalised" in data.description
    assert "(3 self-loops besides the edges)" in data.description
    empty = tmp_path / "empty.csv"
    empty.write_text("node,a,b,label,split\n0,0,0,0,train\n1,2,6,1,train\n2,1,1,1,test\n")
    (tmp_path / "pair.edgelist").write_text("0 1\n1 2\n")
    rows = load_dataset({"name": "graph_file", "path": "pair.edgelist", "features":
                         "empty.csv", "feature_normalization": "rows"}, base_dir=tmp_path)
    np.testing.assert_array_equal(rows.features, [[0, 0], [0.25, 0.75], [0.5, 0.5]])
    with pytest.raises(DatasetError, match="feature_normalization must be empty") as error:
        load_dataset({**spec, "feature_normalization": "columns"}, base_dir=tmp_path)
    assert error.value.field == "feature_normalization"
    field = registry.get("graph_file").param("feature_normalization")
    assert (field.title, field.none_title, field.choice_titles) == (
        "Features", "As stored", ("Row-normalised",))
