"""The project document: edits, the events they emit, typed link errors, settings checks.

Qt-free and TensorFlow-free: these tests never build a layer.
"""

from __future__ import annotations

import math
from dataclasses import replace

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects import files
from projects.document import (
    TASK_KINDS,
    TASK_TITLES,
    CycleError,
    DocumentError,
    DuplicateLinkError,
    InputOccupiedError,
    KindMismatchError,
    Link,
    LinkAdded,
    LinkError,
    LinkRemoved,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    Project,
    SettingsChanged,
    TrainingSettings,
    UnknownNodeError,
    UnknownPortError,
    node_sort_key,
)


class Recorder:
    """Subscribes to a project and keeps every event it emits."""

    def __init__(self, project: Project) -> None:
        self.events: list = []
        self.unsubscribe = project.subscribe(self.events.append)

    def take(self) -> list:
        events, self.events[:] = list(self.events), []
        return events


def mlp() -> Project:
    """Input → Dense → Dropout → Dense → Output, with titles on two blocks."""
    project = Project(name="MLP")
    project.add_node("input", {"shape": [64]}, (0, 0), "Pixels")
    project.add_node("dense", {"units": 128}, (200, 0), "Hidden")
    project.add_node("dropout", {"rate": 0.25}, (400, 0))
    project.add_node("dense", {"units": 10, "activation": "softmax"}, (600, 0))
    project.add_node("output", {}, (800, 0))
    for source, target in (("n1", "n2"), ("n2", "n3"), ("n3", "n4"), ("n4", "n5")):
        project.add_link(source, "out", target, "in")
    return project


def snapshot(project: Project) -> tuple[str, list[str], int]:
    return files.dumps(project), project.topological_order(), project.revision


# ----------------------------------------------------------------------------- events


def test_add_node_emits_node_added_with_resolved_params() -> None:
    project = Project()
    recorder = Recorder(project)
    node = project.add_node("dense", {"units": 7}, (10.123, -5), "  ")
    assert recorder.take() == [NodeAdded(node)]
    assert project.revision == 1
    assert node.id == "n1"
    assert dict(node.params) == {"units": 7, "activation": "relu", "use_bias": True,
                                 "l1": 0.0, "l2": 0.0, "regularize_bias": False}
    assert node.position == (10.12, -5.0)
    assert node.title is None  # a blank title is no title, as with set_title
    assert node.label == "Dense (n1)"
    assert project.add_node("dense", title="  Hidden \n").title == "Hidden"
    assert project.nodes["n1"] == node
    assert project.node("n1") is node


def test_remove_node_reports_its_links_in_order_then_the_node() -> None:
    project = mlp()
    recorder = Recorder(project)
    before_revision = project.revision
    middle = project.node("n3")
    removed = project.remove_node("n3")
    expected_links = [Link("n2", "out", "n3", "in"), Link("n3", "out", "n4", "in")]
    assert removed == expected_links
    assert recorder.take() == [LinkRemoved(expected_links[0]), LinkRemoved(expected_links[1]),
                               NodeRemoved(middle)]
    assert project.revision == before_revision + 3
    assert "n3" not in project.nodes
    assert "n3" not in project.graph()
    assert all("n3" not in (k.source, k.target) for k in project.links)
    assert project.links == [Link("n1", "out", "n2", "in"), Link("n4", "out", "n5", "in")]


def test_remove_then_restore_gives_back_the_same_document() -> None:
    project = mlp()
    project.set_title("n3", "Regulariser")
    before = files.dumps(project)
    node = project.node("n3")
    links = project.remove_node("n3")
    assert files.dumps(project) != before
    recorder = Recorder(project)
    project.add_nodes_and_links([node], links)
    assert files.dumps(project) == before
    assert recorder.take() == [NodeAdded(node)] + [LinkAdded(k) for k in links]
    assert project.node("n3") == node
    assert project.topological_order() == ["n1", "n2", "n3", "n4", "n5"]


