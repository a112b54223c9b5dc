"""The Evaluation tab's work against Keras's own ``model.evaluate`` (target <= 1.1x).

- ``evaluation``: ``projects.evaluation.evaluate_predictions`` of a finished run (one
  ``model.predict`` over the split, then confusion matrix, per-class figures and the most
  confident mistakes with their images or attention maps) against ``model.evaluate`` of the
  same saved model on the same split, as ``projects.training.evaluate_split`` runs it for
  the test figures. Both with the run already loaded (model and data in memory, each
  function traced once), side by side; and, for information, both from the run's folder
  (open it, load model and data, evaluate).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_training import fail_unless_finished, load_example
from tests.benchmarks.harness import Row, Settings, alternate, benchmark, ratio_row

TARGET_RATIO = 1.1


@dataclass(frozen=True)
class EvaluationCase:
    """An example trained for ``epochs`` (enough for mistakes), judged on ``split``."""

    example: str
    epochs: int
    split: str = "test"
    dataset: tuple[tuple[str, Any], ...] = ()  # dataset settings to override


FULL = (EvaluationCase("cnn_digits", 3), EvaluationCase("cnn_digits", 3, "validation"),
        EvaluationCase("transformer_classifier", 2, dataset=(("samples", 8000),)),
        EvaluationCase("gcn_karate", 20))
QUICK = (EvaluationCase("cnn_digits", 1),)


def finished_run(case: EvaluationCase, folder: Path) -> Path:
    """Train the case's example with the Trainer into ``folder``; its run folder."""
    from projects import files
    from projects.training import RunOptions, Trainer

    project = load_example(case.example)
    if case.dataset:
        project.set_dataset({**project.dataset, **dict(case.dataset)})
    path = folder / f"{case.example}.deepwire"
    files.save(project, path)
    trainer = Trainer(files.load(path), path, RunOptions(epochs=case.epochs, tensorboard=False,
                                                         probes=False))
    fail_unless_finished(trainer.run())
    return trainer.run_dir


@benchmark("evaluation")
def evaluation(settings: Settings) -> Iterator[Row]:
    """evaluate_predictions vs model.evaluate on the same split of the same run."""
    from projects.evaluation import evaluate_predictions, evaluate_run, open_run
    from projects.training import evaluate_split

    repeats = settings.repeats_or(15, quick_default=2)
    with tempfile.TemporaryDirectory(prefix="deepwire-bench-evaluation-") as tmp:
        for case in QUICK if settings.quick else FULL:
            folder = Path(tmp) / f"{case.example}-{case.split}"
            folder.mkdir()
            run_dir = finished_run(case, folder)
            run = open_run(run_dir)
            data, model = run.data(), run.model()

            def ours(run: Any = run, case: EvaluationCase = case) -> Any:
                return evaluate_predictions(run, case.split)

            def keras_evaluate(run: Any = run, data: Any = data, model: Any = model,
                               case: EvaluationCase = case) -> Any:
                return evaluate_split(model, run.kind, data, case.split,
                                      run.settings.batch_size)

            timing = alternate(ours, keras_evaluate, repeats, warmup=2)
            report = ours().classification
            count = len(report.true)
            what = "nodes" if run.kind == "node_classification" else "samples"
            yield ratio_row(
                "evaluation",
                f"{case.example}, {case.split} split ({count} {what}, {len(report.class_names)}"
                " classes), run loaded: evaluate_predictions vs model.evaluate",
                timing.ours, timing.base, "s", at_most=TARGET_RATIO,
                note=f"{len(report.mistakes)} mistakes shown; {timing.spread()}")

            def ours_cold(run_dir: Path = run_dir, case: EvaluationCase = case) -> Any:
                return evaluate_predictions(open_run(run_dir), case.split)

            def keras_cold(run_dir: Path = run_dir, case: EvaluationCase = case) -> Any:
                return evaluate_run(run_dir, case.split)

            cold = alternate(ours_cold, keras_cold, max(1, repeats // 5), warmup=0)
            yield ratio_row(
                "evaluation",
                f"{case.example}, {case.split} split, from the run folder (open, load model "
                "and data, evaluate)", cold.ours, cold.base, "s",
                note=f"baseline: projects.evaluation.evaluate_run; {cold.spread()}")
