"""MultiHeadAttention equals keras.layers.MultiHeadAttention, masks and causality included."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from blocks.layers import MultiHeadAttention

BATCH, STEPS, D_MODEL, HEADS = 3, 6, 8, 2
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}


def random(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def keras_twin(ours: MultiHeadAttention, *call_args, **kwargs) -> keras.layers.MultiHeadAttention:
    """Keras's layer with the same head size, built by ``call_args`` and given our weights."""
    twin = keras.layers.MultiHeadAttention(
        ours.num_heads, key_dim=ours.d_model // ours.num_heads, **kwargs
    )
    twin(*call_args)
    twin.set_weights(ours.get_weights())
    return twin


def assert_same(ours, theirs) -> None:
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, **TOLERANCE)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_self_attention_equals_keras(causal: bool) -> None:
    keras.utils.set_random_seed(0)
    x = random(BATCH, STEPS, D_MODEL)
    ours = MultiHeadAttention(D_MODEL, HEADS, causal=causal)
    output, scores = ours(x, return_attention_scores=True)
    twin = keras_twin(ours, x, x)
    expected = twin(x, x, return_attention_scores=True, use_causal_mask=causal)
    assert output.shape == (BATCH, STEPS, D_MODEL) and scores.shape == (BATCH, HEADS, STEPS, STEPS)
    assert_same((output, scores), expected)
    assert_same([ours(x)], [twin(x, x, use_causal_mask=causal)])  # the fused path, no scores
    if causal:
        assert np.all(
            scores.numpy()[..., np.triu_indices(STEPS, k=1)[0], np.triu_indices(STEPS, k=1)[1]] == 0
        )


