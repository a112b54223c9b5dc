"""Opening .keras models: every example and two Keras Applications round-trip through a
project (export, import, export: the same model config), unknown layers are refused by
name, and training starts from the imported weights."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from projects import files
from projects.cli import main
from projects.compiler import build, compile_project
from projects.document import is_group_id
from projects.export import export_keras, load_keras
from projects.keras_import import (
    IMPORTED_WEIGHTS,
    KerasImportError,
    config_differences,
    import_keras,
    load_imported_weights,
)
from projects.layout import DEFAULT_SIZE
from projects.validation import validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.deepwire"))


def _parts(model) -> list:
    """The functional models a loaded file holds (a GAN holds two)."""
    return [model.generator, model.discriminator] if hasattr(model, "generator") else [model]


def _configs(path: Path) -> list[dict]:
    return [part.get_config() for part in _parts(load_keras(path))]


def _round_trip(path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Import ``path``, export it, import that, export again: the two exports."""
    first, second = tmp_path / "first.keras", tmp_path / "second.keras"
    export_keras(import_keras(path), first)
    export_keras(import_keras(first), second)
    return first, second


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_round_trips(example: Path, tmp_path: Path) -> None:
    exported = tmp_path / "example.keras"
    project = files.load(example)
    export_keras(project, exported)
    imported = import_keras(exported)
    assert imported.task["kind"] == project.task["kind"]
    assert {n.block for n in imported.nodes.values()} == {
        n.block for n in project.nodes.values()}
    again = tmp_path / "again.keras"
    export_keras(imported, again)
    # Nothing is normalised: blocks keep the ids the layers were named after.
    assert _configs(again) == _configs(exported)


# ----------------------------------------------------------------------------- applications


@pytest.fixture(scope="module")
def applications(tmp_path_factory) -> dict[str, tuple[keras.Model, Path]]:
    """MobileNetV2 and ResNet50 without downloaded weights, at small inputs, saved once."""
    folder = tmp_path_factory.mktemp("applications")
    models = {
        "mobilenet_v2": keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3)),
        "resnet50": keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3)),
        "resnet50_no_top": keras.applications.ResNet50(
            weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3)),
    }
    saved = {}
    for name, model in models.items():
        path = folder / f"{name}.keras"
        model.save(path)
        saved[name] = (model, path)
    return saved


@pytest.mark.parametrize("name", ["mobilenet_v2", "resnet50", "resnet50_no_top"])
def test_applications_import_completely_and_round_trip(applications, name, tmp_path) -> None:
    model, path = applications[name]
    project = import_keras(path)
    # Every layer is a block, plus the Output block that marks the model's output.
    assert len(project.nodes) == len(model.layers) + 1
    assert validate(project).ok
    compiled = build(project)
    assert compiled.model.count_params() == model.count_params()
    # Each block rebuilds its layer as saved; only names and initializers differ.
    titles = {node.title: node.id for node in project.nodes.values()}
    rebuilt = {layer.name: layer for layer in compiled.model.layers}
    for layer in model.layers:
        built = rebuilt[titles[layer.name]]
        assert type(built) is type(layer)
        assert config_differences(layer.get_config(), built.get_config()) == []
    first, second = _round_trip(path, tmp_path)
    assert _configs(first) == _configs(second)


def test_repeated_stages_become_groups(applications) -> None:
    mobilenet = import_keras(applications["mobilenet_v2"][1])
    titles = [mobilenet.group(g).title for g in mobilenet.members(None) if is_group_id(g)]
    assert titles == [f"block_{i}" for i in range(1, 17)]
    block = next(g for g in mobilenet.groups.values() if g.title == "block_2")
    assert {mobilenet.node(n).title for n in mobilenet.members(block.id)} >= {
        "block_2_expand", "block_2_depthwise", "block_2_project_BN", "block_2_add"}

    resnet = import_keras(applications["resnet50"][1])
    stages = {resnet.group(g).title: g for g in resnet.members(None) if is_group_id(g)}
    assert list(stages) == ["conv2", "conv3", "conv4", "conv5"]
    assert [resnet.group(g).title for g in resnet.members(stages["conv4"])] == [
        f"conv4_block{i}" for i in range(1, 7)]
    # The top level reads as a stem, four stages and a head, laid out without overlaps.
    assert len(resnet.members(None)) == 14
    _assert_apart(resnet, None)
    _assert_apart(resnet, stages["conv2"])
    assert files.dumps(files.loads(files.dumps(resnet))) == files.dumps(resnet)  # format 2


def _assert_apart(project, level) -> None:
    width, height = DEFAULT_SIZE
    places = [project.group(i).position if is_group_id(i) else project.node(i).position
              for i in project.members(level)]
    assert len(set(places)) == len(places)
    for i, (ax, ay) in enumerate(places):
        for bx, by in places[i + 1:]:
            assert abs(ax - bx) >= width or abs(ay - by) >= height


