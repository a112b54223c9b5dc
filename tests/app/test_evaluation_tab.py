"""The Evaluation tab: real clicks on the split and counts/normalised buttons, and the
numbers it shows equal the headless Evaluation's; errors in plain words; the window hands
it the run selected in the Runs list."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

import resources
from app.dashboard import Dashboard
from app.dashboard.evaluation import EvaluationView
from app.dashboard.gan import tile_grid
from projects import files
from projects.document import TrainingSettings
from projects.evaluation import evaluate_predictions, open_run
from tests.projects.test_evaluation_report import (
    _dense_project,
    _imbalanced_table,
    _regression_table,
    train,
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tab")
    _imbalanced_table(folder)
    _regression_table(folder)
    return {
        "classes": train(_dense_project(folder, "classes", 2, 4,
                                        "sparse_categorical_crossentropy",
                                        {"name": "csv", "path": "table.csv",
                                         "label_column": "label"})),
        "regression": train(_dense_project(folder, "regression", 2, 1, "mean_squared_error",
                                           {"name": "csv", "path": "numbers.csv",
                                            "label_column": "y"}, epochs=10)),
    }


@pytest.fixture
def view(qtbot):
    shown = EvaluationView()
    qtbot.addWidget(shown)
    shown.resize(1100, 720)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    shown.close_jobs()


def _evaluated(view: EvaluationView) -> None:
    assert view.jobs.wait(120)


def _cells(view: EvaluationView) -> list[list[str]]:
    table = view.confusion_table
    return [[table.item(i, j).text() for j in range(table.columnCount())]
            for i in range(table.rowCount())]


def _click(button) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_split_and_matrix_buttons_show_the_headless_numbers(view, runs, qtbot) -> None:
    view.set_run_folder(runs["classes"])
    assert "Evaluating" in view.message.text()
    _evaluated(view)
    run = open_run(runs["classes"])
    for split, button in (("test", None), ("validation", view.validation_button),
                          ("test", view.test_button)):
        if button is not None:
            _click(button)
            _evaluated(view)
        expected = evaluate_predictions(run, split).classification
        assert view.split == split and view.evaluation.split == split
        assert _cells(view) == [[str(v) for v in row] for row in expected.confusion]
        table = view.confusion_table
        assert [table.horizontalHeaderItem(j).text() for j in range(4)] == ["0", "1", "2", "3"]
        assert [table.verticalHeaderItem(i).text() for i in range(4)] == ["0", "1", "2", "3"]
        classes = view.class_table
        for c in range(4):
            shown = [classes.item(c, k).text() for k in range(5)]
            assert shown == [expected.class_names[c], f"{expected.precision[c]:.3f}",
                             f"{expected.recall[c]:.3f}", f"{expected.f1[c]:.3f}",
                             str(int(expected.support[c]))]
        assert f"accuracy {100 * expected.accuracy:.1f} %" in view.summary.text()
        assert len(view.cards) == len(expected.mistakes) > 0
        first = view.cards[0].caption.text()
        m = expected.mistakes
        assert f"{m.true[0]} → <b>{m.predicted[0]}</b> ({m.confidence[0]:.2f})" in first
    # Row-normalised and back, by clicks; the class absent from the split stays a row of 0.
    _click(view.normalised_button)
    expected = evaluate_predictions(run, "test").classification
    assert _cells(view) == [[f"{v:.2f}" for v in row] for row in expected.normalised()]
    assert _cells(view)[3] == ["0.00"] * 4
    assert all(abs(sum(float(t) for t in row) - 1) < 0.02 for row in _cells(view)[:3])
    _click(view.counts_button)
    assert _cells(view) == [[str(v) for v in row] for row in expected.confusion]
    _click(view.validation_button)  # kept from before: no new evaluation
    assert not view.jobs.busy
    assert view.evaluation.split == "validation"


def test_regression_shows_predicted_against_true_and_the_residuals(view, runs) -> None:
    view.set_run_folder(runs["regression"])
    _evaluated(view)
    expected = evaluate_predictions(open_run(runs["regression"]), "test").regression
    assert view.pages.currentIndex() == 2
    assert view.regression_figures.text().startswith(f"MAE {expected.mae:.4g}")
    assert f"R² {expected.r2:.3f}" in view.regression_figures.text()
    x, y = view.scatter.getData()
    np.testing.assert_allclose(x, expected.true)
    np.testing.assert_allclose(y, expected.predicted, atol=1e-6)
    assert view.residual_bars.opts["height"].sum() == len(expected.residuals)
    assert not view.normalised_button.isVisible()


def test_problems_show_in_plain_words(view, runs, tmp_path) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(runs["classes"], moved)
    info = json.loads((moved / "run.json").read_text())
    info["project_path"] = str(tmp_path / "gone" / "classes.deepwire")
    (moved / "run.json").write_text(json.dumps(info))
    view.set_run_folder(moved)
    _evaluated(view)
    assert "table.csv" in view.message.text() and "still be where it was" in view.error
    assert view.pages.currentWidget() is view.message
    view.set_run_folder(tmp_path)  # not a run folder at all
    _evaluated(view)
    assert "is not a readable run folder" in view.error
    view.set_run_folder(None)
    assert "Select one run" in view.message.text() and view.error is None


def test_the_dashboard_evaluates_only_once_its_tab_is_shown(qtbot, runs) -> None:
    dashboard = Dashboard()
    qtbot.addWidget(dashboard)
    dashboard.show()
    qtbot.waitExposed(dashboard)
    assert dashboard._run_views == (dashboard.evaluation, dashboard.try_it)
    dashboard.set_run_folder(runs["classes"])
    assert not dashboard.evaluation.jobs.busy  # hidden tab: nothing done yet
    dashboard.tabs.setCurrentWidget(dashboard.evaluation)
    assert dashboard.evaluation.jobs.busy
    assert dashboard.evaluation.jobs.wait(120)
    assert dashboard.evaluation.evaluation.classification is not None
    dashboard.close_jobs()
    assert dashboard.evaluation.jobs._thread is None


def test_the_window_hands_the_selected_run_to_the_tab(window, runs, qtbot) -> None:
    window.runs_dir_override = runs["classes"].parent
    window._update_runs_dir()
    window.central_tabs.setCurrentWidget(window._training_tab)
    tree = window.runs.tree
    item = tree.topLevelItem(0)
    qtbot.waitUntil(lambda: tree.isVisible() and tree.visualItemRect(item).height() > 0)
    rect = tree.visualItemRect(item)
    # the run's name, in the first column (the row is wider than the panel)
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(20, rect.center().y()))
    assert window.runs.selected_runs() == [runs["classes"]]
    evaluation = window.dashboard.evaluation
    assert evaluation.folder == runs["classes"]
    window.dashboard.tabs.setCurrentWidget(evaluation)  # evaluates once shown
    qtbot.waitUntil(lambda: evaluation.evaluation is not None or evaluation.error is not None,
                    timeout=120_000)
    assert evaluation.error is None
    assert evaluation.evaluation is not None and evaluation.evaluation.run == (
        runs["classes"].name)


def test_a_gan_shows_its_final_grid_and_the_judges_score(view, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("projects.evaluation.user_cache_dir", lambda: tmp_path / "cache")
    project = files.load(resources.examples_dir() / "gan_digits.deepwire")
    project.set_training(TrainingSettings(**{**project.training.__dict__, "epochs": 1}))
    path = tmp_path / "gan.deepwire"
    files.save(project, path)
    folder = train(path)
    view.set_run_folder(folder)
    _evaluated(view)
    expected = evaluate_predictions(open_run(folder)).gan  # the judge, from the cache now
    judgement = expected.judgement
    assert view.gan_score.text() == (f"{100 * judgement.confident_share:.1f} % look like "
                                     "digits")
    assert view.gan_meaning.text().startswith(judgement.meaning())
    np.testing.assert_allclose(view.grid_image.image, tile_grid(expected.samples, fill=1.0),
                               atol=1e-6)
    assert view.digit_bars.opts["height"].tolist() == judgement.per_digit.tolist()
    assert not view.test_button.isVisible() and not view.normalised_button.isVisible()


def test_token_mistakes_show_the_chosen_blocks_attention(view, tmp_path, qtbot) -> None:
    project = files.load(resources.examples_dir() / "transformer_classifier.deepwire")
    project.set_dataset({**project.dataset, "samples": 300})
    project.set_training(TrainingSettings(epochs=1, batch_size=32, seed=1))
    path = tmp_path / "tokens.deepwire"
    files.save(project, path)
    folder = train(path)
    view.set_run_folder(folder)
    _evaluated(view)
    mistakes = evaluate_predictions(open_run(folder)).classification.mistakes
    blocks = list(mistakes.attention)
    combo = view.block_combo
    assert combo.isVisible() and combo.count() == 2 and combo.currentData() == blocks[-1]

    def strips() -> list[str]:
        return [card.findChildren(QLabel)[1].text() for card in view.cards]

    assert len(view.cards) == len(mistakes)
    assert all(token in strips()[0] for token in mistakes.tokens[0])
    deepest = strips()
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # the first block, by keyboard
    assert combo.currentData() == blocks[0]
    assert strips() != deepest  # shaded by the other block's weights
    title = mistakes.attention_titles[blocks[0]]
    assert all(card.findChildren(QLabel)[-1].text() == f"attention of {title}"
               for card in view.cards)
