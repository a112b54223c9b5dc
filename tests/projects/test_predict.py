"""`deepwire predict` and projects/predict.py: new inputs prepared as the run's data was,
checked against plain Keras predictions of the saved model, and clear refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np
import pytest

from projects import cli, files
from projects import events as ev
from projects.document import Project, TrainingSettings
from projects.evaluation import open_run
from projects.predict import Predictor, predict_run
from projects.training import RunFailure, RunOptions, Trainer
from tests.projects.support import add_two_layer_gcn, only_run_folder, tiny_project

QUIET = RunOptions(tensorboard=False, probes=False)


def _train(path: Path) -> Path:
    result = Trainer(files.load(path), path, QUIET).run()
    assert isinstance(result, ev.Finished), result
    return only_run_folder(path.with_name(path.stem + ".runs"))


def _chain(project: Project, *blocks: tuple[str, dict]) -> None:
    previous = None
    for block, params in blocks:
        node = project.add_node(block, params)
        if previous is not None:
            project.add_link(previous, "out", node.id, "in")
        previous = node.id


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as file:
        rows = list(csv.reader(file))
    return rows[0], rows[1:]


def _probabilities(rows: list[list[str]]) -> np.ndarray:
    return np.array([[float(v) for v in row[2:]] for row in rows])


# ----------------------------------------------------------------------------- a table run


@pytest.fixture(scope="module")
def table_run(tmp_path_factory) -> dict:
    """Three feature columns in their own units, scaled 0 to 1 by the dataset; class names."""
    folder = tmp_path_factory.mktemp("table")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    names = np.array(["cat", "dog", "owl"])[rng.integers(0, 3, 60)]
    lines = ["a,b,c,label"] + [f"{a:.4f},{b:.4f},{c:.4f},{n}"
                               for (a, b, c), n in zip(features, names, strict=True)]
    (folder / "table.csv").write_text("\n".join(lines) + "\n")
    project = Project("table")
    _chain(project, ("input", {"shape": [3]}), ("dense", {"units": 8, "activation": "tanh"}),
           ("dense", {"units": 3, "activation": "softmax"}), ("output", {}))
    project.set_dataset({"name": "csv", "path": "table.csv", "label_column": "label",
                         "scale": "unit"})
    project.set_training(TrainingSettings(epochs=2, batch_size=16, seed=1))
    path = folder / "table.deepwire"
    files.save(project, path)
    stored = np.array([[float(v) for v in line.split(",")[:3]] for line in lines[1:]],
                      dtype=np.float32)
    return {"folder": folder, "run": _train(path), "stored": stored}


def test_a_csv_is_read_by_column_name_and_scaled_as_in_training(table_run, capsys) -> None:
    folder, run, stored = table_run["folder"], table_run["run"], table_run["stored"]
    new = np.array([[0.5, 7.0, -20.0], [-1.0, 30.0, 400.0]], dtype=np.float32)
    # Another order, the label column present, and a column the model does not know.
    (folder / "new.csv").write_text("label,c,note,a,b\n" + "\n".join(
        f"owl,{c},x,{a},{b}" for a, b, c in new) + "\n")
    out = folder / "predictions.csv"
    code = cli.main(["predict", str(run), str(folder / "new.csv"), "--out", str(out)])
    assert code == cli.EXIT_OK
    assert capsys.readouterr().out.strip() == (
        f"predicted 2 samples from {folder / 'new.csv'}; wrote {out}")
    header, rows = _read(out)
    assert header == ["id", "predicted", "p_cat", "p_dog", "p_owl"]
    assert [row[0] for row in rows] == ["2", "3"]  # spreadsheet rows: the header is row 1
    low, high = stored.min(axis=0), stored.max(axis=0)
    expected = keras.saving.load_model(run / "model.keras").predict(
        np.clip((new - low) / (high - low), 0, 1), verbose=0)
    np.testing.assert_allclose(_probabilities(rows), expected, rtol=1e-5, atol=1e-7)
    assert [row[1] for row in rows] == [["cat", "dog", "owl"][k] for k in
                                        expected.argmax(axis=1)]


def test_the_validation_part_predicts_as_the_model_saw_it(table_run) -> None:
    predictor = Predictor(open_run(table_run["run"]))
    samples = predictor.split("validation")
    data = predictor.run.data()
    assert len(samples) == data.num_val == 12
    predictions = predictor.predict(samples)
    expected = predictor.run.model().predict(data.x_val, verbose=0)
    np.testing.assert_allclose(predictions.probabilities, expected, rtol=1e-6)
    assert predictions.true_text(0) == data.class_names[int(data.y_val[0])]
    # The same rows typed as values: the typed path scales as the file path does.
    row = ", ".join(f"{v:g}" for v in table_run["stored"][0])
    typed = predictor.predict(predictor.values(row))
    from_file = predict_run(table_run["run"], table_run["folder"] / "table.csv")
    np.testing.assert_allclose(typed.probabilities[0], from_file.probabilities[0], rtol=1e-6)


def test_refusals_name_the_file_and_what_was_expected(table_run, capsys) -> None:
    folder, run = table_run["folder"], table_run["run"]
    (folder / "short.csv").write_text("a,c,label\n1,2,cat\n")
    code = cli.main(["predict", str(run), str(folder / "short.csv"),
                     "--out", str(folder / "x.csv")])
    assert code == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert (f"error: {folder / 'short.csv'} lacks the feature column 'b' the model was "
            "trained on (it has 'a', 'c', 'label').") in err
    assert "hint: Give a CSV with the columns a, b, c (by name, in any order" in err
    assert not (folder / "x.csv").exists()
    (folder / "empty.csv").write_text("")
    assert cli.main(["predict", str(run), str(folder / "empty.csv")]) == cli.EXIT_INVALID
    assert "empty.csv is empty: it needs a header row" in capsys.readouterr().err
    (folder / "bad.csv").write_text("a,b,c\n1,two,3\n")
    with pytest.raises(RunFailure, match=r"bad.csv, row 2, column 'b' \(B\): 'two' is not a "
                                         "number"):
        predict_run(run, folder / "bad.csv")
    np.save(folder / "wide.npy", np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(RunFailure, match=r"Input block 'Input \(n1\)' takes samples of shape "
                                         r"\(3,\) but .*wide.npy has \(5,\)"):
        predict_run(run, folder / "wide.npy")
    predictor = Predictor(open_run(run))
    with pytest.raises(RunFailure, match="2 values given, but the model takes 3: a, b, c"):
        predictor.values("1, 2")
    with pytest.raises(RunFailure, match="'x' is not a number"):
        predictor.values("1, x, 2")


# ----------------------------------------------------------------------------- arrays


def test_an_npy_input_predicts_as_keras_does(tmp_path: Path, capsys) -> None:
    run = _train(tiny_project(tmp_path / "tiny", samples=64, epochs=1))
    x = np.random.default_rng(3).normal(size=(5, 8))  # float64: converted as training did
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out.csv"
    assert cli.main(["predict", str(run), str(tmp_path / "x.npy"), "--out",
                     str(out)]) == cli.EXIT_OK
    header, rows = _read(out)
    assert header == ["id", "predicted", "p_0", "p_1", "p_2"]
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "5"]
    expected = keras.saving.load_model(run / "model.keras").predict(x.astype("float32"),
                                                                    verbose=0)
    np.testing.assert_allclose(_probabilities(rows), expected, rtol=1e-5, atol=1e-7)
    capsys.readouterr()
    np.savez(tmp_path / "one.npz", n1=x[0])  # by the Input block's id; one sample
    assert predict_run(run, tmp_path / "one.npz").probabilities.shape == (1, 3)
    np.save(tmp_path / "none.npy", np.zeros((0, 8)))
    assert cli.main(["predict", str(run), str(tmp_path / "none.npy")]) == cli.EXIT_INVALID
    assert "none.npy holds no samples" in capsys.readouterr().err
    np.savez(tmp_path / "two.npz", a=x, b=x)
    with pytest.raises(RunFailure, match=r"two.npz has no array for the Input block 'Input "
                                         r"\(n1\)' \(it has: a, b\)"):
        predict_run(run, tmp_path / "two.npz")


# ----------------------------------------------------------------------------- images


def _png(path: Path, pixels: np.ndarray) -> None:
    import tensorflow as tf

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tf.io.encode_png(pixels).numpy())


def test_an_image_folder_is_read_and_scaled_as_the_image_dataset_was(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    for name in ("dark", "light"):
        for i in range(6):
            base = 40 if name == "dark" else 200
            _png(tmp_path / "train" / name / f"{i}.png",
                 np.clip(base + rng.normal(0, 30, (6, 5, 3)), 0, 255).astype(np.uint8))
    project = Project("images")
    _chain(project, ("input", {"shape": [6, 5, 3]}), ("flatten", {}),
           ("dense", {"units": 2, "activation": "softmax"}), ("output", {}))
    project.set_dataset({"name": "image_folder", "path": "train"})
    project.set_training(TrainingSettings(epochs=1, batch_size=4))
    path = tmp_path / "images.deepwire"
    files.save(project, path)
    run = _train(path)
    pictures = rng.integers(0, 256, (3, 6, 5, 3), dtype=np.uint8)
    for i, picture in enumerate(pictures):
        _png(tmp_path / "new" / f"img{i}.png", picture)
    predictions = predict_run(run, tmp_path / "new")
    assert predictions.ids == ["img0.png", "img1.png", "img2.png"]
    assert predictions.class_names == ["dark", "light"]
    model = keras.saving.load_model(run / "model.keras")
    expected = model.predict(pictures.astype("float32") / 255.0, verbose=0)
    np.testing.assert_allclose(predictions.probabilities, expected, rtol=1e-5, atol=1e-7)
    assert predictions.notes == ()
    # Another size is resized to the model's, and the notes say so; grey becomes RGB.
    _png(tmp_path / "big" / "big.png", rng.integers(0, 256, (12, 10, 1), dtype=np.uint8))
    bigger = predict_run(run, tmp_path / "big")
    assert bigger.notes == ("resized to 5×6 pixels as the model takes them: big.png (10×12)",)
    (tmp_path / "nothing").mkdir()
    with pytest.raises(RunFailure, match="nothing holds no images"):
        predict_run(run, tmp_path / "nothing")


# ----------------------------------------------------------------------------- graphs


def test_a_graph_run_predicts_every_node_of_its_own_graph(tmp_path: Path, capsys) -> None:
    project = Project("karate")
    project.set_task({"kind": "node_classification"})
    add_two_layer_gcn(project, 34, 4, 2)
    project.set_dataset({"name": "karate"})
    project.set_training(TrainingSettings(epochs=2, learning_rate=0.05))
    path = tmp_path / "karate.deepwire"
    files.save(project, path)
    run = _train(path)
    out = tmp_path / "nodes.csv"
    assert cli.main(["predict", str(run), "graph", "--out", str(out)]) == cli.EXIT_OK
    assert capsys.readouterr().out.strip().startswith("predicted 34 nodes from the graph")
    header, rows = _read(out)
    assert header[:2] == ["id", "predicted"] and len(header) == 4
    assert [row[0] for row in rows] == [str(i) for i in range(34)]
    past = open_run(run)
    data = past.data()
    logits = keras.saving.load_model(run / "model.keras").predict(
        (data.features, data.adjacency().toarray()), batch_size=34, verbose=0)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(_probabilities(rows), expected, rtol=1e-4, atol=1e-6)
    predictor = Predictor(past)
    test = predictor.predict(predictor.split("test"))
    nodes = np.flatnonzero(data.test_mask)
    assert test.ids == [str(i) for i in nodes] and len(nodes) == data.num_test
    np.testing.assert_allclose(test.probabilities, expected[nodes], rtol=1e-4, atol=1e-6)
    assert test.labels.tolist() == data.labels[nodes].tolist()
    assert cli.main(["predict", str(run), str(tmp_path / "other.csv")]) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert ("other.csv: a node-classification model predicts the nodes of the graph it "
            "trained on, not another input.") in err
    assert "hint: Give 'graph'" in err


# ----------------------------------------------------------------------------- attention


@pytest.fixture(scope="module")
def token_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tokens")
    project = Project("tokens")
    tokens = project.add_node("input", {"shape": [16], "dtype": "int32"})
    embed = project.add_node("embedding", {"input_dim": 32, "output_dim": 8})
    mha = project.add_node("multi_head_attention", {"d_model": 8, "num_heads": 2})
    pool = project.add_node("simple_attention", {"units": 4})
    scores = project.add_node("dense", {"units": 4, "activation": "softmax"})
    output = project.add_node("output", {})
    project.add_link(tokens.id, "out", embed.id, "in")
    project.add_link(embed.id, "out", mha.id, "query")
    project.add_link(mha.id, "out", pool.id, "values")
    project.add_link(pool.id, "context", scores.id, "in")
    project.add_link(scores.id, "out", output.id, "in")
    project.set_dataset({"name": "key_tokens", "samples": 120})
    project.set_training(TrainingSettings(epochs=1, batch_size=32))
    path = folder / "tokens.deepwire"
    files.save(project, path)
    return _train(path)


def test_attention_maps_come_with_the_probabilities(token_run: Path) -> None:
    predictor = Predictor(open_run(token_run))
    sequence = [5, 1, 9, 9, 2, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    predictions = predictor.predict(predictor.values(" ".join(map(str, sequence))))
    expected = predictor.run.model().predict(np.array([sequence], dtype="int32"), verbose=0)
    np.testing.assert_allclose(predictions.probabilities, expected, rtol=1e-6)
    assert predictions.class_names == [f"key {k} first" for k in range(1, 5)]
    assert predictions.attention["n3"].shape == (1, 2, 16, 16)
    assert predictions.attention["n4"].shape == (1, 16)
    assert predictions.tokens == [[str(t) for t in sequence]]
    with pytest.raises(RunFailure, match=r"Input block 'Input \(n1\)' takes samples of shape "
                                         r"\(16,\) but the token sequence has \(3,\)"):
        predictor.values("1 2 3")
    with pytest.raises(RunFailure, match="the token id 40 is out of range; the model's "
                                         "Embedding takes ids from 0 to 31"):
        predictor.values(" ".join(["40"] * 16))


def test_a_regression_run_writes_the_predicted_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(80, 4)).astype("float32")
    np.savez(tmp_path / "data.npz", x=x, y=x @ [1.0, -2.0, 0.5, 3.0])
    project = Project("values")
    _chain(project, ("input", {"shape": [4]}), ("dense", {"units": 1, "activation": "linear"}),
           ("output", {"loss": "mean_squared_error"}))
    project.set_dataset({"name": "npz", "path": "data.npz"})
    project.set_training(TrainingSettings(epochs=1, batch_size=16))
    path = tmp_path / "values.deepwire"
    files.save(project, path)
    run = _train(path)
    np.save(tmp_path / "new.npy", x[:3])
    out = tmp_path / "values.csv"
    assert cli.main(["predict", str(run), str(tmp_path / "new.npy"), "--out",
                     str(out)]) == cli.EXIT_OK
    header, rows = _read(out)
    assert header == ["id", "predicted"]
    expected = keras.saving.load_model(run / "model.keras").predict(x[:3], verbose=0)[:, 0]
    np.testing.assert_allclose([float(row[1]) for row in rows], expected, rtol=1e-6)


def test_a_gan_run_has_no_predictions(tmp_path: Path, capsys) -> None:
    """Refused from the run's snapshot alone, before any model loads."""
    from tests.projects.test_export import gan_project

    run = tmp_path / "run"
    run.mkdir()
    files.save(gan_project(), run / "project.deepwire")
    (run / "run.json").write_text("{}")
    (run / "model.keras").write_bytes(b"")
    assert cli.main(["predict", str(run), str(tmp_path / "x.npy")]) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert f"error: {run} is a GAN's run: its model generates samples" in err
    assert "hint: See its samples in the dashboard's GAN tab." in err


