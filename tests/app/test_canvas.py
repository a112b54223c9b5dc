"""The canvas, driven as a user would: real mouse and key events on the view's viewport.

Every gesture must end as editor calls (one undo command each), and the scene must mirror
the document whichever way it changed.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import (
    QDropEvent,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPathStroker,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication

import resources
from app.canvas import CanvasScene, CanvasView
from app.canvas.block_item import NodeItem, PortItem, key_params
from app.canvas.style import HEADER, NODE_HEIGHT, NODE_MAX_WIDTH, NODE_WIDTH, PORT_RADIUS
from app.canvas.wires import LinkItem, compact_shape, drag_path
from app.editor import Editor
from projects import clipboard, files
from projects.document import Project

LEFT = Qt.MouseButton.LeftButton


# ----------------------------------------------------------------------------- fixtures


def example(name: str) -> Project:
    return files.load(resources.examples_dir() / f"{name}.deepwire")


def flat_example(name: str) -> Project:
    """An example with its groups undone, so every block stands on the top level."""
    project = example(name)
    for group_id in sorted(project.groups):
        project.ungroup(group_id)
    return project


@pytest.fixture
def editor(qtbot) -> Editor:
    editor = Editor()
    editor.replace_project(example("cnn_digits"), None)
    return editor


@pytest.fixture
def canvas(qtbot, editor) -> tuple[CanvasScene, CanvasView]:
    scene = CanvasScene(editor)
    view = CanvasView(scene)
    view.resize(1200, 700)
    view.show()
    qtbot.addWidget(view)
    qtbot.waitExposed(view)
    view.centerOn(QPointF(500, 60))
    return scene, view


def show(editor: Editor, project: Project, canvas) -> None:
    editor.replace_project(project, None)
    scene, view = canvas
    view.fit_to_view()
    view.reset_zoom()
    view.centerOn(scene.items_bounding_rect().center())


# ----------------------------------------------------------------------------- gestures


def at(view: CanvasView, point: QPointF) -> QPoint:
    """The viewport position showing scene ``point``."""
    return view.mapFromScene(point)


def port_point(scene: CanvasScene, node_id: str, port: str, output: bool) -> QPointF:
    return scene.node_item(node_id).port_scene_pos(port, output)


def centre(scene: CanvasScene, node_id: str) -> QPointF:
    return scene.node_item(node_id).sceneBoundingRect().center()


def drag(qtbot, view: CanvasView, start: QPoint, end: QPoint,
         button: Qt.MouseButton = LEFT,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
         steps: int = 6) -> None:
    """Press, move in steps with the button held, release: what a hand on a mouse does.

    Offscreen, ``QTest.mouseMove`` after ``mousePress`` carries the held button, so items
    move and rubber bands grow exactly as with a real mouse.
    """
    viewport = view.viewport()
    qtbot.mousePress(viewport, button, modifiers, start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, start + (end - start) * (i / steps))
    qtbot.mouseRelease(viewport, button, modifiers, end)


def drag_wire(qtbot, canvas, source: tuple[str, str], target: tuple[str, str]) -> None:
    scene, view = canvas
    start = at(view, port_point(scene, *source, True))
    end = at(view, port_point(scene, *target, False))
    drag(qtbot, view, start, end)


def positions(scene: CanvasScene) -> dict[str, tuple[float, float]]:
    return {item.node_id: (item.x(), item.y()) for item in scene.node_items()}


def document_positions(editor: Editor) -> dict[str, tuple[float, float]]:
    return {i: n.position for i, n in editor.project.nodes.items()}


def assert_mirrors(scene: CanvasScene, editor: Editor) -> None:
    assert positions(scene) == document_positions(editor)
    assert sorted(i.link for i in scene.link_items()) == editor.project.links
    for item in scene.link_items():
        link = item.link
        assert item.path().pointAtPercent(0) == port_point(scene, link.source,
                                                           link.source_port, True)
        assert item.path().pointAtPercent(1) == port_point(scene, link.target,
                                                           link.target_port, False)


def small_project(*blocks_: str) -> Project:
    """Blocks in a row, 260 px apart, unwired."""
    project = Project()
    for i, block in enumerate(blocks_):
        project.add_node(block, position=(i * 260.0, 0.0))
    return project


# ----------------------------------------------------------------------------- mirroring


def test_scene_mirrors_direct_document_edits(canvas, editor) -> None:
    scene, _ = canvas
    assert len(scene.node_items()) == 9 and len(scene.link_items()) == 8
    project = editor.project
    project.add_node("dense", {"units": 8}, (100.0, 300.0), node_id="n10")
    project.add_link("n5", "out", "n10", "in")
    project.move_node("n3", (470.0, 40.0))
    assert_mirrors(scene, editor)
    project.set_params("n10", {"units": 32})
    assert "units 32 · relu" in scene.node_item("n10").texts()
    project.remove_node("n4")
    assert scene.node_item("n4") is None
    assert_mirrors(scene, editor)
    assert len(scene.link_items()) == 7


def test_scene_mirrors_undo_and_redo(canvas, editor) -> None:
    scene, _ = canvas
    before = positions(scene)
    new = editor.add_block("dense", (100.0, 300.0))
    editor.connect("n5", "out", new, "in")
    editor.move_nodes({"n2": ((230.0, 0.0), (240.0, 60.0))})
    editor.remove_nodes(["n6"])
    assert_mirrors(scene, editor)
    stack = editor.undo_stack
    while stack.canUndo():
        stack.undo()
        assert_mirrors(scene, editor)
    assert positions(scene) == before
    while stack.canRedo():
        stack.redo()
        assert_mirrors(scene, editor)
    assert scene.node_item("n6") is None and scene.node_item(new) is not None


def test_replacing_the_project_rebuilds_the_scene(canvas, editor) -> None:
    scene, _ = canvas
    editor.replace_project(flat_example("transformer_classifier"), None)
    assert len(scene.node_items()) == 20 and len(scene.link_items()) == 23
    assert_mirrors(scene, editor)
    editor.replace_project(example("transformer_classifier"), None)  # two encoder groups
    assert sorted(i.node_id for i in scene.node_items()) == sorted(
        ["n1", "n2", "n3", "g1", "g2", "n18", "n19", "n20"])
    assert len(scene.link_items()) == 7  # the wires inside the groups are not drawn here


# ----------------------------------------------------------------------------- wiring


def test_dragging_an_output_onto_an_input_connects_them(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "dense", "output"), canvas)
    drag_wire(qtbot, canvas, ("n1", "out"), ("n2", "in"))
    assert [(k.source, k.target) for k in editor.project.links] == [("n1", "n2")]
    assert editor.undo_stack.count() == 1
    assert editor.undo_stack.text(0) == "Connect"
    assert_mirrors(canvas[0], editor)
    editor.undo_stack.undo()
    assert editor.project.links == [] and canvas[0].link_items() == []


def test_a_wire_can_be_drawn_backwards_from_a_free_input(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "dense"), canvas)
    scene, view = canvas
    drag(qtbot, view, at(view, port_point(scene, "n2", "in", False)),
         at(view, port_point(scene, "n1", "out", True)))
    assert [(k.source, k.target) for k in editor.project.links] == [("n1", "n2")]


def test_escape_abandons_a_wire(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "dense"), canvas)
    scene, view = canvas
    viewport = view.viewport()
    start = at(view, port_point(scene, "n1", "out", True))
    end = at(view, port_point(scene, "n2", "in", False))
    qtbot.mousePress(viewport, LEFT, pos=start)
    qtbot.mouseMove(viewport, end)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, LEFT, pos=end)
    assert editor.project.links == [] and editor.undo_stack.count() == 0
    assert all(p.state == PortItem.NORMAL for item in scene.node_items() for p in item.ports())


def test_dropping_a_wire_on_a_block_uses_its_free_input(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "dense"), canvas)
    scene, view = canvas
    drag(qtbot, view, at(view, port_point(scene, "n1", "out", True)),
         at(view, centre(scene, "n2")))
    assert [(k.source, k.target_port) for k in editor.project.links] == [("n1", "in")]


def test_while_dragging_compatible_ports_highlight_and_others_dim(qtbot, canvas, editor
                                                                 ) -> None:
    show(editor, small_project("input", "graph_convolution", "dense"), canvas)
    scene, view = canvas
    gcn = scene.node_item("n2")
    viewport = view.viewport()
    start = at(view, port_point(scene, "n1", "out", True))
    qtbot.mousePress(viewport, LEFT, pos=start)
    qtbot.mouseMove(viewport, start + QPoint(60, 30))
    assert gcn.inputs["features"].state == PortItem.COMPATIBLE
    assert gcn.inputs["adjacency"].state == PortItem.INCOMPATIBLE
    assert gcn.inputs["adjacency"].opacity() < 0.5
    assert scene.node_item("n3").inputs["in"].state == PortItem.COMPATIBLE
    qtbot.mouseMove(viewport, at(view, port_point(scene, "n2", "features", False)))
    assert gcn.inputs["features"].state == PortItem.TARGET
    qtbot.mouseRelease(viewport, LEFT, pos=at(view, port_point(scene, "n2", "features",
                                                              False)))
    assert all(p.state == PortItem.NORMAL for item in scene.node_items() for p in item.ports())
    assert [(k.source, k.target_port) for k in editor.project.links] == [("n1", "features")]


def test_wiring_a_tensor_into_a_graph_port_is_refused(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "graph_convolution"), canvas)
    with qtbot.waitSignal(canvas[0].statusMessage) as message:
        drag_wire(qtbot, canvas, ("n1", "out"), ("n2", "adjacency"))
    assert "kinds differ" in message.args[0]
    assert editor.project.links == [] and canvas[0].link_items() == []
    assert editor.undo_stack.count() == 0


def test_a_wire_that_would_make_a_loop_is_refused(qtbot, canvas, editor) -> None:
    show(editor, small_project("dense", "dense"), canvas)
    editor.connect("n1", "out", "n2", "in")
    with qtbot.waitSignal(canvas[0].statusMessage) as message:
        drag_wire(qtbot, canvas, ("n2", "out"), ("n1", "in"))
    assert "loop" in message.args[0]
    assert len(editor.project.links) == 1 and editor.undo_stack.count() == 1


def test_a_refused_wire_flashes_at_the_port_it_concerns(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "graph_convolution"), canvas)
    scene, view = canvas
    port = scene.node_item("n2").inputs["adjacency"]
    resting = port.boundingRect()
    with qtbot.waitSignal(scene.statusMessage):
        drag_wire(qtbot, canvas, ("n1", "out"), ("n2", "adjacency"))
    assert port.flashing and not scene.node_item("n2").inputs["features"].flashing
    assert port.boundingRect().contains(resting.adjusted(-8, -8, 8, 8))  # the ring's room
    view.viewport().repaint()  # the ring paints
    qtbot.waitUntil(lambda: not port.flashing)
    assert port.boundingRect() == resting


def test_a_wire_dropped_on_an_occupied_input_replaces_the_old_one(qtbot, canvas, editor
                                                                   ) -> None:
    show(editor, small_project("input", "input", "dense"), canvas)
    scene, view = canvas
    editor.connect("n1", "out", "n3", "in")
    drag_wire(qtbot, canvas, ("n2", "out"), ("n3", "in"))
    assert [(k.source, k.target) for k in editor.project.links] == [("n2", "n3")]
    assert editor.undo_stack.count() == 2
    assert editor.undo_stack.text(1) == "Replace wire"
    assert_mirrors(scene, editor)
    editor.undo_stack.undo()  # one step brings the old wire back
    assert [(k.source, k.target) for k in editor.project.links] == [("n1", "n3")]
    assert_mirrors(scene, editor)
    drag(qtbot, view, at(view, port_point(scene, "n2", "out", True)),
         at(view, centre(scene, "n3")))  # dropped on the block: its one input
    assert [(k.source, k.target) for k in editor.project.links] == [("n2", "n3")]


def test_a_wire_dropped_on_a_block_prefers_a_free_input(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "input", "add"), canvas)
    scene, view = canvas
    first = next(iter(scene.node_item("n3").inputs))
    editor.connect("n1", "out", "n3", first)
    drag(qtbot, view, at(view, port_point(scene, "n2", "out", True)),
         at(view, centre(scene, "n3")))
    assert len(editor.project.links_into("n3")) == 2


def test_a_wire_pulled_onto_an_occupied_input_replaces_its_wire(qtbot, canvas, editor
                                                                 ) -> None:
    show(editor, small_project("input", "input", "dense", "dense"), canvas)
    scene, view = canvas
    editor.connect("n1", "out", "n3", "in")
    editor.connect("n2", "out", "n4", "in")
    drag(qtbot, view, at(view, port_point(scene, "n4", "in", False)),
         at(view, port_point(scene, "n3", "in", False)))
    assert [(k.source, k.target) for k in editor.project.links] == [("n2", "n3")]
    editor.undo_stack.undo()
    assert [(k.source, k.target) for k in editor.project.links] == [("n1", "n3"),
                                                                     ("n2", "n4")]
    assert_mirrors(scene, editor)


def test_releasing_a_wire_on_empty_canvas_adds_nothing(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "dense"), canvas)
    scene, view = canvas
    start = at(view, port_point(scene, "n1", "out", True))
    drag(qtbot, view, start, start + QPoint(0, 200))
    assert editor.project.links == [] and editor.undo_stack.count() == 0
    assert [i for i in scene.items() if not isinstance(i, NodeItem | PortItem)
            and i.parentItem() is None] == []  # the dragged wire is gone too


def test_pulling_a_wire_off_an_input_moves_or_removes_it(qtbot, canvas, editor) -> None:
    show(editor, small_project("input", "dense", "dense"), canvas)
    scene, view = canvas
    editor.connect("n1", "out", "n2", "in")
    drag(qtbot, view, at(view, port_point(scene, "n2", "in", False)),
         at(view, port_point(scene, "n3", "in", False)))
    assert [(k.source, k.target) for k in editor.project.links] == [("n1", "n3")]
    assert editor.undo_stack.text(editor.undo_stack.count() - 1) == "Reconnect"
    drag(qtbot, view, at(view, port_point(scene, "n3", "in", False)),
         at(view, port_point(scene, "n3", "in", False)) + QPoint(0, 250))
    assert editor.project.links == []
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert [(k.source, k.target) for k in editor.project.links] == [("n1", "n2")]
    assert_mirrors(scene, editor)


def test_wires_can_be_selected_and_deleted(qtbot, canvas, editor) -> None:
    scene, view = canvas
    wire = scene.link_item(editor.project.links_into("n3")[0])
    middle = wire.path().pointAtPercent(0.3)
    qtbot.mouseClick(view.viewport(), LEFT, pos=at(view, middle))
    assert scene.selected_links() == [wire.link] and scene.selected_node_ids() == []
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert editor.project.links_into("n3") == []
    assert editor.undo_stack.text(0) == "Disconnect"
    saved = files.dumps(editor.project)
    wire = scene.link_item(editor.project.links_into("n8")[0])
    wire.setSelected(True)
    scene.node_item("n5").setSelected(True)
    view.delete_selection()  # a block and an unrelated wire: one undo step
    assert editor.undo_stack.count() == 2 and editor.undo_stack.text(1) == "Delete"
    editor.undo_stack.undo()
    assert files.dumps(editor.project) == saved


# ----------------------------------------------------------------------------- selecting, moving


def test_dragging_two_selected_blocks_is_one_move(qtbot, canvas, editor) -> None:
    scene, view = canvas
    view.snap_to_grid = False
    before = document_positions(editor)
    scene.select_nodes(["n2", "n3"])
    start = at(view, centre(scene, "n2"))
    drag(qtbot, view, start, start + QPoint(100, 60))
    zoom = view.zoom
    for node_id in ("n2", "n3"):
        x, y = before[node_id]
        assert editor.project.node(node_id).position == pytest.approx(
            (x + 100 / zoom, y + 60 / zoom))
    assert document_positions(editor)["n4"] == before["n4"]
    assert editor.undo_stack.count() == 1
    assert editor.undo_stack.text(0) == "Move 2 blocks"
    assert_mirrors(scene, editor)
    editor.undo_stack.undo()
    assert document_positions(editor) == before
    assert positions(scene) == before
    assert_mirrors(scene, editor)


def test_a_click_without_moving_changes_nothing(qtbot, canvas, editor) -> None:
    scene, view = canvas
    qtbot.mouseClick(view.viewport(), LEFT, pos=at(view, centre(scene, "n3")))
    assert scene.selected_node_ids() == ["n3"]
    assert editor.undo_stack.count() == 0


def test_snap_to_grid_rounds_moves(qtbot, canvas, editor) -> None:
    scene, view = canvas
    view.snap_to_grid = True
    start = at(view, centre(scene, "n3"))
    drag(qtbot, view, start, start + QPoint(33, 47))
    x, y = editor.project.node("n3").position
    assert x % 20 == 0 and y % 20 == 0
    assert (x, y) != (460.0, 0.0)
    assert_mirrors(scene, editor)


def test_rubber_band_selects_the_blocks_inside(qtbot, canvas, editor) -> None:
    scene, view = canvas
    n2, n3 = (scene.node_item(i).sceneBoundingRect() for i in ("n2", "n3"))
    start = at(view, QPointF(n2.left() - 20, n2.top() - 30))
    end = at(view, QPointF(n3.right() + 20, n3.bottom() + 30))
    with qtbot.waitSignal(scene.selectionChangedIds):
        drag(qtbot, view, start, end)
    assert scene.selected_node_ids() == ["n2", "n3"]
    assert scene.selected_links() == []  # the band crosses wires; it selects only blocks
    assert editor.undo_stack.count() == 0


def test_ctrl_click_toggles_a_block(qtbot, canvas, editor) -> None:
    scene, view = canvas
    viewport, ctrl = view.viewport(), Qt.KeyboardModifier.ControlModifier
    qtbot.mouseClick(viewport, LEFT, pos=at(view, centre(scene, "n2")))
    qtbot.mouseClick(viewport, LEFT, ctrl, at(view, centre(scene, "n4")))
    assert scene.selected_node_ids() == ["n2", "n4"]
    qtbot.mouseClick(viewport, LEFT, ctrl, at(view, centre(scene, "n2")))
    assert scene.selected_node_ids() == ["n4"]


def test_selection_is_reported_as_sorted_ids(qtbot, canvas) -> None:
    scene, _ = canvas
    with qtbot.waitSignal(scene.selectionChangedIds) as signal:
        scene.select_nodes(["n9", "n10", "n2"])
    assert signal.args == [["n2", "n9"]]


def test_double_click_activates_a_block(qtbot, canvas) -> None:
    scene, view = canvas
    with qtbot.waitSignal(scene.nodeActivated) as signal:
        qtbot.mouseDClick(view.viewport(), LEFT, pos=at(view, centre(scene, "n6")))
    assert signal.args == ["n6"]


# ----------------------------------------------------------------------------- deleting, clipboard


def test_delete_key_removes_the_selection_and_undo_restores_it(qtbot, canvas, editor) -> None:
    scene, view = canvas
    saved = files.dumps(editor.project)
    scene.select_nodes(["n3", "n4"])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "n3" not in editor.project.nodes and "n4" not in editor.project.nodes
    assert len(editor.project.links) == 5
    assert editor.undo_stack.count() == 1
    assert_mirrors(scene, editor)
    editor.undo_stack.undo()
    assert files.dumps(editor.project) == saved
    assert_mirrors(scene, editor)
    scene.select_nodes(["n5"])
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert "n5" not in editor.project.nodes


def test_copy_and_paste_give_new_ids_and_bring_inner_wires(qtbot, canvas, editor) -> None:
    scene, view = canvas
    scene.select_nodes(["n2", "n3"])
    text = view.copy_selection()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasFormat(clipboard.MIME_TYPE) and mime.text() == text
    new = view.paste(text)
    assert new == ["n10", "n11"] and scene.selected_node_ids() == ["n10", "n11"]
    assert [(k.source, k.target) for k in editor.project.links_into("n11")] == [("n10", "n11")]
    assert editor.project.links_into("n10") == []
    assert editor.project.node("n10").position == (270.0, 40.0)
    again = view.paste(text)
    assert editor.project.node(again[0]).position == (310.0, 80.0)  # cascades
    assert_mirrors(scene, editor)


def test_paste_at_a_point_and_under_the_mouse(qtbot, canvas, editor) -> None:
    scene, view = canvas
    scene.select_nodes(["n2"])
    text = view.copy_selection()
    ids = view.paste(text, QPointF(600, 400))
    assert editor.project.node(ids[0]).position == (600.0, 400.0)
    qtbot.mouseMove(view.viewport(), at(view, QPointF(200, 300)))
    ids = view.paste(text)
    assert editor.project.node(ids[0]).position == (200.0, 300.0)


def test_cut_and_duplicate(qtbot, canvas, editor) -> None:
    scene, view = canvas
    scene.select_nodes(["n6", "n7"])
    new = view.duplicate_selection()
    assert len(new) == 2 and scene.selected_node_ids() == new
    assert [(k.source, k.target) for k in editor.project.links_into(new[1])] == [tuple(new)]
    text = view.cut_selection()
    assert set(new).isdisjoint(editor.project.nodes)
    assert [n["id"] for n in clipboard.fragment_nodes(text)] == new
    assert editor.undo_stack.count() == 2


# ----------------------------------------------------------------------------- zoom and pan


def wheel(view: CanvasView, pos: QPoint, delta: int) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, delta), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def scene_at(view: CanvasView, pos: QPoint) -> QPointF:
    return view.viewportTransform().inverted()[0].map(QPointF(pos))


def test_wheel_zooms_around_the_cursor(canvas) -> None:
    _, view = canvas
    cursor = QPoint(250, 180)
    under = scene_at(view, cursor)
    wheel(view, cursor, 120)
    assert view.zoom == pytest.approx(1.25)
    after = scene_at(view, cursor)
    assert abs(after.x() - under.x()) * view.zoom <= 1 and abs(after.y() - under.y()) * \
        view.zoom <= 1
    for _ in range(30):
        wheel(view, QPoint(900, 500), -120)
    assert view.zoom == pytest.approx(0.05)
    for _ in range(60):
        wheel(view, cursor, 240)
    assert view.zoom == pytest.approx(4.0)


def test_fit_to_view_shows_every_block(canvas, editor) -> None:
    scene, view = canvas
    editor.replace_project(example("transformer_classifier"), None)
    view.set_zoom(3.0)
    view.fit_to_view()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(scene.items_bounding_rect())
    assert view.zoom < 1
    editor.replace_project(small_project("dense"), None)
    view.fit_to_view()
    assert view.zoom == 1.0  # a small graph is not blown up
    view.center_on_node("n1")
    middle, node = scene_at(view, view.viewport().rect().center()), centre(scene, "n1")
    assert (middle.x(), middle.y()) == pytest.approx((node.x(), node.y()), abs=1.5)


def test_zoom_actions(canvas) -> None:
    _, view = canvas
    view.zoom_in()
    assert view.zoom == pytest.approx(1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.zoom == pytest.approx(0.8)
    view.reset_zoom()
    assert view.zoom == 1.0


def test_middle_button_drag_pans(qtbot, canvas, editor) -> None:
    scene, view = canvas
    before = scene_at(view, QPoint(300, 300))
    drag(qtbot, view, QPoint(300, 300), QPoint(420, 250), Qt.MouseButton.MiddleButton)
    after = scene_at(view, QPoint(300, 300))
    assert (after.x() - before.x(), after.y() - before.y()) == pytest.approx((-120, 50))
    assert editor.undo_stack.count() == 0 and scene.selected_node_ids() == []


def test_space_drag_pans_even_over_a_block(qtbot, canvas, editor) -> None:
    scene, view = canvas
    view.setFocus()
    start = at(view, centre(scene, "n3"))
    before = scene_at(view, start)
    qtbot.keyPress(view, Qt.Key.Key_Space)
    drag(qtbot, view, start, start + QPoint(80, 40))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    after = scene_at(view, start)
    assert (after.x() - before.x(), after.y() - before.y()) == pytest.approx((-80, -40))
    assert editor.undo_stack.count() == 0


# ----------------------------------------------------------------------------- palette drops


def drop(view: CanvasView, block_id: str, pos: QPoint) -> bool:
    """Deliver a palette drag's drop at ``pos``; returns whether the view accepted it."""
    mime = QMimeData()
    mime.setData(clipboard.BLOCK_MIME_TYPE, block_id.encode("utf-8"))
    event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, LEFT,
                       Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)
    return event.isAccepted()


