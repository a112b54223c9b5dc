"""``gcn_paper``: Kipf & Welling's GCN as Deepwire trains it, against the paper's model
written here in plain TensorFlow, on a synthetic citation graph the size of Cora.

Deepwire's side is the README's recipe: the ``gcn_citation`` example with its dataset
swapped for the graph's files (``graph_file``, features row-normalised), trained by the
Trainer with the options ``deepwire train --no-tensorboard`` uses, its test accuracy read
from ``run.json``'s ``test_metrics``. The reference is written from the paper and its
reference code (tkipf/gcn), using none of Deepwire's blocks: ``D̂^-½ (A + I) D̂^-½`` from
the edge list, row-normalised features, Glorot weights without biases, dropout 0.5 on the
features and on the hidden layer, the masked mean cross-entropy plus
``5e-4 · l2_loss(W0)``, Adam 0.01 (epsilon 1e-8, TensorFlow 1's), 200 epochs with the
validation loss computed after each step, test accuracy of the final weights. Both sides
train the same graph and splits with the same seeds, each run in its own process.

Rows: the mean test accuracy of each side over the seeds (the difference must be at
most 1.5 points), and the median time per epoch, ours / the reference's. Each side draws
its own initial weights from the seed, and one seed's accuracy moves by about two points
with them, so the verdict is on the mean of ten seeds. (From the same initial weights and
without dropout, both sides follow the same trajectory to the same test accuracy;
tests/projects/test_gcn_paper.py checks the forward pass, the loss and its gradients.)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

from tests.benchmarks.harness import Row, Settings, benchmark, ratio_row, run_child

MAX_ACCURACY_GAP = 0.015  # Deepwire within 1.5 points of the reference, on average
FULL = {"seeds": 10, "epochs": 200, "graph": {}}
# Quick: a small graph and a few epochs, one seed; only the harness's smoke test uses it.
QUICK = {"seeds": 1, "epochs": 5,
         "graph": {"sizes": (40, 30, 30), "words": 60, "citations": 150, "self_loops": 3,
                   "per_class": 5, "validation": 20, "test": 40}}
DATA_SEED = 0


def deepwire_child(seed: int, epochs: int, graph: dict[str, Any]) -> dict[str, Any]:
    """Train the recipe through the Trainer as ``deepwire train`` does; the test accuracy
    from run.json and the wall time between consecutive epochs (runs in a child)."""
    import json

    import resources
    from projects import events as ev
    from projects import files
    from projects.training import RunOptions, Trainer
    from tests.citation_graph import citation_graph, recipe_for_files, write_citation_files

    data = citation_graph(DATA_SEED, **graph)
    with tempfile.TemporaryDirectory() as folder:
        edges, table = write_citation_files(data, Path(folder))
        project = files.load(resources.examples_dir() / "gcn_citation.deepwire")
        recipe_for_files(project, edges.name, table.name, data.features.shape[1],
                         data.num_classes, epochs, seed)
        path = Path(folder) / "citation.deepwire"
        files.save(project, path)
        ends: list[float] = []

        def listen(event: Any) -> None:
            if isinstance(event, ev.EpochEnd):
                ends.append(time.perf_counter())

        result = Trainer(files.load(path), path, RunOptions(tensorboard=False),
                         listen).run()
        if not isinstance(result, ev.Finished):
            raise RuntimeError(f"the recipe did not train: {result}")
        info = json.loads((Path(result.run_dir) / "run.json").read_text(encoding="utf-8"))
    return {"accuracy": info["test_metrics"]["accuracy"],
            "epoch_seconds": statistics.median(b - a for a, b in pairwise(ends))}


def reference_child(seed: int, epochs: int, graph: dict[str, Any]) -> dict[str, Any]:
    """Kipf & Welling's model and training loop in plain TensorFlow (runs in a child)."""
    import numpy as np
    import tensorflow as tf
    from scipy import sparse

    from tests.citation_graph import citation_graph

    data = citation_graph(DATA_SEED, **graph)
    n = data.num_nodes
    # utils.py: the adjacency of the edge list (undirected, 0/1), plus I, normalised
    # symmetrically; preprocess_features: each row divided by its sum (0 for empty rows).
    pairs = data.edges
    adjacency = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                                  shape=(n, n))
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64) + sparse.eye(n)
    scale = sparse.diags(np.power(np.asarray(adjacency.sum(1)).ravel(), -0.5))
    support = (scale @ adjacency @ scale).tocoo()
    support = tf.sparse.reorder(tf.SparseTensor(
        np.stack([support.row, support.col], axis=1).astype(np.int64),
        support.data.astype(np.float32), (n, n)))
    sums = data.features.sum(1, keepdims=True)
    features = tf.constant(np.divide(data.features, sums, out=np.zeros_like(data.features),
                                     where=sums > 0), tf.float32)
    labels = tf.constant(np.maximum(data.labels, 0), tf.int32)
    masks = {name: tf.constant(mask, tf.float32) for name, mask in
             (("train", data.train), ("val", data.validation), ("test", data.test))}

    tf.random.set_seed(seed)
    np.random.seed(seed)

    def glorot(rows: int, cols: int) -> tf.Variable:  # inits.glorot
        limit = np.sqrt(6.0 / (rows + cols))
        return tf.Variable(tf.random.uniform((rows, cols), -limit, limit, tf.float32))

    hidden_weights = glorot(int(features.shape[1]), 16)
    output_weights = glorot(16, data.num_classes)
    weights = [hidden_weights, output_weights]
    optimizer = tf.keras.optimizers.Adam(0.01, epsilon=1e-8)

    def forward(training: bool) -> tf.Tensor:
        x = tf.nn.dropout(features, 0.5) if training else features
        h = tf.nn.relu(tf.sparse.sparse_dense_matmul(support, x @ hidden_weights))
        if training:
            h = tf.nn.dropout(h, 0.5)
        return tf.sparse.sparse_dense_matmul(support, h @ output_weights)

    def masked(logits: tf.Tensor, mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """metrics.py: mean cross-entropy and accuracy over the mask's nodes."""
        weight = mask / tf.reduce_mean(mask)
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
        right = tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), labels),
                        tf.float32)
        return tf.reduce_mean(loss * weight), tf.reduce_mean(right * weight)

    @tf.function
    def train_step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = masked(forward(True), masks["train"])[0]
            loss += 5e-4 * tf.nn.l2_loss(hidden_weights)  # weight decay, first layer only
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
        return loss

    @tf.function
    def evaluate(mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return masked(forward(False), mask)

    seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        train_step().numpy()
        evaluate(masks["val"])[0].numpy()
        seconds.append(time.perf_counter() - started)
    _, accuracy = evaluate(masks["test"])
    return {"accuracy": float(accuracy), "epoch_seconds": statistics.median(seconds[1:])}


@benchmark("gcn_paper")
def gcn_paper(settings: Settings) -> Iterator[Row]:
    """Test accuracy of the recipe against the reference, and time per epoch."""
    case = QUICK if settings.quick else FULL
    seeds = range(settings.repeats_or(case["seeds"], quick_default=case["seeds"]))
    ours: list[dict[str, Any]] = []
    reference: list[dict[str, Any]] = []
    for seed in seeds:  # ABBA across the seeds: a drifting machine favours neither side
        args = {"seed": seed, "epochs": case["epochs"], "graph": case["graph"]}
        children = [("deepwire_child", ours), ("reference_child", reference)]
        for name, results in children if seed % 2 == 0 else children[::-1]:
            results.append(run_child(f"{__name__}:{name}", args))
    mean_ours = statistics.mean(r["accuracy"] for r in ours)
    mean_reference = statistics.mean(r["accuracy"] for r in reference)
    gap = mean_reference - mean_ours
    per_seed = ", ".join(f"seed {s}: {o['accuracy']:.3f} vs {r['accuracy']:.3f}"
                         for s, o, r in zip(seeds, ours, reference, strict=True))
    size = "Cora-sized" if not settings.quick else "small"
    yield Row("gcn_paper", f"test accuracy, {size} synthetic citation graph, mean of "
              f"{len(ours)} seeds (baseline: the paper's model in plain TensorFlow)",
              mean_ours, mean_reference, "",
              mean_ours / mean_reference if mean_reference else None,
              f"gap <= {MAX_ACCURACY_GAP * 100:g} points",
              gap <= MAX_ACCURACY_GAP if not settings.quick else None,
              f"Deepwire vs reference per seed: {per_seed}; gap {gap * 100:+.2f} points")
    yield ratio_row("gcn_paper", "time per epoch (Trainer with events, history and "
                    "probes vs the reference's step and validation)",
                    statistics.median(r["epoch_seconds"] for r in ours),
                    statistics.median(r["epoch_seconds"] for r in reference), "s")
