"""Weight decay, early stopping and reduce-on-plateau, with real Keras on a tiny model.

The model memorises 24 samples with random labels, so its validation loss soon rises:
early stopping must stop the run and keep the best epoch's weights.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from projects import events as ev
from projects import files
from projects.compiler import make_optimizer
from projects.document import Project, TrainingSettings
from projects.training import RunOptions, Trainer

keras = pytest.importorskip("keras")

EPOCHS = 40


def memoriser(folder: Path, **training) -> Project:
    """Input(6) -> Dense(64) -> Dense(3) on random labels: it can only overfit."""
    rng = np.random.default_rng(1)
    np.savez(folder / "noise.npz", x=rng.normal(size=(48, 6)).astype("float32"),
             y=rng.integers(0, 3, 48))
    project = Project("memoriser")
    source = project.add_node("input", {"shape": [6]})
    hidden = project.add_node("dense", {"units": 64, "activation": "relu"})
    scores = project.add_node("dense", {"units": 3, "activation": "linear"})
    output = project.add_node("output", {"loss": "sparse_categorical_crossentropy",
                                         "from_logits": True})
    for a, b in ((source, hidden), (hidden, scores), (scores, output)):
        project.add_link(a.id, "out", b.id, "in")
    project.set_dataset({"name": "npz", "path": str(folder / "noise.npz")})
    chosen = {"epochs": EPOCHS, "batch_size": 8, "learning_rate": 0.03,
              "validation_split": 0.5, **training}
    project.set_training(TrainingSettings(**chosen))
    return project


class WeightsPerEpoch:
    """A listener that keeps the model's weights at the end of every epoch."""

    def __init__(self) -> None:
        self.trainer: Trainer | None = None
        self.events: list[ev.Event] = []
        self.weights: dict[int, list[np.ndarray]] = {}

    def __call__(self, event: ev.Event) -> None:
        self.events.append(event)
        if isinstance(event, ev.EpochEnd):
            self.weights[event.epoch] = self.trainer.compiled.model.get_weights()

    def epochs(self) -> list[ev.EpochEnd]:
        return [e for e in self.events if isinstance(e, ev.EpochEnd)]


def train(project: Project, runs: Path) -> tuple[Trainer, WeightsPerEpoch, ev.Event]:
    seen = WeightsPerEpoch()
    trainer = Trainer(project, None, RunOptions(runs_dir=runs, tensorboard=False,
                                                probes=False), seen)
    seen.trainer = trainer
    return trainer, seen, trainer.run()


def run_json(trainer: Trainer) -> dict:
    return json.loads((trainer.run_dir / "run.json").read_text(encoding="utf-8"))


def test_early_stopping_stops_when_validation_loss_rises_and_keeps_the_best(
        tmp_path: Path) -> None:
    project = memoriser(tmp_path, early_stopping=True, early_stopping_patience=3)
    trainer, seen, result = train(project, tmp_path / "runs")
    assert isinstance(result, ev.Finished), result
    val_loss = [e.val_metrics["loss"] for e in seen.epochs()]
    best = int(np.argmin(val_loss)) + 1
    assert len(val_loss) == best + 3 < EPOCHS  # stopped after 3 epochs without a better one
    assert min(val_loss[best:]) > val_loss[best - 1]
    info = run_json(trainer)
    assert info["best_epoch"] == info["weights_epoch"] == best
    assert info["stopped_epoch"] == len(val_loss)
    kept = trainer.compiled.model.get_weights()
    for now, then in zip(kept, seen.weights[best], strict=True):
        np.testing.assert_array_equal(now, then)
    assert not np.array_equal(kept[0], seen.weights[len(val_loss)][0])
    loaded = keras.saving.load_model(trainer.run_dir / "model.keras")  # the saved model too
    for now, then in zip(loaded.get_weights(), seen.weights[best], strict=True):
        np.testing.assert_array_equal(now, then)


def test_without_early_stopping_the_last_epoch_is_kept(tmp_path: Path) -> None:
    project = memoriser(tmp_path)
    project.set_training(replace(project.training, epochs=4))
    trainer, seen, result = train(project, tmp_path / "runs")
    assert isinstance(result, ev.Finished), result
    info = run_json(trainer)
    val_loss = [e.val_metrics["loss"] for e in seen.epochs()]
    assert info["weights_epoch"] == 4
    assert info["stopped_epoch"] is None
    assert info["best_epoch"] == int(np.argmin(val_loss)) + 1
    assert info["training"]["early_stopping"] is False


def test_reduce_on_plateau_lowers_the_learning_rate(tmp_path: Path) -> None:
    project = memoriser(tmp_path, reduce_lr_on_plateau=True, reduce_lr_patience=1,
                        reduce_lr_factor=0.5)
    project.set_training(replace(project.training, epochs=12))
    _, seen, result = train(project, tmp_path / "runs")
    assert isinstance(result, ev.Finished), result
    rates = [e.learning_rate for e in seen.epochs()]
    assert rates[0] == pytest.approx(0.03)
    assert rates[-1] < 0.03
    for before, after in itertools.pairwise(rates):  # each change halves it
        assert after == pytest.approx(before) or after == pytest.approx(before * 0.5)
    assert "learning_rate" not in result.final_metrics


def test_a_monitor_the_run_cannot_measure_is_refused_before_training(tmp_path: Path) -> None:
    project = memoriser(tmp_path, early_stopping=True, validation_split=0.0)
    seen: list[ev.Event] = []
    result = Trainer(project, None, RunOptions(record=False), seen.append).run()
    assert isinstance(result, ev.Failed)
    assert "val_loss" in result.message and "no validation data" in result.message
    assert "validation split" in result.hint
    assert not any(isinstance(e, ev.RunStarted) for e in seen)


def test_run_options_override_any_training_setting(tmp_path: Path) -> None:
    project = memoriser(tmp_path)
    options = RunOptions(record=False, training={"early_stopping": True, "monitor": "loss"})
    assert Trainer(project, None, options).settings() == replace(
        project.training, early_stopping=True, monitor="loss")
    result = Trainer(project, None, RunOptions(record=False, training={"patience": 3})).run()
    assert isinstance(result, ev.Failed) and "'patience'" in result.message


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop"])
def test_weight_decay_reaches_the_optimizer(optimizer: str) -> None:
    settings = TrainingSettings(optimizer=optimizer, weight_decay=5e-4)
    assert make_optimizer(settings).get_config()["weight_decay"] == pytest.approx(5e-4)
    assert make_optimizer(replace(settings, weight_decay=0.0)).get_config()[
        "weight_decay"] == 0.0


def test_without_weight_decay_each_optimizer_keeps_its_default() -> None:
    assert make_optimizer(TrainingSettings(optimizer="adam")).get_config()[
        "weight_decay"] is None
    assert make_optimizer(TrainingSettings(optimizer="adamw")).get_config()[
        "weight_decay"] == pytest.approx(0.004)


def test_weight_decay_survives_the_project_file(tmp_path: Path) -> None:
    project = memoriser(tmp_path, weight_decay=1e-4, optimizer="adamw", early_stopping=True,
                        monitor="val_accuracy", reduce_lr_on_plateau=True)
    again = files.loads(files.dumps(project))
    assert again.training == project.training
    assert files.dumps(again) == files.dumps(project)
