"""The trainer: trains any valid project and reports as it goes (docs/architecture.md,
Training and events).

Qt-free. A :class:`Trainer` runs one training run to the end in the calling thread (the GUI
calls it from its worker thread, the CLI from the main thread) and reports through
:mod:`projects.events`. ``stop``, ``pause`` and ``resume`` may be called from any thread and
take effect at the end of the current step. Every run gets its own folder beside the
project, kept whether the run completes, stops or fails.

Devices and scale (:mod:`projects.devices`): one device, or a TensorFlow strategy
(``mirrored`` or ``multiworker``). The chief (the "chief" task, else worker 0) owns the run
folder ``<stamp>``; every other worker records its own copy in ``<stamp>_worker<N>`` and
never writes into the chief's. Node classification and GANs train on one device only.
Events come from :mod:`projects.event_callback`, the dashboard's probes from
:mod:`projects.probes`. Before ``fit``, :mod:`projects.dry_run` trains one batch (and
measures the step); failures are worded by :mod:`projects.errors`, and an error it cannot
translate leaves its traceback in the run folder's ``error.txt``.
"""

from __future__ import annotations

import gc
import json
import math
import platform
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from projects import events as ev
from projects import files, keras_compat
from projects.compiler import CompiledProject, CompileError, compile_project
from projects.devices import DeviceError, DeviceScope, strategy_and_device, worker_role
from projects.document import (
    DocumentError,
    Project,
    TrainingSettings,
    check_training,
    node_sort_key,
)
from projects.dry_run import DryRunError, Estimate, dry_run, non_finite_block
from projects.errors import named, translate, write_report
from projects.event_callback import EventCallback
from projects.keras_import import ImportedWeightsError, load_imported_weights
from projects.probes import as_tuple
from projects.runs import default_runs_dir
from projects.validation import validate
from projects.vectorizers import VectorizerError, adapt_vectorizers

Listener = Callable[[ev.Event], None]

BATCH_INTERVAL_S = 0.05  # at most ~20 batch events per second
PROBE_INTERVAL_S = 0.5  # at most ~2 probes per second
REGRESSION_LOSSES = frozenset({"mean_squared_error", "mean_absolute_error", "huber"})
# One run (or the app's background dry run) builds and trains at a time in a process: each
# seeds Keras's global random state, which another thread's model building would disturb.
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class RunOptions:
    """How to run, beyond the project's own training settings (which these may override)."""

    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    seed: int | None = None
    # any other training settings to override, by name ({"early_stopping": True, …})
    training: Mapping[str, Any] = field(default_factory=dict)
    device: str | None = None  # "cpu", "gpu", "gpu:N"; None picks a GPU when there is one
    strategy: str | None = None  # None, "mirrored" or "multiworker"
    mixed_precision: bool = False
    runs_dir: Path | None = None
    record: bool = True  # write the run folder
    tensorboard: bool = True
    probes: bool = True
    dry_run: bool = True  # one batch forward and backward before training (projects/dry_run)
    dry_run_only: bool = False  # stop after the dry run: `deepwire validate --dry-run`
    batch_interval: float = BATCH_INTERVAL_S
    probe_interval: float = PROBE_INTERVAL_S


