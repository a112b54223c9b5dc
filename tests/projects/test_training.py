"""The training engine on the example projects: the acceptance numbers of the issue.

Runs are short (a few seconds each) and shared through module fixtures; longer runs live in
the benchmark harness.
"""

from __future__ import annotations

import json
import math
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import resources
from projects import events as ev
from projects import files
from projects.datasets import load_dataset
from projects.document import Project, TrainingSettings
from projects.runs import read_history
from projects.training import RunOptions, Trainer

pytest.importorskip("tensorflow")

EXAMPLES = resources.examples_dir()


def _load(name: str):
    return files.load(EXAMPLES / f"{name}.deepwire")


def _train(name: str, tmp: Path | None = None, **options):
    project = _load(name)
    seen: list[ev.Event] = []
    record = tmp is not None
    trainer = Trainer(project, None, RunOptions(record=record, runs_dir=tmp, tensorboard=False,
                                                **options), seen.append)
    result = trainer.run()
    return trainer, result, seen


def _validation_data(name: str):
    project = _load(name)
    settings = project.training
    return load_dataset(project.dataset, seed=settings.seed,
                        validation_split=settings.validation_split,
                        task_kind=project.task["kind"])


@pytest.fixture(scope="module")
def transformer_run():
    return _train("transformer_classifier")


def test_transformer_learns_and_attends_to_the_key_tokens(transformer_run) -> None:
    trainer, result, _seen = transformer_run
    assert isinstance(result, ev.Finished), result
    assert result.final_metrics["val_accuracy"] >= 0.95
    data = _validation_data("transformer_classifier")
    weights = trainer.compiled.probe_model()(data.x_val)
    keys = data.val_key_positions
    mass = {}
    for node, value in weights.items():
        per_key = np.asarray(value).mean(axis=(1, 2))  # mean over heads and queries
        mass[node] = float(np.take_along_axis(per_key, keys, axis=1).sum(axis=1).mean())
    # 2 of 16 tokens decide the label; uniform attention would give them 0.125
    assert max(mass.values()) > 0.5, mass


def test_transformer_events_carry_what_a_dashboard_needs(transformer_run) -> None:
    _, result, seen = transformer_run
    kinds = [type(e).__name__ for e in seen]
    assert kinds[0] == "RunStarted" and kinds[-1] == "Finished"
    started = seen[0]
    assert started.attention_nodes == ("n4", "n11") and started.steps_per_epoch > 0
    batches = [e for e in seen if isinstance(e, ev.BatchEnd)]
    epochs = [e for e in seen if isinstance(e, ev.EpochEnd)]
    assert len(epochs) == started.epochs
    assert [e.epoch for e in epochs] == list(range(1, started.epochs + 1))
    assert all(e.val_metrics.get("accuracy") is not None for e in epochs)
    assert all(e.learning_rate == pytest.approx(2e-3) for e in epochs)
    steps = [b.step for b in batches]
    assert steps == sorted(steps) and batches[-1].step == started.epochs * started.steps_per_epoch
    assert all(b.samples_per_second > 0 and b.eta_seconds >= 0 for b in batches)
    # throttled: at most ~20 batch events per second of training
    assert len(batches) <= 20 * result.seconds + 2 * started.epochs
    probes = [e for e in seen if isinstance(e, ev.AttentionProbe)]
    assert probes and len(probes) <= 2 * result.seconds + 2
    last = probes[-1]
    assert set(last.weights) == {"n4", "n11"}
    assert last.weights["n4"].shape == (8, 4, 16, 16)
    np.testing.assert_allclose(last.weights["n4"].sum(axis=-1), 1.0, rtol=1e-4)
    assert len(last.tokens) == 8 and len(last.tokens[0]) == 16


def test_additive_attention_peaks_at_the_marked_step() -> None:
    trainer, result, _ = _train("attention_find_marker")
    assert isinstance(result, ev.Finished), result
    data = _validation_data("attention_find_marker")
    weights = np.asarray(trainer.compiled.probe_model()(data.x_val)["n3"])
    peaks = weights.argmax(axis=1)
    assert (peaks == data.val_key_positions[:, 0]).mean() >= 0.90


