"""The inspector, driven as a person would: typing into fields, clicking boxes and combos."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QThreadPool
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QToolButton

import resources
from app.block_page import BlockPage, SelectionPage
from app.dataset_form import fields_for, pickers, ready_made, spec_for_file
from app.editor import Editor
from app.fields import Field
from app.inspector import Inspector
from blocks.spec import format_shape
from projects import files
from projects.datasets import load_dataset, registry
from projects.document import TASK_TITLES, DocumentError

DENSE, DROPOUT, INPUT, SOFTMAX = "n6", "n7", "n1", "n8"  # in cnn_digits.deepwire


@pytest.fixture(autouse=True)
def _no_loads_left_running():
    yield
    assert QThreadPool.globalInstance().waitForDone(60_000), "a dataset load never finished"


@pytest.fixture
def editor(qtbot) -> Editor:
    editor = Editor()
    editor.replace_project(files.load(resources.examples_dir() / "cnn_digits.deepwire"), None)
    return editor


@pytest.fixture
def inspector(qtbot, editor) -> Inspector:
    inspector = Inspector(editor)
    qtbot.addWidget(inspector)
    inspector.resize(360, 900)
    inspector.show()
    return inspector


def type_into(qtbot, field: Field, text: str, enter: bool = False) -> None:
    """Select what the field holds and type over it, key by key."""
    QTest.keyClick(field.input, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field.input, text)
    if enter:
        QTest.keyClick(field.input, Qt.Key.Key_Return)


def pick(qtbot, combo: QComboBox, text: str) -> None:
    """Open the combo's list with the mouse and click the entry titled ``text``."""
    qtbot.wait(100)  # let a page that just appeared settle, as it would under a real mouse
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # the popup ignores a release sooner
    row = combo.findText(text)
    assert row >= 0, f"{text!r} is not in the combo"
    view.scrollTo(view.model().index(row, 0))
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseMove(view.viewport(), rect.center())  # hovering makes the entry current
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible())


def page(inspector: Inspector) -> BlockPage:
    assert isinstance(inspector.page, BlockPage)
    return inspector.page


# ----------------------------------------------------------------------------- block page


def test_valid_edit_applies_as_one_undo_command(qtbot, inspector, editor) -> None:
    inspector.show_nodes([DENSE])
    field = page(inspector).fields["units"]
    assert field.input.text() == "64"
    before = editor.undo_stack.count()
    type_into(qtbot, field, "128")
    assert editor.project.node(DENSE).params["units"] == 128
    assert editor.undo_stack.count() == before + 1  # three keystrokes, one command
    assert not field.invalid


def test_undo_updates_the_field_without_a_new_command(qtbot, inspector, editor) -> None:
    inspector.show_nodes([DENSE])
    field = page(inspector).fields["units"]
    type_into(qtbot, field, "128")
    count = editor.undo_stack.count()
    editor.undo_stack.undo()
    assert field.input.text() == "64"
    assert editor.project.node(DENSE).params["units"] == 64
    assert editor.undo_stack.count() == count and editor.undo_stack.canRedo()
    editor.undo_stack.redo()
    assert field.input.text() == "128"


@pytest.mark.parametrize(("node_id", "param", "text", "message"), [
    (DENSE, "units", "0", "units must be at least 1. Received: units=0"),
    (DENSE, "units", "abc", "units must be a whole number"),
    (DROPOUT, "rate", "1.5", "rate must be at most 0.99. Received: rate=1.5"),
    (INPUT, "shape", "0, 3", "shape dimensions must be positive whole numbers"),
])
def test_refused_value_is_shown_invalid_and_not_applied(qtbot, inspector, editor, node_id,
                                                        param, text, message) -> None:
    inspector.show_nodes([node_id])
    field = page(inspector).fields[param]
    saved, count = files.dumps(editor.project), editor.undo_stack.count()
    type_into(qtbot, field, text)
    assert field.invalid
    assert message in field.error_text
    assert field.error.isVisible() and field.error.text() == field.error_text
    assert field.input.property("invalid") is True
    assert files.dumps(editor.project) == saved
    assert editor.undo_stack.count() == count
    QTest.keyClick(field.input, Qt.Key.Key_Escape)  # back to the document's value
    assert not field.invalid and field.input.text() == field._to_text(field.value)


