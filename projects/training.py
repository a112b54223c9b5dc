"""The training engine: trains any valid project and reports as it goes (DESIGN.md §4, §6).

Qt-free. A :class:`Trainer` runs one training run to the end in the calling thread (the GUI
calls it from its worker thread, the CLI from the main thread) and reports through
:mod:`projects.events`. ``stop``, ``pause`` and ``resume`` may be called from any thread and
take effect at the end of the current step. Every run gets its own folder beside the
project, kept whether the run completes, stops or fails.

Devices and scale: one device (a GPU when TensorFlow sees one, or as chosen), or a
TensorFlow strategy: ``mirrored`` over all local GPUs (or logical CPU devices, see
:mod:`projects.devices`), or ``multiworker`` over the ``TF_CONFIG`` cluster, in which every
worker runs the same command. The chief (the "chief" task, else worker 0) owns the run
folder ``<stamp>``; every other worker records its own copy in ``<stamp>_worker<N>`` and
never writes into the chief's. Node classification and GANs train on one device only.
"""

from __future__ import annotations

import functools
import gc
import json
import math
import os
import platform
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from projects import events as ev
from projects import files
from projects.compiler import CompiledProject, CompileError, compile_project
from projects.document import (
    DocumentError,
    Project,
    TrainingSettings,
    check_training,
    node_sort_key,
)
from projects.validation import validate

Listener = Callable[[ev.Event], None]

BATCH_INTERVAL_S = 0.05  # at most ~20 batch events per second
PROBE_INTERVAL_S = 0.5  # at most ~2 probes per second
PROBE_BUDGET = 0.03  # and all probes together never more than this share of the time
PROBE_SAMPLES = 8
GAN_GRID = 16
EMBEDDING_EDGE_LIMIT = 5_000  # draw edges only for graphs this small
REGRESSION_LOSSES = frozenset({"mean_squared_error", "mean_absolute_error", "huber"})


@dataclass(frozen=True)
class RunOptions:
    """How to run, beyond the project's own training settings (which these may override)."""

    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    seed: int | None = None
    device: str | None = None  # "cpu", "gpu", "gpu:N"; None picks a GPU when there is one
    strategy: str | None = None  # None, "mirrored" or "multiworker"
    mixed_precision: bool = False
    runs_dir: Path | None = None
    record: bool = True  # write the run folder
    tensorboard: bool = True
    probes: bool = True
    batch_interval: float = BATCH_INTERVAL_S
    probe_interval: float = PROBE_INTERVAL_S