def test_dropping_a_palette_entry_places_the_block_there(canvas, editor) -> None:
    scene, view = canvas
    view.snap_to_grid = False
    point = scene_at(view, QPoint(400, 500))
    assert drop(view, "multi_head_attention", QPoint(400, 500))
    node = editor.project.node("n10")
    assert node.block == "multi_head_attention"
    # the cursor holds the block by the middle of its title bar
    assert node.position == pytest.approx((point.x() - NODE_WIDTH / 2, point.y() - HEADER / 2),
                                          abs=0.01)
    assert scene.selected_node_ids() == ["n10"]
    view.snap_to_grid = True
    drop(view, "dense", QPoint(333, 517))
    x, y = editor.project.node("n11").position
    assert x % 20 == 0 and y % 20 == 0
    point = scene_at(view, QPoint(333, 517))
    assert scene.node_item("n11").sceneBoundingRect().contains(point)
    assert abs(x + NODE_WIDTH / 2 - point.x()) <= 10 and abs(y + HEADER / 2 - point.y()) <= 10
    assert editor.undo_stack.count() == 2
    assert not drop(view, "no_such_block", QPoint(100, 100))
    assert len(editor.project.nodes) == 11


# ----------------------------------------------------------------------------- report


@pytest.fixture
def ready(editor) -> Editor:
    editor.set_tensorflow_ready()
    return editor