def test_remove_several_nodes_and_restore_them() -> None:
    project = mlp()
    before = files.dumps(project)
    nodes, links = [], []
    for node_id in ("n2", "n4"):
        nodes.append(project.node(node_id))
        links.extend(project.remove_node(node_id))
    assert project.links == []  # n2 and n4 touched every wire
    project.add_nodes_and_links(nodes, links)
    assert files.dumps(project) == before


def test_move_node_emits_old_and_new_positions() -> None:
    project = mlp()
    recorder = Recorder(project)
    revision = project.revision
    project.move_node("n2", (250.555, 30))
    assert recorder.take() == [NodeMoved("n2", (200.0, 0.0), (250.56, 30.0))]
    assert project.node("n2").position == (250.56, 30.0)
    assert project.revision == revision + 1
    project.move_node("n2", (250.56, 30.0))  # no change, no event
    assert recorder.take() == []
    assert project.revision == revision + 1


def test_set_params_emits_node_changed_only_when_something_changes() -> None:
    project = mlp()
    recorder = Recorder(project)
    revision = project.revision
    old = project.node("n2")
    new = project.set_params("n2", {"units": 256})
    assert recorder.take() == [NodeChanged(old, new)]
    assert new.params["units"] == 256
    assert new.params["activation"] == old.params["activation"]  # others kept
    assert project.node("n2") == new
    assert project.revision == revision + 1
    assert project.set_params("n2", {"units": 256.0}) == new  # same value after coercion
    assert project.set_params("n2", {}) == new
    assert recorder.take() == []
    assert project.revision == revision + 1


def test_set_title_strips_and_emits_node_changed() -> None:
    project = mlp()
    recorder = Recorder(project)
    old = project.node("n4")
    project.set_title("n4", "  Classes  ")
    new = project.node("n4")
    assert new.title == "Classes"
    assert recorder.take() == [NodeChanged(old, new)]
    assert new.label == "Classes (n4)"
    project.set_title("n4", "Classes")
    assert recorder.take() == []
    project.set_title("n4", "   ")
    assert project.node("n4").title is None
    assert project.node("n4").label == "Dense (n4)"
    assert recorder.take() == [NodeChanged(new, project.node("n4"))]


def test_add_and_remove_link_emit_events() -> None:
    project = Project()
    project.add_node("input")
    project.add_node("dense")
    recorder = Recorder(project)
    link = project.add_link("n1", "out", "n2", "in")
    assert link == Link("n1", "out", "n2", "in")
    assert recorder.take() == [LinkAdded(link)]
    assert project.links == [link]
    assert project.link_into("n2", "in") == link
    assert project.links_into("n2") == [link]
    assert project.links_out_of("n1") == [link]
    assert list(project.graph().edges("n1")) == [("n1", "n2")]
    project.remove_link(link)
    assert recorder.take() == [LinkRemoved(link)]
    assert project.links == []
    assert project.link_into("n2", "in") is None
    assert project.graph().number_of_edges() == 0
    assert project.revision == 4
    with pytest.raises(DocumentError):
        project.remove_link(link)
    assert recorder.take() == []


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        (lambda p: p.set_name("  Renamed  "), "name"),
        (lambda p: p.set_task({"kind": "node_classification", "classes": 3}), "task"),
        (lambda p: p.set_dataset({"name": "cora"}), "dataset"),
        (lambda p: p.set_training(replace(p.training, epochs=3)), "training"),
        (lambda p: p.set_notes("Notes ✓"), "notes"),
    ],
)
def test_settings_emit_settings_changed(edit, what: str) -> None:
    project = mlp()
    recorder = Recorder(project)
    revision = project.revision
    edit(project)
    assert recorder.take() == [SettingsChanged(what)]
    assert project.revision == revision + 1
    edit(project)  # the same value again changes nothing
    assert recorder.take() == []
    assert project.revision == revision + 1


