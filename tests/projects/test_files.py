"""Project files: deterministic round trips, the v1 golden file, migrations, refusing bad
files with JSON paths, fuzzed input, and saves that never damage the file on disk.

Qt-free and TensorFlow-free: these tests never build a layer.
"""

from __future__ import annotations

import builtins
import copy
import errno
import importlib
import json
import marshal
import math
import os
import pickle
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blocks
from blocks import registry
from blocks.builders import IN, OUT
from blocks.spec import BlockSpec, Param
from projects import files
from projects.document import Link, Project, TrainingSettings

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden_v1.deepwire"  # as the first Deepwire wrote it
CURRENT = DATA / "golden.deepwire"  # the same project as this Deepwire writes it
KARATE_V1 = DATA / "gcn_karate_v1.deepwire"  # resources/examples/gcn_karate as first released
TEST_BLOCK = "test_scaled_dense"
NO_PENALTY = {"l1": 0.0, "l2": 0.0, "regularize_bias": False}  # a weighted block's defaults


# ----------------------------------------------------------------------------- helpers


def rich_project() -> Project:
    """Wired CNN, transformer, graph and GAN parts, plus one of every catalog block."""
    project = Project(name="Всё сразу ✓ — every block")
    add = project.add_node
    # CNN classifier
    add("input", {"shape": [28, 28, 1]}, (0, 0), "Image 🖼")  # n1
    add("conv2d", {"filters": 8, "kernel_size": 5, "padding": "valid"}, (150, 0))  # n2
    add("batch_normalization", {"momentum": 0.9}, (300, 0))  # n3
    add("max_pooling2d", {"pool_size": 2}, (450, 0))  # n4
    add("flatten", {}, (600, 0))  # n5
    add("dense", {"units": 10, "activation": "linear", "use_bias": False},
        (750, 0), "Logits")  # n6
    add("output", {"from_logits": True}, (900, 0))  # n7
    # transformer-ish sequence classifier with a residual join
    add("input", {"shape": [None], "dtype": "int32"}, (0, 200), "Tokens")  # n8
    add("embedding", {"input_dim": 5000, "output_dim": 32, "mask_zero": True}, (150, 200))
    add("position_embedding", {"max_length": 256}, (300, 200))  # n10
    add("multi_head_attention", {"d_model": 32, "num_heads": 4, "dropout": 0.1,
                                 "causal": True}, (450, 200), "Self-attention")  # n11
    add("add", {"num_inputs": 2}, (600, 200), "Residual")  # n12
    add("layer_normalization", {"epsilon": 1e-5}, (750, 200))  # n13
    add("simple_attention", {"units": 16}, (900, 200), "Pool by attention")  # n14
    add("concatenate", {"num_inputs": 3, "axis": -1}, (1050, 200))  # n15
    add("dense", {"units": 1, "activation": "sigmoid"}, (1200, 200))  # n16
    add("output", {"loss": "binary_crossentropy"}, (1350, 200))  # n17
    # graph convolution
    add("input", {"shape": [1433]}, (0, 400), "Node features")  # n18
    add("graph_input", {"num_nodes": 2708}, (0, 500))  # n19
    add("graph_convolution", {"units": 16}, (150, 450))  # n20
    add("dropout", {"rate": 0.5}, (300, 450))  # n21
    add("graph_convolution", {"units": 7, "activation": "softmax"}, (450, 450))  # n22
    # GAN
    add("latent_noise", {"latent_dim": 64}, (0, 700))  # n23
    add("dense", {"units": 7 * 7 * 16}, (150, 700))  # n24
    add("reshape", {"target_shape": [7, 7, 16]}, (300, 700))  # n25
    add("conv2d_transpose", {"filters": 8, "strides": 2}, (450, 700))  # n26
    add("upsampling2d", {"size": 2, "interpolation": "bilinear"}, (600, 700))  # n27
    add("conv2d", {"filters": 1, "activation": "tanh"}, (750, 700))  # n28
    add("generator_output", {}, (900, 700), "Fake digits")  # n29
    add("discriminator_output", {"from_logits": False}, (900, 850))  # n30
    wires = [
        ("n1", "out", "n2", "in"), ("n2", "out", "n3", "in"), ("n3", "out", "n4", "in"),
        ("n4", "out", "n5", "in"), ("n5", "out", "n6", "in"), ("n6", "out", "n7", "in"),
        ("n8", "out", "n9", "in"), ("n9", "out", "n10", "in"), ("n10", "out", "n11", "query"),
        ("n11", "out", "n12", "in1"), ("n10", "out", "n12", "in2"),
        ("n12", "out", "n13", "in"), ("n13", "out", "n14", "values"),
        ("n14", "context", "n15", "in1"), ("n14", "weights", "n15", "in2"),
        ("n5", "out", "n15", "in3"), ("n15", "out", "n16", "in"), ("n16", "out", "n17", "in"),
        ("n18", "out", "n20", "features"), ("n19", "adjacency", "n20", "adjacency"),
        ("n20", "out", "n21", "in"), ("n21", "out", "n22", "features"),
        ("n19", "adjacency", "n22", "adjacency"),
        ("n23", "out", "n24", "in"), ("n24", "out", "n25", "in"), ("n25", "out", "n26", "in"),
        ("n26", "out", "n27", "in"), ("n27", "out", "n28", "in"), ("n28", "out", "n29", "in"),
        ("n6", "out", "n30", "in"),
    ]
    for wire in wires:
        project.add_link(*wire)
    used = {node.block for node in project.nodes.values()}
    for spec in blocks.all_specs():  # the rest of the catalog, unwired, with defaults
        if spec.id not in used and not spec.id.startswith("test_"):
            add(spec.id, {}, (0, 1000 + 50 * len(project.nodes)), f"Spare {spec.title}")
    project.set_task({"kind": "adversarial", "components": {"generator": ["n23"],
                                                             "discriminator": ["n1"]}})
    project.set_dataset({"name": "mnist", "options": {"normalize": True, "subset": 0.25}})
    project.set_training(TrainingSettings(epochs=7, batch_size=128, learning_rate=2e-4,
                                          optimizer="adamw", seed=1234, validation_split=0))
    project.set_notes("Заметки: línea 1\nline 2 — 日本語 \"quoted\" \\ back\\slash\t✓")
    project.metadata.update({"author": "Zoë Ñandú", "tags": ["gan", "gcn", "mha"],
                             "nested": {"a": [1, 2.5, None, True]}, "big": 2**53 + 1})
    return project


