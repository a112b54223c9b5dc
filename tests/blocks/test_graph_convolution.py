"""GraphConvolution equals Kipf & Welling's formula, dense or sparse, and trains with fit."""

from __future__ import annotations

import keras
import networkx as nx
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from blocks.layers import GraphConvolution, GraphNormalization, normalize_adjacency
from blocks.layers import graph_convolution as gcn_module
from blocks.layers.graph_convolution import check_dense_fits, dense_adjacency_bytes

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def propagation_matrix(adjacency: np.ndarray) -> np.ndarray:
    """D̂^-½ (A + I) D̂^-½ in NumPy, for an adjacency without self-loops."""
    looped = adjacency + np.eye(len(adjacency))
    scale = 1.0 / np.sqrt(looped.sum(axis=1))
    return scale[:, None] * looped * scale[None, :]


def random_graph(num_nodes: int, seed: int) -> np.ndarray:
    graph = nx.gnp_random_graph(num_nodes, 0.3, seed=seed)
    return nx.to_numpy_array(graph, nodelist=range(num_nodes), dtype="float32")


def features(num_nodes: int, num_features: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((num_nodes, num_features)).astype("float32")


def sparse(adjacency: np.ndarray) -> tf.SparseTensor:
    return tf.sparse.from_dense(tf.constant(adjacency, "float32"))


@pytest.mark.parametrize(
    ("num_nodes", "num_features", "units"),
    [(1, 3, 2), (6, 3, 5), (15, 6, 2), (40, 8, 8)],
    ids=["single node", "units > features", "units < features", "units = features"],
)
def test_equals_the_formula_on_random_graphs(num_nodes: int, num_features: int, units: int) -> None:
    keras.utils.set_random_seed(num_nodes)
    adjacency, x = random_graph(num_nodes, seed=num_nodes), features(num_nodes, num_features)
    layer = GraphConvolution(units, bias_initializer="random_normal")
    dense_output = layer(x, adjacency)
    kernel, bias = (w.numpy() for w in layer.weights)
    expected = propagation_matrix(adjacency) @ x @ kernel + bias
    np.testing.assert_allclose(dense_output, expected, **TOLERANCE)
    np.testing.assert_allclose(layer(x, sparse(adjacency)), expected, **TOLERANCE)


def test_activation_and_no_bias() -> None:
    adjacency, x = random_graph(10, seed=1), features(10, 4)
    layer = GraphConvolution(3, activation="relu", use_bias=False)
    output = layer(x, sparse(adjacency))
    assert [w.name for w in layer.weights] == ["kernel"]
    expected = np.maximum(propagation_matrix(adjacency) @ x @ layer.kernel.numpy(), 0)
    np.testing.assert_allclose(output, expected, **TOLERANCE)


@settings(max_examples=25, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=20),
    weights=st.lists(st.floats(0.5, 2.0), min_size=20, max_size=20),
)
def test_normalize_adjacency_sparse_equals_dense_equals_formula(edges, weights) -> None:
    """Weighted undirected graphs on 8 nodes; existing self-loops are kept as they are."""
    adjacency = np.zeros((8, 8), "float32")
    for (i, j), weight in zip(edges, weights, strict=False):
        adjacency[i, j] = adjacency[j, i] = weight
    looped = adjacency.copy()
    np.fill_diagonal(looped, np.where(np.diag(adjacency) == 0, 1.0, np.diag(adjacency)))
    scale = 1.0 / np.sqrt(looped.sum(axis=1))
    expected = scale[:, None] * looped * scale[None, :]
    np.testing.assert_allclose(normalize_adjacency(tf.constant(adjacency)), expected, **TOLERANCE)
    normalized = normalize_adjacency(sparse(adjacency))
    assert isinstance(normalized, tf.SparseTensor)
    np.testing.assert_allclose(tf.sparse.to_dense(normalized), expected, **TOLERANCE)


def test_self_loops_already_present_are_not_counted_twice() -> None:
    adjacency = random_graph(12, seed=3)
    with_loops = adjacency + np.eye(12, dtype="float32")
    expected = propagation_matrix(adjacency)
    np.testing.assert_allclose(normalize_adjacency(tf.constant(with_loops)), expected, **TOLERANCE)
    normalized = tf.sparse.to_dense(normalize_adjacency(sparse(with_loops)))
    np.testing.assert_allclose(normalized, expected, **TOLERANCE)