def test_shape_field_applies_a_typed_shape(qtbot, inspector, editor) -> None:
    inspector.show_nodes([INPUT])
    field = page(inspector).fields["shape"]
    assert field.input.text() == "8, 8, 1"
    type_into(qtbot, field, "28, 28, 1")
    assert editor.project.node(INPUT).params["shape"] == (28, 28, 1)
    assert not field.invalid


def test_arrow_keys_step_within_the_limits(qtbot, inspector, editor) -> None:
    inspector.show_nodes([DENSE])
    field = page(inspector).fields["units"]
    type_into(qtbot, field, "1")
    QTest.keyClick(field.input, Qt.Key.Key_Down)  # 0 would be refused: stays at 1
    assert field.input.text() == "1" and not field.invalid
    QTest.keyClick(field.input, Qt.Key.Key_Up)
    assert editor.project.node(DENSE).params["units"] == 2


def test_choice_and_bool_editors_apply(qtbot, inspector, editor) -> None:
    inspector.show_nodes([DENSE])
    fields = page(inspector).fields
    pick(qtbot, fields["activation"].input, "tanh")
    assert editor.project.node(DENSE).params["activation"] == "tanh"
    box = fields["use_bias"].input
    assert box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert editor.project.node(DENSE).params["use_bias"] is False
    editor.undo_stack.undo()
    assert box.isChecked()
    editor.undo_stack.undo()
    assert fields["activation"].input.currentText() == "relu"


def test_title_edit_is_one_command(qtbot, inspector, editor) -> None:
    inspector.show_nodes([DENSE])
    title = page(inspector).title_edit
    assert title.placeholderText() == "Dense"
    count = editor.undo_stack.count()
    qtbot.keyClicks(title, "Hidden")
    QTest.keyClick(title, Qt.Key.Key_Return)
    assert editor.project.node(DENSE).title == "Hidden"
    assert editor.undo_stack.count() == count + 1
    editor.undo_stack.undo()
    assert title.text() == ""


def test_block_header_names_type_id_and_category(inspector) -> None:
    inspector.show_nodes([DROPOUT])
    block = page(inspector)
    assert block.heading.text() == "Dropout"
    assert block.subtitle.text() == "Core · dropout · n7"
    assert "overfitting" in block.doc.text()
    assert "Fraction of inputs to drop" in block.fields["rate"].caption.text()
    assert block.fields["rate"].input.toolTip() == "Fraction of inputs to drop while training."


def test_shapes_and_parameter_count_follow_the_report(qtbot, inspector, editor) -> None:
    inspector.show_nodes([DENSE])
    block = page(inspector)
    assert set(block.outputs.texts().values()) == {"pending…"}
    editor.set_tensorflow_ready()
    report = editor.report
    shapes = report.shapes[DENSE]
    assert block.outputs.texts()["out"] == format_shape(shapes.outputs["out"].shape)
    assert block.outputs.texts()["Parameters"] == f"{shapes.params:,}"
    upstream = report.shapes["n5"].outputs["out"]
    assert block.inputs.texts()["in"] == format_shape(upstream.shape)
    assert not block.pending_note.isVisible()

    with qtbot.waitSignal(editor.reportChanged):
        type_into(qtbot, block.fields["units"], "100")
    assert block.outputs.texts()["out"] == "(None, 100)"
    assert editor.report.shapes[DENSE].params == 64 * 100 + 100
    assert block.outputs.texts()["Parameters"] == "6,500"


def test_problems_of_the_block_are_listed(qtbot, inspector, editor) -> None:
    editor.set_tensorflow_ready()
    lonely = editor.add_block("dense", (600.0, 400.0))
    editor.validate_now()
    inspector.show_nodes([lonely])
    block = page(inspector)
    assert block.inputs.texts()["in"] == "not connected"
    messages = [i.message for i in editor.report.for_node(lonely)]
    assert messages and all(any(m in t for t in block.problem_texts()) for m in messages)
    assert block.problems.isVisible()


# ----------------------------------------------------------------------------- selection


