"""Blocks that mark the two halves of a GAN drawn on one canvas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blocks.builders import IN, OUT, SINK_KEY
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param, Params


def _build_latent_noise(params: Params, inputs: Mapping[str, Any], name: str) -> dict:
    import keras

    return {"out": keras.Input(shape=(params["latent_dim"],), name=name)}


def _build_marker(params: Params, inputs: Mapping[str, Any], name: str) -> dict:
    import keras

    return {SINK_KEY: keras.layers.Identity(name=name)(inputs["in"])}


register(BlockSpec(
    id="latent_noise",
    title="Latent Noise",
    category="GAN",
    doc="The generator's input: random normal vectors, drawn fresh each training step.",
    build=_build_latent_noise,
    outputs=OUT,
    params=(Param("latent_dim", "int", 100, "Length of each noise vector.",
                  minimum=1, maximum=65536),),
    tags=frozenset({"source"}),
    keras=KerasMapping(("InputLayer",), params=lambda c, n: {"latent_dim": c["batch_shape"][1]},
                       accepts=lambda c, where: where == "generator input"),
))

register(BlockSpec(
    id="generator_output",
    title="Generator Output",
    category="GAN",
    doc="Ends the generator: its shape must equal the data's (and the discriminator's input).",
    build=_build_marker,
    inputs=IN,
    outputs=(),
    tags=frozenset({"sink"}),
    keras=KerasMapping(("Identity",), accepts=lambda c, where: where == "generator output"),
))

register(BlockSpec(
    id="discriminator_output",
    title="Discriminator Output",
    category="GAN",
    doc="Ends the discriminator: one score per sample, real or generated.",
    build=_build_marker,
    inputs=IN,
    outputs=(),
    params=(Param("from_logits", "bool", True, "Tick when the block before has no sigmoid "
                  "(a raw score, the stable choice)."),),
    tags=frozenset({"sink"}),
    keras=KerasMapping(("Identity",),
                       accepts=lambda c, where: where == "discriminator output"),
))
