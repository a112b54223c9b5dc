"""A synthetic citation network shaped like Cora, written as the files a person gives the
``graph_file`` dataset: an edge list and a features CSV with ``label`` and ``split`` columns.

Cora has 2,708 papers in 7 classes, 5,429 citations and 1,433 binary bag-of-words
features (about 18 words a paper); Kipf & Welling's split labels 20 papers per class for
training, 500 for validation and 1,000 for test. Here every paper draws its words from a
common vocabulary plus its class's topic words, and cites papers of its own class with
probability ``homophily``; the papers outside the three parts have no label at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from projects.document import Project

CORA_CLASS_SIZES = (351, 217, 418, 818, 426, 298, 180)  # 2,708 papers


@dataclass(frozen=True)
class CitationGraph:
    """The graph in memory: ``edges`` as written to the file (self-loops included),
    ``labels`` with -1 for the papers that have none, and the three boolean parts."""

    features: np.ndarray  # (N, F) 0/1 float32
    edges: np.ndarray  # (E, 2) int64
    labels: np.ndarray  # (N,) int32
    true_classes: np.ndarray  # (N,) the class each paper was drawn from
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    @property
    def num_nodes(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        return int(self.true_classes.max()) + 1


def citation_graph(seed: int = 0, sizes: tuple[int, ...] = CORA_CLASS_SIZES,
                   words: int = 1433, citations: int = 5400, homophily: float = 0.8,
                   words_per_paper: float = 18.0, topic_share: float = 0.2,
                   self_loops: int = 24, per_class: int = 20, validation: int = 500,
                   test: int = 1000) -> CitationGraph:
    """A Cora-like graph from ``seed``; the defaults give Cora's sizes.

    ``topic_share`` of a paper's expected words come from its class's topic words (a
    disjoint slice of the vocabulary per class), the rest from the whole vocabulary, so
    the words alone tell the classes apart only partly and the citations must help.
    """
    rng = np.random.default_rng(seed)
    classes = np.repeat(np.arange(len(sizes)), sizes).astype(np.int32)
    rng.shuffle(classes)
    num_nodes = len(classes)
    topic = np.array_split(np.arange(words), len(sizes))
    probabilities = np.full((len(sizes), words), (1 - topic_share) * words_per_paper / words)
    for c, columns in enumerate(topic):
        probabilities[c, columns] += topic_share * words_per_paper / len(columns)
    features = (rng.random((num_nodes, words)) < probabilities[classes]).astype(np.float32)

    members = [np.flatnonzero(classes == c) for c in range(len(sizes))]
    pairs = set()
    while len(pairs) < citations:
        u = int(rng.integers(num_nodes))
        if rng.random() < homophily:
            v = int(rng.choice(members[classes[u]]))
        else:
            v = int(rng.integers(num_nodes))
        if u != v:
            pairs.add((min(u, v), max(u, v)))
    loops = rng.choice(num_nodes, size=self_loops, replace=False)
    edges = np.array(sorted(pairs) + [(int(v), int(v)) for v in loops], dtype=np.int64)

    train = np.zeros(num_nodes, dtype=bool)
    for group in members:
        train[rng.choice(group, size=per_class, replace=False)] = True
    rest = rng.permutation(np.flatnonzero(~train))
    val = np.zeros(num_nodes, dtype=bool)
    val[rest[:validation]] = True
    held = np.zeros(num_nodes, dtype=bool)
    held[rest[validation:validation + test]] = True
    labels = np.where(train | val | held, classes, -1).astype(np.int32)
    return CitationGraph(features, edges, labels, classes, train, val, held)


def write_citation_files(graph: CitationGraph, folder: Path) -> tuple[Path, Path]:
    """``graph.edgelist`` ("u v" a line) and ``papers.csv`` (node, w0…, label, split) in
    ``folder``; papers without a label have empty label and split cells."""
    folder.mkdir(parents=True, exist_ok=True)
    edge_path, table_path = folder / "graph.edgelist", folder / "papers.csv"
    edge_path.write_text("".join(f"{u} {v}\n" for u, v in graph.edges.tolist()),
                         encoding="utf-8")
    parts = np.full(graph.num_nodes, "", dtype=object)
    parts[graph.train], parts[graph.validation], parts[graph.test] = (
        "train", "validation", "test")
    header = ",".join(["node", *(f"w{j}" for j in range(graph.features.shape[1])),
                       "label", "split"])
    words = graph.features.astype(np.int8).astype(str)
    lines = [header]
    for v in range(graph.num_nodes):
        label = str(graph.labels[v]) if graph.labels[v] >= 0 else ""
        lines.append(",".join([str(v), *words[v], label, parts[v]]))
    table_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return edge_path, table_path


def recipe_for_files(project: Project, edge_list: str, table: str, features: int, classes: int,
                     epochs: int, seed: int) -> None:
    """The README's recipe: the example's blocks and settings on a graph file whose
    features CSV holds ``features`` word columns and ``classes`` classes."""
    project.set_dataset({"name": "graph_file", "path": edge_list, "features": table,
                         "feature_normalization": "rows"})
    nodes = project.nodes
    inputs = next(i for i, n in nodes.items() if n.block == "input")
    scores = next(i for i, n in nodes.items() if n.block == "graph_convolution"
                  and n.params["activation"] == "linear")
    project.set_params(inputs, {"shape": [features]})
    project.set_params(scores, {"units": classes})
    project.set_training(replace(project.training, epochs=epochs, seed=seed))