def test_selection_decides_the_page(qtbot, inspector, editor) -> None:
    assert inspector.page is inspector.project_page
    inspector.show_nodes([DENSE])
    assert isinstance(inspector.page, BlockPage) and inspector.page.node_id == DENSE
    editor.set_tensorflow_ready()
    inspector.show_nodes([DENSE, SOFTMAX])
    several = inspector.page
    assert isinstance(several, SelectionPage)
    assert several.heading.text() == "2 blocks selected"
    total = editor.report.shapes[DENSE].params + editor.report.shapes[SOFTMAX].params
    assert several.total.text() == f"Parameters: {total:,} in total"
    inspector.show_nodes([])
    assert inspector.page is inspector.project_page


def test_deleting_or_replacing_returns_to_the_project(qtbot, inspector, editor) -> None:
    inspector.show_nodes([DENSE])
    editor.remove_nodes([DENSE])
    assert inspector.page is inspector.project_page
    inspector.show_nodes([DROPOUT])
    editor.replace_project(files.load(resources.examples_dir() / "gcn_karate.deepwire"), None)
    assert inspector.page is inspector.project_page
    assert inspector.project_page.task.input.currentData() == "node_classification"


# ----------------------------------------------------------------------------- project page


def test_task_titles_are_the_documents(inspector) -> None:
    combo = inspector.project_page.task.input
    shown = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert shown == TASK_TITLES
    assert [combo.itemData(i) for i in range(combo.count())] == list(TASK_TITLES)


def test_task_change_goes_through_undo(qtbot, inspector, editor) -> None:
    task = inspector.project_page.task
    count = editor.undo_stack.count()
    pick(qtbot, task.input, "Adversarial (GAN)")
    assert editor.project.task["kind"] == "adversarial"
    assert editor.undo_stack.count() == count + 1
    editor.undo_stack.undo()
    assert editor.project.task["kind"] == "supervised"
    assert task.input.currentData() == "supervised"


def test_training_settings_apply_and_undo(qtbot, inspector, editor) -> None:
    fields = inspector.project_page.training
    count = editor.undo_stack.count()
    type_into(qtbot, fields["epochs"], "50")
    assert editor.project.training.epochs == 50
    assert editor.undo_stack.count() == count + 1
    editor.undo_stack.undo()
    assert fields["epochs"].input.text() == "30"
    type_into(qtbot, fields["learning_rate"], "0.01")
    pick(qtbot, fields["optimizer"].input, "SGD")
    assert editor.project.training.learning_rate == 0.01
    assert editor.project.training.optimizer == "sgd"


