"""Training from the window: the worker thread, the dashboard filling, stop, pause,
failures and closing during a run (pytest-qt, offscreen, real TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

import resources
from app.main_window import MainWindow
from projects import events as ev
from projects.document import TrainingSettings

pytest.importorskip("tensorflow")


def _ended(thread) -> bool:
    """A run's thread has ended (its Qt object may already be deleted)."""
    return thread is None or not shiboken6.isValid(thread) or not thread.isRunning()


def _points(item) -> np.ndarray:
    return np.asarray([] if item.yData is None else item.yData)


@pytest.fixture
def window(training_window):
    return training_window


def _screenshot(window: MainWindow, folder: Path, name: str) -> None:
    """The dashboard as the README shows it (resources/screenshots/ on request)."""
    QApplication.processEvents()
    path = folder / f"{name}.png"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert (image.width(), image.height()) == (window.width(), window.height())


def _open(window: MainWindow, name: str, **training) -> None:
    window.new_from_template(resources.examples_dir() / f"{name}.deepwire")
    if training:
        settings = window.editor.project.training
        window.editor.set_setting("training", TrainingSettings(
            **{**settings.__dict__, **training}))
    window.editor.undo_stack.setClean()


def _train_long_run(window: MainWindow, qtbot) -> list:
    """Start a transformer run too long to end by itself; return once it is stepping,
    with the list its events keep arriving in."""
    _open(window, "transformer_classifier", epochs=50)
    seen = _events(window)
    window.train()
    qtbot.waitUntil(lambda: any(isinstance(e, ev.BatchEnd) for e in seen), timeout=60_000)
    return seen


def _events(window: MainWindow) -> list:
    seen: list = []
    window.session.event.connect(seen.append)
    return seen


@pytest.mark.screenshot
def test_transformer_run_fills_curves_attention_and_progress(window: MainWindow, qtbot,
                                                            screenshot_dir: Path) -> None:
    _open(window, "transformer_classifier", epochs=2)
    seen = _events(window)
    window.train_action.trigger()
    assert window.session.running and not window.train_action.isEnabled()
    assert window.central_tabs.currentWidget() is window._training_tab
    qtbot.waitUntil(lambda: not window.session.running, timeout=120_000)
    assert isinstance(seen[-1], ev.Finished), seen[-1]
    dashboard = window.dashboard
    loss = dashboard.curves.items("loss")
    batches = [e for e in seen if isinstance(e, ev.BatchEnd)]
    np.testing.assert_allclose(_points(loss["batch"]), [b.loss for b in batches], rtol=1e-6)
    assert len(_points(loss["train"])) == 2 and len(_points(loss["validation"])) == 2
    assert "accuracy" in dashboard.curves.metrics()
    assert dashboard.tab_shown("Attention")
    assert dashboard.attention.block_combo.itemText(0) == "Self-attention 1 (n4)"
    dashboard.tabs.setCurrentWidget(dashboard.attention)  # hidden views draw when shown
    image = dashboard.attention.image.image
    assert image is not None and image.shape == (16, 16)
    np.testing.assert_allclose(image.sum(axis=1), 1.0, rtol=1e-4)  # real weights: rows sum to 1
    last = [e for e in seen if isinstance(e, ev.AttentionProbe)][-1]
    np.testing.assert_allclose(image, last.weights["n4"][0].mean(axis=0), rtol=1e-6)
    header = dashboard.header
    assert header.run_bar.value() == header.run_bar.maximum()
    assert dashboard.current_status().startswith("Completed")
    assert window.train_action.isEnabled() and not window.stop_action.isEnabled()
    window.runs.refresh()
    assert window.runs.tree.topLevelItemCount() == 1
    dashboard.attention.block_combo.setCurrentIndex(1)  # the block that finds the key tokens
    _screenshot(window, screenshot_dir, "dashboard_attention")
    dashboard.tabs.setCurrentWidget(dashboard.curves)
    _screenshot(window, screenshot_dir, "dashboard_curves")


def test_stop_ends_the_run_and_joins_the_thread(window: MainWindow, qtbot) -> None:
    """Stop takes effect at the end of the step under way (counted exactly in
    test_training.py); here the window sees the run end and its thread joined."""
    seen = _train_long_run(window, qtbot)
    thread = window.session.thread
    with qtbot.waitSignal(window.session.finished, timeout=60_000):
        window.stop_action.trigger()
    assert not window.session.running and _ended(thread)
    assert isinstance(seen[-1], ev.Finished) and seen[-1].status == "stopped"
    assert window.dashboard.current_status().startswith("Stopped")


def test_pause_holds_the_step_count(window: MainWindow, qtbot) -> None:
    seen = _train_long_run(window, qtbot)
    window.pause_action.trigger()
    assert window.pause_action.text() == "&Resume"
    qtbot.waitUntil(lambda: isinstance(seen[-1], ev.Paused), timeout=60_000)
    paused, held_at = seen[-1], len(seen) - 1
    qtbot.wait(500)  # while it holds, no step is taken and no event comes
    assert seen[-1] is paused and window.session.running
    window.pause_action.trigger()
    assert window.pause_action.text() == "&Pause"
    qtbot.waitUntil(lambda: any(isinstance(e, ev.BatchEnd) for e in seen[held_at + 1:]),
                    timeout=60_000)
    first = next(e for e in seen[held_at + 1:] if isinstance(e, ev.BatchEnd))
    assert first.step == paused.step + 1  # it goes on from where it held
    with qtbot.waitSignal(window.session.finished, timeout=60_000):
        window.stop_training()