def grouped_project() -> Project:
    """The rich project with nested groups: an encoder inside a "Transformer" group, the
    graph layers in another, and a group holding a group (ports of both kinds)."""
    project = rich_project()
    encoder = project.group_items(["n11", "n12", "n13"], "Encoder ✓")
    project.group_items([encoder.id, "n14"], "Transformer")
    project.group_items(["n20", "n21", "n22"], "GCN")
    return project


def golden_project() -> Project:
    """The project golden_v1.deepwire holds, built through the document API."""
    project = Project(name="Digits MLP")
    project.add_node("input", {"shape": [64]}, (0, 0), "Pixels")
    project.add_node("dense", {"units": 128, "activation": "relu"}, (220.5, -40.25), "Hidden")
    project.add_node("dropout", {"rate": 0.2}, (440, 0))
    project.add_node("dense", {"units": 10, "activation": "softmax"}, (660, 0), "Classes")
    project.add_node("output", {"loss": "sparse_categorical_crossentropy"}, (880, 0))
    for source, target in (("n1", "n2"), ("n2", "n3"), ("n3", "n4"), ("n4", "n5")):
        project.add_link(source, "out", target, "in")
    project.set_dataset({"name": "digits"})
    project.set_training(TrainingSettings(epochs=20, batch_size=64, learning_rate=0.001,
                                          optimizer="adam", seed=42, validation_split=0.1))
    project.set_notes("Classifies 8×8 handwritten digits.")
    project.metadata["created_with"] = "Deepwire 0.1.0"
    return project


def golden_dict() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def refused(data: bytes | str | dict) -> files.ProjectFileError:
    if isinstance(data, dict):
        data = json.dumps(data)
    with pytest.raises(files.ProjectFileError) as info:
        files.loads(data, "broken.deepwire")
    error = info.value
    assert error.problems
    assert str(error).startswith("Cannot open broken.deepwire:")
    return error


def wheres(error: files.ProjectFileError) -> list[str]:
    return [problem.where for problem in error.problems]


def problem_at(error: files.ProjectFileError, where: str) -> str:
    for problem in error.problems:
        if problem.where == where:
            assert f"{where}: {problem.message}" in str(error)
            return problem.message
    raise AssertionError(f"no problem at {where!r}; problems: {error.problems}")


# ----------------------------------------------------------------------------- round trips


