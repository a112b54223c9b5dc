"""Every workaround that reaches into Keras's (or TensorFlow's) private API, in one place
(docs/architecture.md, Compatibility shims).

Each :class:`Workaround` names the private names it relies on and is switched on only for
the Keras (and, where it matters, TensorFlow) minor versions it was tested with, and only
while those names exist. Outside them it warns once per process and Deepwire falls back to
public API: slower, or with less detail, but never wrong. ``tests/projects/test_keras_compat.py``
fails when a name a workaround relies on disappears, so an upgrade shows what to re-test.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# [first, last] minor versions each workaround was tested with; pyproject.toml pins the same.
TESTED_KERAS = ((3, 14), (3, 15))
TESTED_TENSORFLOW = ((2, 18), (2, 21))


class KerasCompatWarning(RuntimeWarning):
    """A workaround is off because this Keras or TensorFlow was not tested with it."""


def minor(version: str) -> tuple[int, int]:
    """``"3.15.1"`` -> ``(3, 15)``; an unreadable version gives ``(0, 0)`` (never tested)."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else (0, 0)


def _tested(version: str, tested: tuple[tuple[int, int], tuple[int, int]]) -> bool:
    return tested[0] <= minor(version) <= tested[1]


def _resolve(path: str) -> Any:
    """``"package.module:Class.attr"`` -> the object; raises ImportError or AttributeError."""
    module, _, attributes = path.partition(":")
    found: Any = importlib.import_module(module)
    for name in filter(None, attributes.split(".")):
        found = getattr(found, name)
    return found


@dataclass(frozen=True)
class Workaround:
    """One use of private API: what it is for, and the private names it relies on."""

    name: str
    relies_on: tuple[str, ...]
    tensorflow: bool = False  # also gated on TensorFlow's tested versions

    def missing(self) -> list[str]:
        """The private names this workaround needs that the installed Keras lacks."""
        absent = []
        for path in self.relies_on:
            try:
                _resolve(path)
            except (ImportError, AttributeError):
                absent.append(path)
        return absent

    def why_off(self, keras_version: str, tf_version: str | None) -> str | None:
        """Why the workaround must stay off with these versions; None when it may run."""
        if not _tested(keras_version, TESTED_KERAS):
            return f"Keras {keras_version} was not tested"
        if self.tensorflow and tf_version is not None and not _tested(tf_version,
                                                                      TESTED_TENSORFLOW):
            return f"TensorFlow {tf_version} was not tested"
        missing = self.missing()
        if missing:
            return f"Keras {keras_version} lacks {', '.join(missing)}"
        return None

    def enabled(self) -> bool:
        """Whether to use the workaround in this process (decided once, warned once)."""
        if self.name not in _decided:
            import keras

            tf_version = None
            if self.tensorflow:
                import tensorflow as tf

                tf_version = tf.__version__
            reason = self.why_off(keras.__version__, tf_version)
            _decided[self.name] = reason is None
            if reason is not None:
                warnings.warn(f"Deepwire's workaround for {self.name} is off: {reason} with "
                              f"it (tested: Keras {_span(TESTED_KERAS)}"
                              + (f", TensorFlow {_span(TESTED_TENSORFLOW)}"
                                 if self.tensorflow else "") + ")",
                              KerasCompatWarning, stacklevel=2)
        return _decided[self.name]


def _span(tested: tuple[tuple[int, int], tuple[int, int]]) -> str:
    (a, b), (c, d) = tested
    return f"{a}.{b}–{c}.{d}"


_decided: dict[str, bool] = {}  # workaround name -> on or off, for the life of the process


# ----------------------------------------------------------------------------- the workarounds

UNALLOCATED_WEIGHTS = Workaround(
    "shape inference without allocating weights",
    ("keras.src.backend.common.global_state:get_global_attribute",
     "keras.src.backend.common.global_state:set_global_attribute",
     "keras.src.backend.common.variables:register_uninitialized_variable",
     "keras:StatelessScope"))

LAYER_HISTORY = Workaround(
    "finding the layers behind a symbolic tensor",
    ("keras.src.ops.node:KerasHistory.operation", "keras.src.ops.node:KerasHistory.node_index",
     "keras.src.ops.node:Node.input_tensors"))

DISTRIBUTED_FIT = Workaround(
    "fit under a distribution strategy (keras-team/keras#19246, #20585)",
    ("keras.src.backend.tensorflow.trainer:TensorFlowTrainer._maybe_symbolic_build",
     "keras.src.trainers.trainer:Trainer._symbolic_build"),
    tensorflow=True)

GRADIENT_REGISTRY = Workaround(
    "TensorFlow's custom-gradient registry, which keeps every traced training step",
    ("tensorflow.python.framework.ops:_gradient_registry._registry",
     "tensorflow.python.ops.custom_gradient:generate_name"),
    tensorflow=True)