def test_gcn_separates_the_karate_clubs_from_one_label_each() -> None:
    accuracies = []
    for seed in range(5):
        _, result, seen = _train("gcn_karate", seed=seed)
        assert isinstance(result, ev.Finished), result
        probe = [e for e in seen if isinstance(e, ev.EmbeddingProbe)][-1]
        assert probe.labelled.sum() == 2 and probe.coords.shape == (34, 2)
        assert probe.edges is not None and len(probe.edges) == 78
        accuracies.append(probe.unlabelled_accuracy)
    assert statistics.median(accuracies) >= 0.90, accuracies


def test_gcn_citation_trains_the_paper_recipe_to_its_test_accuracy() -> None:
    trainer, result, _ = _train("gcn_citation")
    assert isinstance(result, ev.Finished), result
    model = trainer.compiled.model
    # Kipf & Welling: dropout before each convolution, no biases, L2 on the first only.
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Dropout") == 2 and kinds.count("GraphConvolution") == 2
    assert all(not layer.use_bias for layer in model.layers
               if type(layer).__name__ == "GraphConvolution")
    assert len(model.losses) == 1
    assert result.test_metrics["accuracy"] >= 0.85, result.test_metrics


def test_cnn_digits_reaches_95_percent() -> None:
    _, result, _ = _train("cnn_digits")
    assert isinstance(result, ev.Finished), result
    assert result.final_metrics["val_accuracy"] >= 0.95


def test_gan_digits_trains_with_finite_losses_and_changing_samples() -> None:
    _, result, seen = _train("gan_digits", epochs=10, probe_interval=0.0)
    assert isinstance(result, ev.Finished), result
    assert result.final_metrics and all(math.isfinite(v) for v in result.final_metrics.values())
    batches = [e for e in seen if isinstance(e, ev.BatchEnd)]
    assert batches[-1].step >= 250  # a few hundred generator and discriminator steps
    grids = [e for e in seen if isinstance(e, ev.GanProbe)]
    assert len(grids) >= 3
    assert grids[0].samples.shape == (16, 8, 8, 1)
    assert grids[-1].samples.min() >= -1 and grids[-1].samples.max() <= 1
    assert not np.allclose(grids[0].samples, grids[-1].samples, atol=1e-3)
    assert all(0 <= g.d_real <= 1 and 0 <= g.d_fake <= 1 for g in grids)


def test_costly_probes_keep_within_their_share_of_training_time(monkeypatch) -> None:
    """A probe made slow (as a 100 000-node embedding is) comes less often: all probes
    together, the first one too, stay within PROBE_BUDGET of the run, bar the one in flight."""
    from projects import event_callback, probes

    spent: list[tuple[float, float]] = []
    real_probe = probes.Prober.probe

    def slow_probe(self, step, epoch, logs):
        began = time.perf_counter()
        real_probe(self, step, epoch, logs)
        time.sleep(0.02)
        spent.append((began, time.perf_counter()))

    monkeypatch.setattr(probes.Prober, "probe", slow_probe)
    began = time.perf_counter()
    _, result, seen = _train("gan_digits", epochs=10, probe_interval=0.0)
    elapsed = time.perf_counter() - began
    assert isinstance(result, ev.Finished), result
    during = spent[:-1]  # the last one is the final state's, after the last epoch
    assert len(during) >= 2  # the budget slows probes down, it does not stop them
    cost = sum(end - start for start, end in during)
    assert cost <= event_callback.PROBE_BUDGET * elapsed + max(end - start for start, end in during)
    assert len([e for e in seen if isinstance(e, ev.GanProbe)]) == len(spent)


def test_same_seed_gives_the_same_curve() -> None:
    curves = []
    for _ in range(2):
        _, _result, seen = _train("attention_find_marker", epochs=2)
        curves.append([e.metrics["loss"] for e in seen if isinstance(e, ev.EpochEnd)])
    assert curves[0] == curves[1]
    _, _, other = _train("attention_find_marker", epochs=2, seed=1)
    assert [e.metrics["loss"] for e in other if isinstance(e, ev.EpochEnd)] != curves[0]


