"""Small helpers shared by the CLI and distributed-training tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from projects import files
from projects.document import Project, TrainingSettings


def tiny_project(folder: Path, samples: int = 200, epochs: int = 2, batch_size: int = 16
                 ) -> Path:
    """Input(8) -> Dense(16) -> Dense(3, softmax) -> Output on an .npz written beside it;
    returns the saved project's path."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    np.savez(folder / "data.npz", x=x, y=y)
    project = Project("tiny")
    source = project.add_node("input", {"shape": [8]})
    hidden = project.add_node("dense", {"units": 16, "activation": "relu"})
    scores = project.add_node("dense", {"units": 3, "activation": "softmax"})
    output = project.add_node("output", {"loss": "sparse_categorical_crossentropy"})
    project.add_link(source.id, "out", hidden.id, "in")
    project.add_link(hidden.id, "out", scores.id, "in")
    project.add_link(scores.id, "out", output.id, "in")
    project.set_dataset({"name": "npz", "path": "data.npz"})
    project.set_training(TrainingSettings(epochs=epochs, batch_size=batch_size))
    path = folder / "tiny.deepwire"
    files.save(project, path)
    return path


def deepwire_command() -> list[str]:
    script = shutil.which("deepwire", path=str(Path(sys.executable).parent)) or shutil.which(
        "deepwire")
    return [script] if script else [sys.executable, "-m", "projects.cli"]


def only_run_folder(runs: Path) -> Path:
    folders = [p for p in runs.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def add_two_layer_gcn(project: Project, features: int, hidden: int, classes: int,
                      num_nodes: int | None = None) -> None:
    """Kipf & Welling's model on ``project``'s canvas: node features and a Graph block into
    two Graph Convolutions (ReLU, then class scores) and a from-logits Output."""
    inputs = project.add_node("input", {"shape": [features]})
    graph = project.add_node("graph_input", {"num_nodes": num_nodes})
    first = project.add_node("graph_convolution", {"units": hidden, "activation": "relu"})
    scores = project.add_node("graph_convolution", {"units": classes, "activation": "linear"})
    output = project.add_node("output", {"loss": "sparse_categorical_crossentropy",
                                         "from_logits": True})
    project.add_link(inputs.id, "out", first.id, "features")
    project.add_link(graph.id, "adjacency", first.id, "adjacency")
    project.add_link(first.id, "out", scores.id, "features")
    project.add_link(graph.id, "adjacency", scores.id, "adjacency")
    project.add_link(scores.id, "out", output.id, "in")