def test_save_load_save_is_byte_identical(tmp_path: Path) -> None:
    project = rich_project()
    first = tmp_path / "rich.deepwire"
    files.save(project, first)
    loaded = files.load(first)
    second = tmp_path / "again.deepwire"
    files.save(loaded, second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == files.dumps(project).encode("utf-8")
    assert first.read_bytes().endswith(b"}\n")
    assert "Всё сразу" in first.read_text(encoding="utf-8")  # UTF-8, not \\u escapes

    assert loaded.name == project.name
    assert loaded.nodes == project.nodes
    assert loaded.links == project.links
    assert loaded.task == project.task
    assert loaded.dataset == project.dataset
    assert loaded.training == project.training
    assert loaded.notes == project.notes
    assert loaded.metadata == project.metadata
    assert loaded.topological_order() == project.topological_order()
    assert loaded.revision == 0
    assert type(loaded.node("n1").params["shape"]) is tuple  # canonical forms come back
    assert loaded.node("n8").params["shape"] == (None,)


def test_rich_project_uses_every_catalog_block() -> None:
    used = {node.block for node in rich_project().nodes.values()}
    catalog = {spec.id for spec in blocks.all_specs() if not spec.id.startswith("test_")}
    assert used == catalog


def test_file_does_not_depend_on_edit_order() -> None:
    forward = golden_project()
    backward = Project(name="Digits MLP")
    for node_id in ("n5", "n4", "n3", "n2", "n1"):
        node = forward.node(node_id)
        backward.add_node(node.block, node.params, node.position, node.title, node_id)
    for link in reversed(forward.links):
        backward.add_link(link.source, link.source_port, link.target, link.target_port)
    backward.set_dataset(forward.dataset)
    backward.set_training(forward.training)
    backward.set_notes(forward.notes)
    backward.metadata.update(forward.metadata)
    assert files.dumps(backward) == files.dumps(forward)


def test_nodes_and_links_are_written_in_numeric_id_order() -> None:
    project = Project()
    for number in (10, 2, 1, 33):
        project.add_node("dense", node_id=f"n{number}")
    project.add_link("n10", "out", "n2", "in")
    project.add_link("n2", "out", "n33", "in")
    project.add_link("n1", "out", "n10", "in")
    document = json.loads(files.dumps(project))
    assert [n["id"] for n in document["nodes"]] == ["n1", "n2", "n10", "n33"]
    assert [(k["source"][0], k["target"][0]) for k in document["links"]] == [
        ("n1", "n10"), ("n2", "n33"), ("n10", "n2")]
    assert list(document) == sorted(document)


def test_untitled_nodes_have_no_title_key() -> None:
    document = json.loads(files.dumps(golden_project()))
    titles = {n["id"]: n.get("title", "<none>") for n in document["nodes"]}
    assert titles == {"n1": "Pixels", "n2": "Hidden", "n3": "<none>", "n4": "Classes",
                      "n5": "<none>"}


def test_loads_accepts_text_bytes_and_a_utf8_bom() -> None:
    text = CURRENT.read_text(encoding="utf-8")
    for data in (text, text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        assert files.dumps(files.loads(data)) == text


# ----------------------------------------------------------------------------- golden v1


def test_golden_file_loads_as_expected() -> None:
    project = files.load(GOLDEN)
    assert project.name == "Digits MLP"
    assert project.task == {"kind": "supervised"}
    assert project.dataset == {"name": "digits"}
    assert project.training == TrainingSettings(epochs=20, batch_size=64, learning_rate=0.001,
                                                optimizer="adam", seed=42,
                                                validation_split=0.1)
    assert project.notes == "Classifies 8×8 handwritten digits."
    assert project.metadata == {"created_with": "Deepwire 0.1.0"}
    summary = {n.id: (n.block, dict(n.params), n.position, n.title)
               for n in project.nodes.values()}
    assert summary == {
        "n1": ("input", {"shape": (64,), "dtype": "float32"}, (0.0, 0.0), "Pixels"),
        "n2": ("dense", {"units": 128, "activation": "relu", "use_bias": True, **NO_PENALTY},
               (220.5, -40.25), "Hidden"),
        "n3": ("dropout", {"rate": 0.2}, (440.0, 0.0), None),
        "n4": ("dense", {"units": 10, "activation": "softmax", "use_bias": True,
                         **NO_PENALTY}, (660.0, 0.0), "Classes"),
        "n5": ("output", {"loss": "sparse_categorical_crossentropy", "from_logits": False},
               (880.0, 0.0), None),
    }
    assert project.links == [Link("n1", "out", "n2", "in"), Link("n2", "out", "n3", "in"),
                             Link("n3", "out", "n4", "in"), Link("n4", "out", "n5", "in")]
    assert project.topological_order() == ["n1", "n2", "n3", "n4", "n5"]
    assert project.node("n2").label == "Hidden (n2)"


def test_current_golden_file_resaves_byte_for_byte(tmp_path: Path) -> None:
    golden = CURRENT.read_bytes()
    assert files.dumps(files.load(CURRENT)).encode("utf-8") == golden
    copy_path = tmp_path / "golden.deepwire"
    shutil.copyfile(CURRENT, copy_path)
    files.save(files.load(copy_path), copy_path)
    assert copy_path.read_bytes() == golden


def test_golden_v1_file_saves_as_the_current_file(tmp_path: Path) -> None:
    copy_path = tmp_path / "golden.deepwire"
    shutil.copyfile(GOLDEN, copy_path)
    files.save(files.load(copy_path), copy_path)
    assert copy_path.read_bytes() == CURRENT.read_bytes()


def test_golden_file_is_what_the_document_api_writes() -> None:
    assert files.dumps(golden_project()).encode("utf-8") == CURRENT.read_bytes()


def test_a_file_from_before_regularisation_opens_unchanged() -> None:
    """The first karate example: its blocks and settings read as they were, and the
    settings added since appear, at their defaults, only where the file writes every
    value (the training settings and the upgraded blocks' parameters)."""
    old = json.loads(KARATE_V1.read_text(encoding="utf-8"))
    project = files.load(KARATE_V1)
    new = json.loads(files.dumps(project))
    added_training = {"weight_decay": None, "early_stopping": False,
                      "early_stopping_patience": 10, "restore_best_weights": True,
                      "monitor": "val_loss", "reduce_lr_on_plateau": False,
                      "reduce_lr_patience": 5, "reduce_lr_factor": 0.1,
                      "test_split": 0.1}
    assert new["training"] == {**old["training"], **added_training}
    for before, after in zip(old["nodes"], new["nodes"], strict=True):
        if before["block"] == "graph_convolution":
            assert after["block_version"] == 2
            assert after["params"] == {**before["params"], "l1": 0.0, "l2": 0.0,
                                       "regularize_bias": False}
        else:
            assert after == before
    rest = {key for key in old if key not in ("nodes", "training", "format_version")}
    assert {key: new[key] for key in rest} == {key: old[key] for key in rest}
    assert (new["format_version"], new["groups"]) == (2, [])  # format 1 had no groups
    assert files.dumps(files.loads(files.dumps(project))) == files.dumps(project)


# ----------------------------------------------------------------------------- migrations


@pytest.fixture
def scaled_dense():
    """A test-only block at version 2 whose version 1 called ``units`` ``size``."""
    calls: list[tuple[int, dict]] = []

    def migrate(version: int, params: dict[str, Any]) -> dict[str, Any]:
        calls.append((version, dict(params)))
        params = dict(params)
        if version == 1 and "size" in params:
            params["units"] = params.pop("size")
        return params

    spec = BlockSpec(
        id=TEST_BLOCK, title="Scaled Dense (test)", category="Core",
        doc="Test-only block.", build=lambda params, inputs, name: {},
        inputs=IN, outputs=OUT,
        params=(Param("units", "int", 8, "Units.", minimum=1, maximum=1000),
                Param("scale", "float", 1.0, "Scale.", minimum=0.0, maximum=10.0)),
        version=2, migrate=migrate,
    )
    blocks.has("dense")  # load the catalog first, so the spec joins a complete registry
    registry.register(spec)
    yield calls
    registry._SPECS.pop(TEST_BLOCK, None)
    assert not blocks.has(TEST_BLOCK)


def with_scaled_dense(block_version: Any, params: dict[str, Any]) -> dict[str, Any]:
    document = golden_dict()
    document["nodes"].append({"id": "n6", "block": TEST_BLOCK, "block_version": block_version,
                              "params": params, "position": [1000.0, 0.0], "title": "Scaled"})
    document["links"].append({"source": ["n4", "out"], "target": ["n6", "in"]})
    return document


def test_old_block_version_is_migrated(scaled_dense) -> None:
    project = files.loads(json.dumps(with_scaled_dense(1, {"size": 12, "scale": 0.5})))
    node = project.node("n6")
    assert dict(node.params) == {"units": 12, "scale": 0.5}
    assert node.title == "Scaled"
    assert project.links_into("n6") == [Link("n4", "out", "n6", "in")]
    assert scaled_dense == [(1, {"size": 12, "scale": 0.5})]
    saved = json.loads(files.dumps(project))
    entry = saved["nodes"][-1]
    assert entry["block_version"] == 2
    assert entry["params"] == {"units": 12, "scale": 0.5}
    # and the upgraded file now loads without migrating again
    scaled_dense.clear()
    again = files.loads(files.dumps(project))
    assert dict(again.node("n6").params) == {"units": 12, "scale": 0.5}
    assert scaled_dense == []


def test_current_block_version_is_not_migrated(scaled_dense) -> None:
    project = files.loads(json.dumps(with_scaled_dense(2, {"units": 3})))
    assert dict(project.node("n6").params) == {"units": 3, "scale": 1.0}
    assert scaled_dense == []


def test_migrated_params_are_still_validated(scaled_dense) -> None:
    error = refused(with_scaled_dense(1, {"size": 0}))
    assert "units must be at least 1" in problem_at(error, "nodes[5] (n6).params.units")


def test_newer_block_version_is_refused_naming_the_block(scaled_dense) -> None:
    error = refused(with_scaled_dense(3, {"units": 3}))
    message = problem_at(error, "nodes[5] (n6).block_version")
    assert TEST_BLOCK in message
    assert "newer" in message
    assert "update Deepwire" in message


def test_newer_version_of_a_catalog_block_is_refused() -> None:
    document = golden_dict()
    document["nodes"][1]["block_version"] = blocks.get("dense").version + 1
    message = problem_at(refused(document), "nodes[1] (n2).block_version")
    assert "'dense'" in message
    assert "newer" in message


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_bad_block_versions_are_refused(version) -> None:
    document = golden_dict()
    document["nodes"][2]["block_version"] = version
    assert "nodes[2] (n3).block_version" in wheres(refused(document))


def test_missing_block_version_means_current() -> None:
    document = golden_dict()
    del document["nodes"][2]["block_version"]
    assert files.dumps(files.loads(json.dumps(document))) == CURRENT.read_text(encoding="utf-8")


def test_newer_format_version_is_refused() -> None:
    document = golden_dict()
    document["format_version"] = files.FORMAT_VERSION + 1
    message = problem_at(refused(document), "format_version")
    assert "written by a newer Deepwire" in message
    assert "Update Deepwire" in message


@pytest.mark.parametrize("version", [0, -3, "1", 1.5, True, None, [1]])
def test_bad_format_versions_are_refused(version) -> None:
    document = golden_dict()
    document["format_version"] = version
    assert "positive whole number" in problem_at(refused(document), "format_version")


def test_missing_format_version_is_refused() -> None:
    document = golden_dict()
    del document["format_version"]
    problem_at(refused(document), "format_version")


def test_format_migrations_run_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def from_v1(document: dict) -> dict:
        seen.append(document["format_version"])
        document = dict(document)
        document["name"] = document.pop("title")
        return document

    def from_v2(document: dict) -> dict:
        seen.append(document["format_version"])
        return {**document, "notes": document["notes"] + " (migrated)"}

    monkeypatch.setattr(files, "FORMAT_VERSION", 3)
    monkeypatch.setattr(files, "FORMAT_MIGRATIONS", {1: from_v1, 2: from_v2})
    document = golden_dict()
    document["title"] = document.pop("name")
    project = files.loads(json.dumps(document))
    assert seen == [1, 2]
    assert project.name == "Digits MLP"
    assert project.notes.endswith("(migrated)")
    assert json.loads(files.dumps(project))["format_version"] == 3


# ----------------------------------------------------------------------------- problems


def test_unknown_blocks_are_listed_with_their_nodes() -> None:
    document = golden_dict()
    document["nodes"][1]["block"] = "quantum_layer"
    document["nodes"][3]["block"] = "quantum_layer"
    document["nodes"][2]["block"] = "warp_drive"
    error = refused(document)
    messages = [p.message for p in error.problems if p.where == "nodes"]
    assert any("unknown block type 'quantum_layer' (used by n2, n4)" in m for m in messages)
    assert any("unknown block type 'warp_drive' (used by n3)" in m for m in messages)
    assert len(messages) == 2


@pytest.mark.parametrize(
    ("mutate", "where", "words"),
    [
        (lambda d: d["nodes"][1]["params"].update(units=0), "nodes[1] (n2).params.units",
         "at least 1"),
        (lambda d: d["nodes"][1]["params"].update(units="many"),
         "nodes[1] (n2).params.units", "whole number"),
        (lambda d: d["nodes"][1]["params"].update(units=1e308),
         "nodes[1] (n2).params.units", "at most"),
        (lambda d: d["nodes"][1]["params"].update(bogus=1), "nodes[1] (n2).params.bogus",
         "bogus"),
        (lambda d: d["nodes"][2]["params"].update(rate=10**400),
         "nodes[2] (n3).params.rate", "too large"),
        (lambda d: d["nodes"][0]["params"].update(shape="64, ²"),
         "nodes[0] (n1).params.shape", "list of dimensions"),
        (lambda d: d["nodes"][1].update(params=[1]), "nodes[1] (n2).params", "an object"),
        (lambda d: d["nodes"][1].update(position="here"), "nodes[1] (n2).position", "[x, y]"),
        (lambda d: d["nodes"][1].update(position=[1, 2, 3]), "nodes[1] (n2).position",
         "[x, y]"),
        (lambda d: d["nodes"][1].update(position=[1e10, 0]), "nodes[1] (n2).position",
         "[x, y]"),
        (lambda d: d["nodes"][1].update(position=[10**400, 0]), "nodes[1] (n2).position[0]",
         "too large"),
        (lambda d: d["nodes"][1].update(title=5), "nodes[1] (n2).title", "text"),
        (lambda d: d["nodes"][1].update(block=None), "nodes[1] (n2).block", "block type"),
        (lambda d: d["nodes"][1].update(colour="red"), "nodes[1].colour", "unknown key"),
        (lambda d: d["nodes"][1].update(id=7), "nodes[1].id", "text"),
        (lambda d: d["nodes"][1].update(id="x7"), "nodes[1] (x7).id", "look like 'n12'"),
        (lambda d: d["nodes"][1].update(id=""), "nodes[1] ().id", "look like 'n12'"),
        (lambda d: d["nodes"][1].update(id="n2\n"), "nodes[1] (n2\n).id", "look like"),
        (lambda d: d["nodes"][1].update(id="n1"), "nodes[1] (n1).id", "already exists"),
        (lambda d: d["nodes"].__setitem__(1, "dense"), "nodes[1]", "an object"),
        (lambda d: d.update(nodes={}), "nodes", "a list"),
        (lambda d: d.update(links="n1->n2"), "links", "a list"),
        (lambda d: d["links"].__setitem__(0, 5), "links[0]", "an object"),
        (lambda d: d["links"][0].update(source=["n1"]), "links[0].source",
         "[block id, port name]"),
        (lambda d: d["links"][0].update(target=["n9", "in"]), "links[0].target",
         "'n9', which is not in the project"),
        (lambda d: d["links"][0].update(target=["n2", "input"]), "links[0]",
         "no input port 'input'"),
        (lambda d: d["links"].append(dict(d["links"][0])), "links[4]", "already wired"),
        (lambda d: d["links"].append({"source": ["n1", "out"], "target": ["n3", "in"]}),
         "links[4]", "already wired from Hidden (n2)"),
        (lambda d: d["links"].append({"source": ["n4", "out"], "target": ["n1", "in"]}),
         "links[4]", "no input port"),
        (lambda d: d["training"].update(epochs=0), "training.epochs", "epochs"),
        (lambda d: d["training"].update(learning_rate="fast"), "training.learning_rate",
         "learning_rate"),
        (lambda d: d["training"].update(turbo=True), "training.turbo", "unknown"),
        (lambda d: d.update(training=[]), "training", "an object"),
        (lambda d: d.update(task=[]), "task", "an object"),
        (lambda d: d["task"].update(kind="clustering"), "task.kind", "supervised"),
        (lambda d: d.update(dataset="mnist"), "dataset", "an object"),
        (lambda d: d.update(metadata=5), "metadata", "an object"),
        (lambda d: d["metadata"].update(big="@@1e400@@"), "metadata.big", "too large"),
        (lambda d: d["metadata"].update(tags=["ok", "\ud800"]), "metadata.tags[1]",
         "not valid Unicode"),
        (lambda d: d.update(notes=5), "notes", "text"),
        (lambda d: d.update(name=5), "name", "text"),
        (lambda d: d.update(name="   "), "name", "empty"),
        (lambda d: d.update(colour="red"), "colour", "unknown key"),
    ],
)
def test_every_problem_names_its_json_path(mutate, where: str, words: str) -> None:
    document = golden_dict()
    mutate(document)
    text = json.dumps(document).replace('"@@1e400@@"', "1e400")
    error = refused(text)
    assert words in problem_at(error, where)
    for problem in error.problems:
        assert "Traceback" not in problem.message
        assert "<" not in problem.message or "<text>" in problem.message


def test_all_problems_are_reported_at_once() -> None:
    document = golden_dict()
    document["nodes"][1]["params"]["units"] = -5
    document["nodes"][2]["params"]["rate"] = 7
    document["training"]["epochs"] = 0
    document["training"]["optimizer"] = "newton"
    document["task"]["kind"] = "poetry"
    error = refused(document)
    for where in ("nodes[1] (n2).params.units", "nodes[2] (n3).params.rate",
                  "training.epochs", "training.optimizer", "task.kind"):
        problem_at(error, where)


def test_missing_optional_keys_take_defaults() -> None:
    project = files.loads(json.dumps({"format": "deepwire-project", "format_version": 1}))
    assert project.name == "Untitled"
    assert project.nodes == {}
    assert project.links == []
    assert project.task == {"kind": "supervised"}
    assert project.training == TrainingSettings()
    document = golden_dict()
    for key in ("params", "position", "title"):
        del document["nodes"][1][key]
    document["training"] = {"epochs": 3}
    project = files.loads(json.dumps(document))
    assert project.node("n2").params == {"units": 64, "activation": "relu", "use_bias": True,
                                         **NO_PENALTY}
    assert project.node("n2").position == (0.0, 0.0)
    assert project.node("n2").title is None
    assert project.training == TrainingSettings(epochs=3)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "not valid JSON"),
        (b"   \n", "not valid JSON"),
        (b"[]", "must hold a JSON object"),
        (b'"deepwire-project"', "must hold a JSON object"),
        (b"null", "must hold a JSON object"),
        (b"42", "must hold a JSON object"),
        (b"{}", "not a Deepwire project"),
        (b'{"format": "deepwire-model", "format_version": 1}', "not a Deepwire project"),
        (b'{"format": "deepwire-project", "format_version": 1, "name": NaN}', "NaN"),
        (b'{"format": "deepwire-project", "format_version": 1, "name": Infinity}',
         "Infinity"),
        (b'{"format": "deepwire-project", "format_version": 1, "x": -Infinity}',
         "-Infinity"),
        (b'{"format": "deepwire-project", "format_version": 1,', "not valid JSON"),
        (b'{"format": "deepwire-project", "format_version": 1, "notes": "\xe9t\xe9"}',
         "not UTF-8"),
        (b"\x80\x81", "not UTF-8"),
        (b'{"format": "deepwire-project", "format_version": 1, "metadata": {"a": '
         + b"9" * 5000 + b"}}", "not valid JSON"),
    ],
)
def test_malformed_files_are_refused_in_plain_words(data: bytes, words: str) -> None:
    error = refused(data)
    assert words in str(error)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1",
                                      "cp1252"])
