"""Validation against the data, and the one-click fixes that clear what it finds: each
check gets a project that trips it, each fix is applied and the project validated again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from projects import files
from projects.data_checks import project_data
from projects.datasets import check_fits, load_dataset
from projects.datasets.description import DatasetDescription, describe, describe_loaded
from projects.document import Project
from projects.fixes import apply_edits, apply_fix
from projects.shapes import ShapeInference
from projects.validation import Issue, Report, validate

INFERENCE = ShapeInference()


def check(project: Project, base_dir: Path | None = None) -> Report:
    """Validate with the data, as the app and `deepwire validate` do."""
    return validate(project, INFERENCE, check_data=True,
                    data=project_data(project, base_dir))


def only(report: Report, severity: str = "error") -> Issue:
    found = [i for i in report.issues if i.severity == severity]
    assert len(found) == 1, [str(i) for i in report.issues]
    return found[0]


def fixed(project: Project, issue: Issue, base_dir: Path | None = None) -> Report:
    """Apply the issue's fix and validate again; undoing it restores the file exactly."""
    assert issue.fix is not None, issue
    before = files.dumps(project)
    undo = apply_fix(project, issue.fix)
    after = files.dumps(project)
    apply_edits(project, undo)
    assert files.dumps(project) == before
    apply_fix(project, issue.fix)
    assert files.dumps(project) == after
    return check(project, base_dir)


def chain(project: Project, *blocks_: tuple[str, dict]) -> list[str]:
    ids = []
    for i, (block, params) in enumerate(blocks_):
        node = project.add_node(block, params, position=(i * 200.0, 0.0))
        if ids:
            port = "query" if project.node(ids[-1]).block == "input" and block == (
                "multi_head_attention") else "in"
            project.add_link(ids[-1], "out", node.id, port)
        ids.append(node.id)
    return ids


def markers(*middle: tuple[str, dict], units: int = 4, activation: str = "softmax",
            loss: str = "sparse_categorical_crossentropy", from_logits: bool = False,
            shape: tuple = (20, 4)) -> tuple[Project, list[str]]:
    """Input -> middle -> Dense -> Output on marker sequences (20 steps, 4 features, 4
    classes)."""
    project = Project("markers")
    project.set_dataset({"name": "marker_sequences", "samples": 64})
    ids = chain(project, ("input", {"shape": list(shape)}), *middle,
                ("dense", {"units": units, "activation": activation}),
                ("output", {"loss": loss, "from_logits": from_logits}))
    return project, ids


def test_generated_data_is_described_from_its_fields_as_loading_would() -> None:
    for spec, kind in (({"name": "marker_sequences", "samples": 50, "length": 7}, "supervised"),
                       ({"name": "key_tokens", "samples": 50, "classes": 3}, "supervised"),
                       ({"name": "sbm_graph", "num_nodes": 60, "num_classes": 3},
                        "node_classification"),
                       ({"name": "karate"}, "node_classification"),
                       ({"name": "digits"}, "supervised"),
                       ({"name": "gaussian_mixture_2d", "samples": 50}, "adversarial"),
                       ({"name": "marker_sequences", "samples": 50}, "adversarial")):
        assert describe(spec, task_kind=kind) == describe_loaded(
            load_dataset(spec, task_kind=kind)), spec


def test_file_descriptions_are_cached_until_the_file_changes(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((6, 3), "float32"), y=np.arange(6) % 2)
    spec = {"name": "npz", "path": "d.npz"}
    first = describe(spec, base_dir=tmp_path)
    assert (first.input_shapes, first.labels, first.num_classes) == (((3,),), "classes", 2)
    assert describe(spec, base_dir=tmp_path) is first
    np.savez(tmp_path / "d.npz", x=np.zeros((6, 5), "float32"), y=np.arange(6) % 3)
    again = describe(spec, base_dir=tmp_path)
    assert (again.input_shapes, again.num_classes) == (((5,),), 3)


