"""My blocks and templates: block files round trip byte for byte and are read with a
project file's care, placing copies a group with fresh ids at any level, the shipped
templates are what their builders write and each validates and compiles when wired, and
the transformer example is made of two placed encoders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from projects import files, library
from projects.compiler import build
from projects.document import Project
from projects.shapes import ShapeInference
from projects.user_folders import user_data_dir
from projects.validation import validate
from resources import examples_dir
from resources.templates import TEMPLATES_DIR
from resources.templates import build as builders
from tests.projects.test_files import grouped_project
from tests.projects.test_groups import chain

TEMPLATE_PATHS = sorted(TEMPLATES_DIR.glob(f"*{library.EXTENSION}"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own user data folder: the library never touches the real home."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DEEPWIRE_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def inference() -> ShapeInference:
    return ShapeInference()


def nested() -> tuple[Project, str]:
    """chain() with its residual part grouped inside an outer group: (project, outer)."""
    project = chain()
    inner = project.group_items(["n3", "n4"], "Inner")
    outer = project.group_items(["n2", inner.id], "Outer")
    return project, outer.id


def refusal(text: str | bytes) -> list[str]:
    with pytest.raises(library.BlockFileError) as caught:
        library.loads(text, "my.deepwire-block")
    assert str(caught.value).startswith("Cannot open my.deepwire-block:")
    return [str(p) for p in caught.value.problems]


def block_document(**changes) -> dict:
    project, outer = nested()
    document = json.loads(library.dumps(library.entry_from_group(project, outer)))
    document.update(changes)
    return document


# ----------------------------------------------------------------------------- files


@pytest.mark.parametrize("path", TEMPLATE_PATHS, ids=lambda p: p.stem)
def test_a_block_file_reads_and_writes_back_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert library.dumps(library.load(path)) == text


def test_a_saved_group_round_trips_with_its_nested_group_and_ports(tmp_path: Path) -> None:
    project, outer = nested()
    entry = library.entry_from_group(project, outer, "Residual pair", "Two denses, one skip")
    path = tmp_path / "pair.deepwire-block"
    library.save(entry, path)
    again = library.load(path)
    assert path.read_text(encoding="utf-8") == library.dumps(again)
    assert (again.title, again.doc, again.path) == ("Residual pair", "Two denses, one skip",
                                                     path)
    assert again.ports == (["in"], ["out"]) and again.block_count == 3
    fragment = again.fragment
    # ids start afresh and the top group sits at the origin
    assert sorted(fragment.nodes) == ["n1", "n2", "n3"] and fragment.members(None) == ["g1"]
    assert fragment.group("g1").position == (0.0, 0.0)
    assert fragment.members("g1") == ["n1", "g2"] and fragment.members("g2") == ["n2", "n3"]
    assert len(fragment.links) == 3  # inner links only; the ones crossing stay behind


def test_every_group_of_a_rich_project_saves_reads_and_places_back_unchanged() -> None:
    """Nested groups, graph and tensor ports, every kind of block, non-ASCII titles."""
    project = grouped_project()
    for group in sorted(project.groups):
        entry = library.entry_from_group(project, group, doc="ü ✓")
        text = library.dumps(entry)
        again = library.loads(text.encode("utf-8"))
        assert library.dumps(again) == text
        # placed into an empty project and saved from there: the same file
        target = Project()
        placed = library.place(target, again, (0.0, 0.0))
        assert library.dumps(library.entry_from_group(target, placed, doc="ü ✓")) == text


def test_refusals_name_every_problem_with_its_path() -> None:
    assert refusal(b"{not json") == ["not valid JSON: Expecting property name enclosed in "
                                     "double quotes at line 1, column 2"]
    assert refusal(json.dumps(block_document(format="deepwire-project"))) == [
        'format: this is not a Deepwire block file (expected "format": "deepwire-block")']
    assert refusal(json.dumps(block_document(format_version=7)))[0].startswith(
        "format_version: the file was written by a newer Deepwire (block format 7")
    document = block_document(title=" ", colour="red")
    document["fragment"]["nodes"][0]["block"] = "warp_drive"
    document["fragment"]["nodes"][1]["params"]["units"] = -3
    document["fragment"]["links"].append(["n1", "out"])
    problems = refusal(json.dumps(document))
    assert problems[:2] == ["colour: unknown key (misspelt, or from a newer Deepwire?)",
                            "title: must not be empty"]
    assert problems[2] == ("fragment.links[3]: must be [source block, output port, target "
                           "block, input port]")
    document["fragment"]["links"].pop()
    problems = refusal(json.dumps(document))
    assert "fragment.nodes: unknown block type 'warp_drive' (used by n1); it may come from " \
           "a newer Deepwire" in problems
    assert any(p.startswith("fragment.nodes[1] (n2).params.units: ") for p in problems)
    assert refusal(b'{"format": "deepwire-block", "format_version": 1, "title": "x", '
                   b'"doc": "", "fragment": {"format": "deepwire-fragment", "nodes": [], '
                   b'"links": [], "groups": []}}') == [
        "fragment.groups: must hold exactly one top group (one without a parent). "
        "Received: 0", "fragment.nodes: the block holds no blocks"]
    document = block_document()
    document["fragment"]["nodes"].append({"id": "n9", "block": "dropout"})
    assert refusal(json.dumps(document)) == [
        "fragment.nodes: every block must sit in a group; not: n9"]
    document["fragment"]["nodes"][0].pop("group")
    assert refusal(json.dumps(document))[0] == (
        "fragment.groups[0] (g1).inputs[0].ends: refers to block 'n1', which is not in the "
        "group")
    document = block_document()
    document["fragment"]["nodes"][0]["params"]["units"] = float("nan")
    assert refusal(json.dumps(document)) == [
        "not valid JSON: NaN is not a number JSON allows"]


def test_blocks_of_an_older_version_migrate_through_their_spec() -> None:
    document = block_document()
    dense = document["fragment"]["nodes"][0]
    dense["block_version"] = 1  # Dense 1 had no regularisation
    for key in ("l1", "l2", "regularize_bias"):
        del dense["params"][key]
    entry = library.loads(json.dumps(document))
    assert entry.fragment.node("n1").params["l1"] == 0.0
    assert json.loads(library.dumps(entry))["fragment"]["nodes"][0]["block_version"] == 2


# ----------------------------------------------------------------------------- placing


def test_placing_twice_gives_independent_copies_with_fresh_ids() -> None:
    project, outer = nested()
    entry = library.entry_from_group(project, outer)
    before = library.dumps(entry)
    first = library.place(project, entry, (500.0, 300.0))
    second = library.place(project, entry, (900.0, 300.0))
    assert (first, second) == ("g3", "g5")
    assert project.members(None) == ["n1", "n5", "g2", "g3", "g5"]
    assert project.leaves(first) == {"n6", "n7", "n8"}
    assert project.leaves(second) == {"n9", "n10", "n11"}
    assert project.group(first).position == (500.0, 300.0)
    assert project.group("g4").parent == first and project.group("g6").parent == second
    # the copies keep the layout inside the group, relative to where it was dropped
    original = project.node("n3").position
    centre = project.group(outer).position
    assert project.node("n7").position == (original[0] - centre[0] + 500,
                                           original[1] - centre[1] + 300)
    project.set_params("n6", {"units": 9})
    assert project.node("n9").params["units"] == 3 and project.node("n2").params["units"] == 3
    assert library.dumps(entry) == before  # the library's copy is untouched
    # the project stays self-contained: it reads back alone, nothing names the library
    text = files.dumps(project)
    assert files.dumps(files.loads(text)) == text and "deepwire-block" not in text
    # wiring a placed copy's input port feeds each inner end
    inputs, _ = project.group_ports(second)
    for node_id, port in inputs[0].ends:
        project.add_link("n1", "out", node_id, port)
    assert {k.target for k in project.links_out_of("n1")} == {"n2", "n9"}


def test_placing_into_a_nested_level_puts_the_copy_there() -> None:
    project, outer = nested()
    entry = library.entry_from_group(project, outer)
    inner = project.members(outer)[-1]
    placed = library.place(project, entry, (10.0, 20.0), level=inner)
    assert project.parent_of(placed) == inner
    assert project.path(placed) == [outer, inner]
    assert placed in project.members(inner)
    assert project.item_at("n6", None) == outer and project.item_at("n6", inner) == placed
    again = files.loads(files.dumps(project))
    assert again.path("n8") == [outer, inner, placed, "g4"]


def test_a_placement_applies_and_removes_as_one_step() -> None:
    project, outer = nested()
    before = files.dumps(project)
    entry = library.entry_from_group(project, outer)
    placement = library.copy_plan(entry.fragment, entry.group.id, project, (0, 0))
    placement.apply(project)
    assert len(project.groups) == 4
    placement.remove(project)
    assert files.dumps(project) == before


# ----------------------------------------------------------------------------- folder


def test_the_library_folder_keeps_one_file_per_block_and_never_overwrites_silently(
        data_dir: Path) -> None:
    assert library.library_dir() == data_dir / "blocks" == user_data_dir() / "blocks"
    assert library.read_folder(library.library_dir()) == ([], [])
    project, outer = nested()
    entry = library.entry_from_group(project, outer, "Skip / pair")
    kept = library.add(entry)
    assert kept.path == data_dir / "blocks" / "Skip _ pair.deepwire-block"
    with pytest.raises(FileExistsError, match="already holds a block named 'Skip / pair'"):
        library.add(library.entry_from_group(project, "g1", "Skip / pair"))
    assert library.load(kept.path).ports == (["in"], ["out"])  # the first one is still there
    library.add(library.entry_from_group(project, "g1", "Skip / pair"), overwrite=True)
    assert library.load(kept.path).block_count == 2
    (data_dir / "blocks" / "broken.deepwire-block").write_text("{", encoding="utf-8")
    entries, broken = library.read_folder(library.library_dir())
    assert [e.title for e in entries] == ["Skip / pair"]
    assert [Path(b.source).name for b in broken] == ["broken.deepwire-block"]
    library.delete(entries[0])
    assert not kept.path.exists()
    template = library.load(TEMPLATE_PATHS[0], template=True)
    with pytest.raises(ValueError, match="template"):
        library.delete(template)


def test_the_user_data_folder_follows_xdg_unless_overridden(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DEEPWIRE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert user_data_dir() == tmp_path / "share" / "deepwire"
    monkeypatch.setenv("DEEPWIRE_DATA_DIR", str(tmp_path / "mine"))
    assert user_data_dir() == tmp_path / "mine"


# ----------------------------------------------------------------------------- templates


@pytest.mark.parametrize("name", sorted(builders.TEMPLATES))
def test_each_shipped_template_is_what_its_builder_writes(name: str) -> None:
    path = builders.template_path(name)
    assert path.read_text(encoding="utf-8") == library.dumps(builders.TEMPLATES[name]())


def wired(name: str) -> tuple[Project, str]:
    """A small project with the template placed and wired in: (project, its group)."""
    entry = library.load(builders.template_path(name), template=True)
    project = Project()
    if name == "gcn_layer":
        project.set_task({"kind": "node_classification"})
        project.add_node("input", {"shape": [34]}, (0, 0))  # n1
        project.add_node("graph_input", {"num_nodes": 34}, (0, 200))  # n2
        sources = {"features": ("n1", "out"), "adjacency": ("n2", "adjacency")}
        head = [("graph_convolution", {"units": 2, "activation": "linear"})]
    elif name == "transformer_encoder":
        project.add_node("input", {"shape": [16, 32]}, (0, 0))
        sources = {"in": ("n1", "out")}
        head = [("global_average_pooling1d", {}), ("dense", {"units": 4})]
    else:
        project.add_node("input", {"shape": [7, 7, 128]}, (0, 0))
        sources = {"in": ("n1", "out")}
        head = [("flatten", {}), ("dense", {"units": 10})]
    group = library.place(project, entry, (400, 0))
    inputs, outputs = project.group_ports(group)
    for port in inputs:
        for node_id, end in port.ends:
            project.add_link(*sources[port.name], node_id, end)
    last, port = outputs[0].ends[0]
    for block, params in [*head, ("output", {"from_logits": True})]:
        node = project.add_node(block, params)
        project.add_link(last, port, node.id, "features" if block == "graph_convolution"
                         else "in")
        if block == "graph_convolution":
            project.add_link("n2", "adjacency", node.id, "adjacency")
        last, port = node.id, "out"
    return project, group


@pytest.mark.parametrize(("name", "ports", "shape"), [
    ("transformer_encoder", (["in"], ["out"]), (None, 16, 32)),
    ("gcn_layer", (["features", "adjacency"], ["out"]), (None, 16)),
    ("dcgan_upsampling", (["in"], ["out"]), (None, 14, 14, 64)),
])
def test_each_template_validates_and_compiles_when_wired(name, ports, shape,
                                                         inference) -> None:
    entry = library.load(builders.template_path(name), template=True)
    assert entry.ports == ports and entry.doc and entry.template
    project, group = wired(name)
    report = validate(project, inference)
    assert report.errors == []
    _, outputs = project.group_ports(group)
    node_id, port = outputs[0].ends[0]
    assert report.shapes[node_id].outputs[port].shape == shape
    compiled = build(project, report)
    assert compiled.model.count_params() == report.total_params


def test_the_transformer_example_is_two_encoders_placed_from_the_template() -> None:
    path = examples_dir() / "transformer_classifier.deepwire"
    assert path.read_text(encoding="utf-8") == files.dumps(builders.transformer_example())
    example = files.load(path)
    template = library.load(builders.template_path("transformer_encoder"))
    assert example.members(None) == ["n1", "n2", "n3", "n18", "n19", "n20", "g1", "g2"]
    for group in ("g1", "g2"):
        copy = library.entry_from_group(example, group)
        mine, theirs = copy.fragment, template.fragment
        assert [(n.block, n.params) for n in mine.nodes.values()] == [
            (n.block, n.params) for n in theirs.nodes.values()]
        # titled as the template's blocks, the attention numbered for the dashboard
        assert [n.title for n in mine.nodes.values()][1:] == [
            n.title for n in theirs.nodes.values()][1:]
        assert mine.node("n1").title == f"Self-attention {group[1]}"
        assert mine.links == theirs.links
        assert mine.group_ports("g1") == theirs.group_ports("g1")
