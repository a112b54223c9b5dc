"""The Try it tab, driven as a person would: split and sample chosen with the keyboard,
token ids typed and Enter pressed, an image file opened, a graph node picked; what the
bars show is checked against the saved model's own Keras predictions."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.dashboard.try_it import TryItView
from projects import events as ev
from projects import files
from projects.document import Project, TrainingSettings
from projects.evaluation import open_run
from projects.training import RunOptions, Trainer
from tests.projects.support import add_two_layer_gcn, only_run_folder

SEQUENCE = [5, 1, 9, 9, 2, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]


def _train(project: Project, folder: Path) -> Path:
    path = folder / f"{project.name}.deepwire"
    files.save(project, path)
    result = Trainer(files.load(path), path, RunOptions(tensorboard=False, probes=False)).run()
    assert isinstance(result, ev.Finished), result
    return only_run_folder(folder / f"{project.name}.runs")


def _chain(project: Project, *blocks: tuple[str, dict, str]) -> None:
    previous = None
    for block, params, port in blocks:
        node = project.add_node(block, params)
        if previous is not None:
            project.add_link(previous[0], previous[1], node.id, port)
        previous = (node.id, "context" if block == "simple_attention" else "out")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Three small finished runs: token ids through multi-head and additive attention,
    8×8 digit images, and a GCN on the karate club."""
    folder = tmp_path_factory.mktemp("try_it")
    tokens = Project("tokens")
    _chain(tokens, ("input", {"shape": [16], "dtype": "int32"}, ""),
           ("embedding", {"input_dim": 32, "output_dim": 8}, "in"),
           ("multi_head_attention", {"d_model": 8, "num_heads": 2}, "query"),
           ("simple_attention", {"units": 4}, "values"),
           ("dense", {"units": 4, "activation": "softmax"}, "in"), ("output", {}, "in"))
    tokens.set_dataset({"name": "key_tokens", "samples": 120})
    tokens.set_training(TrainingSettings(epochs=1, batch_size=32))
    digits = Project("digits")
    _chain(digits, ("input", {"shape": [8, 8, 1]}, ""), ("flatten", {}, "in"),
           ("dense", {"units": 10, "activation": "softmax"}, "in"), ("output", {}, "in"))
    digits.set_dataset({"name": "digits"})
    digits.set_training(TrainingSettings(epochs=1, batch_size=64))
    karate = Project("karate")
    karate.set_task({"kind": "node_classification"})
    add_two_layer_gcn(karate, 34, 4, 2)
    karate.set_dataset({"name": "karate"})
    karate.set_training(TrainingSettings(epochs=2, learning_rate=0.05))
    return {p.name: _train(p, folder) for p in (tokens, digits, karate)}


@pytest.fixture
def view(qtbot):
    shown = TryItView()
    qtbot.addWidget(shown)
    shown.resize(1000, 720)
    shown.show()
    yield shown
    shown.close_jobs()


def _settle(view: TryItView) -> None:
    assert view.jobs.wait(120)


def test_the_split_and_the_sample_are_picked_with_the_keyboard(view, runs, qtbot,
                                                                screenshot_dir) -> None:
    view.set_run_folder(runs["tokens"])
    _settle(view)
    past = open_run(runs["tokens"])
    data, model = past.data(), past.model()
    assert view.source_combo.currentText() == "Validation part"
    assert view.count_label.text() == f"of {data.num_val} samples"
    np.testing.assert_allclose(view.shown_probabilities(),
                               model.predict(data.x_val[:1], verbose=0)[0], rtol=1e-6)
    QTest.keyClick(view.sample_spin, Qt.Key.Key_Up)
    _settle(view)
    assert view.sample_spin.value() == 2
    np.testing.assert_allclose(view.shown_probabilities(),
                               model.predict(data.x_val[1:2], verbose=0)[0], rtol=1e-6)
    assert view.sample_text.text() == "Tokens: " + " ".join(str(t) for t in data.x_val[1])
    true = data.class_names[int(data.y_val[1])]
    assert f"true: {true}" in view.prediction_label.text()
    # Attention: the multi-head block's heads and the additive block's bars, for this input.
    assert view.attention.isVisible()
    blocks = [view.attention.block_combo.itemData(i)
              for i in range(view.attention.block_combo.count())]
    assert blocks == ["n3", "n4"]
    assert view.attention.head_combo.count() == 3  # mean of heads, head 1, head 2
    np.testing.assert_allclose(view.attention.shown_weights().sum(axis=-1), 1.0, rtol=1e-5)
    view.sample_spin.lineEdit().selectAll()
    qtbot.keyClicks(view.sample_spin, "5")
    qtbot.keyClick(view.sample_spin, Qt.Key.Key_Return)
    _settle(view)
    np.testing.assert_allclose(view.shown_probabilities(),
                               model.predict(data.x_val[4:5], verbose=0)[0], rtol=1e-6)
    qtbot.wait(50)
    view.grab().save(str(screenshot_dir / "try_it_tokens.png"))
    QTest.keyClick(view.source_combo, Qt.Key.Key_Down)
    _settle(view)
    assert view.source_combo.currentText() == "Test part"
    np.testing.assert_allclose(view.shown_probabilities(),
                               model.predict(data.x_test[:1], verbose=0)[0], rtol=1e-6)


