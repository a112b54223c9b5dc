"""The ``deepwire`` command line, run for real in subprocesses: exit codes, output, files,
Ctrl-C, and never a Python traceback for a user's mistake."""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import blocks
import resources
from projects import files
from projects.datasets import registry
from projects.document import Project
from projects.validation import validate
from tests.projects.support import deepwire_command, only_run_folder, tiny_project

EXAMPLES = resources.examples_dir()
TIMEOUT_S = 120


def deepwire(*args: str, timeout: float = TIMEOUT_S, cwd: Path | None = None
             ) -> subprocess.CompletedProcess:
    done = subprocess.run([*deepwire_command(), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


def this_cli(*args: str) -> subprocess.CompletedProcess:
    """The command line of the code under test (the installed script may be another
    checkout's)."""
    code = "import sys; from projects.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, cwd=Path(__file__).resolve().parents[2])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


# ----------------------------------------------------------------------------- validate


VALIDATE_ALL = """
import contextlib, io, json, sys
from projects.cli import main

results = {}
for path in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["validate", path])
    results[path] = [code, out.getvalue()]
print(json.dumps(results))
"""


def test_every_example_is_valid() -> None:
    # `deepwire validate` per example, all in one process so TensorFlow is imported once.
    paths = [str(p) for p in resources.example_paths()]
    assert len(paths) >= 6
    done = subprocess.run([sys.executable, "-c", VALIDATE_ALL, *paths], capture_output=True,
                          text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for path in paths:
        code, out = results[path]
        assert code == 0, out
        assert out.splitlines()[-1].startswith(f"{path}: valid (")


def test_unreadable_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.deepwire"
    broken.write_text('{"format": "deepwire-project", "nodes": [')
    for path in (broken, tmp_path / "missing.deepwire"):
        for command in ("validate", "summary", "train"):
            done = deepwire(command, str(path))
            assert done.returncode == 2, (command, done.stdout, done.stderr)
            assert done.stderr.startswith("error: Cannot open")


def test_invalid_project_exits_1_with_one_line_per_problem(tmp_path: Path) -> None:
    project = Project("broken model")
    source = project.add_node("input", {"shape": [8]})
    dense = project.add_node("dense", {"units": 4})
    lonely = project.add_node("dense", {"units": 3})
    project.add_node("output", {})
    project.add_link(source.id, "out", dense.id, "in")
    project.set_title(lonely.id, "Lonely")
    path = tmp_path / "invalid.deepwire"
    files.save(project, path)
    errors = validate(project).errors
    assert len(errors) == 2
    done = this_cli("validate", "--no-data", str(path))
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line.startswith("error:")]
    assert len(lines) == len(errors)
    assert lines == [str(issue) for issue in errors]
    assert "Lonely (n3)" in lines[0] and "Output (n4)" in lines[1]
    assert done.stdout.splitlines()[-1] == f"{path}: 2 errors, 3 warnings"


def test_validate_checks_the_data_unless_told_not_to(tmp_path: Path) -> None:
    """Input -> Multi-Head Attention -> Dense -> Output on marker sequences: valid as a
    model, but it predicts per step where the data has one label per sample."""
    project = Project("per step")
    project.set_dataset({"name": "marker_sequences", "samples": 64})
    ids = []
    for block, params in (("input", {"shape": [20, 4]}),
                          ("multi_head_attention", {"num_heads": 2, "d_model": 8}),
                          ("dense", {"units": 4, "activation": "softmax"}), ("output", {})):
        node = project.add_node(block, params)
        if ids:
            project.add_link(ids[-1], "out", node.id, "query" if len(ids) == 1 else "in")
        ids.append(node.id)
    path = tmp_path / "per_step.deepwire"
    files.save(project, path)
    runs = {flag: this_cli("validate", *flag, str(path)) for flag in ((), ("--no-data",))}
    with_data, without = runs[()], runs[("--no-data",)]
    assert with_data.returncode == 1, with_data.stdout
    assert ("error: n4: Output (n4) receives one prediction per step, (None, 20, 4), but the "
            "dataset 'Marker sequences' has one label per sample") in with_data.stdout
    assert "  fix: Insert GlobalAveragePooling1D before 'Dense (n3)'" in with_data.stdout
    assert without.returncode == 0, without.stdout
    assert "Marker sequences" not in without.stdout
    project.set_dataset({})
    files.save(project, path)
    done = this_cli("validate", str(path))
    assert "error: No dataset is chosen" in done.stdout
    assert "  fix: Choose the dataset 'Marker sequences'" in done.stdout


# ----------------------------------------------------------------------------- summary, export


def test_summary_lists_blocks_shapes_and_the_true_total(tmp_path: Path) -> None:
    from projects.compiler import build

    path = EXAMPLES / "cnn_digits.deepwire"
    project = files.load(path)
    done = deepwire("summary", str(path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for node in project.nodes.values():
        assert re.search(rf"^{re.escape(node.title or node.spec.title)}\s+{node.block}\s+"
                         rf"{node.id}\s", out, re.MULTILINE), node.id
    assert "(None, 8, 8, 32)" in out and "(None, 10)" in out
    total = int(re.search(r"^Total params: ([\d,]+)", out, re.MULTILINE)[1].replace(",", ""))
    assert total == build(project).model.count_params()


def test_export_writes_a_script_that_builds_the_same_model(tmp_path: Path, capsys
                                                                   ) -> None:
    import keras

    from projects.compiler import build

    source = EXAMPLES / "attention_find_marker.deepwire"
    script, saved = tmp_path / "model.py", tmp_path / "model.keras"
    done = deepwire("export", str(source), "--python", str(script), "--keras", str(saved))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"wrote {script}", f"wrote {saved}"]
    expected = build(files.load(source)).model.count_params()
    # Run the script as a program (here, where TensorFlow is already imported): it prints
    # the model's summary; then build its model again and count.
    namespace = runpy.run_path(str(script), run_name="__main__")
    assert f"Total params: {expected:,}" in capsys.readouterr().out
    assert namespace["build_model"]().count_params() == expected
    assert keras.saving.load_model(saved).count_params() == expected


def test_export_needs_a_target() -> None:
    done = deepwire("export", str(EXAMPLES / "cnn_digits.deepwire"))
    assert done.returncode == 2 and "export needs --python" in done.stderr


# ----------------------------------------------------------------------------- blocks


def test_blocks_lists_every_registered_block() -> None:
    done = deepwire("blocks")
    assert done.returncode == 0
    listed = set(re.findall(r"^  (\S+)\s", done.stdout, re.MULTILINE))
    assert listed == {spec.id for spec in blocks.all_specs()}
    assert done.stdout.rstrip().endswith(f"{len(blocks.all_specs())} block types")


# ----------------------------------------------------------------------------- datasets


def test_datasets_lists_every_registered_dataset_with_its_fields() -> None:
    done = deepwire("datasets")
    assert done.returncode == 0
    listed = re.findall(r"^  (\S+)\s", done.stdout, re.MULTILINE)
    assert listed == list(registry.names())
    assert "      field:  samples: int = 2000 [1..1e+07]" in done.stdout
    assert done.stdout.rstrip().endswith(f"{len(listed)} datasets")
    graphs = deepwire("datasets", "--task", "node_classification")
    assert re.findall(r"^  (\S+)\s", graphs.stdout, re.MULTILINE) == [
        s.name for s in registry.all_specs() if s.kind == "graph"]


# ----------------------------------------------------------------------------- train


def test_train_prints_epochs_and_the_run_folder_and_flags_override(tmp_path: Path) -> None:
    path = tiny_project(tmp_path / "p")
    runs = tmp_path / "runs"
    done = deepwire("train", str(path), "--epochs", "3", "--batch-size", "20",
                    "--learning-rate", "0.01", "--seed", "7", "--device", "cpu",
                    "--weight-decay", "0.0001", "--early-stopping", "5",
                    "--reduce-lr-on-plateau", "4", "--monitor", "val_accuracy",
                    "--runs-dir", str(runs), "--no-tensorboard")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    epochs = [line for line in done.stdout.splitlines() if line.startswith("  epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"]
    assert all("loss" in line and "val_accuracy" in line for line in epochs)
    assert "3 epochs x 7 steps, batch 20, seed 7" in done.stdout  # 140 train samples
    run = only_run_folder(runs)
    assert done.stdout.splitlines()[-1] == f"run folder: {run}"
    assert done.stdout.splitlines()[-2].startswith("test: accuracy ")
    assert done.stdout.splitlines()[-3].startswith("completed in ")
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "completed" and info["seed"] == 7
    assert info["training"] == {"epochs": 3, "batch_size": 20, "learning_rate": 0.01,
                                "optimizer": "adam", "seed": 7, "validation_split": 0.2,
                                "test_split": 0.1, "weight_decay": 0.0001, "early_stopping": True,
                                "early_stopping_patience": 5, "restore_best_weights": True,
                                "monitor": "val_accuracy", "reduce_lr_on_plateau": True,
                                "reduce_lr_patience": 4, "reduce_lr_factor": 0.1}
    assert info["stopped_epoch"] is None and 1 <= info["weights_epoch"] <= 3
    assert info["device"].startswith("CPU:0") and info["steps"] == 21
    assert (run / "model.keras").is_file() and not (run / "tensorboard").exists()
    assert files.load(path).training.epochs == 2  # the project file itself is unchanged


def test_train_says_where_early_stopping_stopped(tmp_path: Path) -> None:
    path = tiny_project(tmp_path / "p", samples=40)
    runs = tmp_path / "runs"
    # "loss" cannot fall forever at this rate: the run stops once it rises for 1 epoch
    done = deepwire("train", str(path), "--epochs", "60", "--learning-rate", "3",
                    "--early-stopping", "1", "--monitor", "loss", "--device", "cpu",
                    "--runs-dir", str(runs), "--no-tensorboard")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    info = json.loads((only_run_folder(runs) / "run.json").read_text())
    assert info["stopped_epoch"] is not None and info["stopped_epoch"] < 60
    assert (f"  early stopping at epoch {info['stopped_epoch']}: the model keeps the "
            f"weights of epoch {info['weights_epoch']}") in done.stdout.splitlines()
    assert info["weights_epoch"] == info["best_epoch"] == info["stopped_epoch"] - 1


def test_bad_settings_fail_with_exit_1(tmp_path: Path) -> None:
    done = deepwire("train", str(tiny_project(tmp_path / "p")), "--epochs", "0",
                    "--runs-dir", str(tmp_path / "runs"))
    assert done.returncode == 1, done.stdout
    assert "failed: training epochs must be a whole number from 1 to 100000" in done.stdout
    assert "hint: Fix the training settings" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--epochs", "ten"], "invalid int value"),
    (["--strategy", "ring"], "invalid choice"),
    (["--cpu-replicas", "-1", "--strategy", "mirrored"], "must be a whole number of at least 1"),
    (["--cpu-replicas", "2"], "--cpu-replicas needs --strategy mirrored"),
])
def test_bad_flags_are_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    done = deepwire("train", str(tmp_path / "any.deepwire"), *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_ctrl_c_stops_cleanly_and_keeps_the_run(tmp_path: Path) -> None:
    path = tmp_path / "marker.deepwire"  # its dataset is built in, so it can move
    shutil.copy(EXAMPLES / "attention_find_marker.deepwire", path)
    runs = tmp_path / "marker.runs"  # the default: beside the project
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # pipes buffer
    process = subprocess.Popen(
        [*deepwire_command(), "train", str(path), "--epochs", "1000", "--no-tensorboard"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first_epoch = None
        deadline = time.monotonic() + TIMEOUT_S
        for line in process.stdout:  # the CLI flushes each line, so this does not wait
            if line.startswith("  epoch 1/1000"):
                first_epoch = line
                break
            assert time.monotonic() < deadline
        assert first_epoch, "no epoch line"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT_S)  # stops after the step under way
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, out + err[-3000:]
    assert "Traceback" not in err and "stopping after this step" in err
    lines = out.splitlines()
    assert lines[-3].startswith("stopped in ") and lines[-2].startswith("test: ")
    run = only_run_folder(runs)
    assert lines[-1] == f"run folder: {run}"
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "stopped" and 0 < info["steps"] < 1000 * 50
    assert (run / "model.keras").is_file()
