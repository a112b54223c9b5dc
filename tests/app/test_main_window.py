"""The main window as a user meets it: opening, saving, closing, palette, problems."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QPointF, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

import blocks
import resources
from app.main_window import MainWindow
from projects import files


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings: QSettings, tmp_path: Path, monkeypatch):
    monkeypatch.setattr("app.autosave.autosave_folder", lambda: tmp_path / "autosave")
    window = MainWindow(settings)
    window.new_from_template(resources.examples_dir() / "cnn_digits.deepwire")
    window.show()
    yield window
    window.editor.undo_stack.setClean()  # closing must not wait on an "unsaved" dialog
    window.close()
    window.deleteLater()


def _answer_next_dialog(button: QMessageBox.StandardButton) -> list[str]:
    """Press ``button`` on the next message box; returns the texts it showed."""
    seen: list[str] = []

    def press() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text() + "\n" + box.informativeText())
            box.button(button).click()
        else:
            QTimer.singleShot(20, press)

    QTimer.singleShot(0, press)
    return seen


def test_palette_lists_every_block_and_filters_as_you_type(window: MainWindow, qtbot) -> None:
    palette = window.palette
    assert sorted(palette.visible_block_ids()) == sorted(s.id for s in blocks.all_specs())
    qtbot.keyClicks(palette.search, "multi-head")
    assert palette.visible_block_ids() == ["multi_head_attention"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)  # Enter adds the first match
    added = max(window.editor.project.nodes, key=lambda i: int(i[1:]))
    assert window.editor.project.node(added).block == "multi_head_attention"


def _newest_block(window: MainWindow) -> str:
    added = max(window.editor.project.nodes, key=lambda i: int(i[1:]))
    return window.editor.project.node(added).block


@pytest.mark.parametrize(("typed", "added"), [("output", "output"), ("Input", "input"),
                                              ("conv", "conv1d"), ("att", "simple_attention"),
                                              ("head", "multi_head_attention")])
def test_search_and_enter_add_the_best_match(window: MainWindow, qtbot, typed: str,
                                             added: str) -> None:
    """An exact title wins, then a title that starts with the text, then a title word."""
    palette = window.palette
    palette.search.setFocus()
    qtbot.keyClicks(palette.search, typed)
    assert palette.tree.currentItem().data(0, Qt.ItemDataRole.UserRole) == added
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert _newest_block(window) == added


def test_double_click_in_palette_adds_and_wires_after_the_selection(window: MainWindow,
                                                                   qtbot) -> None:
    window.scene.select_nodes(["n8"])
    tree = window.palette.tree
    dense = next(tree.topLevelItem(i).child(j) for i in range(tree.topLevelItemCount())
                 for j in range(tree.topLevelItem(i).childCount())
                 if tree.topLevelItem(i).child(j).text(0) == "Dense")
    tree.scrollToItem(dense)
    rect = tree.visualItemRect(dense)
    # a real double click: press and release, then the second press arrives as a double click
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    project = window.editor.project
    assert project.links_into("n10")[0].source == "n8"
    assert window.scene.selected_node_ids() == ["n10"]


def test_title_shows_name_and_unsaved_mark(window: MainWindow) -> None:
    assert window.windowTitle().startswith("CNN on 8x8 digits")
    assert not window.isWindowModified()
    window.editor.set_param("n6", "units", 12)
    assert window.isWindowModified()


def test_open_broken_file_shows_what_and_where_and_keeps_the_project(
        window: MainWindow, tmp_path: Path) -> None:
    broken = tmp_path / "broken.deepwire"
    text = (resources.examples_dir() / "cnn_digits.deepwire").read_text()
    broken.write_text(text.replace('"units": 64', '"units": -3'))
    window.editor.set_param("n6", "units", 12)
    before = files.dumps(window.editor.project)
    answers = _answer_next_dialog(QMessageBox.StandardButton.Discard)  # unsaved changes?
    shown = []

    def capture_error() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and "Cannot open" in box.windowTitle():
            shown.append(box.informativeText())
            box.button(QMessageBox.StandardButton.Ok).click()
        else:
            QTimer.singleShot(20, capture_error)

    QTimer.singleShot(50, capture_error)
    assert not window.open_path(broken)
    assert answers and "unsaved changes" in answers[0]
    assert "nodes[5] (n6).params.units" in shown[0] and "at least 1" in shown[0]
    assert files.dumps(window.editor.project) == before


def test_save_as_then_open_recent(window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "mine.deepwire"
    monkeypatch.setattr("app.file_commands.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(target), ""))
    assert window.save()
    assert target.read_text() == files.dumps(window.editor.project)
    assert window.windowTitle().startswith("mine.deepwire")
    assert window.recent_files()[0] == str(target.resolve())


def test_closing_with_unsaved_changes_asks(window: MainWindow) -> None:
    window.editor.set_param("n6", "units", 12)
    answers = _answer_next_dialog(QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert answers and "unsaved changes" in answers[0]
    assert window.isVisible()
    _answer_next_dialog(QMessageBox.StandardButton.Discard)
    assert window.close()


def test_problem_click_selects_and_centres_the_block(window: MainWindow, qtbot) -> None:
    window.editor.set_tensorflow_ready()
    window.editor.remove_nodes(["n4"])  # leaves n5's input unconnected
    window.editor.validate_now()
    panel = window.problems
    row = next(i for i in range(panel.count()) if "n5" in panel.item(i).text())
    rect = panel.visualItemRect(panel.item(row))
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["n5"]
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    assert window.scene.node_item("n5").sceneBoundingRect().adjusted(-60, -60, 60, 60
                                                                     ).contains(centre)


def test_dock_layout_is_remembered(qtbot, settings: QSettings, tmp_path: Path,
                                   monkeypatch) -> None:
    monkeypatch.setattr("app.autosave.autosave_folder", lambda: tmp_path / "autosave")
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    first.docks["summary"].hide()
    first.close()
    second = MainWindow(settings)
    qtbot.addWidget(second)
    second.show()
    assert not second.docks["summary"].isVisible()
    assert second.docks["inspector"].isVisible()


def test_window_opens_without_tensorflow() -> None:
    """A fresh process shows the window with TensorFlow still unloaded (docs/architecture.md)."""
    code = (
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]); "
        "from app.main_window import MainWindow; w = MainWindow(); w.show(); "
        "app.processEvents(); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_start_opens_the_transformer_example_or_the_named_file(window: MainWindow,
                                                               tmp_path: Path,
                                                               monkeypatch) -> None:
    from app import application

    monkeypatch.setattr("app.autosave.find_recoverable", lambda folder=None: [])
    application.open_initial_project(window, [])
    assert window.editor.project.name == "Transformer classifier"
    assert window.editor.path is None and not window.editor.dirty  # a template, not the file
    mine = tmp_path / "mine.deepwire"
    files.save(files.load(resources.examples_dir() / "gcn_karate.deepwire"), mine)
    application.open_initial_project(window, [str(mine)])
    assert window.editor.path == mine


def test_start_offers_to_recover_work_left_by_a_crash(window: MainWindow, tmp_path: Path,
                                                      monkeypatch) -> None:
    from app import application, autosave

    crashed = tmp_path / "session-1.deepwire"
    project = files.load(resources.examples_dir() / "attention_find_marker.deepwire")
    project.set_name("Unsaved work")
    files.save(project, crashed)
    found = autosave.Recoverable(crashed, None, 0.0, "Unsaved work")
    monkeypatch.setattr("app.autosave.find_recoverable", lambda folder=None: [found])
    asked = _answer_next_dialog(QMessageBox.StandardButton.Yes)
    application.open_initial_project(window, [])
    assert asked and "Recover it?" in asked[0]
    assert window.editor.project.name == "Unsaved work" and window.editor.dirty
    assert not crashed.exists()  # recovered once, not offered again


# ----------------------------------------------------------------------------- saved layout


def _start(qtbot, settings: QSettings) -> MainWindow:
    """A window as the app starts it: from the saved settings, shown."""
    started = MainWindow(settings)
    qtbot.addWidget(started)
    started.show()
    qtbot.waitExposed(started)
    return started


def _editing_docks_shown(window: MainWindow) -> bool:
    return all(window.docks[k].isVisible() for k in ("palette", "inspector", "summary"))


def test_closing_on_the_training_tab_saves_the_editor_layout(qtbot, settings: QSettings,
                                                             tmp_path: Path,
                                                             monkeypatch) -> None:
    monkeypatch.setattr("app.autosave.autosave_folder", lambda: tmp_path / "autosave")
    first = _start(qtbot, settings)
    first.docks["history"].raise_()
    tabs = first.central_tabs.tabBar()
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(1).center())
    assert first.central_tabs.currentIndex() == 1
    assert not first.docks["palette"].isVisible()  # the Training tab takes the width
    first.close()
    second = _start(qtbot, settings)
    assert second.central_tabs.currentIndex() == 0
    assert _editing_docks_shown(second)
    qtbot.mouseClick(second.central_tabs.tabBar(), Qt.MouseButton.LeftButton,
                     pos=second.central_tabs.tabBar().tabRect(1).center())
    qtbot.mouseClick(second.central_tabs.tabBar(), Qt.MouseButton.LeftButton,
                     pos=second.central_tabs.tabBar().tabRect(0).center())
    assert _editing_docks_shown(second)  # and back on the Model tab they return


def test_a_saved_layout_that_hides_the_editor_is_repaired_at_start(
        qtbot, settings: QSettings, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("app.autosave.autosave_folder", lambda: tmp_path / "autosave")
    first = _start(qtbot, settings)
    for key in ("palette", "inspector", "summary"):
        first.docks[key].hide()
    first.toolbar.hide()
    settings.setValue("window/state", first.saveState())  # as an older version saved it
    first.close()
    second = _start(qtbot, settings)
    assert second.docks["palette"].isVisible() and second.docks["inspector"].isVisible()
    assert not second.docks["summary"].isVisible()  # a panel one may do without stays hidden
    assert second.toolbar.isVisible()
    second.close()
    settings.setValue("window/state", QByteArray(b"\x00\xffnot a saved layout"))
    third = _start(qtbot, settings)
    assert _editing_docks_shown(third) and third.toolbar.isVisible()


# ----------------------------------------------------------------------------- toolbar


def test_toolbar_buttons_stand_still_and_undo_names_the_edit_in_its_tooltip(
        window: MainWindow, qtbot) -> None:
    qtbot.waitExposed(window)
    bar = window.toolbar
    buttons = {a.text(): bar.widgetForAction(a) for a in bar.actions() if not a.isSeparator()}
    before = {text: button.geometry() for text, button in buttons.items()}
    undo = bar.widgetForAction(window.undo_action)
    window.editor.set_param("n6", "units", 12)
    window.scene.select_nodes(["n5"])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)  # a second edit, from the keyboard
    window.editor.undo_stack.undo()
    assert window.undo_action.text() == "&Undo Change units of Dense (n6)"  # the Edit menu
    assert undo.text() == "Undo"
    assert undo.toolTip() == "Undo Change units of Dense (n6)"
    assert bar.widgetForAction(window.redo_action).toolTip() == "Redo Delete block"
    window.pause_action.setText("&Resume")  # as a paused run shows it
    assert {text: button.geometry() for text, button in buttons.items()} == before
    # A click where Auto-layout was lays the blocks out; it does not undo the last edit.
    point = bar.mapTo(window, before["&Auto-layout"].center())
    under = window.childAt(point)  # the widget a real click there reaches, as Qt finds it
    qtbot.mouseClick(under, Qt.MouseButton.LeftButton, pos=under.mapFrom(window, point))
    stack = window.editor.undo_stack
    assert stack.text(stack.index() - 1) == "Auto-layout"
    assert window.editor.project.node("n6").params["units"] == 12


# ----------------------------------------------------------------------------- editing


def _ctrl(qtbot, widget, key: Qt.Key) -> None:
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.ControlModifier)


def test_paste_lands_at_the_cursor_or_beside_the_original_never_on_top(
        window: MainWindow, qtbot) -> None:
    window.activateWindow()
    qtbot.waitActive(window)  # the Edit menu's shortcuts go to the focused canvas
    view, scene, project = window.view, window.scene, window.editor.project
    view.fit_to_view()
    original = project.node("n2").position
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(scene.node_item("n2").sceneBoundingRect().center()))
    assert scene.selected_node_ids() == ["n2"]
    _ctrl(qtbot, view, Qt.Key.Key_C)
    empty = scene.items_bounding_rect().bottomLeft() + QPointF(100, 100)
    view.centerOn(empty)
    qtbot.mouseMove(view.viewport(), view.mapFromScene(empty))
    _ctrl(qtbot, view, Qt.Key.Key_V)
    first = scene.selected_node_ids()[0]
    assert project.node(first).position == (scene.snapped(empty).x(), scene.snapped(empty).y())
    _ctrl(qtbot, view, Qt.Key.Key_V)  # the mouse has not moved: beside the first paste
    second = scene.selected_node_ids()[0]
    x, y = project.node(first).position
    assert project.node(second).position == (x + 40, y + 40)
    qtbot.mouseMove(window.palette.tree.viewport())  # the mouse leaves the canvas
    view.setFocus()
    _ctrl(qtbot, view, Qt.Key.Key_V)
    _ctrl(qtbot, view, Qt.Key.Key_V)
    pasted = scene.selected_node_ids()[0]
    assert project.node(pasted).position == (original[0] + 80, original[1] + 80)
    window.paste(QPointF(600, 400))  # a menu that knows where it was opened
    assert project.node(scene.selected_node_ids()[0]).position == (600.0, 400.0)
    positions = [n.position for n in project.nodes.values()]
    assert len(set(positions)) == len(positions)  # no block exactly on top of another


def test_selecting_a_block_keeps_the_keyboard_on_the_canvas(window: MainWindow, qtbot) -> None:
    """The inspector's page for the block opens no window of its own (a field's caption
    once did, for an instant), so the canvas keeps the keyboard for Ctrl+C and Delete."""
    window.activateWindow()
    qtbot.waitActive(window)
    view = window.view
    view.fit_to_view()
    centre = window.scene.node_item("n6").sceneBoundingRect().center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(centre))
    QApplication.processEvents()
    assert window.inspector.findChildren(QLabel)  # the block's page is built
    assert window.isActiveWindow() and QApplication.focusWidget() is view
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "n6" not in window.editor.project.nodes


def _in_next_file_dialog(typed: str | None) -> list[str]:
    """On the next file dialog (Qt's own, as offscreen has no native one): note the folder
    it opens in, then choose ``typed`` or cancel. Returns the folders seen."""
    from PySide6.QtWidgets import QFileDialog

    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog.directory().absolutePath())
        if typed is None:
            dialog.reject()
            return
        dialog.selectFile(typed)
        dialog.accept()

    QTimer.singleShot(0, answer)
    return seen


def test_file_dialogs_start_in_the_last_folder_and_save_as_names_the_project(
        window: MainWindow, qtbot, tmp_path: Path) -> None:
    window.new_project()
    assert window.editor.project.name == "Untitled"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    seen = [_in_next_file_dialog(str(first / "digits"))]
    assert window.save_as()
    assert window.editor.path == first / "digits.deepwire"
    assert window.editor.project.name == "digits"  # "Untitled" follows the file's name
    assert files.load(first / "digits.deepwire").name == "digits"
    assert window.windowTitle().startswith("digits.deepwire") and not window.editor.dirty
    seen.append(_in_next_file_dialog(str(second / "copy.deepwire")))
    assert window.save_as()
    assert window.editor.project.name == "digits"  # named now: a later Save As keeps it
    seen.append(_in_next_file_dialog(None))
    window.open_dialog()
    window.editor.set_tensorflow_ready()
    seen.append(_in_next_file_dialog(None))
    window.export_python()
    assert [folder for (folder,) in seen[1:]] == [str(first), str(second), str(second)]
    restarted = MainWindow(window.settings)  # the last folder is kept in the settings
    qtbot.addWidget(restarted)
    assert restarted.dialog_folder() == second


def _status(window: MainWindow) -> str:
    return re.sub("<[^>]+>", "", window.validity_label.text())


def test_the_status_bar_counts_in_plain_words(window: MainWindow, qtbot) -> None:
    window.new_project()
    search = window.palette.search
    qtbot.keyClicks(search, "input")
    qtbot.keyClick(search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _status(window) == "1 block · shapes pending")
    window.editor.set_tensorflow_ready()
    assert _status(window) == "● 2 errors · 1 block"  # no Output, no dataset
    search.clear()
    qtbot.keyClicks(search, "output")
    qtbot.keyClick(search, Qt.Key.Key_Return)  # added after the Input and wired to it
    qtbot.waitUntil(lambda: _status(window) == "● 1 error · 2 blocks")
    summary = window.summary.label.text()
    assert "2 blocks, 1 wire<" in summary and ">1 error<" in summary
