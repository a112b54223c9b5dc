"""Groups in the document and the file: ports made from crossing wires, nesting, ungrouping
back to the very same document, file format 2 and its migration, and compiling a grouped
project to the same model as the flat one."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects import files
from projects.compiler import build
from projects.document import DocumentError, Group, GroupPort, Project
from resources import example_paths
from tests.projects.test_files import grouped_project, rich_project


def chain() -> Project:
    """input → dense → dense → add(residual from the first dense) → output."""
    project = Project()
    project.add_node("input", {"shape": [4]}, (0, 0))  # n1
    project.add_node("dense", {"units": 3}, (100, 0), "First")  # n2
    project.add_node("dense", {"units": 3}, (200, 0), "Second")  # n3
    project.add_node("add", {"num_inputs": 2}, (300, 0))  # n4
    project.add_node("output", {}, (400, 0))  # n5
    for wire in [("n1", "out", "n2", "in"), ("n2", "out", "n3", "in"),
                 ("n3", "out", "n4", "in1"), ("n2", "out", "n4", "in2"),
                 ("n4", "out", "n5", "in")]:
        project.add_link(*wire)
    return project


def test_a_group_gets_a_port_per_crossing_wire_named_after_its_inner_port() -> None:
    project = chain()
    group = project.group_items(["n3", "n4"], "Block")
    # one outside source (n2) feeds two inner ports: one input, leading to both
    assert group.inputs == (GroupPort("in", (("n3", "in"), ("n4", "in2"))),)
    assert group.outputs == (GroupPort("out", (("n4", "out"),)),)
    assert group.position == (250.0, 0.0)
    assert project.members(None) == ["n1", "n2", "n5", "g1"]
    assert project.members("g1") == ["n3", "n4"]
    assert project.item_at("n4", None) == "g1"
    assert project.item_at("n4", "g1") == "n4"
    assert project.item_at("n1", "g1") is None
    assert project.port_ends("g1", "in", "input") == (("n3", "in"), ("n4", "in2"))


def test_two_sources_into_one_group_name_their_ports_apart() -> None:
    project = chain()
    group = project.group_items(["n4"], "Join")
    assert [p.name for p in group.inputs] == ["in1", "in2"]
    project.ungroup("g1")
    # two wires from outside to two inner "in" ports: the names take the blocks' titles
    group = project.group_items(["n2", "n3"], "Pair")
    assert [p.name for p in group.inputs] == ["in"]
    assert [p.name for p in group.outputs] == ["out (First)", "out (Second)"]


def test_ungroup_gives_back_the_same_document() -> None:
    project = chain()
    before = files.dumps(project)
    inner = project.group_items(["n3", "n4"], "Inner")
    outer = project.group_items(["n2", inner.id], "Outer")
    assert project.path("n3") == ["g2", "g1"]
    assert project.members("g2") == ["n2", "g1"]
    assert project.leaves("g2") == {"n2", "n3", "n4"}
    grouped = files.dumps(project)
    assert grouped != before
    assert project.ungroup(outer.id) == ["n2", "g1"]
    assert project.members(None) == ["n1", "n2", "n5", "g1"]
    project.ungroup(inner.id)
    assert files.dumps(project) == before
    assert project.groups == {}


def test_nested_group_ports_lead_to_blocks_and_unwired_ones_stay() -> None:
    project = chain()
    inner = project.group_items(["n3"], "Inner")
    project.remove_link(project.link_into("n3", "in"))  # now nothing feeds the inner port
    assert project.group_ports(inner.id)[0] == (GroupPort("in", (("n3", "in"),)),)
    outer = project.group_items([inner.id, "n4"], "Outer")
    names = {p.name: p.ends for p in outer.inputs}
    assert names["in2"] == (("n4", "in2"),)
    assert names["in"] == (("n3", "in"),)  # kept from the inner group, still unwired


def test_a_deleted_inner_block_hides_its_port_until_it_comes_back() -> None:
    project = chain()
    project.group_items(["n3", "n4"], "Block")
    node, links = project.node("n3"), project.remove_node("n3")
    assert project.group_ports("g1")[0] == (GroupPort("in", (("n4", "in2"),)),)
    text = files.dumps(project)
    assert json.loads(text)["groups"][0]["inputs"] == [{"name": "in",
                                                         "ends": [["n4", "in2"]]}]
    project.add_nodes_and_links([node], links)
    assert project.node("n3").group == "g1"
    assert project.group_ports("g1")[0] == (GroupPort("in", (("n3", "in"), ("n4", "in2"))),)


def test_grouping_refuses_what_cannot_be_a_group() -> None:
    project = chain()
    project.group_items(["n3"], "A")
    with pytest.raises(DocumentError, match="same group"):
        project.group_items(["n2", "n3"], "B")
    with pytest.raises(DocumentError, match="Select blocks"):
        project.group_items([], "B")
    project.group_items(["g1"], "Outer")
    with pytest.raises(DocumentError, match="inside itself"):
        project.set_parent("g2", "g1")
    with pytest.raises(DocumentError, match="not empty"):
        project.remove_group("g2")
    with pytest.raises(DocumentError, match="unique"):
        project.update_group("g1", inputs=(GroupPort("x", (("n3", "in"),)),
                                           GroupPort("x", (("n3", "in"),))))
    with pytest.raises(DocumentError, match="ids look like"):
        project.add_group(Group("n9", "Bad"))


def test_rich_grouped_project_round_trips_byte_for_byte(tmp_path) -> None:
    project = grouped_project()
    text = files.dumps(project)
    document = json.loads(text)
    assert document["format_version"] == 2
    assert [g["id"] for g in document["groups"]] == ["g1", "g2", "g3"]
    assert document["groups"][0]["parent"] == "g2"
    path = tmp_path / "grouped.deepwire"
    files.save(project, path)
    again = files.load(path)
    assert files.dumps(again) == text
    assert again.groups == project.groups
    assert files.dumps(again.copy()) == text


def test_format_1_files_migrate_and_format_2_is_refused_by_a_format_1_reader(
        monkeypatch) -> None:
    document = json.loads(files.dumps(rich_project()))
    del document["groups"]
    document["format_version"] = 1
    migrated = files.loads(json.dumps(document))
    assert files.dumps(migrated) == files.dumps(rich_project())
    # A Deepwire that reads only format 1 gives the message it always gave.
    text = files.dumps(grouped_project())
    monkeypatch.setattr(files, "FORMAT_VERSION", 1)
    with pytest.raises(files.ProjectFileError) as refused:
        files.loads(text)
    assert "written by a newer Deepwire (format version 2; this one reads up to 1)" in str(
        refused.value)


@pytest.mark.parametrize(("change", "where", "message"), [
    (lambda d: d["groups"][0].update(parent="g9"), "groups[0] (g1).parent", "not in the"),
    (lambda d: d["groups"][1].update(parent="g1"), "groups[0] (g1).parent", "inside this"),
    (lambda d: d["nodes"][10].update(group="g7"), "nodes[10] (n11).group", "not in the"),
    (lambda d: d["groups"][0]["inputs"][0]["ends"][0].__setitem__(0, "n1"),
     "groups[0] (g1).inputs[0].ends", "not in the group"),
    (lambda d: d["groups"][0]["outputs"][0]["ends"][0].__setitem__(1, "nope"),
     "groups[0] (g1).outputs[0].ends", "no output port 'nope'"),
    (lambda d: d["groups"][0].update(colour="red"), "groups[0] (g1).colour", "unknown key"),
    (lambda d: d["groups"][2].update(title=""), "groups[2] (g3)", "needs a title"),
    (lambda d: d["groups"].append(dict(d["groups"][0])), "groups[3] (g1).id", "already"),
])
def test_broken_groups_are_refused_saying_where(change, where, message) -> None:
    document = json.loads(files.dumps(grouped_project()))
    change(document)
    with pytest.raises(files.ProjectFileError) as refused:
        files.loads(json.dumps(document))
    problems = [p for p in refused.value.problems if p.where == where]
    assert problems and message in problems[0].message, refused.value.problems


@st.composite
def groupings(draw):
    """Random nested groupings of a random subset of the rich project's levels."""
    project = rich_project()
    steps = []
    for _ in range(draw(st.integers(0, 6))):
        level = draw(st.sampled_from([None, *sorted(project.groups)]))
        members = project.members(level)
        if not members:
            continue
        chosen = draw(st.lists(st.sampled_from(members), min_size=1, max_size=6, unique=True))
        steps.append(chosen)
        project.group_items(chosen, draw(st.text(min_size=1, max_size=8).filter(str.strip)))
    return project


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(groupings())
def test_random_nested_groups_round_trip_and_ungroup_to_the_flat_project(project) -> None:
    text = files.dumps(project)
    again = files.loads(text)
    assert files.dumps(again) == text
    assert again.groups == project.groups
    assert again.nodes == project.nodes
    while again.groups:  # ungrouping everything, innermost or not, gives the flat project
        again.ungroup(sorted(again.groups)[0])
    flat = json.loads(files.dumps(again))
    expected = json.loads(files.dumps(rich_project()))
    for node in expected["nodes"]:
        node.pop("group", None)
    assert flat == expected