@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_normalizing_upstream_equals_normalizing_in_the_layer(kind: str) -> None:
    keras.utils.set_random_seed(0)
    adjacency, x = random_graph(20, seed=5), features(20, 4)
    raw = sparse(adjacency) if kind == "sparse" else tf.constant(adjacency)
    per_layer = GraphConvolution(3, normalize=True)
    shared = GraphConvolution(3, normalize=False)
    expected = per_layer(x, raw)
    shared(x, raw)
    shared.set_weights(per_layer.get_weights())
    for normalized in (normalize_adjacency(raw), GraphNormalization()(raw)):
        assert isinstance(normalized, tf.SparseTensor) == (kind == "sparse")
        np.testing.assert_allclose(shared(x, normalized), expected, **TOLERANCE)


def test_the_sparse_path_never_densifies() -> None:
    layer = GraphConvolution(3)
    layer(features(4, 2), sparse(random_graph(4, seed=0)))
    traced = tf.function(layer.call).get_concrete_function(
        tf.TensorSpec((None, 2)), tf.SparseTensorSpec((None, None), tf.float32)
    )
    op_types = {op.type for op in traced.graph.get_operations()}
    assert "SparseTensorDenseMatMul" in op_types
    assert not op_types & {"SparseToDense", "SparseTensorToDense", "ScatterNd"}


def test_a_functional_model_with_a_sparse_adjacency_input_trains_full_batch() -> None:
    """Zachary's karate club: predict each member's club from the graph alone."""
    keras.utils.set_random_seed(0)
    graph = nx.karate_club_graph()
    num_nodes = graph.number_of_nodes()
    adjacency = sparse(nx.to_numpy_array(graph, nodelist=range(num_nodes), weight=None))
    labels = np.array([graph.nodes[n]["club"] == "Officer" for n in range(num_nodes)], "int32")
    node_features = np.eye(num_nodes, dtype="float32")

    x = keras.Input(shape=(num_nodes,), name="features")
    a = keras.Input(shape=(num_nodes,), sparse=True, name="adjacency")
    normalized = GraphNormalization()(a)
    assert normalized.sparse and tuple(normalized.shape) == (None, num_nodes)
    hidden = GraphConvolution(8, activation="relu", normalize=False)(x, normalized)
    logits = GraphConvolution(2, normalize=False)(hidden, normalized)
    assert tuple(hidden.shape) == (None, 8) and tuple(logits.shape) == (None, 2)
    model = keras.Model([x, a], logits)
    model.compile(
        keras.optimizers.Adam(0.05),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(
        [node_features, adjacency],
        labels,
        batch_size=num_nodes,
        shuffle=False,
        epochs=30,
        verbose=0,
    )
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["accuracy"][-1] > 0.9


def test_dense_adjacency_bytes() -> None:
    assert dense_adjacency_bytes(100_000) == 40_000_000_000
    assert dense_adjacency_bytes(3, "float64") == 72
    with pytest.raises(ValueError, match="num_nodes must be non-negative"):
        dense_adjacency_bytes(-1)


def test_check_dense_fits_refuses_a_100000_node_dense_graph() -> None:
    with pytest.raises(ValueError) as error:
        check_dense_fits(100_000, available_bytes=23_100_000_000)
    message = str(error.value)
    assert message.startswith("a dense adjacency of 100000 nodes needs 40.0 GB")
    assert message.endswith("this machine has 23.1 GB available; use a sparse adjacency")
    check_dense_fits(1_000, available_bytes=23_100_000_000)  # 4 MB fits


def test_check_dense_fits_reads_the_available_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    available = gcn_module._available_memory_bytes()
    if available is not None:  # Linux: /proc/meminfo exists
        assert available > 0
    monkeypatch.setattr(gcn_module, "_available_memory_bytes", lambda: 1_000_000)
    with pytest.raises(ValueError, match=r"has 0\.0 GB available; use a sparse adjacency"):
        check_dense_fits(1_000)
    monkeypatch.setattr(gcn_module, "_available_memory_bytes", lambda: None)
    check_dense_fits(10**9)  # unknown memory: nothing to go on, so no refusal


def test_the_dense_path_of_the_layer_checks_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcn_module, "_available_memory_bytes", lambda: 1_000)
    adjacency, x = random_graph(30, seed=0), features(30, 2)
    for normalize in (True, False):
        with pytest.raises(ValueError, match="a dense adjacency of 30 nodes"):
            GraphConvolution(2, normalize=normalize)(x, adjacency)
        GraphConvolution(2, normalize=normalize)(x, sparse(adjacency))  # sparse: no check


@pytest.mark.parametrize(
    ("units", "message"),
    [(0, "units must be positive. Received: units=0"), (None, "units must be an integer")],
)
def test_invalid_units_are_refused_eagerly(units, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        GraphConvolution(units)