class RunFailure(Exception):
    """A failure found before or during training, with a hint and the block to blame."""

    def __init__(self, message: str, hint: str = "", node_id: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        self.node_id = node_id


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
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()  # set = not paused
        self._events_file: Any = None
        self._step = 0

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
            self._open_run_folder()
        except OSError as err:
            return self._emit(ev.Failed(f"Cannot create the run folder: {err}",
                                        "Choose a runs folder you can write to."))
        status = "failed"
        try:
            final = self._train(settings)
            status = "stopped" if self.stopping else "completed"
            result = ev.Finished(status, final, str(self.run_dir or ""),
                                 time.perf_counter() - started)
        except RunFailure as err:
            result = ev.Failed(str(err), err.hint, self._step, err.node_id)
        except Exception as err:  # any other error still ends the run with an event
            result = _failure_from_exception(err, self._step, self.settings().batch_size)
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

    def _open_run_folder(self) -> None:
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
            "failure": asdict(result) if isinstance(result, ev.Failed) else None,
            "steps": self._step,
            "seconds": round(seconds, 3),
            "versions": {"deepwire": _deepwire_version(), "tensorflow": tf.__version__,
                         "keras": keras.__version__, "python": platform.python_version()},
            "finished_at": datetime.now().isoformat(timespec="seconds"),
        }
        files.atomic_write(self.run_dir / "run.json",
                           (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())

    # ---- training proper

    def _train(self, settings: TrainingSettings) -> dict[str, float]:
        import keras
        import tensorflow as tf

        from projects.datasets import DatasetError, check_fits, load_dataset

        kind = self.project.task.get("kind", "supervised")
        if self.options.strategy not in (None, "", "none") and kind in UNDISTRIBUTED_TASKS:
            raise RunFailure(UNDISTRIBUTED_TASKS[kind], "Train it without --strategy, on one "
                             "device (a GPU is picked when TensorFlow sees one).")
        # The strategy comes first: the multi-worker one must be set up before TensorFlow
        # starts its runtime (which validating or loading data may do).
        strategy, device = _strategy_and_device(self.options)
        self._device_name = device
        self._replicas = int(getattr(strategy, "num_replicas_in_sync", 1))
        report = validate(self.project)
        if not report.ok:
            first = report.errors[0]
            raise RunFailure(f"The model is not valid: {first.message}",
                             "Fix the problems listed for the model, then train again.",
                             first.node_id)
        base_dir = self.project_path.parent if self.project_path else None
        try:
            spec = dict(self.project.dataset)
            losses = {n.params["loss"] for n in self.project.nodes.values() if n.block == "output"}
            if losses and losses <= REGRESSION_LOSSES:
                spec.setdefault("targets", "numbers")
            data = load_dataset(spec, seed=settings.seed,
                                validation_split=settings.validation_split, base_dir=base_dir,
                                task_kind=kind)
            self._dataset_description = data.description
            inputs, classes, graphs = _fit_expectations(self.project, report)
            check_fits(data, inputs, classes, graph_nodes=graphs,
                       labels={i: n.label for i, n in self.project.nodes.items()})
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
                                     issue.node_id) from err
            if not isinstance(strategy, _DeviceScope):
                _fit_distributed(self.compiled.model, self.options.strategy == "multiworker")
            # The model's objects live as long as the run: keep them out of the garbage
            # collector's full passes, which hold the GIL (and so stall a GUI) for 100s of ms.
            gc.freeze()
            fit_args = _fit_arguments(kind, data, settings, self.compiled)
            steps = fit_args.pop("steps_per_epoch_hint")
            self._graph_inputs = fit_args.pop("graph_inputs", None)
            self._emit(ev.RunStarted(
                str(self.run_dir or ""), self.project.name, kind, settings.epochs, steps,
                data.num_nodes if kind == "node_classification" else settings.batch_size,
                device, settings.seed,
                data.description, tuple(self.compiled.attention_nodes)))
            callbacks = [EventCallback(self, settings, steps, data, kind)]
            if self.run_dir is not None:
                callbacks.append(keras.callbacks.CSVLogger(str(self.run_dir / "history.csv")))
                if self.options.tensorboard:
                    callbacks.append(keras.callbacks.TensorBoard(
                        str(self.run_dir / "tensorboard"), write_graph=False,
                        update_freq="epoch", profile_batch=0))
            # One device: train inside tf.device too. Strategies distribute fit themselves.
            place = strategy.scope() if isinstance(strategy, _DeviceScope) else nullcontext()
            with place:
                history = self.compiled.model.fit(epochs=settings.epochs, verbose=0,
                                                  callbacks=callbacks, **fit_args)
        finally:
            keras.mixed_precision.set_global_policy(previous_policy)
        nan = callbacks[0].nan_at
        if nan is not None:
            raise RunFailure(
                f"The loss became {nan[1]} at step {nan[0]}; training was stopped.",
                f"Lower the learning rate (now {settings.learning_rate:g}), or check the data "
                "for extreme values.")
        if self.run_dir is not None:
            self.compiled.model.save(self.run_dir / "model.keras")
        return {k: float(v[-1]) for k, v in history.history.items() if v}


UNDISTRIBUTED_TASKS = {
    "node_classification": "Node classification trains on the whole graph in one step, which "
    "cannot be split across replicas, so it cannot use a distribution strategy.",
    "adversarial": "A GAN (adversarial task) cannot use a distribution strategy: Keras cannot "
    "yet distribute its two-optimizer training step.",
}


def worker_role() -> tuple[bool, str]:
    """Whether this process is the chief of the ``TF_CONFIG`` cluster, and its task name
    (``worker1``). The chief is the "chief" task, or worker 0 when there is none; without a
    cluster the process is its own chief."""
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        task = config.get("task") or {}
        kind, index = str(task.get("type") or "worker"), int(task.get("index") or 0)
        has_chief = bool((config.get("cluster") or {}).get("chief"))
    except (ValueError, TypeError, AttributeError):
        return True, "worker0"
    chief = kind == "chief" or (kind == "worker" and index == 0 and not has_chief)
    return chief, f"{kind}{index}"


