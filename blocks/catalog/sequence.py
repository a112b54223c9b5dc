"""Blocks for sequences: embeddings, positions and recurrent layers."""

from __future__ import annotations

from blocks.builders import (
    IN,
    OUT,
    REGULARIZATION,
    REGULARIZATION_WITH_BIAS,
    add_regularization,
    penalties_from_keras,
    regularizer,
    regularizers,
    single,
)
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param


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
        keras=KerasMapping((class_name,), params=lambda c, n: penalties_from_keras(c)),
    )


STANDARDIZE: tuple[str, ...] = ("lower_and_strip_punctuation", "lower", "strip_punctuation",
                                 "none")


def _text_vectorization(p, name: str):
    return _layers().TextVectorization(
        max_tokens=p["max_tokens"], standardize=None if p["standardize"] == "none"
        else p["standardize"], split=p["split"], ngrams=p["ngrams"],
        output_mode="int", output_sequence_length=p["output_sequence_length"], name=name)


register(BlockSpec(
    id="text_vectorization",
    title="Text Vectorization",
    category="Sequence",
    doc="Turns raw text into token ids: one string per sample to (B, L) integers, 0 for "
        "padding and 1 for words outside the vocabulary. Its vocabulary is learned from the "
        "training texts before training and saved with the model.",
    build=single(_text_vectorization),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("max_tokens", "int", 10_000, "Vocabulary size, padding and the unknown token "
              "included: token ids run from 0 to this - 1 (an Embedding after it needs at "
              "least as many).", minimum=3, maximum=10_000_000, title="Vocabulary size"),
        Param("output_sequence_length", "int", 64, "Tokens per text: longer texts are cut, "
              "shorter ones padded with 0 (the dataset preview shows the length "
              "percentiles).", minimum=1, maximum=100_000, title="Sequence length"),
        Param("standardize", "choice", "lower_and_strip_punctuation", "How texts are "
              "cleaned before they are split.", choices=STANDARDIZE,
              choice_titles=("Lower case, no punctuation", "Lower case",
                             "No punctuation", "As written"), title="Standardisation"),
        Param("split", "choice", "whitespace", "Tokens are words (split on whitespace) or "
              "single characters.", choices=("whitespace", "character"),
              choice_titles=("Words", "Characters"), title="Split"),
        Param("ngrams", "int", None, "Also count runs of up to this many tokens as tokens "
              "(2: pairs of words); empty for single tokens.", minimum=2, maximum=5,
              allow_none=True, title="N-grams", none_title="Single tokens"),
    ),
    keras=KerasMapping(("TextVectorization",), params=lambda c, n: {
        "standardize": c.get("standardize") or "none"}),
))

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
    keras=KerasMapping(("Embedding",), params=lambda c, n: penalties_from_keras(
        c, "embeddings_regularizer", bias=None)),
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
    keras=KerasMapping(("deepwire>PositionEmbedding",), params=lambda c, n: (
        penalties_from_keras(c, "regularizer", bias=None))),
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
    keras=KerasMapping(("deepwire>SinusoidalPositionEmbedding",)),
))

register(_recurrent("lstm", "LSTM", "LSTM",
                    "Long short-term memory: a recurrent layer that remembers over long spans."))
register(_recurrent("gru", "GRU", "GRU",
                    "Gated recurrent unit: a lighter recurrent layer than the LSTM."))
