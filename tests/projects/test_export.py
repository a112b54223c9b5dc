"""Export: the generated script rebuilds the compiled model, and .keras files round-trip
with safe_mode while a Lambda layer is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from projects import files
from projects.compiler import build, compile_project
from projects.document import Project, TrainingSettings
from projects.export import ExportError, export_keras, export_python, load_keras
from tests.graph_factory import random_project

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.deepwire"))


# ----------------------------------------------------------------------------- projects


def _chain(project: Project, *node_ids: str) -> None:
    for source, target in pairwise(node_ids):
        project.add_link(source, "out", target, "in")


def dense_project() -> Project:
    project = Project(name="Dense classifier")
    project.add_node("input", {"shape": [8]})  # n1
    project.add_node("dense", {"units": 16})  # n2
    project.add_node("dropout", {"rate": 0.25})  # n3
    project.add_node("dense", {"units": 3, "activation": "softmax"})  # n4
    project.add_node("output")  # n5
    _chain(project, "n1", "n2", "n3", "n4", "n5")
    return project


def transformer_project() -> Project:
    project = Project(name="Tiny transformer")
    project.add_node("input", {"shape": [12], "dtype": "int32"})  # n1
    project.add_node("embedding", {"input_dim": 50, "output_dim": 16})  # n2
    project.add_node("position_embedding", {"max_length": 12})  # n3
    project.add_node("multi_head_attention", {"d_model": 16, "num_heads": 2})  # n4
    project.add_node("add")  # n5
    project.add_node("layer_normalization")  # n6
    project.add_node("global_average_pooling1d")  # n7
    project.add_node("dense", {"units": 3, "activation": "softmax"})  # n8
    project.add_node("output")  # n9
    _chain(project, "n1", "n2", "n3")
    project.add_link("n3", "out", "n4", "query")  # self-attention: only the query is wired
    project.add_link("n3", "out", "n5", "in1")  # residual
    project.add_link("n4", "out", "n5", "in2")
    _chain(project, "n5", "n6", "n7", "n8", "n9")
    return project


def attention_query_project() -> Project:
    """Additive attention with a query, and two outputs: the class and the weights."""
    project = Project(name="Attention with query")
    project.add_node("input", {"shape": [10, 8]})  # n1: values
    project.add_node("input", {"shape": [6]})  # n2: query
    project.add_node("simple_attention", {"units": 5})  # n3
    project.add_node("dense", {"units": 4, "activation": "linear"})  # n4
    project.add_node("output", {"from_logits": True})  # n5
    project.add_node("output", {"loss": "mean_squared_error"})  # n6
    project.add_link("n1", "out", "n3", "values")
    project.add_link("n2", "out", "n3", "query")
    project.add_link("n3", "context", "n4", "in")
    project.add_link("n4", "out", "n5", "in")
    project.add_link("n3", "weights", "n6", "in")
    return project


def attention_pooling_project() -> Project:
    """Additive attention without a query: it pools with a learned one."""
    project = Project(name="Attention pooling")
    project.add_node("input", {"shape": [10, 8]})  # n1
    project.add_node("simple_attention", {"units": 5})  # n2
    project.add_node("dense", {"units": 1, "activation": "sigmoid"})  # n3
    project.add_node("output", {"loss": "binary_crossentropy"})  # n4
    project.add_link("n1", "out", "n2", "values")
    project.add_link("n2", "context", "n3", "in")
    project.add_link("n3", "out", "n4", "in")
    return project


def masked_attention_project() -> Project:
    """Token ids with padding (id 0): the embedding's mask reaches the attention."""
    project = Project(name="Masked attention")
    project.add_node("input", {"shape": [10], "dtype": "int32"})  # n1
    project.add_node("embedding", {"input_dim": 10, "output_dim": 8, "mask_zero": True})  # n2
    project.add_node("simple_attention", {"units": 5})  # n3
    project.add_node("dense", {"units": 2, "activation": "softmax"})  # n4
    project.add_node("output")  # n5
    project.add_link("n1", "out", "n2", "in")
    project.add_link("n2", "out", "n3", "values")
    project.add_link("n3", "context", "n4", "in")
    project.add_link("n4", "out", "n5", "in")
    return project