def test_blocks_show_pending_shapes_until_tensorflow_is_ready(canvas, editor) -> None:
    scene, _ = canvas
    item = scene.node_item("n2")
    assert item.shape_text == "→ …" and not item.badge.isVisible()
    assert all(link.label == "" for link in scene.link_items())
    editor.set_tensorflow_ready()
    assert item.shape_text == "→ (None, 8, 8, 32)" and item.params_text == "320 params"


def test_shapes_counts_and_wire_labels_equal_the_report(canvas, ready) -> None:
    scene, _ = canvas
    for name in ("cnn_digits", "transformer_classifier", "gcn_karate"):
        ready.replace_project(flat_example(name), None)
        report = ready.report
        assert report is not None and report.ok
        for node_id, shapes in report.shapes.items():
            item = scene.node_item(node_id)
            first = next(iter(shapes.outputs.values()))
            assert item.shape_text == f"→ {first}"
            assert item.params_text == f"{shapes.params:,} params"
            assert item.shape_text in item.texts() and item.params_text in item.texts()
            assert not item.badge.isVisible()
        for link_item in scene.link_items():
            link = link_item.link
            carried = report.shapes[link.source].outputs[link.source_port]
            assert link_item.label == compact_shape(carried)
            assert str(carried) in link_item.toolTip()
    assert scene.node_item("n4").params_text == "34 params"


