"""Additive (Bahdanau) attention that pools a sequence into one context vector."""

from __future__ import annotations

import keras
from keras import ops

from blocks.layers._checks import positive_int


@keras.saving.register_keras_serializable(package="deepwire")
class SimpleAttention(keras.layers.Layer):
    """Additive attention (Bahdanau et al., 2015) over the time steps of a sequence.

    Every time step is scored against a query,
    ``score_t = vᵀ tanh(W1·values_t + W2·query + b)``, the scores are softmaxed over time
    and the context is the weighted sum ``Σ_t w_t·values_t``. Called with the values
    alone, the layer pools them with a learned query instead (attention pooling, e.g.
    after a recurrent layer). Which form a layer uses is fixed by its first call.

    Args:
        units: Size of the hidden scoring space (the width of ``W1``, ``W2`` and ``v``).
        kernel_regularizer: Optional regularizer for ``W1``, ``W2`` and ``v``.
        bias_regularizer: Optional regularizer for ``b``, and for the learned query
            (which stands for ``W2·query + b``).
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.

    Call arguments:
        query: Query tensor of shape ``(B, Fq)``. When ``values`` is omitted, this
            argument holds the values ``(B, T, F)`` and the learned query is used.
        values: Values tensor of shape ``(B, T, F)``.
        mask: Optional boolean tensor of shape ``(B, T)``, True for the steps to attend
            to. Defaults to the Keras mask carried by the values (for example from
            ``Embedding(mask_zero=True)``).
        values_mask: Filled in by Keras with the mask carried by ``values`` in the
            two-input form; not meant to be passed by hand.

    Returns:
        A tuple ``(context, weights)``: ``context`` of shape ``(B, F)`` and ``weights``
        of shape ``(B, T)``. The weights sum to 1 over the unmasked steps and are
        exactly 0 on masked steps; a fully masked row gets all-zero weights and a zero
        context. The outputs carry no mask.
    """

    def __init__(self, units: int, kernel_regularizer=None, bias_regularizer=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = positive_int("units", units)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self._softmax = keras.layers.Softmax(axis=-1, dtype=self.dtype_policy)
        self._learns_query: bool | None = None

    def build(self, query_shape, values_shape=None):
        # One input: `query_shape` is the values' shape and the query is learned.
        self._learns_query = values_shape is None
        if self._learns_query:
            values_shape = query_shape
        _check_rank("values", values_shape, 3)
        feature_dim = _static_last_dim("values", values_shape)
        self.values_kernel = self.add_weight(
            name="values_kernel", shape=(feature_dim, self.units), initializer="glorot_uniform",
            regularizer=self.kernel_regularizer,
        )
        if self._learns_query:
            # The learned query lives directly in the scoring space: it stands for
            # W2·query + b, which would only add redundant parameters here.
            self.query = self.add_weight(
                name="query", shape=(self.units,), initializer="random_normal",
                regularizer=self.bias_regularizer,
            )
        else:
            _check_rank("query", query_shape, 2)
            self.query_kernel = self.add_weight(
                name="query_kernel",
                shape=(_static_last_dim("query", query_shape), self.units),
                initializer="glorot_uniform",
                regularizer=self.kernel_regularizer,
            )
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros",
                                        regularizer=self.bias_regularizer)
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer="glorot_uniform",
            regularizer=self.kernel_regularizer,
        )

    def call(self, query, values=None, mask=None, values_mask=None):
        if values is None:
            query, values = None, query
        if self._learns_query != (query is None):
            built_with = "the values only" if self._learns_query else "a query and values"
            raise ValueError(
                f"Layer '{self.name}' was built to be called with {built_with}; "
                "call it the same way every time."
            )
        if mask is None:
            mask = values_mask
        hidden = ops.matmul(values, self.values_kernel)
        if query is None:
            hidden = hidden + self.query
        else:
            projected_query = ops.matmul(query, self.query_kernel) + self.bias
            hidden = hidden + ops.expand_dims(projected_query, axis=1)
        scores = ops.matmul(ops.tanh(hidden), self.score_vector)
        weights = self._softmax(scores, mask=mask)
        context = ops.einsum("bt,btf->bf", weights, values)
        return context, weights

    def compute_output_shape(self, query_shape, values_shape=None):
        if values_shape is None:
            values_shape = query_shape
        batch, steps, features = tuple(values_shape)
        return (batch, features), (batch, steps)

    def compute_mask(self, query, previous_mask):
        # The time axis is summed away, so there is no mask left to pass on.
        return None

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }


def _static_last_dim(name: str, shape) -> int:
    if shape[-1] is None:
        raise ValueError(
            f"The last dimension of `{name}` must be known. Received: {name}.shape={shape}"
        )
    return shape[-1]


def _check_rank(name: str, shape, rank: int) -> None:
    if len(shape) != rank:
        raise ValueError(f"`{name}` must have rank {rank}. Received: {name}.shape={tuple(shape)}")