def test_settings_values_are_stored_and_copied() -> None:
    project = Project()
    task = {"kind": "supervised", "outputs": {"n5": "labels"}}
    project.set_task(task)
    task["outputs"]["n5"] = "changed"  # the caller's dict is not shared
    assert project.task == {"kind": "supervised", "outputs": {"n5": "labels"}}
    dataset = {"name": "digits", "options": {"scale": True}}
    project.set_dataset(dataset)
    dataset["options"]["scale"] = False
    assert project.dataset == {"name": "digits", "options": {"scale": True}}
    project.set_name("  Spaced  ")
    assert project.name == "Spaced"


@pytest.mark.parametrize("name", ["", "   ", "\n\t"])
def test_empty_name_refused(name: str) -> None:
    project = mlp()
    recorder = Recorder(project)
    with pytest.raises(DocumentError, match="name"):
        project.set_name(name)
    assert project.name == "MLP"
    assert recorder.take() == []


@pytest.mark.parametrize("kind", [None, "", "classification", "Supervised", 3])
def test_unknown_task_kind_refused(kind) -> None:
    project = mlp()
    before = snapshot(project)
    with pytest.raises(DocumentError, match="supervised, node_classification, adversarial"):
        project.set_task({"kind": kind})
    assert snapshot(project) == before
    assert project.task == {"kind": "supervised"}


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("name", "  ", "needs a name"),
        ("name", 5, "needs a name"),
        ("task", {"kind": "clustering"}, "supervised, node_classification, adversarial"),
        ("task", ["supervised"], "task kind must be one of"),
        ("training", TrainingSettings(epochs=0), "epochs"),
        ("training", {"epochs": 3}, "TrainingSettings"),
        ("dataset", "mnist", "dataset must be a mapping"),
        ("metadata", 5, "metadata must be a mapping"),
        ("notes", 5, "notes must be text"),
        ("colour", "red", "Unknown project setting 'colour'"),
    ],
)
def test_check_setting_says_why_a_setting_is_refused(key: str, value, words: str) -> None:
    project = mlp()
    before = snapshot(project)
    with pytest.raises(DocumentError, match=words):
        project.check_setting(key, value)
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("key", "value"),
    [("name", " A name "), ("task", {"kind": "adversarial"}), ("dataset", {"name": "cora"}),
     ("training", TrainingSettings(epochs=3)), ("notes", ""), ("metadata", {"tags": []})],
)
def test_check_setting_accepts_what_the_setters_store(key: str, value) -> None:
    project = mlp()
    project.check_setting(key, value)
    getattr(project, f"set_{key}")(value)


def test_setters_refuse_what_check_setting_refuses() -> None:
    project = mlp()
    recorder = Recorder(project)
    for key, value in [("task", {"kind": 3}), ("notes", None), ("dataset", [1]),
                       ("training", TrainingSettings(batch_size=0))]:
        with pytest.raises(DocumentError) as checked:
            project.check_setting(key, value)
        with pytest.raises(DocumentError) as set_:
            getattr(project, f"set_{key}")(value)
        assert str(set_.value) == str(checked.value)
    assert recorder.take() == []


@pytest.mark.parametrize(
    ("key", "value", "setting"),
    [("name", "", "name"), ("task", {"kind": "x"}, "task.kind"),
     ("training", TrainingSettings(epochs=0), "training.epochs"),
     ("training", TrainingSettings(optimizer="lbfgs"), "training.optimizer"),
     ("training", TrainingSettings(validation_split=1.0), "training.validation_split")],
)
def test_a_refused_setting_is_named_as_data(key: str, value, setting: str) -> None:
    with pytest.raises(DocumentError) as refused:
        Project().check_setting(key, value)
    assert refused.value.setting == setting
    assert str(refused.value).endswith(refused.value.reason)
    assert "Received" in refused.value.reason or setting == "name"


def test_a_long_task_kind_is_quoted_short() -> None:
    with pytest.raises(DocumentError) as info:
        Project().check_setting("task", {"kind": "x" * 10_000})
    assert len(str(info.value)) < 200


