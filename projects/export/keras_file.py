"""Export as a ``.keras`` file, and loading one back.

``.keras`` files are opened with ``safe_mode=True`` only (docs/architecture.md, Project files
and migrations), and a file holding a ``Lambda`` layer is refused before Keras reads it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from projects.compiler import compile_project
from projects.document import Project
from projects.files import ProjectSaveError, atomic_write
from projects.shapes import keras_message
from projects.vectorizers import VectorizerError, adapt_vectorizers, vectorizers

_MAX_CONFIG_BYTES = 64 * 1024 * 1024
_UNKNOWN_CLASS = re.compile(r"Could not locate (?:class|function) '([^']+)'")


class ExportError(Exception):
    """A model that cannot be exported, or a ``.keras`` file Deepwire will not open."""


def export_keras(project: Project, path: str | os.PathLike[str],
                 base_dir: Path | None = None) -> None:
    """Build and compile the project's model and save it as a ``.keras`` file.

    The model starts where a run would: an imported project's weights, and Text
    Vectorization blocks' vocabularies learned from the training texts (the dataset's
    paths are relative to ``base_dir``, the project's folder), so the file takes raw text;
    Keras cannot load one saved without a vocabulary.
    The file is replaced atomically: a failed save leaves the previous file intact.
    Raises CompileError when the project is not valid, ExportError when saving fails.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ExportError(f"A Keras model file must end in .keras. Received: {path.name}")
    compiled = compile_project(project)
    _starting_state(compiled, base_dir)
    model = compiled.model
    # Slots created now are saved, so the file loads without optimizer warnings.
    if compiled.kind == "adversarial":
        model.generator_optimizer.build(compiled.generator.trainable_variables)
        model.discriminator_optimizer.build(compiled.discriminator.trainable_variables)
    else:
        model.optimizer.build(model.trainable_variables)
    with tempfile.TemporaryDirectory(prefix="deepwire-export-") as folder:
        saved = Path(folder) / "model.keras"
        try:
            model.save(saved)
        except Exception as err:
            raise ExportError(f"Cannot save {path}: {keras_message(err)}") from err
        data = saved.read_bytes()
    try:
        atomic_write(path, data)
    except ProjectSaveError as err:
        raise ExportError(str(err)) from err


def _starting_state(compiled: Any, base_dir: Path | None) -> None:
    """What a run would start from: the imported weights of an imported project (and
    its vocabularies), then vocabularies learned from the project's training texts."""
    from projects.keras_import import (
        IMPORTED_WEIGHTS,
        ImportedWeightsError,
        load_imported_weights,
    )

    try:
        load_imported_weights(compiled)
    except ImportedWeightsError as err:
        raise ExportError(f"Cannot export: {err}") from err
    project = compiled.project
    if not vectorizers(project) or (not project.dataset and IMPORTED_WEIGHTS in project.metadata):
        return  # (an imported model keeps the vocabularies it came with)
    from projects.datasets import DatasetError
    from projects.training import load_run_data

    try:
        data = load_run_data(project, project.training, base_dir)
        adapt_vectorizers(compiled, data.x_train)
    except (DatasetError, VectorizerError) as err:
        raise ExportError(f"Cannot export: the Text Vectorization block learns its "
                          f"vocabulary from the training texts, which cannot be read "
                          f"({err})") from err


def load_keras(path: str | os.PathLike[str]) -> Any:
    """Load a ``.keras`` model with ``safe_mode=True``, Deepwire's layers registered.

    Raises ExportError, saying why, for a missing file, a file that is not a ``.keras``
    model, or one that Keras or Deepwire refuses (a ``Lambda`` layer, unknown classes).
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ExportError(f"Cannot open {path}: Deepwire opens Keras models saved as "
                          f".keras files only, not {path.suffix or 'files without an extension'}")
    if not path.is_file():
        raise ExportError(f"Cannot open {path}: there is no such file")
    lambdas = _lambda_layers(_read_config(path))
    if lambdas:
        names = ", ".join(repr(name) for name in lambdas)
        layers = "a Lambda layer" if len(lambdas) == 1 else "Lambda layers"
        raise ExportError(
            f"Cannot open {path}: it contains {layers} ({names}), which can run "
            "arbitrary code; Deepwire only opens .keras files with safe_mode, so it does "
            "not load Lambda layers. Rebuild the model without them."
        )
    import keras

    import blocks.layers  # noqa: F401  (registers Deepwire's layers for deserialization)

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as err:
        raise ExportError(f"Cannot open {path}: {_load_problem(err)}") from err


def _load_problem(err: Exception) -> str:
    """Why Keras refused a file, in plain words (its messages nest one in another)."""
    text = str(err)
    unknown = _UNKNOWN_CLASS.search(text)
    if unknown:
        return (f"it uses {unknown.group(1)}, which is neither a Keras nor a Deepwire "
                "class; Deepwire opens models made of those only")
    if "safe_mode" in text:
        return ("it holds Python code (a lambda or function), which Deepwire does not run: "
                ".keras files are opened with safe_mode only")
    return keras_message(err)


def _read_config(path: Path) -> Any:
    """The model config of a ``.keras`` file, read as data (nothing in it runs)."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > _MAX_CONFIG_BYTES:
                raise ExportError(f"Cannot open {path}: its model description is "
                                  f"{info.file_size / 2**20:.0f} MB, too large to be real")
            return json.loads(archive.read(info))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ExportError(f"Cannot open {path}: it is not a Keras model file") from err
    except OSError as err:
        raise ExportError(f"Cannot open {path}: {err.strerror or err}") from err


def _lambda_layers(config: Any) -> list[str]:
    """Names of the Lambda layers anywhere in a saved model config."""
    found = []
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == "Lambda":
                found.append(str((item.get("config") or {}).get("name", "lambda")))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(found)
