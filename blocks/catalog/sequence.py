"""Blocks for sequences: embeddings, positions and recurrent layers."""

from __future__ import annotations

from blocks.builders import (
    IN,
    OUT,
    REGULARIZATION,
    REGULARIZATION_WITH_BIAS,
    add_regularization,
    regularizer,
    regularizers,
    single,
)
from blocks.registry import register
from blocks.spec import BlockSpec, Param


def _layers():
    import keras

    return keras.layers


def _deepwire_layers():
    import blocks.layers

    return blocks.layers


def _recurrent(block_id: str, title: str, class_name: str, doc: str) -> BlockSpec:
    return BlockSpec(
        id=block_id,
        title=title,
        category="Sequence",
        doc=doc,
        build=single(lambda p, name: getattr(_layers(), class_name)(
            p["units"], return_sequences=p["return_sequences"], dropout=p["dropout"],
            **regularizers(p), recurrent_regularizer=regularizer(p), name=name)),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("units", "int", 64, "Size of the hidden state.", minimum=1, maximum=65536),
            Param("return_sequences", "bool", False, "Output every step (B, T, units) "
                  "instead of only the last (B, units)."),
            Param("dropout", "float", 0.0, "Fraction of inputs dropped while training.",
                  minimum=0.0, maximum=0.99),
            *REGULARIZATION_WITH_BIAS,
        ),
        version=2,
        migrate=add_regularization(with_bias=True),
    )


register(BlockSpec(
    id="embedding",
    title="Embedding",
    category="Sequence",
    doc="Maps integer token ids to learned vectors: (B, T) to (B, T, output_dim).",
    build=single(lambda p, name: _layers().Embedding(
        p["input_dim"], p["output_dim"], mask_zero=p["mask_zero"],
        **regularizers(p, "embeddings_regularizer", bias=None), name=name)),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("input_dim", "int", 1000, "Vocabulary size: token ids run from 0 to this - 1.",
              minimum=1, maximum=10_000_000),
        Param("output_dim", "int", 64, "Length of each token's vector.",
              minimum=1, maximum=65536),
        Param("mask_zero", "bool", False, "Treat id 0 as padding: later attention and "
              "recurrent blocks ignore those steps."),
        *REGULARIZATION,
    ),
    version=2,
    migrate=add_regularization(with_bias=False),
))

register(BlockSpec(
    id="position_embedding",
    title="Position Embedding (learned)",
    category="Sequence",
    doc="Adds a learned vector for each position, so attention knows the order of steps.",
    build=single(lambda p, name: _deepwire_layers().PositionEmbedding(
        p["max_length"], **regularizers(p, "regularizer", bias=None), name=name)),
    inputs=IN,
    outputs=OUT,
    params=(Param("max_length", "int", 128, "Longest sequence the block accepts.",
                  minimum=1, maximum=1_000_000),
            *REGULARIZATION),
    version=2,
    migrate=add_regularization(with_bias=False),
))

register(BlockSpec(
    id="sinusoidal_position_embedding",
    title="Position Embedding (sinusoidal)",
    category="Sequence",
    doc="Adds the fixed sine/cosine position code of the original Transformer; no weights.",
    build=single(lambda p, name: _deepwire_layers().SinusoidalPositionEmbedding(
        max_wavelength=p["max_wavelength"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(Param("max_wavelength", "float", 10000.0, "Longest wavelength of the code.",
                  minimum=1.0, maximum=1e9),),
))

register(_recurrent("lstm", "LSTM", "LSTM",
                    "Long short-term memory: a recurrent layer that remembers over long spans."))
register(_recurrent("gru", "GRU", "GRU",
                    "Gated recurrent unit: a lighter recurrent layer than the LSTM."))