def test_grouped_examples_compile_to_the_same_model() -> None:
    """Groups compile inline: the model, its parameter counts and its numbers are those of
    the flat graph (docs/architecture.md, Groups)."""
    path = next(p for p in example_paths() if p.stem == "transformer_classifier")
    flat = files.load(path)
    grouped = files.load(path)
    for project in (flat, grouped):  # the example is made of groups: start from its flat graph
        for group in sorted(project.groups):
            project.ungroup(group)
    attention = [i for i, n in grouped.nodes.items() if n.block == "multi_head_attention"]
    inner = grouped.group_items(attention, "Attention")
    grouped.group_items([inner.id, *sorted(grouped.members(None))[2:4]], "Encoder")
    a, b = build(flat), build(grouped)
    assert a.model.count_params() == b.model.count_params()
    assert [w.shape for w in a.model.weights] == [w.shape for w in b.model.weights]
    b.model.set_weights(a.model.get_weights())
    shape = [2, *a.model.inputs[0].shape[1:]]
    tokens = np.random.default_rng(0).integers(1, 20, size=shape).astype("int32")
    np.testing.assert_allclose(a.model.predict(tokens, verbose=0),
                               b.model.predict(tokens, verbose=0), rtol=1e-6)
    assert b.attention_nodes == a.attention_nodes  # maps still reach the dashboard
