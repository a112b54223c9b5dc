"""Core layers: Dense, Activation, Dropout and the normalisations."""

from __future__ import annotations

from blocks.builders import (
    ACTIVATIONS,
    IN,
    OUT,
    REGULARIZATION_WITH_BIAS,
    activation,
    add_regularization,
    regularizers,
    single,
)
from blocks.registry import register
from blocks.spec import BlockSpec, Param


def _layers():
    import keras

    return keras.layers


register(BlockSpec(
    id="dense",
    title="Dense",
    category="Core",
    doc="Fully connected layer: every output unit sees every input feature.",
    build=single(lambda p, name: _layers().Dense(
        p["units"], activation=activation(p["activation"]), use_bias=p["use_bias"],
        **regularizers(p), name=name)),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("units", "int", 64, "Number of output features.", minimum=1, maximum=1_000_000),
        Param("activation", "choice", "relu", "Non-linearity applied to the output.",
              choices=ACTIVATIONS),
        Param("use_bias", "bool", True, "Add a learned bias to each output unit."),
        *REGULARIZATION_WITH_BIAS,
    ),
    version=2,
    migrate=add_regularization(with_bias=True),
))

register(BlockSpec(
    id="activation",
    title="Activation",
    category="Core",
    doc="Applies a non-linearity element-wise.",
    build=single(lambda p, name: _layers().Activation(p["activation"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(Param("activation", "choice", "relu", "The function to apply.",
                  choices=ACTIVATIONS),),
))

register(BlockSpec(
    id="dropout",
    title="Dropout",
    category="Core",
    doc="Randomly zeroes a fraction of inputs during training to fight overfitting.",
    build=single(lambda p, name: _layers().Dropout(p["rate"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(Param("rate", "float", 0.1, "Fraction of inputs to drop while training.",
                  minimum=0.0, maximum=0.99),),
))

register(BlockSpec(
    id="layer_normalization",
    title="Layer Normalization",
    category="Normalization",
    doc="Normalises each sample over its last axis; the usual choice in transformers.",
    build=single(lambda p, name: _layers().LayerNormalization(epsilon=p["epsilon"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(Param("epsilon", "float", 1e-6, "Small constant that avoids division by zero.",
                  minimum=0.0, maximum=1.0),),
))

register(BlockSpec(
    id="batch_normalization",
    title="Batch Normalization",
    category="Normalization",
    doc="Normalises each feature over the batch; speeds up training of deep CNNs.",
    build=single(lambda p, name: _layers().BatchNormalization(
        momentum=p["momentum"], epsilon=p["epsilon"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("momentum", "float", 0.99, "Momentum of the running mean and variance.",
              minimum=0.0, maximum=1.0),
        Param("epsilon", "float", 1e-3, "Small constant that avoids division by zero.",
              minimum=0.0, maximum=1.0),
    ),
))
