"""Declarative block specs: what a block is, its ports and parameters, how it builds.

A spec is pure data plus two callables (``build`` and ``migrate``), so the catalog can be
listed, validated and rendered in the inspector without importing TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

PortKind = Literal["tensor", "graph"]
PORT_KINDS: tuple[str, ...] = ("tensor", "graph")
ParamType = Literal["int", "float", "bool", "choice", "text", "shape"]
PARAM_TYPES: tuple[str, ...] = ("int", "float", "bool", "choice", "text", "shape")

# Shape entries may be None (a free dimension) where a spec allows it.
Shape = tuple[int | None, ...]


class ParamError(ValueError):
    """A parameter value that does not fit its spec; ``param`` names the parameter."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Port:
    """A named connection point; ``kind`` decides which ports a wire may join."""

    name: str
    kind: PortKind = "tensor"
    doc: str = ""
    optional: bool = False

    def __post_init__(self) -> None:
        if self.kind not in PORT_KINDS:
            raise ValueError(f"kind must be one of {PORT_KINDS}. Received: kind={self.kind!r}")


@dataclass(frozen=True)
class Param:
    """A typed, documented block parameter; the inspector and validation both read it."""

    name: str
    type: ParamType
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()  # strings for blocks; a dataset's may be whole numbers
    allow_none: bool = False  # for "shape": entries may be None; for others: value may be None
    min_length: int = 0  # for "shape"
    max_length: int = 8  # for "shape"
    # for "text" that holds a path: the file dialog's filter ("CSV (*.csv);;All files (*)"),
    # or ``folder`` for a folder; editors then offer to browse for it
    file_filter: str = ""
    folder: bool = False
    # what editors show instead of the name ("Label column"), and instead of each choice
    # ("0 to 1" for "unit"); ``none_title`` names the empty choice of an ``allow_none``
    # choice ("As stored"). Empty: the name, the choices and "automatic" as they are.
    title: str = ""
    choice_titles: tuple[str, ...] = ()
    none_title: str = ""

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"type must be one of {PARAM_TYPES}. Received: type={self.type!r}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"Parameter {self.name!r} of type 'choice' needs choices.")
        if (self.file_filter or self.folder) and self.type != "text":
            raise ValueError(f"Parameter {self.name!r} holds a path, so its type is 'text'.")
        if self.choice_titles and len(self.choice_titles) != len(self.choices):
            raise ValueError(f"Parameter {self.name!r} has {len(self.choices)} choices but "
                             f"{len(self.choice_titles)} choice titles.")
        self.coerce(self.default)  # a spec whose default is invalid is a programming error

    @property
    def is_path(self) -> bool:
        """A file or folder path: editors offer a file dialog for it."""
        return bool(self.file_filter or self.folder)

    def coerce(self, value: Any) -> Any:
        """Return ``value`` in this parameter's canonical form, or raise ParamError.

        Canonical forms are JSON-friendly (lists become tuples only for shapes), so a
        coerced value saves and loads unchanged.
        """
        if value is None and self.allow_none and self.type != "shape":
            return None
        kind = self.type
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise self._error(value, "must be true or false")
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._error(value, "must be a whole number")
            if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
                raise self._error(value, "must be a whole number")
            value = self._check_range(int(value))
            if abs(value) > 2**53:
                raise self._error(value, "is too large")
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._error(value, "must be a number")
            if (isinstance(value, int) and abs(value) > 2**53) or not math.isfinite(value):
                raise self._error(value, "must be a finite number of sensible size")
            return self._check_range(float(value))
        if kind == "choice":
            for choice in self.choices:  # the choice itself: 3 for 3.0, but never for True
                if choice == value and isinstance(choice, bool) == isinstance(value, bool):
                    return choice
            options = ", ".join(repr(c) for c in self.choices)
            raise self._error(value, f"must be one of {options}")
        if kind == "text":
            if not isinstance(value, str):
                raise self._error(value, "must be text")
            return value
        return self._coerce_shape(value)

    def _coerce_shape(self, value: Any) -> Shape:
        if isinstance(value, str):
            value = parse_shape(value)
        if not isinstance(value, list | tuple):
            raise self._error(value, "must be a list of dimensions such as [28, 28, 1]")
        if not self.min_length <= len(value) <= self.max_length:
            raise self._error(
                value, f"must have between {self.min_length} and {self.max_length} dimensions"
            )
        dims: list[int | None] = []
        for dim in value:
            if dim is None and self.allow_none:
                dims.append(None)
            elif isinstance(dim, int) and not isinstance(dim, bool) and dim >= 1:
                if self.maximum is not None and dim > self.maximum:
                    raise self._error(value, f"dimensions must be at most {int(self.maximum)}")
                dims.append(dim)
            else:
                free = " or empty" if self.allow_none else ""
                raise self._error(value, f"dimensions must be positive whole numbers{free}")
        return tuple(dims)

    def _check_range(self, value: float) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise self._error(value, f"must be at least {_fmt(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise self._error(value, f"must be at most {_fmt(self.maximum)}")
        return value

    def _error(self, value: Any, why: str) -> ParamError:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return ParamError(self.name, f"{self.name} {why}. Received: {self.name}={shown}")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def parse_shape(text: str) -> tuple[int | None, ...] | str:
    """Parse ``"28, 28, 1"`` or ``"(None, 16)"``; return the text unchanged if it is not one."""
    cleaned = text.strip().strip("()[]").strip()
    if not cleaned:
        return ()
    dims: list[int | None] = []
    for part in cleaned.split(","):
        part = part.strip()
        if part == "":
            continue
        if part.lower() in ("none", "?", "-"):
            dims.append(None)
        elif part.isascii() and part.isdigit():
            dims.append(int(part))
        else:
            return text
    return tuple(dims)


def format_shape(shape: Sequence[int | None] | None) -> str:
    """Keras-style shape text, e.g. ``(None, 10, 16)``."""
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


Params = Mapping[str, Any]
# build(params, inputs by port name, layer name) -> outputs by port name
BuildFn = Callable[[Params, Mapping[str, Any], str], Mapping[str, Any]]
# probe(layer, inputs by port, outputs by port) -> attention weights, for the dashboard
ProbeFn = Callable[[Any, Mapping[str, Any], Mapping[str, Any]], Any]
# migrate(from_version, params) -> params of from_version + 1
MigrateFn = Callable[[int, dict[str, Any]], dict[str, Any]]
PortsFn = Callable[[Params], tuple[Port, ...]]
# params from a Keras layer's config (and the number of tensors it was called on)
KerasParamsFn = Callable[[Mapping[str, Any], int], dict[str, Any]]
# whether a block stands for a layer: (its config, where it sits: "output", "input",
# "generator input", "" elsewhere)
KerasAcceptsFn = Callable[[Mapping[str, Any], str], bool]


class KerasMappingError(ValueError):
    """A Keras layer config a block cannot stand for (a non-square kernel, say)."""


@dataclass(frozen=True)
class KerasMapping:
    """How an existing Keras layer becomes this block when a ``.keras`` model is imported.

    ``classes`` are the layer classes the block builds, as a ``.keras`` file names them
    (``Dense``, or the registered name ``deepwire>SimpleAttention`` for Deepwire's own).
    The parameters of the same name are read from the layer's config (``keras_params``);
    ``params`` returns those it reads differently (``kernel_size`` [3, 3] as 3, the
    penalties from the regularizers), which win. ``ports`` names the input port each
    positional tensor of the call feeds, given how many there are; None: the input ports
    in order. ``accepts`` picks between blocks that build the same class (an Identity at
    a model output is an Output block). ``helpers`` are the classes of the layers the block
    builds after its main one (``<id>_norm``): they are taken into the block, and the last
    one's outputs are the block's.
    """

    classes: tuple[str, ...]
    params: KerasParamsFn | None = None
    ports: Callable[[int], tuple[str, ...]] | None = None
    accepts: KerasAcceptsFn | None = None
    helpers: tuple[str, ...] = ()


def keras_params(spec: BlockSpec, config: Mapping[str, Any], inputs: int) -> dict[str, Any]:
    """The block's parameters found under the same names in a layer's config (a merge
    block's ``num_inputs`` from the tensors it was called on); the rest keep defaults."""
    params = {p.name: config[p.name] for p in spec.params if p.name in config}
    if "num_inputs" in {p.name for p in spec.params}:
        params["num_inputs"] = inputs
    return params


@dataclass(frozen=True)
class BlockSpec:
    """Everything Deepwire knows about one block type, declared in one place.

    ``inputs`` may be a function of the parameters for blocks whose port count is a
    parameter (e.g. Concatenate's ``num_inputs``). ``build`` creates the Keras layer(s)
    named after the node (the main one exactly so, helpers as ``<name>_<suffix>``) and
    applies them; it runs only when TensorFlow is wanted. ``probe``, for attention blocks,
    returns the attention weights from the built layer so the dashboard can show them.
    ``keras`` says which Keras layers the block stands for when a model is imported.
    """

    id: str
    title: str
    category: str
    doc: str
    build: BuildFn
    inputs: tuple[Port, ...] | PortsFn = ()
    outputs: tuple[Port, ...] = (Port("out"),)
    params: tuple[Param, ...] = ()
    version: int = 1
    migrate: MigrateFn | None = None
    probe: ProbeFn | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
    keras: KerasMapping | None = None

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"Block {self.id!r} declares a parameter twice: {names}")
        if self.version < 1:
            raise ValueError(f"version must be positive. Received: version={self.version}")
        if self.version > 1 and self.migrate is None:
            raise ValueError(f"Block {self.id!r} has version {self.version} but no migrate.")

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"Block {self.id!r} has no parameter {name!r}")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def input_ports(self, params: Params | None = None) -> tuple[Port, ...]:
        if callable(self.inputs):
            return self.inputs({**self.defaults(), **(params or {})})
        return self.inputs

    def output_ports(self) -> tuple[Port, ...]:
        return self.outputs

    def resolve(self, params: Params) -> dict[str, Any]:
        """Defaults overlaid with ``params``, each coerced; unknown names raise ParamError."""
        unknown = sorted(set(params) - {p.name for p in self.params})
        if unknown:
            raise ParamError(unknown[0], f"Block {self.id!r} has no parameter {unknown[0]!r}")
        values = self.defaults()
        for p in self.params:
            if p.name in params:
                values[p.name] = p.coerce(params[p.name])
        return values

    def params_from_keras(self, config: Mapping[str, Any], inputs: int) -> dict[str, Any]:
        """Parameters for a layer with this ``config`` called on ``inputs`` tensors."""
        found = keras_params(self, config, inputs)
        if self.keras is not None and self.keras.params is not None:
            found.update(self.keras.params(config, inputs))
        return found

    def upgrade(self, version: int, params: dict[str, Any]) -> dict[str, Any]:
        """Migrate parameters saved by ``version`` of this block to the current version."""
        if version > self.version:
            raise ValueError(
                f"Block {self.id!r} version {version} is newer than this Deepwire knows "
                f"(version {self.version}); update Deepwire to open it."
            )
        if version < 1:
            raise ValueError(f"Block {self.id!r} version must be positive. Received: {version}")
        current = dict(params)
        while version < self.version:
            assert self.migrate is not None
            current = self.migrate(version, current)
            version += 1
        return current