def test_values_scaled_already_get_a_note(tmp_path: Path, capsys) -> None:
    """Digits are stored as counts 0 to 16, which the run scaled to 0 to 1: input is taken
    as stored and scaled the same way, so values already within 0 to 1 are flagged."""
    from dataclasses import replace

    from sklearn.datasets import load_digits

    import resources

    path = tmp_path / "cnn_digits.deepwire"
    project = files.load(resources.examples_dir() / "cnn_digits.deepwire")
    project.set_training(replace(project.training, epochs=1))
    files.save(project, path)
    run = _train(path)
    raw = load_digits().images[:6].reshape(-1, 8, 8, 1).astype("float32")
    np.save(tmp_path / "raw.npy", raw)
    np.save(tmp_path / "scaled.npy", raw / 16.0)
    assert cli.main(["predict", str(run), str(tmp_path / "raw.npy"), "--out",
                     str(tmp_path / "raw.csv")]) == cli.EXIT_OK
    assert "note:" not in capsys.readouterr().out
    expected = keras.saving.load_model(run / "model.keras").predict(raw / 16.0, verbose=0)
    np.testing.assert_allclose(_probabilities(_read(tmp_path / "raw.csv")[1]), expected,
                               rtol=1e-5, atol=1e-7)
    assert cli.main(["predict", str(run), str(tmp_path / "scaled.npy"), "--out",
                     str(tmp_path / "scaled.csv")]) == cli.EXIT_OK
    assert "values lie within 0 to 1, while the run's data ran up to 16" in \
        capsys.readouterr().out
