"""Live shapes and parameter counts equal the compiled Keras model's; the compiler's models."""

from __future__ import annotations

import numpy as np
import pytest

import resources
from projects import files
from projects.compiler import CompileError, build, compile_project
from projects.document import Project
from projects.shapes import ShapeInference
from projects.validation import validate
from tests.graph_factory import random_project

keras = pytest.importorskip("keras")

EXAMPLES = {path.stem: path for path in resources.example_paths()}


def _assert_report_matches_model(project: Project) -> None:
    report = validate(project)
    assert report.ok, [str(i) for i in report.errors]
    compiled = build(project, report)
    for node_id, shapes in report.shapes.items():
        for port, info in shapes.outputs.items():
            tensor = compiled.tensors[(node_id, port)]
            assert info.shape == tuple(tensor.shape), (node_id, port)
            assert info.dtype == str(tensor.dtype), (node_id, port)
        layers = compiled.node_layers(node_id)
        assert shapes.params == sum(layer.count_params() for layer in layers), node_id
    models = [compiled.model] if compiled.generator is None else [
        compiled.generator, compiled.discriminator]
    assert report.total_params == sum(m.count_params() for m in models)


def test_examples_are_all_there() -> None:
    assert set(EXAMPLES) == {"attention_find_marker", "transformer_classifier", "gcn_karate",
                             "gcn_citation", "gan_digits", "gan_mnist", "cnn_digits",
                             "text_spam_transformer"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_shapes_equal_the_compiled_model(name: str) -> None:
    _assert_report_matches_model(files.load(EXAMPLES[name]))


@pytest.mark.parametrize("seed", range(4))
def test_random_graph_shapes_equal_the_compiled_model(seed: int) -> None:
    _assert_report_matches_model(random_project(40, seed))


def test_incremental_inference_rebuilds_only_downstream() -> None:
    project = random_project(60, seed=7)
    inference = ShapeInference()
    first = inference.infer(project)
    built = inference.built
    order = project.topological_order()
    last_dense = [i for i in order if project.nodes[i].block == "dense"][-2]
    project.set_params(last_dense, {"activation": "gelu"})  # same shapes, new params
    second = inference.infer(project)
    assert inference.built == built + 1  # just the edited block: its outputs are unchanged
    assert second[last_dense].outputs == first[last_dense].outputs
    project.set_params(last_dense, {"units": 5})  # new width: downstream shapes change
    before = inference.built
    third = inference.infer(project)
    assert third[last_dense].outputs["out"].shape[-1] == 5
    assert 1 < inference.built - before < len(order) // 2


def test_shape_error_names_the_block_in_plain_words() -> None:
    project = Project()
    source = project.add_node("input", {"shape": [10]})
    reshape = project.add_node("reshape", {"target_shape": [3, 3]}, title="Bad reshape")
    project.add_link(source.id, "out", reshape.id, "in")
    report = validate(project)
    [error] = [i for i in report.errors if i.node_id == reshape.id]
    assert "Bad reshape (n2)" in error.message
    assert "cannot be reshaped to (3, 3)" in error.message
    assert "Arguments received" not in error.message


def test_missing_input_unused_and_dead_end_blocks_are_reported() -> None:
    project = Project()
    source = project.add_node("input", {"shape": [4]})
    dense = project.add_node("dense", {"units": 2})
    dead_end = project.add_node("dense", {"units": 3})
    project.add_node("dropout")  # not connected
    output = project.add_node("output")
    project.add_link(source.id, "out", dense.id, "in")
    project.add_link(dense.id, "out", output.id, "in")
    project.add_link(source.id, "out", dead_end.id, "in")
    merge = project.add_node("add")
    project.add_link(dense.id, "out", merge.id, "in1")
    messages = {(i.severity, i.node_id): i.message for i in validate(project).issues}
    assert "input 'in2' is not connected" in messages[("error", "n6")]
    assert "does not lead to an Output" in messages[("warning", "n3")]
    assert "not connected to anything" in messages[("warning", "n4")]
    assert ("error", "n2") not in messages


def test_task_mismatches_name_the_blocks() -> None:
    project = files.load(EXAMPLES["gcn_karate"])
    project.set_task({"kind": "supervised"})
    errors = [i for i in validate(project).errors]
    assert {i.node_id for i in errors} == {"n2", "n3", "n4"}
    assert all("node classification" in i.message for i in errors)


def test_gan_whose_generator_does_not_fit_the_discriminator_is_refused() -> None:
    project = files.load(EXAMPLES["gan_mnist"])
    # The article's defect: a generator ending at 8x8 cannot feed a 28x28 discriminator.
    reshape = next(i for i, n in project.nodes.items() if n.block == "reshape")
    project.set_params(reshape, {"target_shape": [1, 1, 12544]})
    first_up = next(i for i, n in project.nodes.items() if n.block == "conv2d_transpose")
    project.set_params(first_up, {"strides": 2})  # 1 -> 2 -> 4 -> 8, as in the article
    errors = validate(project).errors
    assert any("(8, 8, 1)" in i.message and "(28, 28, 1)" in i.message for i in errors)
    with pytest.raises(CompileError, match="must be equal"):
        build(project)


def test_supervised_model_trains_and_maps_layers_to_blocks() -> None:
    compiled = compile_project(files.load(EXAMPLES["cnn_digits"]))
    model = compiled.model
    assert [layer.name for layer in model.layers][:3] == ["n1", "n2", "n3"]
    x = np.random.default_rng(0).normal(size=(32, 8, 8, 1)).astype("float32")
    y = np.arange(32) % 10
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert "accuracy" in history.history


def test_probe_model_returns_attention_weights_of_every_attention_block() -> None:
    compiled = build(files.load(EXAMPLES["transformer_classifier"]))
    probe = compiled.probe_model()
    tokens = np.random.default_rng(0).integers(0, 32, size=(3, 16)).astype("int32")
    weights = probe(tokens)
    assert set(weights) == {"n4", "n11"}
    for value in weights.values():
        value = np.asarray(value)
        assert value.shape == (3, 4, 16, 16)
        np.testing.assert_allclose(value.sum(axis=-1), 1.0, rtol=1e-5)
    # the probe shares the model's layers: the same weights, not a copy
    assert compiled.model.get_layer("n4") is probe.get_layer("n4")


def test_node_classification_model_takes_features_and_sparse_adjacency() -> None:
    tf = pytest.importorskip("tensorflow")
    compiled = compile_project(files.load(EXAMPLES["gcn_karate"]))
    assert compiled.input_nodes == ["n1", "n2"]
    adjacency = tf.sparse.from_dense(np.eye(34, k=1, dtype="float32")
                                     + np.eye(34, k=-1, dtype="float32"))
    out = compiled.model([tf.eye(34), adjacency])
    assert tuple(out.shape) == (34, 2)


def test_adversarial_project_compiles_to_the_gan_model() -> None:
    compiled = compile_project(files.load(EXAMPLES["gan_digits"]))
    assert compiled.generator.output.shape == (None, 8, 8, 1)
    assert compiled.discriminator.input.shape == (None, 8, 8, 1)
    real = np.random.default_rng(0).uniform(-1, 1, size=(16, 8, 8, 1)).astype("float32")
    logs = compiled.model.train_on_batch(real, return_dict=True)
    assert {"d_loss", "g_loss"} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())


def test_invalid_project_does_not_compile() -> None:
    project = Project()
    project.add_node("dense")
    with pytest.raises(CompileError) as err:
        build(project)
    assert any(i.node_id == "n1" for i in err.value.issues)


def test_issues_carry_the_block_and_the_parameter_at_fault_as_attributes() -> None:
    # The culprit is data on the issue; the message's text is never searched for it.
    from blocks.spec import ParamError
    from projects.shapes import param_at_fault

    project = Project()
    source = project.add_node("input", {"shape": [10]})
    reshape = project.add_node("reshape", {"target_shape": [3, 3]})
    project.add_link(source.id, "out", reshape.id, "in")
    [error] = [i for i in validate(project).errors if i.node_id == reshape.id]
    assert error.param is None  # Keras's refusal names no parameter as an attribute
    assert param_at_fault(ParamError("units", "units must be positive")) == "units"
    assert param_at_fault(ValueError("units must be positive. Received: units=0")) is None
