"""The article's attention blocks, done right (see docs/architecture.md, Blocks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blocks.builders import (
    REGULARIZATION_WITH_BIAS,
    add_regularization,
    penalties_from_keras,
    regularizers,
)
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param, Params, Port


def _build_simple_attention(params: Params, inputs: Mapping[str, Any], name: str) -> dict:
    from blocks.layers import SimpleAttention

    layer = SimpleAttention(params["units"], **regularizers(params), name=name)
    if "query" in inputs:
        context, weights = layer(inputs["query"], inputs["values"])
    else:
        context, weights = layer(inputs["values"])
    return {"context": context, "weights": weights}


def _build_multi_head_attention(params: Params, inputs: Mapping[str, Any], name: str) -> dict:
    from blocks.layers import MultiHeadAttention

    layer = MultiHeadAttention(
        params["d_model"], params["num_heads"], dropout=params["dropout"],
        causal=params["causal"], **regularizers(params), name=name)
    # The weights come out of the same call: a second call of a Keras attention layer
    # with return_attention_scores cannot join the functional graph.
    out, weights = layer(*_value_key_query(inputs), return_attention_scores=True)
    return {"out": out, "weights": weights}


def _value_key_query(inputs: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """Unwired value defaults to the query (self-attention), unwired key to the value."""
    query = inputs["query"]
    value = inputs.get("value", query)
    return value, inputs.get("key", value), query


def _probe_weights_port(layer: Any, inputs: Mapping[str, Any], outputs: Mapping[str, Any]):
    return outputs["weights"]


register(BlockSpec(
    id="simple_attention",
    title="Attention (additive)",
    category="Attention",
    doc="Bahdanau attention: weighs the steps of a sequence by relevance to a query and "
        "sums them; without a query it learns one.",
    build=_build_simple_attention,
    inputs=(
        Port("values", doc="Sequence to attend over (B, T, F)"),
        Port("query", doc="What to look for (B, Fq); optional", optional=True),
    ),
    outputs=(
        Port("context", doc="Weighted sum of the values (B, F)"),
        Port("weights", doc="Attention over the steps (B, T), summing to 1"),
    ),
    params=(Param("units", "int", 32, "Size of the hidden scoring layer.",
                  minimum=1, maximum=65536),
            *REGULARIZATION_WITH_BIAS),
    version=2,
    migrate=add_regularization(with_bias=True),
    probe=_probe_weights_port,
    tags=frozenset({"attention"}),
    # called as layer(values) without a query, layer(query, values) with one
    keras=KerasMapping(("deepwire>SimpleAttention",),
                       params=lambda c, n: penalties_from_keras(c),
                       ports=lambda n: ("values",) if n == 1 else ("query", "values")),
))

register(BlockSpec(
    id="multi_head_attention",
    title="Multi-Head Attention",
    category="Attention",
    doc="Scaled dot-product attention in several heads, as in the Transformer; connect "
        "only the query for self-attention.",
    build=_build_multi_head_attention,
    inputs=(
        Port("query", doc="Sequence that asks (B, Tq, F)"),
        Port("value", doc="Sequence attended to (B, Tk, F); defaults to the query",
             optional=True),
        Port("key", doc="Keys matched against the query; defaults to the value",
             optional=True),
    ),
    outputs=(
        Port("out", doc="Attended sequence (B, Tq, d_model)"),
        Port("weights", doc="Attention weights per head (B, heads, Tq, Tk)"),
    ),
    params=(
        Param("d_model", "int", 64, "Width of the output; split evenly across the heads.",
              minimum=1, maximum=65536),
        Param("num_heads", "int", 4, "Number of attention heads; must divide d_model.",
              minimum=1, maximum=1024),
        Param("dropout", "float", 0.0, "Dropout on the attention weights while training.",
              minimum=0.0, maximum=0.99),
        Param("causal", "bool", False, "Let each step attend only to earlier steps "
              "(for generating sequences)."),
        *REGULARIZATION_WITH_BIAS,
    ),
    version=2,
    migrate=add_regularization(with_bias=True),
    probe=_probe_weights_port,
    tags=frozenset({"attention"}),
    keras=KerasMapping(("deepwire>MultiHeadAttention",),
                       params=lambda c, n: penalties_from_keras(c),
                       ports=lambda n: ("value", "key", "query")[:n]),
))
