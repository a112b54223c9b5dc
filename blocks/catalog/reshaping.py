"""Blocks that change a tensor's layout, not its values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blocks.builders import IN, OUT, first, single
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param


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
    keras=KerasMapping(("Flatten",)),
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
    keras=KerasMapping(("Reshape",)),
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
    keras=KerasMapping(("UpSampling2D",), params=lambda c, n: {"size": first(c["size"])}),
))


def _padding_from_keras(config: Mapping[str, Any], inputs: int) -> dict[str, Any]:
    (top, bottom), (left, right) = config["padding"]
    return {"top": top, "bottom": bottom, "left": left, "right": right}


def _edge(name: str) -> Param:
    return Param(name, "int", 1, f"Rows or columns of zeros added at the {name}.",
                 minimum=0, maximum=4096)


register(BlockSpec(
    id="zero_padding2d",
    title="ZeroPadding2D",
    category="Reshaping",
    doc="Adds rows and columns of zeros around an image, e.g. so a strided 'valid' "
        "convolution covers the edge (ResNet and MobileNet pad before theirs).",
    build=single(lambda p, name: _layers().ZeroPadding2D(
        ((p["top"], p["bottom"]), (p["left"], p["right"])), name=name)),
    inputs=IN,
    outputs=OUT,
    params=(_edge("top"), _edge("bottom"), _edge("left"), _edge("right")),
    keras=KerasMapping(("ZeroPadding2D",), params=_padding_from_keras),
))
