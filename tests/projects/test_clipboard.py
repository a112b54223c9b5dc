"""Copy and paste fragments: nodes are written and read as a project file writes them."""

from __future__ import annotations

import json

import pytest

from projects import clipboard, files
from projects.clipboard import FragmentError, copy_fragment, paste_plan
from projects.document import Project


@pytest.fixture
def project() -> Project:
    project = Project(name="Copy")
    project.add_node("input", {"shape": [8]}, (0, 0), "Features")
    project.add_node("dense", {"units": 4}, (200, 0))
    project.add_node("output", {}, (400, 0))
    project.add_link("n1", "out", "n2", "in")
    project.add_link("n2", "out", "n3", "in")
    return project


def test_a_fragment_holds_the_nodes_as_the_file_writes_them(project: Project) -> None:
    data = json.loads(copy_fragment(project, ["n2", "n1"]))
    file_nodes = files.to_dict(project)["nodes"]
    assert data["nodes"] == file_nodes[:2]
    assert data["links"] == [["n1", "out", "n2", "in"]]


def test_paste_gives_fresh_ids_shifted_positions_and_inner_links(project: Project) -> None:
    nodes, links = paste_plan(project, copy_fragment(project, ["n1", "n2"]), (10.0, 20.0))
    assert [n.id for n in nodes] == ["n4", "n5"]
    assert [n.position for n in nodes] == [(10.0, 20.0), (210.0, 20.0)]
    assert nodes[0].title == "Features" and nodes[1].params == project.node("n2").params
    assert [(k.source, k.target) for k in links] == [("n4", "n5")]
    project.add_nodes_and_links(nodes, links)
    assert project.node("n5").params["units"] == 4


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda e: e.update(block="teleporter"), "nodes[0] (n1).block: unknown block type"),
        (lambda e: e["params"].update(units=-5), "nodes[0] (n1).params.units"),
        (lambda e: e.update(block_version=99), "newer than this Deepwire knows"),
        (lambda e: e.update(position=["left", 0]), "nodes[0] (n1).position"),
        (lambda e: e.update(colour="red"), "nodes[0].colour: unknown key"),
    ],
)
def test_a_broken_node_entry_is_refused_as_the_file_reader_refuses_it(
        project: Project, change, words: str) -> None:
    data = json.loads(copy_fragment(project, ["n2"]))
    data["nodes"][0]["id"] = "n1"
    change(data["nodes"][0])
    with pytest.raises(FragmentError, match="cannot be pasted") as info:
        paste_plan(project, json.dumps(data))
    assert words in str(info.value)
    with pytest.raises(files.NodeEntryError) as read:
        files.node_from_dict(data["nodes"][0], "nodes[0]")
    assert words in str(read.value)


def test_text_that_is_not_a_fragment_is_refused(project: Project) -> None:
    for text in ("", "[]", '{"format": "deepwire-project"}'):
        with pytest.raises(FragmentError, match="does not hold Deepwire blocks"):
            paste_plan(project, text)
    assert clipboard.fragment_nodes("not json") == []