def test_weight_decay_may_be_left_to_the_optimizer(qtbot, inspector, editor) -> None:
    field = inspector.project_page.training["weight_decay"]
    assert field.input.text() == "" and field.input.placeholderText() == "optimizer's own"
    type_into(qtbot, field, "5e-4")
    assert editor.project.training.weight_decay == 5e-4
    QTest.keyClick(field.input, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(field.input, Qt.Key.Key_Backspace)
    assert editor.project.training.weight_decay is None and not field.invalid


def test_stopping_settings_apply_and_their_rows_follow_the_switches(qtbot, inspector,
                                                                     editor) -> None:
    fields = inspector.project_page.training
    assert not fields["early_stopping_patience"].isEnabled()
    assert not fields["reduce_lr_factor"].isEnabled()
    qtbot.mouseClick(fields["early_stopping"].input, Qt.MouseButton.LeftButton)
    assert editor.project.training.early_stopping
    assert fields["early_stopping_patience"].isEnabled()
    type_into(qtbot, fields["early_stopping_patience"], "4")
    pick(qtbot, fields["monitor"].input, "Validation accuracy")
    qtbot.mouseClick(fields["reduce_lr_on_plateau"].input, Qt.MouseButton.LeftButton)
    type_into(qtbot, fields["reduce_lr_factor"], "1")
    assert "training reduce_lr_factor must be a number in (0, 1)" in fields[
        "reduce_lr_factor"].error_text
    type_into(qtbot, fields["reduce_lr_factor"], "0.5")
    training = editor.project.training
    assert (training.early_stopping_patience, training.monitor, training.reduce_lr_on_plateau,
            training.reduce_lr_factor) == (4, "val_accuracy", True, 0.5)
    editor.undo_stack.undo()
    assert fields["reduce_lr_factor"].input.text() == "0.1"


@pytest.mark.parametrize(("name", "text", "message"), [
    ("epochs", "0", "training epochs must be a whole number from 1 to 100000"),
    ("batch_size", "many", "Received: batch_size='many'"),
    ("learning_rate", "0", "training learning_rate must be a number in (0, 10]"),
    ("validation_split", "1", "training validation_split must be in [0, 1)"),
    ("weight_decay", "2", "training weight_decay must be empty (the optimizer's default)"),
])
def test_invalid_training_values_are_refused(qtbot, inspector, editor, name, text,
                                             message) -> None:
    field = inspector.project_page.training[name]
    saved = files.dumps(editor.project)
    type_into(qtbot, field, text)
    assert field.invalid and message in field.error_text
    assert files.dumps(editor.project) == saved


def test_blank_name_is_refused_with_the_documents_message(qtbot, inspector, editor) -> None:
    name = inspector.project_page.name
    with pytest.raises(DocumentError) as refused:
        editor.project.check_setting("name", "")
    count = editor.undo_stack.count()
    type_into(qtbot, name, "   ", enter=True)
    assert name.invalid and name.error_text == str(refused.value)
    assert editor.project.name == "CNN on 8x8 digits"
    assert editor.undo_stack.count() == count
    type_into(qtbot, name, "Digits", enter=True)
    assert editor.project.name == "Digits" and not name.invalid


def test_notes_apply_after_a_pause_in_typing(qtbot, inspector, editor) -> None:
    notes = inspector.project_page.notes
    QTest.keyClick(notes, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    count = editor.undo_stack.count()
    qtbot.keyClicks(notes, " Try more filters.")
    assert not editor.project.notes.endswith("filters.")  # not on every keystroke
    qtbot.waitUntil(lambda: editor.project.notes.endswith(" Try more filters."), timeout=10_000)
    assert editor.undo_stack.count() == count + 1
    editor.undo_stack.undo()
    assert not notes.toPlainText().endswith("filters.")


# ----------------------------------------------------------------------------- dataset


def test_the_dataset_choices_are_the_registry(inspector) -> None:
    combo = inspector.project_page.dataset.choice
    entries = [combo.itemData(i) for i in range(combo.count()) if combo.itemData(i)]
    files = {spec.name for _, specs in pickers().values() for spec in specs}
    assert [s.name for s in ready_made()] + [f"file:{p}" for p in pickers()] == entries
    assert {s.name for s in ready_made()} | files == set(registry.names())
    assert combo.itemText(0) == registry.get("digits").title
    assert spec_for_file("numpy", "a.npy") == {"name": "npy", "x_path": "a.npy"}
    assert spec_for_file("numpy", "a.npz") == {"name": "npz", "path": "a.npz"}
    assert fields_for("key_tokens", "supervised") == registry.get("key_tokens").params


def _row_labels(form) -> dict[str, str]:
    layout = form.fields_box.layout()
    return {key: layout.labelForField(field).text() for key, field in form.fields.items()}


def test_dataset_fields_show_their_titles_and_choice_titles(inspector, editor) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "sbm_graph"})
    editor.set_setting("task", {"kind": "node_classification"})
    assert _row_labels(form) == {
        "num_nodes": "Nodes", "num_classes": "Classes", "features": "Features",
        "average_degree": "Average degree", "homophily": "Homophily",
        "labelled_per_class": "Labelled per class", "data_seed": "Data seed"}
    editor.set_setting("task", {"kind": "supervised"})
    editor.set_setting("dataset", {"name": "npy", "x_path": "x.npy", "y_path": "y.npy"})
    assert _row_labels(form) == {"x_path": "Inputs file", "y_path": "Labels file",
                                 "scale": "Scale"}
    scale = form.fields["scale"].input
    assert [scale.itemText(i) for i in range(scale.count())] == [
        "Automatic", "0 to 1", "−1 to 1 (tanh)", "As stored"]
    assert [scale.itemData(i) for i in range(scale.count())] == [None, "unit", "tanh", "none"]
    editor.set_setting("dataset", {"name": "image_folder", "path": "pics", "channels": 3})
    assert _row_labels(form) == {"path": "Folder", "channels": "Channels", "scale": "Scale"}
    channels = form.fields["channels"].input
    assert [channels.itemText(i) for i in range(channels.count())] == [
        "As stored", "1: grey", "3: RGB", "4: RGBA"]
    assert channels.currentText() == "3: RGB"


