"""`deepwire predict` on a model that takes text: --text (repeated), a CSV's text column and a
.txt file of lines, checked against plain Keras predictions of the saved model on a numpy
object array of str; empty texts and --text on a model that takes numbers are refused."""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np
import pytest

from projects import cli, files
from projects import events as ev
from projects.evaluation import open_run
from projects.predict import Predictor, predict_run
from projects.training import RunFailure, RunOptions, Trainer
from tests.projects.support import only_run_folder, tiny_project
from tests.projects.test_text_vectorization import _texts_csv, attention_project

TEXTS = ["What a lovely superb film", "awful, dreadful acting"]


def _train(path: Path) -> Path:
    result = Trainer(files.load(path), path, RunOptions(tensorboard=False, probes=False)).run()
    assert isinstance(result, ev.Finished), result
    return only_run_folder(path.with_name(path.stem + ".runs"))


@pytest.fixture(scope="module")
def text_run(tmp_path_factory) -> Path:
    """Short reviews through multi-head and additive attention (class names bad, good)."""
    folder = tmp_path_factory.mktemp("text_predict")
    _texts_csv(folder / "texts.csv", rows=120)
    project = attention_project()
    path = folder / "texts.deepwire"
    files.save(project, path)
    return _train(path)


def _keras_probabilities(run: Path, texts: list[str]) -> np.ndarray:
    model = keras.saving.load_model(run / "model.keras")
    return model.predict(np.array(texts, dtype=object), verbose=0)


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    return rows[0], rows[1:]


def test_texts_given_with_text_predict_as_keras_does(text_run, tmp_path, capsys) -> None:
    out = tmp_path / "predictions.csv"
    code = cli.main(["predict", str(text_run), "--text", TEXTS[0], "--text", TEXTS[1],
                     "--out", str(out)])
    assert code == cli.EXIT_OK
    expected = _keras_probabilities(text_run, TEXTS)
    header, rows = _read(out)
    assert header == ["id", "text", "predicted", "p_bad", "p_good"]
    assert [row[:2] for row in rows] == [["1", TEXTS[0]], ["2", TEXTS[1]]]
    np.testing.assert_allclose([[float(v) for v in row[3:]] for row in rows], expected,
                               rtol=1e-5, atol=1e-7)
    names = [["bad", "good"][k] for k in expected.argmax(axis=1)]
    assert names == ["good", "bad"]  # the model learnt the deciding words
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed == [f"{names[0]} ({expected[0].max():.1%}): {TEXTS[0]}",
                       f"{names[1]} ({expected[1].max():.1%}): {TEXTS[1]}",
                       f"predicted 2 texts from 2 given texts; wrote {out}"]


def test_a_csv_text_column_and_a_text_file_are_read(text_run, tmp_path) -> None:
    (tmp_path / "new.csv").write_text('label,text\nx,"A great, happy plot"\ny,sad film\n',
                                      encoding="utf-8")
    from_csv = predict_run(text_run, tmp_path / "new.csv")
    assert from_csv.ids == ["row 2", "row 3"]
    assert from_csv.texts == ["A great, happy plot", "sad film"]
    np.testing.assert_allclose(from_csv.probabilities,
                               _keras_probabilities(text_run, from_csv.texts), rtol=1e-5,
                               atol=1e-7)
    (tmp_path / "new.txt").write_text("A great, happy plot\n\n  sad film  \n", encoding="utf-8")
    from_lines = predict_run(text_run, tmp_path / "new.txt")
    assert from_lines.ids == ["line 1", "line 3"] and from_lines.texts == from_csv.texts
    np.testing.assert_allclose(from_lines.probabilities, from_csv.probabilities, rtol=1e-6)
    # The attention of both blocks, over each text's words only.
    assert from_lines.tokens == [["[UNK]", "great", "happy", "plot"], ["sad", "[UNK]"]]
    additive = next(w for w in from_lines.attention.values() if w.ndim == 2)
    assert additive[1, 2:].max() == 0.0 and abs(additive[1, :2].sum() - 1.0) < 1e-5


def test_empty_texts_and_other_inputs_are_refused(text_run, tmp_path, capsys) -> None:
    assert cli.main(["predict", str(text_run), "--text", "  "]) == cli.EXIT_INVALID
    assert capsys.readouterr().err.startswith("error: The text is empty.\n  hint: ")
    assert cli.main(["predict", str(text_run), "--text", "good", "--text", ""]) == (
        cli.EXIT_INVALID)
    assert capsys.readouterr().err.startswith("error: Text 2 is empty.")
    assert cli.main(["predict", str(text_run)]) == cli.EXIT_INVALID
    assert "give either an INPUT file or --text" in capsys.readouterr().err
    (tmp_path / "gap.csv").write_text("text,label\nfine film,a\n,b\nsad,c\n",
                                      encoding="utf-8")
    with pytest.raises(RunFailure, match=r"gap\.csv, row 3, column 'text' \(A\): the text "
                                         "is empty"):
        predict_run(text_run, tmp_path / "gap.csv")
    (tmp_path / "other.csv").write_text("message\nfine film\n", encoding="utf-8")
    with pytest.raises(RunFailure, match=r"other\.csv has no column 'text' \(it has "
                                         r"'message'\)"):
        predict_run(text_run, tmp_path / "other.csv")
    np.save(tmp_path / "x.npy", np.zeros((2, 3)))
    with pytest.raises(RunFailure, match="the model takes text, so give it texts"):
        predict_run(text_run, tmp_path / "x.npy")


def test_text_on_a_model_that_takes_numbers_is_refused(tmp_path, capsys) -> None:
    run = _train(tiny_project(tmp_path / "tiny", samples=64, epochs=1))
    assert cli.main(["predict", str(run), "--text", "hello"]) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert "the model takes samples of shape" in err and "not text" in err
    assert "Input block is of type string" in err
    typed = Predictor(open_run(run))
    assert not typed.takes_text()