def test_unsubscribe_stops_events_and_other_listeners_still_run() -> None:
    project = Project()
    first, second = Recorder(project), Recorder(project)
    first.unsubscribe()
    first.unsubscribe()  # twice is harmless
    project.add_node("input")
    assert first.take() == []
    assert len(second.take()) == 1


def test_listener_sees_the_document_after_the_change() -> None:
    project = mlp()
    seen = []
    project.subscribe(lambda event: seen.append((type(event).__name__, sorted(project.nodes),
                                                  project.revision)))
    project.remove_node("n5")
    assert seen == [("LinkRemoved", ["n1", "n2", "n3", "n4", "n5"], 10),
                    ("NodeRemoved", ["n1", "n2", "n3", "n4"], 11)]


# ----------------------------------------------------------------------------- link errors


def graph_project() -> Project:
    project = Project()
    project.add_node("input", {"shape": [8]}, title="Node features")  # n1
    project.add_node("graph_input")  # n2
    project.add_node("graph_convolution", {"units": 4})  # n3
    project.add_node("dense", title="Classifier")  # n4
    return project


def assert_refused(project: Project, error: type[Exception], ends: tuple, *names: str) -> str:
    """The link is refused with ``error``, its message names ``names``, nothing changed."""
    before = snapshot(project)
    recorder = Recorder(project)
    assert not project.can_link(*ends)
    with pytest.raises(error) as info:
        project.check_link(*ends)
    with pytest.raises(error) as info:
        project.add_link(*ends)
    message = str(info.value)
    for name in names:
        assert name in message, (name, message)
    for machine_words in ("Link(", "Node(", "Port(", "Traceback", "KeyError"):
        assert machine_words not in message
    assert snapshot(project) == before
    assert recorder.take() == []
    return message


def test_tensor_into_graph_port_is_a_kind_mismatch() -> None:
    project = graph_project()
    message = assert_refused(project, KindMismatchError, ("n1", "out", "n3", "adjacency"),
                             "Node features (n1)", "Graph Convolution (n3)", "adjacency",
                             "tensor", "graph")
    assert "kinds differ" in message
    assert issubclass(KindMismatchError, LinkError)
    assert issubclass(LinkError, DocumentError)


def test_graph_into_tensor_port_is_a_kind_mismatch() -> None:
    project = graph_project()
    assert_refused(project, KindMismatchError, ("n2", "adjacency", "n3", "features"),
                   "Graph (adjacency) (n2)", "Graph Convolution (n3)", "features")
    assert_refused(project, KindMismatchError, ("n2", "adjacency", "n4", "in"),
                   "Classifier (n4)")


def test_matching_kinds_link() -> None:
    project = graph_project()
    project.add_link("n1", "out", "n3", "features")
    project.add_link("n2", "adjacency", "n3", "adjacency")
    project.add_link("n3", "out", "n4", "in")
    assert project.topological_order() == ["n1", "n2", "n3", "n4"]
    assert len(project.links) == 3


def test_second_link_into_an_input_is_refused() -> None:
    project = mlp()
    project.add_node("input", title="Other input")  # n6
    message = assert_refused(project, InputOccupiedError, ("n6", "out", "n2", "in"),
                             "Hidden (n2)", "Pixels (n1)", "'in'")
    assert "already wired" in message
    # one output may feed several inputs
    project.add_node("dense")  # n7
    project.add_link("n1", "out", "n7", "in")
    assert project.links_out_of("n1") == [Link("n1", "out", "n2", "in"),
                                          Link("n1", "out", "n7", "in")]


def test_a_link_replacing_the_one_in_an_input_is_checked_without_it() -> None:
    project = mlp()
    project.add_node("input", title="Other input")  # n6
    assert project.can_link("n6", "out", "n2", "in", replacing=True)
    assert project.check_link("n6", "out", "n2", "in", replacing=True) == Link(
        "n6", "out", "n2", "in")
    assert not project.can_link("n3", "out", "n2", "in", replacing=True)  # still a loop
    assert not project.can_link("n1", "out", "n2", "in", replacing=True)  # already there


