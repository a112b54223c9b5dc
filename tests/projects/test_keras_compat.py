"""The Keras workarounds: each relies on private names that still exist, is on for the tested
versions, and outside them warns once and falls back to public API with the same results."""

from __future__ import annotations

import warnings

import pytest

from projects import keras_compat
from projects.keras_compat import KerasCompatWarning
from projects.shapes import ShapeInference

pytest.importorskip("tensorflow")


@pytest.mark.parametrize("workaround", keras_compat.WORKAROUNDS, ids=lambda w: w.name)
def test_every_private_name_a_workaround_relies_on_exists(workaround) -> None:
    # Fails on the Keras upgrade that removes or renames one: re-test that workaround then.
    assert workaround.missing() == []


@pytest.mark.parametrize("workaround", keras_compat.WORKAROUNDS, ids=lambda w: w.name)
def test_every_workaround_is_on_for_the_installed_versions(workaround) -> None:
    import keras
    import tensorflow as tf

    assert workaround.why_off(keras.__version__, tf.__version__) is None
    assert workaround.enabled()


def test_symbolic_tensors_carry_the_layer_history_walked_for_parameter_counts() -> None:
    # Instance attributes, so missing() cannot see them on the class: check a real tensor.
    import keras

    x = keras.KerasTensor((None, 4))
    y = keras.layers.Dense(3, name="d")(x)
    history = y._keras_history
    assert history.operation.name == "d"
    assert history.operation._inbound_nodes[history.node_index].input_tensors == [x]
    assert [layer.name for layer in keras_compat.layers_between([y], [x])] == ["d"]


def test_untested_versions_and_missing_names_turn_a_workaround_off() -> None:
    weights = keras_compat.UNALLOCATED_WEIGHTS
    assert "Keras 3.99.0 was not tested" in weights.why_off("3.99.0", None)
    assert "Keras 4.0 was not tested" in weights.why_off("4.0", None)
    fit = keras_compat.DISTRIBUTED_FIT
    assert "TensorFlow 2.30.0 was not tested" in fit.why_off("3.15.1", "2.30.0")
    gone = keras_compat.Workaround("a gone name", ("keras.src.ops.node:KerasHistory.gone",))
    assert "lacks keras.src.ops.node:KerasHistory.gone" in gone.why_off("3.15.1", None)


@pytest.fixture
def untested_keras(monkeypatch):
    """Pretend the installed Keras is newer than any tested: every workaround decides anew."""
    monkeypatch.setattr(keras_compat, "TESTED_KERAS", ((2, 0), (2, 9)))
    monkeypatch.setattr(keras_compat, "_decided", {})


def _dense_project():
    from projects.document import Project

    project = Project()
    source = project.add_node("input", {"shape": [6]})
    dense = project.add_node("dense", {"units": 5})
    project.add_link(source.id, "out", dense.id, "in")
    return project, dense.id


def test_shape_inference_falls_back_with_one_warning_and_the_same_shapes(untested_keras
                                                                          ) -> None:
    project, dense = _dense_project()
    with pytest.warns(KerasCompatWarning) as caught:
        shapes = ShapeInference().infer(project)
    assert shapes[dense].outputs["out"].shape == (None, 5)
    assert shapes[dense].params == 0  # the layer history is off: no count, no error
    assert {str(w.message).split(" is off")[0] for w in caught} == {
        "Deepwire's workaround for shape inference without allocating weights",
        "Deepwire's workaround for finding the layers behind a symbolic tensor"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: no second warning
        assert ShapeInference().infer(project)[dense].outputs["out"].shape == (None, 5)


def test_distributed_fit_leaves_the_model_alone_when_off(untested_keras) -> None:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.warns(KerasCompatWarning, match="fit under a distribution strategy"):
        keras_compat.fit_distributed(model, multi_worker=True)
    assert "_maybe_symbolic_build" not in vars(model) and "train_step" not in vars(model)


def test_distributed_fit_patches_the_model_when_on() -> None:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    keras_compat.fit_distributed(model, multi_worker=True)
    assert "_maybe_symbolic_build" in vars(model) and "train_step" in vars(model)


def test_a_run_leaves_no_custom_gradient_in_tensorflows_registry(tmp_path) -> None:
    # Each left behind would keep the run's traced step (and its graph) alive for ever.
    from tensorflow.python.framework import ops

    from projects import events as ev
    from projects import files
    from projects.training import RunOptions, Trainer
    from tests.projects.support import tiny_project

    path = tiny_project(tmp_path / "p", epochs=1)
    registered = set(ops._gradient_registry._registry)
    result = Trainer(files.load(path), path, RunOptions(record=False)).run()
    assert isinstance(result, ev.Finished)
    assert {n for n in set(ops._gradient_registry._registry) - registered
            if n.startswith("CustomGradient-")} == set()
