"""Text: adapting a Text Vectorization block, and training on raw text.

Targets (issue "Text for the attention blocks"):

- ``text_vectorizer``: report the time the trainer takes to adapt the block on 100 000
  texts, beside a plain Keras ``TextVectorization.adapt`` of the same numpy array
  (informational: the issue sets no limit). Each sample builds a fresh layer.
- ``text_pipeline``: the Trainer, every event and probe on, trains a small transformer on a
  text table at ≥ 0.95× the samples/s of a plain Keras ``TextVectorization`` + ``tf.data``
  + ``fit`` of the same model on the same texts, whole runs alternating in one process.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.benchmarks.bench_training import (
    THROUGHPUT_TARGET,
    Span,
    ThroughputCase,
    Workload,
    mark,
    throughput_row,
    trainer_span,
)
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


# --- text_pipeline ---------------------------------------------------------------------------

PIPELINE_TEXTS, QUICK_PIPELINE_TEXTS = 8_000, 400
PIPELINE_TOKENS, PIPELINE_LENGTH = 5_000, 32


def transformer_project(csv: Path, epochs: int) -> Any:
    """Raw text → Text Vectorization → masked Embedding + positions → multi-head
    self-attention → mean over the steps → two classes."""
    from dataclasses import replace

    from projects.document import Project

    project = Project("text transformer")
    chain = [("input", {"shape": [1], "dtype": "string"}, "in"),
             ("text_vectorization", {"max_tokens": PIPELINE_TOKENS,
                                     "output_sequence_length": PIPELINE_LENGTH}, "in"),
             ("embedding", {"input_dim": PIPELINE_TOKENS, "output_dim": 32,
                            "mask_zero": True}, "in"),
             ("sinusoidal_position_embedding", {}, "in"),
             ("multi_head_attention", {"d_model": 32, "num_heads": 4}, "query"),
             ("global_average_pooling1d", {}, "in"),
             ("dense", {"units": 2, "activation": "softmax"}, "in"),
             ("output", {}, "in")]
    previous = None
    for i, (block, params, port) in enumerate(chain):
        node = project.add_node(block, params, (i * 200.0, 0.0))
        if previous is not None:
            project.add_link(previous, "out", node.id, port)
        previous = node.id
    project.dataset = {"name": "text_table", "path": str(csv)}
    project.training = replace(project.training, epochs=epochs, batch_size=64)
    return project


@dataclass(frozen=True)
class TextCase(ThroughputCase):
    """The transformer above on a generated text table of ``texts`` rows."""

    csv: str = ""
    texts: int = 0

    @property
    def label(self) -> str:
        texts = f"{self.texts:,}".replace(",", " ")
        return f"text transformer on {texts} texts, epochs 2-{self.epochs}"

    def project(self) -> Any:
        return transformer_project(Path(self.csv), self.epochs)


def write_text_table(path: Path, n: int) -> None:
    texts = make_texts(n, seed=1)
    labels = np.random.default_rng(1).integers(0, 2, size=n)
    with path.open("w", encoding="utf-8") as file:
        file.write("text,label\n")
        for text, label in zip(texts, labels, strict=True):
            file.write(f"{text},{'yes' if label else 'no'}\n")


def plain_text_span(work: Workload) -> Span:
    """The same model from Keras alone: adapt its TextVectorization on the training texts,
    then ``fit`` a shuffled, batched, prefetched ``tf.data`` pipeline of the strings."""
    import keras
    import tensorflow as tf

    from projects.compiler import compile_project

    marks: list[tuple[float, float, int]] = []
    clock = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: marks.append(mark()))
    keras.utils.set_random_seed(work.settings.seed)
    model = compile_project(work.project, None, work.settings).model
    data, batch = work.data, work.settings.batch_size
    for layer in model.layers:
        if isinstance(layer, keras.layers.TextVectorization):
            layer.adapt(data.x_train)
    train = (tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
             .shuffle(len(data.y_train), seed=work.settings.seed, reshuffle_each_iteration=True)
             .batch(batch).prefetch(tf.data.AUTOTUNE))
    validation = (tf.data.Dataset.from_tensor_slices((data.x_val, data.y_val))
                  .batch(batch).prefetch(tf.data.AUTOTUNE))
    model.fit(train, validation_data=validation, epochs=work.case.epochs, verbose=0,
              callbacks=[clock])
    return Span.of(marks)


@benchmark("text_pipeline")
def text_pipeline(settings: Settings) -> Iterator[Row]:
    n = QUICK_PIPELINE_TEXTS if settings.quick else PIPELINE_TEXTS
    epochs = 2 if settings.quick else 4
    repeats = settings.repeats_or(3, quick_default=1)
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "texts.csv"
        write_text_table(csv, n)
        work = Workload(TextCase("text", epochs, csv=str(csv), texts=n))
        ours, base = interleave(lambda: trainer_span(work, None),
                                lambda: plain_text_span(work), repeats,
                                warmup=0 if settings.quick else 1)
    row = throughput_row(work, f"{work.case.label}, all events and probes", ours, base,
                         f"{work.samples_per_epoch} samples per epoch, baseline: Keras "
                         "TextVectorization + tf.data + fit", THROUGHPUT_TARGET)
    row.benchmark = "text_pipeline"
    yield row
