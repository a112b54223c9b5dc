"""Core layers: Dense, Activation, Dropout and the normalisations."""

from __future__ import annotations

from blocks.builders import (
    ACTIVATIONS,
    IN,
    OUT,
    REGULARIZATION_WITH_BIAS,
    activation,
    add_regularization,
    added_params,
    penalties_from_keras,
    regularizers,
    single,
)
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param


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
    keras=KerasMapping(("Dense",), params=lambda c, n: penalties_from_keras(c)),
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
    keras=KerasMapping(("Activation",)),
))

register(BlockSpec(
    id="relu",
    title="ReLU",
    category="Core",
    doc="Rectified linear unit with options: a ceiling (ReLU6 of MobileNet caps at 6), a "
        "slope below the threshold (leaky) and a threshold; max(x, 0) by default.",
    build=single(lambda p, name: _layers().ReLU(
        max_value=p["max_value"], negative_slope=p["negative_slope"],
        threshold=p["threshold"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("max_value", "float", None, "Largest output (6 for ReLU6); empty for none.",
              minimum=0.0, maximum=1e9, allow_none=True, title="Ceiling",
              none_title="None"),
        Param("negative_slope", "float", 0.0, "Slope below the threshold; 0 is the plain "
              "ReLU, 0.01 to 0.3 a leaky one.", minimum=0.0, maximum=1.0),
        Param("threshold", "float", 0.0, "Inputs below it give the negative slope's value.",
              minimum=-1e9, maximum=1e9),
    ),
    keras=KerasMapping(("ReLU",)),
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
    keras=KerasMapping(("Dropout",)),
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
    keras=KerasMapping(("LayerNormalization",)),
))

register(BlockSpec(
    id="batch_normalization",
    title="Batch Normalization",
    category="Normalization",
    doc="Normalises each feature over the batch; speeds up training of deep CNNs.",
    build=single(lambda p, name: _layers().BatchNormalization(
        axis=p["axis"], momentum=p["momentum"], epsilon=p["epsilon"], center=p["center"],
        scale=p["scale"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("momentum", "float", 0.99, "Momentum of the running mean and variance.",
              minimum=0.0, maximum=1.0),
        Param("epsilon", "float", 1e-3, "Small constant that avoids division by zero.",
              minimum=0.0, maximum=1.0),
        Param("axis", "int", -1, "The features' axis: -1 is the last (channels of an "
              "image); an imported ResNet says 3, the same for images.",
              minimum=-8, maximum=8),
        Param("center", "bool", True, "Learn a shift (beta) added after normalising."),
        Param("scale", "bool", True, "Learn a scale (gamma) applied after normalising."),
    ),
    version=2,
    migrate=added_params({2: {"axis": -1, "center": True, "scale": True}}),
    keras=KerasMapping(("BatchNormalization",)),
))