WORKAROUNDS = (UNALLOCATED_WEIGHTS, LAYER_HISTORY, DISTRIBUTED_FIT, GRADIENT_REGISTRY)


@contextmanager
def unallocated_weights() -> Iterator[None]:
    """Build layers whose weights are declared but never allocated: inference wants only
    their shapes, and allocating a large Dense's kernel at every edit costs real time.

    Keras's StatelessScope(initialize_variables=False) queues each such variable in a
    private global list for later initialisation; the list is restored afterwards so the
    probe layers do not pile up there. Off: the weights are allocated (slower, same shapes).
    """
    if not UNALLOCATED_WEIGHTS.enabled():
        yield
        return
    import keras
    from keras.src.backend.common import global_state

    pending = global_state.get_global_attribute("uninitialized_variables", [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute("uninitialized_variables", pending)


def producing_call(tensor: Any) -> tuple[Any, int, Any] | None:
    """The call that produced a symbolic tensor: ``(layer, call index, call node)``, the node
    holding the call's input tensors and arguments. None for a tensor no layer produced, or
    when the workaround is off (callers then say the feature needs a tested Keras).
    """
    if not LAYER_HISTORY.enabled():
        return None
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None
    layer = history.operation
    return layer, history.node_index, layer._inbound_nodes[history.node_index]


def layers_between(outputs: Any, inputs: Any = ()) -> list[Any]:
    """Every Keras layer on the paths from ``inputs`` back from ``outputs``, each once.

    Walks each symbolic tensor's private ``_keras_history`` and the layer's
    ``_inbound_nodes``. Off: an empty list (parameter counts show 0, attention maps are
    not probed).
    """
    if not LAYER_HISTORY.enabled():
        return []
    stop = {id(t) for t in inputs}
    seen: dict[int, Any] = {}
    stack = list(outputs)
    while stack:
        tensor = stack.pop()
        if id(tensor) in stop:
            continue
        call = producing_call(tensor)
        if call is None:
            continue
        layer, _, node = call
        if id(layer) in seen:
            continue
        seen[id(layer)] = layer
        stack.extend(node.input_tensors)
    return list(seen.values())


def fit_distributed(model: Any, multi_worker: bool) -> None:
    """Works around two failures of Keras 3's ``fit`` under TensorFlow's strategies
    (keras-team/keras#19246 and #20585):

    * Before training and validating, Keras averages the first batch over all replicas
      only to learn its shapes. That fails when the replicas' parts differ in size (a batch
      size that the replicas do not divide, a short last batch) and, under
      MultiWorkerMirroredStrategy, for any nested ``(x, y)`` batch. The first local
      replica's part has the right shapes, so the model is built from that.
    * Under MultiWorkerMirroredStrategy, after every step Keras averages each replica's
      logs along axis 0, which scalars do not have. The steps return them as one-element
      vectors, which average to scalars.

    Off: ``fit`` runs as Keras ships it (batch sizes the replicas divide still train).
    """
    if not DISTRIBUTED_FIT.enabled() or not all(
            hasattr(model, name) for name in ("_maybe_symbolic_build", "_symbolic_build",
                                              "train_step", "test_step")):
        return
    import tensorflow as tf

    strategy = model.distribute_strategy

    def build(iterator=None, data_batch=None) -> None:
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(
                    lambda v: strategy.experimental_local_results(v)[0], next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def as_vectors(step: Callable) -> Callable:
        def vector_step(data):
            logs = step(data)
            return {k: tf.reshape(v, [-1]) if tf.is_tensor(v) and v.shape.rank == 0 else v
                    for k, v in logs.items()}
        return vector_step

    model._maybe_symbolic_build = build
    if multi_worker:
        model.train_step = as_vectors(model.train_step)
        model.test_step = as_vectors(model.test_step)


@contextmanager
def released_custom_gradients() -> Iterator[None]:
    """Forget the custom gradients TensorFlow registers while the block runs.

    Tracing a training step under a strategy's replica context (Keras's optimizer sums
    gradients with ``all_reduce``, even on one device) registers a ``tf.custom_gradient``
    under a fresh ``CustomGradient-<uid>`` name in a process-wide registry that never lets
    go: it holds the traced step's graph, the optimizer's branches and the model's tensors,
    about 4 MB for even a tiny model, every run. The step is traced once, at the first
    batch, and its gradient is part of its graph from then on, so the entries can go when
    the run ends. Off: each run leaves them behind, as TensorFlow does.
    """
    if not GRADIENT_REGISTRY.enabled():
        yield
        return
    from tensorflow.python.framework import ops

    registry = ops._gradient_registry._registry
    before = set(registry)
    try:
        yield
    finally:
        for name in [n for n in list(registry) if n not in before]:
            if name.startswith("CustomGradient-"):
                registry.pop(name, None)