def test_no_dataset_is_an_error_whose_fix_picks_the_one_the_inputs_fit() -> None:
    project, _ = markers(("global_average_pooling1d", {}))
    project.set_dataset({})
    assert validate(project, INFERENCE).ok  # without the data checks, as before
    issue = only(check(project))
    assert issue.message.startswith("No dataset is chosen")
    assert issue.fix.title == "Choose the dataset 'Marker sequences'"
    assert "marker_sequences" not in issue.message
    assert not fixed(project, issue).errors
    assert project.dataset == {"name": "marker_sequences"}


def test_a_dataset_for_another_task_is_named_by_its_title() -> None:
    project, _ = markers(("global_average_pooling1d", {}))
    project.set_dataset({"name": "karate"})
    issue = only(check(project))
    assert issue.message.startswith("The dataset 'Karate club: graph' is for Node "
                                    "classification projects, not Supervised")


def test_input_shape_against_the_data() -> None:
    project, ids = markers(("global_average_pooling1d", {}), shape=(20, 3))
    issue = only(check(project))
    assert (issue.node_id, issue.param) == (ids[0], "shape")
    assert "takes samples of shape (20, 3) but the dataset 'Marker sequences' has (20, 4)" in (
        issue.message)
    assert issue.fix.title == "Set the shape of 'Input (n1)' to (20, 4)"
    assert not fixed(project, issue).errors


def test_per_step_output_against_one_label_per_sample_gets_pooling() -> None:
    """The issue's own example: Input -> Multi-Head Attention -> Dense -> Output."""
    project, ids = markers(("multi_head_attention", {"num_heads": 2, "d_model": 8}))
    assert validate(project, INFERENCE).ok  # shapes alone say nothing
    issue = only(check(project))
    assert issue.node_id == ids[-1]
    assert "one prediction per step, (None, 20, 4)" in issue.message
    assert issue.fix.title == "Insert GlobalAveragePooling1D before 'Dense (n3)'"
    assert not fixed(project, issue).errors
    pool = [n for n in project.nodes.values() if n.block == "global_average_pooling1d"]
    assert [(k.source, k.target) for k in project.links_into(pool[0].id)] == [(ids[1], pool[0].id)]


def test_image_into_a_classifier_head_gets_flatten() -> None:
    project = Project("digits")
    project.set_dataset({"name": "digits"})
    ids = chain(project, ("input", {"shape": [8, 8, 1]}),
                ("dense", {"units": 10, "activation": "softmax"}), ("output", {}))
    issue = only(check(project))
    assert issue.fix.title == "Insert Flatten before 'Dense (n2)'"
    assert not fixed(project, issue).errors
    # in line with the wire, after the Input; the Dense and the Output one column on,
    # so both wires still run forward (not to a block tucked below, looping back)
    [flatten] = [n for n in project.nodes.values() if n.block == "flatten"]
    assert flatten.position == (250.0, 0.0)  # a column (block and gap) after the Input
    xs = [project.node(i).position[0] for i in (ids[0], flatten.id, ids[1], ids[2])]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert all(project.node(i).position[1] == 0.0 for i in ids)


def test_an_inserted_block_takes_the_gap_when_there_is_room() -> None:
    project = Project("digits")
    project.set_dataset({"name": "digits"})
    ids = chain(project, ("input", {"shape": [8, 8, 1]}),
                ("dense", {"units": 10, "activation": "softmax"}), ("output", {}))
    project.move_node(ids[1], (800.0, 0.0))
    project.move_node(ids[2], (1000.0, 0.0))
    fixed(project, only(check(project)))
    [flatten] = [n for n in project.nodes.values() if n.block == "flatten"]
    assert flatten.position == (400.0, 0.0)
    assert project.node(ids[1]).position == (800.0, 0.0)  # nothing else moved


@pytest.mark.parametrize("from_logits", [False, True])
def test_a_head_ending_in_relu_is_made_linear(from_logits: bool) -> None:
    """Turning from_logits on alone would leave class scores that cannot go below 0."""
    project, ids = markers(("global_average_pooling1d", {}), activation="relu",
                           from_logits=from_logits)
    issue = only(check(project), "warning" if from_logits else "error")
    assert (issue.node_id, issue.param) == (ids[-2], "activation")
    turn = "" if from_logits else " and turn from_logits on in 'Output (n4)'"
    assert issue.fix.title == f"Make 'Dense (n3)' linear{turn}"
    assert not fixed(project, issue).issues
    assert project.node(ids[-2]).params["activation"] == "linear"
    assert project.node(ids[-1]).params["from_logits"]


