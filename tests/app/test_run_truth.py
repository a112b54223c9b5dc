"""The dashboard and the Runs list tell the truth about the run (pytest-qt, offscreen, real
TensorFlow): pause, the current run in the list, a project switch, the "model has changed"
note, the Result column, one metric order, the x axis, few points, legends, and a runs
folder of its own for each unsaved project."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.dashboard import Dashboard
from app.dashboard.plotting import MANY_POINTS, curve, plot_widget, show_points
from app.main_window import MainWindow
from app.runs_panel import result_text
from projects import events as ev
from tests.app.test_dashboard import batch, feed, gan_stream, started
from tests.app.test_training_gui import _events, _open

pytest.importorskip("tensorflow")


@pytest.fixture
def window(training_window):
    return training_window


def _click_tool(window: MainWindow, action) -> None:
    """A click on the action's toolbar button, as a user would."""
    button = window.toolbar.widgetForAction(action)
    assert button is not None and button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def _items(tree) -> list:
    return [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]


def _click_item(tree, item, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = tree.visualItemRect(item)
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def _stop(window: MainWindow, qtbot) -> None:
    with qtbot.waitSignal(window.session.finished, timeout=60_000):
        _click_tool(window, window.stop_action)


# ----------------------------------------------------------------------------- pause


def test_pause_shows_paused_and_the_eta_stops_until_resumed(window: MainWindow, qtbot) -> None:
    _open(window, "transformer_classifier", epochs=50)
    seen = _events(window)
    _click_tool(window, window.train_action)
    header = window.dashboard.header
    qtbot.waitUntil(lambda: "ETA" in header.run_bar.format(), timeout=60_000)
    training_style = header.status_label.styleSheet()
    _click_tool(window, window.pause_action)
    qtbot.waitUntil(lambda: header.state == "paused", timeout=60_000)
    assert isinstance(seen[-1], ev.Paused)
    assert header.status_label.text().startswith("Paused")
    assert header.status_label.styleSheet() != training_style  # a colour of its own
    assert "ETA" not in header.run_bar.format()  # the clock has stopped
    qtbot.wait(300)
    assert header.state == "paused" and "ETA" not in header.run_bar.format()
    _click_tool(window, window.pause_action)  # resume
    qtbot.waitUntil(lambda: header.state == "training", timeout=60_000)
    assert any(isinstance(e, ev.Resumed) for e in seen)
    assert "ETA" in header.run_bar.format() and header.status_label.text().startswith(
        "Training")
    _stop(window, qtbot)


# ----------------------------------------------------------------------------- runs list


def test_the_current_run_is_listed_at_once_first_and_selected(window: MainWindow, qtbot,
                                                              tmp_path: Path) -> None:
    older = tmp_path / "runs" / "2000-01-01_00-00-00"
    older.mkdir(parents=True)
    (older / "run.json").write_text(json.dumps({"status": "completed",
                                                "final_metrics": {"loss": 0.5}}))
    window._update_runs_dir()
    window.central_tabs.setCurrentWidget(window._training_tab)
    tree = window.runs.tree
    assert tree.isVisible() and tree.header().isVisible()  # the header is in place
    _open(window, "transformer_classifier", epochs=50)
    _click_tool(window, window.train_action)
    first = tree.topLevelItem(0)  # at once: before the data has even loaded
    assert first.text(1) == "starting" and first.isSelected()
    assert window.dashboard.current_status().startswith("Starting")
    qtbot.waitUntil(lambda: tree.topLevelItem(0).text(1) == "running", timeout=60_000)
    first = tree.topLevelItem(0)
    folder = Path(window.session.trainer.run_dir)
    assert first.text(0) == folder.name and first.isSelected()
    assert json.loads((folder / "run.json").read_text())["status"] == "running"
    assert [i.text(0) for i in _items(tree)] == [folder.name, older.name]
    _click_item(tree, tree.topLevelItem(1))  # a past run, while training: the live view stays
    assert not window.dashboard.curves.showing_history
    _stop(window, qtbot)
    first = tree.topLevelItem(0)
    assert first.text(0) == folder.name and first.text(1) == "stopped"


def test_a_run_whose_process_ended_without_a_result_says_so(window: MainWindow,
                                                            tmp_path: Path) -> None:
    stale = tmp_path / "runs" / "2000-01-01_00-00-00"
    stale.mkdir(parents=True)
    (stale / "run.json").write_text(json.dumps({"status": "running"}))
    window._update_runs_dir()
    [item] = _items(window.runs.tree)
    assert item.text(1) == "not finished"


# ----------------------------------------------------------------------------- switching


def test_switching_project_clears_the_last_projects_results(window: MainWindow, qtbot,
                                                            tmp_path: Path) -> None:
    _open(window, "gcn_karate", epochs=3)
    _click_tool(window, window.train_action)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    dashboard = window.dashboard
    assert dashboard.current_status().startswith("Completed") and dashboard.curves.metrics()
    window.editor.undo_stack.setClean()
    _click_tool(window, window.new_action)  # a new project
    assert dashboard.current_status() == "No run yet"
    assert dashboard.curves.metrics() == [] and not dashboard.tab_shown("Graph")
    # the same for a project opened from its file
    _open(window, "gcn_karate", epochs=2)
    saved = tmp_path / "karate.deepwire"
    assert window._save_to(saved)
    window.runs_dir_override = None  # its runs beside it
    _click_tool(window, window.train_action)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    assert dashboard.curves.metrics()
    _click_tool(window, window.new_action)
    assert window.open_path(saved)
    assert dashboard.current_status() == "No run yet" and dashboard.curves.metrics() == []
    assert window.runs.tree.topLevelItemCount() == 1  # its own past run, listed


def test_the_changed_model_note_goes_when_the_run_ends(window: MainWindow, qtbot) -> None:
    _open(window, "transformer_classifier", epochs=50)
    _click_tool(window, window.train_action)
    qtbot.waitUntil(lambda: window.dashboard.header.state == "training", timeout=60_000)
    window.editor.set_param("n7", "units", 48)
    assert window.run_note.isVisible()
    _stop(window, qtbot)
    assert not window.run_note.isVisible()


# ----------------------------------------------------------------------------- the list


def _write_run(folder: Path, final: dict, test: dict | None = None,
               history: str | None = None) -> None:
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"status": "completed", "final_metrics": final,
                                                 "test_metrics": test or {}}))
    if history:
        (folder / "history.csv").write_text(history)