def test_wire_labels_show_where_there_is_room(canvas, ready) -> None:
    scene, _ = canvas
    ready.auto_layout(scene.item_sizes())
    assert all(item.label_shown() for item in scene.link_items())
    label = scene.link_item(ready.project.links_into("n3")[0])
    assert label.label == "8×8×32"


def _turning_wires_cross_no_block(scene: CanvasScene, editor: Editor) -> list[LinkItem]:
    """Every wire misses every block (none runs behind one); returns those that turn
    back."""
    QApplication.processEvents()  # the wires look for their lanes once the moves are over
    blocks = [scene.node_item(i).sceneBoundingRect() for i in editor.project.nodes]
    between_rows = scene.link_items()
    for item in between_rows:
        line = QPainterPathStroker()
        line.setWidth(1.0)
        stroke = line.createStroke(item.path())
        assert not any(stroke.intersects(rect.adjusted(PORT_RADIUS, 0, -PORT_RADIUS, 0))
                       for rect in blocks), item.link
    return [item for item in between_rows
            if item.path().pointAtPercent(1).x() < item.path().pointAtPercent(0).x()]


def _dense_chain(project: Project, source: str, length: int) -> list[str]:
    ids = [source]
    for _ in range(length):
        ids.append(project.add_node("dense", {"units": 8}).id)
        project.add_link(ids[-2], "out", ids[-1], "in")
    return ids[1:]


