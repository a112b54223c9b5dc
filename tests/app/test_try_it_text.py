"""The Try it tab on a model that takes text: a sentence typed key by key and Enter pressed
gives the saved model's own prediction, with the attention of both attention blocks over
its words (padding not drawn); an empty text is refused in words."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

import resources
from projects import events as ev
from projects import files
from projects.document import TrainingSettings
from projects.training import RunOptions, Trainer
from tests.app import test_try_it
from tests.app.test_dashboard import word_ticks_stand_apart
from tests.app.test_try_it import _settle
from tests.projects.support import only_run_folder

view = test_try_it.view  # the Try it view fixture, shared
SENTENCE = "Congratulations! You have won a prize, call now"
MHA, POOLING = "n5", "n12"  # the example's Self-attention and Attention pooling blocks


@pytest.fixture(scope="module")
def text_run(tmp_path_factory) -> Path:
    """The text example, trained briefly on a few hundred messages."""
    folder = tmp_path_factory.mktemp("try_it_text")
    project = files.load(resources.examples_dir() / "text_spam_transformer.deepwire")
    project.set_dataset({"name": "short_messages", "samples": 400})
    project.set_training(TrainingSettings(epochs=2, batch_size=32, learning_rate=3e-3,
                                          validation_split=0.2, test_split=0.1))
    path = folder / "text.deepwire"
    files.save(project, path)
    result = Trainer(files.load(path), path, RunOptions(tensorboard=False, probes=False)).run()
    assert isinstance(result, ev.Finished), result
    return only_run_folder(folder / "text.runs")


def _ticks(plot, axis: str) -> list[str]:
    return [label for _, label in plot.getAxis(axis)._tickLevels[0]]


def test_a_typed_sentence_shows_its_prediction_and_attention_over_its_words(
        view, text_run, qtbot, screenshot_dir) -> None:
    view.set_run_folder(text_run)
    _settle(view)
    assert view.values_edit.placeholderText().startswith("Type a text and press Enter")
    qtbot.keyClicks(view.values_edit, SENTENCE)
    qtbot.keyClick(view.values_edit, Qt.Key.Key_Return)
    _settle(view)
    assert view.message() == ""
    assert view.source_combo.currentText() == "Typed text"
    model = keras.saving.load_model(text_run / "model.keras")
    logits = model.predict(np.array([SENTENCE], dtype=object), verbose=0)[0]
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(view.shown_probabilities(), expected, rtol=1e-5, atol=1e-7)
    assert _ticks(view.bars_plot, "left") == ["ham", "spam"]
    best = ["ham", "spam"][int(expected.argmax())]
    assert view.prediction_label.text().startswith(f"Predicted: <b>{best}</b>")

    # The words the model reads, from its own vocabulary: padding left out.
    layer = next(layer for layer in model.layers
                 if isinstance(layer, keras.layers.TextVectorization))
    vocabulary = layer.get_vocabulary()
    words = [vocabulary[t] for t in np.asarray(layer(np.array([SENTENCE], dtype=object)))[0]
             if t]
    assert words[:3] == ["congratulations", "you", "have"] and len(words) < 32
    assert view.sample_text.text() == (f"{SENTENCE}\n\nWords the model reads: "
                                       + " · ".join(words))
    attention = view.attention
    assert attention.isVisible()
    blocks = {attention.block_combo.itemData(i) for i in range(attention.block_combo.count())}
    assert blocks == {MHA, POOLING}
    attention.block_combo.setCurrentIndex(attention.block_combo.findData(MHA))
    assert attention.head_combo.count() == 3  # mean of the heads, head 1, head 2
    n = len(words)
    for head in range(3):
        attention.head_combo.setCurrentIndex(head)
        shown = attention.shown_weights()
        assert shown.shape == (n, n)  # padding is not drawn
        np.testing.assert_allclose(shown.sum(axis=-1), 1.0, rtol=1e-5)  # none of it on padding
        word_ticks_stand_apart(attention.heatmap_plot, "bottom", words)
        word_ticks_stand_apart(attention.heatmap_plot, "left", words)
    assert [image.image.shape for image in attention.head_images] == [(n, n), (n, n)]
    qtbot.wait(50)
    view.grab().save(str(screenshot_dir / "try_it_text.png"))
    attention.block_combo.setCurrentIndex(attention.block_combo.findData(POOLING))
    assert attention.bars_widget.isVisible()
    assert attention.bars_widget.height() > attention.heatmap_widget.height()  # not a sliver
    bars = np.asarray(attention.bars.opts["height"])
    assert bars.shape == (n,) and abs(float(bars.sum()) - 1.0) < 1e-5
    word_ticks_stand_apart(attention.bars_plot, "bottom", words)


def test_an_empty_text_is_refused(view, text_run, qtbot) -> None:
    view.set_run_folder(text_run)
    _settle(view)
    qtbot.keyClicks(view.values_edit, "   ")
    qtbot.keyClick(view.values_edit, Qt.Key.Key_Return)
    _settle(view)
    assert view.message().startswith("The text is empty.")


def test_a_csv_of_messages_is_browsed_sample_by_sample(view, text_run, tmp_path, qtbot) -> None:
    texts = ["Urgent! Claim your cash prize now", "see you at the pub at 8"]
    (tmp_path / "messages.csv").write_text("text\n" + "\n".join(texts) + "\n",
                                           encoding="utf-8")
    view.set_run_folder(text_run)
    _settle(view)
    view.open_file(tmp_path / "messages.csv")  # what the Open File… dialog calls
    _settle(view)
    assert view.source_combo.currentText() == "File: messages.csv"
    assert view.count_label.text() == "of 2 samples"
    model = keras.saving.load_model(text_run / "model.keras")
    logits = model.predict(np.array(texts, dtype=object), verbose=0)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(view.shown_probabilities(), probabilities[0], rtol=1e-5,
                               atol=1e-7)
    QTest.keyClick(view.sample_spin, Qt.Key.Key_Up)
    _settle(view)
    np.testing.assert_allclose(view.shown_probabilities(), probabilities[1], rtol=1e-5,
                               atol=1e-7)
    assert view.sample_text.text().startswith(f"row 3: {texts[1]}\n\nWords the model reads: ")
