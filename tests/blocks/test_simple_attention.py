"""SimpleAttention: additive attention that uses its query and honours padding masks."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from blocks.layers import SimpleAttention

BATCH, STEPS, FEATURES, QUERY_FEATURES, UNITS = 3, 5, 4, 6, 7


def random(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def reference(layer: SimpleAttention, query: np.ndarray, values: np.ndarray, mask=None):
    """vᵀ tanh(W1·values_t + W2·query + b), softmax over time, in NumPy."""
    w = {v.name: v.numpy() for v in layer.weights}
    hidden = values @ w["values_kernel"] + (query @ w["query_kernel"] + w["bias"])[:, None]
    scores = np.tanh(hidden) @ w["score_vector"]
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("bt,btf->bf", weights, values), weights


def test_matches_the_additive_attention_formula() -> None:
    keras.utils.set_random_seed(0)
    layer = SimpleAttention(UNITS)
    query, values = random(BATCH, QUERY_FEATURES), random(BATCH, STEPS, FEATURES, seed=1)
    context, weights = layer(query, values)
    expected_context, expected_weights = reference(layer, query, values)
    assert context.shape == (BATCH, FEATURES) and weights.shape == (BATCH, STEPS)
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(context, expected_context, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.sum(weights, axis=1), 1.0, rtol=1e-6)


def test_the_query_changes_the_weights() -> None:
    keras.utils.set_random_seed(0)
    layer = SimpleAttention(UNITS)
    values = random(BATCH, STEPS, FEATURES)
    _, first = layer(random(BATCH, QUERY_FEATURES, seed=1), values)
    _, second = layer(random(BATCH, QUERY_FEATURES, seed=2), values)
    assert np.abs(first.numpy() - second.numpy()).max() > 1e-3


def test_without_a_query_it_pools_with_a_learned_query() -> None:
    keras.utils.set_random_seed(0)
    layer = SimpleAttention(UNITS)
    values = tf.constant(random(BATCH, STEPS, FEATURES))
    with tf.GradientTape() as tape:
        context, weights = layer(values)
        loss = tf.reduce_sum(context**2)
    assert {v.name for v in layer.trainable_weights} == {"values_kernel", "query", "score_vector"}
    assert context.shape == (BATCH, FEATURES) and weights.shape == (BATCH, STEPS)
    np.testing.assert_allclose(np.sum(weights, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(context, np.einsum("bt,btf->bf", weights, values), rtol=1e-5)
    learned_query = next(v for v in layer.trainable_weights if v.name == "query")
    assert np.abs(tape.gradient(loss, learned_query).numpy()).max() > 0


def test_a_padding_mask_gives_masked_steps_exactly_zero_weight() -> None:
    keras.utils.set_random_seed(0)
    layer = SimpleAttention(UNITS)
    query, values = random(BATCH, QUERY_FEATURES), random(BATCH, STEPS, FEATURES, seed=1)
    lengths = np.array([5, 3, 1])
    mask = np.arange(STEPS)[None, :] < lengths[:, None]
    context, weights = layer(query, values, mask=tf.constant(mask))
    assert np.all(weights.numpy()[~mask] == 0.0)
    expected_context, expected_weights = reference(layer, query, values, mask)
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(context, expected_context, rtol=1e-5, atol=1e-6)


def test_a_fully_masked_row_gives_zeros_not_nan() -> None:
    layer = SimpleAttention(UNITS)
    mask = tf.constant([[True] * STEPS, [False] * STEPS, [True] + [False] * (STEPS - 1)])
    context, weights = layer(random(BATCH, STEPS, FEATURES), mask=mask)
    assert np.all(np.isfinite(context)) and np.all(np.isfinite(weights))
    assert np.all(weights.numpy()[1] == 0.0) and np.all(context.numpy()[1] == 0.0)
    np.testing.assert_allclose(weights.numpy()[2], np.eye(STEPS)[0])


@pytest.mark.parametrize("with_query", [False, True], ids=["learned query", "query"])
def test_the_mask_of_an_embedding_with_mask_zero_is_honoured(with_query: bool) -> None:
    keras.utils.set_random_seed(0)
    tokens = keras.Input((STEPS,), dtype="int32")
    embedding = keras.layers.Embedding(10, FEATURES, mask_zero=True)
    embedded = embedding(tokens)
    layer = SimpleAttention(UNITS)
    if with_query:
        query = keras.Input((QUERY_FEATURES,))
        inputs, (context, weights) = [tokens, query], layer(query, embedded)
    else:
        inputs, (context, weights) = tokens, layer(embedded)
    assert tuple(context.shape) == (None, FEATURES) and tuple(weights.shape) == (None, STEPS)
    model = keras.Model(inputs, [context, weights])

    ids = np.array([[3, 1, 4, 0, 0], [5, 9, 2, 6, 5], [7, 0, 0, 0, 0]])
    data = [ids, random(BATCH, QUERY_FEATURES)] if with_query else ids
    context, weights = (t.numpy() for t in model(data))
    assert np.all(weights[ids == 0] == 0.0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    # The propagated mask must act exactly like the same mask passed by hand.
    query_args = [data[1]] if with_query else []
    by_hand = layer(*query_args, embedding(ids), mask=ids != 0)
    np.testing.assert_allclose(weights, by_hand[1], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(context, by_hand[0], rtol=1e-6, atol=1e-7)


def test_functional_models_get_static_shapes_and_train() -> None:
    keras.utils.set_random_seed(0)
    values = keras.Input((STEPS, FEATURES))
    query = keras.Input((QUERY_FEATURES,))
    context, weights = SimpleAttention(UNITS)(query, values)
    assert tuple(context.shape) == (None, FEATURES) and tuple(weights.shape) == (None, STEPS)
    model = keras.Model([query, values], keras.layers.Dense(1)(context))
    model.compile("adam", "mse")
    x = [random(16, QUERY_FEATURES), random(16, STEPS, FEATURES, seed=1)]
    history = model.fit(x, random(16, 1, seed=2), epochs=3, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_a_layer_is_called_the_same_way_it_was_built() -> None:
    layer = SimpleAttention(UNITS)
    layer(random(BATCH, STEPS, FEATURES))
    with pytest.raises(ValueError, match="built to be called with the values only"):
        layer(random(BATCH, QUERY_FEATURES), random(BATCH, STEPS, FEATURES))


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (0, "units must be positive. Received: units=0"),
        (-3, "units must be positive. Received: units=-3"),
        (2.5, "units must be an integer. Received: units=2.5"),
    ],
)
def test_invalid_units_are_refused_eagerly(units, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        SimpleAttention(units)