def default_runs_dir(project: Project, project_path: Path | None) -> Path:
    """``<name>.runs`` beside the project file, or in the user's home for unsaved ones."""
    if project_path is not None:
        return project_path.with_name(project_path.stem + ".runs")
    from projects.compiler import model_name

    return Path.home() / "Deepwire" / f"{model_name(project.name)}.runs"


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


def _strategy_and_device(options: RunOptions) -> tuple[Any, str]:
    import tensorflow as tf

    if options.strategy == "multiworker":
        # Before anything else touches TensorFlow: collectives are configured at start-up.
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except (RuntimeError, ValueError) as err:
            raise RunFailure(f"Cannot start the multi-worker strategy: {err}",
                             "Start each worker as a fresh process (deepwire train FILE "
                             "--strategy multiworker) with TF_CONFIG describing the cluster."
                             ) from err
        chief, task = worker_role()
        return strategy, (f"multi-worker ({task}{', chief' if chief else ''}): "
                          f"{strategy.num_replicas_in_sync} replicas")
    gpus = tf.config.list_logical_devices("GPU")
    if options.strategy == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
        return strategy, f"mirrored over {len(devices)} devices: {', '.join(devices)}"
    if options.strategy not in (None, "", "none"):
        raise RunFailure(f"Unknown strategy {options.strategy!r}",
                         "Use mirrored or multiworker, or none.")
    wanted = (options.device or "").lower()
    if wanted in ("", "auto"):
        name = gpus[0].name if gpus else "/device:CPU:0"
    elif wanted == "cpu":
        name = "/device:CPU:0"
    elif wanted == "gpu" or (wanted.startswith("gpu:") and wanted[4:].isdigit()):
        index = int(wanted.partition(":")[2] or 0)
        if index >= len(gpus):
            raise RunFailure(f"There is no GPU {index}: TensorFlow sees {len(gpus)} GPU(s).",
                             "Use --device cpu, or check the GPU driver and the "
                             "tensorflow[and-cuda] install.")
        name = gpus[index].name
    else:
        raise RunFailure(f"Unknown device {options.device!r}", "Use cpu, gpu or gpu:N.")
    # A plain device scope, not OneDeviceStrategy: a strategy makes Keras build a
    # distributed iterator every epoch, which costs more than a small epoch itself.
    return _DeviceScope(name), _device_label(name)


def _fit_distributed(model: Any, multi_worker: bool) -> None:
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
    """
    if not all(hasattr(model, name) for name in ("_maybe_symbolic_build", "_symbolic_build",
                                                 "train_step", "test_step")):
        return  # another Keras: leave it alone
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


class _DeviceScope:
    """Stands in for a strategy when one device is used: ``scope()`` is ``tf.device``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def scope(self) -> Any:
        import tensorflow as tf

        return tf.device(self.name)


def _device_label(name: str) -> str:
    short = name.replace("/device:", "").replace("/job:localhost/replica:0/task:0", "")
    if "GPU" in short:
        import tensorflow as tf

        try:
            details = tf.config.experimental.get_device_details(
                tf.config.list_physical_devices("GPU")[int(short.rsplit(":", 1)[1])])
            return f"{short} ({details.get('device_name', 'GPU')})"
        except (IndexError, ValueError, RuntimeError):
            return short
    return f"{short} ({platform.processor() or platform.machine()})"


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
        adjacency = _sparse_adjacency(data)
        x = (tf.constant(data.features, tf.float32), adjacency)
        y = np.where(data.labels >= 0, data.labels, 0).astype("int32")  # masked out anyway
        train = data.train_mask.astype("float32")
        # Full batch: one step per epoch from an endless one-element dataset, so Keras keeps
        # its iterator across epochs instead of rebuilding it for every (tiny) epoch.
        whole = tf.data.Dataset.from_tensors((x, y, train)).repeat()
        fit = {"x": whole, "steps_per_epoch": 1, "shuffle": False, "steps_per_epoch_hint": 1,
               "graph_inputs": x}
        if data.val_mask.any():
            fit["validation_data"] = tf.data.Dataset.from_tensors(
                (x, y, data.val_mask.astype("float32"))).repeat()
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
    x = _as_tuple(data.x_train)
    n = len(x[0])
    pipeline = (tf.data.Dataset.from_tensor_slices((x if len(x) > 1 else x[0], data.y_train))
                .shuffle(n, seed=settings.seed, reshuffle_each_iteration=True)
                .batch(batch).prefetch(tf.data.AUTOTUNE))
    fit = {"x": pipeline, "shuffle": False, "steps_per_epoch_hint": math.ceil(n / batch)}
    if data.x_val is not None and len(_as_tuple(data.x_val)[0]):
        xv = _as_tuple(data.x_val)
        fit["validation_data"] = (tf.data.Dataset.from_tensor_slices(
            (xv if len(xv) > 1 else xv[0], data.y_val)).batch(batch).prefetch(tf.data.AUTOTUNE))
    return fit


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, list | tuple) else (x,)


