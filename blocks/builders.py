"""Small factories for spec ``build`` functions, so catalog entries stay declarative.

Keras is imported inside the returned functions: listing the catalog must not import
TensorFlow (the window appears before it loads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from blocks.spec import BuildFn, MigrateFn, Param, Params, Port

ACTIVATIONS: tuple[str, ...] = (
    "linear", "relu", "gelu", "sigmoid", "tanh", "softmax", "leaky_relu", "elu", "selu", "swish",
)
PADDINGS: tuple[str, ...] = ("same", "valid")

LayerFactory = Callable[[Params, str], Any]

IN = (Port("in", doc="Input tensor"),)
OUT = (Port("out", doc="Output tensor"),)
SINK_KEY = "result"  # what sink blocks (Output, GAN ends) return: the tensor they mark


def single(factory: LayerFactory) -> BuildFn:
    """Build for one-input, one-output blocks: ``out = layer(in)``."""

    def build(params: Params, inputs: Mapping[str, Any], name: str) -> dict[str, Any]:
        return {"out": factory(params, name)(inputs["in"])}

    return build


def merged(factory: LayerFactory) -> BuildFn:
    """Build for merge blocks whose inputs ``in1..inN`` go to the layer as one list."""

    def build(params: Params, inputs: Mapping[str, Any], name: str) -> dict[str, Any]:
        ordered = [inputs[f"in{i}"] for i in range(1, int(params["num_inputs"]) + 1)]
        return {"out": factory(params, name)(ordered)}

    return build


def numbered_inputs(params: Params) -> tuple[Port, ...]:
    """Ports ``in1..inN`` for merge blocks; N is the ``num_inputs`` parameter."""
    return tuple(Port(f"in{i}", doc=f"Input {i}") for i in range(1, int(params["num_inputs"]) + 1))


def activation(name: str) -> str | None:
    """Keras spells 'no activation' as None; the inspector shows it as 'linear'."""
    return None if name == "linear" else name


# ----------------------------------------------------------------------------- regularisers

# Blocks with weights take these parameters (version 2 of each added them, at 0).
L1 = Param("l1", "float", 0.0, "L1 penalty on the weights, added to the loss as "
           "l1·Σ|w|; 0 means none.", minimum=0.0, maximum=1.0, title="L1 penalty")
L2 = Param("l2", "float", 0.0, "L2 penalty on the weights, added to the loss as "
           "l2·Σw² (Keras's L2); 0 means none. A weight decay written as decay·Σw²/2 "
           "(TensorFlow's l2_loss) is l2 = decay/2.",
           minimum=0.0, maximum=1.0, title="L2 penalty")
REGULARIZE_BIAS = Param("regularize_bias", "bool", False, "Apply the same L1 and L2 "
                        "penalties to the biases (rarely helps).", title="Penalise biases")
REGULARIZATION = (L1, L2)
REGULARIZATION_WITH_BIAS = (L1, L2, REGULARIZE_BIAS)


def regularizer(params: Params) -> Any:
    """Keras's ``L1L2`` for the block's ``l1`` and ``l2``, or None when both are 0 (so a
    block without a penalty builds exactly the layer it built before)."""
    l1, l2 = float(params["l1"]), float(params["l2"])
    if not (l1 or l2):
        return None
    import keras

    return keras.regularizers.L1L2(l1=l1, l2=l2)


def bias_regularizer(params: Params) -> Any:
    """The kernel's penalty for the biases too, when ``regularize_bias`` asks for it."""
    return regularizer(params) if params["regularize_bias"] else None


def regularizers(params: Params, kernel: str = "kernel_regularizer",
                 bias: str | None = "bias_regularizer") -> dict[str, Any]:
    """Keyword arguments that hand a block's penalties to its layer, under the layer's
    own argument names (``bias=None`` for layers without biases)."""
    found = {kernel: regularizer(params)}
    if bias is not None:
        found[bias] = bias_regularizer(params)
    return found


def add_regularization(with_bias: bool) -> MigrateFn:
    """Migration of a block whose version 2 added the penalties: version 1 had none."""
    added = REGULARIZATION_WITH_BIAS if with_bias else REGULARIZATION

    def migrate(version: int, params: dict[str, Any]) -> dict[str, Any]:
        if version == 1:
            return {**params, **{p.name: p.default for p in added}}
        return dict(params)

    return migrate


# ----------------------------------------------------------------------------- Keras import


def first(value: Any) -> Any:
    """A Keras size argument saved as a tuple (``kernel_size`` [3, 3]) as the block's one
    number; a non-square one is then told apart when the rebuilt config is compared."""
    return value[0] if isinstance(value, list | tuple) and value else value


def penalties_from_keras(config: Mapping[str, Any], kernel: str = "kernel_regularizer",
                         bias: str | None = "bias_regularizer") -> dict[str, Any]:
    """The ``l1``, ``l2`` (and ``regularize_bias``) a layer's regularizers stand for."""
    found = dict(zip(("l1", "l2"), _l1_l2(config.get(kernel)), strict=True))
    if bias is not None:
        found["regularize_bias"] = config.get(bias) is not None
    return found


def _l1_l2(saved: Any) -> tuple[float, float]:
    if not isinstance(saved, Mapping):
        return 0.0, 0.0
    inner = saved.get("config") or {}
    return float(inner.get("l1", 0.0) or 0.0), float(inner.get("l2", 0.0) or 0.0)


def sized_from_keras(*names: str, penalties: bool = True, kernel: str = "kernel_regularizer",
                     bias: str | None = "bias_regularizer") -> Callable[[Mapping[str, Any], int],
                                                                        dict[str, Any]]:
    """Reads a layer whose ``names`` (kernel_size, strides...) Keras saves as tuples, and
    its penalties when the block takes them."""

    def read(config: Mapping[str, Any], inputs: int) -> dict[str, Any]:
        found = {name: first(config[name]) for name in names if name in config}
        if penalties:
            found.update(penalties_from_keras(config, kernel, bias))
        return found

    return read


def added_params(added: Mapping[int, Mapping[str, Any]],
                 earlier: MigrateFn | None = None) -> MigrateFn:
    """Migration of a block whose later versions added parameters: ``added[v]`` holds the
    parameters version ``v`` added, at values that build what the older version built;
    ``earlier`` migrates the versions before them."""

    def migrate(version: int, params: dict[str, Any]) -> dict[str, Any]:
        if version + 1 in added:
            return {**dict(added[version + 1]), **params}
        return earlier(version, params) if earlier is not None else dict(params)

    return migrate
