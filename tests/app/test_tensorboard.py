"""The TensorBoard button: TensorBoard on a real run's logs, fetched from its local port, one
process per log folder, stopped with the window; and the message when it cannot start."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QProcess, QSettings, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtTest import QTest

import resources
from app.main_window import MainWindow
from app.runs_panel import RunsPanel
from app.tensorboard import TensorBoardLauncher
from projects import files
from projects.training import RunOptions, Trainer

pytest.importorskip("tensorboard")
pytest.importorskip("tensorflow")  # for the tiny run whose logs it shows


class Browser(QObject):
    """Where the desktop sends http URLs in these tests (Qt's own hook for URL handlers):
    the page is then fetched as a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def show(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def browser():
    handler = Browser()
    QDesktopServices.setUrlHandler("http", handler, "show")
    yield handler
    QDesktopServices.unsetUrlHandler("http")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A real two-epoch run of the karate club example, with its TensorBoard logs."""
    project = files.load(resources.examples_dir() / "gcn_karate.deepwire")
    runs = tmp_path_factory.mktemp("runs")
    result = Trainer(project, None, RunOptions(runs_dir=runs, epochs=2, probes=False)).run()
    folder = Path(result.run_dir)
    assert (folder / "tensorboard").is_dir()
    return folder


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # 127.0.0.1 only
        return response.read().decode("utf-8")


def _click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_the_button_opens_tensorboard_on_the_runs_logs_and_reuses_it(
        qtbot, tiny_run: Path, browser: Browser, tmp_path: Path) -> None:
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    window.autosaver.folder = tmp_path / "autosave"
    window.runs_dir_override = tiny_run.parent
    window.resize(1400, 900)
    window.show()
    window._update_runs_dir()
    window.central_tabs.setCurrentWidget(window._training_tab)
    panel = window.runs
    tree = panel.tree
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     tree.visualItemRect(tree.topLevelItem(0)).center())
    assert panel.logs_button.isEnabled()
    _click(panel.logs_button)
    qtbot.waitUntil(lambda: bool(browser.urls), timeout=60_000)
    [url] = browser.urls
    assert url.startswith("http://127.0.0.1:")
    assert "TensorBoard" in _fetch(url) or "tensorboard" in _fetch(url).lower()
    qtbot.waitUntil(lambda: "train" in json.loads(_fetch(url + "data/runs")), timeout=30_000)
    [instance] = panel.tensorboard._instances.values()
    process = instance.process
    _click(panel.logs_button)  # again: the same TensorBoard, no second one
    qtbot.waitUntil(lambda: len(browser.urls) == 2, timeout=10_000)
    assert browser.urls[1] == url and len(panel.tensorboard._instances) == 1
    assert panel.message_box is None
    window.editor.undo_stack.setClean()
    window.close()  # the window goes: so does TensorBoard
    qtbot.waitUntil(lambda: process.state() == QProcess.ProcessState.NotRunning,
                    timeout=10_000)
    window.deleteLater()


def _panel_on(qtbot, run: Path) -> RunsPanel:
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_runs_dir(run.parent)
    panel.show()
    panel.select_run(run)
    return panel


def test_a_tensorboard_that_exits_at_once_says_why_and_how_to_run_it(
        qtbot, tiny_run: Path, browser: Browser) -> None:
    panel = _panel_on(qtbot, tiny_run)
    panel.tensorboard.module = "deepwire_no_such_module"  # as if TensorBoard were missing
    _click(panel.logs_button)
    qtbot.waitUntil(lambda: panel.message_box is not None, timeout=30_000)
    text = panel.message_box.text()
    assert "TensorBoard stopped before it answered" in text
    assert "deepwire_no_such_module" in text  # Python's own reason, from its output
    assert f"-m tensorboard.main --logdir {tiny_run / 'tensorboard'}" in text
    assert browser.urls == [] and not panel.tensorboard._instances
    panel.message_box.close()


def test_missing_logs_and_a_port_that_never_answers_are_explained(qtbot, tmp_path: Path,
                                                                  browser: Browser) -> None:
    launcher = TensorBoardLauncher()
    failures: list[str] = []
    launcher.failed.connect(failures.append)
    launcher.open(tmp_path / "nothing here")
    assert "has no TensorBoard logs" in failures[0] and "--logdir" in failures[0]
    launcher.timeout_s = 0.0  # TensorBoard takes seconds to answer: too long, this time
    (tmp_path / "logs").mkdir()
    launcher.open(tmp_path / "logs")
    qtbot.waitUntil(lambda: len(failures) == 2, timeout=30_000)
    assert "did not answer on port" in failures[1] and "--logdir" in failures[1]
    assert not launcher._instances and browser.urls == []
    launcher.stop_all()


def test_a_desktop_without_a_browser_gets_the_address(qtbot, tiny_run: Path,
                                                      monkeypatch) -> None:
    """No browser can be opened here for real: openUrl answers False as it does on a
    desktop without one."""
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    panel = _panel_on(qtbot, tiny_run)
    _click(panel.logs_button)
    qtbot.waitUntil(lambda: panel.message_box is not None, timeout=60_000)
    text = panel.message_box.text()
    assert "no browser could be opened" in text and "http://127.0.0.1:" in text
    panel.tensorboard.stop_all()
    panel.message_box.close()