def _sparse_adjacency(data) -> Any:
    """The graph as a tf.SparseTensor with both directions of every edge, no self loops
    (the Graph block adds them when it normalises)."""
    import tensorflow as tf

    edges = np.asarray(data.edges, dtype=np.int64).reshape(-1, 2)
    edges = edges[edges[:, 0] != edges[:, 1]]
    both = np.unique(np.concatenate([edges, edges[:, ::-1]]), axis=0)
    return tf.SparseTensor(both, np.ones(len(both), np.float32),
                           (data.num_nodes, data.num_nodes))


def _failure_from_exception(err: Exception, step: int, batch_size: int) -> ev.Failed:
    import tensorflow as tf

    if isinstance(err, (tf.errors.ResourceExhaustedError, MemoryError)):
        return ev.Failed("Out of memory while training.",
                         f"Use a smaller batch size (now {batch_size}) or a smaller model.", step)
    message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ev.Failed(f"{type(err).__name__}: {message}",
                     "This is unexpected; the run folder has the details.", step)


# ----------------------------------------------------------------------------- callback


class EventCallback:
    """Turns Keras's callbacks into throttled events; honours stop and pause.

    Made a ``keras.callbacks.Callback`` when first created (see ``__new__``), so importing
    this module does not import TensorFlow.
    """

    def __new__(cls, *args, **kwargs):
        return super().__new__(_keras_event_callback())

    def __init__(self, trainer: Trainer, settings: TrainingSettings, steps_per_epoch: int,
                 data, kind: str) -> None:
        super().__init__()
        self.trainer = trainer
        self.settings = settings
        self.steps_per_epoch = steps_per_epoch
        self.data = data
        self.kind = kind
        self.total_steps = steps_per_epoch * settings.epochs
        self.nan_at: tuple[int, str] | None = None
        self._epoch = 0
        self._last_batch_event = 0.0
        self._last_probe = -math.inf
        self._probe_seconds = 0.0  # spent in probes so far, against PROBE_BUDGET
        self._samples_since = 0
        self._since = 0.0
        self._started = 0.0
        self._epoch_started = 0.0
        self._prober = Prober(trainer, data, kind)
        self._logs: dict[str, float] = {}

    def on_train_begin(self, logs=None) -> None:
        self._started = self._since = time.perf_counter()
        self._prober.prepare(self.trainer.compiled)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch + 1
        self._epoch_started = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        trainer = self.trainer
        trainer._step += 1
        step = trainer._step
        logs = _floats(logs)
        self._logs = logs
        loss = logs.get("loss", logs.get("d_loss", 0.0))
        if not math.isfinite(loss):
            self.nan_at = (step, "NaN" if math.isnan(loss) else "infinite")
            self.model.stop_training = True
            return
        self._samples_since += self._batch_samples()
        now = time.perf_counter()
        if now - self._last_batch_event >= trainer.options.batch_interval or (
                batch + 1 == self.steps_per_epoch):
            rate = self._samples_since / max(now - self._since, 1e-9)
            elapsed = now - self._started
            eta = elapsed / step * max(self.total_steps - step, 0)
            metrics = {k: v for k, v in logs.items() if k != "loss"}
            trainer._emit(ev.BatchEnd(self._epoch, step, batch + 1, self.steps_per_epoch, loss,
                                      metrics, rate, eta))
            self._last_batch_event, self._since, self._samples_since = now, now, 0
        if trainer.options.probes and self._probe_due(now):
            self._last_probe = now
            self._prober.probe(step, self._epoch, logs)
            self._probe_seconds += time.perf_counter() - now
        if not trainer._running.is_set():
            trainer._emit(ev.Paused(step, self._epoch))  # a listener may wait for the hold
            held = time.perf_counter()
            trainer._running.wait()  # paused: hold here, between two steps
            # A pause is not training time: the rate, the ETA, the epoch's duration and the
            # probes' budget leave it out.
            paused = time.perf_counter() - held
            self._started += paused
            self._since += paused
            self._epoch_started += paused
        if trainer.stopping:
            self.model.stop_training = True

    def _probe_due(self, now: float) -> bool:
        """At most one probe per interval, and all probes (the first one's tracing too)
        within PROBE_BUDGET of the time since training began: a 100 000-node embedding
        costs ~60 ms, so on such a graph it comes every couple of seconds."""
        return (now - self._last_probe >= self.trainer.options.probe_interval
                and self._probe_seconds <= PROBE_BUDGET * (now - self._started))

    def _batch_samples(self) -> int:
        if self.kind == "node_classification":
            return int(self.data.num_nodes)
        return self.settings.batch_size

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.nan_at is not None:
            return
        logs = _floats(logs)
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        self.trainer._emit(ev.EpochEnd(epoch + 1, train, val, self._learning_rate(),
                                       time.perf_counter() - self._epoch_started))
        last = epoch + 1 == self.settings.epochs or self.trainer.stopping
        if self.trainer.options.probes and last:  # the final state is always shown
            self._prober.probe(self.trainer._step, epoch + 1, self._logs)

    def _learning_rate(self) -> float:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:  # the GAN has two; report the generator's
            optimizer = getattr(self.model, "generator_optimizer", None)
        try:
            return float(np.asarray(optimizer.learning_rate))
        except (AttributeError, TypeError, ValueError):
            return float(self.settings.learning_rate)


