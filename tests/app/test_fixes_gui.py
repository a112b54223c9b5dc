"""Data problems in the Problems panel and on the badges, and their fixes, as a user meets
them: the preview loads the data, the problem appears, a double-click or the badge fixes it
in one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.main_window import MainWindow
from app.panels import ISSUE_ROLE
from projects import files
from projects.document import Project


def per_step_model() -> Project:
    """Input -> Multi-Head Attention -> Dense -> Output on marker sequences: valid as a
    model, but it predicts per step where the data has one label per sample."""
    project = Project("per step")
    project.set_dataset({"name": "marker_sequences", "samples": 64})
    ids: list[str] = []
    for i, (block, params) in enumerate((
            ("input", {"shape": [20, 4]}),
            ("multi_head_attention", {"num_heads": 2, "d_model": 8}),
            ("dense", {"units": 4, "activation": "softmax"}), ("output", {}))):
        node = project.add_node(block, params, position=(i * 220.0, 0.0))
        if ids:
            project.add_link(ids[-1], "out", node.id, "query" if i == 1 else "in")
        ids.append(node.id)
    return project


@pytest.fixture
def window(window: MainWindow, qtbot) -> MainWindow:
    """The shared window (tests/app/conftest.py), showing the per-step model."""
    qtbot.waitExposed(window)
    window.editor.set_tensorflow_ready()
    window.editor.replace_project(per_step_model(), None)
    return window


def data_row(window: MainWindow) -> int | None:
    panel = window.problems
    for row in range(panel.count()):
        if "one prediction per step" in panel.item(row).text():
            return row
    return None


def test_the_data_problem_shows_once_the_preview_has_loaded_it(window: MainWindow,
                                                               qtbot) -> None:
    qtbot.waitUntil(lambda: data_row(window) is not None, timeout=30_000)
    text = window.problems.item(data_row(window)).text()
    assert "the dataset 'Marker sequences' has one label per sample" in text
    assert "Fix: Insert GlobalAveragePooling1D before 'Dense (n3)'" in text
    badge = window.scene.node_item("n4").badge
    assert badge.isVisible() and badge.severity == "error"


def test_a_fix_from_the_panel_is_one_undo_step(window: MainWindow, qtbot) -> None:
    qtbot.waitUntil(lambda: data_row(window) is not None, timeout=30_000)
    editor, panel = window.editor, window.problems
    before, steps = files.dumps(editor.project), editor.undo_stack.count()
    rect = panel.visualItemRect(panel.item(data_row(window)))
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert editor.undo_stack.count() == steps + 1
    assert editor.undo_stack.undoText() == "Insert GlobalAveragePooling1D before 'Dense (n3)'"
    editor.validate_now()
    assert editor.report.ok, [str(i) for i in editor.report.issues]
    assert data_row(window) is None
    after = files.dumps(editor.project)
    editor.undo_stack.undo()
    assert files.dumps(editor.project) == before
    editor.undo_stack.redo()
    assert files.dumps(editor.project) == after


def test_a_fix_from_the_badge_is_one_undo_step(window: MainWindow, qtbot) -> None:
    qtbot.waitUntil(lambda: data_row(window) is not None, timeout=30_000)
    editor = window.editor
    badge = window.scene.node_item("n4").badge
    assert "Click to fix." in badge.toolTip()
    before, steps = files.dumps(editor.project), editor.undo_stack.count()
    view = window.view
    view.centerOn(badge)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(badge.scenePos()))
    menu = badge._menu
    assert menu is not None and [a.text() for a in menu.actions()] == [
        "Fix: Insert GlobalAveragePooling1D before 'Dense (n3)'"]
    menu.actions()[0].trigger()
    menu.close()
    assert editor.undo_stack.count() == steps + 1
    assert [n.block for n in editor.project.nodes.values()].count("global_average_pooling1d") == 1
    editor.undo_stack.undo()
    assert files.dumps(editor.project) == before


def test_choosing_a_dataset_from_the_panel(window: MainWindow, qtbot) -> None:
    editor = window.editor
    editor.set_setting("dataset", {})
    editor.validate_now()
    panel = window.problems
    [item] = [panel.item(r) for r in range(panel.count())
              if panel.item(r).text().startswith("No dataset is chosen")]
    issue = item.data(ISSUE_ROLE)
    assert issue.fix.title == "Choose the dataset 'Marker sequences'"
    actions = panel.context_menu(item).actions()
    assert [a.text() for a in actions] == ["Fix: Choose the dataset 'Marker sequences'"]
    actions[0].trigger()
    assert editor.project.dataset == {"name": "marker_sequences"}
    qtbot.waitUntil(lambda: data_row(window) is not None, timeout=30_000)
