"""Right-click menus on a block, a wire, the canvas and a palette entry: real right-clicks
open them, and each entry does its edit in one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

import resources
from app.block_picker import BlockPicker
from projects import files


def right_click(window, widget, pos: QPoint) -> QMenu:
    """A right-click on ``widget`` at ``pos``: the press and release, then the context-menu
    event the window system makes of them (offscreen, Qt synthesises it only for events
    that come through the platform, so it is sent as the platform would); returns the
    menu it opened."""
    QTest.mousePress(widget, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, pos)
    QApplication.sendEvent(widget, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                     widget.mapToGlobal(pos)))
    QTest.mouseRelease(widget, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, pos)
    QApplication.processEvents()
    menu = window.context_menus.menu
    assert menu is not None and menu.isVisible()
    return menu


def choose(menu: QMenu, text: str) -> None:
    """Click the menu entry whose text starts with ``text``."""
    action = next(a for a in menu.actions() if a.text().startswith(text))
    assert action.isEnabled(), text
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     menu.actionGeometry(action).center())
    QApplication.processEvents()


def texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


@pytest.fixture
def cnn(window):
    window.editor.replace_project(files.load(resources.examples_dir() / "cnn_digits.deepwire"),
                                  None)
    window.editor.set_tensorflow_ready()
    window.view.fit_to_view()
    QApplication.processEvents()
    return window


def _on_screen(window, scene_point: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_point)


def test_block_menu_renames_duplicates_documents_and_deletes(cnn, qtbot) -> None:
    window, editor = cnn, cnn.editor
    item = window.scene.node_item("n2")
    menu = right_click(window, window.view.viewport(),
                       _on_screen(window, item.sceneBoundingRect().center()))
    assert texts(menu)[:3] == ["Rename…", "Duplicate", "Delete"]
    assert window.scene.selected_node_ids() == ["n2"]  # the block right-clicked
    choose(menu, "Rename")
    page = window.inspector.block_page
    assert page.node_id == "n2" and page.title_edit.hasFocus()
    qtbot.keyClicks(page.title_edit, "Features")
    qtbot.keyClick(page.title_edit, Qt.Key.Key_Return)
    assert editor.project.node("n2").title == "Features"

    count = len(editor.project.nodes)
    menu = right_click(window, window.view.viewport(),
                       _on_screen(window, item.sceneBoundingRect().center()))
    choose(menu, "Duplicate")
    assert len(editor.project.nodes) == count + 1
    editor.undo_stack.undo()
    assert len(editor.project.nodes) == count

    menu = right_click(window, window.view.viewport(),
                       _on_screen(window, item.sceneBoundingRect().center()))
    choose(menu, "Documentation")
    assert "Conv2D" in window._reference.findChild(type(window.palette.tree)).currentItem(
        ).text(0) or window._reference.isVisible()
    window._reference.close()

    links_before = set(editor.project.links)
    menu = right_click(window, window.view.viewport(),
                       _on_screen(window, item.sceneBoundingRect().center()))
    choose(menu, "Delete")
    assert "n2" not in editor.project.nodes
    editor.undo_stack.undo()  # one step brings back the block and its wires
    assert "n2" in editor.project.nodes and set(editor.project.links) == links_before


def test_block_menu_offers_the_blocks_quick_fixes(cnn) -> None:
    from projects.data_checks import project_data
    from projects.datasets.description import request_key

    window, editor = cnn, cnn.editor
    project = editor.project
    editor.set_data_description(request_key(project.dataset, "supervised"),
                                project_data(project))  # as the dataset preview does
    editor.set_param("n8", "units", 3)  # digits has 10 classes
    editor.validate_now()
    [fix] = [i.fix for i in editor.report.for_node("n8") if i.fix]
    item = window.scene.node_item("n8")
    menu = right_click(window, window.view.viewport(),
                       _on_screen(window, item.sceneBoundingRect().center()))
    choose(menu, f"Fix: {fix.title}")
    assert project.node("n8").params["units"] == 10
    editor.undo_stack.undo()
    assert project.node("n8").params["units"] == 3


def test_wire_menu_deletes_the_wire_or_inserts_a_block_into_it(cnn, qtbot) -> None:
    window, editor = cnn, cnn.editor
    link = editor.project.links_into("n2")[0]
    wire = window.scene.link_item(link)
    middle = wire.path().pointAtPercent(0.5)
    menu = right_click(window, window.view.viewport(), _on_screen(window, middle))
    assert texts(menu) == ["Delete Wire", "Insert Block…"]
    choose(menu, "Insert Block")
    picker = window.context_menus.picker
    assert isinstance(picker, BlockPicker) and picker.isVisible()
    offered = set(picker.palette.visible_block_ids())
    assert "conv2d" in offered and not offered & {"input", "output", "latent_noise"}  # fit
    before = set(editor.project.nodes)
    qtbot.keyClicks(picker.palette.search, "Dropout")
    qtbot.keyClick(picker.palette.search, Qt.Key.Key_Return)
    [added] = set(editor.project.nodes) - before
    assert editor.project.node(added).block == "dropout"
    assert editor.project.link_into(added, "in").source == link.source
    assert editor.project.link_into("n2", link.target_port).source == added
    assert editor.undo_stack.undoText() == "Insert Dropout"
    editor.undo_stack.undo()  # one step: the block gone, the wire back
    assert added not in editor.project.nodes and link in editor.project.links

    menu = right_click(window, window.view.viewport(), _on_screen(window, middle))
    choose(menu, "Delete Wire")
    assert link not in editor.project.links
    editor.undo_stack.undo()
    assert link in editor.project.links


def test_canvas_menu_pastes_here_adds_a_searched_block_and_lays_out(cnn, qtbot) -> None:
    window, editor = cnn, cnn.editor
    empty = window.scene.items_bounding_rect().bottomRight() + QPointF(200, 200)
    window.view.centerOn(empty)
    QApplication.processEvents()
    where = _on_screen(window, empty)
    QGuiApplication.clipboard().clear()
    menu = right_click(window, window.view.viewport(), where)
    assert texts(menu) == ["Paste Here", "Add Block…", "&Auto-layout", "&Fit to Window"]
    assert not next(a for a in menu.actions() if a.text() == "Paste Here").isEnabled()
    menu.close()

    window.scene.select_nodes(["n2"])
    window.view.copy_selection()
    menu = right_click(window, window.view.viewport(), where)
    choose(menu, "Paste Here")
    [pasted] = window.scene.selected_node_ids()
    assert pasted != "n2"
    position = editor.project.node(pasted).position
    assert abs(position[0] - empty.x()) <= 20 and abs(position[1] - empty.y()) <= 20

    menu = right_click(window, window.view.viewport(), where + QPoint(0, 150))
    choose(menu, "Add Block")
    picker = window.context_menus.picker
    qtbot.keyClicks(picker.palette.search, "output")
    qtbot.keyClick(picker.palette.search, Qt.Key.Key_Return)
    [added] = window.scene.selected_node_ids()
    assert editor.project.node(added).block == "output"
    assert not picker.isVisible()


def test_palette_menu_adds_and_documents_a_block(window) -> None:
    palette = window.palette
    palette.search.setText("Dense")
    entry = palette.tree.currentItem()
    rect = palette.tree.visualItemRect(entry)
    menu = right_click(window, palette.tree.viewport(), rect.center())
    assert texts(menu) == ["Add Dense", "Documentation: Dense"]
    count = len(window.editor.project.nodes)
    choose(menu, "Add Dense")
    assert len(window.editor.project.nodes) == count + 1
    menu = right_click(window, palette.tree.viewport(), rect.center())
    choose(menu, "Documentation")
    assert window._reference.isVisible()
    window._reference.close()