def test_nested_model_becomes_a_group(tmp_path) -> None:
    inner_inputs = keras.Input((8,))
    hidden = keras.layers.Dense(6, name="hidden")(inner_inputs)
    inner = keras.Model(inner_inputs, keras.layers.Dense(4, name="code")(hidden),
                        name="encoder")
    inputs = keras.Input((8,), name="features")
    model = keras.Model(inputs, keras.layers.Dense(2, name="scores")(inner(inputs)))
    path = tmp_path / "nested.keras"
    model.save(path)
    project = import_keras(path)
    [group] = project.groups.values()
    assert group.title == "encoder"
    assert sorted(project.node(n).title for n in project.members(group.id)) == [
        "code", "hidden"]
    compiled = compile_project(project)
    assert load_imported_weights(compiled) == []
    x = np.random.default_rng(2).normal(size=(3, 8)).astype("float32")
    np.testing.assert_allclose(compiled.model.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5)


def test_imported_model_predicts_as_the_original(applications) -> None:
    model, path = applications["mobilenet_v2"]
    compiled = compile_project(import_keras(path))
    assert load_imported_weights(compiled) == []
    images = np.random.default_rng(0).normal(size=(2, 96, 96, 3)).astype("float32")
    np.testing.assert_allclose(compiled.model.predict(images, verbose=0),
                               model.predict(images, verbose=0), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- weights


def test_project_names_the_weights_it_starts_from(tmp_path) -> None:
    path = tmp_path / "digits.keras"
    export_keras(files.load(ROOT / "resources" / "examples" / "cnn_digits.deepwire"), path)
    project = import_keras(path)
    assert project.metadata[IMPORTED_WEIGHTS]["file"] == str(path.resolve())
    assert f"Starts from the weights imported from {path.resolve()}" in project.notes
    saved = tmp_path / "digits.deepwire"
    files.save(project, saved)  # the reference survives a save
    assert files.load(saved).metadata == project.metadata
    assert IMPORTED_WEIGHTS not in import_keras(path, keep_weights=False).metadata


def test_training_starts_from_the_imported_weights_and_skips_edited_blocks(tmp_path) -> None:
    inputs = keras.Input((4,), name="features")
    hidden = keras.layers.Dense(5, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", name="scores")(hidden)
    original = keras.Model(inputs, outputs)
    path = tmp_path / "small.keras"
    original.save(path)
    project = import_keras(path)
    compiled = compile_project(project)
    assert load_imported_weights(compiled) == []
    x = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    np.testing.assert_allclose(compiled.model.predict(x, verbose=0),
                               original.predict(x, verbose=0), rtol=1e-5)

    hidden_id = next(i for i, n in project.nodes.items() if n.title == "hidden")
    project.set_params(hidden_id, {"units": 7})
    edited = compile_project(project)
    skipped = load_imported_weights(edited)
    assert len(skipped) == 2  # the edited block and the one after it no longer fit
    assert "hidden" in skipped[0]


def test_missing_weights_file_is_named(tmp_path) -> None:
    from projects.keras_import import ImportedWeightsError

    path = tmp_path / "gone.keras"
    export_keras(files.load(ROOT / "resources" / "examples" / "cnn_digits.deepwire"), path)
    compiled = compile_project(import_keras(path))
    path.unlink()
    with pytest.raises(ImportedWeightsError, match=r"gone\.keras"):
        load_imported_weights(compiled)


# ----------------------------------------------------------------------------- refusals


def test_layers_without_a_block_are_refused_by_name(tmp_path) -> None:
    inputs = keras.Input((6, 6, 6, 1))
    volume = keras.layers.Conv3D(2, 3, name="volume")(inputs)
    flat = keras.layers.Flatten(name="flat")(volume)
    scaled = keras.layers.UnitNormalization(name="unit")(flat)
    path = tmp_path / "unknown.keras"
    keras.Model(inputs, scaled).save(path)
    with pytest.raises(KerasImportError) as caught:
        import_keras(path)
    refused = {(layer.name, layer.class_name) for layer in caught.value.layers}
    assert refused == {("volume", "Conv3D"), ("unit", "UnitNormalization")}
    assert "volume (Conv3D)" in str(caught.value) and str(path) in str(caught.value)


def test_settings_no_block_reproduces_are_refused(tmp_path) -> None:
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2, kernel_constraint="non_neg", name="positive")(inputs)
    path = tmp_path / "constrained.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(KerasImportError) as caught:
        import_keras(path)
    [layer] = caught.value.layers
    assert layer.name == "positive" and "kernel_constraint" in layer.reason


def test_lambda_layer_is_refused_naming_the_file(tmp_path) -> None:
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2, name="double")(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(KerasImportError, match=r"lambda\.keras.*'double'") as caught:
        import_keras(path)
    assert caught.value.source == str(path)


def test_custom_code_is_refused_registered_or_not(tmp_path, monkeypatch) -> None:
    @keras.saving.register_keras_serializable(package="elsewhere")
    class Halver(keras.layers.Layer):
        def call(self, x):
            return x / 2

    inputs = keras.Input((3,))
    path = tmp_path / "custom.keras"
    keras.Model(inputs, Halver(name="half")(inputs)).save(path)
    with pytest.raises(KerasImportError) as caught:  # registered here: loads, has no block
        import_keras(path)
    assert [(layer.name, layer.class_name) for layer in caught.value.layers] == [
        ("half", "Halver")]
    monkeypatch.delitem(keras.saving.get_custom_objects(), "elsewhere>Halver")
    with pytest.raises(KerasImportError, match=r"it uses .*Halver, which is neither a Keras "
                                               r"nor a Deepwire class"):
        import_keras(path)


def test_sequential_model_imports(tmp_path) -> None:
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="a",
                                                                    trainable=False),
                              keras.layers.Dropout(0.5, name="b"),
                              keras.layers.Dense(2, activation="sigmoid", name="c")])
    path = tmp_path / "sequential.keras"
    model.save(path)
    project = import_keras(path)
    assert [project.nodes[i].block for i in project.topological_order()] == [
        "input", "dense", "dropout", "dense", "output"]
    [output] = [n for n in project.nodes.values() if n.block == "output"]
    assert output.params["loss"] == "binary_crossentropy"  # after a sigmoid, not compiled
    assert "1 layer was frozen in the file (a); Deepwire trains every block" in project.notes
    assert build(project).model.count_params() == model.count_params()