def test_a_wrapped_model_reads_in_rows_and_wires_turn_back_between_them(canvas, editor
                                                                       ) -> None:
    scene, view = canvas
    editor.replace_project(flat_example("transformer_classifier"), None)
    editor.auto_layout(scene.item_sizes())
    rows = {round(node.position[1]) for node in editor.project.nodes.values()}
    assert len(rows) == 3  # twenty blocks deep: three rows, read like text
    turning = _turning_wires_cross_no_block(scene, editor)
    assert len(turning) >= 4  # two row ends and two residual skips
    view.fit_to_view()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(visible.contains(item.sceneBoundingRect()) for item in turning)


def test_turning_wires_pass_a_fork_and_a_whole_row(canvas, editor) -> None:
    scene, _ = canvas
    project = Project("fork and long skip")
    source = project.add_node("input", {"shape": [8]}).id
    head = _dense_chain(project, source, 4)
    upper, lower = _dense_chain(project, head[-1], 1), _dense_chain(project, head[-1], 1)
    joined = project.add_node("add", {})
    project.add_link(upper[0], "out", joined.id, "in1")
    project.add_link(lower[0], "out", joined.id, "in2")
    middle = _dense_chain(project, joined.id, 8)
    skip = project.add_node("add", {})  # a skip back over most of a row
    project.add_link(middle[-1], "out", skip.id, "in1")
    project.add_link(joined.id, "out", skip.id, "in2")
    tail = _dense_chain(project, skip.id, 5)
    ahead = project.add_node("add", {})  # and the input skips forward to the last row's end
    project.add_link(tail[-1], "out", ahead.id, "in1")
    project.add_link(head[0], "out", ahead.id, "in2")
    editor.replace_project(project, None)
    editor.auto_layout(scene.item_sizes())
    assert len({round(n.position[1]) for n in editor.project.nodes.values()}) == 4  # a fork
    turning = _turning_wires_cross_no_block(scene, editor)
    assert len(turning) >= 2  # the row ends, at least
    forward = scene.link_item(editor.project.link_into(ahead.id, "in2"))
    path = forward.path()  # checked above too: it steps past the rows between
    assert abs(path.pointAtPercent(1).y() - path.pointAtPercent(0).y()) >= NODE_HEIGHT