def test_a_dataset_choice_applies_its_value(qtbot, inspector, editor) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "image_folder", "path": "pics"})
    pick(qtbot, form.fields["channels"].input, "1: grey")
    assert editor.project.dataset == {"name": "image_folder", "path": "pics", "channels": 1}
    pick(qtbot, form.fields["scale"].input, "−1 to 1 (tanh)")
    assert editor.project.dataset["scale"] == "tanh"
    pick(qtbot, form.fields["channels"].input, "As stored")
    assert editor.project.dataset == {"name": "image_folder", "path": "pics", "scale": "tanh"}


def test_the_file_dialog_is_titled_with_the_field(qtbot, inspector, editor,
                                                  monkeypatch) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "npy", "x_path": "x.npy", "y_path": "y.npy"})
    asked = []
    monkeypatch.setattr(form, "ask_path", lambda title, *args: asked.append(title) or "")
    form.fields["y_path"].findChild(QToolButton).click()
    assert asked == ["Choose: Labels file"]


def test_digits_preview_shows_description_and_thumbnails(qtbot, inspector, editor) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "key_tokens"})
    qtbot.waitUntil(lambda: form.preview.state == "ready", timeout=20_000)
    pick(qtbot, form.choice, "Digits: 8×8 handwriting")
    assert editor.project.dataset == {"name": "digits"}
    qtbot.waitUntil(lambda: form.preview.state == "ready"
                    and form.preview.description.text().startswith("digits"), timeout=20_000)
    expected = load_dataset({"name": "digits"}, seed=0, validation_split=0.2,
                            task_kind="supervised", test_split=0.1)
    assert form.preview.description.text() == expected.description
    assert form.preview.shapes.text() == "Input: (8, 8, 1)"
    assert form.preview.thumbnail_count() == 8
    assert form.preview.thumbnails.isVisible()


def test_another_projects_preview_never_stands_under_this_ones_dataset(qtbot, inspector,
                                                                      editor) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "marker_sequences", "samples": 0})
    qtbot.waitUntil(lambda: form.preview.state == "failed", timeout=20_000)
    editor.replace_project(files.load(resources.examples_dir() / "gcn_karate.deepwire"), None)
    assert form.preview.state == "loading" and form.preview.error == ""  # at once
    assert form.preview.status.text() == "Loading…"
    qtbot.waitUntil(lambda: form.preview.state == "ready"
                    and "karate" in form.preview.description.text(), timeout=20_000)


def test_text_and_graph_previews(qtbot, inspector, editor) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "key_tokens"})
    qtbot.waitUntil(lambda: form.preview.state == "ready"
                    and "key_tokens" in form.preview.description.text(), timeout=20_000)
    rows = form.preview.rows.text().splitlines()
    assert len(rows) == 4 and all("→ key" in row for row in rows)
    assert set(form.fields) >= {"samples", "length", "vocab", "classes"}
    editor.set_setting("task", {"kind": "node_classification"})
    editor.set_setting("dataset", {"name": "karate"})
    qtbot.waitUntil(lambda: form.preview.state == "ready"
                    and "karate" in form.preview.description.text(), timeout=20_000)
    assert "34 nodes · 78 edges" in form.preview.graph.text()


