"""Live shape inference: every output port's shape and every block's parameter count.

Keras is the one source of truth (docs/architecture.md, Blocks): each block is built
symbolically from placeholders shaped like its inputs, and its shapes and weights are read off
the layers it made. Results are cached by (block, parameters, input signature), so after one
edit only the blocks whose inputs actually changed are rebuilt — the edited block and what
lies downstream of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from blocks.spec import format_shape
from projects import keras_compat
from projects.document import Project
from projects.keras_compat import layers_between
from projects.shape_cache import ShapeDiskCache, entry_key

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class TensorInfo:
    """What flows along a wire: shape (batch axis first, None when free) and type."""

    shape: Shape
    dtype: str = "float32"
    sparse: bool = False

    def __str__(self) -> str:
        return format_shape(self.shape)


@dataclass(frozen=True)
class NodeShapes:
    """What inference found for one block. ``error`` is set when Keras refused it, and
    ``error_param`` when the refusal named the parameter at fault (an exception's ``param``,
    as ParamError carries)."""

    outputs: Mapping[str, TensorInfo] = field(default_factory=dict)
    params: int = 0
    trainable_params: int = 0
    error: str | None = None
    waiting: bool = False  # an input is missing or broken, so this block was not built
    error_param: str | None = None


class NotStored(LookupError):
    """Keras is not to be used yet and a block's answer is not on disk."""


class ShapeInference:
    """Shapes and parameter counts for a project, recomputed incrementally.

    Keep one instance per open document and call :meth:`infer` after each change;
    unchanged blocks come from the cache. With a ``disk`` cache (projects/shape_cache.py)
    answers also come from, and go to, a file shared by every start of the app; while
    ``offline`` (before TensorFlow has loaded) only stored answers are used, and a block
    without one raises NotStored.
    """

    def __init__(self, max_cache: int = 20_000, disk: ShapeDiskCache | None = None,
                 offline: bool = False) -> None:
        self._cache: dict[tuple, NodeShapes] = {}
        self._max_cache = max_cache
        self.disk = disk
        self.offline = offline
        # answers taken from disk and not yet built again: key -> what builds it
        self._unverified: dict[tuple, tuple[str, Mapping[str, Any], dict[str, TensorInfo]]] = {}
        self.built = 0  # blocks actually built by Keras (for tests and benchmarks)

    def infer(self, project: Project) -> dict[str, NodeShapes]:
        try:
            return self._infer(project)
        finally:
            if self.disk is not None:
                self.disk.flush()

    def _infer(self, project: Project) -> dict[str, NodeShapes]:
        results: dict[str, NodeShapes] = {}
        nodes = project.nodes
        for node_id in project.topological_order():
            node = nodes[node_id]
            inputs: dict[str, TensorInfo] = {}
            waiting = False
            for port in node.input_ports():
                link = project.link_into(node_id, port.name)
                if link is None:
                    waiting = waiting or not port.optional
                    continue
                upstream = results[link.source].outputs.get(link.source_port)
                if upstream is None:
                    waiting = True
                    continue
                inputs[port.name] = upstream
            if waiting:
                results[node_id] = NodeShapes(waiting=True)
                continue
            key = (node.block, _freeze(node.params), tuple(sorted(inputs.items())))
            cached = self._cache.get(key)
            if cached is None:
                cached = self._stored(key, node.block, node.params, inputs)
            if cached is None:
                if self.offline:
                    raise NotStored(node_id)
                cached = self._build(node.block, node.params, inputs)
                self._remember(key, cached)
                if self.disk is not None:
                    self.disk.put(self._disk_key(node.block, node.params, inputs), cached)
            results[node_id] = cached
        return results

    def _remember(self, key: tuple, shapes: NodeShapes) -> None:
        if len(self._cache) >= self._max_cache:
            self._cache.clear()
            self._unverified.clear()
        self._cache[key] = shapes

    @staticmethod
    def _disk_key(block: str, params: Mapping[str, Any], inputs: dict[str, TensorInfo]
                  ) -> str:
        import blocks

        return entry_key(block, blocks.get(block).version, params, inputs)

    def _stored(self, key: tuple, block: str, params: Mapping[str, Any],
                inputs: dict[str, TensorInfo]) -> NodeShapes | None:
        if self.disk is None:
            return None
        shapes = self.disk.get(self._disk_key(block, params, inputs))
        if shapes is not None:
            self._remember(key, shapes)
            self._unverified[key] = (block, dict(params), dict(inputs))
        return shapes

    def verify(self) -> int:
        """Build every answer taken from disk again with Keras and keep Keras's; returns
        how many differed (a Keras or Deepwire upgrade the key missed, or a bad file)."""
        changed = 0
        pending, self._unverified = self._unverified, {}
        for key, (block, params, inputs) in pending.items():
            fresh = self._build(block, params, inputs)
            if fresh != self._cache.get(key):
                changed += 1
                if self.disk is not None:
                    self.disk.put(self._disk_key(block, params, inputs), fresh)
            self._remember(key, fresh)
        if self.disk is not None:
            self.disk.flush()
        return changed

    def _build(self, block: str, params: Mapping[str, Any], inputs: dict[str, TensorInfo]
               ) -> NodeShapes:
        import keras

        import blocks

        self.built += 1
        spec = blocks.get(block)
        placeholders = {
            port: keras.KerasTensor(info.shape, dtype=info.dtype, sparse=info.sparse)
            for port, info in inputs.items()
        }
        try:
            with keras_compat.unallocated_weights():  # only the weights' shapes are wanted
                outputs = spec.build(params, placeholders, "probe")
        except Exception as err:  # Keras reports bad shapes as ValueError, TypeError, ...
            from projects.errors import plain_message  # imports this module

            return NodeShapes(error=plain_message(err), error_param=param_at_fault(err))
        layers = layers_between(outputs.values(), placeholders.values())
        total = sum(_count(w.shape) for layer in layers for w in layer.weights)
        trainable = sum(_count(w.shape) for layer in layers for w in layer.trainable_weights)
        return NodeShapes(
            outputs={
                port: TensorInfo(tuple(t.shape), str(t.dtype), bool(getattr(t, "sparse", False)))
                for port, t in outputs.items()
            },
            params=total,
            trainable_params=trainable,
        )


def _count(shape: Any) -> int:
    total = 1
    for dim in shape:
        total *= int(dim)
    return total


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def param_at_fault(err: BaseException) -> str | None:
    """The parameter an error names as an attribute (ParamError's ``param``), else None.
    Never read from the message's text."""
    param = getattr(err, "param", None)
    return param if isinstance(param, str) else None


_CALL_SITE = re.compile(r"^Exception encountered when calling [^\n]*\n", re.M)
_ARGUMENTS = re.compile(r"\s*Arguments received by.*", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def keras_message(err: BaseException) -> str:
    """The useful first part of a Keras error, without its call-site dump."""
    text = _ARGUMENTS.sub("", _CALL_SITE.sub("", _ANSI.sub("", str(err)))).strip()
    text = text.replace("with name 'None' ", "")
    if not text:
        text = type(err).__name__
    first = text.splitlines()[0].strip()
    return first if len(first) <= 300 else first[:297] + "..."
