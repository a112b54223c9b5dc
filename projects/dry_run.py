"""The dry run: one real batch forward and backward before training (docs/architecture.md,
Training and events).

Qt-free. It runs the compiled model's own training step (the loss and GradientTape of a plain
model, the two alternating updates of a GAN, the masked full graph of node classification)
a few times on the first batch of the data, through ``fit``, then puts every variable back,
so the real run starts from the very same weights, optimizer state and random seeds. It
catches what only real data and a real update reveal: shape and dtype errors, labels the
model cannot predict, and a loss, gradient or update that is not finite, for which it walks
the blocks' outputs in topological order and names the first that is not finite. The steps
after the first are timed (the first one traces, and the real ``fit`` reuses that trace),
which with the batch count gives the estimate the summary shows: "≈ N s per epoch, ≈ M MB".
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from projects.compiler import CompiledProject
from projects.document import TrainingSettings
from projects.errors import named, output_node, translate
from projects.probes import as_tuple
from projects.text import count_text

VALIDATION_STEP_SHARE = 1 / 3  # a validation batch is a forward pass only
STEPS = 4  # on the one batch: the first traces, the others are timed; a rate that explodes
# does so within a few steps


class DryRunError(Exception):
    """The dry run failed: a plain message, a hint and the block to blame (or None)."""

    def __init__(self, message: str, hint: str, node_id: str | None = None,
                 cause: BaseException | None = None, project: Any = None) -> None:
        super().__init__(named(message, node_id, project))
        self.hint = hint
        self.node_id = node_id
        self.cause = cause


@dataclass(frozen=True)
class Estimate:
    """What one epoch will cost, measured on one batch."""

    step_seconds: float
    steps_per_epoch: int
    validation_steps: int
    peak_bytes: int
    memory_measured: bool  # True: the device's peak; False: weights, optimizer, activations

    @property
    def epoch_seconds(self) -> float:
        return self.step_seconds * (self.steps_per_epoch
                                    + VALIDATION_STEP_SHARE * self.validation_steps)

    def text(self) -> str:
        """"≈ 12 s per epoch, ≈ 340 MB"."""
        seconds = self.epoch_seconds
        duration = ("under 0.1 s" if seconds < 0.1 else f"≈ {seconds:.1f} s" if seconds < 10
                    else f"≈ {seconds:.0f} s" if seconds < 120 else f"≈ {seconds / 60:.0f} min")
        megabytes = self.peak_bytes / 2**20
        return f"{duration} per epoch, ≈ {count_text(max(1, round(megabytes)))} MB"

    def as_dict(self) -> dict[str, float]:
        return {"step_seconds": round(self.step_seconds, 6),
                "steps_per_epoch": self.steps_per_epoch,
                "validation_steps": self.validation_steps,
                "epoch_seconds": round(self.epoch_seconds, 3),
                "peak_bytes": self.peak_bytes, "memory_measured": self.memory_measured}


def dry_run(compiled: CompiledProject, data: Any, settings: TrainingSettings,
            device: str = "CPU") -> Estimate:
    """A few training steps on the first batch, then every variable restored.

    Raises DryRunError naming the block at fault.
    """
    model = compiled.model
    batch = first_batch(compiled.kind, data, settings)
    variables = _state_variables(model)
    initial = _values(variables)
    gpu = "GPU" in device.upper()
    if gpu:
        _reset_peak(device)
    try:
        steps = _Steps(compiled, batch, variables)
        if not steps.finite:
            first = len(steps.losses) == 1
            _assign(variables, initial if first else steps.before_last)
            raise _not_finite(compiled, batch, _loss_text(steps.losses[-1]), settings,
                              before_update=first)
        if steps.broken is not None:
            raise DryRunError(
                f"An update with learning rate {settings.learning_rate:g} made the weights "
                "of this block infinite or NaN: the gradients exploded.",
                _lower_rate(settings), steps.broken, project=compiled.project)
        peak = _measured_peak(device) if gpu else None
        return Estimate(steps.seconds, steps_per_epoch(compiled.kind, data, settings),
                        validation_steps(compiled.kind, data, settings),
                        peak if peak else _estimated_bytes(compiled, variables, batch),
                        bool(peak))
    finally:
        _assign(variables, initial)
        model.reset_metrics()


@dataclass
class _Batch:
    """The first batch as arrays, for the walk over the blocks, and as a dataset of it twice,
    whose element shapes are the real pipeline's (see projects/training.py)."""

    x: Any
    dataset: Any