def test_link_closing_a_loop_is_refused() -> None:
    project = Project()
    for title in ("A", "B", "C"):
        project.add_node("dense", title=title)
    project.add_link("n1", "out", "n2", "in")
    project.add_link("n2", "out", "n3", "in")
    message = assert_refused(project, CycleError, ("n3", "out", "n1", "in"), "C (n3)", "A (n1)")
    assert "loop" in message
    assert nx.is_directed_acyclic_graph(project.graph())


def test_self_link_is_a_cycle() -> None:
    project = Project()
    project.add_node("dense", title="Lonely")
    assert_refused(project, CycleError, ("n1", "out", "n1", "in"), "Lonely (n1)")


def test_merge_block_cannot_take_both_ends_of_a_path_in_a_loop() -> None:
    project = Project()
    project.add_node("input")  # n1
    project.add_node("add")  # n2
    project.add_node("dense")  # n3
    project.add_link("n1", "out", "n2", "in1")
    project.add_link("n2", "out", "n3", "in")
    assert_refused(project, CycleError, ("n3", "out", "n2", "in2"), "Add (n2)", "Dense (n3)")


@pytest.mark.parametrize(
    ("ends", "names"),
    [
        (("n1", "result", "n2", "in"), ("Pixels (n1)", "output port 'result'", "out")),
        (("n1", "out", "n2", "input"), ("Hidden (n2)", "input port 'input'", "in")),
        (("n2", "out", "n1", "in"), ("Pixels (n1)", "input port 'in'", "none")),
        (("n5", "out", "n1", "in"), ("Output (n5)", "output port 'out'", "none")),
    ],
)
def test_unknown_ports_are_refused(ends, names) -> None:
    project = Project()
    project.add_node("input", title="Pixels")
    project.add_node("dense", title="Hidden")
    for _ in range(2):
        project.add_node("dropout")
    project.add_node("output")
    assert_refused(project, UnknownPortError, ends, *names)


def test_duplicate_link_is_refused() -> None:
    project = mlp()
    assert_refused(project, DuplicateLinkError, ("n1", "out", "n2", "in"),
                   "Pixels (n1)", "Hidden (n2)", "already")


@pytest.mark.parametrize(
    "ends", [("n9", "out", "n2", "in"), ("n1", "out", "n9", "in"), ("", "out", "n2", "in")])
def test_links_to_unknown_blocks_are_refused(ends) -> None:
    project = mlp()
    name = ends[0] if ends[0] != "n1" else ends[2]
    assert_refused(project, UnknownNodeError, ends, repr(name))


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: p.node("n9"),
        lambda p: p.remove_node("n9"),
        lambda p: p.move_node("n9", (1, 1)),
        lambda p: p.set_params("n9", {"units": 3}),
        lambda p: p.set_title("n9", "Ghost"),
    ],
)
def test_edits_of_unknown_blocks_are_refused(edit) -> None:
    project = mlp()
    before = snapshot(project)
    with pytest.raises(UnknownNodeError, match="'n9'"):
        edit(project)
    assert snapshot(project) == before


# ----------------------------------------------------------------------------- params


@pytest.mark.parametrize(
    ("node_id", "params", "words"),
    [
        ("n3", {"rate": 1.5}, ("rate", "at most 0.99", "Dropout (n3)")),
        ("n3", {"rate": -0.1}, ("rate", "at least 0")),
        ("n3", {"rate": math.nan}, ("rate", "finite")),
        ("n3", {"rate": "half"}, ("rate", "must be a number")),
        ("n2", {"units": 0}, ("units", "Hidden (n2)", "at least 1")),
        ("n2", {"units": 2.5}, ("units", "whole number")),
        ("n2", {"units": True}, ("units", "whole number")),
        ("n2", {"activation": "sigmoidal"}, ("activation", "'sigmoid'")),
        ("n2", {"use_bias": 1}, ("use_bias", "true or false")),
        ("n2", {"unitz": 3}, ("unitz",)),
        ("n1", {"shape": [0, 3]}, ("shape", "Pixels (n1)")),
        ("n1", {"shape": []}, ("shape",)),
    ],
)
def test_set_params_refuses_bad_values(node_id: str, params: dict, words: tuple) -> None:
    project = mlp()
    before = snapshot(project)
    old = project.node(node_id)
    recorder = Recorder(project)
    with pytest.raises(DocumentError) as info:
        project.set_params(node_id, params)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    assert snapshot(project) == before
    assert project.node(node_id) == old
    assert recorder.take() == []


