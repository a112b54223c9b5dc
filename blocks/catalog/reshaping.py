"""Blocks that change a tensor's layout, not its values."""

from __future__ import annotations

from blocks.builders import IN, OUT, single
from blocks.registry import register
from blocks.spec import BlockSpec, Param


def _layers():
    import keras

    return keras.layers


register(BlockSpec(
    id="flatten",
    title="Flatten",
    category="Reshaping",
    doc="Turns each sample into one long vector, e.g. before a Dense classifier.",
    build=single(lambda p, name: _layers().Flatten(name=name)),
    inputs=IN,
    outputs=OUT,
))

register(BlockSpec(
    id="reshape",
    title="Reshape",
    category="Reshaping",
    doc="Rearranges each sample into a new shape with the same number of values.",
    build=single(lambda p, name: _layers().Reshape(tuple(p["target_shape"]), name=name)),
    inputs=IN,
    outputs=OUT,
    params=(Param("target_shape", "shape", (4, 4, 1), "New shape of one sample, without the "
                  "batch axis.", min_length=1, maximum=10_000_000),),
))

register(BlockSpec(
    id="upsampling2d",
    title="UpSampling2D",
    category="Reshaping",
    doc="Enlarges an image by repeating (or interpolating) its pixels.",
    build=single(lambda p, name: _layers().UpSampling2D(
        size=p["size"], interpolation=p["interpolation"], name=name)),
    inputs=IN,
    outputs=OUT,
    params=(
        Param("size", "int", 2, "Factor by which height and width grow.",
              minimum=1, maximum=64),
        Param("interpolation", "choice", "nearest", "How new pixels are filled in.",
              choices=("nearest", "bilinear")),
    ),
))
