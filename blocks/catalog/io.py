"""Where data enters and leaves a model: Input and Output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blocks.builders import IN, OUT, SINK_KEY
from blocks.registry import register
from blocks.spec import BlockSpec, KerasMapping, Param, Params

LOSSES: tuple[str, ...] = (
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
)


def _build_input(params: Params, inputs: Mapping[str, Any], name: str) -> dict[str, Any]:
    import keras

    return {"out": keras.Input(shape=tuple(params["shape"]), dtype=params["dtype"], name=name)}


def _build_output(params: Params, inputs: Mapping[str, Any], name: str) -> dict[str, Any]:
    import keras

    return {SINK_KEY: keras.layers.Identity(name=name)(inputs["in"])}


register(BlockSpec(
    id="input",
    title="Input",
    category="Input/Output",
    doc="Feeds one sample's features into the model; the batch axis is added for you.",
    build=_build_input,
    outputs=OUT,
    params=(
        Param("shape", "shape", (16,), "Shape of one sample, without the batch axis; "
              "leave a dimension empty (None) for variable length.",
              allow_none=True, min_length=1, maximum=10_000_000),
        Param("dtype", "choice", "float32", "Element type: float32 for features, int32 for "
              "token ids fed to an Embedding, string for raw text fed to a Text "
              "Vectorization block (shape (1,): one text per sample).",
              choices=("float32", "int32", "string")),
    ),
    tags=frozenset({"source"}),
    keras=KerasMapping(("InputLayer",), params=lambda c, n: {
        "shape": tuple(c["batch_shape"][1:]), "dtype": _input_dtype(c)},
        accepts=lambda c, where: not c.get("sparse") and where == "input"),
))

register(BlockSpec(
    id="output",
    title="Output",
    category="Input/Output",
    doc="Marks a model output and names the loss it is trained with.",
    build=_build_output,
    inputs=IN,
    outputs=(),
    params=(
        Param("loss", "choice", "sparse_categorical_crossentropy",
              "Loss minimised for this output: sparse categorical for integer class labels, "
              "categorical for one-hot labels, binary for yes/no, the others for regression.",
              choices=LOSSES),
        Param("from_logits", "bool", False,
              "Tick when the block before has no softmax/sigmoid (raw scores)."),
    ),
    tags=frozenset({"sink"}),
    keras=KerasMapping(("Identity",), accepts=lambda c, where: where == "output"),
))


def _input_dtype(config: Mapping[str, Any]) -> str:
    """An InputLayer's element type as its config saves it (a name or a dtype policy)."""
    dtype = config.get("dtype", "float32")
    if isinstance(dtype, Mapping):
        dtype = (dtype.get("config") or {}).get("name", "float32")
    return str(dtype)