def test_fewer_units_than_classes_is_an_error_more_a_warning() -> None:
    project, ids = markers(("global_average_pooling1d", {}), units=3)
    issue = only(check(project))
    assert (issue.node_id, issue.param) == (ids[2], "units")
    assert issue.fix.title == "Set the units of 'Dense (n3)' to 4"
    assert not fixed(project, issue).issues
    project, ids = markers(("global_average_pooling1d", {}), units=8)
    report = check(project)
    assert report.ok
    warning = only(report, "warning")
    assert "'Output (n4)' has 8 units but the dataset 'Marker sequences' has 4 classes" in (
        warning.message)
    assert warning.node_id == ids[2]
    assert not fixed(project, warning).issues


@pytest.mark.parametrize(("loss", "units", "activation"), [
    ("categorical_crossentropy", 4, "softmax"),
    ("binary_crossentropy", 4, "softmax"),
    ("mean_squared_error", 4, "softmax"),
])
def test_the_loss_against_class_labels(loss: str, units: int, activation: str) -> None:
    project, ids = markers(("global_average_pooling1d", {}), loss=loss, units=units,
                           activation=activation)
    issue = only(check(project))
    assert (issue.node_id, issue.param) == (ids[-1], "loss")
    assert issue.fix.title == "Set the loss of 'Output (n4)' to sparse categorical crossentropy"
    assert not fixed(project, issue).errors


def test_the_loss_against_numbers_to_predict(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((8, 3), "float32"),
             y=np.linspace(0, 1, 8).astype("float32"))
    project = Project("regression")
    project.set_dataset({"name": "npz", "path": "d.npz"})
    chain(project, ("input", {"shape": [3]}), ("dense", {"units": 1, "activation": "linear"}),
          ("output", {"loss": "sparse_categorical_crossentropy", "from_logits": True}))
    issue = only(check(project, tmp_path), "error")
    assert issue.fix.title == "Set the loss of 'Output (n3)' to mean squared error"
    assert not fixed(project, issue, tmp_path).issues


def test_binary_labels_with_one_sigmoid_unit_fit() -> None:
    project, _ = markers(("global_average_pooling1d", {}), units=1, activation="sigmoid",
                         loss="binary_crossentropy")
    project.set_dataset({"name": "marker_sequences", "samples": 64, "classes": 2})
    assert not check(project).issues
    project.set_params("n4", {"loss": "sparse_categorical_crossentropy"})
    issue = only(check(project))
    assert issue.fix.title == "Set the loss of 'Output (n4)' to binary crossentropy"
    assert not fixed(project, issue).issues


@pytest.mark.parametrize(("activation", "from_logits", "title"), [
    ("linear", False, "Turn from_logits on in 'Output (n4)'"),
    ("softmax", True, "Turn from_logits off in 'Output (n4)'"),
])
def test_the_final_activation_against_from_logits(activation: str, from_logits: bool,
                                                  title: str) -> None:
    project, ids = markers(("global_average_pooling1d", {}), activation=activation,
                           from_logits=from_logits)
    issue = only(check(project))
    assert (issue.node_id, issue.param) == (ids[-1], "from_logits")
    assert issue.fix.title == title
    assert not fixed(project, issue).issues


def gcn(num_nodes: int | None, features: int = 34) -> Project:
    project = Project("gcn")
    project.set_task({"kind": "node_classification"})
    project.set_dataset({"name": "karate"})
    x = project.add_node("input", {"shape": [features]})
    graph = project.add_node("graph_input", {"num_nodes": num_nodes})
    conv = project.add_node("graph_convolution", {"units": 2, "activation": "softmax"})
    out = project.add_node("output", {})
    project.add_link(x.id, "out", conv.id, "features")
    project.add_link(graph.id, "adjacency", conv.id, "adjacency")
    project.add_link(conv.id, "out", out.id, "in")
    return project