NUM_NODES = 7


def gcn_project() -> Project:
    project = Project(name="Karate GCN", task={"kind": "node_classification"},
                      training=TrainingSettings(optimizer="sgd", learning_rate=0.01))
    project.add_node("input", {"shape": [5]})  # n1: node features
    project.add_node("graph_input", {"num_nodes": NUM_NODES})  # n2
    project.add_node("graph_convolution", {"units": 8})  # n3
    project.add_node("graph_convolution", {"units": 3, "activation": "softmax"})  # n4
    project.add_node("output")  # n5
    project.add_link("n1", "out", "n3", "features")
    project.add_link("n2", "adjacency", "n3", "adjacency")
    project.add_link("n3", "out", "n4", "features")
    project.add_link("n2", "adjacency", "n4", "adjacency")
    project.add_link("n4", "out", "n5", "in")
    return project


def gan_project() -> Project:
    project = Project(name="Tiny GAN", task={"kind": "adversarial"})
    project.add_node("latent_noise", {"latent_dim": 8})  # n1
    project.add_node("dense", {"units": 128})  # n2
    project.add_node("reshape", {"target_shape": [4, 4, 8]})  # n3
    project.add_node("conv2d_transpose", {"filters": 1, "strides": 2,
                                          "activation": "tanh"})  # n4
    project.add_node("generator_output")  # n5
    project.add_node("input", {"shape": [8, 8, 1]})  # n6: the data
    project.add_node("flatten")  # n7
    project.add_node("dense", {"units": 1, "activation": "linear"})  # n8
    project.add_node("discriminator_output")  # n9
    _chain(project, "n1", "n2", "n3", "n4", "n5")
    _chain(project, "n6", "n7", "n8", "n9")
    return project


def penalised_project() -> Project:
    """Penalties on every kind of weighted block a sequence model uses, and weight decay."""
    project = Project(name="Penalised", training=TrainingSettings(optimizer="adamw",
                                                                  weight_decay=1e-4))
    l2, both = {"l2": 5e-4}, {"l1": 1e-5, "l2": 1e-3, "regularize_bias": True}
    project.add_node("input", {"shape": [12], "dtype": "int32"})  # n1
    project.add_node("embedding", {"input_dim": 50, "output_dim": 16, **l2})  # n2
    project.add_node("position_embedding", {"max_length": 12, "l1": 1e-4})  # n3
    project.add_node("multi_head_attention", {"d_model": 16, "num_heads": 2, **both})  # n4
    project.add_node("conv1d", {"filters": 8, **l2})  # n5
    project.add_node("gru", {"units": 6, "return_sequences": True, **both})  # n6
    project.add_node("simple_attention", {"units": 5, **both})  # n7
    project.add_node("dense", {"units": 3, "activation": "softmax", **l2})  # n8
    project.add_node("output")  # n9
    _chain(project, "n1", "n2", "n3")
    project.add_link("n3", "out", "n4", "query")
    _chain(project, "n4", "n5", "n6")
    project.add_link("n6", "out", "n7", "values")
    project.add_link("n7", "context", "n8", "in")
    _chain(project, "n8", "n9")
    return project


def penalised_gcn_project() -> Project:
    """Kipf & Welling's GCN: L2 5e-4 on the first layer only."""
    project = gcn_project()
    project.set_params("n3", {"l2": 5e-4})
    return project


SUPERVISED: dict[str, Callable[[], Project]] = {
    "penalised": penalised_project,
    "penalised_gcn": penalised_gcn_project,
    "dense": dense_project,
    "transformer": transformer_project,
    "attention_query": attention_query_project,
    "attention_pooling": attention_pooling_project,
    "masked_attention": masked_attention_project,
    "gcn": gcn_project,
    "random_graph": lambda: random_project(30, seed=3),
}
ALL = {**SUPERVISED, "gan": gan_project}