def test_run_folder_holds_everything_and_replays_the_events(tmp_path: Path) -> None:
    _trainer, result, seen = _train("attention_find_marker", tmp_path, epochs=2)
    run = Path(result.run_dir)
    assert run.parent == tmp_path
    for name in ("project.deepwire", "history.csv", "model.keras", "run.json", "events.jsonl"):
        assert (run / name).is_file(), name
    assert files.dumps(files.load(run / "project.deepwire")) == files.dumps(
        _load("attention_find_marker"))
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "completed" and info["seed"] == 0
    assert info["device"].startswith("CPU") and info["versions"]["tensorflow"]
    assert info["final_metrics"]["val_accuracy"] == result.final_metrics["val_accuracy"]
    assert read_history(run)["loss"] == [e.metrics["loss"] for e in seen
                                         if isinstance(e, ev.EpochEnd)]
    replayed = list(ev.replay(run))
    assert [type(e) for e in replayed] == [type(e) for e in seen]
    for original, again in zip(seen, replayed, strict=True):
        if isinstance(original, ev.AttentionProbe):
            for node, weights in original.weights.items():
                np.testing.assert_array_equal(weights, again.weights[node])
        else:
            assert original == again


def test_stop_takes_effect_within_one_step(tmp_path: Path) -> None:
    project = _load("transformer_classifier")
    stop_requested_at: list[int] = []

    def listener(event: ev.Event) -> None:
        if isinstance(event, ev.BatchEnd) and event.step >= 5 and not stop_requested_at:
            stop_requested_at.append(event.step)
            trainer.stop()

    trainer = Trainer(project, None, RunOptions(runs_dir=tmp_path, tensorboard=False,
                                                batch_interval=0.0), listener)
    result = trainer.run()
    assert isinstance(result, ev.Finished) and result.status == "stopped"
    assert trainer._step == stop_requested_at[0]  # not one step more
    info = json.loads((Path(result.run_dir) / "run.json").read_text())
    assert info["status"] == "stopped"
    assert (Path(result.run_dir) / "model.keras").exists()


def test_pause_holds_the_step_count_and_resume_continues() -> None:
    project = _load("attention_find_marker")
    paused = threading.Event()
    seen: list[ev.Event] = []

    def listener(event: ev.Event) -> None:
        seen.append(event)
        if isinstance(event, ev.BatchEnd) and event.step == 3:
            trainer.pause()
        if isinstance(event, ev.Paused):
            paused.set()

    trainer = Trainer(project, None, RunOptions(record=False, epochs=1, batch_interval=0.0),
                      listener)
    worker = threading.Thread(target=trainer.run)
    worker.start()
    assert paused.wait(120)
    held_from = time.perf_counter()
    worker.join(1.0)  # while it holds, no step is taken and no event comes
    assert worker.is_alive() and trainer.paused and seen[-1] == ev.Paused(3, 1)
    held = time.perf_counter() - held_from
    trainer.resume()
    worker.join(120)
    assert not worker.is_alive()
    assert isinstance(trainer.last_event, ev.Finished)
    batches = [e for e in seen if isinstance(e, ev.BatchEnd)]
    steps = [b.step for b in batches]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) > 3  # none lost, none twice
    assert [type(e) for e in seen].count(ev.Paused) == 1
    resumed = seen.index(ev.Paused(3, 1)) + 1  # the hold ends with Resumed, then step 4
    assert seen[resumed] == ev.Resumed(3, 1) and seen[resumed + 1].step == 4
    # The pause is not training time: step 4's rate leaves it out. Counted in, the pause
    # alone would make the step take longer than the hold.
    step_4_seconds = project.training.batch_size / batches[3].samples_per_second
    assert step_4_seconds < held / 2


