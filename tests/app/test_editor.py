"""Every edit is one undo command; undo and redo restore the document exactly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import resources
from app import autosave
from app.editor import Editor
from projects import files
from projects.document import DocumentError, Link, TrainingSettings


@pytest.fixture
def editor(qtbot) -> Editor:
    editor = Editor()
    editor.replace_project(files.load(resources.examples_dir() / "cnn_digits.deepwire"), None)
    return editor


def _round_trip(editor: Editor, edit) -> None:
    """Apply ``edit``; one command appears; undo gives the old file text, redo the new."""
    before = files.dumps(editor.project)
    count = editor.undo_stack.count()
    edit()
    after = files.dumps(editor.project)
    assert after != before
    assert editor.undo_stack.count() == count + 1
    editor.undo_stack.undo()
    assert files.dumps(editor.project) == before
    editor.undo_stack.redo()
    assert files.dumps(editor.project) == after


def test_add_block(editor: Editor) -> None:
    _round_trip(editor, lambda: editor.add_block("dense", (10.0, 20.0), {"units": 3}))


def test_add_block_after_selection_wires_it(editor: Editor) -> None:
    _round_trip(editor, lambda: editor.add_block_after("dense", ["n8"]))
    new = editor.project.links_into("n10")
    assert new == [Link("n8", "out", "n10", "in")]


def test_delete_blocks_with_their_links(editor: Editor) -> None:
    _round_trip(editor, lambda: editor.remove_nodes(["n3", "n5"]))
    assert "n3" not in editor.project.nodes


def test_move_of_many_blocks_is_one_command(editor: Editor) -> None:
    nodes = editor.project.nodes
    _round_trip(editor, lambda: editor.move_nodes({
        "n1": (nodes["n1"].position, (5.0, 5.0)), "n2": (nodes["n2"].position, (300.0, 7.5))}))


def test_connect_and_disconnect(editor: Editor) -> None:
    editor.remove_nodes(["n7"])  # frees Dense n8's input
    _round_trip(editor, lambda: editor.connect("n6", "out", "n8", "in"))
    _round_trip(editor, lambda: editor.disconnect(Link("n6", "out", "n8", "in")))


def test_refused_connection_changes_nothing(editor: Editor) -> None:
    merge = editor.add_block("add", (0.0, 0.0))
    dense = editor.add_block("dense", (0.0, 0.0))
    editor.connect("n2", "out", merge, "in1")
    editor.connect(merge, "out", dense, "in")
    before, count = files.dumps(editor.project), editor.undo_stack.count()
    with pytest.raises(DocumentError, match="would make a loop"):
        editor.connect(dense, "out", merge, "in2")
    with pytest.raises(DocumentError, match="already wired from Digit image"):
        editor.connect("n8", "out", "n2", "in")
    assert files.dumps(editor.project) == before and editor.undo_stack.count() == count


def test_parameter_edits_merge_into_one_command(editor: Editor) -> None:
    before = files.dumps(editor.project)
    for units in (65, 66, 70):
        editor.set_param("n6", "units", units)
    assert editor.undo_stack.count() == 1
    assert editor.project.node("n6").params["units"] == 70
    editor.undo_stack.undo()
    assert files.dumps(editor.project) == before
    editor.set_param("n6", "units", 80)
    editor.set_param("n7", "rate", 0.3)  # another parameter: a new command
    assert editor.undo_stack.count() == 2


def test_invalid_parameter_is_refused_without_a_command(editor: Editor) -> None:
    with pytest.raises(ValueError, match="units must be at least 1"):
        editor.set_param("n6", "units", 0)
    assert editor.undo_stack.count() == 0


def test_title_and_settings(editor: Editor) -> None:
    _round_trip(editor, lambda: editor.set_title("n6", "Hidden"))
    _round_trip(editor, lambda: editor.set_setting("name", "Renamed"))
    _round_trip(editor, lambda: editor.set_setting("task", {"kind": "adversarial"}))
    _round_trip(editor, lambda: editor.set_setting("dataset", {"name": "mnist"}))
    _round_trip(editor, lambda: editor.set_setting(
        "training", TrainingSettings(epochs=3, batch_size=8)))
    _round_trip(editor, lambda: editor.set_setting("notes", "remember this"))


def test_paste_gives_new_ids_and_brings_internal_links(editor: Editor) -> None:
    fragment = editor.copy(["n2", "n3", "n4"])
    _round_trip(editor, lambda: editor.paste(fragment))
    new_ids = sorted(set(editor.project.nodes) - {f"n{i}" for i in range(1, 10)})
    assert new_ids == ["n10", "n11", "n12"]
    internal = [k for k in editor.project.links if k.source in new_ids]
    assert internal == [Link("n10", "out", "n11", "in"), Link("n11", "out", "n12", "in")]
    assert editor.project.node("n10").position == (
        editor.project.node("n2").position[0] + 40, editor.project.node("n2").position[1] + 40)


def test_auto_layout_is_one_command_without_overlaps(editor: Editor) -> None:
    for node_id in editor.project.nodes:
        editor.project.move_node(node_id, (0.0, 0.0))  # pile everything up (not undoable)
    editor.undo_stack.clear()
    sizes = {i: (180.0, 110.0) for i in editor.project.nodes}
    _round_trip(editor, lambda: editor.auto_layout(sizes))
    rects = [(x, y, x + 180, y + 110) for x, y in
             (n.position for n in editor.project.nodes.values())]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_unsaved_mark_follows_the_undo_stack(editor: Editor, tmp_path: Path) -> None:
    assert not editor.dirty
    editor.set_param("n6", "units", 12)
    assert editor.dirty
    editor.save(tmp_path / "p.deepwire")
    assert not editor.dirty and editor.path == tmp_path / "p.deepwire"
    editor.undo_stack.undo()
    assert editor.dirty


def test_opening_a_broken_file_keeps_the_current_project(editor: Editor, tmp_path: Path
                                                        ) -> None:
    broken = tmp_path / "broken.deepwire"
    broken.write_text('{"format": "deepwire-project", "format_version": 99}')
    editor.set_param("n6", "units", 12)
    before = files.dumps(editor.project)
    with pytest.raises(files.ProjectFileError, match="newer Deepwire"):
        editor.open(broken)
    assert files.dumps(editor.project) == before and editor.dirty


def test_autosave_writes_unsaved_work_and_recovery_finds_it(editor: Editor, tmp_path: Path
                                                            ) -> None:
    saver = autosave.AutoSaver(editor, folder=tmp_path, interval_ms=10_000)
    assert not saver.save_now() and not saver.project_file.exists()  # nothing unsaved
    editor.set_param("n6", "units", 33)
    assert saver.save_now()
    assert files.dumps(files.load(saver.project_file)) == files.dumps(editor.project)
    assert autosave.find_recoverable(tmp_path) == []  # this process is still running
    # A session that crashed: same files, under the id of a process that is gone.
    dead = _dead_pid()
    for path in (saver.project_file, saver.meta_file):
        path.rename(path.with_name(path.name.replace(f"session-{os.getpid()}",
                                                     f"session-{dead}")))
    meta = tmp_path / f"session-{dead}.json"
    meta.write_text(meta.read_text().replace(f'"pid": {os.getpid()}', f'"pid": {dead}'))
    [found] = autosave.find_recoverable(tmp_path)
    assert files.load(found.project_file).node("n6").params["units"] == 33
    autosave.forget(found)
    assert autosave.find_recoverable(tmp_path) == [] and not any(tmp_path.iterdir())


def test_autosave_timer_fires(editor: Editor, tmp_path: Path, qtbot) -> None:
    saver = autosave.AutoSaver(editor, folder=tmp_path, interval_ms=50)
    editor.set_param("n6", "units", 44)
    qtbot.waitUntil(saver.project_file.exists, timeout=10_000)
    editor.save(tmp_path / "saved.deepwire")
    qtbot.waitUntil(lambda: not saver.project_file.exists(), timeout=10_000)


def _dead_pid() -> int:
    pid = 999_999
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def test_removing_a_wired_merge_input_is_refused_without_a_command(editor: Editor) -> None:
    merge = editor.add_block("concatenate", (0.0, 0.0), {"num_inputs": 3})
    editor.connect("n2", "out", merge, "in3")
    count = editor.undo_stack.count()
    with pytest.raises(DocumentError, match="disconnect input in3"):
        editor.set_param(merge, "num_inputs", 2)
    assert editor.undo_stack.count() == count
    with pytest.raises(DocumentError, match="needs a name"):
        editor.set_setting("name", "   ")


def test_settings_are_checked_by_the_document(editor: Editor) -> None:
    count = editor.undo_stack.count()
    for key, value in [("task", {"kind": "clustering"}), ("name", ""),
                       ("training", TrainingSettings(learning_rate=0))]:
        with pytest.raises(DocumentError) as refused:
            editor.set_setting(key, value)
        with pytest.raises(DocumentError) as checked:
            editor.project.check_setting(key, value)
        assert str(refused.value) == str(checked.value)
    assert editor.undo_stack.count() == count


def test_the_summary_names_the_dataset_by_its_menu_title(qtbot) -> None:
    from app.panels import SummaryPanel

    editor = Editor()
    panel = SummaryPanel(editor)
    qtbot.addWidget(panel)
    editor.set_setting("dataset", {"name": "key_tokens"})
    panel.refresh()
    assert "Key tokens" in panel.label.text() and "key_tokens" not in panel.label.text()