# ----------------------------------------------------------------------------- helpers


def run_script(source: str) -> dict:
    """Execute a generated script as a module (not as __main__) in a fresh namespace."""
    namespace: dict = {"__name__": "deepwire_exported"}
    exec(compile(source, "<exported>", "exec"), namespace)
    return namespace


def random_inputs(model, seed: int = 0) -> list:
    """Random data for every model input; a sparse input gets a symmetric adjacency."""
    rng = np.random.default_rng(seed)
    sparse = [t for t in model.inputs if t.sparse]
    batch = sparse[0].shape[1] if sparse else 4
    data = []
    for tensor in model.inputs:
        shape = (batch, *tensor.shape[1:])
        if tensor.sparse:
            dense = (rng.random(shape) < 0.4).astype("float32")
            data.append(tf.sparse.from_dense(np.maximum(dense, dense.T)))
        elif "int" in str(tensor.dtype):
            data.append(tf.constant(rng.integers(0, 10, shape), dtype=tensor.dtype))
        else:
            data.append(tf.constant(rng.normal(size=shape), dtype="float32"))
    return data


def outputs_of(model, inputs: list) -> list[np.ndarray]:
    result = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    return [np.asarray(r) for r in (result if isinstance(result, list | tuple) else [result])]


def assert_same_model(exported, original) -> None:
    """Same layers and parameters; with the same weights, the same outputs."""
    assert [(layer.name, type(layer)) for layer in exported.layers] == [
        (layer.name, type(layer)) for layer in original.layers]
    assert exported.count_params() == original.count_params()
    exported.set_weights(original.get_weights())
    inputs = random_inputs(original)
    for ours, theirs in zip(outputs_of(exported, inputs), outputs_of(original, inputs),
                            strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def without_optimizer_names(config: dict) -> dict:
    """A compile config minus optimizer names, which Keras numbers per process."""
    return {key: {**value, "config": {k: v for k, v in value["config"].items() if k != "name"}}
            if key.endswith("optimizer") else value for key, value in config.items()}


# ----------------------------------------------------------------------------- the script


@pytest.mark.parametrize("make", SUPERVISED.values(), ids=SUPERVISED.keys())
def test_script_rebuilds_the_compiled_model(make):
    project = make()
    model = run_script(export_python(project))["build_model"]()
    assert_same_model(model, build(project).model)


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_script_compiles_as_the_project_does(make):
    project = make()
    model = run_script(export_python(project))["build_model"]()
    expected = compile_project(project).model.get_compile_config()
    assert without_optimizer_names(model.get_compile_config()) == without_optimizer_names(
        expected)


@pytest.mark.parametrize("make", [penalised_project, penalised_gcn_project])
def test_script_writes_the_penalties_as_keras_regularizers(make):
    project = make()
    source = export_python(project)
    assert "keras.regularizers.L1L2(l2=0.0005)" in source
    assert ".from_config(" not in source
    exported = run_script(source)["build_model"]()
    original = build(project).model
    exported.set_weights(original.get_weights())
    assert exported.losses and len(exported.losses) == len(original.losses)
    np.testing.assert_allclose(sum(np.asarray(x) for x in exported.losses),
                               sum(np.asarray(x) for x in original.losses), rtol=1e-6)


def test_gan_script_rebuilds_generator_and_discriminator():
    project = gan_project()
    namespace = run_script(export_python(project))
    compiled = build(project)
    assert_same_model(namespace["build_generator"](), compiled.generator)
    assert_same_model(namespace["build_discriminator"](), compiled.discriminator)
    model = namespace["build_model"]()
    assert type(model) is type(compiled.model)
    assert model.latent_dim == 8
    assert model.name == compiled.model.name
    assert float(model.generator_optimizer.beta_1) == 0.5


def test_script_reads_like_the_canvas():
    project = transformer_project()
    project.set_title("n8", "Classifier")
    source = export_python(project)
    assert source.startswith('"""Keras model of the Deepwire project "Tiny transformer".')
    assert "from blocks.layers import MultiHeadAttention, PositionEmbedding\n" in source
    assert "    # Multi-Head Attention (n4)\n" in source
    assert "    # Classifier (n8): Dense\n" in source
    # Self-attention: value, key and query are all n3; the residual Add takes a list.
    assert "(n3, n3, n3, return_attention_scores=True)" in source
    assert 'keras.layers.Add(name="n5")([n3, n4_out])' in source
    assert 'keras.layers.Dense(units=3, activation="softmax", name="n8")(n7)' in source
    assert "keras.optimizers.Adam(learning_rate=0.001)" in source
    assert 'if __name__ == "__main__":\n    build_model().summary()\n' in source


def test_script_of_a_graph_has_a_sparse_input_and_two_tensor_calls():
    source = export_python(gcn_project())
    assert f'keras.Input(shape=({NUM_NODES},), sparse=True, name="n2")' in source
    assert "(n1, n2_norm)" in source and "(n3, n2_norm)" in source
    assert "keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)" in source


def test_script_leaves_out_what_keras_fills_in():
    source = export_python(masked_attention_project())
    assert "n3_context, _n3_weights = SimpleAttention(units=5, name=\"n3\")(n2)\n" in source
    source = export_python(dense_project())
    assert 'n3 = keras.layers.Dropout(rate=0.25, name="n3")(n2)\n' in source


GRAPH_DRIVER = """
import sys

import numpy as np
import tensorflow as tf

from gcn_script import build_model

saved = np.load("inputs.npz")
model = build_model()
model.set_weights([saved[f"w{i}"] for i in range(int(saved["count"]))])
adjacency = tf.SparseTensor(saved["indices"], saved["values"], saved["shape"])
scores = model.predict((saved["features"], adjacency), verbose=0)  # no batch_size
np.savez("scores.npz", scores=scores, kind=type(model).__name__)
"""


def test_graph_script_builds_a_graph_model_that_predicts_all_nodes_at_once(tmp_path):
    """The script's model is a GraphModel: plain predict on a graph of more nodes than
    Keras's default batch of 32, in a fresh process, gives the app's model's numbers."""
    project = penalised_gcn_project()
    project.set_params("n2", {"num_nodes": 45})
    source = export_python(project)
    assert "from blocks.layers import GraphConvolution, GraphModel, GraphNormalization\n" in (
        source)
    assert "model = GraphModel(inputs=[n1, n2], outputs=n5, name=\"karate_gcn\")" in source
    original = build(project).model
    features, adjacency = random_inputs(original, seed=2)
    weights = original.get_weights()
    np.savez(tmp_path / "inputs.npz", features=np.asarray(features),
             indices=adjacency.indices.numpy(), values=adjacency.values.numpy(),
             shape=adjacency.dense_shape.numpy(), count=len(weights),
             **{f"w{i}": w for i, w in enumerate(weights)})
    (tmp_path / "gcn_script.py").write_text(source, encoding="utf-8")
    (tmp_path / "driver.py").write_text(GRAPH_DRIVER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "driver.py"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    exported = np.load(tmp_path / "scores.npz")
    assert str(exported["kind"]) == "GraphModel"
    expected = original.predict((features, adjacency), verbose=0)
    assert exported["scores"].shape == (45, 3)
    np.testing.assert_allclose(exported["scores"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(expected, original.predict_on_batch((features, adjacency)),
                               rtol=1e-5, atol=1e-6)


def test_script_needs_only_keras_without_custom_layers():
    source = export_python(dense_project())
    docstring = run_script(source)["__doc__"]
    assert "blocks" not in source.replace(docstring, "")
    assert "Needs only TensorFlow and Keras." in " ".join(docstring.split())


def test_awkward_names_and_titles_stay_valid_python():
    project = dense_project()
    project.set_name('Tricky """ name \\ with\nnewline and a very long tail ' + "x" * 120)
    project.set_title("n2", "hidden\nlayer # with \"quotes\"")
    source = export_python(project)
    namespace = run_script(source)
    assert namespace["__doc__"].startswith('Keras model of the Deepwire project "Tricky """ name')
    assert '    # hidden layer # with "quotes" (n2): Dense\n' in source
    assert namespace["build_model"]().name == "tricky_name_with_newline_and_a_very_long_tail_" + (
        "x" * 120)


def test_script_runs_as_a_program(tmp_path):
    project = transformer_project()
    script = tmp_path / "tiny_transformer.py"
    script.write_text(export_python(project), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'Model: "tiny_transformer"' in result.stdout
    assert f"Total params: {build(project).model.count_params():,}" in result.stdout


def test_scripts_pass_ruff(tmp_path):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    paths = []
    for name, make in ALL.items():
        source = export_python(make())
        assert "from_config" not in source  # every layer written as a readable call
        paths.append(tmp_path / f"{name}.py")
        paths[-1].write_text(source, encoding="utf-8")
    result = subprocess.run([ruff, "check", "--no-cache", "--config",
                             str(ROOT / "pyproject.toml"), *map(str, paths)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_exports(path):
    project = files.load(path)
    namespace = run_script(export_python(project))
    compiled = build(project)
    assert namespace["build_model"]().count_params() == compiled.model.count_params()


def flat_transformer() -> Project:
    """The transformer example with its encoder groups undone."""
    project = files.load(next(p for p in EXAMPLES if p.stem == "transformer_classifier"))
    for group_id in sorted(project.groups):
        project.ungroup(group_id)
    return project


def grouped_transformer() -> Project:
    """The transformer example with an encoder group holding a nested group, and a second
    encoder group."""
    project = flat_transformer()
    inner = project.group_items(["n4", "n5", "n6"], "Attention & norm")
    project.group_items([inner.id, "n7", "n8", "n9", "n10"], "Encoder")
    project.group_items(["n11", "n12", "n13", "n14", "n15", "n16", "n17"], "Encoder")
    return project


def test_script_writes_one_function_per_group_and_calls_it(tmp_path):
    project = grouped_transformer()
    source = export_python(project)
    namespace = run_script(source)
    for function in ("attention_norm", "encoder", "encoder_2"):
        assert callable(namespace[function])
    assert "    n6 = attention_norm(n3)\n" in source  # nested: called from its group
    assert "    n10 = encoder(n3)\n    # Encoder (g3): group\n    n17 = encoder_2(n10)\n" in (
        source)
    assert source.count("def ") == 4  # three groups and build_model
    assert_same_model(namespace["build_model"](), build(project).model)
    ruff = shutil.which("ruff")
    if ruff is not None:
        path = tmp_path / "grouped.py"
        path.write_text(source, encoding="utf-8")
        result = subprocess.run([ruff, "check", "--no-cache", "--config",
                                 str(ROOT / "pyproject.toml"), str(path)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_group_with_an_outside_block_between_its_parts_is_written_inline():
    """n7 and n9 grouped while n8 (outside) sits between them: one call cannot do it."""
    project = flat_transformer()
    project.group_items(["n7", "n9"], "Split")
    project.group_items(["n14", "n15"], "Feed-forward")
    source = export_python(project)
    assert "def split(" not in source
    assert "def feed_forward(n13):" in source
    assert_same_model(run_script(source)["build_model"](), build(project).model)


# ----------------------------------------------------------------------------- .keras files


@pytest.mark.parametrize("make", [dense_project, transformer_project, gcn_project],
                         ids=["dense", "transformer", "gcn"])
def test_keras_file_loads_in_safe_mode_and_predicts_the_same(make, tmp_path):
    project = make()
    path = tmp_path / "model.keras"
    export_keras(project, path)
    loaded = load_keras(path)
    assert loaded.compiled
    original = build(project).model
    original.set_weights(loaded.get_weights())
    assert_same_model(loaded, original)


def test_gan_keras_file_round_trips(tmp_path):
    project = gan_project()
    path = tmp_path / "gan.keras"
    export_keras(project, path)
    loaded = load_keras(path)
    compiled = build(project)
    assert loaded.latent_dim == 8
    for part in ("generator", "discriminator"):
        original = getattr(compiled, part)
        original.set_weights(getattr(loaded, part).get_weights())
        assert_same_model(getattr(loaded, part), original)


def test_keras_export_replaces_the_file(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"an older export")
    export_keras(dense_project(), path)
    assert load_keras(path).name == "dense_classifier"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_failed_keras_export_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    path.write_bytes(b"the previous export")

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", full_disk)
    with pytest.raises(ExportError, match="No space left"):
        export_keras(dense_project(), path)
    assert path.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_keras_export_needs_the_keras_extension(tmp_path):
    with pytest.raises(ExportError, match=r"must end in \.keras"):
        export_keras(dense_project(), tmp_path / "model.h5")


def test_lambda_layer_is_refused(tmp_path):
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2, name="double")(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ExportError, match=r"contains a Lambda layer \('double'\), which can "
                                          r"run arbitrary code; Deepwire only opens \.keras "
                                          r"files with safe_mode"):
        load_keras(path)


def test_lambda_layer_inside_a_nested_model_is_refused(tmp_path):
    inner_inputs = keras.Input((3,))
    inner = keras.Model(inner_inputs, keras.layers.Lambda(abs, name="absolute")(inner_inputs))
    inputs = keras.Input((3,))
    path = tmp_path / "nested.keras"
    keras.Model(inputs, keras.layers.Dense(2)(inner(inputs))).save(path)
    with pytest.raises(ExportError, match=r"Lambda layer \('absolute'\)"):
        load_keras(path)


def test_unknown_layer_class_is_refused_by_name(tmp_path, monkeypatch):
    @keras.saving.register_keras_serializable(package="elsewhere")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    inputs = keras.Input((3,))
    path = tmp_path / "custom.keras"
    keras.Model(inputs, Doubler()(inputs)).save(path)
    monkeypatch.delitem(keras.saving.get_custom_objects(), "elsewhere>Doubler")
    with pytest.raises(ExportError, match="it uses Doubler, which is neither a Keras nor a "
                                          "Deepwire class"):
        load_keras(path)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.keras", None, "there is no such file"),
    ("model.h5", b"HDF5", "opens Keras models saved as .keras files only"),
    ("broken.keras", b"not a zip archive", "not a Keras model file"),
])
def test_files_that_are_not_keras_models_are_refused(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ExportError, match=message):
        load_keras(path)


def test_a_text_model_exports_with_the_vocabulary_of_its_training_texts(tmp_path):
    """Keras cannot load a Text Vectorization saved without a vocabulary: the export
    learns it from the training split, as a run does, or says why it cannot."""
    project = files.load(next(p for p in EXAMPLES if p.stem == "text_spam_transformer"))
    path = tmp_path / "text.keras"
    export_keras(project, path)
    model = load_keras(path)
    vectorizer = next(layer for layer in model.layers
                      if isinstance(layer, keras.layers.TextVectorization))
    assert vectorizer.vocabulary_size() > 100
    assert model.predict(np.array(["free prize call now"], dtype=object),
                         verbose=0).shape[0] == 1
    project.set_dataset({})
    with pytest.raises(ExportError, match="learns its vocabulary from the training texts"):
        export_keras(project, tmp_path / "none.keras")
    assert not (tmp_path / "none.keras").exists()
