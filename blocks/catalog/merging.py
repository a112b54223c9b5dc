"""Blocks that combine several tensors into one."""

from __future__ import annotations

from blocks.builders import OUT, merged, numbered_inputs
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param


def _layers():
    import keras

    return keras.layers


def _num_inputs() -> Param:
    return Param("num_inputs", "int", 2, "How many tensors to combine (one port each).",
                 minimum=2, maximum=8)


register(BlockSpec(
    id="add",
    title="Add",
    category="Merging",
    doc="Element-wise sum of same-shaped tensors; forms residual connections.",
    build=merged(lambda p, name: _layers().Add(name=name)),
    inputs=numbered_inputs,
    outputs=OUT,
    params=(_num_inputs(),),
    keras=KerasMapping(("Add",)),
))

register(BlockSpec(
    id="multiply",
    title="Multiply",
    category="Merging",
    doc="Element-wise product of same-shaped tensors, e.g. for gating.",
    build=merged(lambda p, name: _layers().Multiply(name=name)),
    inputs=numbered_inputs,
    outputs=OUT,
    params=(_num_inputs(),),
    keras=KerasMapping(("Multiply",)),
))

register(BlockSpec(
    id="concatenate",
    title="Concatenate",
    category="Merging",
    doc="Joins tensors along one axis (by default the features).",
    build=merged(lambda p, name: _layers().Concatenate(axis=p["axis"], name=name)),
    inputs=numbered_inputs,
    outputs=OUT,
    params=(
        _num_inputs(),
        Param("axis", "int", -1, "Axis to join along; -1 is the last (features).",
              minimum=-8, maximum=8),
    ),
    keras=KerasMapping(("Concatenate",)),
))