def test_no_wire_runs_behind_a_block_whatever_the_layout(canvas, editor) -> None:
    """Hand-placed blocks: a wire back to a block on its own row, and a wire to a block
    half a row lower with blocks in between, go around them instead of behind them."""
    scene, _ = canvas
    project = Project("hand placed")
    source = project.add_node("input", {"shape": [8]}, position=(0.0, 0.0)).id
    chain = _dense_chain(project, source, 4)
    for i, node_id in enumerate(chain):
        project.move_node(node_id, (240.0 * (i + 1), 0.0))
    back = project.add_node("add", {}, position=(240.0, 300.0)).id  # below the row
    project.add_link(chain[-1], "out", back, "in1")
    project.add_link(chain[0], "out", back, "in2")
    lower = project.add_node("dense", {"units": 4}, position=(1440.0, 80.0)).id
    project.add_link(chain[0], "out", lower, "in")  # passes the row, 80 px lower
    same_row_back = project.add_node("dense", {"units": 4}, position=(-240.0, 0.0)).id
    project.add_link(chain[2], "out", same_row_back, "in")  # back along its own row
    editor.replace_project(project, None)
    _turning_wires_cross_no_block(scene, editor)


def test_wire_labels_never_cover_each_other(qtbot, canvas, ready) -> None:
    scene, _ = canvas
    ready.replace_project(example("transformer_classifier"), None)
    ready.auto_layout(scene.item_sizes())
    # the wires re-route, then their labels spread, once the moves are over
    qtbot.waitUntil(lambda: not scene.routing_pending())
    shown = [r for r in (i.label_rect() for i in scene.link_items()) if r is not None]
    assert len(shown) >= len(scene.link_items()) - 2  # nearly all still have a label
    assert not [(a, b) for k, a in enumerate(shown) for b in shown[k + 1:] if a.intersects(b)]
    for item in scene.link_items():
        if item.label_rect() is not None:  # each label sits on its own wire
            rect = item.label_rect()
            assert any(rect.contains(item.path().pointAtPercent(t / 20)) for t in range(21))