def test_set_params_refuses_all_of_a_partly_bad_update() -> None:
    project = mlp()
    before = snapshot(project)
    with pytest.raises(DocumentError, match="activation"):
        project.set_params("n2", {"units": 5, "activation": "nope"})
    assert project.node("n2").params["units"] == 128
    assert snapshot(project) == before


def test_add_node_refuses_bad_params_and_ids() -> None:
    project = mlp()
    before = snapshot(project)
    with pytest.raises(DocumentError, match="units"):
        project.add_node("dense", {"units": -3})
    for bad_id in ("x1", "n0", "n01", "N1", "n", "n1 ", "n1\n", "", "n1234567890"):
        with pytest.raises(DocumentError, match="ids look like"):
            project.add_node("dense", node_id=bad_id)
    with pytest.raises(DocumentError, match="already exists"):
        project.add_node("dense", node_id="n3")
    with pytest.raises(KeyError, match="no_such_block"):
        project.add_node("no_such_block")
    assert snapshot(project) == before


def concat_project() -> Project:
    project = Project()
    project.add_node("input")  # n1
    project.add_node("input")  # n2
    project.add_node("concatenate", {"num_inputs": 3}, title="Join")  # n3
    return project


def test_merge_block_ports_follow_num_inputs() -> None:
    project = concat_project()
    assert [p.name for p in project.node("n3").input_ports()] == ["in1", "in2", "in3"]
    project.set_params("n3", {"num_inputs": 5})
    assert [p.name for p in project.node("n3").input_ports()] == [
        "in1", "in2", "in3", "in4", "in5"]
    project.add_link("n1", "out", "n3", "in5")
    assert_refused(project, UnknownPortError, ("n2", "out", "n3", "in6"), "Join (n3)", "in6")


def test_merge_block_reduction_refused_while_a_vanishing_port_is_wired() -> None:
    project = concat_project()
    project.add_link("n1", "out", "n3", "in1")
    project.add_link("n2", "out", "n3", "in3")
    before = snapshot(project)
    recorder = Recorder(project)
    with pytest.raises(DocumentError) as info:
        project.set_params("n3", {"num_inputs": 2})
    assert "Join (n3)" in str(info.value)
    assert "in3" in str(info.value)
    assert "in1" not in str(info.value)
    assert snapshot(project) == before
    assert project.node("n3").params["num_inputs"] == 3
    assert recorder.take() == []

    project.remove_link(Link("n2", "out", "n3", "in3"))
    recorder.take()
    old = project.node("n3")
    new = project.set_params("n3", {"num_inputs": 2})  # in1 stays, in3 is free
    assert recorder.take() == [NodeChanged(old, new)]
    assert [p.name for p in new.input_ports()] == ["in1", "in2"]
    assert project.links == [Link("n1", "out", "n3", "in1")]


def test_merge_block_reduction_allowed_when_only_kept_ports_are_wired() -> None:
    project = concat_project()
    project.add_link("n1", "out", "n3", "in1")
    project.add_link("n2", "out", "n3", "in2")
    project.set_params("n3", {"num_inputs": 2})
    assert project.node("n3").params["num_inputs"] == 2
    assert len(project.links) == 2
    with pytest.raises(DocumentError, match="at least 2"):
        project.set_params("n3", {"num_inputs": 1})


# ----------------------------------------------------------------------------- whole document