@functools.cache
def _keras_event_callback() -> type:
    """EventCallback with keras.callbacks.Callback as a second base, built on first use."""
    import keras

    return type("EventCallback", (EventCallback, keras.callbacks.Callback), {})


def _floats(logs: dict | None) -> dict[str, float]:
    out = {}
    for key, value in (logs or {}).items():
        try:
            out[key] = float(np.asarray(value))
        except (TypeError, ValueError):
            continue
    return out


# ----------------------------------------------------------------------------- probes


class Prober:
    """Looks inside the model for the dashboard: attention, GAN samples, node embeddings."""

    def __init__(self, trainer: Trainer, data, kind: str) -> None:
        self.trainer = trainer
        self.data = data
        self.kind = kind
        self._attention: Any = None
        self._embedding: Any = None
        self._z: Any = None
        self._won = 0
        self._warned: set[str] = set()

    def prepare(self, compiled: CompiledProject | None) -> None:
        if compiled is None or not self.trainer.options.probes:
            return
        import keras

        if self.kind == "adversarial":
            latent = compiled.generator.input.shape[-1]
            rng = np.random.default_rng(self.trainer.settings().seed)
            self._z = rng.normal(size=(GAN_GRID, latent)).astype("float32")
            return
        if self.kind == "node_classification":
            hidden = _embedding_tensor(compiled)
            self._embedding = keras.Model(compiled.model.inputs,
                                          [hidden, compiled.model.outputs[0]])
            self._graph_inputs = self.trainer._graph_inputs
            return
        probe = compiled.probe_model()
        if probe is not None:
            x = self.data.x_val if self.data.x_val is not None and len(
                _as_tuple(self.data.x_val)[0]) else self.data.x_train
            x = tuple(a[:PROBE_SAMPLES] for a in _as_tuple(x))
            y = self.data.y_val if x is not None and self.data.x_val is not None else None
            self._attention = (probe, x if len(x) > 1 else x[0])
            self._tokens = _step_labels(x[0])
            self._labels = [] if y is None else [int(v) for v in np.asarray(y)[:PROBE_SAMPLES]]

    def probe(self, step: int, epoch: int, logs: dict[str, float]) -> None:
        if self._attention is not None:
            model, x = self._attention
            weights = model.predict_on_batch(x)  # compiled once; an eager call costs ~15x
            self.trainer._emit(ev.AttentionProbe(
                step, epoch, {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()},
                self._tokens, self._labels))
        elif self._z is not None:
            self._probe_gan(step, epoch, logs)
        elif self._embedding is not None:
            self._probe_graph(step, epoch)

    def _probe_gan(self, step: int, epoch: int, logs: dict[str, float]) -> None:
        compiled = self.trainer.compiled
        samples = np.asarray(compiled.generator.predict_on_batch(self._z), dtype=np.float32)
        d_real, d_fake = float(logs.get("d_real", math.nan)), float(logs.get("d_fake", math.nan))
        self.trainer._emit(ev.GanProbe(step, epoch, samples, d_real, d_fake))
        self._won = self._won + 1 if (d_real > 0.95 and d_fake < 0.05) else 0
        if self._won >= 3:
            self._warn("won", step, "The discriminator has won: D(x) ≈ 1 and D(G(z)) ≈ 0, so "
                       "the generator learns little. Try a lower learning rate or a smaller "
                       "discriminator.")
        spread = float(samples.std(axis=0).mean())
        if step > 50 and spread < 0.01 * (float(samples.max() - samples.min()) + 1e-6):
            self._warn("collapse", step, "The generator may have collapsed: its samples "
                       "barely differ from each other. Try a lower learning rate.")

    def _warn(self, key: str, step: int, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.trainer._emit(ev.RunWarning(message, step))

    def _probe_graph(self, step: int, epoch: int) -> None:
        hidden, scores = self._embedding.predict_on_batch(self._graph_inputs)
        hidden = np.asarray(hidden, dtype=np.float64)
        predictions = np.asarray(scores).argmax(axis=-1)
        labels = np.asarray(self.data.labels)
        labelled = np.asarray(self.data.train_mask, dtype=bool)
        correct = predictions == labels
        edges = None
        if len(self.data.edges) <= EMBEDDING_EDGE_LIMIT:
            edges = np.asarray(self.data.edges, dtype=np.int32).reshape(-1, 2)
        self.trainer._emit(ev.EmbeddingProbe(
            step, epoch, pca_2d(hidden).astype(np.float32), labels.astype(np.int32),
            predictions.astype(np.int32), labelled,
            float(correct[labelled].mean()) if labelled.any() else math.nan,
            float(correct[~labelled].mean()) if (~labelled).any() else math.nan, edges))


def pca_2d(x: np.ndarray) -> np.ndarray:
    """The first two principal components (padded with zeros for 1-D embeddings).

    From the eigenvectors of the small (F, F) scatter matrix rather than an SVD of the
    (N, F) data: the same axes, several times faster on graphs of 100 000 nodes.
    """
    centred = x - x.mean(axis=0, keepdims=True)
    if centred.shape[1] == 0:
        return np.zeros((len(x), 2))
    _, vectors = np.linalg.eigh(centred.T @ centred)  # eigenvalues in ascending order
    coords = centred @ vectors[:, ::-1][:, :2]
    if coords.shape[1] < 2:
        coords = np.concatenate([coords, np.zeros((len(x), 2 - coords.shape[1]))], axis=1)
    return coords


def _embedding_tensor(compiled: CompiledProject) -> Any:
    """The node features entering the block that feeds the Output: the last hidden layer."""
    project = compiled.project
    output = compiled.output_nodes[0]
    last = project.link_into(output, "in").source
    links = project.links_into(last)
    tensor_links = [link for link in links
                    if project.node(link.source).output_ports()[0].kind == "tensor"]
    if not tensor_links:
        return compiled.tensors[(last, project.node(last).output_ports()[0].name)]
    source = tensor_links[0]
    return compiled.tensors[(source.source, source.source_port)]


def _step_labels(x: np.ndarray) -> list[list[str]]:
    """Axis labels for attention maps: token ids for integer sequences, else step numbers."""
    x = np.asarray(x)
    if x.ndim < 2:
        return []
    if np.issubdtype(x.dtype, np.integer):
        return [[str(int(t)) for t in row] for row in x]
    return [[str(i + 1) for i in range(x.shape[1])] for _ in range(len(x))]