class RunFailure(Exception):
    """A failure found before or during training, with a hint, the block to blame and,
    where there is one, its parameter at fault (attributes, never parsed from the text)."""

    def __init__(self, message: str, hint: str = "", node_id: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        self.node_id = node_id
        self.param = param


class Trainer:
    """One training run of a snapshot of ``project``."""

    def __init__(self, project: Project, project_path: str | Path | None = None,
                 options: RunOptions | None = None, listener: Listener | None = None) -> None:
        self.project = project.copy()  # the run trains a snapshot; editing may go on
        self.project_path = Path(project_path) if project_path else None
        self.options = options or RunOptions()
        self.listener = listener
        self.run_dir: Path | None = None
        self.compiled: CompiledProject | None = None
        self.last_event: ev.Event | None = None
        # which epochs run.json names (see kept_epochs); set when training ends
        self.kept: dict[str, int | None] = {"best_epoch": None, "stopped_epoch": None,
                                            "weights_epoch": None}
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()  # set = not paused
        self._events_file: Any = None
        self._step = 0
        self._froze = False
        self._test_metrics: dict[str, float] = {}
        self.estimate: Estimate | None = None  # the dry run's, once it has passed

    # ---- control (any thread)

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # ---- running

    def settings(self) -> TrainingSettings:
        o, t = self.options, self.project.training
        settings = replace(
            t,
            epochs=o.epochs if o.epochs is not None else t.epochs,
            batch_size=o.batch_size if o.batch_size is not None else t.batch_size,
            learning_rate=o.learning_rate if o.learning_rate is not None else t.learning_rate,
            seed=o.seed if o.seed is not None else t.seed,
        )
        unknown = sorted(set(o.training) - set(asdict(t)))
        if unknown:
            raise DocumentError(f"Unknown training setting {unknown[0]!r}",
                                setting=f"training.{unknown[0]}")
        settings = replace(settings, **o.training)
        check_training(settings)
        return settings

    def run(self) -> ev.Event:
        """Train to the end; returns the last event (Finished or Failed). Never raises
        for problems of the project, its data or the training itself."""
        started = time.perf_counter()
        try:
            settings = self.settings()
        except DocumentError as err:
            return self._emit(ev.Failed(str(err), "Fix the training settings and try again."))
        try:
            self._open_run_folder(settings)
        except OSError as err:
            return self._emit(ev.Failed(f"Cannot create the run folder: {err}",
                                        "Choose a runs folder you can write to."))
        status = "failed"
        try:
            with _ONE_AT_A_TIME:
                final = self._train(settings)
            status = "stopped" if self.stopping else "completed"
            result = ev.Finished(status, final, str(self.run_dir or ""),
                                 time.perf_counter() - started, self._test_metrics)
        except RunFailure as err:
            if err.__cause__ is not None:
                write_report(err.__cause__, self.run_dir)
            result = ev.Failed(str(err), err.hint, self._step, err.node_id, err.param)
        except Exception as err:  # any other error still ends the run with an event
            result = _failure_from_exception(err, self._step, self.settings().batch_size,
                                             self.project, write_report(err, self.run_dir))
        finally:
            if self._froze:  # the run's objects may go now (see _train)
                gc.unfreeze()
                self._froze = False
        self._emit(result)
        self._write_run_json(status, settings, result, time.perf_counter() - started)
        if self._events_file is not None:
            self._events_file.close()
            self._events_file = None
        return result

    def _emit(self, event: ev.Event) -> ev.Event:
        self.last_event = event
        if self._events_file is not None:
            self._events_file.write(ev.to_json(event) + "\n")
            self._events_file.flush()
        if self.listener is not None:
            self.listener(event)
        return event

    # ---- the run folder

    def _open_run_folder(self, settings: TrainingSettings) -> None:
        """The run's own folder, with the project snapshot and a first run.json that says
        "running" (so a list of runs shows it at once); the final one replaces it."""
        if not self.options.record:
            return
        runs = self.options.runs_dir or default_runs_dir(self.project, self.project_path)
        stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        if self.options.strategy == "multiworker":
            # Only the chief owns <stamp>; every other worker records beside it, never in it.
            chief, task = worker_role()
            stamp = stamp if chief else f"{stamp}_{task}"
        runs.mkdir(parents=True, exist_ok=True)
        folder, suffix = runs / stamp, 1
        while True:
            try:
                folder.mkdir()  # atomic: two processes never share a folder
                break
            except FileExistsError:
                suffix += 1
                folder = runs / f"{stamp}_{suffix}"
        self.run_dir = folder
        files.save(self.project, folder / "project.deepwire")
        self._started_at = datetime.now().isoformat(timespec="seconds")
        info = {"status": "running", "project": self.project.name,
                "task": self.project.task.get("kind"), "training": asdict(settings),
                "dataset": self.project.dataset, "final_metrics": {}, "test_metrics": {},
                "project_path": str(self.project_path) if self.project_path else None,
                "started_at": self._started_at}
        files.atomic_write(folder / "run.json",
                           (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())
        self._events_file = open(folder / "events.jsonl", "w", encoding="utf-8")  # noqa: SIM115

    def _write_run_json(self, status: str, settings: TrainingSettings, result: ev.Event,
                        seconds: float) -> None:
        if self.run_dir is None:
            return
        import keras
        import tensorflow as tf

        info = {
            "status": status,
            "project": self.project.name,
            "task": self.project.task.get("kind"),
            "seed": settings.seed,
            "training": asdict(settings),
            "device": getattr(self, "_device_name", "unknown"),
            "strategy": self.options.strategy,
            "replicas": getattr(self, "_replicas", 1),
            "mixed_precision": self.options.mixed_precision,
            "precision": getattr(self, "_precision", "float32"),
            "dataset": self.project.dataset,
            "dataset_description": getattr(self, "_dataset_description", ""),
            "final_metrics": result.final_metrics if isinstance(result, ev.Finished) else {},
            "test_metrics": result.test_metrics if isinstance(result, ev.Finished) else {},
            "project_path": str(self.project_path) if self.project_path else None,
            **self.kept,
            "failure": asdict(result) if isinstance(result, ev.Failed) else None,
            "dry_run": self.estimate.as_dict() if self.estimate else None,
            "steps": self._step,
            "seconds": round(seconds, 3),
            "versions": {"deepwire": _deepwire_version(), "tensorflow": tf.__version__,
                         "keras": keras.__version__, "python": platform.python_version()},
            "started_at": getattr(self, "_started_at", None),
            "finished_at": datetime.now().isoformat(timespec="seconds"),
        }
        files.atomic_write(self.run_dir / "run.json",
                           (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())

    # ---- training proper

    def _train(self, settings: TrainingSettings) -> dict[str, float]:
        import keras
        import tensorflow as tf

        from projects.datasets import DatasetError, check_fits

        kind = self.project.task.get("kind", "supervised")
        if self.options.strategy not in (None, "", "none") and kind in UNDISTRIBUTED_TASKS:
            raise RunFailure(UNDISTRIBUTED_TASKS[kind], "Train it without --strategy, on one "
                             "device (a GPU is picked when TensorFlow sees one).")
        # The strategy comes first: the multi-worker one must be set up before TensorFlow
        # starts its runtime (which validating or loading data may do).
        try:
            strategy, device = strategy_and_device(self.options.strategy, self.options.device)
        except DeviceError as err:
            raise RunFailure(str(err), err.hint) from err
        self._device_name = device
        self._replicas = int(getattr(strategy, "num_replicas_in_sync", 1))
        report = validate(self.project)
        if not report.ok:
            first = report.errors[0]
            raise RunFailure(f"The model is not valid: {first.message}",
                             "Fix the problems listed for the model, then train again.",
                             first.node_id, first.param)
        base_dir = self.project_path.parent if self.project_path else None
        try:
            data = load_run_data(self.project, settings, base_dir)
            self._dataset_description = data.description
            inputs, classes, graphs = _fit_expectations(self.project, report)
            check_fits(data, inputs, classes, graph_nodes=graphs,
                       labels={i: n.label for i, n in self.project.nodes.items()},
                       input_dtypes={i: self.project.nodes[i].params["dtype"]
                                     for i in inputs})
        except DatasetError as err:
            raise RunFailure(str(err), "Choose a dataset that fits the model's Input and "
                             "Output blocks, or change the blocks.", err.node_id) from err

        keras.utils.set_random_seed(settings.seed)
        previous_policy = keras.mixed_precision.global_policy()
        try:
            if self.options.mixed_precision:
                # float16 where the work runs on GPUs, bfloat16 on CPUs
                on_gpu = "GPU" in device or (self.options.strategy == "multiworker"
                                             and bool(tf.config.list_logical_devices("GPU")))
                self._precision = "mixed_float16" if on_gpu else "mixed_bfloat16"
                keras.mixed_precision.set_global_policy(self._precision)
            with strategy.scope():
                try:
                    self.compiled = compile_project(self.project, report, settings)
                except CompileError as err:
                    issue = err.issues[0]
                    raise RunFailure(issue.message, "Fix the block and train again.",
                                     issue.node_id, issue.param) from err
                try:  # an imported model starts from its imported weights
                    imported_warnings = load_imported_weights(self.compiled)
                except ImportedWeightsError as err:
                    raise RunFailure(str(err), "Put the .keras file back where it was, "
                                     "then train again.") from err
                try:  # vocabularies from the training texts only, before the dry run
                    adapt_vectorizers(self.compiled, data.x_train)
                except VectorizerError as err:
                    raise RunFailure(str(err), "Wire a string Input block into it.",
                                     err.node_id) from err
            if not isinstance(strategy, DeviceScope):
                keras_compat.fit_distributed(self.compiled.model,
                                             self.options.strategy == "multiworker")
            if gc.isenabled():
                # Headless, collection is automatic: keep the model's objects out of the full
                # passes while it trains (each would walk them all, holding the GIL); run()
                # unfreezes them at the end, so the run leaves nothing behind. In the app
                # automatic collection is off and the GUI thread collects (app/collector.py).
                gc.freeze()
                self._froze = True
            fit_args = _fit_arguments(kind, data, settings, self.compiled)
            steps = fit_args.pop("steps_per_epoch_hint")
            self._graph_inputs = fit_args.pop("graph_inputs", None)
            # Refused settings fail before the dry run spends time.
            watchers = _watchers(kind, settings, "validation_data" in fit_args, self.project)
            # One device: the dry run, then training, inside tf.device. Strategies distribute
            # fit themselves (and a multi-worker step needs every worker), so no dry run.
            one_device = isinstance(strategy, DeviceScope)
            place = strategy.scope() if one_device else nullcontext()
            with place, keras_compat.released_custom_gradients():  # no trace outlives the run
                if (self.options.dry_run or self.options.dry_run_only) and one_device:
                    self.estimate = self._dry_run(data, settings, device)
                if self.options.dry_run_only:
                    return {}
                self._emit(ev.RunStarted(
                    str(self.run_dir or ""), self.project.name, kind, settings.epochs, steps,
                    data.num_nodes if kind == "node_classification" else settings.batch_size,
                    device, settings.seed,
                    data.description, tuple(self.compiled.attention_nodes)))
                for warning in [*data.warnings, *imported_warnings]:
                    self._emit(ev.RunWarning(warning))
                # The events first: an epoch's learning rate is the one it trained with.
                callbacks = [EventCallback(self, settings, steps, data, kind), *watchers]
                if self.run_dir is not None:
                    callbacks.append(keras.callbacks.CSVLogger(
                        str(self.run_dir / "history.csv")))
                    if self.options.tensorboard:
                        callbacks.append(keras.callbacks.TensorBoard(
                            str(self.run_dir / "tensorboard"), write_graph=False,
                            update_freq="epoch", profile_batch=0))
                history = self.compiled.model.fit(epochs=settings.epochs, verbose=0,
                                                  callbacks=callbacks, **fit_args)
                if callbacks[0].nan_at is None:
                    # The final weights, once, on the part that training never saw.
                    self._test_metrics = evaluate_split(self.compiled.model, kind, data,
                                                        "test", settings.batch_size)
        finally:
            keras.mixed_precision.set_global_policy(previous_policy)
        nan = callbacks[0].nan_at
        if nan is not None:
            node_id = non_finite_block(self.compiled, data, settings)
            raise RunFailure(
                named(f"The loss became {nan[1]} at step {nan[0]}; training was stopped.",
                      node_id, self.project),
                f"Lower the learning rate (now {settings.learning_rate:g}), or check the data "
                "for extreme values.", node_id)
        self.kept = kept_epochs(settings, history.history, watchers)
        if self.run_dir is not None:
            self.compiled.model.save(self.run_dir / "model.keras")
        return {k: float(v[-1]) for k, v in history.history.items()
                if v and k != "learning_rate"}  # ReduceLROnPlateau logs the rate too

    def _dry_run(self, data, settings: TrainingSettings, device: str) -> Estimate:
        try:
            return dry_run(self.compiled, data, settings, device)
        except DryRunError as err:
            raise RunFailure(err.args[0], err.hint, err.node_id) from err.cause


def _watchers(kind: str, settings: TrainingSettings, validates: bool,
               project: Project) -> list[Any]:
    """Keras's EarlyStopping and ReduceLROnPlateau as the settings ask, after checking
    that the figure they watch exists in this run (Keras would only warn, every epoch,
    and never act)."""
    import keras

    if not (settings.early_stopping or settings.reduce_lr_on_plateau):
        return []
    wanted = "Early stopping" if settings.early_stopping else "Reduce-on-plateau"
    monitor = settings.monitor
    if kind == "adversarial":
        raise RunFailure(f"{wanted} needs a loss that falls as the model improves; a GAN's "
                         "two losses do not.", "Turn off early stopping and reduce-on-plateau "
                         "for this project.")
    if monitor.startswith("val_") and not validates:
        raise RunFailure(f"{wanted} watches {monitor}, but this run has no validation data.",
                         "Set a validation split above 0 (or label validation nodes), or "
                         "watch the training loss.")
    if monitor.endswith("accuracy"):
        losses = [n.params["loss"] for n in project.nodes.values() if n.block == "output"]
        if len(losses) != 1 or losses[0] in REGRESSION_LOSSES:
            raise RunFailure(f"{wanted} watches {monitor}, but only a model with one "
                             "classification output measures accuracy.",
                             "Watch the loss instead.")
    found: list[Any] = []
    if settings.early_stopping:
        found.append(keras.callbacks.EarlyStopping(
            monitor=monitor, patience=settings.early_stopping_patience,
            restore_best_weights=settings.restore_best_weights))
    if settings.reduce_lr_on_plateau:
        found.append(keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=settings.reduce_lr_factor,
            patience=settings.reduce_lr_patience))
    return found


def kept_epochs(settings: TrainingSettings, history: Mapping[str, list[float]],
                watchers: list[Any]) -> dict[str, int | None]:
    """What run.json says about the epochs (counted from 1): ``best_epoch``, the best by
    the monitored figure (None when the run does not log it); ``stopped_epoch``, where
    early stopping ended the run (None when it ran on); ``weights_epoch``, the epoch whose
    weights the saved model holds (the best one when early stopping restored it)."""
    import keras

    epochs_run = max((len(values) for values in history.values()), default=0)
    values = [float(v) for v in history.get(settings.monitor, [])]
    best = None
    if values:
        pick = np.argmax if settings.monitor.endswith("accuracy") else np.argmin
        best = int(pick(values)) + 1  # the first of equals, as Keras keeps it
    stopper = next((w for w in watchers if isinstance(w, keras.callbacks.EarlyStopping)), None)
    stopped = stopper.stopped_epoch + 1 if stopper is not None and stopper.stopped_epoch else None
    weights = epochs_run or None
    if stopper is not None and settings.restore_best_weights and stopper.best_weights is not None:
        best = weights = stopper.best_epoch + 1
    return {"best_epoch": best, "stopped_epoch": stopped, "weights_epoch": weights}


UNDISTRIBUTED_TASKS = {
    "node_classification": "Node classification trains on the whole graph in one step, which "
    "cannot be split across replicas, so it cannot use a distribution strategy.",
    "adversarial": "A GAN (adversarial task) cannot use a distribution strategy: Keras cannot "
    "yet distribute its two-optimizer training step.",
}


def load_run_data(project: Project, settings: TrainingSettings, base_dir: Path | None) -> Any:
    """The run's Dataset: the project's dataset, split by the run's seed and fractions."""
    from projects.datasets import load_dataset

    spec = dict(project.dataset)
    losses = {n.params["loss"] for n in project.nodes.values() if n.block == "output"}
    if losses and losses <= REGRESSION_LOSSES:
        spec.setdefault("targets", "numbers")
    return load_dataset(spec, seed=settings.seed, validation_split=settings.validation_split,
                        base_dir=base_dir, task_kind=project.task.get("kind", "supervised"),
                        test_split=settings.test_split)


def evaluate_split(model: Any, kind: str, data: Any, split: str, batch_size: int
                   ) -> dict[str, float]:
    """Keras's ``evaluate`` of ``model`` on the ``"validation"`` or ``"test"`` part of
    ``data`` (a graph's mask of that name); empty when the data has no such part."""
    import tensorflow as tf

    if kind == "adversarial":
        return {}
    if kind == "node_classification":
        mask = data.val_mask if split == "validation" else data.test_mask
        if not mask.any():
            return {}
        x, y = _graph_tensors(data)
        pipeline = tf.data.Dataset.from_tensors((x, y, mask_weights(mask)))
    else:
        x, y = (data.x_val, data.y_val) if split == "validation" else (data.x_test, data.y_test)
        if x is None or not len(as_tuple(x)[0]):
            return {}
        x = as_tuple(x)
        pipeline = tf.data.Dataset.from_tensor_slices((x if len(x) > 1 else x[0], y)).batch(
            batch_size).with_options(_sharded_by_data())
    metrics = model.evaluate(pipeline, verbose=0, return_dict=True)
    return {k: float(v) for k, v in metrics.items()}


def mask_weights(mask: np.ndarray) -> np.ndarray:
    """Sample weights that make Keras's losses the mean over the mask's nodes.

    Keras divides a weighted loss by all N nodes of the batch, not by the weights' sum, so
    0/1 weights would shrink a loss by count/N; weights of N/count on the mask give the
    masked mean. Weighted metrics (accuracy) divide by the weights' sum either way.
    """
    mask = np.asarray(mask, dtype=bool)
    count = int(mask.sum())
    return (mask * (len(mask) / count if count else 0.0)).astype("float32")


def _graph_tensors(data) -> tuple[tuple[Any, Any], np.ndarray]:
    """The model's inputs for the whole graph (features, adjacency) and the labels, with
    0 for unlabelled nodes (their weight is always 0)."""
    import tensorflow as tf

    x = (tf.constant(data.features, tf.float32), _sparse_adjacency(data))
    return x, np.where(data.labels >= 0, data.labels, 0).astype("int32")


def _deepwire_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deepwire")
    except PackageNotFoundError:
        return "unknown"


def _fit_expectations(project: Project, report) -> tuple[dict, dict, dict]:
    """What the data must fit, by node id: per-sample input shapes, class counts and
    graph sizes."""
    nodes = project.nodes
    order = sorted(nodes, key=node_sort_key)  # the compiled model's input order
    inputs = {i: tuple(nodes[i].params["shape"]) for i in order if nodes[i].block == "input"}
    classes = {}
    for node_id in order:
        node = nodes[node_id]
        if node.block == "output" and node.params["loss"] == "sparse_categorical_crossentropy":
            shape = report.shapes[node_id].outputs.get("result")
            if shape is not None and shape.shape[-1]:
                classes[node_id] = int(shape.shape[-1])
    graphs = {i: nodes[i].params["num_nodes"] for i in order
              if nodes[i].block == "graph_input" and nodes[i].params["num_nodes"]}
    return inputs, classes, graphs


def _fit_arguments(kind: str, data, settings: TrainingSettings, compiled: CompiledProject
                   ) -> dict[str, Any]:
    """Arguments for ``model.fit`` per task, with tf.data pipelines where they help."""
    fit = _fit_pipelines(kind, data, settings, compiled)
    for key in ("x", "validation_data"):  # in-memory data: shard by element across workers
        if key in fit:
            fit[key] = fit[key].with_options(_sharded_by_data())
    return fit


def _sharded_by_data() -> Any:
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return options


def _fit_pipelines(kind: str, data, settings: TrainingSettings, compiled: CompiledProject
                   ) -> dict[str, Any]:
    import tensorflow as tf

    if kind == "node_classification":
        x, y = _graph_tensors(data)
        train = mask_weights(data.train_mask)
        # Full batch: one step per epoch from an endless one-element dataset, so Keras keeps
        # its iterator across epochs instead of rebuilding it for every (tiny) epoch.
        whole = tf.data.Dataset.from_tensors((x, y, train)).repeat()
        fit = {"x": whole, "steps_per_epoch": 1, "shuffle": False, "steps_per_epoch_hint": 1,
               "graph_inputs": x}
        if data.val_mask.any():
            fit["validation_data"] = tf.data.Dataset.from_tensors(
                (x, y, mask_weights(data.val_mask))).repeat()
            fit["validation_steps"] = 1
        return fit
    batch = settings.batch_size
    if kind == "adversarial":
        x = data.x_train.astype("float32")
        pipeline = (tf.data.Dataset.from_tensor_slices(x)
                    .shuffle(len(x), seed=settings.seed, reshuffle_each_iteration=True)
                    .batch(batch, drop_remainder=len(x) >= batch)
                    .prefetch(tf.data.AUTOTUNE))
        return {"x": pipeline, "shuffle": False, "steps_per_epoch_hint": max(1, len(x) // batch)}
    x = as_tuple(data.x_train)
    n = len(x[0])
    pipeline = (tf.data.Dataset.from_tensor_slices((x if len(x) > 1 else x[0], data.y_train))
                .shuffle(n, seed=settings.seed, reshuffle_each_iteration=True)
                .batch(batch).prefetch(tf.data.AUTOTUNE))
    fit = {"x": pipeline, "shuffle": False, "steps_per_epoch_hint": math.ceil(n / batch)}
    if data.x_val is not None and len(as_tuple(data.x_val)[0]):
        xv = as_tuple(data.x_val)
        fit["validation_data"] = (tf.data.Dataset.from_tensor_slices(
            (xv if len(xv) > 1 else xv[0], data.y_val)).batch(batch).prefetch(tf.data.AUTOTUNE))
    return fit


def _sparse_adjacency(data) -> Any:
    """The graph as a tf.SparseTensor with both directions of every edge, no self loops
    (the Graph block adds them when it normalises)."""
    import tensorflow as tf

    edges = np.asarray(data.edges, dtype=np.int64).reshape(-1, 2)
    edges = edges[edges[:, 0] != edges[:, 1]]
    both = np.unique(np.concatenate([edges, edges[:, ::-1]]), axis=0)
    return tf.SparseTensor(both, np.ones(len(both), np.float32),
                           (data.num_nodes, data.num_nodes))


def _failure_from_exception(err: Exception, step: int, batch_size: int,
                            project: Project | None = None, report: Path | None = None
                            ) -> ev.Failed:
    """A failure in plain words (projects/errors.py); an error it cannot translate is a
    bug, and its hint says where the full report is."""
    translated = translate(err, project)
    if translated.message == "Out of memory.":
        return ev.Failed("Out of memory while training.",
                         f"Use a smaller batch size (now {batch_size}) or a smaller model.",
                         step, translated.node_id)
    hint = translated.hint
    if not translated.known:
        hint = (f"{hint}; the full report is in {report}." if report is not None
                else f"{hint}; please report it with the steps that led here.")
    return ev.Failed(translated.message, hint, step, translated.node_id)


