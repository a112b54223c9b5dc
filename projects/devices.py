"""Devices and strategies: where a run trains, chosen before TensorFlow starts its runtime.

One device (a GPU when TensorFlow sees one, or as chosen), or a TensorFlow strategy:
``mirrored`` over all local GPUs (or logical CPU devices, see :func:`split_cpu`), or
``multiworker`` over the ``TF_CONFIG`` cluster, in which every worker runs the same command.
"""

from __future__ import annotations

import json
import os
import platform
from typing import Any


class DeviceError(Exception):
    """The device or strategy asked for cannot be had; ``hint`` says what would work."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def split_cpu(replicas: int) -> None:
    """Expose the CPU as ``replicas`` logical devices, so MirroredStrategy can run on a
    machine without GPUs (for trying distribution out, and for tests)."""
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)])


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



def strategy_and_device(strategy_name: str | None, device: str | None) -> tuple[Any, str]:
    """The TensorFlow strategy (or a one-device scope) a run trains under, and a label for
    it. Raises DeviceError for a device or strategy that cannot be had."""
    import tensorflow as tf

    if strategy_name == "multiworker":
        # Before anything else touches TensorFlow: collectives are configured at start-up.
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except (RuntimeError, ValueError) as err:
            raise DeviceError(f"Cannot start the multi-worker strategy: {err}",
                              "Start each worker as a fresh process (deepwire train FILE "
                              "--strategy multiworker) with TF_CONFIG describing the cluster."
                              ) from err
        chief, task = worker_role()
        return strategy, (f"multi-worker ({task}{', chief' if chief else ''}): "
                          f"{strategy.num_replicas_in_sync} replicas")
    gpus = tf.config.list_logical_devices("GPU")
    if strategy_name == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
        return strategy, f"mirrored over {len(devices)} devices: {', '.join(devices)}"
    if strategy_name not in (None, "", "none"):
        raise DeviceError(f"Unknown strategy {strategy_name!r}",
                          "Use mirrored or multiworker, or none.")
    wanted = (device or "").lower()
    if wanted in ("", "auto"):
        name = gpus[0].name if gpus else "/device:CPU:0"
    elif wanted == "cpu":
        name = "/device:CPU:0"
    elif wanted == "gpu" or (wanted.startswith("gpu:") and wanted[4:].isdigit()):
        index = int(wanted.partition(":")[2] or 0)
        if index >= len(gpus):
            raise DeviceError(f"There is no GPU {index}: TensorFlow sees {len(gpus)} GPU(s).",
                              "Use --device cpu, or check the GPU driver and the "
                              "tensorflow[and-cuda] install.")
        name = gpus[index].name
    else:
        raise DeviceError(f"Unknown device {device!r}", "Use cpu, gpu or gpu:N.")
    # A plain device scope, not OneDeviceStrategy: a strategy makes Keras build a
    # distributed iterator every epoch, which costs more than a small epoch itself.
    return DeviceScope(name), _device_label(name)


class DeviceScope:
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