def test_graph_blocks_against_graph_data() -> None:
    assert not check(gcn(None)).issues
    issue = only(check(gcn(100)))
    assert issue.message.startswith("Graph block 'Graph (adjacency) (n2)' is set to 100 nodes "
                                    "but the dataset 'Karate club: graph' has 34")
    assert (issue.node_id, issue.param) == ("n2", "num_nodes")
    project = gcn(100)
    assert not fixed(project, issue).issues
    issue = only(check(gcn(None, features=16)))
    assert issue.param == "shape"


def test_graph_block_on_data_that_is_not_a_graph() -> None:
    from projects.datasets.description import graph_misfits

    data = describe({"name": "digits"})
    [misfit] = graph_misfits(data, {"n2": None}, lambda key: "Graph (n2)")
    assert misfit.message == ("Graph block 'Graph (n2)' needs a graph dataset, but the "
                              "dataset 'Digits: 8×8 handwriting' is not a graph")


def gan(generated: tuple[int, ...]) -> Project:
    project = Project("gan")
    project.set_task({"kind": "adversarial"})
    project.set_dataset({"name": "gaussian_mixture_2d", "samples": 64})
    noise = project.add_node("latent_noise", {})
    g = project.add_node("dense", {"units": int(np.prod(generated)), "activation": "tanh"})
    gen = project.add_node("generator_output", {})
    x = project.add_node("input", {"shape": [2]})
    d = project.add_node("dense", {"units": 1, "activation": "linear"})
    disc = project.add_node("discriminator_output", {})
    for a, b in ((noise, g), (g, gen), (x, d), (d, disc)):
        project.add_link(a.id, a.output_ports()[0].name, b.id, "in")
    return project


def test_the_generator_against_the_data() -> None:
    assert not check(gan((2,))).errors
    project = gan((1, 2))
    # the generator's Dense gives (None, 2) here; make it (None, 2, 1) to trip the check
    project.set_params("n2", {"units": 2})
    reshape = project.add_node("reshape", {"target_shape": [2, 1]})
    project.remove_link(project.link_into("n3", "in"))
    project.add_link("n2", "out", reshape.id, "in")
    project.add_link(reshape.id, "out", "n3", "in")
    report = check(project)
    issue = next(i for i in report.errors if i.node_id == "n3" and i.fix is not None)
    assert "makes samples of shape (2, 1) but the dataset 'Gaussian ring 2-D (GAN)' has " in (
        issue.message)
    assert issue.fix.title == "Insert Reshape to (2,) before 'Generator Output (n3)'"
    assert not fixed(project, issue).errors


def test_a_wire_of_the_wrong_rank_gets_a_reshape() -> None:
    project, ids = markers(("conv2d", {"filters": 4, "kernel_size": 3, "padding": "same"}),
                           ("global_average_pooling2d", {}))
    issue = next(i for i in check(project).errors if i.fix is not None)
    assert issue.node_id == ids[1]
    assert issue.fix.title == "Insert Reshape to (20, 4, 1) before 'Conv2D (n2)'"
    assert not fixed(project, issue).errors


def test_check_fits_agrees_with_validation() -> None:
    """The trainer's check refuses what validation shows as an error, with its words."""
    data = load_dataset({"name": "marker_sequences", "samples": 40})
    project, ids = markers(("global_average_pooling1d", {}), units=3)
    issue = only(check(project))
    with pytest.raises(Exception) as caught:
        check_fits(data, {ids[0]: (20, 4)}, {ids[-1]: 3},
                   labels={i: n.label for i, n in project.nodes.items()})
    assert str(caught.value) in issue.message
    check_fits(data, {ids[0]: (20, 4)}, {ids[-1]: 8})  # a warning never stops a run


def test_descriptions_are_plain_data() -> None:
    data = describe({"name": "marker_sequences"})
    assert isinstance(data, DatasetDescription)
    assert (data.title, data.input_shapes, data.labels, data.num_classes) == (
        "Marker sequences", ((20, 4),), "classes", 4)
