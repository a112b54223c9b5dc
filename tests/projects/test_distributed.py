"""Devices and scale: device choice, mixed precision, MirroredStrategy on two logical CPU
devices and MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1.

Strategies that split the CPU or join a cluster must be set up before TensorFlow starts, so
those runs happen in subprocesses (the real ``deepwire train``, or a small driver script);
the rest runs in this process. No test needs a GPU: where GPU presence matters it is mocked,
and the test says so.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import resources
from projects import events as ev
from projects import files
from projects.devices import worker_role
from projects.training import RunOptions, Trainer
from tests.projects.support import deepwire_command, only_run_folder, tiny_project

pytest.importorskip("tensorflow")

EXAMPLES = resources.examples_dir()
TIMEOUT_S = 120  # no subprocess may outlive this, whatever happens to its peers


def run(args: list[str], timeout: float = TIMEOUT_S, env: dict | None = None
        ) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def run_info(folder: Path) -> dict:
    return json.loads((folder / "run.json").read_text())


def weights_of(model_file: Path) -> list[np.ndarray]:
    import keras

    return keras.saving.load_model(model_file).get_weights()


# ----------------------------------------------------------------------------- mirrored


def test_cli_trains_mirrored_over_two_logical_cpus(tmp_path: Path) -> None:
    # The attention example: its probe model must work under the strategy too. A global
    # batch of 63 is one the two replicas do not divide, and 2800 % 63 (the training part,
    # after validation and test) leaves a short last batch of 28.
    runs = tmp_path / "runs"
    done = run([*deepwire_command(), "train", str(EXAMPLES / "attention_find_marker.deepwire"),
                "--strategy", "mirrored", "--cpu-replicas", "2", "--epochs", "1",
                "--batch-size", "63", "--runs-dir", str(runs), "--no-tensorboard"])
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert "on mirrored over 2 devices" in done.stdout
    folder = only_run_folder(runs)
    info = run_info(folder)
    assert info["status"] == "completed" and info["strategy"] == "mirrored"
    assert info["replicas"] == 2  # strategy.num_replicas_in_sync
    assert info["device"] == "mirrored over 2 devices: /device:CPU:0, /device:CPU:1"
    assert info["steps"] == 45 and info["training"]["batch_size"] == 63
    assert info["final_metrics"]["val_accuracy"] > 0.5  # it learned: chance is 0.25
    events = list(ev.replay(folder))
    assert sum(isinstance(e, ev.EpochEnd) for e in events) == 1
    probes = [e for e in events if isinstance(e, ev.AttentionProbe)]
    assert probes and probes[-1].weights["n3"].shape == (8, 20)
    np.testing.assert_allclose(probes[-1].weights["n3"].sum(axis=-1), 1.0, rtol=1e-4)


@pytest.mark.parametrize("example, refusal", [
    ("gcn_karate", "Node classification trains on the whole graph"),
    ("gan_digits", "A GAN (adversarial task) cannot use a distribution strategy"),
])
def test_tasks_that_cannot_be_distributed_are_refused_clearly(example: str, refusal: str,
                                                              tmp_path: Path) -> None:
    seen: list[ev.Event] = []
    trainer = Trainer(files.load(EXAMPLES / f"{example}.deepwire"), None,
                      RunOptions(strategy="mirrored", runs_dir=tmp_path, tensorboard=False),
                      seen.append)
    result = trainer.run()
    assert isinstance(result, ev.Failed)
    assert result.message.startswith(refusal) and "without --strategy" in result.hint
    assert not any(isinstance(e, ev.RunStarted) for e in seen)
    assert run_info(only_run_folder(tmp_path))["status"] == "failed"


# ----------------------------------------------------------------------------- multi-worker


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_two_workers_on_localhost_finish_with_the_same_weights(tmp_path: Path) -> None:
    project = tiny_project(tmp_path / "p")
    cluster = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = []
    for index in range(2):
        config = {"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}
        workers.append(subprocess.Popen(
            [*deepwire_command(), "train", str(project), "--strategy", "multiworker",
             "--seed", "3", "--epochs", "2", "--runs-dir", str(tmp_path / f"runs{index}"),
             "--no-tensorboard"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TF_CONFIG": json.dumps(config)}))
    outputs = []
    deadline = time.monotonic() + TIMEOUT_S
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=max(1.0, deadline - time.monotonic())))
    finally:
        for worker in workers:  # a worker whose peer died waits forever: never leave it
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, out + err[-3000:]
        assert "Traceback" not in err
    chief, other = (only_run_folder(tmp_path / f"runs{i}") for i in range(2))
    # worker 0 is the chief and owns the plain run folder; worker 1 records beside it
    assert not chief.name.endswith("_worker1") and other.name.endswith("_worker1")
    for folder, device in ((chief, "multi-worker (worker0, chief): 2 replicas"),
                           (other, "multi-worker (worker1): 2 replicas")):
        info = run_info(folder)
        assert info["status"] == "completed" and info["strategy"] == "multiworker"
        assert info["device"] == device and info["replicas"] == 2
        assert info["steps"] == 2 * 9  # 140 train samples: the global batch is split, not doubled
    assert run_info(chief)["final_metrics"] == run_info(other)["final_metrics"]
    for a, b in zip(weights_of(chief / "model.keras"), weights_of(other / "model.keras"),
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_worker_role_follows_tf_config(monkeypatch) -> None:
    def role(config: dict | None) -> tuple[bool, str]:
        if config is None:
            monkeypatch.delenv("TF_CONFIG", raising=False)
        else:
            monkeypatch.setenv("TF_CONFIG", json.dumps(config))
        return worker_role()

    workers = {"worker": ["a:1", "b:2"]}
    assert role(None) == (True, "worker0")
    assert role({"cluster": workers, "task": {"type": "worker", "index": 0}}) == (True, "worker0")
    assert role({"cluster": workers, "task": {"type": "worker", "index": 1}}) == (False, "worker1")
    with_chief = {**workers, "chief": ["c:3"]}
    assert role({"cluster": with_chief, "task": {"type": "chief", "index": 0}}) == (True, "chief0")
    assert role({"cluster": with_chief, "task": {"type": "worker", "index": 0}}) == (
        False, "worker0")


def test_multiworker_after_tensorflow_started_fails_with_a_hint(tmp_path: Path,
                                                                 monkeypatch) -> None:
    import tensorflow as tf

    tf.config.list_logical_devices()  # the runtime is up, as in the GUI
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"worker": [f"127.0.0.1:{p}" for p in free_ports(2)]},
        "task": {"type": "worker", "index": 0}}))
    project = files.load(tiny_project(tmp_path / "p"))
    result = Trainer(project, None, RunOptions(strategy="multiworker", record=False)).run()
    assert isinstance(result, ev.Failed)
    assert result.message.startswith("Cannot start the multi-worker strategy")
    assert "fresh process" in result.hint


# ----------------------------------------------------------------------------- devices


def test_device_cpu_trains_and_is_recorded(tmp_path: Path) -> None:
    path = tiny_project(tmp_path / "p")
    result = Trainer(files.load(path), path, RunOptions(device="cpu", runs_dir=tmp_path / "runs",
                                                        tensorboard=False)).run()
    assert isinstance(result, ev.Finished) and result.status == "completed"
    info = run_info(Path(result.run_dir))
    assert info["device"].startswith("CPU:0") and info["replicas"] == 1
    assert info["precision"] == "float32" and info["mixed_precision"] is False


def test_missing_gpu_fails_on_the_command_line_without_a_traceback(tmp_path: Path) -> None:
    project = tiny_project(tmp_path / "p")
    done = run([*deepwire_command(), "train", str(project), "--device", "gpu:3",
                "--runs-dir", str(tmp_path / "runs"), "--no-tensorboard"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "failed: There is no GPU 3: TensorFlow sees 0 GPU(s)." in done.stdout
    assert "hint: Use --device cpu" in done.stdout
    assert "Traceback" not in done.stderr
    assert run_info(only_run_folder(tmp_path / "runs"))["status"] == "failed"


@pytest.mark.parametrize("device", ["tpu", "gpu:x", "gpu:-1"])
def test_unknown_devices_are_refused(device: str, tmp_path: Path) -> None:
    project = files.load(tiny_project(tmp_path / "p"))
    result = Trainer(project, None, RunOptions(device=device, record=False)).run()
    assert isinstance(result, ev.Failed)
    assert result.message == f"Unknown device {device!r}"


def test_gpu_choice_with_mocked_gpus(monkeypatch) -> None:
    # This machine has no GPU: TensorFlow's device list is mocked to show two, and only the
    # choice of device is checked (nothing runs on them).
    import tensorflow as tf

    from projects import devices

    class Device:
        def __init__(self, name: str) -> None:
            self.name = name

    real = tf.config.list_logical_devices

    def listed(kind=None):
        if kind == "GPU":
            return [Device("/device:GPU:0"), Device("/device:GPU:1")]
        return real(kind)

    monkeypatch.setattr(tf.config, "list_logical_devices", listed)
    scope, label = devices.strategy_and_device(None, "gpu:1")
    assert scope.name == "/device:GPU:1" and label.startswith("GPU:1")
    scope, _ = devices.strategy_and_device(None, None)  # default: the first GPU
    assert scope.name == "/device:GPU:0"
    scope, _ = devices.strategy_and_device(None, "cpu")
    assert scope.name == "/device:CPU:0"
    with pytest.raises(devices.DeviceError, match="There is no GPU 2: TensorFlow sees 2"):
        devices.strategy_and_device(None, "gpu:2")


# ----------------------------------------------------------------------------- precision


def test_mixed_precision_runs_in_bfloat16_on_cpu_and_restores_the_policy(tmp_path: Path
                                                                         ) -> None:
    import keras

    assert keras.mixed_precision.global_policy().name == "float32"
    path = tiny_project(tmp_path / "p")
    trainer = Trainer(files.load(path), path, RunOptions(
        mixed_precision=True, device="cpu", runs_dir=tmp_path / "runs", tensorboard=False))
    result = trainer.run()
    assert isinstance(result, ev.Finished), result
    assert all(np.isfinite(v) for v in result.final_metrics.values())
    dense = trainer.compiled.model.get_layer("n2")
    assert dense.dtype_policy.name == "mixed_bfloat16"
    assert dense.compute_dtype == "bfloat16" and dense.variable_dtype == "float32"
    info = run_info(Path(result.run_dir))
    assert info["mixed_precision"] is True and info["precision"] == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"
    assert keras.saving.load_model(Path(result.run_dir) / "model.keras").count_params() == (
        trainer.compiled.model.count_params())


def test_mixed_precision_policy_is_restored_when_the_run_fails(tmp_path: Path) -> None:
    import keras

    project = files.load(tiny_project(tmp_path / "p"))
    result = Trainer(project, None, RunOptions(mixed_precision=True, device="gpu:7",
                                               record=False)).run()
    assert isinstance(result, ev.Failed) and "no GPU 7" in result.message
    assert keras.mixed_precision.global_policy().name == "float32"