# ----------------------------------------------------------------------------- command line


def test_cli_import_writes_a_project(tmp_path, capsys) -> None:
    path = tmp_path / "digits.keras"
    export_keras(files.load(ROOT / "resources" / "examples" / "cnn_digits.deepwire"), path)
    out = tmp_path / "digits.deepwire"
    assert main(["import", str(path), "--out", str(out)]) == 0
    assert "9 blocks" in capsys.readouterr().out
    assert len(files.load(out).nodes) == 9
    assert IMPORTED_WEIGHTS in files.load(out).metadata
    assert main(["import", str(path), "--out", str(out), "--fresh-weights"]) == 0
    assert IMPORTED_WEIGHTS not in files.load(out).metadata

    inputs = keras.Input((6, 6, 6, 1))
    broken = tmp_path / "unknown.keras"
    keras.Model(inputs, keras.layers.Conv3D(2, 3, name="volume")(inputs)).save(broken)
    assert main(["import", str(broken), "--out", str(tmp_path / "x.deepwire")]) == 1
    assert "volume (Conv3D)" in capsys.readouterr().err
    assert not (tmp_path / "x.deepwire").exists()


# ----------------------------------------------------------------------------- training


def test_trainer_starts_from_the_imported_weights(tmp_path) -> None:
    from projects import events as ev
    from projects.training import RunOptions, Trainer

    path = tmp_path / "digits.keras"
    example = files.load(ROOT / "resources" / "examples" / "cnn_digits.deepwire")
    export_keras(example, path)
    project = import_keras(path)
    project.set_dataset(example.dataset)
    dense = next(i for i in project.topological_order() if project.nodes[i].block == "dense")
    project.set_params(dense, {"units": 40})  # an edited block cannot take its weights
    seen: list = []
    options = RunOptions(record=False, epochs=1, tensorboard=False)
    assert isinstance(Trainer(project, None, options, seen.append).run(), ev.Finished)
    warnings = [e.message for e in seen if isinstance(e, ev.RunWarning)]
    assert any(f"({dense}) starts from fresh weights" in w for w in warnings)
    assert sum("starts from fresh weights" in w for w in warnings) == 2  # and the next one

    path.unlink()
    failed = Trainer(project, None, options).run()
    assert isinstance(failed, ev.Failed) and str(path.resolve()) in failed.message


# ----------------------------------------------------------------------------- layout


def test_a_level_with_a_split_group_is_laid_out() -> None:
    from projects.document import Project
    from projects.layout import layered_positions

    project = Project("split")
    ids = [project.add_node("input", {"shape": [4]}).id]
    for _ in range(3):
        ids.append(project.add_node("dense", {"units": 4}).id)
        project.add_link(ids[-2], "out", ids[-1], "in")
    group = project.group_items([ids[1], ids[3]], "split")  # ids[2] lies between its parts
    positions = layered_positions(project, level=None)
    assert set(positions) == {ids[0], ids[2], group.id}
    assert positions[ids[0]][0] < positions[group.id][0]
