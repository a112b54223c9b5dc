"""Where the app shows a run's test figures, and how the Graph view draws unlabelled nodes
(synthetic events, no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from app.dashboard import GraphView, ProgressHeader
from app.dashboard.graph import NO_LABEL
from app.runs_panel import RunsPanel
from projects import events as ev


def _feed(widget, events) -> None:
    for event in events:
        widget.handle(event)
    QApplication.processEvents()


def _started() -> ev.RunStarted:
    return ev.RunStarted("/tmp/runs/1", "GCN", "node_classification", 3, 1, 6, "CPU:0", 0,
                         "graph")


def test_header_shows_the_test_figure_when_the_run_ends(qtbot) -> None:
    header = ProgressHeader()
    qtbot.addWidget(header)
    _feed(header, [_started(), ev.Finished("completed", {"loss": 0.2}, "", 83.0,
                                           {"loss": 0.51234, "accuracy": 0.8125})])
    assert header.status() == "Completed in 1:23 · test accuracy 0.8125"
    _feed(header, [_started(), ev.Finished("completed", {"loss": 0.2}, "", 83.0)])
    assert header.status() == "Completed in 1:23"


def test_runs_list_puts_the_test_figure_first(qtbot, tmp_path: Path) -> None:
    for name, test in (("2026-01-01_10-00-00", {"loss": 0.4, "accuracy": 0.875}),
                       ("2026-01-01_09-00-00", None)):
        folder = tmp_path / name
        folder.mkdir()
        info = {"status": "completed", "final_metrics": {"accuracy": 0.9, "loss": 0.3}}
        if test is not None:
            info["test_metrics"] = test
        (folder / "run.json").write_text(json.dumps(info))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_runs_dir(tmp_path)
    results = [panel.tree.topLevelItem(i).text(2) for i in range(2)]
    assert results == ["test 87.5 % · train 90.0 %", "train 90.0 %"]  # the test figure first


def test_graph_view_draws_unlabelled_nodes_grey_without_mistake_rings(qtbot) -> None:
    view = GraphView()
    qtbot.addWidget(view)
    labels = np.array([0, 1, -1, 0, -1, 1], dtype=np.int32)
    predictions = np.array([0, 0, 1, 1, 0, 1], dtype=np.int32)  # nodes 1 and 3 are wrong
    labelled = np.array([True, True, False, False, False, False])
    coords = np.arange(12, dtype=np.float32).reshape(6, 2)
    _feed(view, [_started(), ev.EmbeddingProbe(1, 1, coords, labels, predictions, labelled,
                                               0.5, 0.5, np.array([[0, 1]]))])
    brushes = [b.color().name() for b in view.scatter.data["brush"]]
    assert brushes[2] == brushes[4] == NO_LABEL
    assert NO_LABEL not in (brushes[0], brushes[1], brushes[3], brushes[5])
    rings = view.mistakes.data
    np.testing.assert_allclose(np.column_stack([rings["x"], rings["y"]]), coords[[1, 3]])
    names = [label.text for _, label in view.legend.items]
    assert names == ["class 0", "class 1", "no label"]
