"""The Keras callback that turns training into Deepwire's events (docs/architecture.md,
Training and events): throttled batch events, epoch events, probes, stop and pause."""

from __future__ import annotations

import functools
import math
import time
from typing import TYPE_CHECKING

import numpy as np

from projects import events as ev
from projects.document import TrainingSettings
from projects.probes import Prober

if TYPE_CHECKING:
    from projects.training import Trainer

PROBE_BUDGET = 0.03  # all probes together never take more than this share of the time


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
            if not trainer.stopping:
                trainer._emit(ev.Resumed(step, self._epoch))
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