def test_next_node_id_after_deletions() -> None:
    project = Project()
    assert project.next_node_id() == "n1"
    for _ in range(3):
        project.add_node("dense")
    assert project.next_node_id() == "n4"
    project.remove_node("n2")  # a gap does not get reused while a higher id lives
    assert project.next_node_id() == "n4"
    assert project.add_node("dense").id == "n4"
    project.remove_node("n4")
    project.remove_node("n3")
    assert project.next_node_id() == "n2"
    project.add_node("dense", node_id="n10")
    assert project.next_node_id() == "n11"
    project.remove_node("n1")
    project.remove_node("n10")
    assert project.next_node_id() == "n1"


def test_topological_order_is_stable_and_numeric() -> None:
    project = Project()
    for _ in range(12):
        project.add_node("dense")
    expected = [f"n{i}" for i in range(1, 13)]
    assert project.topological_order() == expected  # n2 before n10, not string order
    assert sorted(project.nodes, key=node_sort_key) == expected
    project.add_link("n11", "out", "n2", "in")
    project.add_link("n10", "out", "n1", "in")
    order = project.topological_order()
    assert order.index("n11") < order.index("n2")
    assert order.index("n10") < order.index("n1")
    assert order == ["n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n1", "n11", "n2", "n12"]
    assert project.topological_order() == order  # the same every time


def test_topological_order_does_not_depend_on_insertion_order() -> None:
    def build(order: list[int]) -> Project:
        project = Project()
        for number in order:
            project.add_node("add" if number == 2 else "dense", node_id=f"n{number}")
        for source, target, port in ((12, 3, "in"), (3, 2, "in2"), (20, 2, "in1")):
            project.add_link(f"n{source}", "out", f"n{target}", port)
        return project

    first, second = build([2, 3, 12, 20, 1]), build([20, 1, 12, 3, 2])
    assert first.topological_order() == ["n1", "n12", "n3", "n20", "n2"]
    assert second.topological_order() == first.topological_order()
    assert files.dumps(first) == files.dumps(second)


def test_copy_is_independent_and_has_no_listeners() -> None:
    project = mlp()
    project.set_task({"kind": "supervised", "details": {"classes": [0, 1]}})
    project.set_dataset({"name": "digits", "options": {"split": [0.8, 0.2]}})
    project.metadata["tags"] = ["demo"]
    recorder = Recorder(project)
    before = files.dumps(project)
    other = project.copy()
    assert files.dumps(other) == before
    assert other.topological_order() == project.topological_order()

    other.remove_node("n3")
    assert other.add_node("dense").id == "n6"
    other.set_params("n2", {"units": 1})
    other.set_title("n1", "Changed")
    other.move_node("n4", (1, 1))
    other.add_link("n2", "out", "n6", "in")
    other.task["details"]["classes"].append(2)
    other.dataset["options"]["split"][0] = 0.5
    other.metadata["tags"].append("copy")
    other.set_name("Copy")
    other.set_training(replace(other.training, epochs=99))

    assert files.dumps(project) == before
    assert recorder.take() == []
    assert "n3" in project.graph()
    assert project.links_into("n3") == [Link("n2", "out", "n3", "in")]

    copy_recorder = Recorder(other)
    project.remove_node("n5")
    assert copy_recorder.take() == []
    assert "n5" in other.nodes


def test_graph_view_is_read_only() -> None:
    project = mlp()
    view = project.graph()
    with pytest.raises(nx.NetworkXError):
        view.add_node("n99")
    assert "n99" not in project.nodes


def test_nodes_property_is_a_copy() -> None:
    project = mlp()
    nodes = project.nodes
    del nodes["n1"]
    assert "n1" in project.nodes


