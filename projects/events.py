"""Training events: the small immutable messages a run reports (docs/architecture.md,
Training and events).

The trainer emits them, the CLI prints them, the GUI turns them into Qt signals and the run
folder records them as JSON lines, from which a run can be replayed exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RunStarted:
    run_dir: str
    project: str
    task: str
    epochs: int
    steps_per_epoch: int
    batch_size: int
    device: str
    seed: int
    dataset: str
    attention_nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchEnd:
    epoch: int  # 1-based
    step: int  # global step, 1-based
    epoch_step: int  # step within the epoch, 1-based
    steps_per_epoch: int
    loss: float
    metrics: dict[str, float]
    samples_per_second: float
    eta_seconds: float


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    metrics: dict[str, float]  # training
    val_metrics: dict[str, float]  # validation ("val_" prefix removed); empty without one
    learning_rate: float
    seconds: float


@dataclass(frozen=True)
class AttentionProbe:
    """Attention weights of every attention block for a fixed batch of samples.

    ``weights[node]`` is (samples, T) for additive attention and (samples, heads, Tq, Tk)
    for multi-head attention; ``tokens`` labels the steps of each sample.
    """

    step: int
    epoch: int
    weights: dict[str, np.ndarray]
    tokens: list[list[str]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class GanProbe:
    """Samples from a fixed latent batch, and the discriminator's view of real and fake."""

    step: int
    epoch: int
    samples: np.ndarray  # (n, *data shape), in the data's value range
    d_real: float  # mean D(x), probability
    d_fake: float  # mean D(G(z)), probability


@dataclass(frozen=True)
class EmbeddingProbe:
    """2-D node embeddings (PCA of the last hidden layer) and accuracies per node group."""

    step: int
    epoch: int
    coords: np.ndarray  # (N, 2)
    labels: np.ndarray  # (N,) true classes
    predictions: np.ndarray  # (N,)
    labelled: np.ndarray  # (N,) bool: the training mask
    labelled_accuracy: float  # on the training nodes
    unlabelled_accuracy: float  # on the other nodes that have a label (labels -1 never count)
    edges: np.ndarray | None = None  # (E, 2) for drawing, None for big graphs


@dataclass(frozen=True)
class Paused:
    """The run holds after ``step`` until it is resumed or stopped."""

    step: int
    epoch: int


@dataclass(frozen=True)
class Resumed:
    """The run goes on after a pause (not sent when a stop ends the pause)."""

    step: int
    epoch: int


@dataclass(frozen=True)
class RunWarning:
    message: str
    step: int = 0


@dataclass(frozen=True)
class Failed:
    message: str
    hint: str = ""
    step: int = 0
    node_id: str | None = None
    param: str | None = None  # the block's parameter at fault, when one is


@dataclass(frozen=True)
class Finished:
    status: str  # "completed" or "stopped"
    final_metrics: dict[str, float]
    run_dir: str
    seconds: float
    # Keras's evaluate of the final model on the test part, named like final_metrics;
    # empty when the data has no test part or the task has none (GANs).
    test_metrics: dict[str, float] = field(default_factory=dict)


def test_headline(metrics: dict[str, float]) -> str:
    """The test figure a person reads first: "test accuracy 0.8120" (else its loss, else
    its first metric); "" without test metrics."""
    if not metrics:
        return ""
    key = next((k for k in metrics if k.endswith("accuracy")), None)
    key = key or ("loss" if "loss" in metrics else next(iter(metrics)))
    return f"test {key} {metrics[key]:.4f}"


Event = (RunStarted | BatchEnd | EpochEnd | AttentionProbe | GanProbe | EmbeddingProbe
         | Paused | Resumed | RunWarning | Failed | Finished)
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    RunStarted, BatchEnd, EpochEnd, AttentionProbe, GanProbe, EmbeddingProbe, Paused,
    Resumed, RunWarning, Failed, Finished)}
_ARRAY = "__ndarray__"


def to_json(event: Event) -> str:
    """One JSON line; arrays keep their dtype and shape."""
    payload: dict[str, Any] = {"event": type(event).__name__}
    for f in fields(event):
        payload[f.name] = _encode(getattr(event, f.name))
    return json.dumps(payload, separators=(",", ":"), allow_nan=True)


def from_json(line: str) -> Event:
    payload = json.loads(line)
    cls = EVENT_TYPES[payload.pop("event")]
    values = {}
    for f in fields(cls):
        if f.name in payload:
            value = _decode(payload[f.name])
            if isinstance(value, list) and f.type.startswith("tuple"):
                value = tuple(value)
            values[f.name] = value
    return cls(**values)


def _encode(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {_ARRAY: value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if _ARRAY in value:
            return np.asarray(value[_ARRAY], dtype=value["dtype"]).reshape(value["shape"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def replay(run_dir: str | Path) -> Iterator[Event]:
    """The events a run recorded, in order, from its folder's ``events.jsonl``."""
    with open(Path(run_dir) / "events.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield from_json(line)
