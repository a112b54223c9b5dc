"""Convolution and pooling blocks, 1-D (sequences) and 2-D (images)."""

from __future__ import annotations

from blocks.builders import (
    ACTIVATIONS,
    IN,
    OUT,
    PADDINGS,
    REGULARIZATION_WITH_BIAS,
    activation,
    add_regularization,
    added_params,
    regularizers,
    single,
    sized_from_keras,
)
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param

USE_BIAS = Param("use_bias", "bool", True, "Add a learned bias to each output channel "
                 "(off before a Batch Normalization, which adds its own shift).")


def _layer(class_name: str):
    import keras

    return getattr(keras.layers, class_name)


def _conv(block_id: str, title: str, class_name: str, doc: str) -> BlockSpec:
    return BlockSpec(
        id=block_id,
        title=title,
        category="Convolution",
        doc=doc,
        build=single(lambda p, name: _layer(class_name)(
            p["filters"], p["kernel_size"], strides=p["strides"], padding=p["padding"],
            activation=activation(p["activation"]), use_bias=p["use_bias"],
            **regularizers(p), name=name)),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("filters", "int", 32, "Number of output channels.", minimum=1, maximum=65536),
            Param("kernel_size", "int", 3, "Width of the (square) convolution window.",
                  minimum=1, maximum=1024),
            Param("strides", "int", 1, "Step between windows; 2 halves (or, transposed, "
                  "doubles) the size.", minimum=1, maximum=1024),
            Param("padding", "choice", "same", "'same' keeps the size (at stride 1), "
                  "'valid' uses only full windows.", choices=PADDINGS),
            Param("activation", "choice", "relu", "Non-linearity applied to the output.",
                  choices=ACTIVATIONS),
            USE_BIAS,
            *REGULARIZATION_WITH_BIAS,
        ),
        version=3,
        migrate=added_params({3: {"use_bias": True}}, add_regularization(with_bias=True)),
        keras=KerasMapping((class_name,), params=sized_from_keras("kernel_size", "strides")),
    )


def _pool(block_id: str, title: str, class_name: str, doc: str) -> BlockSpec:
    return BlockSpec(
        id=block_id,
        title=title,
        category="Pooling",
        doc=doc,
        build=single(lambda p, name: _layer(class_name)(
            pool_size=p["pool_size"], strides=p["strides"] or None, padding=p["padding"],
            name=name)),
        inputs=IN,
        outputs=OUT,
        params=(
            Param("pool_size", "int", 2, "Width of the (square) pooling window.",
                  minimum=1, maximum=1024),
            Param("strides", "int", 0, "Step between windows; 0 means the pool size.",
                  minimum=0, maximum=1024),
            Param("padding", "choice", "valid", "'valid' drops a partial window at the edge, "
                  "'same' pads to keep it.", choices=PADDINGS),
        ),
        keras=KerasMapping((class_name,), params=sized_from_keras(
            "pool_size", "strides", penalties=False)),
    )


def _global_pool(block_id: str, title: str, class_name: str, doc: str) -> BlockSpec:
    return BlockSpec(
        id=block_id,
        title=title,
        category="Pooling",
        doc=doc,
        build=single(lambda p, name: _layer(class_name)(name=name)),
        inputs=IN,
        outputs=OUT,
        keras=KerasMapping((class_name,)),
    )


register(_conv("conv1d", "Conv1D", "Conv1D",
               "Slides learned filters along a sequence (B, steps, channels)."))
register(_conv("conv2d", "Conv2D", "Conv2D",
               "Slides learned filters over an image (B, height, width, channels)."))
register(_conv("conv2d_transpose", "Conv2D Transpose", "Conv2DTranspose",
               "Learned upsampling of an image; generators use it to grow their output."))
register(_pool("max_pooling1d", "MaxPooling1D", "MaxPooling1D",
               "Keeps the largest value in each window along a sequence."))
register(_pool("max_pooling2d", "MaxPooling2D", "MaxPooling2D",
               "Keeps the largest value in each window of an image."))
register(_pool("average_pooling1d", "AveragePooling1D", "AveragePooling1D",
               "Averages each window along a sequence."))
register(_pool("average_pooling2d", "AveragePooling2D", "AveragePooling2D",
               "Averages each window of an image."))
register(_global_pool("global_average_pooling1d", "GlobalAveragePooling1D",
                      "GlobalAveragePooling1D",
                      "Averages over all steps of a sequence: (B, T, C) to (B, C)."))
register(_global_pool("global_average_pooling2d", "GlobalAveragePooling2D",
                      "GlobalAveragePooling2D",
                      "Averages over the whole image: (B, H, W, C) to (B, C)."))
register(_global_pool("global_max_pooling1d", "GlobalMaxPooling1D", "GlobalMaxPooling1D",
                      "Keeps the largest value of each channel over all steps: (B, T, C) to "
                      "(B, C)."))
register(_global_pool("global_max_pooling2d", "GlobalMaxPooling2D", "GlobalMaxPooling2D",
                      "Keeps the largest value of each channel over the whole image: "
                      "(B, H, W, C) to (B, C)."))

register(BlockSpec(
    id="depthwise_conv2d",
    title="DepthwiseConv2D",
    category="Convolution",
    doc="Filters each channel of an image on its own (no mixing across channels); with a "
        "1x1 Conv2D after it, the cheap separable convolution of MobileNet.",
    build=single(lambda p, name: _layer("DepthwiseConv2D")(
        p["kernel_size"], strides=p["strides"], padding=p["padding"],
        depth_multiplier=p["depth_multiplier"], activation=activation(p["activation"]),
        use_bias=p["use_bias"], **regularizers(p, "depthwise_regularizer"), name=name)),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("kernel_size", "int", 3, "Width of the (square) window.",
              minimum=1, maximum=1024),
        Param("strides", "int", 1, "Step between windows; 2 halves the size.",
              minimum=1, maximum=1024),
        Param("padding", "choice", "same", "'same' keeps the size (at stride 1), "
              "'valid' uses only full windows.", choices=PADDINGS),
        Param("depth_multiplier", "int", 1, "Output channels made from each input channel.",
              minimum=1, maximum=1024),
        Param("activation", "choice", "linear", "Non-linearity applied to the output.",
              choices=ACTIVATIONS),
        USE_BIAS,
        *REGULARIZATION_WITH_BIAS,
    ),
    keras=KerasMapping(("DepthwiseConv2D",), params=sized_from_keras(
        "kernel_size", "strides", kernel="depthwise_regularizer")),
))