def test_result_text_is_short_and_the_tooltip_has_every_figure() -> None:
    short, tip = result_text({"accuracy": 0.9, "loss": 0.3, "val_accuracy": 0.8,
                              "val_loss": 0.41}, {"accuracy": 0.812, "loss": 0.45})
    assert short == "test 81.2 % · val 80.0 %"
    assert "val_loss 0.41" in tip and "Test: accuracy 0.812, loss 0.45" in tip
    assert result_text({"loss": 0.2, "val_loss": 0.25}, {"loss": 0.3})[0] == (
        "test loss 0.3 · val loss 0.25")
    assert result_text({"g_loss": 1.2, "d_loss": 0.6})[0] == "G loss 1.2 · D loss 0.6"
    assert result_text({})[0] == ""


def test_the_runs_list_is_readable_at_its_default_width(window: MainWindow,
                                                        tmp_path: Path) -> None:
    _write_run(tmp_path / "runs" / "2026-12-07_17-34-57",
               {"sparse_categorical_accuracy": 0.9, "loss": 0.3,
                "val_sparse_categorical_accuracy": 0.8, "val_loss": 0.41},
               {"sparse_categorical_accuracy": 0.8123, "loss": 0.45})
    _write_run(tmp_path / "runs" / "2026-12-07_17-40-02", {"loss": 0.123, "val_loss": 0.2})
    window._update_runs_dir()
    window.central_tabs.setCurrentWidget(window._training_tab)
    QTest.qWait(50)
    tree = window.runs.tree
    items = _items(tree)
    assert [i.text(2) for i in items] == ["val loss 0.2 · loss 0.123",
                                          "test 81.2 % · val 80.0 %"]
    assert "val_sparse_categorical_accuracy 0.8" in items[1].toolTip(2)
    widths = [tree.columnWidth(c) for c in range(3)]
    for column, width in enumerate(widths):  # nothing cut
        assert width >= max(tree.fontMetrics().horizontalAdvance(i.text(column))
                            for i in items) + 4
    assert sum(widths) <= tree.viewport().width()


def test_live_and_past_runs_put_loss_and_accuracy_in_the_same_order(window: MainWindow,
                                                                    tmp_path: Path) -> None:
    csv = ("epoch,accuracy,loss,val_accuracy,val_loss\n"  # Keras's CSVLogger sorts them
           "0,0.5,1.0,0.45,1.1\n1,0.6,0.8,0.55,0.9\n2,0.7,0.6,0.62,0.7\n")
    for name in ("2026-12-07_10-00-00", "2026-12-07_11-00-00"):
        _write_run(tmp_path / "runs" / name, {"accuracy": 0.7, "loss": 0.6}, history=csv)
    window._update_runs_dir()
    window.central_tabs.setCurrentWidget(window._training_tab)
    dashboard = window.dashboard
    feed(dashboard, [started(), batch(1, 1, 10, 1.2, accuracy=0.3)])
    live = dashboard.curves.metrics()
    tree = window.runs.tree
    _click_item(tree, tree.topLevelItem(0))
    _click_item(tree, tree.topLevelItem(1), Qt.KeyboardModifier.ControlModifier)
    assert dashboard.curves.showing_history
    assert dashboard.curves.metrics() == live == ["loss", "accuracy"]


# ----------------------------------------------------------------------------- plots


def _dashboard(qtbot) -> Dashboard:
    dashboard = Dashboard()
    qtbot.addWidget(dashboard)
    dashboard.resize(1000, 700)
    dashboard.show()  # hidden tabs do not draw
    return dashboard


