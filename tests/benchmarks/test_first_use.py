"""The first-use benchmark's parts that run anywhere: its probe answers where things are on a
real window (offscreen here), and a machine without an X server gets an info row, not a
failure. The session itself is ``python -m tests.benchmarks --only first_use``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks.bench_first_use import first_use
from tests.benchmarks.first_use_driver import Probe
from tests.benchmarks.harness import Settings


@pytest.fixture
def shown_window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow

    monkeypatch.setattr("app.autosave.autosave_folder", lambda: tmp_path / "autosave")
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.editor.undo_stack.setClean()
    window.close()
    window.deleteLater()


def test_probe_answers_a_request_with_blocks_ports_and_palette(
        shown_window, qapp, qtbot, tmp_path: Path) -> None:
    node_id = shown_window.editor.add_block("dense", (0.0, 0.0))
    probe = Probe(tmp_path, qapp)
    (tmp_path / "request").write_text("7")
    answer = tmp_path / "answer.json"
    qtbot.waitUntil(lambda: answer.exists() and not (tmp_path / "request").exists())
    probe.timer.stop()

    seen = json.loads(answer.read_text())
    assert seen["id"] == 7 and "error" not in seen
    assert seen["window"]["title"].endswith("Deepwire")
    assert seen["palette"]["Dense"] is not None  # an entry the palette shows
    [node] = seen["nodes"]
    assert node["id"] == node_id and node["title"] == "Dense"
    assert set(node["ports"]) == {"in:in", "out:out"}
    assert node["ports"]["in:in"][0] < node["ports"]["out:out"][0]  # left to right
    assert seen["session"] == {"running": False, "paused": False}


def test_without_an_x_server_it_says_so_in_an_info_row(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no Xvfb, no xdotool
    [row] = first_use(Settings(quick=True))
    assert row.ok is None and "Xvfb" in row.case