def test_wrong_encodings_are_refused(encoding: str) -> None:
    text = GOLDEN.read_text(encoding="utf-8").replace("8×8", "8×8 é")
    error = refused(text.encode(encoding))
    assert "not UTF-8" in str(error) or "not valid JSON" in str(error)


@pytest.mark.parametrize("depth", [150, 5000])
def test_deep_nesting_is_refused(depth: int) -> None:
    text = GOLDEN.read_text(encoding="utf-8").replace(
        '"created_with": "Deepwire 0.1.0"', '"deep": ' + "[" * depth + "]" * depth)
    error = refused(text)
    assert "nest" in str(error) or "recursion" in str(error)


def test_moderate_nesting_loads_saves_and_copies() -> None:
    text = GOLDEN.read_text(encoding="utf-8").replace(
        '"created_with": "Deepwire 0.1.0"', '"deep": ' + "[" * 90 + "]" * 90)
    project = files.loads(text)
    assert files.dumps(project.copy()) == files.dumps(project)


def test_huge_but_finite_numbers_round_trip() -> None:
    document = golden_dict()
    document["metadata"].update(big=1e308, small=-1e308, tiny=5e-324, long=10**300)
    project = files.loads(json.dumps(document))
    assert project.metadata["big"] == 1e308
    assert project.metadata["long"] == 10**300
    text = files.dumps(project)
    assert files.dumps(files.loads(text)) == text