# ----------------------------------------------------------------------------- training


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("epochs", -1),
        ("epochs", 1.5),
        ("epochs", 10.0),
        ("epochs", True),
        ("epochs", "10"),
        ("epochs", 100_001),
        ("batch_size", True),
        ("batch_size", 0),
        ("batch_size", 32.0),
        ("batch_size", None),
        ("learning_rate", math.nan),
        ("learning_rate", math.inf),
        ("learning_rate", 0),
        ("learning_rate", -1e-3),
        ("learning_rate", 11),
        ("learning_rate", True),
        ("learning_rate", "0.01"),
        ("learning_rate", None),
        ("learning_rate", 10**400),
        ("validation_split", 1.0),
        ("validation_split", -0.1),
        ("validation_split", math.nan),
        ("validation_split", False),
        ("optimizer", "Adam"),
        ("optimizer", ""),
        ("optimizer", None),
        ("seed", -1),
        ("seed", 2**31),
        ("seed", True),
    ],
)
def test_set_training_refuses_invalid_values(field: str, value) -> None:
    project = mlp()
    before = snapshot(project)
    recorder = Recorder(project)
    with pytest.raises(DocumentError) as info:
        project.set_training(replace(TrainingSettings(), **{field: value}))
    assert field in str(info.value)
    assert "Received" in str(info.value)
    assert project.training == TrainingSettings()
    assert snapshot(project) == before
    assert recorder.take() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"epochs": 1},
        {"epochs": 100_000},
        {"batch_size": 1},
        {"learning_rate": 1},
        {"learning_rate": 10.0},
        {"validation_split": 0},
        {"validation_split": 0.99},
        {"optimizer": "sgd"},
        {"seed": 2**31 - 1},
    ],
)
def test_set_training_accepts_edge_values(changes: dict) -> None:
    project = mlp()
    settings = replace(TrainingSettings(), **changes)
    project.set_training(settings)
    assert project.training == settings
    again = files.loads(files.dumps(project))
    assert again.training == settings


# ----------------------------------------------------------------------------- random edits

_BLOCKS = ["input", "dense", "add", "concatenate", "graph_input", "graph_convolution",
           "output", "simple_attention"]


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=st.lists(st.sampled_from(_BLOCKS), min_size=2, max_size=8),
    attempts=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3),
                                st.integers(0, 7), st.integers(0, 3)), max_size=25),
    removals=st.lists(st.integers(0, 7), max_size=3),
)
def test_random_edits_keep_the_document_consistent(kinds, attempts, removals) -> None:
    project = Project()
    for kind in kinds:
        project.add_node(kind)
    ids = sorted(project.nodes, key=node_sort_key)
    for s, sp, t, tp in attempts:
        source, target = project.node(ids[s % len(ids)]), project.node(ids[t % len(ids)])
        outs = [p.name for p in source.output_ports()] or ["out"]
        ins = [p.name for p in target.input_ports()] or ["in"]
        ends = (source.id, outs[sp % len(outs)], target.id, ins[tp % len(ins)])
        before = snapshot(project)
        allowed = project.can_link(*ends)
        try:
            project.add_link(*ends)
        except (LinkError, UnknownPortError):
            assert not allowed
            assert snapshot(project) == before
        else:
            assert allowed
    for index in removals:
        remaining = sorted(project.nodes, key=node_sort_key)
        if remaining:
            project.remove_node(remaining[index % len(remaining)])

    graph = project.graph()
    assert nx.is_directed_acyclic_graph(graph)
    targets = [(k.target, k.target_port) for k in project.links]
    assert len(targets) == len(set(targets))  # one wire per input
    for link in project.links:
        out = {p.name: p.kind for p in project.node(link.source).output_ports()}
        into = {p.name: p.kind for p in project.node(link.target).input_ports()}
        assert out[link.source_port] == into[link.target_port]
    assert graph.number_of_edges() == len(project.links)
    order = project.topological_order()
    assert sorted(order) == sorted(project.nodes)
    for link in project.links:
        assert order.index(link.source) < order.index(link.target)
    text = files.dumps(project)
    assert files.dumps(files.loads(text)) == text


def test_every_task_kind_has_a_title() -> None:
    assert list(TASK_TITLES) == list(TASK_KINDS)
    assert all(title.strip() for title in TASK_TITLES.values())
