"""Graph convolution (Kipf & Welling, 2017) on a dense or a sparse adjacency.

Nodes lie along the leading axis: node features are ``(N, F)`` and the adjacency is
``(N, N)``, as a dense tensor for small graphs or a ``tf.SparseTensor`` for large ones.
In a Keras functional model this means ``keras.Input(shape=(F,))`` for the features,
``keras.Input(shape=(N,), sparse=True)`` for the adjacency, and full-batch training
(``batch_size=N, shuffle=False``). The sparse path uses ``tf.sparse`` ops only, so this
module needs the TensorFlow backend.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from blocks.layers._checks import positive_int

# A dense normalisation holds about three N×N matrices at once (input, self-looped
# copy, scaled result), so a dense graph is refused unless three of them fit in memory.
DENSE_SAFETY_FACTOR = 3


def dense_adjacency_bytes(num_nodes: int, dtype="float32") -> int:
    """Return the size in bytes of one dense ``num_nodes × num_nodes`` matrix."""
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, (int, np.integer)):
        raise ValueError(f"num_nodes must be an integer. Received: num_nodes={num_nodes!r}")
    if num_nodes < 0:
        raise ValueError(f"num_nodes must be non-negative. Received: num_nodes={num_nodes}")
    itemsize = np.dtype(keras.backend.standardize_dtype(dtype)).itemsize
    return int(num_nodes) ** 2 * itemsize


def check_dense_fits(num_nodes: int, available_bytes: int | None = None, dtype="float32") -> None:
    """Raise a ValueError when a dense adjacency of ``num_nodes`` would not fit in memory.

    ``available_bytes`` defaults to ``MemAvailable`` from ``/proc/meminfo``; where that
    cannot be read (not Linux) the check passes, since refusing blindly would be worse.
    """
    if available_bytes is None:
        available_bytes = _available_memory_bytes()
        if available_bytes is None:
            return
    matrix_bytes = dense_adjacency_bytes(num_nodes, dtype)
    if matrix_bytes * DENSE_SAFETY_FACTOR > available_bytes:
        raise ValueError(
            f"a dense adjacency of {num_nodes} nodes needs {_gigabytes(matrix_bytes)}, "
            f"and about {DENSE_SAFETY_FACTOR}x that while it is normalised; this machine "
            f"has {_gigabytes(available_bytes)} available; use a sparse adjacency"
        )


def normalize_adjacency(adjacency):
    """Return ``D̂^-½ Â D̂^-½`` with ``Â = A + I`` (Kipf & Welling's propagation matrix).

    Self-loops: a node that already has a nonzero self-loop keeps it as it is, every
    other node gets a self-loop of weight 1 (PyG's ``add_remaining_self_loops``). So a
    graph whose adjacency already includes ``I`` is normalised as if it did not, instead
    of counting each node twice. ``D̂`` holds the row sums of ``Â``; the adjacency is
    expected to be symmetric (undirected). Nodes with a zero degree get zero rows.

    Args:
        adjacency: A dense ``(N, N)`` tensor or a ``tf.SparseTensor`` of that shape.

    Returns:
        The normalised adjacency, of the same kind (dense or sparse) and a float dtype. A
        sparse result is in row-major order when the input is (as ``tf.sparse`` expects).
    """
    if isinstance(adjacency, tf.SparseTensor):
        return _normalize_sparse(adjacency)
    adjacency = tf.convert_to_tensor(adjacency)
    if not adjacency.dtype.is_floating:
        adjacency = tf.cast(adjacency, "float32")
    _check_dense_fits_statically(adjacency)
    diagonal = tf.linalg.diag_part(adjacency)
    looped = tf.linalg.set_diag(
        adjacency, tf.where(diagonal == 0, tf.ones_like(diagonal), diagonal)
    )
    scale = _inverse_sqrt_degree(tf.reduce_sum(looped, axis=1))
    looped = looped * scale[:, None]  # rebinding frees the unscaled copy
    return looped * scale[None, :]


def _normalize_sparse(adjacency: tf.SparseTensor) -> tf.SparseTensor:
    if not adjacency.dtype.is_floating:
        adjacency = tf.cast(adjacency, "float32")
    num_nodes = adjacency.dense_shape[0]
    rows, cols = adjacency.indices[:, 0], adjacency.indices[:, 1]
    is_loop = tf.cast((rows == cols) & (adjacency.values != 0), "int32")
    has_loop = tf.math.unsorted_segment_max(is_loop, rows, num_nodes) > 0
    missing = tf.where(~has_loop)[:, 0]
    self_loops = tf.SparseTensor(
        tf.stack([missing, missing], axis=1),
        tf.ones(tf.shape(missing), adjacency.dtype),
        adjacency.dense_shape,
    )
    # A merge, linear in the edges; keeps the row-major order that the input has.
    looped = tf.sparse.add(adjacency, self_loops)
    rows, cols = looped.indices[:, 0], looped.indices[:, 1]
    scale = _inverse_sqrt_degree(tf.math.unsorted_segment_sum(looped.values, rows, num_nodes))
    return looped.with_values(looped.values * tf.gather(scale, rows) * tf.gather(scale, cols))


def _inverse_sqrt_degree(degree):
    positive = degree > 0
    return tf.where(positive, tf.math.rsqrt(tf.where(positive, degree, 1)), 0)


@keras.saving.register_keras_serializable(package="deepwire")
class GraphNormalization(keras.layers.Layer):
    """Normalises an adjacency once, to be shared by several graph convolutions.

    Applies ``normalize_adjacency`` (self-loops, then symmetric degree scaling). Put one
    in front of ``GraphConvolution(normalize=False)`` layers so the normalisation runs
    once per forward pass rather than once per layer.

    Args:
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.

    Call arguments:
        adjacency: A dense ``(N, N)`` tensor or a ``tf.SparseTensor`` of that shape.

    Returns:
        The normalised adjacency ``D̂^-½ (A + I) D̂^-½``, sparse if the input is.
    """

    def call(self, adjacency):
        return normalize_adjacency(tf.cast(adjacency, self.compute_dtype))

    def compute_output_spec(self, adjacency):
        return keras.KerasTensor(adjacency.shape, dtype=self.compute_dtype, sparse=adjacency.sparse)


@keras.saving.register_keras_serializable(package="deepwire")
class GraphConvolution(keras.layers.Layer):
    """Graph convolution of Kipf & Welling (2017): ``H' = σ(D̂^-½ Â D̂^-½ H W + b)``.

    Each node's new features are the degree-normalised sum of its neighbours' (and its
    own) features, projected by ``W``.

    Args:
        units: Number of output features per node.
        activation: Activation ``σ``; None for linear.
        use_bias: Whether to add the bias ``b``.
        normalize: If True (the default), the layer normalises the adjacency itself on
            every call. If False, it expects an adjacency normalised once upstream (by
            ``normalize_adjacency`` or a ``GraphNormalization`` layer) and uses it as is.
        kernel_initializer: Initializer for ``W``.
        bias_initializer: Initializer for ``b``.
        kernel_regularizer: Optional regularizer for ``W``.
        bias_regularizer: Optional regularizer for ``b``.
        **kwargs: Base layer keyword arguments, such as ``name`` and ``dtype``.

    Call arguments:
        inputs: Node features of shape ``(N, F)``.
        adjacency: Adjacency of shape ``(N, N)``, dense or a ``tf.SparseTensor``. A
            dense adjacency too large for the available memory is refused with a
            ValueError that suggests a sparse one.

    Returns:
        Node features of shape ``(N, units)``.
    """

    def __init__(
        self,
        units: int,
        activation=None,
        use_bias: bool = True,
        normalize: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.units = positive_int("units", units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.normalize = bool(normalize)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def build(self, inputs_shape, adjacency_shape):
        if len(inputs_shape) != 2 or inputs_shape[-1] is None:
            raise ValueError(
                "`inputs` must be node features of shape (num_nodes, num_features) with "
                f"a known number of features. Received: inputs.shape={inputs_shape}"
            )
        if len(adjacency_shape) != 2:
            raise ValueError(
                "`adjacency` must have shape (num_nodes, num_nodes). "
                f"Received: adjacency.shape={adjacency_shape}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(inputs_shape[-1], self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer)
            if self.use_bias
            else None
        )

    def call(self, inputs, adjacency):
        adjacency = tf.cast(adjacency, self.compute_dtype)
        if self.normalize:
            adjacency = normalize_adjacency(adjacency)
        elif not isinstance(adjacency, tf.SparseTensor):
            _check_dense_fits_statically(adjacency)
        propagate = (
            tf.sparse.sparse_dense_matmul if isinstance(adjacency, tf.SparseTensor) else tf.matmul
        )
        # Propagating costs O(edges × width): propagate the narrower of H and HW.
        if self.units <= self.kernel.shape[0]:
            outputs = propagate(adjacency, ops.matmul(inputs, self.kernel))
        else:
            outputs = ops.matmul(propagate(adjacency, inputs), self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, inputs_shape, adjacency_shape):
        return (*tuple(inputs_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "normalize": self.normalize,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }


@keras.saving.register_keras_serializable(package="deepwire")
class GraphModel(keras.Model):
    """A functional model over one whole graph: ``predict`` and ``evaluate`` take every
    node in one batch unless told otherwise.

    Keras batches array inputs along axis 0, 32 rows at a time; for a graph model that
    axis is the nodes, and a slice of the nodes with a slice of the adjacency's rows
    cannot be propagated (the adjacency's columns still name all N nodes). So plain
    ``model.predict((features, adjacency))`` on a ``keras.Model`` fails, while this one
    uses ``batch_size = N``. A ``tf.data`` input is passed on as it is.
    """

    def predict(self, x, batch_size=None, *args, **kwargs):
        return super().predict(x, _whole_graph(x, batch_size), *args, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, *args, **kwargs):
        return super().evaluate(x, y, _whole_graph(x, batch_size), *args, **kwargs)


def _whole_graph(x, batch_size):
    """``batch_size``, or the node count of in-memory inputs (their first one's rows)."""
    if batch_size is not None or x is None or isinstance(x, tf.data.Dataset):
        return batch_size
    first = keras.tree.flatten(x)[0]
    shape = first.dense_shape if isinstance(first, tf.SparseTensor) else first.shape
    return int(shape[0])


def _check_dense_fits_statically(adjacency) -> None:
    num_nodes = adjacency.shape[-1]
    if num_nodes is not None:
        check_dense_fits(num_nodes, dtype=adjacency.dtype.name)


def _available_memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _gigabytes(num_bytes: int) -> str:
    return f"{num_bytes / 1e9:.1f} GB"