def test_the_x_axis_grows_with_the_data(qtbot) -> None:
    dashboard = _dashboard(qtbot)
    stream = [started(epochs=20, steps=4)]
    for epoch in (1, 2):
        stream += [batch(epoch, s, 4, 1.0 / (epoch + s), 20) for s in range(1, 5)]
        stream.append(ev.EpochEnd(epoch, {"loss": 0.5}, {"loss": 0.6}, 0.001, 1.0))
    feed(dashboard, stream)
    view = dashboard.curves.items("loss")["batch"].getViewBox()
    low, high = view.viewRange()[0]
    assert low <= 0 and 2 <= high < 2.5  # two epochs of 20 fill the axis, not a tenth of it
    feed(dashboard, [batch(3, 1, 4, 0.3, 20)])
    assert view.viewRange()[0][1] >= 3.02


def test_a_few_points_show_as_points_then_joined(qtbot) -> None:
    widget = plot_widget()
    qtbot.addWidget(widget)
    item = curve(widget.getPlotItem(), "#2563eb", symbol="o")
    for n, line, symbols in ((1, False, True), (2, False, True), (3, True, True),
                             (MANY_POINTS + 1, True, False)):
        show_points(item, np.arange(n, dtype=float), np.ones(n))
        assert (item.opts["pen"].style() != Qt.PenStyle.NoPen) == line, n
        assert (item.opts["symbol"] is not None) == symbols, n


def _legend_names(legend_row) -> list[str]:
    return list(legend_row.names)


def test_no_legend_lists_a_series_that_does_not_exist(qtbot) -> None:
    dashboard = _dashboard(qtbot)
    feed(dashboard, gan_stream(epochs=3, steps=10))  # a GAN has no validation data
    dashboard.tabs.setCurrentWidget(dashboard.curves)  # the tab a user opens to look
    names = _legend_names(dashboard.curves._live_grid.legend)
    assert names and not any("validation" in n for n in names)
    feed(dashboard, [started(epochs=2, steps=4), batch(1, 1, 4, 1.0)])
    assert _legend_names(dashboard.curves._live_grid.legend) == ["train (batches, smoothed)"]


def _scene_rect(item):
    return item.mapRectToScene(item.boundingRect())


@pytest.mark.parametrize("tab", ["Curves", "GAN", "history"])
def test_legends_do_not_cover_the_curves(qtbot, tab: str) -> None:
    """Curves that run up into the top-right corner, where a legend used to sit."""
    dashboard = _dashboard(qtbot)
    if tab == "history":
        rising = [0.1 * i for i in range(1, 9)]
        dashboard.show_history({"a": {"epoch": list(range(8)), "loss": rising,
                                      "val_loss": rising}})
        grids = [dashboard.curves._history_grid]
    elif tab == "GAN":
        feed(dashboard, gan_stream(epochs=3, steps=10))
        dashboard.tabs.setCurrentWidget(dashboard.gan)
    else:
        stream = [started(epochs=3, steps=4)]
        for epoch in (1, 2, 3):
            stream += [batch(epoch, s, 4, epoch + s / 4, 3) for s in range(1, 5)]
            stream.append(ev.EpochEnd(epoch, {"loss": epoch + 1.0}, {"loss": epoch + 1.1},
                                      0.001, 1.0))
        feed(dashboard, stream)
    QTest.qWait(50)
    if tab == "GAN":
        legends = [dashboard.gan.legend.legend]
        plots = [dashboard.gan.loss_plot, dashboard.gan.d_plot]
    else:
        grids = grids if tab == "history" else [dashboard.curves._live_grid]
        legends = [g.legend.legend for g in grids]
        plots = [p for g in grids for p in g.plots.values()]
    assert any(legend.items for legend in legends)
    for legend in legends:
        for plot in plots:
            assert not _scene_rect(legend).intersects(_scene_rect(plot.getViewBox()))


# ----------------------------------------------------------------------------- folders


def test_each_unsaved_project_has_its_own_runs_folder(window: MainWindow, qtbot, tmp_path,
                                                      monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    window.runs_dir_override = None
    _click_tool(window, window.new_action)
    first = window.runs_dir()
    _click_tool(window, window.new_action)
    second = window.runs_dir()
    assert first != second and first.parent == second.parent == tmp_path / "home" / "Deepwire"
    assert first.name.endswith(".runs") and window.runs_dir() == second  # kept while unsaved
    where = window.runs.where.full_text()
    assert second.name in where and "unsaved" in where
    saved = tmp_path / "mine.deepwire"
    assert window._save_to(saved)
    assert window.runs_dir() == tmp_path / "mine.runs"
    assert "unsaved project" not in window.runs.where.full_text()


def test_a_click_on_an_empty_spot_keeps_the_list_usable(window: MainWindow) -> None:
    """The list's header shows with no runs, and the empty text says what to do."""
    window.central_tabs.setCurrentWidget(window._training_tab)
    tree = window.runs.tree
    assert tree.topLevelItemCount() == 0 and tree.isVisible() and window.runs.empty.isVisible()
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(10, 10))
    assert window.runs.selected_runs() == []
