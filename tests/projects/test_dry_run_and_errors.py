"""The dry run before training, and Keras's errors in plain words (projects/dry_run.py,
projects/errors.py): each wrong wiring below is a real tiny project or Keras call."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from projects import events as ev
from projects.compiler import compile_project
from projects.datasets import Dataset
from projects.document import Project, TrainingSettings
from projects.dry_run import DryRunError, dry_run
from projects.errors import UNEXPECTED, translate
from projects.training import RunOptions, Trainer
from projects.validation import validate
from tests.projects.support import tiny_project


def _chain(*blocks: tuple[str, dict], loss: str = "sparse_categorical_crossentropy",
           inputs: tuple[dict, ...] = ({"shape": [8]},)) -> Project:
    """Input(s) -> blocks in a chain -> Output; a second Input feeds the first block's
    second port (Add, Concatenate). Node ids: inputs n1.., then the blocks, then Output."""
    project = Project("wrong")
    sources = [project.add_node("input", params).id for params in inputs]
    previous = sources[0]
    for index, (block, params) in enumerate(blocks):
        node = project.add_node(block, params)
        project.add_link(previous, "out", node.id, "in1" if len(sources) > 1 and index == 0
                         else "in")
        if len(sources) > 1 and index == 0:
            project.add_link(sources[1], "out", node.id, "in2")
        previous = node.id
    output = project.add_node("output", {"loss": loss})
    project.add_link(previous, "out", output.id, "in")
    project.set_training(TrainingSettings(epochs=1, batch_size=8))
    return project


def _first_issue(project: Project):
    report = validate(project)
    assert not report.ok
    return report.errors[0]


def _dry_run_error(project: Project, x, y) -> DryRunError:
    data = Dataset(kind="arrays", name="test", x_train=x, y_train=y,
                   num_classes=None if y.dtype.kind == "f" else int(y.max()) + 1)
    compiled = compile_project(project)
    with pytest.raises(DryRunError) as caught:
        dry_run(compiled, data, project.training)
    return caught.value


RNG = np.random.default_rng(0)


# ---- the ten most common errors a wrong wiring provokes, each translated ----------------

def test_per_step_output_against_one_label_per_sample() -> None:
    project = _chain(("dense", {"units": 3, "activation": "softmax"}),
                     inputs=({"shape": [5, 4]},))
    err = _dry_run_error(project, RNG.normal(size=(16, 5, 4)).astype("float32"),
                         RNG.integers(0, 3, 16))
    assert "one prediction per step" in str(err) and "Output (n3)" in str(err)
    assert "pooling" in err.hint and err.node_id == "n3"


def test_conv2d_on_a_sequence() -> None:
    issue = _first_issue(_chain(("conv2d", {}), ("flatten", {}), inputs=({"shape": [20, 8]},)))
    assert issue.node_id == "n2" and "'probe'" not in issue.message
    assert "an image per sample" in issue.message and "(batch, 20, 8)" in issue.message
    assert "Conv1D" in issue.message


def test_dense_on_a_rank_1_input() -> None:
    import keras

    project = _chain(("dense", {"units": 2}))
    with pytest.raises(ValueError) as caught:  # the compiler names layers after blocks
        keras.layers.Dense(2, name="n2")(keras.KerasTensor((None,)))
    translated = translate(caught.value, project)
    assert translated.known and translated.node_id == "n2"
    assert translated.message.startswith("Dense (n2): This block needs a vector per sample")
    assert "'n2'" not in translated.message and "Reshape" in translated.hint


def test_concatenate_of_different_ranks() -> None:
    issue = _first_issue(_chain(("concatenate", {}), ("flatten", {}),
                                inputs=({"shape": [4]}, {"shape": [3, 2]})))
    assert issue.node_id == "n3" and "cannot be joined" in issue.message
    assert "(batch, 4), (batch, 3, 2)" in issue.message


def test_add_of_different_sizes() -> None:
    issue = _first_issue(_chain(("add", {}), inputs=({"shape": [4]}, {"shape": [3]})))
    assert issue.node_id == "n3" and "different shapes" in issue.message
    assert "same shape" in issue.message


def test_pooling_larger_than_its_input() -> None:
    issue = _first_issue(_chain(("max_pooling2d", {"pool_size": 4}), ("flatten", {}),
                                inputs=({"shape": [2, 2, 1]},)))
    assert issue.node_id == "n2" and "smaller than the block's window" in issue.message
    assert "(batch, 2, 2, 1)" in issue.message


def test_reshape_to_a_different_size() -> None:
    issue = _first_issue(_chain(("reshape", {"target_shape": [5, 2]}), ("flatten", {}),
                                inputs=({"shape": [12]},)))
    assert issue.node_id == "n2" and "cannot be reshaped to (5, 2)" in issue.message


def test_labels_beyond_the_classes_the_model_predicts() -> None:
    project = _chain(("dense", {"units": 4, "activation": "softmax"}))
    err = _dry_run_error(project, RNG.normal(size=(16, 8)).astype("float32"),
                         np.full(16, 7))
    assert "label 7" in str(err) and "only 4 classes" in str(err)
    assert err.node_id == "n3" and "units" in err.hint


def test_one_hot_labels_with_a_sparse_loss() -> None:
    project = _chain(("dense", {"units": 3, "activation": "softmax"}))
    err = _dry_run_error(project, RNG.normal(size=(16, 8)).astype("float32"),
                         np.eye(3, dtype="int64")[RNG.integers(0, 3, 16)])
    assert "one-hot" in str(err) and err.node_id == "n3"
    assert "categorical cross-entropy" in err.hint


def test_class_numbers_with_a_one_hot_loss() -> None:
    project = _chain(("dense", {"units": 3, "activation": "softmax"}),
                     loss="categorical_crossentropy")
    err = _dry_run_error(project, RNG.normal(size=(16, 8)).astype("float32"),
                         RNG.integers(0, 3, 16))
    assert "class numbers" in str(err) and err.node_id == "n3"
    assert "sparse categorical cross-entropy" in err.hint


def test_token_beyond_the_embedding_vocabulary() -> None:
    project = _chain(("embedding", {"input_dim": 10, "output_dim": 4}), ("flatten", {}),
                     ("dense", {"units": 2, "activation": "softmax"}),
                     inputs=({"shape": [4], "dtype": "int32"},))
    err = _dry_run_error(project, np.full((16, 4), 12, dtype="int32"), RNG.integers(0, 2, 16))
    assert "value 12" in str(err) and err.node_id == "n2"
    assert "at least 13" in err.hint


def test_dtype_mismatch() -> None:
    import tensorflow as tf

    with pytest.raises(tf.errors.InvalidArgumentError) as caught:
        tf.add(tf.constant([1.0]), tf.constant([1]))
    translated = translate(caught.value)
    assert translated.known and "int32 values where it needs float values" in (
        translated.message)


def test_an_error_we_cannot_translate_stays_unexpected_and_names_no_layer() -> None:
    translated = translate(RuntimeError("Layer 'probe' broke; so did 'probe_norm'"))
    assert not translated.known and translated.hint == UNEXPECTED
    assert translated.message == "RuntimeError: this block broke; so did this block"


# ---- the dry run --------------------------------------------------------------------------

def test_dry_run_catches_an_exploding_learning_rate_and_names_the_block(tmp_path: Path
                                                                         ) -> None:
    from projects import files

    path = tiny_project(tmp_path)
    data = np.load(tmp_path / "data.npz")  # unnormalised inputs make the rate explode
    np.savez(tmp_path / "data.npz", x=data["x"] * 1e6, y=data["y"])
    project = files.load(path)
    project.set_training(TrainingSettings(epochs=2, batch_size=16, optimizer="sgd",
                                          learning_rate=10.0))
    seen: list[ev.Event] = []
    result = Trainer(project, path, RunOptions(tensorboard=False), seen.append).run()
    assert isinstance(result, ev.Failed), result
    assert result.node_id in {"n2", "n3"}
    assert "learning rate 10 " in result.message
    assert result.message.startswith(f"{project.nodes[result.node_id].label}: ")
    assert "Lower the learning rate" in result.hint
    assert not any(isinstance(e, ev.RunStarted | ev.BatchEnd) for e in seen)
    run = next((tmp_path / "tiny.runs").iterdir())
    assert json.loads((run / "run.json").read_text())["failure"]["node_id"] == result.node_id


def test_dry_run_leaves_the_run_exactly_as_without_it_and_estimates(tmp_path: Path) -> None:
    from projects import files

    project = files.load(tiny_project(tmp_path))
    results, trainers = [], []
    for with_dry_run in (True, False):
        trainer = Trainer(project, tmp_path / "tiny.deepwire",
                          RunOptions(record=False, dry_run=with_dry_run))
        results.append(trainer.run())
        trainers.append(trainer)
    assert results[0].final_metrics == results[1].final_metrics
    estimate = trainers[0].estimate
    assert estimate is not None and trainers[1].estimate is None
    assert estimate.steps_per_epoch == 9 and estimate.peak_bytes > 0  # 140 train samples
    assert " s per epoch, ≈ " in estimate.text()
    assert estimate.text().endswith(" MB")


def test_untranslatable_failure_writes_error_txt_and_says_where(tmp_path: Path,
                                                                monkeypatch) -> None:
    import keras

    from projects import files

    def broken(self, *args, **kwargs):
        raise RuntimeError("an internal bug")

    path = tiny_project(tmp_path)
    monkeypatch.setattr(keras.Model, "fit", broken)  # a bug of ours, planted
    result = Trainer(files.load(path), path, RunOptions(tensorboard=False)).run()
    assert isinstance(result, ev.Failed)
    report = next((tmp_path / "tiny.runs").iterdir()) / "error.txt"
    assert "an internal bug" in report.read_text() and "Traceback" in report.read_text()
    assert result.hint.startswith(UNEXPECTED) and str(report) in result.hint


def test_validate_dry_run_on_the_command_line(tmp_path: Path, capsys) -> None:
    from projects.cli import main

    path = tiny_project(tmp_path)
    assert main(["validate", "--dry-run", str(path)]) == 0
    assert " s per epoch, ≈ " in capsys.readouterr().out
    from projects import files

    data = np.load(tmp_path / "data.npz")
    np.savez(tmp_path / "data.npz", x=data["x"] * 1e6, y=data["y"])
    project = files.load(path)
    project.set_training(TrainingSettings(epochs=2, batch_size=16, optimizer="sgd",
                                          learning_rate=10.0))
    files.save(project, path)
    assert main(["validate", "--dry-run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "error: n3: Dense (n3): After a few updates with learning rate 10" in out
    assert "hint: Lower the learning rate" in out and not (tmp_path / "tiny.runs").exists()
