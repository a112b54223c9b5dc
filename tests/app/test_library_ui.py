"""My blocks in the window, as a user meets them: a group saved through its right-click
menu (typing its name into the dialog) appears in the palette, a palette entry dragged onto
the canvas is placed as one undo step, and blocks export to and import from files.

The file dialogs are native on some systems and cannot be typed into here: those two
(QFileDialog.getSaveFileName / getOpenFileName) are patched to return a path. The name
dialog and the questions are real and answered with keys and clicks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QWidget

import resources
from app.palette import LIBRARY_MIME_TYPE, MY_BLOCKS, TEMPLATES
from projects import files, library
from tests.app.test_context_menus import choose, right_click

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own My blocks folder, set before the window reads it."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DEEPWIRE_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def encoders(window):
    """The window showing the transformer example (two encoder groups)."""
    project = files.load(resources.examples_dir() / "transformer_classifier.deepwire")
    window.editor.replace_project(project, None)
    window.view.fit_to_view()
    QApplication.processEvents()
    return window


def when_modal(*steps: Callable[[QWidget], None]) -> list[str]:
    """Run each step on the next modal dialog as it opens (in order); returns the class
    names of the dialogs met, so a test can tell that each one came."""
    seen: list[str] = []
    met: list[QWidget] = []
    queue = list(steps)

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or (met and met[-1] is dialog):
            QTimer.singleShot(20, poll)
            return
        met.append(dialog)
        seen.append(type(dialog).__name__)
        queue.pop(0)(dialog)
        if queue:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    return seen


def type_name(name: str) -> Callable[[QWidget], None]:
    def step(dialog: QWidget) -> None:
        assert isinstance(dialog, QInputDialog)
        field = dialog.findChild(QLineEdit)
        field.selectAll()
        QTest.keyClicks(field, name)
        QTest.keyClick(field, Qt.Key.Key_Return)

    return step


def press(button: QMessageBox.StandardButton) -> Callable[[QWidget], None]:
    def step(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox)
        dialog.button(button).click()

    return step


def entry_titles(window, category: str) -> list[str]:
    tree = window.palette.tree
    heading = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                   if tree.topLevelItem(i).text(0) == category)
    return [heading.child(j).text(0) for j in range(heading.childCount())
            if not heading.child(j).isHidden()]


def drag_entry(window, key: str, pos: QPoint) -> bool:
    """A palette drag of a library entry, delivered to the canvas as the window system
    delivers one: enter, move and drop on the viewport, carrying the palette's own drag
    data. Returns whether the drop was accepted."""
    tree = window.palette.tree
    mime: QMimeData = tree.mimeData([window.palette.entry_item(key)])
    assert mime.hasFormat(LIBRARY_MIME_TYPE)
    viewport = window.view.viewport()
    action = Qt.DropAction.CopyAction
    for event in (QDragEnterEvent(pos, action, mime, LEFT, NONE),
                  QDragMoveEvent(pos, action, mime, LEFT, NONE)):
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    drop = QDropEvent(QPointF(pos), action, mime, LEFT, NONE)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def test_palette_lists_templates_and_my_blocks_with_search_and_tooltips(window, qtbot
                                                                        ) -> None:
    palette = window.palette
    assert entry_titles(window, TEMPLATES) == ["DCGAN up-sampling", "GCN layer",
                                               "Transformer encoder"]
    assert entry_titles(window, MY_BLOCKS) == ["Right-click a group to save it"]
    key = window.library.key_of("GCN layer", template=True)
    tip = palette.entry_item(key).toolTip(0)
    assert "Template" in tip and "Kipf" in tip and "features, adjacency" in tip
    qtbot.keyClicks(palette.search, "graph conv")
    assert palette.library_keys() == [key]
    assert "Graph Convolution" in [palette.tree.currentItem().text(0)]  # blocks still lead
    palette.search.clear()
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert {"Save Group to My Blocks…", "Import Block File…"} <= {
        a.text() for a in edit.actions()}


def test_save_a_group_from_its_menu_then_drag_it_onto_the_canvas_and_undo(encoders, qtbot,
                                                                          data_dir) -> None:
    window = encoders
    project = window.editor.project
    point = window.view.mapFromScene(window.scene.node_item("g1").sceneBoundingRect().center())
    menu = right_click(window, window.view.viewport(), point)
    dialogs = when_modal(type_name("Encoder of mine"))
    choose(menu, "Save Group “Encoder 1” to My Blocks…")
    assert dialogs == ["QInputDialog"]
    saved = data_dir / "blocks" / "Encoder of mine.deepwire-block"
    entry = library.load(saved)
    assert entry.block_count == 7 and entry.ports == (["in"], ["out"])
    assert entry_titles(window, MY_BLOCKS) == ["Encoder of mine"]
    key = str(saved)
    assert window.palette.tree.currentItem() is window.palette.entry_item(key)

    # the same name again: asked, and "No" leaves the saved block as it was
    before = saved.read_bytes()
    menu = right_click(window, window.view.viewport(), point)
    dialogs = when_modal(type_name("Encoder of mine"), press(QMessageBox.StandardButton.No))
    choose(menu, "Save Group")
    assert dialogs == ["QInputDialog", "QMessageBox"]
    assert saved.read_bytes() == before

    # drag it from the palette onto the canvas: one new group, fresh ids, one undo step
    window.view.snap_to_grid = False
    count, nodes = window.editor.undo_stack.count(), len(project.nodes)
    drop_at = QPoint(300, 260)
    assert drag_entry(window, key, drop_at)
    project = window.editor.project
    assert sorted(project.groups) == ["g1", "g2", "g3"]
    assert project.group("g3").position == pytest.approx(
        (window.view.mapToScene(drop_at).x(), window.view.mapToScene(drop_at).y()), abs=0.01)
    assert project.leaves("g3") == {f"n{i}" for i in range(21, 28)}
    assert window.editor.undo_stack.count() == count + 1
    assert window.scene.selected_node_ids() == ["g3"]  # placed as one group block
    assert window.scene.node_item("g3") is not None
    assert window.undo_action.text() == "&Undo Place Encoder of mine"
    window.undo_action.trigger()  # Edit ▸ Undo
    assert sorted(project.groups) == ["g1", "g2"] and len(project.nodes) == nodes
    assert window.scene.node_item("g3") is None


def test_a_template_places_on_double_click_exports_imports_and_deletes(window, qtbot,
                                                                       tmp_path, data_dir,
                                                                       monkeypatch) -> None:
    palette, tree = window.palette, window.palette.tree
    key = window.library.key_of("DCGAN up-sampling", template=True)
    item = palette.entry_item(key)
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    groups = len(window.editor.project.groups)
    qtbot.mouseClick(tree.viewport(), LEFT, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), LEFT, pos=rect.center())
    project = window.editor.project
    assert len(project.groups) == groups + 1
    placed = max(project.groups, key=lambda g: int(g[1:]))
    assert project.group(placed).title == "DCGAN up-sampling"
    assert [project.node(n).block for n in sorted(project.leaves(placed))] == [
        "conv2d_transpose", "batch_normalization", "activation"]

    # export (the save dialog patched to answer a path)
    target = tmp_path / "exported"
    monkeypatch.setattr("app.library_actions.QFileDialog.getSaveFileName",
                        lambda *args: (str(target), ""))
    menu = right_click(window, tree.viewport(), rect.center())
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "Place DCGAN up-sampling", "Export to File…", "Delete…", "Import Block File…"]
    assert not next(a for a in menu.actions() if a.text() == "Delete…").isEnabled()
    choose(menu, "Export to File…")
    exported = tmp_path / "exported.deepwire-block"
    assert exported.read_bytes() == Path(key).read_bytes()  # the template, byte for byte

    # import it into My blocks (the open dialog patched), then delete it, confirming
    monkeypatch.setattr("app.library_actions.QFileDialog.getOpenFileName",
                        lambda *args: (str(exported), ""))
    heading = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                   if tree.topLevelItem(i).text(0) == MY_BLOCKS)
    menu = right_click(window, tree.viewport(), tree.visualItemRect(heading).center())
    assert [a.text() for a in menu.actions()] == ["Import Block File…"]
    choose(menu, "Import Block File…")
    assert entry_titles(window, MY_BLOCKS) == ["DCGAN up-sampling"]
    mine = window.library.key_of("DCGAN up-sampling")
    assert Path(mine).parent == data_dir / "blocks"
    item = palette.entry_item(mine)
    menu = right_click(window, tree.viewport(), tree.visualItemRect(item).center())
    dialogs = when_modal(press(QMessageBox.StandardButton.Yes))
    choose(menu, "Delete…")
    assert dialogs == ["QMessageBox"]
    assert not Path(mine).exists()
    assert entry_titles(window, MY_BLOCKS) == ["Right-click a group to save it"]

    # a broken file is refused with its problems, and nothing is added
    broken = tmp_path / "broken.deepwire-block"
    broken.write_text('{"format": "deepwire-block", "format_version": 1, "title": "x", '
                      '"doc": "", "fragment": {"nodes": [{"id": "n1", "block": "warp"}]}}',
                      encoding="utf-8")
    monkeypatch.setattr("app.library_actions.QFileDialog.getOpenFileName",
                        lambda *args: (str(broken), ""))
    shown: list[str] = []

    def read(dialog: QWidget) -> None:
        shown.append(dialog.text())
        dialog.button(QMessageBox.StandardButton.Ok).click()

    when_modal(read)
    window.library.import_action.trigger()
    assert "fragment.nodes: unknown block type 'warp' (used by n1)" in shown[0]
    assert not (data_dir / "blocks" / "x.deepwire-block").exists()


def test_loose_blocks_save_as_a_new_group_from_the_edit_menu(window, data_dir) -> None:
    window.editor.replace_project(
        files.load(resources.examples_dir() / "cnn_digits.deepwire"), None)
    before = files.dumps(window.editor.project)
    window.scene.select_nodes(["n2", "n3"])
    dialogs = when_modal(type_name("Conv pair"))
    window.library.save_action.trigger()  # Edit ▸ Save Group to My Blocks…
    assert dialogs == ["QInputDialog"]
    entry = library.load(data_dir / "blocks" / "Conv pair.deepwire-block")
    assert entry.block_count == 2 and entry.ports == (["in"], ["out"])
    assert files.dumps(window.editor.project) == before  # the project itself is not grouped
    assert entry_titles(window, MY_BLOCKS) == ["Conv pair"]


def test_the_editor_places_into_the_level_given_as_one_undo_step(qapp) -> None:
    from app.editor import Editor
    from projects.document import UnknownNodeError
    from resources.templates.build import template_path

    editor = Editor()
    project = files.load(resources.examples_dir() / "transformer_classifier.deepwire")
    editor.replace_project(project, None)
    before = files.dumps(project)
    entry = library.load(template_path("gcn_layer"), template=True)
    group = editor.place_library_block(entry, (40.0, 60.0), level="g2")
    assert project.path(group) == ["g2"] and project.group(group).position == (40.0, 60.0)
    assert editor.undo_stack.count() == 1
    editor.undo_stack.undo()
    assert files.dumps(project) == before
    editor.undo_stack.redo()
    assert project.leaves(group) == {"n21", "n22"}
    with pytest.raises(UnknownNodeError):
        editor.place_library_block(entry, (0.0, 0.0), level="g99")
    assert editor.undo_stack.count() == 1
