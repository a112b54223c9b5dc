"""File ▸ Import Keras Model: the model opens as a new unsaved project; a refused one
leaves the current project open and names the file and the layers.

QFileDialog cannot be driven offscreen, so only its answer is patched; the menu command,
the import and the message box are real."""

from __future__ import annotations

from pathlib import Path

import keras
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.main_window import MainWindow
from projects import files
from projects.export import export_keras

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "cnn_digits.deepwire"


def _choose(monkeypatch, path: Path) -> None:
    monkeypatch.setattr("app.file_commands.QFileDialog.getOpenFileName",
                        lambda *args, **kwargs: (str(path), "Keras models (*.keras)"))


def _file_action(window: MainWindow, text: str):
    file_menu = window.menuBar().actions()[0].menu()
    return next(a for a in file_menu.actions() if a.text().replace("&", "") == text)


def test_import_opens_the_model_as_a_new_unsaved_project(window: MainWindow, tmp_path,
                                                        monkeypatch) -> None:
    model = tmp_path / "digits.keras"
    export_keras(files.load(EXAMPLE), model)
    window.tensorflow_loaded("TensorFlow ready")
    _choose(monkeypatch, model)
    _file_action(window, "Import Keras Model…").trigger()
    project = window.editor.project
    assert window.editor.path is None
    assert sorted(n.block for n in project.nodes.values()) == sorted(
        n.block for n in files.load(EXAMPLE).nodes.values())
    assert f"Starts from the weights imported from {model.resolve()}" in project.notes
    assert len(window.view.scene().items()) > len(project.nodes)  # the blocks are drawn


def test_refused_import_names_the_file_and_layers(window: MainWindow, tmp_path,
                                                 monkeypatch) -> None:
    inputs = keras.Input((6, 6, 6, 1))
    path = tmp_path / "volume.keras"
    keras.Model(inputs, keras.layers.Conv3D(2, 3, name="volume")(inputs)).save(path)
    window.tensorflow_loaded("TensorFlow ready")
    before = files.dumps(window.editor.project)
    shown: list[tuple[str, str]] = []

    def capture_error() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and "Cannot import" in box.windowTitle():
            shown.append((box.text(), box.informativeText()))
            box.button(QMessageBox.StandardButton.Ok).click()
        else:
            QTimer.singleShot(20, capture_error)

    QTimer.singleShot(50, capture_error)
    _choose(monkeypatch, path)
    _file_action(window, "Import Keras Model…").trigger()
    assert shown and str(path) in shown[0][0]
    assert "volume (Conv3D)" in shown[0][1]
    assert files.dumps(window.editor.project) == before


def test_blocks_for_big_architectures_are_in_the_palette(window: MainWindow) -> None:
    tree = window.palette.tree
    found = {}
    for index in range(tree.topLevelItemCount()):
        category = tree.topLevelItem(index)
        for child in range(category.childCount()):
            found[category.child(child).text(0)] = category.text(0)
    assert found["ReLU"] == "Core"
    assert found["DepthwiseConv2D"] == "Convolution"
    assert found["ZeroPadding2D"] == "Reshaping"
    assert found["GlobalMaxPooling2D"] == "Pooling"


def test_imported_nested_model_shows_as_a_group_block(window: MainWindow, tmp_path,
                                                      monkeypatch) -> None:
    inner_inputs = keras.Input((8,))
    inner = keras.Model(inner_inputs, keras.layers.Dense(4, name="code")(
        keras.layers.Dense(6, name="hidden")(inner_inputs)), name="encoder")
    inputs = keras.Input((8,), name="features")
    path = tmp_path / "nested.keras"
    keras.Model(inputs, keras.layers.Dense(2, name="scores")(inner(inputs))).save(path)
    window.tensorflow_loaded("TensorFlow ready")
    _choose(monkeypatch, path)
    _file_action(window, "Import Keras Model…").trigger()
    project = window.editor.project
    [group] = project.groups.values()
    shown = {item.node_id for item in window.scene.node_items()}
    assert group.id in shown and not shown & project.leaves(group.id)  # the top level
