"""GCN epoch time and peak memory, sparse vs dense adjacency (docs/architecture.md).

Targets: sparse epoch time grows linearly in edges, and 100 000 nodes / 1 000 000 edges
train in < 2 GB. Every case runs in its own child process so its peak RSS is its own;
sparse and dense children alternate, and each reports its median epoch time.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.benchmarks.harness import (
    GB,
    Row,
    Settings,
    benchmark,
    format_quantity,
    interleave,
    limit_row,
    ratio_row,
    run_child,
)

AVERAGE_DEGREE = 10
FEATURES, HIDDEN, CLASSES = 16, 16, 4
MEMORY_LIMIT_BYTES = 2 * GB
MAX_TIME_PER_EDGE_GROWTH = 2.0
FULL_SIZES = (2_000, 20_000, 100_000)
QUICK_SIZES = (200, 1_000)


def random_graph(num_nodes: int, seed: int = 0) -> tuple[Any, Any]:
    """Row and column indices of a random undirected graph with average degree 10.

    Uniform edge sampling in numpy (networkx would take minutes and gigabytes at 100k
    nodes): num_nodes * 5 pairs, self-loops dropped, both directions, duplicates merged.
    Indices come back sorted row-major, the order tf.SparseTensor expects.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    pairs = num_nodes * AVERAGE_DEGREE // 2
    src = rng.integers(0, num_nodes, pairs, dtype=np.int64)
    dst = rng.integers(0, num_nodes, pairs, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    keys = np.unique(np.concatenate([src * num_nodes + dst, dst * num_nodes + src]))
    return keys // num_nodes, keys % num_nodes


def epoch_child(num_nodes: int, adjacency: str, epochs: int, warmup: int = 2) -> dict[str, Any]:
    """Train a 2-layer GCN full-batch; return the median epoch time (runs in a child).

    The adjacency is normalised once, before training, as the block does, and the layers
    are built with normalize=False. Dense cases first ask ``check_dense_fits`` and return
    ``{"refused": message}`` if the matrix cannot be held.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from blocks.layers import GraphConvolution, normalize_adjacency
    from blocks.layers.graph_convolution import check_dense_fits
    from tests.benchmarks.harness import peak_rss_bytes

    if adjacency == "dense":
        try:
            check_dense_fits(num_nodes)
        except ValueError as error:
            return {"refused": str(error)}
    rss_after_import = peak_rss_bytes()

    keras.utils.set_random_seed(0)
    rows, cols = random_graph(num_nodes)
    edges = int(rows.size)
    sparse = tf.SparseTensor(
        np.stack([rows, cols], axis=1), tf.ones(edges, tf.float32), (num_nodes, num_nodes)
    )
    del rows, cols
    adj = normalize_adjacency(sparse if adjacency == "sparse" else tf.sparse.to_dense(sparse))
    del sparse
    rng = np.random.default_rng(1)
    features = tf.constant(rng.standard_normal((num_nodes, FEATURES)), tf.float32)
    labels = tf.constant(rng.integers(0, CLASSES, num_nodes), tf.int32)

    hidden = GraphConvolution(HIDDEN, activation="relu", normalize=False)
    output = GraphConvolution(CLASSES, normalize=False)
    output(hidden(features, adj), adj)  # build eagerly, outside the traced step
    weights = hidden.trainable_variables + output.trainable_variables
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(1e-2)
    optimizer.build(weights)

    @tf.function
    def train_epoch(features: tf.Tensor, adj: Any, labels: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, output(hidden(features, adj), adj))
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
        return loss

    for _ in range(warmup):
        train_epoch(features, adj, labels).numpy()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        train_epoch(features, adj, labels).numpy()
        times.append(time.perf_counter() - start)
    return {
        "seconds": statistics.median(times),
        "epoch_seconds": times,
        "edges": edges,
        "rss_after_import_bytes": rss_after_import,
    }


@dataclass
class CaseResult:
    """One size's measurements from all its children."""

    num_nodes: int
    edges: int
    sparse_seconds: float
    sparse_peak: int
    dense_seconds: float | None
    dense_peak: int | None
    refused: str
    import_rss: int


def measure_size(num_nodes: int, repeats: int, epochs: int) -> CaseResult:
    """Alternate sparse and dense children at one size; median time, max peak RSS.

    Once dense is refused it is not asked again: the refusal does not depend on noise.
    """
    refusal: dict[str, Any] = {}

    def child(adjacency: str) -> dict[str, Any]:
        args = {"num_nodes": num_nodes, "adjacency": adjacency, "epochs": epochs}
        return run_child(f"{__name__}:epoch_child", args)

    def dense() -> dict[str, Any]:
        if refusal:
            return refusal
        result = child("dense")
        if "refused" in result:
            refusal.update(result)
        return result

    sparse_runs, dense_runs = interleave(lambda: child("sparse"), dense, repeats)
    dense_runs = [run for run in dense_runs if "refused" not in run]
    dense_seconds = [run["seconds"] for run in dense_runs]
    return CaseResult(
        num_nodes=num_nodes,
        edges=sparse_runs[0]["edges"],
        sparse_seconds=statistics.median(run["seconds"] for run in sparse_runs),
        sparse_peak=max(run["ru_maxrss_bytes"] for run in sparse_runs),
        dense_seconds=statistics.median(dense_seconds) if dense_seconds else None,
        dense_peak=max(run["ru_maxrss_bytes"] for run in dense_runs) if dense_runs else None,
        refused=refusal.get("refused", ""),
        import_rss=min(run["rss_after_import_bytes"] for run in sparse_runs),
    )


def count(number: int) -> str:
    """An integer with spaces between thousands, as the design doc writes them (100 000)."""
    return f"{number:,}".replace(",", " ")


def total_memory_bytes() -> int:
    """Physical memory of this machine; a dense N x N float32 beyond it must be refused."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


@benchmark("gcn_epoch")
def gcn_epoch(settings: Settings) -> Iterator[Row]:
    """Epoch time (sparse vs dense), time-per-edge growth, and peak RSS per graph size."""
    sizes = QUICK_SIZES if settings.quick else FULL_SIZES
    repeats = settings.repeats_or(3, quick_default=1)
    epochs = 2 if settings.quick else 10
    results = [measure_size(n, repeats, epochs) for n in sizes]

    for case in results:
        label = f"epoch, {count(case.num_nodes)} nodes / {count(case.edges)} edges, sparse vs dense"
        if case.dense_seconds is not None:
            yield ratio_row("gcn_epoch", label, case.sparse_seconds, case.dense_seconds, "s")
            continue
        must_refuse = 4 * case.num_nodes**2 > total_memory_bytes()
        yield Row(
            benchmark="gcn_epoch",
            case=label,
            ours=case.sparse_seconds,
            baseline=None,
            unit="s",
            ratio=None,
            target="dense refuses" if must_refuse else "info",
            ok=True if must_refuse else None,
            note=f"dense refused: {case.refused}",
            baseline_label="refused",
        )

    small, large = results[0], results[-1]
    yield ratio_row(
        "gcn_epoch",
        f"sparse time per edge, {count(large.num_nodes)} vs {count(small.num_nodes)} nodes",
        large.sparse_seconds / large.edges,
        small.sparse_seconds / small.edges,
        "s/edge",
        at_most=MAX_TIME_PER_EDGE_GROWTH,
        note=f"{large.edges / small.edges:.0f}x the edges took "
        f"{large.sparse_seconds / small.sparse_seconds:.1f}x the time",
    )

    for case in results:
        dense_label = "refused" if case.refused else ""
        yield limit_row(
            "gcn_epoch",
            f"peak RSS, {count(case.num_nodes)} nodes, sparse (baseline: dense)",
            case.sparse_peak,
            "bytes",
            below=MEMORY_LIMIT_BYTES,
            baseline=case.dense_peak,
            baseline_label=dense_label,
            note=f"of which {format_quantity(case.import_rss, 'bytes')} is Python + TensorFlow"
            if case is large
            else "",
        )
