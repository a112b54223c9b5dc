"""Small factories for spec ``build`` functions, so catalog entries stay declarative.

Keras is imported inside the returned functions: listing the catalog must not import
TensorFlow (the window appears before it loads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from blocks.spec import BuildFn, Params, Port

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