def test_a_typed_token_sequence_predicts_on_enter_and_bad_ones_are_explained(
        view, runs, qtbot) -> None:
    view.set_run_folder(runs["tokens"])
    _settle(view)
    assert "Type 16 token ids from 0 to 31" in view.values_edit.placeholderText()
    qtbot.keyClicks(view.values_edit, " ".join(str(t) for t in SEQUENCE))
    qtbot.keyClick(view.values_edit, Qt.Key.Key_Return)
    _settle(view)
    model = keras.saving.load_model(runs["tokens"] / "model.keras")
    expected = model.predict(np.array([SEQUENCE], dtype="int32"), verbose=0)[0]
    np.testing.assert_allclose(view.shown_probabilities(), expected, rtol=1e-6)
    assert view.source_combo.currentText() == "Typed values"
    assert view.attention.shown_weights().shape == (16, 16)  # mean of the heads
    view.values_edit.clear()
    qtbot.keyClicks(view.values_edit, "1 2 3")
    qtbot.keyClick(view.values_edit, Qt.Key.Key_Return)
    _settle(view)
    assert view.message().startswith("Input block 'Input (n1)' takes samples of shape (16,) "
                                     "but the token sequence has (3,).")
    np.testing.assert_allclose(view.shown_probabilities(), expected, rtol=1e-6)  # kept
    view.values_edit.clear()
    qtbot.keyClicks(view.values_edit, "1 2 three")
    qtbot.keyClick(view.values_edit, Qt.Key.Key_Return)
    _settle(view)
    assert view.message().startswith("'three' is not a number.")


def test_an_image_file_is_converted_as_the_digits_were(view, runs, tmp_path, qtbot,
                                                        screenshot_dir) -> None:
    import tensorflow as tf

    pixels = np.random.default_rng(2).integers(0, 256, (16, 16, 1), dtype=np.uint8)
    path = tmp_path / "mine.png"
    path.write_bytes(tf.io.encode_png(pixels).numpy())
    view.set_run_folder(runs["digits"])
    _settle(view)
    view.open_file(path)  # what the Open File… dialog calls
    _settle(view)
    assert view.source_combo.currentText() == "File: mine.png"
    assert "resized to 8×8 pixels as the model takes them: mine.png (16×16)" in view.message()
    small = np.clip(np.round(tf.image.resize(pixels, (8, 8), antialias=True).numpy()), 0, 255)
    model = keras.saving.load_model(runs["digits"] / "model.keras")
    expected = model.predict(small[None].astype("float32") / 255.0, verbose=0)[0]
    np.testing.assert_allclose(view.shown_probabilities(), expected, rtol=1e-4, atol=1e-6)
    assert not view.sample_image.pixmap().isNull()
    assert view.bars_widget.isVisible() and not view.attention.isVisible()
    qtbot.wait(50)
    view.grab().save(str(screenshot_dir / "try_it_image.png"))
    (tmp_path / "broken.png").write_bytes(b"not an image")
    view.open_file(tmp_path / "broken.png")
    _settle(view)
    assert view.message().startswith("broken.png: not a readable image")


