"""Run folders: listing a project's runs and reading their histories, without TensorFlow."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from projects.document import Project


@dataclass(frozen=True)
class RunInfo:
    """What ``run.json`` says of one run."""

    folder: Path
    status: str
    finished_at: str
    final_metrics: dict[str, float]
    test_metrics: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.folder.name


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run folder with a readable run.json, newest first."""
    runs: list[RunInfo] = []
    if not runs_dir.is_dir():
        return runs
    for folder in runs_dir.iterdir():
        try:
            info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict):
            continue
        runs.append(RunInfo(folder, str(info.get("status", "?")),
                            str(info.get("finished_at", "")),
                            dict(info.get("final_metrics") or {}),
                            dict(info.get("test_metrics") or {})))
    return sorted(runs, key=lambda r: r.name, reverse=True)


def read_history(run_dir: str | Path) -> dict[str, list[float]]:
    """A run's per-epoch history from its ``history.csv`` (as Keras's CSVLogger wrote it)."""
    path = Path(run_dir) / "history.csv"
    history: dict[str, list[float]] = {}
    if not path.exists():
        return history
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for key, value in row.items():
                try:
                    history.setdefault(key, []).append(float(value))
                except (TypeError, ValueError):
                    continue
    return history


def default_runs_dir(project: Project, project_path: Path | None,
                     unsaved_since: datetime | None = None) -> Path:
    """``<name>.runs`` beside the project file; for an unsaved project, a folder of its own in
    the user's home, ``~/Deepwire/<name>_<when it was created>.runs`` (``unsaved_since``,
    default now), so two unsaved projects never mix their runs. Here, not with training: the
    window names the folder at start, before anything of training is imported."""
    if project_path is not None:
        return project_path.with_name(project_path.stem + ".runs")
    from projects.compiler import model_name

    stamp = (unsaved_since or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    return Path.home() / "Deepwire" / f"{model_name(project.name)}_{stamp}.runs"
