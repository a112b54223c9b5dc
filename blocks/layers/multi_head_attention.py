"""Multi-head scaled dot-product attention with the article's (value, key, query) order."""

from __future__ import annotations

import keras
from keras import ops

from blocks.layers._checks import positive_int, rate


class _MaskedCopy(keras.layers.Layer):
    """A copy of its input that carries the input's padding mask. Keras's attention clears
    the masks of the tensors it is given, so a residual Add of the same query would
    otherwise lose the padding mask; it is given copies instead."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.copy(inputs)


@keras.saving.register_keras_serializable(package="deepwire")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention (Vaswani et al., 2017): ``softmax(QKᵀ/√d)·V`` per head.

    The query, key and value are projected into ``num_heads`` heads of size
    ``d_model // num_heads``, each head attends with scaled dot products, and the heads
    are concatenated and projected back to ``d_model``. The computation is delegated
    to ``keras.layers.MultiHeadAttention`` (held as the sublayer ``attention``), so the
    results equal Keras's with the same weights; this layer adds the article's
    argument order, a ``d_model``-centred configuration and a fixed causal flag.

    Args:
        d_model: Width of the output, and the total width of all heads together.
        num_heads: Number of attention heads; must divide ``d_model``.
        dropout: Dropout rate on the attention weights, in [0, 1).
        use_bias: Whether the projections have biases.
        causal: If True, position ``i`` of the query only attends to key positions
            ``<= i`` (decoder self-attention).
        kernel_initializer: Initializer for the projection kernels.
        bias_initializer: Initializer for the projection biases.
        kernel_regularizer: Optional regularizer for the projection kernels.
        bias_regularizer: Optional regularizer for the projection biases.
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.

    Call arguments:
        value: Value tensor of shape ``(B, Tk, Dv)``.
        key: Optional key tensor of shape ``(B, Tk, Dk)``; defaults to ``value``.
        query: Optional query tensor of shape ``(B, Tq, Dq)``; defaults to ``value``,
            so ``layer(x)`` is self-attention.
        attention_mask: Optional boolean tensor of shape ``(B, Tq, Tk)``, True where a
            query position may attend to a key position. It is combined with the
            causal mask and with the padding masks that Keras propagates on the inputs
            (for example from ``Embedding(mask_zero=True)``).
        return_attention_scores: If True, also return the attention weights.
        training: Whether dropout is active.

    Returns:
        The attention output of shape ``(B, Tq, d_model)``, carrying the query's
        padding mask if it has one; with ``return_attention_scores=True``, a tuple of
        that output and the per-head attention weights of shape ``(B, H, Tq, Tk)``.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        causal: bool = False,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.d_model = positive_int("d_model", d_model)
        self.num_heads = positive_int("num_heads", num_heads)
        if self.d_model % self.num_heads:
            raise ValueError(
                "d_model must be divisible by num_heads. "
                f"Received: d_model={d_model}, num_heads={num_heads}"
            )
        self.dropout = rate("dropout", dropout)
        self.use_bias = bool(use_bias)
        self.causal = bool(causal)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self._copy = _MaskedCopy(name="masked_copy")
        self.attention = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads,
            key_dim=self.d_model // self.num_heads,
            dropout=self.dropout,
            use_bias=self.use_bias,
            output_shape=self.d_model,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            dtype=self.dtype_policy,
            name="attention",
        )

    def build(self, value_shape, key_shape=None, query_shape=None):
        self.attention.build(
            query_shape=value_shape if query_shape is None else query_shape,
            value_shape=value_shape,
            key_shape=key_shape,
        )

    def call(
        self,
        value,
        key=None,
        query=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
    ):
        # Keras's layer reads the padding masks that the inputs carry and sets the
        # query's mask on the output; it clears them on what it is given: copies.
        return self.attention(
            query=self._copy(value if query is None else query),
            value=self._copy(value),
            key=None if key is None else self._copy(key),
            attention_mask=attention_mask,
            return_attention_scores=return_attention_scores,
            training=training,
            use_causal_mask=self.causal,
        )

    def compute_mask(self, value, previous_mask):
        # The output follows the query, which need not be `value` (the first input);
        # the query's mask is set on the output during `call` instead.
        return None

    def compute_output_shape(self, value_shape, key_shape=None, query_shape=None):
        query_shape = value_shape if query_shape is None else query_shape
        return (*tuple(query_shape)[:-1], self.d_model)

    def compute_output_spec(
        self,
        value,
        key=None,
        query=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
    ):
        query = value if query is None else query
        output = keras.KerasTensor(
            self.compute_output_shape(value.shape, query_shape=query.shape),
            dtype=self.compute_dtype,
        )
        if not return_attention_scores:
            return output
        scores_shape = (query.shape[0], self.num_heads, query.shape[1], value.shape[1])
        return output, keras.KerasTensor(scores_shape, dtype=self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "d_model": self.d_model,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "causal": self.causal,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }
