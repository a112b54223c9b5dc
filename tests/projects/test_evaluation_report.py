"""The Evaluation tab's numbers, headless: every figure of ``evaluate_predictions`` checked
against NumPy and scikit-learn on the model's own predictions, on data with the awkward
parts (class imbalance, a class absent from the split, unlabelled graph nodes, regression
outliers), plus attention maps of mistakes and a GAN's judged samples."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn import metrics

from projects import events as ev
from projects import files
from projects.document import Project, TrainingSettings
from projects.evaluation import (
    MISTAKES_SHOWN,
    digits_judge,
    evaluate_predictions,
    judge_samples,
    open_run,
)
from projects.training import RunFailure, RunOptions, Trainer
from tests.projects.support import only_run_folder
from tests.projects.test_evaluation import CLASSES, _graph_files, _graph_project

QUIET = RunOptions(tensorboard=False, probes=False)


def train(path: Path) -> Path:
    """Train the saved project at ``path``; its one run folder."""
    result = Trainer(files.load(path), path, QUIET).run()
    assert isinstance(result, ev.Finished), result
    return only_run_folder(path.with_name(path.stem + ".runs"))


def _dense_project(folder: Path, name: str, width: int, units: int, loss: str,
                   dataset: dict, epochs: int = 3) -> Path:
    project = Project(name)
    source = project.add_node("input", {"shape": [width]})
    hidden = project.add_node("dense", {"units": 8, "activation": "relu"})
    scores = project.add_node("dense", {"units": units,
                                        "activation": "linear" if units == 1 else "softmax"})
    output = project.add_node("output", {"loss": loss})
    project.add_link(source.id, "out", hidden.id, "in")
    project.add_link(hidden.id, "out", scores.id, "in")
    project.add_link(scores.id, "out", output.id, "in")
    project.set_dataset(dataset)
    project.set_training(TrainingSettings(epochs=epochs, batch_size=16, seed=3))
    path = folder / f"{name}.deepwire"
    files.save(project, path)
    return path


def _imbalanced_table(folder: Path) -> None:
    """120 rows, four classes 60/40/15/5; class 3 only in the training part."""
    rng = np.random.default_rng(7)
    labels = np.repeat([0, 1, 2, 3], [60, 40, 15, 5])
    rng.shuffle(labels)
    lines = ["a,b,label,split"]
    for i, label in enumerate(labels):
        a, b = label + rng.normal(scale=0.8), rng.normal()
        part = "train" if label == 3 else ("test" if i % 4 == 0 else "")
        lines.append(f"{a:.4f},{b:.4f},{label},{part}")
    (folder / "table.csv").write_text("\n".join(lines) + "\n")


def _regression_table(folder: Path) -> None:
    """y = 2a - b + noise, with three wild outliers in the test part."""
    rng = np.random.default_rng(8)
    lines = ["a,b,y,split"]
    for i in range(150):
        a, b = rng.normal(size=2)
        y = 2 * a - b + rng.normal(scale=0.1)
        part = "test" if i % 5 == 0 else ""
        if i in (0, 5, 10):
            y += 40.0
        lines.append(f"{a:.4f},{b:.4f},{y:.4f},{part}")
    (folder / "numbers.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A classifier on imbalanced rows, a regression with outliers, a GCN on a graph with
    unlabelled nodes: each trained for a few epochs."""
    folder = tmp_path_factory.mktemp("evaluation")
    _imbalanced_table(folder)
    _regression_table(folder)
    _graph_files(folder)
    table = {"name": "csv", "path": "table.csv", "label_column": "label"}
    numbers = {"name": "csv", "path": "numbers.csv", "label_column": "y"}
    return {
        "classes": train(_dense_project(folder, "classes", 2, 4,
                                        "sparse_categorical_crossentropy", table)),
        "regression": train(_dense_project(folder, "regression", 2, 1, "mean_squared_error",
                                           numbers, epochs=20)),
        "graph": train(_graph_project(folder, 2)),
    }


def _x(data, split: str):
    return data.x_val if split == "validation" else data.x_test


@pytest.mark.parametrize("split", ["validation", "test"])
def test_classification_figures_equal_sklearn_on_the_models_predictions(runs, split) -> None:
    run = open_run(runs["classes"])
    report = evaluate_predictions(run, split).classification
    data = run.data()
    y = data.y_val if split == "validation" else data.y_test
    p = np.asarray(run.model().predict(_x(data, split), verbose=0), dtype=np.float64)
    predicted = p.argmax(-1)
    assert 3 not in set(y.tolist())  # the class absent from the split still has its row
    assert report.class_names == ["0", "1", "2", "3"]
    np.testing.assert_array_equal(report.true, y)
    np.testing.assert_allclose(report.probabilities, p, atol=1e-6)
    np.testing.assert_array_equal(report.confusion, metrics.confusion_matrix(
        y, predicted, labels=[0, 1, 2, 3]))
    assert report.confusion.shape == (4, 4) and report.confusion[3].sum() == 0
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y, predicted, labels=[0, 1, 2, 3], zero_division=0)
    for ours, theirs in ((report.precision, precision), (report.recall, recall),
                         (report.f1, f1), (report.support, support)):
        np.testing.assert_allclose(ours, theirs)
    assert report.support.tolist() == np.bincount(y, minlength=4).tolist()
    assert report.accuracy == pytest.approx(np.mean(predicted == y))
    rows = report.confusion.sum(1, keepdims=True)
    np.testing.assert_allclose(report.normalised()[rows[:, 0] > 0],
                               (report.confusion / np.maximum(rows, 1))[rows[:, 0] > 0])
    assert not report.normalised()[3].any()
    # The mistakes: every wrong prediction, most confident first, with its row of data.
    mistakes = report.mistakes
    wrong = np.flatnonzero(predicted != y)
    assert len(mistakes) == min(len(wrong), MISTAKES_SHOWN) and len(wrong) > 0
    assert set(mistakes.index.tolist()) <= set(wrong.tolist())
    confidence = p[np.arange(len(p)), predicted]
    np.testing.assert_allclose(mistakes.confidence, confidence[mistakes.index], atol=1e-6)
    assert (np.diff(mistakes.confidence) <= 1e-12).all()
    assert mistakes.confidence.min() >= np.sort(confidence[wrong])[::-1][len(mistakes) - 1]
    np.testing.assert_array_equal(mistakes.true, y[mistakes.index])
    np.testing.assert_array_equal(mistakes.predicted, predicted[mistakes.index])
    np.testing.assert_allclose(mistakes.values, _x(data, split)[mistakes.index])
    assert mistakes.images is None and mistakes.tokens is None


def test_the_test_split_gives_the_same_accuracy_as_keras_evaluate(runs) -> None:
    from projects.evaluation import evaluate_run

    run = open_run(runs["classes"])
    assert evaluate_predictions(run, "test").classification.accuracy == pytest.approx(
        evaluate_run(run, "test")["accuracy"], abs=1e-6)


def test_graph_reports_count_only_labelled_nodes_of_the_split(runs) -> None:
    run = open_run(runs["graph"])
    data = run.data()
    # One more awkward part: unlabelled nodes inside the test mask must still not count.
    unlabelled = np.flatnonzero(data.labels < 0)
    assert len(unlabelled) == 12
    data.test_mask[unlabelled[:5]] = True
    evaluation = evaluate_predictions(run, "test")
    report = evaluation.classification
    from projects.training import _graph_tensors

    x, _ = _graph_tensors(data)
    logits = np.asarray(run.model().predict(x, verbose=0), dtype=np.float64)
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    nodes = np.flatnonzero(data.test_mask & (data.labels >= 0))
    y, predicted = data.labels[nodes], logits[nodes].argmax(-1)
    assert evaluation.count == len(nodes) == 24
    np.testing.assert_allclose(report.probabilities, probabilities[nodes], atol=1e-6)
    np.testing.assert_array_equal(report.confusion, metrics.confusion_matrix(
        y, predicted, labels=list(range(CLASSES))))
    assert report.confusion.sum() == 24 and report.support.sum() == 24
    assert report.accuracy == pytest.approx(np.mean(predicted == y))
    mistakes = report.mistakes
    np.testing.assert_array_equal(mistakes.nodes, nodes[mistakes.index])
    assert (data.labels[mistakes.nodes] != logits[mistakes.nodes].argmax(-1)).all()
    edges = data.edges
    for node, neighbours, labels, predictions, degree in zip(
            mistakes.nodes, mistakes.neighbours, mistakes.neighbour_labels,
            mistakes.neighbour_predictions, mistakes.degrees, strict=True):
        expected = np.sort(np.concatenate([edges[edges[:, 0] == node, 1],
                                           edges[edges[:, 1] == node, 0]]))
        assert degree == len(expected)
        np.testing.assert_array_equal(neighbours, expected[:len(neighbours)])
        np.testing.assert_array_equal(labels, data.labels[neighbours])
        np.testing.assert_array_equal(predictions, logits[neighbours].argmax(-1))


def test_regression_figures_equal_sklearn_with_outliers(runs) -> None:
    run = open_run(runs["regression"])
    report = evaluate_predictions(run, "test").regression
    data = run.data()
    predicted = np.asarray(run.model().predict(data.x_test, verbose=0),
                           dtype=np.float64).reshape(-1)
    y = data.y_test.astype(np.float64)
    assert (y > 20).sum() == 3  # the outliers are in the test part
    np.testing.assert_allclose(report.true, y)
    np.testing.assert_allclose(report.predicted, predicted, atol=1e-6)
    np.testing.assert_allclose(report.residuals, predicted - y, atol=1e-6)
    assert report.mae == pytest.approx(metrics.mean_absolute_error(y, predicted), abs=1e-6)
    assert report.rmse == pytest.approx(np.sqrt(np.mean((predicted - y) ** 2)), abs=1e-6)
    assert report.r2 == pytest.approx(metrics.r2_score(y, predicted), abs=1e-6)
    assert report.rmse > 2 * report.mae  # the outliers weigh on the root mean square


def test_a_missing_split_or_dataset_is_a_plain_failure(runs, tmp_path) -> None:
    import json
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(runs["classes"], copy)
    info = json.loads((copy / "run.json").read_text())
    info["project_path"] = str(tmp_path / "elsewhere" / "classes.deepwire")
    (copy / "run.json").write_text(json.dumps(info))
    with pytest.raises(RunFailure, match=r"table\.csv") as failure:
        evaluate_predictions(open_run(copy), "test")
    assert "still be where it was" in failure.value.hint
    info.pop("project_path")
    info["training"].pop("test_split")
    (copy / "run.json").write_text(json.dumps(info))
    with pytest.raises(RunFailure, match="before runs held back a test part"):
        evaluate_predictions(open_run(copy), "test")


# ----------------------------------------------------------------------------- attention


def test_sequence_mistakes_carry_their_tokens_and_attention_maps(tmp_path) -> None:
    import resources

    project = files.load(resources.examples_dir() / "transformer_classifier.deepwire")
    project.set_dataset({**project.dataset, "samples": 300})
    project.set_training(TrainingSettings(epochs=1, batch_size=32, seed=1))
    path = tmp_path / "tokens.deepwire"
    files.save(project, path)
    run = open_run(train(path))
    report = evaluate_predictions(run, "validation").classification
    mistakes = report.mistakes
    assert len(mistakes) > 0  # one epoch: plenty of mistakes
    data = run.data()
    x = data.x_val[mistakes.index]
    assert mistakes.tokens == [data.step_labels(s) for s in x]
    probe = run.compiled().probe_model()
    expected = probe.predict_on_batch(x)
    assert set(mistakes.attention) == set(expected) and len(expected) == 2
    for node_id, weights in expected.items():
        np.testing.assert_allclose(mistakes.attention[node_id], weights, atol=1e-5)
        assert mistakes.attention_titles[node_id]
    assert report.class_names == data.class_names


# ----------------------------------------------------------------------------- GANs


def test_gan_grid_and_judge_score(tmp_path, monkeypatch) -> None:
    import resources

    monkeypatch.setattr("projects.evaluation.user_cache_dir", lambda: tmp_path / "cache")
    project = files.load(resources.examples_dir() / "gan_digits.deepwire")
    project.set_training(TrainingSettings(**{**project.training.__dict__, "epochs": 1}))
    path = tmp_path / "gan.deepwire"
    files.save(project, path)
    run = open_run(train(path))
    evaluation = evaluate_predictions(run, "test")
    gan = evaluation.gan
    assert gan.samples.shape == (16, 8, 8, 1) and gan.levels == (-1.0, 1.0)
    generator = run.model().generator
    z = np.random.default_rng(run.settings.seed).normal(size=(16, generator.input.shape[-1]))
    np.testing.assert_allclose(gan.samples, generator.predict_on_batch(
        z.astype("float32")), atol=1e-6)
    judgement = gan.judgement
    assert judgement is not None and judgement.samples == 500
    judge = digits_judge("digits", (8, 8, 1))
    assert 0.9 <= judge.accuracy <= 1.0 and judge.real_share > 0.5
    assert (tmp_path / "cache" / "judges" / f"digits-keras{keras.__version__}.keras").exists()
    noise = np.random.default_rng(1).standard_normal((500, generator.input.shape[-1]))
    samples = np.asarray(generator.predict(noise.astype("float32"), verbose=0))
    scores = np.asarray(judge.classifier.predict((samples + 1) / 2, verbose=0))
    assert judgement.confident_share == pytest.approx(np.mean(scores.max(1) >= 0.9))
    assert judgement.per_digit.tolist() == np.bincount(scores.argmax(1), minlength=10).tolist()
    assert judgement.real_share == judge.real_share
    assert "generated samples look like one digit" in judgement.meaning()
    again = judge_samples(judge.classifier, samples, (-1.0, 1.0))
    assert again.confident_share == judgement.confident_share


def test_no_judge_says_why() -> None:
    assert "not on cifar10" in digits_judge("cifar10", (32, 32, 3))


def test_a_split_bigger_than_one_batch_predicts_the_same(runs, monkeypatch) -> None:
    run = open_run(runs["classes"])
    whole = evaluate_predictions(run, "validation").classification
    monkeypatch.setattr("projects.evaluation.MAX_PREDICT_BATCH", 4)  # the run's 16 then
    assert len(whole.true) > 16
    batched = evaluate_predictions(run, "validation").classification
    np.testing.assert_allclose(batched.probabilities, whole.probabilities, atol=1e-6)
    np.testing.assert_array_equal(batched.confusion, whole.confusion)
