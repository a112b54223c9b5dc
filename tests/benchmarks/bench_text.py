"""Adapting a Text Vectorization block: the vocabulary of 100 000 texts.

Target (issue "Text for the attention blocks"): report the time the trainer takes to adapt
the block on 100 000 texts, beside a plain Keras ``TextVectorization.adapt`` on the same
numpy array (informational: the issue sets no limit). Each sample builds a fresh layer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from tests.benchmarks.harness import Row, Settings, benchmark, interleave, ratio_row

TEXTS, QUICK_TEXTS = 100_000, 2_000
MAX_TOKENS, LENGTH = 20_000, 64


def make_texts(n: int, seed: int = 0) -> np.ndarray:
    """Short messages of 5 to 40 words from a Zipf-like vocabulary of 30 000 words."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(30_000)])
    lengths = rng.integers(5, 41, size=n)
    ranks = np.minimum(rng.zipf(1.3, size=int(lengths.sum())) - 1, len(words) - 1)
    flat = words[ranks]
    ends = np.cumsum(lengths)
    return np.array([" ".join(flat[end - k:end]) for end, k in zip(ends, lengths,
                                                                     strict=True)],
                    dtype=object)


def _project():
    from projects.document import Project

    project = Project("adapt benchmark")
    previous = None
    for i, (block, params) in enumerate([
            ("input", {"shape": [1], "dtype": "string"}),
            ("text_vectorization", {"max_tokens": MAX_TOKENS, "output_sequence_length": LENGTH}),
            ("embedding", {"input_dim": MAX_TOKENS, "output_dim": 8}),
            ("global_average_pooling1d", {}), ("dense", {"units": 2}), ("output", {})]):
        node = project.add_node(block, params, (i * 200.0, 0.0))
        if previous is not None:
            project.add_link(previous, "out", node.id, "in")
        previous = node.id
    return project


@benchmark("text_vectorizer")
def text_vectorizer(settings: Settings) -> Iterator[Row]:
    import keras

    from projects.compiler import compile_project
    from projects.vectorizers import adapt_vectorizers

    n = QUICK_TEXTS if settings.quick else TEXTS
    texts = make_texts(n)
    project = _project()
    sizes: list[int] = []

    def ours() -> float:
        compiled = compile_project(project)
        start = time.perf_counter()
        sizes.append(adapt_vectorizers(compiled, texts)[next(iter(
            i for i, node in project.nodes.items() if node.block == "text_vectorization"))])
        return time.perf_counter() - start

    def baseline() -> float:
        layer = keras.layers.TextVectorization(max_tokens=MAX_TOKENS,
                                               output_sequence_length=LENGTH)
        start = time.perf_counter()
        layer.adapt(texts)
        return time.perf_counter() - start

    mine, theirs = interleave(ours, baseline, settings.repeats_or(3, quick_default=1))
    yield ratio_row("text_vectorizer", f"adapt a Text Vectorization block on {n:,} texts "
                    f"(vocabulary {MAX_TOKENS:,})".replace(",", " "),
                    float(np.median(mine)), float(np.median(theirs)), "s",
                    note=f"the trainer's adapt (projects/vectorizers.py) against Keras's adapt "
                    f"of the numpy array; {sizes[-1]} tokens kept")