def first_batch(kind: str, data: Any, settings: TrainingSettings) -> _Batch:
    """The training pipeline's first batch (unshuffled)."""
    import tensorflow as tf

    batch = settings.batch_size
    if kind == "node_classification":
        from projects.training import _sparse_adjacency

        x = (tf.constant(data.features, tf.float32), _sparse_adjacency(data))
        y = np.where(data.labels >= 0, data.labels, 0).astype("int32")
        whole = tf.data.Dataset.from_tensors((x, y, data.train_mask.astype("float32")))
        return _Batch(x, whole.repeat())
    if kind == "adversarial":
        x = np.asarray(data.x_train[:batch], dtype="float32")
        rows = tf.data.Dataset.from_tensor_slices(x).batch(
            batch, drop_remainder=len(data.x_train) >= batch)
        return _Batch(x, rows.repeat())
    parts = tuple(part[:batch] for part in as_tuple(data.x_train))
    x = parts if len(parts) > 1 else parts[0]
    rows = tf.data.Dataset.from_tensor_slices((x, data.y_train[:batch])).batch(batch)
    return _Batch(x, rows.repeat())


def steps_per_epoch(kind: str, data: Any, settings: TrainingSettings) -> int:
    if kind == "node_classification":
        return 1
    n = len(as_tuple(data.x_train)[0])
    if kind == "adversarial":
        return max(1, n // settings.batch_size)
    return math.ceil(n / settings.batch_size)


def validation_steps(kind: str, data: Any, settings: TrainingSettings) -> int:
    if kind == "node_classification":
        return int(bool(data.val_mask is not None and data.val_mask.any()))
    if kind == "adversarial" or data.x_val is None:
        return 0
    return math.ceil(len(as_tuple(data.x_val)[0]) / settings.batch_size)


class _Steps:
    """A few training steps on one batch through ``fit`` itself, fed a dataset shaped like
    the real pipeline's, so the real ``fit`` reuses the traced step. The first step traces;
    the others are timed. After each step the weights are checked and kept, so a failure
    can be shown with the weights that produced it."""

    def __init__(self, compiled: CompiledProject, batch: _Batch, variables: list[Any]
                 ) -> None:
        import keras

        self.compiled = compiled
        self.variables = variables
        self.losses: list[dict[str, float]] = []  # running means, as Keras logs them
        self.broken: str | None = None  # the first block whose weights are not finite
        self.before_last: list[np.ndarray] | None = None  # the weights the last step met
        self.seconds = 0.0  # per step, the first (tracing) one left out
        self._timed: list[float] = []
        self._began = 0.0
        hooks = keras.callbacks.LambdaCallback(on_train_batch_begin=self._begin,
                                               on_train_batch_end=self._end)
        try:
            compiled.model.fit(batch.dataset, epochs=1, steps_per_epoch=STEPS, verbose=0,
                               shuffle=False, callbacks=[hooks])
        except Exception as err:  # Keras reports wrong shapes, dtypes and labels this way
            translated = translate(err, compiled.project)
            if translated.message == "Out of memory." or not translated.known:
                raise  # the trainer words it with the batch size, or reports a bug
            raise DryRunError(translated.message, translated.hint, translated.node_id,
                              err) from err  # the translation names the block already
        if self._timed:
            self.seconds = float(np.median(self._timed))

    @property
    def finite(self) -> bool:
        return all(_finite(logs) for logs in self.losses)

    def _begin(self, batch: int, logs: Any = None) -> None:
        self._began = time.perf_counter()

    def _end(self, batch: int, logs: Any = None) -> None:
        values = {k: float(np.asarray(v)) for k, v in (logs or {}).items()}
        if batch:
            self._timed.append(time.perf_counter() - self._began)
        self.losses.append(values)
        if not _finite(values):
            self.compiled.model.stop_training = True
            return
        self.broken = _first_non_finite_weights(self.compiled)
        if self.broken is not None:
            self.compiled.model.stop_training = True
            return
        self.before_last = _values(self.variables)


def _finite(logs: dict[str, float]) -> bool:
    return all(math.isfinite(v) for v in logs.values())


def _loss_text(logs: dict[str, float]) -> str:
    bad = next((v for v in logs.values() if not math.isfinite(v)), math.nan)
    return "NaN" if math.isnan(bad) else "infinite"


def _lower_rate(settings: TrainingSettings) -> str:
    return (f"Lower the learning rate (now {settings.learning_rate:g}), e.g. to "
            f"{settings.learning_rate / 10:g}, or normalise the data.")


def _not_finite(compiled: CompiledProject, batch: _Batch, what: str,
                settings: TrainingSettings, before_update: bool) -> DryRunError:
    node_id = first_non_finite_block(compiled, batch)
    where = "this block's output"
    if node_id is None:  # every output is finite: the loss saturated (log of 0)
        node_id = output_node(compiled.project)
        where = "the loss computed from the block's predictions"
    if before_update:
        return DryRunError(
            f"The loss is {what} on the first batch, before any update: {where} is not "
            "finite.",
            "Check the data for extreme or missing values, and the block's parameters.",
            node_id, project=compiled.project)
    return DryRunError(
        f"After a few updates with learning rate {settings.learning_rate:g} the loss is {what}: "
        f"{where} is not finite.", _lower_rate(settings), node_id, project=compiled.project)


def first_non_finite_block(compiled: CompiledProject, batch: _Batch
                           ) -> str | None:
    """The first block, in topological order, whose output on ``batch`` holds NaN or Inf.

    An auxiliary model over the blocks' output tensors shares the compiled layers, so it
    sees the current weights."""
    import keras
    import tensorflow as tf

    project = compiled.project
    x = batch.x
    if compiled.generator is None:
        groups = [(compiled.model, set(project.nodes), x)]
    else:
        graph = project.graph()
        generator_out, discriminator_out = compiled.output_nodes
        noise = tf.random.normal((len(x), int(compiled.model.latent_dim)))
        groups = [(compiled.generator, nx.ancestors(graph, generator_out) | {generator_out},
                   noise),
                  (compiled.discriminator,
                   nx.ancestors(graph, discriminator_out) | {discriminator_out}, x)]
    found: set[str] = set()
    for model, nodes, feed in groups:
        outputs = {f"{node_id}:{port}": tensor
                   for (node_id, port), tensor in compiled.tensors.items()
                   if node_id in nodes and not getattr(tensor, "sparse", False)
                   and "float" in str(tensor.dtype)}
        if not outputs:
            continue
        inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
        values = keras.Model(inputs, outputs)(feed, training=False)
        found.update(key.split(":")[0] for key, value in values.items()
                     if not bool(tf.reduce_all(tf.math.is_finite(tf.cast(value, tf.float32)))))
    return next((i for i in project.topological_order() if i in found), None)


def non_finite_block(compiled: CompiledProject, data: Any, settings: TrainingSettings
                     ) -> str | None:
    """After training went NaN: the first block whose weights, or else whose output on the
    first batch, are not finite (None when none is, or when the walk itself fails)."""
    try:
        return (_first_non_finite_weights(compiled)
                or first_non_finite_block(compiled, first_batch(compiled.kind, data, settings)))
    except Exception:  # a diagnosis only: the failure is reported either way
        return None


def _first_non_finite_weights(compiled: CompiledProject) -> str | None:
    for node_id in compiled.project.topological_order():
        for layer in compiled.node_layers(node_id):
            if any(not np.isfinite(np.asarray(w)).all() for w in layer.weights):
                return node_id
    return None


def _state_variables(model: Any) -> list[Any]:
    """Every variable a training step changes: weights, seed states and optimizer slots
    (the optimizers are built first, so their slots exist to be saved)."""
    variables = list(model.variables)
    pairs = [("optimizer", model), ("generator_optimizer", getattr(model, "generator", None)),
             ("discriminator_optimizer", getattr(model, "discriminator", None))]
    for attribute, owner in pairs:
        optimizer = getattr(model, attribute, None)
        if optimizer is None or owner is None:
            continue
        if not optimizer.built:
            optimizer.build(owner.trainable_variables)
        variables.extend(optimizer.variables)
    unique: dict[int, Any] = {}
    for variable in variables:
        unique.setdefault(id(variable), variable)
    return list(unique.values())


def _values(variables: list[Any]) -> list[np.ndarray]:
    return [np.array(v.numpy(), copy=True) for v in variables]


def _assign(variables: list[Any], values: list[np.ndarray]) -> None:
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def _reset_peak(device: str) -> None:
    import tensorflow as tf

    with contextlib.suppress(ValueError, RuntimeError):
        tf.config.experimental.reset_memory_stats(_device_name(device))


def _measured_peak(device: str) -> int | None:
    import tensorflow as tf

    try:
        return int(tf.config.experimental.get_memory_info(_device_name(device))["peak"])
    except (ValueError, RuntimeError):
        return None


def _device_name(device: str) -> str:
    return device.split("device:")[-1] if "device:" in device else device


def _estimated_bytes(compiled: CompiledProject, variables: list[Any],
                     batch: _Batch) -> int:
    """Where the device has no memory counter (a CPU): the variables (weights, optimizer
    slots), one gradient per weight, and every block's activations kept for the backward
    pass, twice (value and gradient)."""
    state = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables)
    grads = sum(int(np.prod(v.shape)) * 4 for v in compiled.model.trainable_variables)
    rows = len(as_tuple(batch.x)[0])
    activations = 0
    for tensor in compiled.tensors.values():
        per_sample = int(np.prod([d or 1 for d in tuple(tensor.shape)[1:]]))
        activations += 2 * rows * per_sample * 4
    data = sum(np.asarray(part).nbytes for part in as_tuple(batch.x)
               if isinstance(part, np.ndarray))
    return state + grads + activations + data
