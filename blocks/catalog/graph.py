"""Graph blocks: an adjacency input and Kipf & Welling graph convolution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blocks.builders import (
    ACTIVATIONS,
    REGULARIZATION_WITH_BIAS,
    activation,
    add_regularization,
    regularizers,
)
from blocks.registry import register
from blocks.spec import BlockSpec, Param, Params, Port


def _build_graph_input(params: Params, inputs: Mapping[str, Any], name: str) -> dict:
    import keras

    from blocks.layers import GraphNormalization

    adjacency = keras.Input(shape=(params["num_nodes"],), sparse=True, name=name)
    # Normalised once here and shared by every graph convolution wired to this block.
    return {"adjacency": GraphNormalization(name=f"{name}_norm")(adjacency)}


def _build_graph_convolution(params: Params, inputs: Mapping[str, Any], name: str) -> dict:
    from blocks.layers import GraphConvolution

    layer = GraphConvolution(
        params["units"], activation=activation(params["activation"]),
        use_bias=params["use_bias"], normalize=False, **regularizers(params), name=name)
    return {"out": layer(inputs["features"], inputs["adjacency"])}


register(BlockSpec(
    id="graph_input",
    title="Graph (adjacency)",
    category="Graph",
    doc="The graph's adjacency matrix, stored sparse and normalised once for all graph "
        "convolutions; node features come from an Input block with one row per node.",
    build=_build_graph_input,
    outputs=(Port("adjacency", kind="graph", doc="Normalised adjacency (N, N)"),),
    params=(Param("num_nodes", "int", None, "Number of nodes; empty means taken from the "
                  "dataset.", minimum=1, maximum=100_000_000, allow_none=True),),
    tags=frozenset({"source"}),
))

register(BlockSpec(
    id="graph_convolution",
    title="Graph Convolution",
    category="Graph",
    doc="Kipf & Welling GCN: each node mixes its neighbours' features, "
        "σ(D̂^-½ Â D̂^-½ H W + b).",
    build=_build_graph_convolution,
    inputs=(
        Port("features", doc="Node features (N, F), one row per node"),
        Port("adjacency", kind="graph", doc="Adjacency from a Graph block"),
    ),
    outputs=(Port("out", doc="New node features (N, units)"),),
    params=(
        Param("units", "int", 16, "Number of output features per node.",
              minimum=1, maximum=65536),
        Param("activation", "choice", "relu", "Non-linearity applied to the output.",
              choices=ACTIVATIONS),
        Param("use_bias", "bool", True, "Add a learned bias to each output feature."),
        *REGULARIZATION_WITH_BIAS,
    ),
    version=2,
    migrate=add_regularization(with_bias=True),
))
