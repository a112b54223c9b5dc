"""Past runs, reopened: a run's folder holds what is needed to judge its model again.

A run folder has ``run.json`` (the settings it trained with), ``project.deepwire`` (the
project as it was) and ``model.keras``. :func:`open_run` reads them and loads the data the
run trained on (same seed, same split fractions), so evaluation and prediction see exactly
the validation and test parts the run held back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from projects import files
from projects.compiler import CompiledProject, compile_project
from projects.document import Project, TrainingSettings
from projects.training import RunFailure, evaluate_split, load_run_data
from projects.vectorizers import copy_vocabularies


@dataclass
class PastRun:
    """One run's folder, read; its data and model load on first use (they are slow)."""

    folder: Path
    info: dict[str, Any]
    project: Project
    settings: TrainingSettings
    base_dir: Path
    _data: Any = field(default=None, repr=False)
    _model: Any = field(default=None, repr=False)
    _compiled: Any = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return self.project.task.get("kind", "supervised")

    @property
    def has_test_part(self) -> bool:
        """Runs from before the test split trained on everything but validation."""
        return "test_split" in (self.info.get("training") or {})

    def data(self) -> Any:
        """The run's Dataset, split as the run split it; RunFailure when it is gone."""
        from projects.datasets import DatasetError

        if self._data is None:
            try:
                self._data = load_run_data(self.project, self.settings, self.base_dir)
            except DatasetError as err:
                raise RunFailure(str(err), "The run's dataset must still be where it was.",
                                 ) from err
        return self._data

    def model(self) -> Any:
        """The run's saved Keras model (a GAN's generator and discriminator in one)."""
        if self._model is None:
            import keras

            import blocks.layers  # noqa: F401  (registers Deepwire's layers for loading)

            self._model = keras.saving.load_model(self.folder / "model.keras")
        return self._model


    def compiled(self) -> CompiledProject:
        """The project snapshot compiled afresh, holding the saved model's weights.

        Its probe model (``compiled.probe_model()``) gives the attention maps of the trained
        model for any input, which the saved file alone cannot: the attention weights are
        not among its outputs.
        """
        if self._compiled is None:
            compiled = compile_project(self.project)
            saved = {layer.name: layer for layer in _all_layers(self.model())}
            for layer in _all_layers(compiled.model):
                if layer.weights and layer.name in saved:
                    layer.set_weights(saved[layer.name].get_weights())
            if compiled.kind == "supervised":
                copy_vocabularies(self.model(), compiled.model)
            self._compiled = compiled
        return self._compiled


def _all_layers(model: Any) -> list[Any]:
    """Every layer of a model and of the models inside it (a GAN's two), by depth."""
    layers = []
    for layer in model.layers if hasattr(model, "layers") else ():
        layers.append(layer)
        if hasattr(layer, "layers"):
            layers.extend(_all_layers(layer))
    return layers


def open_run(run_dir: str | Path) -> PastRun:
    """Read one run's folder; RunFailure, with a hint, when it is not one or has no model.

    The dataset's relative paths are resolved from the project's folder at the time of the
    run (``project_path`` in run.json), else from the folder holding the runs folder.
    """
    folder = Path(run_dir)
    try:
        info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        project = files.load(folder / "project.deepwire")
    except (OSError, ValueError) as err:  # ProjectFileError is a ValueError
        raise RunFailure(f"{folder} is not a readable run folder: {err}",
                         "Give the folder of one run (it holds run.json, project.deepwire "
                         "and model.keras).") from err
    if not isinstance(info, dict):
        raise RunFailure(f"{folder / 'run.json'} does not hold a run's record.",
                         "Give the folder of one run.")
    if not (folder / "model.keras").exists():
        raise RunFailure(f"{folder} has no model.keras: the run did not finish training.",
                         "Use a completed or stopped run.")
    recorded = dict(info.get("training") or {})
    known = {f.name for f in fields(TrainingSettings)}
    settings = TrainingSettings(**{k: v for k, v in recorded.items() if k in known})
    where = info.get("project_path")
    base_dir = Path(where).parent if where else folder.parent.parent
    return PastRun(folder, info, project, settings, base_dir)


def evaluate_run(run_dir: str | Path | PastRun, split: str = "test") -> dict[str, float]:
    """Keras's ``evaluate`` of a past run's model on its ``"validation"`` or ``"test"`` part,
    as :func:`projects.training.evaluate_split` measured it when the run ended."""
    run = run_dir if isinstance(run_dir, PastRun) else open_run(run_dir)
    if split == "test" and not run.has_test_part:
        raise RunFailure(f"{run.folder} was trained before runs held back a test part, so its "
                         "data has none that training did not see.",
                         "Use --split validation, or train the project again.")
    metrics = evaluate_split(run.model(), run.kind, run.data(), split,
                             run.settings.batch_size)
    if not metrics:
        raise RunFailure(f"The run's data has no {split} part to evaluate on.",
                         "Try the other split.")
    return metrics