def test_duplicate_node_ids_are_refused() -> None:
    document = golden_dict()
    document["nodes"].append(copy.deepcopy(document["nodes"][4]))
    error = refused(document)
    assert "already exists" in problem_at(error, "nodes[5] (n5).id")


def test_link_to_a_refused_node_is_reported_too() -> None:
    document = golden_dict()
    document["nodes"][2]["params"]["rate"] = 3
    error = refused(document)
    assert "nodes[2] (n3).params.rate" in wheres(error)
    assert "links[1].target" in wheres(error)
    assert "links[2].source" in wheres(error)


# ----------------------------------------------------------------------------- load paths


def test_load_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.deepwire"
    with pytest.raises(files.ProjectFileError) as info:
        files.load(path)
    assert str(path) in str(info.value)
    assert "No such file" in str(info.value)


def test_load_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.deepwire"
    folder.mkdir()
    with pytest.raises(files.ProjectFileError) as info:
        files.load(folder)
    assert str(folder) in str(info.value)
    assert "directory" in str(info.value).lower()


def test_load_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.deepwire"
    path.write_bytes(b"")
    with pytest.raises(files.ProjectFileError, match="not valid JSON") as info:
        files.load(path)
    assert info.value.source == str(path)


def test_load_non_object_and_missing_format(tmp_path: Path) -> None:
    path = tmp_path / "list.deepwire"
    path.write_text("[1, 2, 3]\n", encoding="utf-8")
    with pytest.raises(files.ProjectFileError, match="must hold a JSON object"):
        files.load(str(path))
    document = golden_dict()
    del document["format"]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(files.ProjectFileError) as info:
        files.load(path)
    assert [p.where for p in info.value.problems] == ["format"]
    assert '"format": "deepwire-project"' in str(info.value)


