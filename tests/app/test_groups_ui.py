"""Groups on the canvas, driven as a user would: select blocks with the mouse, Ctrl+G,
double-click a group to open it, click the breadcrumb or press Escape to leave, wire onto a
group's port. Every step is one undo command, and undo gives back the document byte for
byte."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

import resources
from app.canvas.group_item import BoundaryItem, GroupItem
from app.canvas.levels import reals
from app.level_model import IN, OUT, nesting
from projects import clipboard, files
from projects.document import Link
from projects.text import count_text
from tests.app.test_canvas import at, drag

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
ENCODER = ["n4", "n5", "n6", "n7", "n8", "n9", "n10"]  # the transformer's first encoder


@pytest.fixture
def transformer(window):
    """The main window showing the transformer example with its encoder groups undone
    (every block at the top level), at a zoom where text shows."""
    project = files.load(resources.examples_dir() / "transformer_classifier.deepwire")
    for group_id in sorted(project.groups):
        project.ungroup(group_id)
    window.editor.replace_project(project, None)
    window.view.reset_zoom()
    return window


def dumps(window) -> str:
    return files.dumps(window.editor.project)


def look_at(window, item_ids: list[str], zoom: float = 0.5) -> None:
    """Zoom and scroll so that these items are on screen."""
    scene, view = window.scene, window.view
    rect = scene.node_item(item_ids[0]).sceneBoundingRect()
    for item_id in item_ids[1:]:
        rect = rect.united(scene.node_item(item_id).sceneBoundingRect())
    view.set_zoom(zoom)
    view.centerOn(rect.center())


def header(window, item_id: str):
    """The viewport point on an item's title bar (a click there selects it)."""
    item = window.scene.node_item(item_id)
    return at(window.view, item.mapToScene(QPointF(item.width / 2, 12)))


def ctrl_click_select(qtbot, window, item_ids: list[str]) -> None:
    look_at(window, item_ids)
    viewport = window.view.viewport()
    QTest.mouseClick(viewport, LEFT, Qt.KeyboardModifier.NoModifier, header(window, item_ids[0]))
    for item_id in item_ids[1:]:
        QTest.mouseClick(viewport, LEFT, CTRL, header(window, item_id))
    assert window.scene.selected_node_ids() == sorted(item_ids, key=lambda i: int(i[1:]))


def group_with_keys(qtbot, window, item_ids: list[str]) -> str:
    ctrl_click_select(qtbot, window, item_ids)
    before = set(window.editor.project.groups)
    qtbot.keyClick(window.view, Qt.Key.Key_G, CTRL)
    (group_id,) = set(window.editor.project.groups) - before
    return group_id


def double_click(window, item_id: str) -> None:
    QTest.mouseDClick(window.view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                      header(window, item_id))


# ----------------------------------------------------------------------------- grouping


def test_ctrl_g_groups_the_selected_blocks_into_one_group_block(qtbot, transformer) -> None:
    window = transformer
    scene, project = window.scene, window.editor.project
    before = dumps(window)
    group_id = group_with_keys(qtbot, window, ENCODER)
    item = scene.node_item(group_id)
    assert isinstance(item, GroupItem) and item.isSelected()
    assert all(scene.node_item(n) is None for n in ENCODER)  # one block stands for them
    assert list(item.inputs) == ["query"] and list(item.outputs) == ["out"]
    # the wires: n3 feeds the group once (two links behind one wire), the group feeds n11
    drawn = {i.link for i in scene.link_items()}
    assert Link("n3", "out", group_id, "query") in drawn
    assert reals(scene, Link("n3", "out", group_id, "query")) == [
        Link("n3", "out", "n4", "query"), Link("n3", "out", "n5", "in1")]
    assert Link(group_id, "out", "n11", "query") in drawn
    assert Link(group_id, "out", "n12", "in1") in drawn
    assert not any(k.source in ENCODER or k.target in ENCODER for k in drawn)
    assert project.groups[group_id].title == "Group 1"
    window.editor.undo_stack.undo()
    assert dumps(window) == before
    assert scene.node_item(group_id) is None and scene.node_item("n4") is not None
    window.editor.undo_stack.redo()
    assert isinstance(scene.node_item(group_id), GroupItem)


