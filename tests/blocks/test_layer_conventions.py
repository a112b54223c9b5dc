"""Keras conventions that every Deepwire layer keeps (docs/architecture.md, Blocks).

One parametrised test per convention, run over every layer: the config round-trips,
a layer rebuilt from its config with copied weights computes the same outputs, and a
model using the layer saves to ``.keras`` and loads back with ``safe_mode=True``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import pytest
import tensorflow as tf

from blocks.layers import (
    GraphConvolution,
    GraphNormalization,
    MultiHeadAttention,
    PositionEmbedding,
    SimpleAttention,
    SinusoidalPositionEmbedding,
)


def random(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


ADJACENCY = np.array(
    [[0, 1, 1, 0, 0], [1, 0, 1, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 0, 1], [0, 0, 0, 1, 0]],
    dtype="float32",
)


@dataclass
class LayerCase:
    """A layer factory, inputs to call it on, and keyword arguments for the call."""

    id: str
    make: Callable[[], keras.layers.Layer]
    inputs: list[np.ndarray | tf.SparseTensor]
    call_kwargs: dict = field(default_factory=dict)


CASES = [
    LayerCase(
        "simple_attention_query",
        lambda: SimpleAttention(5, kernel_regularizer="l2",
                                bias_regularizer=keras.regularizers.L1L2(l1=0.01)),
        [random(3, 4), random(3, 6, 2)],
    ),
    LayerCase("simple_attention_pooling", lambda: SimpleAttention(5), [random(3, 6, 2)]),
    LayerCase(
        "multi_head_attention_self",
        lambda: MultiHeadAttention(8, 2, dropout=0.1, causal=True, kernel_initializer="he_normal",
                                   kernel_regularizer="l1", bias_regularizer="l2"),
        [random(2, 5, 8)],
    ),
    LayerCase(
        "multi_head_attention_cross",
        lambda: MultiHeadAttention(8, 2, use_bias=False),
        [random(2, 5, 3), random(2, 5, 4, seed=1), random(2, 4, 6, seed=2)],
        {"return_attention_scores": True},
    ),
    LayerCase(
        "graph_convolution_dense",
        lambda: GraphConvolution(3, activation="relu", kernel_regularizer="l2"),
        [random(5, 4), ADJACENCY],
    ),
    LayerCase(
        "graph_convolution_sparse",
        lambda: GraphConvolution(3, normalize=False, bias_initializer="ones",
                                 bias_regularizer="l2"),
        [random(5, 4), tf.sparse.from_dense(ADJACENCY)],
    ),
    LayerCase("graph_normalization_dense", GraphNormalization, [ADJACENCY]),
    LayerCase("graph_normalization_sparse", GraphNormalization, [tf.sparse.from_dense(ADJACENCY)]),
    LayerCase(
        "position_embedding",
        lambda: PositionEmbedding(7, initializer="random_normal", regularizer="l2"),
        [random(2, 5, 3)],
    ),
    LayerCase(
        "sinusoidal_position_embedding",
        lambda: SinusoidalPositionEmbedding(max_wavelength=500.0),
        [random(2, 5, 3)],
    ),
]


def numpy_outputs(outputs) -> list[np.ndarray]:
    return [
        tf.sparse.to_dense(t).numpy() if isinstance(t, tf.SparseTensor) else np.asarray(t)
        for t in tf.nest.flatten(outputs, expand_composites=False)
    ]


def as_json(config: dict) -> dict:
    return json.loads(json.dumps(config))


@pytest.fixture(params=CASES, ids=[case.id for case in CASES])
def case(request: pytest.FixtureRequest) -> LayerCase:
    keras.utils.set_random_seed(0)
    return request.param


def test_config_round_trips(case: LayerCase) -> None:
    layer = case.make()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert json.dumps(layer.get_config())  # plain JSON, as project and .keras files need


def test_rebuilt_layer_with_copied_weights_computes_the_same(case: LayerCase) -> None:
    layer = case.make()
    expected = numpy_outputs(layer(*case.inputs, **case.call_kwargs))
    clone = type(layer).from_config(layer.get_config())
    clone(*case.inputs, **case.call_kwargs)
    clone.set_weights(layer.get_weights())
    for a, b in zip(numpy_outputs(clone(*case.inputs, **case.call_kwargs)), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_keras_file_round_trips_in_safe_mode(case: LayerCase, tmp_path) -> None:
    inputs = [
        keras.Input(shape=tuple(x.shape[1:]), sparse=isinstance(x, tf.SparseTensor))
        for x in case.inputs
    ]
    layer = case.make()
    model = keras.Model(inputs, layer(*inputs, **case.call_kwargs))
    path = tmp_path / f"{case.id}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    restored = loaded.get_layer(layer.name)
    assert type(restored) is type(layer)
    assert as_json(restored.get_config()) == as_json(layer.get_config())
    data = [x if isinstance(x, tf.SparseTensor) else tf.constant(x) for x in case.inputs]
    for a, b in zip(numpy_outputs(loaded(data)), numpy_outputs(model(data)), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
