"""Position embeddings added to a sequence: learned, or fixed sinusoids."""

from __future__ import annotations

import keras
from keras import ops

from blocks.layers._checks import positive_int, positive_number


@keras.saving.register_keras_serializable(package="deepwire")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding of each position to a sequence.

    Attention is blind to order; adding a trainable vector per position
    (``inputs[:, t] + E[t]``) lets a Transformer tell positions apart.

    Args:
        max_length: Longest sequence the layer accepts (the number of rows of ``E``).
        initializer: Initializer for the embedding matrix ``E``.
        regularizer: Optional regularizer for ``E``.
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.

    Call arguments:
        inputs: Tensor of shape ``(B, T, D)`` with ``T <= max_length``.

    Returns:
        A tensor of shape ``(B, T, D)``: the inputs plus the first ``T`` rows of ``E``.
        The input's padding mask, if any, is passed through.
    """

    def __init__(self, max_length: int, initializer="glorot_uniform", regularizer=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_length = positive_int("max_length", max_length)
        self.initializer = keras.initializers.get(initializer)
        self.regularizer = keras.regularizers.get(regularizer)
        self.supports_masking = True

    def build(self, input_shape):
        _check_sequence_shape(input_shape, self.max_length)
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.max_length, input_shape[-1]),
            initializer=self.initializer,
            regularizer=self.regularizer,
        )

    def call(self, inputs):
        _check_sequence_shape(inputs.shape, self.max_length)
        length = ops.shape(inputs)[-2]
        return inputs + ops.cast(self.embeddings[:length], inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "max_length": self.max_length,
            "initializer": keras.initializers.serialize(self.initializer),
            "regularizer": keras.regularizers.serialize(self.regularizer),
        }


@keras.saving.register_keras_serializable(package="deepwire")
class SinusoidalPositionEmbedding(keras.layers.Layer):
    """Adds the fixed sinusoidal position encoding of Vaswani et al. (2017).

    ``PE[t, 2i] = sin(t / max_wavelength^(2i/D))`` and
    ``PE[t, 2i+1] = cos(t / max_wavelength^(2i/D))``. Nothing is learned, and any
    sequence length works.

    Args:
        max_wavelength: Longest wavelength of the sinusoids (10000 in the paper).
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.

    Call arguments:
        inputs: Tensor of shape ``(B, T, D)``.

    Returns:
        A tensor of shape ``(B, T, D)``: the inputs plus the encoding. The input's
        padding mask, if any, is passed through.
    """

    def __init__(self, max_wavelength: float = 10000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_wavelength = positive_number("max_wavelength", max_wavelength)
        self.supports_masking = True

    def build(self, input_shape):
        _check_sequence_shape(input_shape)

    def call(self, inputs):
        length, depth = ops.shape(inputs)[-2], ops.shape(inputs)[-1]
        dtype = self.compute_dtype
        positions = ops.cast(ops.arange(length), dtype)
        channels = ops.arange(depth)
        exponents = ops.cast(2 * (channels // 2), dtype) / ops.cast(depth, dtype)
        frequencies = ops.power(ops.cast(1.0 / self.max_wavelength, dtype), exponents)
        angles = positions[:, None] * frequencies[None, :]
        encoding = ops.where(channels % 2 == 0, ops.sin(angles), ops.cos(angles))
        return inputs + ops.cast(encoding, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_wavelength": self.max_wavelength}


def _check_sequence_shape(shape, max_length: int | None = None) -> None:
    if len(shape) != 3:
        raise ValueError(
            f"Expected inputs of shape (batch, steps, features). Received: shape={tuple(shape)}"
        )
    if max_length is not None and shape[-2] is not None and shape[-2] > max_length:
        raise ValueError(
            "The sequence is longer than max_length. "
            f"Received: sequence length {shape[-2]}, max_length={max_length}"
        )