def test_dataset_field_applies_and_a_bad_one_is_blamed(qtbot, inspector, editor) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "marker_sequences"})
    field = form.fields["samples"]
    assert field.input.placeholderText() == "2000"
    type_into(qtbot, field, "300", enter=True)
    assert editor.project.dataset == {"name": "marker_sequences", "samples": 300}
    qtbot.waitUntil(lambda: form.preview.state == "ready"
                    and "210 train / 60 validation / 30 test" in form.preview.description.text(),
                    timeout=20_000)
    type_into(qtbot, field, "0", enter=True)  # the field's limits refuse it at once
    assert field.invalid and "samples must be at least 1" in field.error_text
    type_into(qtbot, field, "lots", enter=True)
    assert field.invalid and editor.project.dataset["samples"] == 300
    QTest.keyClick(field.input, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(field.input, Qt.Key.Key_Delete)
    QTest.keyClick(field.input, Qt.Key.Key_Return)  # empty: the default again
    assert editor.project.dataset == {"name": "marker_sequences"} and not field.invalid


def test_the_field_a_loading_error_names_is_framed_in_red(qtbot, inspector, editor) -> None:
    form = inspector.project_page.dataset
    editor.set_setting("dataset", {"name": "key_tokens", "classes": 8, "vocab": 9})
    qtbot.waitUntil(lambda: form.preview.state == "failed", timeout=20_000)
    assert "vocab must be a whole number from 10" in form.preview.error
    assert form.preview.error_field == "vocab"
    assert form.fields["vocab"].input.property("invalid") is True
    assert form.fields["classes"].input.property("invalid") is False
    type_into(qtbot, form.fields["vocab"], "40", enter=True)
    qtbot.waitUntil(lambda: form.preview.state == "ready", timeout=20_000)
    assert form.fields["vocab"].input.property("invalid") is False


def test_choosing_a_csv_file_shows_its_fields(qtbot, inspector, editor, tmp_path: Path,
                                              monkeypatch) -> None:
    table = tmp_path / "iris.csv"
    table.write_text("a,b,kind\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,10,x\n")
    form = inspector.project_page.dataset
    monkeypatch.setattr(form, "ask_path", lambda *args: str(table))  # the dialog's answer
    pick(qtbot, form.choice, "CSV file…")
    assert editor.project.dataset == {"name": "csv", "path": str(table)}
    qtbot.waitUntil(lambda: form.preview.state == "failed", timeout=20_000)
    assert "label_column" in form.preview.error
    assert form.fields["label_column"].input.property("invalid") is True
    type_into(qtbot, form.fields["label_column"], "kind", enter=True)
    qtbot.waitUntil(lambda: form.preview.state == "ready", timeout=20_000)
    assert form.preview.shapes.text() == "Input: (2,)"
    assert "→ x" in form.preview.rows.text() or "→ y" in form.preview.rows.text()


def test_cancelled_file_dialog_keeps_the_dataset(qtbot, inspector, editor, monkeypatch) -> None:
    form = inspector.project_page.dataset
    monkeypatch.setattr(form, "ask_path", lambda *args: "")
    pick(qtbot, form.choice, "NumPy file…")
    assert editor.project.dataset == {"name": "digits"}
    assert form.choice.currentData() == "digits"


@pytest.mark.skipif((Path.home() / ".keras" / "datasets" / "mnist.npz").exists(),
                    reason="MNIST is cached here, so it loads instead of failing")
def test_offline_mnist_says_it_must_be_downloaded(qtbot, inspector, editor) -> None:
    form = inspector.project_page.dataset
    pick(qtbot, form.choice, "MNIST (download)")
    assert editor.project.dataset == {"name": "mnist"}
    qtbot.waitUntil(lambda: form.preview.state == "failed" or (
        form.preview.state == "ready" and "mnist" in form.preview.description.text()),
        timeout=60_000)
    if form.preview.state == "ready":
        pytest.skip("this machine could download MNIST")
    assert "MNIST is not on this computer yet" in form.preview.error
    assert form.preview.status.isVisible()
    assert form.preview.status.property("role") == "error"


def test_scrolling_the_page_past_a_choice_does_not_change_it(qtbot) -> None:
    """The wheel over a combo box the user has not clicked scrolls the page; it does not
    pick another value (scrolling the inspector once changed a dataset's scale)."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    from app.fields import ChoiceField

    chosen: list = []
    field = ChoiceField([("One", 1), ("Two", 2), ("Three", 3)], chosen.append)
    qtbot.addWidget(field)
    field.show_value(1)
    field.show()
    combo = field.input

    def wheel() -> bool:
        centre = QPointF(combo.rect().center())
        event = QWheelEvent(centre, QPointF(combo.mapToGlobal(combo.rect().center())),
                            QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(combo, event)
        return event.isAccepted()

    assert not wheel()  # ignored: it goes on to the page
    assert combo.currentIndex() == 0 and not chosen
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel()  # a focused combo takes the wheel as Qt's does
    assert combo.currentIndex() == 1