def _regression_project(folder: Path, targets: np.ndarray) -> Project:
    """Input(4) -> Dense(1) -> Output(mse) on an .npz of random inputs and ``targets``."""
    rng = np.random.default_rng(0)
    np.savez(folder / "data.npz", x=rng.normal(size=(len(targets), 4)).astype("float32"),
             y=targets.astype("float32"))
    project = Project("regression")
    source = project.add_node("input", {"shape": [4]})
    dense = project.add_node("dense", {"units": 1, "activation": "linear"})
    output = project.add_node("output", {"loss": "mean_squared_error"})
    project.add_link(source.id, "out", dense.id, "in")
    project.add_link(dense.id, "out", output.id, "in")
    project.set_dataset({"name": "npz", "path": str(folder / "data.npz")})
    project.set_training(TrainingSettings(epochs=3, batch_size=16))
    return project


def test_planted_overflow_fails_the_run_naming_the_step(tmp_path: Path) -> None:
    # Targets near float32's limit make the squared error overflow at the first step. The
    # dry run would catch it before training (tests/projects/test_dry_run_and_errors.py);
    # without it, training itself stops.
    project = _regression_project(tmp_path, np.full(64, 3e38))
    seen: list[ev.Event] = []
    result = Trainer(project, None, RunOptions(runs_dir=tmp_path / "runs", tensorboard=False,
                                               dry_run=False), seen.append).run()
    assert isinstance(result, ev.Failed), result
    assert "infinite at step 1" in result.message or "NaN at step 1" in result.message
    # The step's huge gradients overflowed the Dense block's weights: it is named.
    assert result.node_id == "n2" and result.message.startswith("Dense (n2): ")
    assert "learning rate" in result.hint.lower()
    assert not any(isinstance(e, ev.EpochEnd) for e in seen)
    run = next((tmp_path / "runs").iterdir())
    assert json.loads((run / "run.json").read_text())["status"] == "failed"
    assert (run / "events.jsonl").read_text().count("Failed") == 1


def test_dataset_that_does_not_fit_is_refused_before_training(tmp_path: Path) -> None:
    project = _regression_project(tmp_path, np.zeros(64))
    project.set_params("n1", {"shape": [5]}, )
    project.set_title("n1", "Features")
    _, result, seen = _train_project(project)
    assert isinstance(result, ev.Failed)
    assert "Features (n1)" in result.message and "(5,)" in result.message
    assert result.node_id == "n1"
    assert not any(isinstance(e, ev.RunStarted | ev.BatchEnd) for e in seen)


def test_labels_beyond_the_output_classes_are_refused_naming_the_block() -> None:
    project = _load("cnn_digits")
    project.set_params("n8", {"units": 4})  # digits has 10 classes
    _, result, _ = _train_project(project)
    assert isinstance(result, ev.Failed)
    assert "4 classes" in result.message and result.node_id == "n9"


def test_out_of_memory_becomes_an_event_suggesting_a_smaller_batch(monkeypatch) -> None:
    # No real OOM can be provoked safely here: the error TensorFlow raises is planted.
    import keras
    import tensorflow as tf

    def exhausted(self, *args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(keras.Model, "fit", exhausted)
    _, result, _ = _train_project(_load("attention_find_marker"))
    assert isinstance(result, ev.Failed)
    assert "Out of memory" in result.message and "smaller batch size (now 64)" in result.hint


def _train_project(project):
    seen: list[ev.Event] = []
    trainer = Trainer(project, None, RunOptions(record=False), seen.append)
    return trainer, trainer.run(), seen


def test_a_run_leaves_no_model_behind_once_it_is_dropped(tmp_path: Path) -> None:
    # Headless, collection is automatic: the Trainer freezes the model's objects only while
    # it trains, so two runs' models both die when the runs are dropped.
    import gc
    import weakref

    from tests.projects.support import tiny_project

    path = tiny_project(tmp_path / "p", epochs=1)
    project = files.load(path)
    frozen_before = gc.get_freeze_count()
    models = []
    for _ in range(2):
        trainer = Trainer(project, path, RunOptions(record=False))
        assert isinstance(trainer.run(), ev.Finished)
        models.append(weakref.ref(trainer.compiled.model))
        del trainer
    assert gc.isenabled() and gc.get_freeze_count() == frozen_before
    gc.collect()
    assert [model() for model in models] == [None, None]