def test_rubber_band_selects_blocks_to_group_and_ungroup_gives_them_back(qtbot, window
                                                                         ) -> None:
    window.editor.replace_project(
        files.load(resources.examples_dir() / "cnn_digits.deepwire"), None)
    scene, view = window.scene, window.view
    look_at(window, ["n2", "n4"], zoom=0.6)
    top_left = scene.node_item("n2").sceneBoundingRect().topLeft() - QPointF(30, 30)
    bottom_right = scene.node_item("n4").sceneBoundingRect().bottomRight() + QPointF(30, 30)
    drag(qtbot, view, at(view, top_left), at(view, bottom_right))
    assert scene.selected_node_ids() == ["n2", "n3", "n4"]
    before = dumps(window)
    qtbot.keyClick(view, Qt.Key.Key_G, CTRL)
    assert list(window.editor.project.groups) == ["g1"]
    grouped = dumps(window)
    scene.select_nodes(["g1"])
    qtbot.keyClick(view, Qt.Key.Key_G, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.editor.project.groups == {}
    assert scene.selected_node_ids() == ["n2", "n3", "n4"]
    assert dumps(window) == before
    stack = window.editor.undo_stack
    stack.undo()  # the ungroup
    assert dumps(window) == grouped
    stack.undo()  # the group
    assert dumps(window) == before
    stack.redo()
    stack.redo()
    assert dumps(window) == before and isinstance(scene.node_item("n3"), type(
        scene.node_item("n1")))


def test_the_group_block_shows_output_shape_parameters_and_problems(qtbot, transformer
                                                                     ) -> None:
    window = transformer
    window.tensorflow_loaded("TensorFlow ready")
    report = window.editor.report
    group_id = window.editor.group(ENCODER, "Encoder")
    item = window.scene.node_item(group_id)
    total = sum(report.shapes[n].params for n in ENCODER)
    assert item.params_text == f"{count_text(total)} params"
    assert item.shape_text == f"→ {report.shapes['n10'].outputs['out']}"
    assert not item.badge.isVisible()
    # a problem inside: the feed-forward block made too narrow for the residual add
    window.editor.set_param("n8", "units", 3)
    window.editor.validate_now()
    issues = [i for i in window.editor.report.issues if i.node_id in ENCODER]
    assert issues
    assert item.badge.isVisible() and item.badge.severity == "error"
    assert issues[0].message in item.badge.toolTip()
    assert issues[0].message in item.toolTip()
    # clicking the problem opens the group and selects its block
    panel = window.problems
    row = next(panel.item(r) for r in range(panel.count())
               if panel.item(r).data(Qt.ItemDataRole.UserRole) == issues[0].node_id)
    panel.scrollToItem(row)
    QTest.mouseClick(panel.viewport(), LEFT, Qt.KeyboardModifier.NoModifier,
                     panel.visualItemRect(row).center())
    assert window.scene.level == group_id
    assert window.scene.selected_node_ids() == [issues[0].node_id]


# ----------------------------------------------------------------------------- levels


def test_double_click_opens_a_group_and_the_breadcrumb_and_escape_lead_out(qtbot,
                                                                           transformer
                                                                           ) -> None:
    window = transformer
    scene, view = window.scene, window.view
    group_id = group_with_keys(qtbot, window, ENCODER)
    window.editor.rename_group(group_id, "Encoder")
    outer = group_with_keys(qtbot, window, ["n3", group_id])
    window.editor.rename_group(outer, "Transformer")
    view.set_zoom(0.7)
    outside_zoom = view.zoom
    look_at(window, [outer], zoom=0.7)
    double_click(window, outer)
    assert scene.level == outer
    assert sorted(i.node_id for i in scene.node_items()) == sorted([IN, OUT, "n3", group_id])
    assert not window.breadcrumb.isHidden()
    assert window.breadcrumb.entries() == ["Project", "Transformer"]
    assert {i.link for i in scene.link_items()} == {
        Link(IN, "in", "n3", "in"), Link("n3", "out", group_id, "query"),
        Link(group_id, "out", OUT, "out")}
    look_at(window, [group_id], zoom=0.8)
    double_click(window, group_id)
    assert scene.level == group_id
    assert window.breadcrumb.entries() == ["Project", "Transformer", "Encoder"]
    shown = {i.node_id for i in scene.node_items()}
    assert shown == {*ENCODER, IN, OUT}
    assert isinstance(scene.node_item(IN), BoundaryItem)
    drawn = {i.link for i in scene.link_items()}
    assert Link(IN, "query", "n4", "query") in drawn and Link(IN, "query", "n5", "in1") in drawn
    assert Link("n10", "out", OUT, "out") in drawn
    assert Link("n4", "out", "n5", "in2") in drawn
    # the breadcrumb's first entry goes back to the top, as it was left
    button = window.breadcrumb.buttons[1]
    QTest.mouseClick(button, LEFT)
    assert scene.level == outer
    QTest.mouseClick(window.breadcrumb.buttons[0], LEFT)
    assert scene.level is None and window.breadcrumb.isHidden()
    assert view.zoom == pytest.approx(0.7) and outside_zoom
    # Escape goes up one level at a time
    look_at(window, [outer], zoom=0.7)
    double_click(window, outer)
    scene.select_nodes([])
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert scene.level is None
    assert scene.selected_node_ids() == [outer]


def test_undo_of_the_grouping_while_inside_goes_back_out(qtbot, transformer) -> None:
    window = transformer
    before = dumps(window)
    inner = window.editor.group(ENCODER)
    outer = window.editor.group(["n3", inner])
    window.navigator.enter(outer)
    window.navigator.enter(inner)
    assert window.breadcrumb.entries() == ["Project", "Group 2", "Group 1"]
    window.editor.undo_stack.undo()  # the group around the one shown
    assert window.scene.level == inner
    assert window.breadcrumb.entries() == ["Project", "Group 1"]
    window.editor.undo_stack.undo()  # the one shown
    assert window.scene.level is None and window.breadcrumb.isHidden()
    assert dumps(window) == before
    assert window.scene.node_item("n4") is not None


def test_blocks_added_inside_a_group_stay_in_it_and_auto_layout_keeps_to_the_level(
        qtbot, transformer) -> None:
    window = transformer
    group_id = window.editor.group(ENCODER)
    window.navigator.enter(group_id)
    window.scene.select_nodes(["n7"])
    window.add_block_from_palette("dropout")
    (new,) = window.scene.selected_node_ids()
    assert window.editor.project.node(new).group == group_id
    assert window.scene.node_item(new) is not None
    outside = {i: n.position for i, n in window.editor.project.nodes.items()
               if n.group is None}
    window.auto_layout()
    assert {i: n.position for i, n in window.editor.project.nodes.items()
            if n.group is None} == outside
    window.select_all()
    assert window.scene.selected_node_ids() == sorted([*ENCODER, new],
                                                      key=lambda i: int(i[1:]))


# ----------------------------------------------------------------------------- edits


def test_moving_renaming_and_deleting_a_group_undo_and_redo_exactly(qtbot, transformer
                                                                    ) -> None:
    window = transformer
    scene, view, stack = window.scene, window.view, window.editor.undo_stack
    group_id = window.editor.group(ENCODER)
    before = dumps(window)

    def undo_and_redo() -> None:
        after = dumps(window)
        stack.undo()
        assert dumps(window) == before
        stack.redo()
        assert dumps(window) == after
        stack.undo()

    look_at(window, [group_id], zoom=0.8)
    start = header(window, group_id)
    drag(qtbot, view, start, start + (at(view, QPointF(100, 60)) - at(view, QPointF(0, 0))))
    moved = window.editor.project.group(group_id).position
    assert moved != files.loads(before).group(group_id).position
    assert (scene.node_item(group_id).x(), scene.node_item(group_id).y()) == moved
    assert stack.undoText() == "Move block"
    undo_and_redo()

    def answer() -> None:  # the rename dialog, typed into as a user would
        dialog = QApplication.activeModalWidget()
        field = dialog.findChild(QLineEdit)
        field.selectAll()
        qtbot.keyClicks(field, "Encoder 1")
        qtbot.keyClick(field, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)
    window.context_menus.rename_group(group_id)
    assert scene.node_item(group_id).texts()[0] == "Encoder 1"
    assert stack.undoText() == "Rename group"
    undo_and_redo()
    scene.select_nodes([group_id])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    project = window.editor.project
    assert project.groups == {} and not set(ENCODER) & set(project.nodes)
    undo_and_redo()
    assert isinstance(scene.node_item(group_id), GroupItem)


def test_a_wire_dragged_onto_a_group_input_feeds_every_inner_end(qtbot, transformer
                                                                 ) -> None:
    window = transformer
    scene, view, editor = window.scene, window.view, window.editor
    group_id = editor.group(ENCODER)
    (wire,) = [i for i in scene.link_items() if i.link.target == group_id]
    editor.disconnect(editor.project.link_into("n4", "query"))
    editor.disconnect(editor.project.link_into("n5", "in1"))
    assert wire.scene() is None  # no link is behind it any more
    before = dumps(window)
    look_at(window, ["n3", group_id], zoom=0.6)
    source = at(view, scene.node_item("n3").port_scene_pos("out", True))
    target = at(view, scene.node_item(group_id).port_scene_pos("query", False))
    drag(qtbot, view, source, target)
    links = editor.project.links
    assert Link("n3", "out", "n4", "query") in links and Link("n3", "out", "n5", "in1") in links
    assert [i.link for i in scene.link_items() if i.link.target == group_id] == [
        Link("n3", "out", group_id, "query")]
    editor.undo_stack.undo()  # both links in one step
    assert dumps(window) == before
    # from a group output: a wire from its one inner end
    editor.disconnect(editor.project.link_into("n11", "query"))
    before = dumps(window)
    look_at(window, [group_id, "n11"], zoom=0.6)
    source = at(view, scene.node_item(group_id).port_scene_pos("out", True))
    target = at(view, scene.node_item("n11").port_scene_pos("query", False))
    drag(qtbot, view, source, target)
    assert Link("n10", "out", "n11", "query") in editor.project.links
    editor.undo_stack.undo()
    assert dumps(window) == before


def test_a_group_is_copied_and_pasted_with_its_blocks_wires_and_groups(qtbot, transformer
                                                                       ) -> None:
    window = transformer
    editor, scene = window.editor, window.scene
    inner = editor.group(["n5", "n6"], "Add & norm")
    group_id = editor.group(["n4", inner, "n7", "n8", "n9", "n10"], "Encoder")
    scene.select_nodes([group_id])
    text = window.view.copy_selection()
    data = clipboard.fragment_items(text)
    assert [e["id"] for e in data] == [group_id]
    before = dumps(window)
    pasted = window.view.paste(text, QPointF(2000, 800))
    project = editor.project
    (new,) = pasted
    assert new not in (group_id, inner) and project.group(new).title == "Encoder"
    assert project.group(new).position == (2000.0, 800.0)
    copied = project.leaves(new)
    assert len(copied) == len(ENCODER) and not copied & set(ENCODER)
    inside = [k for k in project.links if k.source in copied and k.target in copied]
    assert len(inside) == len([k for k in project.links
                               if k.source in ENCODER and k.target in ENCODER])
    (nested,) = [g for g in project.groups if project.parent_of(g) == new]
    assert project.group(nested).title == "Add & norm"
    ins, outs = project.group_ports(new)
    assert [p.name for p in ins] == ["query"] and all(e[0] in copied for e in ins[0].ends)
    assert [p.name for p in outs] == ["out"] and outs[0].ends[0][0] in copied
    assert isinstance(scene.node_item(new), GroupItem) and scene.selected_node_ids() == [new]
    editor.undo_stack.undo()
    assert dumps(window) == before
    # pasted inside a group, it lands in that group
    window.navigator.enter(group_id)
    window.view.paste(text, QPointF(0, 600))
    (again,) = [g for g in project.groups if g not in (group_id, inner)
                and project.parent_of(g) == group_id]
    assert scene.node_item(again) is not None


def test_the_canvas_reads_groups_as_the_document_answers() -> None:
    """The canvas's one-pass reading of the nesting agrees with the document's queries,
    also with a block deleted from inside a group (its port is hidden)."""
    project = files.load(resources.examples_dir() / "transformer_classifier.deepwire")
    inner = project.group_items(["n5", "n6"], "Add & norm")
    outer = project.group_items(["n4", inner.id, "n7", "n8", "n9", "n10"], "Encoder")
    project.remove_node("n10")
    read = nesting(project)
    for group_id in (inner.id, outer.id):
        assert read.ports(group_id) == project.group_ports(group_id)
        assert read.leaves[group_id] == project.leaves(group_id)
    for level in (None, outer.id, inner.id):
        for node_id in project.nodes:
            assert read.item_at(node_id, level) == project.item_at(node_id, level)