def test_a_dragged_wire_bends_smoothly_as_the_mouse_moves() -> None:
    """The wire following the mouse never jumps between an S-curve and a turn-back: a
    1 px move of the mouse moves every point of it by little."""
    start = QPointF(0.0, 0.0)
    for y in (0.0, 60.0, 140.0, 400.0):
        previous = None
        for x in range(-600, 600, 1):
            path = drag_path(start, QPointF(float(x), y))
            points = [path.pointAtPercent(t / 10) for t in range(11)]
            if previous is not None:
                assert max(abs(a.x() - b.x()) + abs(a.y() - b.y())
                           for a, b in zip(points, previous, strict=True)) < 3.0, (x, y)
            previous = points


def test_badges_show_errors_and_warnings_with_their_messages(qtbot, canvas, ready) -> None:
    scene, _ = canvas
    dense = ready.add_block("dense", (300.0, 300.0))
    ready.validate_now()
    badge = scene.node_item(dense).badge
    assert badge.isVisible() and badge.severity == "error"
    assert "input 'in' is not connected" in badge.toolTip()
    assert scene.node_item(dense).shape_text == "→ ?"
    ready.connect("n8", "out", dense, "in")
    ready.validate_now()
    assert badge.isVisible() and badge.severity == "warning"
    assert "does not lead to an Output" in badge.toolTip()
    ready.set_param("n3", "pool_size", 16)  # bigger than the 8×8 image
    ready.validate_now()
    broken = scene.node_item("n3").badge
    assert broken.severity == "error"
    message = next(i.message for i in ready.report.for_node("n3"))
    assert "smaller than the block's window" in message  # in plain words
    assert message in broken.toolTip()
    assert scene.node_item("n4").shape_text == "→ ?" and not scene.node_item("n4").badge \
        .isVisible()  # waits for its input; only the cause is flagged
    ready.undo_stack.undo()
    ready.validate_now()
    assert not broken.isVisible()
    ready.replace_project(example("cnn_digits"), None)
    assert not any(i.badge.isVisible() for i in scene.node_items())


