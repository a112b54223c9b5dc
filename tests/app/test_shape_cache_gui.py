"""Instant reopen: a project opened again shows Keras's shapes and parameter counts before
TensorFlow has loaded, from the disk cache the previous window filled."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QSettings

from app.editor import Editor
from app.main_window import MainWindow
from projects.shape_cache import ShapeDiskCache
from projects.text import count_text

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / \
    "transformer_classifier.deepwire"


def test_a_reopened_project_shows_its_shapes_before_tensorflow(qtbot, tmp_path, monkeypatch
                                                               ) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # this test's cache only
    monkeypatch.setattr("app.autosave.autosave_folder", lambda: tmp_path / "autosave")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.editor.open(EXAMPLE)
    assert first.editor.report is None  # a cold cache: nothing to show until Keras runs
    first.editor.set_tensorflow_ready()
    shapes = {i.node.id: i.shape_text for i in first.scene.node_items()}
    total = first.editor.report.total_params
    first.close()

    second = MainWindow(settings)
    qtbot.addWidget(second)
    second.show()
    second.editor.open(EXAMPLE)
    assert not second.editor.tensorflow_ready
    assert second.editor.report is not None and second.editor.report.ok
    assert {i.node.id: i.shape_text for i in second.scene.node_items()} == shapes
    assert count_text(total) in second.validity_label.text()
    second.close()


def test_keras_corrects_a_stale_stored_answer_once_it_loads(qtbot, tmp_path) -> None:
    path = tmp_path / "shapes.db"
    editor = Editor(shape_cache=ShapeDiskCache(path))
    editor.open(EXAMPLE)
    editor.set_tensorflow_ready()
    truth = editor.report.total_params
    editor.close()
    with sqlite3.connect(path) as db:  # as if Keras had changed since the answers were stored
        db.execute("UPDATE shapes SET value = replace(value, '\"params\": ', "
                   "'\"params\": 1000')")
    reopened = Editor(shape_cache=ShapeDiskCache(path))
    reopened.open(EXAMPLE)
    assert reopened.report.total_params != truth
    with qtbot.waitSignal(reopened.reportChanged):
        reopened.set_tensorflow_ready()
    assert reopened.report.total_params == truth


# The app's own start, stopped as soon as the project named on the command line is open.
START_AND_OPEN = """
import os, sys
from app import application
opened = application.open_initial_project
def open_and_report(window, args, crash=None):
    opened(window, args, crash)
    report = window.editor.report
    print(report is not None and report.ok, 'tensorflow' in sys.modules, flush=True)
    os._exit(0)
application.open_initial_project = open_and_report
application.run([sys.argv[1]])
"""


def test_the_app_opens_the_project_before_it_imports_tensorflow(tmp_path) -> None:
    """TensorFlow's import holds the GIL for seconds; shapes from the disk cache show first."""
    import os
    import subprocess
    import sys

    from projects import files
    from projects.shapes import ShapeInference
    from projects.validation import validate

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "QT_QPA_PLATFORM": "offscreen"}
    cache = ShapeDiskCache(tmp_path / "cache" / "deepwire" / "shapes.sqlite")
    validate(files.load(EXAMPLE), ShapeInference(disk=cache), check_data=True)
    cache.close()
    out = subprocess.run([sys.executable, "-c", START_AND_OPEN, str(EXAMPLE)], env=env,
                         cwd=Path(__file__).resolve().parents[2], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split() == ["True", "False"], out.stderr[-2000:]