def test_a_graph_node_shows_its_prediction_and_neighbours(view, runs, qtbot,
                                                          screenshot_dir) -> None:
    view.set_run_folder(runs["karate"])
    _settle(view)
    assert not view.values_edit.isVisible() and not view.open_button.isVisible()
    view.source_combo.setCurrentText("All nodes")
    QTest.keyClick(view.sample_spin, Qt.Key.Key_Up)  # node 1
    past = open_run(runs["karate"])
    data = past.data()
    logits = past.model().predict((data.features, data.adjacency().toarray()), batch_size=34,
                                  verbose=0)
    expected = np.exp(logits[1]) / np.exp(logits[1]).sum()
    np.testing.assert_allclose(view.shown_probabilities(), expected, rtol=1e-4)
    neighbours = sorted({int(v) for u, v in data.edges if u == 1} |
                        {int(u) for u, v in data.edges if v == 1})
    text = view.sample_text.text()
    assert text.startswith(f"Node 1: {len(neighbours)} neighbours")
    assert [int(line.split(":")[0]) for line in text.splitlines()[1:]] == neighbours
    assert view.count_label.text() == "of 34 nodes · node 1"
    qtbot.wait(50)  # the layout settles
    view.grab().save(str(screenshot_dir / "try_it_graph.png"))


def test_a_typed_table_row_predicts_a_value(view, tmp_path, qtbot, screenshot_dir) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 3))
    rows = [f"{a:.4f},{b:.4f},{c:.4f},{a - 2 * b + c:.4f}" for a, b, c in x]
    (tmp_path / "table.csv").write_text("x1,x2,x3,target\n" + "\n".join(rows) + "\n")
    project = Project("table")
    _chain(project, ("input", {"shape": [3]}, ""),
           ("dense", {"units": 1, "activation": "linear"}, "in"),
           ("output", {"loss": "mean_squared_error"}, "in"))
    project.set_dataset({"name": "csv", "path": "table.csv", "label_column": "target"})
    project.set_training(TrainingSettings(epochs=1, batch_size=8))
    run = _train(project, tmp_path)
    view.set_run_folder(run)
    _settle(view)
    assert view.values_edit.placeholderText() == ("Type 3 numbers separated by commas: x1, "
                                                  "x2, x3.")
    qtbot.keyClicks(view.values_edit, "0.5, -1, 2")
    qtbot.keyClick(view.values_edit, Qt.Key.Key_Return)
    _settle(view)
    model = keras.saving.load_model(run / "model.keras")
    value = model.predict(np.array([[0.5, -1.0, 2.0]], dtype="float32"), verbose=0)[0, 0]
    assert view.prediction_label.text() == f"Predicted value: <b>{value:.6g}</b>"
    assert view.sample_text.text().split() == ["x1", "=", "0.5", "x2", "=", "-1", "x3", "=",
                                               "2"]
    assert not view.bars_widget.isVisible()
    view.source_combo.setCurrentText("Validation part")
    _settle(view)
    data = open_run(run).data()
    value = model.predict(data.x_val[:1], verbose=0)[0, 0]
    assert view.prediction_label.text().startswith(f"Predicted value: <b>{value:.6g}</b>")
    assert f"true: {data.y_val[0]:.6g}" in view.prediction_label.text()
    qtbot.wait(50)
    view.grab().save(str(screenshot_dir / "try_it_table.png"))
    view.values_edit.clear()
    qtbot.keyClicks(view.values_edit, "1, 2")
    qtbot.keyClick(view.values_edit, Qt.Key.Key_Return)
    _settle(view)
    assert view.message() == ("2 values given, but the model takes 3: x1, x2, x3.\n"
                              "Type 3 numbers separated by commas: x1, x2, x3.")


def test_selecting_one_past_run_in_the_runs_list_tries_it(window, runs, qtbot,
                                                         screenshot_dir) -> None:
    window.runs_dir_override = runs["digits"].parent
    window.central_tabs.setCurrentWidget(window._training_tab)
    window._update_runs_dir()
    tree = window.runs.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 1 and tree.isVisible())
    qtbot.wait(50)
    item = tree.topLevelItem(0)
    rect = tree.visualItemRect(item)  # wider than the panel: click near its left end
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.topLeft() + QPoint(20, rect.height() // 2))
    try_it = window.dashboard.try_it
    assert try_it._folder == runs["digits"]
    window.dashboard.tabs.setCurrentWidget(try_it)  # loads once shown
    _settle(try_it)
    assert try_it.source_combo.currentText() == "Validation part"
    assert try_it.shown_probabilities() is not None
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "try_it_window.png"))
