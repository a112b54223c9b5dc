"""PositionEmbedding (learned) and SinusoidalPositionEmbedding (fixed) add positions."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from blocks.layers import PositionEmbedding, SinusoidalPositionEmbedding

BATCH, STEPS, DEPTH = 2, 5, 6


def random(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


def vaswani_encoding(steps: int, depth: int, max_wavelength: float = 10000.0) -> np.ndarray:
    """PE[t, 2i] = sin(t / w^(2i/d)), PE[t, 2i+1] = cos(t / w^(2i/d))."""
    encoding = np.zeros((steps, depth))
    for t in range(steps):
        for i in range(0, depth, 2):
            angle = t / max_wavelength ** (i / depth)
            encoding[t, i] = np.sin(angle)
            if i + 1 < depth:
                encoding[t, i + 1] = np.cos(angle)
    return encoding


def test_learned_embeddings_are_added_per_position() -> None:
    layer = PositionEmbedding(max_length=8)
    x = random(BATCH, STEPS, DEPTH)
    output = layer(x)
    assert layer.embeddings.shape == (8, DEPTH)
    np.testing.assert_allclose(
        output - x, np.broadcast_to(layer.embeddings[:STEPS], x.shape), rtol=1e-6, atol=1e-6
    )
    shorter = random(BATCH, 3, DEPTH)
    np.testing.assert_allclose(
        layer(shorter) - shorter,
        np.broadcast_to(layer.embeddings[:3], shorter.shape),
        rtol=1e-6,
        atol=1e-6,
    )


def test_a_sequence_longer_than_max_length_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than max_length"):
        PositionEmbedding(max_length=4)(random(BATCH, STEPS, DEPTH))
    with pytest.raises(ValueError, match="longer than max_length"):
        PositionEmbedding(max_length=4)(keras.Input((STEPS, DEPTH)))


@pytest.mark.parametrize("depth", [6, 7], ids=["even depth", "odd depth"])
def test_sinusoidal_encoding_is_vaswanis(depth: int) -> None:
    layer = SinusoidalPositionEmbedding()
    x = random(BATCH, 50, depth)
    assert layer.weights == [] and layer(x).shape == x.shape
    np.testing.assert_allclose(
        layer(x) - x, np.broadcast_to(vaswani_encoding(50, depth), x.shape), atol=1e-5
    )
    short = SinusoidalPositionEmbedding(max_wavelength=100)
    np.testing.assert_allclose(
        short(x) - x, np.broadcast_to(vaswani_encoding(50, depth, 100), x.shape), atol=1e-5
    )


@pytest.mark.parametrize(
    "make",
    [lambda: PositionEmbedding(STEPS), SinusoidalPositionEmbedding],
    ids=["learned", "sinusoidal"],
)
def test_the_padding_mask_is_passed_through(make) -> None:
    tokens = keras.Input((STEPS,), dtype="int32")
    embedded = keras.layers.Embedding(10, DEPTH, mask_zero=True)(tokens)
    positioned = make()(embedded)
    model = keras.Model(tokens, [positioned, keras.layers.GlobalAveragePooling1D()(positioned)])
    ids = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]])
    sequence, pooled = (t.numpy() for t in model(ids))
    masked_mean = (sequence * (ids != 0)[..., None]).sum(axis=1) / (ids != 0).sum(
        axis=1, keepdims=True
    )
    np.testing.assert_allclose(pooled, masked_mean, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PositionEmbedding(0), "max_length must be positive. Received: max_length=0"),
        (lambda: PositionEmbedding("8"), "max_length must be an integer. Received: max_length='8'"),
        (
            lambda: SinusoidalPositionEmbedding(max_wavelength=0),
            "max_wavelength must be positive. Received: max_wavelength=0",
        ),
    ],
)
def test_invalid_arguments_are_refused_eagerly(make, message: str) -> None:
    with pytest.raises(ValueError) as error:
        make()
    assert str(error.value) == message