# ----------------------------------------------------------------------------- drawing


def test_blocks_keep_a_tidy_size(canvas, editor) -> None:
    scene, _ = canvas
    editor.replace_project(small_project("dense", "multi_head_attention", "concatenate"),
                           None)
    sizes = scene.item_sizes()
    assert sizes["n1"] == (NODE_WIDTH, NODE_HEIGHT)
    # Multi-Head Attention widens for its kind beside its port labels, up to a limit
    assert NODE_WIDTH < sizes["n2"][0] <= NODE_MAX_WIDTH and sizes["n2"][1] == NODE_HEIGHT
    assert NODE_HEIGHT <= 130
    editor.set_param("n3", "num_inputs", 8)
    height = scene.item_sizes()["n3"][1]
    assert height > NODE_HEIGHT
    ys = [p.y() for p in scene.node_item("n3").inputs.values()]
    assert len(ys) == 8 and ys == sorted(ys) and ys[0] > HEADER and ys[-1] < height
    mha = scene.node_item("n2")
    assert {"query", "value", "key", "out", "weights"} <= set(mha.texts())
    assert mha.inputs["value"].port.optional


def test_painting_at_every_zoom_level(canvas, ready) -> None:
    """Paint code runs at every level of detail without error (errors fail the test)."""
    scene, view = canvas
    for name in ("transformer_classifier", "gcn_karate"):
        ready.replace_project(example(name), None)
        scene.select_nodes(["n2"])
        for zoom in (0.08, 0.3, 1.0, 2.5):
            view.set_zoom(zoom)
            image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
            painter = QPainter(image)
            view.render(painter)
            painter.end()
            assert not image.isNull()
    graph_wire = next(i for i in scene.link_items() if i.kind == "graph")
    assert isinstance(graph_wire, LinkItem)


def test_each_category_has_one_look_and_its_order_comes_from_the_registry(qtbot) -> None:
    from app.icons import CATEGORY_LOOKS, category_colour, category_icon
    from app.palette import BlockPalette
    from blocks.registry import CATEGORY_ORDER

    assert set(CATEGORY_LOOKS) == set(CATEGORY_ORDER)
    for category, look in CATEGORY_LOOKS.items():
        assert resources.icon_path(look.icon).is_file(), category
        assert not category_icon(category).isNull()
        assert category_colour(category).name() == look.colour
    palette = BlockPalette()
    qtbot.addWidget(palette)
    groups = [palette.tree.topLevelItem(i).text(0)
              for i in range(palette.tree.topLevelItemCount())]
    assert groups == sorted(groups, key=CATEGORY_ORDER.__getitem__)


def test_a_block_card_leaves_out_an_unset_penalty() -> None:
    """The second parameter fills the card only when it says something: l1 0 does not."""
    project = Project()
    node = project.add_node("position_embedding", {"max_length": 16})
    assert key_params(node) == ["max_length 16"]
    project.set_params(node.id, {"l1": 0.01})
    assert key_params(project.nodes[node.id]) == ["max_length 16", "l1 0.01"]


def test_long_titles_and_parameters_widen_the_block_instead_of_being_cut(canvas, editor
                                                                         ) -> None:
    """"Graph Convolution", "Multi-Head Attention" and the Output's loss used to end in "…";
    a block widens on the grid to show them, and only beyond its limit elides (the full
    text stays in its tooltip)."""
    scene, _ = canvas
    editor.replace_project(example("transformer_classifier"), None)
    def shown(item) -> str:  # what the block writes, not its pending shape "→ …"
        return " ".join(t for t in item.texts() if t not in (item.shape_text, item.params_text))

    for item in scene.node_items():
        assert "…" not in shown(item), item.node_id
        assert item.width % 20 == 0 and NODE_WIDTH <= item.width <= NODE_MAX_WIDTH
    editor.replace_project(example("gcn_karate"), None)
    assert not any("…" in shown(i) for i in scene.node_items())
    long_title = "A title far longer than any block could ever hope to show in full"
    editor.set_title("n3", long_title)
    item = scene.node_item("n3")
    assert item.width == NODE_MAX_WIDTH
    assert item.texts()[0].endswith("…") and long_title in item.toolTip()
    # the widest blocks still leave a gap to their neighbours in the examples' layouts
    for path in sorted(resources.examples_dir().glob("*.deepwire")):
        editor.replace_project(example(path.stem), None)
        boxes = [i.sceneBoundingRect().adjusted(4, 4, -4, -4) for i in scene.node_items()]
        assert not any(a.intersects(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])


def test_zoomed_out_titles_fit_their_blocks(canvas, editor) -> None:
    """Far out, a block shows one big title; a word too wide for the block ends in "…"
    instead of running out of both sides ("axPooling2")."""
    scene, _ = canvas
    editor.replace_project(example("cnn_digits"), None)
    for item in scene.node_items():
        overview = item._overview
        assert overview.size().width() <= item.width - 2 * 12.0 + 0.5, item.node.spec.title
    pooling = next(i for i in scene.node_items() if i.node.block == "global_average_pooling2d")
    assert pooling._overview.text().endswith("…")
