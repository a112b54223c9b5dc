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
    regularizers,
    single,
)
from blocks.registry import register
from blocks.spec import BlockSpec, Param


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
            activation=activation(p["activation"]), **regularizers(p), name=name)),
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
            *REGULARIZATION_WITH_BIAS,
        ),
        version=2,
        migrate=add_regularization(with_bias=True),
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