def test_value_key_query_order_equals_keras_with_different_lengths() -> None:
    keras.utils.set_random_seed(0)
    value, key, query = (
        random(BATCH, 7, 5),
        random(BATCH, 7, 3, seed=1),
        random(BATCH, 4, 6, seed=2),
    )
    ours = MultiHeadAttention(D_MODEL, HEADS)
    output, scores = ours(value, key, query, return_attention_scores=True)
    # Keras projects back to the query's width unless told otherwise; ours to d_model.
    twin = keras_twin(ours, query, value, key, output_shape=D_MODEL)
    assert output.shape == (BATCH, 4, D_MODEL) and scores.shape == (BATCH, HEADS, 4, 7)
    assert_same((output, scores), twin(query, value, key, return_attention_scores=True))


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_an_explicit_attention_mask_equals_keras(causal: bool) -> None:
    keras.utils.set_random_seed(0)
    x = random(BATCH, STEPS, D_MODEL)
    mask = np.random.default_rng(1).random((BATCH, STEPS, STEPS)) > 0.4
    mask[:, :, 0] = True  # every query position can attend somewhere, also when causal
    ours = MultiHeadAttention(D_MODEL, HEADS, causal=causal)
    output, scores = ours(x, attention_mask=mask, return_attention_scores=True)
    twin = keras_twin(ours, x, x)
    expected = twin(x, x, attention_mask=mask, return_attention_scores=True, use_causal_mask=causal)
    assert_same((output, scores), expected)
    assert np.all(scores.numpy()[np.broadcast_to(~mask[:, None], scores.shape)] == 0)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_padding_masks_propagated_by_keras_equal_keras(causal: bool) -> None:
    """Embedding(mask_zero=True) → attention → masked average, as a functional model."""
    keras.utils.set_random_seed(0)
    tokens = keras.Input((STEPS,), dtype="int32")
    embedded = keras.layers.Embedding(50, D_MODEL, mask_zero=True)(tokens)
    ours = MultiHeadAttention(D_MODEL, HEADS, causal=causal)
    twin = keras.layers.MultiHeadAttention(HEADS, key_dim=D_MODEL // HEADS)
    pool = keras.layers.GlobalAveragePooling1D()

    def head(attended):
        output, scores = attended
        assert tuple(output.shape) == (None, STEPS, D_MODEL)
        assert tuple(scores.shape) == (None, HEADS, STEPS, STEPS)
        return keras.Model(tokens, [pool(output), scores])

    ours_model = head(ours(embedded, return_attention_scores=True))
    keras_model = head(
        twin(embedded, embedded, return_attention_scores=True, use_causal_mask=causal)
    )
    twin.set_weights(ours.get_weights())

    ids = np.array([[4, 8, 15, 16, 0, 0], [23, 42, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    pooled, scores = ours_model(ids)
    assert_same((pooled, scores), keras_model(ids))
    padded_keys = np.broadcast_to((ids == 0)[:, None, None, :], scores.shape)
    assert np.all(scores.numpy()[padded_keys] == 0)


def test_a_residual_add_of_the_query_keeps_the_padding_mask() -> None:
    """Keras's attention clears the masks of the tensors it is given; the query it gets is
    a copy, so Add(query, attention) is still masked and attention pooling after it gives
    padding no weight."""
    from blocks.layers import SimpleAttention

    keras.utils.set_random_seed(0)
    tokens = keras.Input((STEPS,), dtype="int32")
    embedded = keras.layers.Embedding(50, D_MODEL, mask_zero=True)(tokens)
    attended = MultiHeadAttention(D_MODEL, HEADS)(embedded)
    residual = keras.layers.LayerNormalization()(keras.layers.Add()([embedded, attended]))
    _, weights = SimpleAttention(4)(residual)
    model = keras.Model(tokens, weights)
    ids = np.array([[4, 8, 15, 0, 0, 0], [23, 0, 0, 0, 0, 0]])
    weights = model(ids).numpy()
    assert np.all(weights[ids == 0] == 0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("return_scores", [False, True], ids=["output", "output and scores"])
def test_functional_api_gives_static_shapes(return_scores: bool) -> None:
    value, query = keras.Input((7, 5)), keras.Input((4, 6))
    outputs = MultiHeadAttention(D_MODEL, HEADS)(
        value, value, query, return_attention_scores=return_scores
    )
    output = outputs[0] if return_scores else outputs
    assert tuple(output.shape) == (None, 4, D_MODEL)
    if return_scores:
        assert tuple(outputs[1].shape) == (None, HEADS, 4, 7)
    model = keras.Model([value, query], outputs)
    results = model([random(2, 7, 5), random(2, 4, 6, seed=1)])
    shapes = [r.shape for r in results] if return_scores else [results.shape]
    assert shapes == [(2, 4, D_MODEL), (2, HEADS, 4, 7)][: len(shapes)]


def test_dropout_acts_only_while_training() -> None:
    keras.utils.set_random_seed(0)
    x = random(BATCH, STEPS, D_MODEL)
    ours = MultiHeadAttention(D_MODEL, HEADS, dropout=0.5)
    ours(x)
    twin = keras_twin(ours, x, x)
    assert_same([ours(x, training=False)], [twin(x, x, training=False)])
    assert not np.allclose(ours(x, training=True), ours(x, training=False))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"d_model": 0, "num_heads": 2}, "d_model must be positive. Received: d_model=0"),
        ({"d_model": 8, "num_heads": 0}, "num_heads must be positive. Received: num_heads=0"),
        ({"d_model": 8, "num_heads": 2.0}, "num_heads must be an integer. Received: num_heads=2.0"),
        (
            {"d_model": 10, "num_heads": 3},
            "d_model must be divisible by num_heads. Received: d_model=10, num_heads=3",
        ),
        (
            {"d_model": 8, "num_heads": 2, "dropout": 1.0},
            "dropout must be in [0, 1). Received: dropout=1.0",
        ),
        (
            {"d_model": 8, "num_heads": 2, "dropout": -0.1},
            "dropout must be in [0, 1). Received: dropout=-0.1",
        ),
    ],
)
def test_invalid_arguments_are_refused_eagerly(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        MultiHeadAttention(**kwargs)
    assert str(error.value) == message
