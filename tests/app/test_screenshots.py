"""Renders each example project in the main window, offscreen, and checks the pictures
show the blocks. They land in a temporary folder; ``python -m tests.screenshots`` (or
``--update-screenshots``) writes them to resources/screenshots/ for the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage

import resources
from app.main_window import MainWindow

pytestmark = pytest.mark.screenshot
EXAMPLES = [p.stem for p in resources.example_paths()]


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shots")
    window = MainWindow(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
    window.autosaver.folder = folder / "autosave"
    window.resize(1600, 900)
    window.show()
    window.editor.set_tensorflow_ready()
    window.tensorflow_label.setText("TensorFlow ready · CPU")
    yield window
    window.editor.undo_stack.setClean()
    window.close()
    window.deleteLater()


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_screenshot(window: MainWindow, qtbot, screenshot_dir: Path,
                            name: str) -> None:
    window.new_from_template(resources.examples_dir() / f"{name}.deepwire")
    window.docks["problems"].raise_()
    qtbot.wait(50)
    window.view.fit_to_view()
    window.scene.select_nodes([])
    preview = window.inspector.project_page.dataset.preview
    qtbot.waitUntil(lambda: preview.state in ("ready", "failed"), timeout=30_000)
    qtbot.wait(50)
    path = screenshot_dir / f"{name}.png"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 1600 and image.height() >= 900
    # every block of the example is drawn inside the visible canvas
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    for item in window.scene.node_items():
        assert visible.contains(item.sceneBoundingRect()), name