def test_planted_failure_shows_the_banner_and_selects_the_block(window: MainWindow,
                                                                qtbot) -> None:
    _open(window, "cnn_digits")
    window.editor.set_param("n8", "units", 4)  # digits has 10 classes: the data cannot fit
    seen = _events(window)
    window.train()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    failed = seen[-1]
    assert isinstance(failed, ev.Failed) and failed.node_id == "n9"
    [banner] = window.dashboard.header.banner_widgets()
    assert "4 classes" in banner.text() if hasattr(banner, "text") else True
    assert window.scene.selected_node_ids() == ["n9"]
    assert window.dashboard.current_status().startswith("Failed")
    [run] = window.runs.selected_runs()  # the failed run, selected: Open Folder works
    assert window.runs.open_button.isEnabled() and (run / "error.txt").exists()
    window.dashboard.failureNodeRequested.emit("n9")  # the banner's "Show block"
    assert window.central_tabs.currentWidget() is window.view
    window.editor.set_param("n8", "units", 10)  # the app is still usable
    qtbot.waitUntil(lambda: window.editor.report.ok)  # validated once the edits settle


@pytest.mark.screenshot
def test_gan_and_graph_views_fill(window: MainWindow, qtbot, screenshot_dir: Path) -> None:
    _open(window, "gan_digits", epochs=40)  # long enough for the screenshot to show digits
    window.train()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    gan = window.dashboard.gan
    assert window.dashboard.tab_shown("GAN")
    window.dashboard.tabs.setCurrentWidget(gan)
    _screenshot(window, screenshot_dir, "dashboard_gan")
    assert gan.grid_image.image is not None and len(_points(gan.d_real)) > 0
    _open(window, "gcn_karate", epochs=30)
    window.train()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    graph = window.dashboard.graph
    window.dashboard.tabs.setCurrentWidget(graph)
    assert window.dashboard.tab_shown("Graph")
    assert len(graph.scatter.data) == 34
    _screenshot(window, screenshot_dir, "dashboard_graph")


def test_editing_during_a_run_is_marked_as_differing(window: MainWindow, qtbot) -> None:
    _train_long_run(window, qtbot)
    window.editor.set_param("n7", "units", 48)
    assert window.run_note.isVisible() and "changed since this run started" in (
        window.run_note.text())
    assert window.session.trainer.project.node("n7").params["units"] == 64  # the snapshot
    window.stop_training()
    qtbot.waitUntil(lambda: not window.session.running, timeout=10_000)


def test_closing_during_a_run_asks_then_stops_and_leaves_no_thread(window: MainWindow,
                                                                   qtbot) -> None:
    _train_long_run(window, qtbot)
    thread = window.session.thread
    asked: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            box.button(QMessageBox.StandardButton.Yes).click()
        else:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(0, answer)
    assert window.close()
    assert asked and "training run is going" in asked[0]
    assert not window.session.running and _ended(thread)
    run = next((window.runs_dir_override).iterdir())
    assert (run / "run.json").exists()


def test_an_engine_that_raises_still_ends_the_run_in_the_window(window: MainWindow, qtbot,
                                                               monkeypatch) -> None:
    """The engine turns its own failures into events; should it ever raise (say, the disk
    fills while it writes the run's summary), the window must not wait forever."""
    from projects.training import Trainer

    def broken_run(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Trainer, "run", broken_run)
    _open(window, "gcn_karate")
    seen = _events(window)
    window.train()
    thread = window.session.thread
    qtbot.waitUntil(lambda: not window.session.running, timeout=10_000)
    assert _ended(thread)
    assert isinstance(seen[-1], ev.Failed) and "No space left" in seen[-1].message
    assert window.train_action.isEnabled() and not window.stop_action.isEnabled()
    assert window.dashboard.current_status().startswith("Failed")


def test_background_dry_run_estimates_an_epoch_and_skips_an_invalid_model(
        window: MainWindow, qtbot) -> None:
    _open(window, "cnn_digits")
    estimator = window.session.estimator

    def measured() -> bool:
        result = estimator.result
        return result is not None and result.revision == window.editor.project.revision

    qtbot.waitUntil(measured, timeout=60_000)
    assert estimator.result.ok and "per epoch, ≈" in window.summary.label.text()
    measured_revision = estimator.result.revision
    window.editor.set_param("n8", "units", 4)  # digits has 10 classes: the data cannot fit
    # The checks against the data catch this before any batch runs: the model is invalid,
    # so no dry run starts for it (the dry run's own failures are tested headless, in
    # tests/projects/test_dry_run_and_errors.py).
    qtbot.waitUntil(lambda: not window.editor.report.ok, timeout=60_000)
    assert {i.node_id for i in window.editor.report.errors} & {"n8", "n9"}
    qtbot.wait(2_500)  # longer than the estimator's debounce
    assert estimator.result is None or estimator.result.revision == measured_revision
    assert not window.session.running  # no run was started, no run folder written
    assert not (window.runs_dir_override).exists()