def test_load_refuses_oversized_files_without_reading_them(tmp_path: Path,
                                                           monkeypatch) -> None:
    path = tmp_path / "huge.deepwire"
    with path.open("wb") as handle:
        handle.truncate(files.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a huge file"))
    with pytest.raises(files.ProjectFileError, match="at most 64 MB"):
        files.load(path)


def test_load_never_evaluates_unpickles_or_imports(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    blocks.has("dense")  # the catalog is imported once, before the trap is set
    calls: list[str] = []

    def trap(name: str):
        def refuse(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"load called {name}")
        return refuse

    for module, name in ((builtins, "eval"), (builtins, "exec"), (builtins, "compile"),
                         (pickle, "loads"), (pickle, "load"), (pickle, "Unpickler"),
                         (marshal, "loads"), (importlib, "import_module")):
        monkeypatch.setattr(module, name, trap(f"{module.__name__}.{name}"))
    real_import = builtins.__import__
    imported: list[str] = []

    def watch_import(name, *args, **kwargs):
        imported.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", watch_import)
    project = files.load(GOLDEN)
    assert len(project.nodes) == 5
    hostile = golden_dict()
    hostile["nodes"][1]["block"] = "os.system"
    hostile["nodes"][2]["block"] = "__import__('os').system('echo hacked')"
    hostile["nodes"][3]["block"] = "blocks.catalog.core"
    hostile["metadata"]["x"] = {"py/object": "os.system", "__reduce__": ["os.system", ["id"]]}
    path = tmp_path / "hostile.deepwire"
    path.write_text(json.dumps(hostile), encoding="utf-8")
    with pytest.raises(files.ProjectFileError) as info:
        files.load(path)
    assert "unknown block type 'os.system'" in str(info.value)
    assert calls == []
    # nothing the file names is imported (internal lazy imports would be fine)
    assert not {"os", "os.system", "subprocess", "blocks.catalog.core"} & set(imported)


# ----------------------------------------------------------------------------- saving


def test_save_creates_a_new_file_with_the_usual_permissions(tmp_path: Path) -> None:
    old_umask = os.umask(0o027)
    try:
        path = tmp_path / "new.deepwire"
        files.save(golden_project(), path)
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == CURRENT.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # 0o666 minus the umask, not 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.deepwire"]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o444])
def test_save_keeps_the_previous_permission_bits(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "kept.deepwire"
    path.write_text("old", encoding="utf-8")
    path.chmod(mode)
    files.save(golden_project(), path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_bytes() == CURRENT.read_bytes()


def test_save_accepts_str_paths_and_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "p.deepwire"
    files.save(rich_project(), str(path))
    files.save(golden_project(), str(path))
    assert path.read_bytes() == CURRENT.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["p.deepwire"]


def test_save_through_a_symlink_updates_the_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "project.deepwire"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.deepwire"
    link.symlink_to(target)
    files.save(golden_project(), link)
    assert link.is_symlink()
    assert target.read_bytes() == CURRENT.read_bytes()
    assert sorted(p.name for p in real.iterdir()) == ["project.deepwire"]


def old_file(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "precious.deepwire"
    files.save(rich_project(), path)
    path.chmod(0o640)
    return path, path.read_bytes()


def assert_intact(path: Path, before: bytes, error: files.ProjectSaveError) -> None:
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert str(path) in str(error)
    assert isinstance(error, OSError)


def test_full_disk_during_fsync_leaves_the_old_file(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path, before = old_file(tmp_path)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(files.ProjectSaveError) as info:
        files.save(golden_project(), path)
    assert_intact(path, before, info.value)
    assert "No space left on device" in str(info.value)
    assert "not changed" in str(info.value)
    assert info.value.__cause__.errno == errno.ENOSPC


def test_full_disk_during_write_leaves_the_old_file(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path, before = old_file(tmp_path)
    real_fdopen = os.fdopen

    class HalfWriter:
        """Writes half the data to the temporary file, then finds the disk full."""

        def __init__(self, handle) -> None:
            self.handle = handle

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(files.ProjectSaveError, match="No space left on device") as info:
        files.save(golden_project(), path)
    assert_intact(path, before, info.value)


def test_failed_replace_leaves_the_old_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path, before = old_file(tmp_path)

    def cannot_replace(source, target) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", cannot_replace)
    with pytest.raises(files.ProjectSaveError, match="cross-device") as info:
        files.save(golden_project(), path)
    assert_intact(path, before, info.value)


def test_interrupted_save_cleans_up_and_reraises(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path, before = old_file(tmp_path)

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        files.save(golden_project(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_failed_first_save_creates_nothing(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new.deepwire"

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(files.ProjectSaveError, match=r"new\.deepwire"):
        files.save(golden_project(), path)
    assert list(tmp_path.iterdir()) == []


def test_save_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "p.deepwire"
    with pytest.raises(files.ProjectSaveError) as info:
        files.save(golden_project(), path)
    assert str(path) in str(info.value)
    assert "No such file" in str(info.value)


def test_save_over_a_directory_fails_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "taken.deepwire"
    folder.mkdir()
    with pytest.raises(files.ProjectSaveError, match=r"taken\.deepwire"):
        files.save(golden_project(), folder)
    assert folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.deepwire"]


def test_read_only_folder(tmp_path: Path) -> None:
    path, before = old_file(tmp_path)
    tmp_path.chmod(0o555)
    try:
        if os.access(tmp_path, os.W_OK):
            pytest.skip("running with privileges that ignore folder permissions")
        with pytest.raises(files.ProjectSaveError) as info:
            files.save(golden_project(), path)
        assert "Permission denied" in str(info.value)
        assert_intact(path, before, info.value)
    finally:
        tmp_path.chmod(0o755)


def test_read_only_folder_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above for any user: creating the temporary file is refused."""
    path, before = old_file(tmp_path)
    real_open = os.open

    def refuse_new_files(name, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(name).parent == tmp_path:
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_new_files)
    with pytest.raises(files.ProjectSaveError) as info:
        files.save(golden_project(), path)
    assert "Permission denied" in str(info.value)
    assert_intact(path, before, info.value)


# ----------------------------------------------------------------------------- fuzzing

_BASES = {"golden": golden_dict(), "rich": json.loads(files.dumps(rich_project())),
          "grouped": json.loads(files.dumps(grouped_project()))}
_BASE_BYTES = {name: json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1)
               .encode("utf-8") for name, doc in _BASES.items()}


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


_PATHS = {name: _paths(doc) for name, doc in _BASES.items()}
_WRONG_VALUES = [
    None, True, False, 0, -1, 1, 7, 2**31, 2**64, 10**400, -(10**400), 1e308, -1e308,
    5e-324, 1.5, -0.0, math.nan, math.inf, -math.inf, "", " ", "x", "n1", "n2", "n0", "n1\n",
    "out", "in", "in9", "²", "\ud800", "\x00", "deepwire-project", [], {}, [1, 2],
    ["n1", "out"], ["n99", "in"], ["n1", "out", "extra"], {"kind": "supervised"},
    {"kind": "adversarial"}, [[[]]], "@@1e400@@", "@@-1e999@@", "@@DEEP@@",
]


def _render(document: Any, deep: int) -> str:
    text = json.dumps(document, allow_nan=True)
    return (text.replace('"@@1e400@@"', "1e400").replace('"@@-1e999@@"', "-1e999")
            .replace('"@@DEEP@@"', "[" * deep + "]" * deep))


@st.composite
def structural_mutations(draw) -> str:
    name = draw(st.sampled_from(sorted(_BASES)))
    document = copy.deepcopy(_BASES[name])
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["set", "set", "set", "delete", "duplicate", "extra"]))
        if action == "set":
            parent[key] = copy.deepcopy(draw(st.sampled_from(_WRONG_VALUES)))
        elif action == "delete":
            del parent[key]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "id", "block", "format_version"]))] = (
                copy.deepcopy(draw(st.sampled_from(_WRONG_VALUES))))
    nodes = document.get("nodes")
    if draw(st.booleans()) and isinstance(nodes, list) and nodes:  # a duplicate node id
        nodes.insert(draw(st.integers(0, len(nodes))),
                     copy.deepcopy(nodes[draw(st.integers(0, len(nodes) - 1))]))
    if draw(st.booleans()) and isinstance(document.get("links"), list):  # a dangling link
        document["links"].append({"source": [draw(st.sampled_from(["n1", "n3", "n77"])), "out"],
                                  "target": [draw(st.sampled_from(["n2", "n5", "n88"])), "in"]})
    return _render(document, draw(st.sampled_from([2, 60, 99, 100, 101, 500, 990, 3000])))


@st.composite
def byte_mutations(draw) -> bytes:
    data = bytearray(_BASE_BYTES[draw(st.sampled_from(sorted(_BASE_BYTES)))])
    kind = draw(st.sampled_from(["truncate", "flip", "both", "splice"]))
    if kind in ("truncate", "both"):
        data = data[: draw(st.integers(0, len(data) - 1))]
    if kind in ("flip", "both") and data:
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if kind == "splice" and data:
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e400",
                                            b"9" * 400, b'"\\ud800"', b"\xff\xfe", b"\x00",
                                            b",", b"}", b"[", b'"', b"\\"]))
    return bytes(data)


def _check_loads(data: bytes | str) -> None:
    try:
        project = files.loads(data)
    except files.ProjectFileError as error:
        assert error.problems
        assert all(isinstance(p.where, str) and p.message for p in error.problems)
        assert str(error).startswith("Cannot open")
        return
    text = files.dumps(project)
    text.encode("utf-8")
    again = files.loads(text)
    assert files.dumps(again) == text
    assert files.dumps(project.copy()) == text
    project.topological_order()


_FUZZ = settings(max_examples=400, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_FUZZ
@given(structural_mutations())
def test_fuzzed_structure_loads_or_is_refused(text: str) -> None:
    _check_loads(text)
    _check_loads(text.encode("utf-8", errors="surrogatepass"))


@_FUZZ
@given(byte_mutations())
def test_fuzzed_bytes_load_or_are_refused(data: bytes) -> None:
    _check_loads(data)


@_FUZZ
@given(st.sampled_from(sorted(_BASES)), st.sampled_from(["utf-16", "utf-16-le", "utf-32",
                                                         "latin-1", "cp1252", "utf-8-sig"]),
       st.text(max_size=20))
def test_fuzzed_encodings_load_or_are_refused(name: str, encoding: str, extra: str) -> None:
    document = copy.deepcopy(_BASES[name])
    document["notes"] = extra
    text = json.dumps(document, ensure_ascii=False)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode(encoding, errors="replace")
    _check_loads(data)


@pytest.mark.parametrize("path", _PATHS["golden"], ids=repr)
def test_every_key_with_every_wrong_value(path: tuple) -> None:
    """Exhaustive over the golden file: each value replaced by each wrong one, or removed."""
    for value in [*_WRONG_VALUES, "@@REMOVE@@"]:
        document = copy.deepcopy(_BASES["golden"])
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if value == "@@REMOVE@@":
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        text = _render(document, 1000)
        try:
            _check_loads(text)
        except Exception as error:
            raise AssertionError(f"{path} = {value!r}: {error!r}") from error
