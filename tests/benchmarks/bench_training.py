"""Training through Deepwire's Trainer, against plain Keras (docs/architecture.md).

- ``trainer_throughput``: the Trainer with every event and probe on vs plain
  ``model.fit(verbose=0)`` of the same compiled model on the same data (target >= 0.95x).
- ``gan_step``: the GAN block's AdversarialModel step vs a hand-written ``tf.function``
  step with two ``GradientTape``s on clones of the same networks (target <= 1.10x).
- ``gcn_training``: a 2-layer GCN project trained by the Trainer on synthetic graphs of
  10 000 and 100 000 nodes: epoch time, time per edge, and peak RSS (< 2 GB).
- ``gan_quality``: the gan_digits example after a few thousand steps, judged by the
  cnn_digits example trained on the real digits: >= 70 % of 500 samples classified with
  confidence >= 0.9, and all ten digits among the predictions (no mode collapse).
"""

from __future__ import annotations

import gc
import itertools
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_gcn import MAX_TIME_PER_EDGE_GROWTH, MEMORY_LIMIT_BYTES, count
from tests.benchmarks.harness import (
    Paired,
    Row,
    Settings,
    alternate,
    benchmark,
    format_quantity,
    interleave,
    limit_row,
    ratio_row,
    run_child,
)

THROUGHPUT_TARGET = 0.95
GAN_STEP_TARGET = 1.10
CONFIDENCE = 0.9
CONFIDENT_SHARE_TARGET = 0.70
GAN_SAMPLES = 500
DIGITS = 10


def load_example(name: str) -> Any:
    """One of the example projects shipped in resources/examples."""
    import resources
    from projects import files

    return files.load(resources.examples_dir() / f"{name}.deepwire")


def load_data(project: Any, settings: Any) -> Any:
    """The project's dataset, loaded the way the Trainer loads it (same seed and split)."""
    from projects.datasets import load_dataset

    return load_dataset(project.dataset, seed=settings.seed,
                        validation_split=settings.validation_split,
                        task_kind=project.task.get("kind", "supervised"))


def fail_unless_finished(result: Any) -> Any:
    """The Trainer never raises; a benchmark of a failed run must, not report its times."""
    from projects import events as ev

    if not isinstance(result, ev.Finished):
        raise RuntimeError(f"the training run did not finish: {result}")
    return result


# --- trainer_throughput ----------------------------------------------------------------------


@dataclass(frozen=True)
class ThroughputCase:
    """An example project (or, with ``graph_nodes``, the GCN project of ``gcn_training``)
    trained for ``epochs``; the first epoch, which traces, is not timed."""

    name: str
    epochs: int
    record: bool = False  # also time a run that writes its run folder (CSV, TensorBoard)
    graph_nodes: int | None = None

    @property
    def label(self) -> str:
        what = f"GCN on {count(self.graph_nodes)} nodes" if self.graph_nodes else self.name
        return f"{what}, epochs 2-{self.epochs}"

    def project(self) -> Any:
        if self.graph_nodes:
            return gcn_project(self.graph_nodes, self.epochs)
        return load_example(self.name)


FULL_THROUGHPUT = (
    ThroughputCase("transformer_classifier", 12, record=True),  # probes: attention maps
    ThroughputCase("cnn_digits", 20),  # no probe; tiny steps: the per-batch callback's worst
    ThroughputCase("gan_digits", 20),  # probes: GAN sample grid, D(x) and D(G(z))
    ThroughputCase("gcn", 48, graph_nodes=100_000),  # probes: 2-D node embeddings (PCA)
)
QUICK_THROUGHPUT = (ThroughputCase("cnn_digits", 2, record=True),)


class Workload:
    """A case's project, its data and the baseline's input pipelines, made once.

    The baseline is fed what the Trainer builds for itself: shuffled, batched and
    prefetched ``tf.data`` with the same seed and the same validation set (a GAN drops
    the last partial batch; a graph is one full batch per epoch, masks as sample weights),
    so the two sides differ only in what the Trainer does around ``fit``.
    """

    def __init__(self, case: ThroughputCase) -> None:
        self.case = case
        self.project = case.project()
        self.settings = replace(self.project.training, epochs=case.epochs)
        self.kind = self.project.task.get("kind", "supervised")
        self.data = load_data(self.project, self.settings)

    @property
    def samples_per_epoch(self) -> int:
        """Training samples (graph: nodes) per epoch, as the Trainer's BatchEnd counts them."""
        if self.kind == "node_classification":
            return self.data.num_nodes
        if self.kind == "adversarial":
            batch = self.settings.batch_size
            return len(self.data.x_train) // batch * batch
        return len(self.data.y_train)

    def fit_arguments(self) -> dict[str, Any]:
        import numpy as np
        import tensorflow as tf

        batch, seed, data = self.settings.batch_size, self.settings.seed, self.data
        if self.kind == "node_classification":
            both = np.concatenate([data.edges, data.edges[:, ::-1]])
            adjacency = tf.sparse.reorder(tf.SparseTensor(
                both, np.ones(len(both), "float32"), (data.num_nodes, data.num_nodes)))
            x = (tf.constant(data.features), adjacency)
            y = np.maximum(data.labels, 0)

            def whole_graph(mask: Any) -> Any:
                return tf.data.Dataset.from_tensors((x, y, mask.astype("float32"))).repeat()

            return {"x": whole_graph(data.train_mask), "steps_per_epoch": 1,
                    "validation_data": whole_graph(data.val_mask), "validation_steps": 1}
        if self.kind == "adversarial":
            x = data.x_train.astype("float32")
            pipeline = (tf.data.Dataset.from_tensor_slices(x)
                        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
                        .batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
            return {"x": pipeline}
        pipeline = (tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
                    .shuffle(len(data.y_train), seed=seed, reshuffle_each_iteration=True)
                    .batch(batch).prefetch(tf.data.AUTOTUNE))
        validation = (tf.data.Dataset.from_tensor_slices((data.x_val, data.y_val))
                      .batch(batch).prefetch(tf.data.AUTOTUNE))
        return {"x": pipeline, "validation_data": validation}


@dataclass(frozen=True)
class Span:
    """Wall-clock and process CPU seconds from the first epoch end to the last.

    The first epoch traces the train and test functions (the same work on both sides,
    seconds long for a small model), so it stays out of a throughput. CPU time, summed
    over all threads, is a cross-check that neighbours on a busy machine barely move.
    """

    wall: float
    cpu: float
    epochs: int
    probes: int  # probe events inside the span

    @classmethod
    def of(cls, marks: list[tuple[float, float, int]]) -> Span:
        (wall0, cpu0, probes0), (wall1, cpu1, probes1) = marks[0], marks[-1]
        return cls(wall1 - wall0, cpu1 - cpu0, len(marks) - 1, probes1 - probes0)


def mark(probes: int = 0) -> tuple[float, float, int]:
    """An epoch end: wall clock, process CPU time, probe events so far."""
    return time.perf_counter(), time.process_time(), probes


def trainer_span(work: Workload, runs_dir: Path | None) -> Span:
    """A full Trainer run, timed between its first and last EpochEnd events.

    Every event and probe is on at the default throttles; the listener only timestamps.
    ``runs_dir`` None trains without a run folder; otherwise the run writes events.jsonl,
    history.csv and TensorBoard logs there as it trains (model.keras is saved after the
    last epoch, outside the timed span).
    """
    from projects import events as ev
    from projects.training import RunOptions, Trainer

    marks: list[tuple[float, float, int]] = []
    probes = 0

    def listen(event: Any) -> None:
        nonlocal probes
        if isinstance(event, ev.EpochEnd):
            marks.append(mark(probes))
        elif isinstance(event, ev.AttentionProbe | ev.GanProbe | ev.EmbeddingProbe):
            probes += 1

    options = RunOptions(epochs=work.case.epochs, record=runs_dir is not None,
                         runs_dir=runs_dir)
    gc.collect()  # the previous sample's garbage is not this sample's cost
    fail_unless_finished(Trainer(work.project, None, options, listen).run())
    return Span.of(marks)


def plain_fit_span(work: Workload) -> Span:
    """``model.fit(verbose=0)`` of the compiled project on the same data, timed like ours.

    The one callback added timestamps epoch ends: nothing per batch, so Keras keeps its
    asynchronous batch-end dispatch, as in a plain fit.
    """
    import keras

    from projects.compiler import compile_project

    marks: list[tuple[float, float, int]] = []
    clock = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: marks.append(mark()))
    keras.utils.set_random_seed(work.settings.seed)
    model = compile_project(work.project, None, work.settings).model
    arguments = work.fit_arguments()
    gc.collect()
    model.fit(epochs=work.case.epochs, verbose=0, callbacks=[clock], **arguments)
    return Span.of(marks)


def throughput_row(work: Workload, case: str, ours: list[Span], base: list[Span], note: str,
                   target: float | None) -> Row:
    """Samples/s, ours vs baseline, with the CPU-time ratio and the spread in the note."""
    def rates(spans: list[Span]) -> list[float]:
        return [work.samples_per_epoch * span.epochs / span.wall for span in spans]

    paired = Paired(rates(ours), rates(base))
    cpu = (statistics.median(span.cpu for span in base)
           / statistics.median(span.cpu for span in ours))
    probes = statistics.median(span.probes for span in ours)
    return ratio_row("trainer_throughput", case, paired.ours, paired.base, "samples/s",
                     at_least=target,
                     note=f"{note}; {probes:g} probes in the span; CPU-time ratio (ours/base "
                          f"throughput) {cpu:.3f}; {paired.spread()}")


def throughput_rows(case: ThroughputCase, repeats: int, warmup: int) -> Iterator[Row]:
    """Alternate whole Trainer runs (plain, then recording if asked) with plain fits."""
    work = Workload(case)
    with tempfile.TemporaryDirectory() as folder:
        def ours() -> tuple[Span, Span | None]:
            plain = trainer_span(work, None)
            return plain, trainer_span(work, Path(folder)) if case.record else None

        ours_runs, base_runs = interleave(ours, lambda: plain_fit_span(work), repeats, warmup)
    unit = "nodes" if work.kind == "node_classification" else "samples"
    what = (f"{work.samples_per_epoch} {unit} per epoch; rate from the end of epoch 1 to the "
            "end of the last, validation included on both sides")
    yield throughput_row(work, f"{case.label}, all events and probes",
                         [run[0] for run in ours_runs], base_runs, what, THROUGHPUT_TARGET)
    if case.record:
        yield throughput_row(work, f"{case.label}, all events and probes + run folder",
                             [run[1] for run in ours_runs], base_runs,
                             "info: events.jsonl, history.csv and TensorBoard written as it "
                             "trains", None)


@benchmark("trainer_throughput")
def trainer_throughput(settings: Settings) -> Iterator[Row]:
    """Samples/s of Trainer runs vs plain fit, alternating whole runs in one process."""
    cases = QUICK_THROUGHPUT if settings.quick else FULL_THROUGHPUT
    repeats = settings.repeats_or(6, quick_default=1)
    for i, case in enumerate(cases):  # one discarded pair warms up the process
        yield from throughput_rows(case, repeats, warmup=int(i == 0 and not settings.quick))


# --- gan_step --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GanStepCase:
    """``steps`` train steps make one timed sample."""

    steps: int
    example: str = "gan_digits"


FULL_GAN_STEP = GanStepCase(steps=150)  # fit's per-call set-up, amortised, stays in
QUICK_GAN_STEP = GanStepCase(steps=2)


def hand_written_gan_step(generator: Any, discriminator: Any, latent_dim: int,
                          learning_rate: float, *, simultaneous: bool = False
                          ) -> Callable[[Any], Any]:
    """A DCGAN train step as one would write it by hand: two tapes, two Adams, logits.

    By default it is the AdversarialModel's algorithm (Keras's DCGAN example): update the
    discriminator on real and generated samples, then the generator on fresh noise with
    the non-saturating loss. ``simultaneous`` is the TensorFlow DCGAN tutorial's variant
    instead: one generator pass recorded by both tapes and both updates from it, which is
    one generator and one discriminator forward pass fewer per step.
    """
    import keras
    import tensorflow as tf

    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
    d_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
    g_weights, d_weights = generator.trainable_variables, discriminator.trainable_variables

    def d_loss_of(real_scores: Any, fake_scores: Any) -> Any:
        return (loss(tf.ones_like(real_scores), real_scores)
                + loss(tf.zeros_like(fake_scores), fake_scores))

    @tf.function
    def alternating(real: Any) -> Any:
        noise_shape = (tf.shape(real)[0], latent_dim)
        fake = generator(tf.random.normal(noise_shape), training=True)
        with tf.GradientTape() as tape:
            d_loss = d_loss_of(discriminator(real, training=True),
                               discriminator(fake, training=True))
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_weights), d_weights,
                                        strict=True))
        with tf.GradientTape() as tape:
            scores = discriminator(generator(tf.random.normal(noise_shape), training=True),
                                   training=True)
            g_loss = loss(tf.ones_like(scores), scores)
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_weights), g_weights,
                                        strict=True))
        return d_loss, g_loss

    @tf.function
    def together(real: Any) -> Any:
        noise = tf.random.normal((tf.shape(real)[0], latent_dim))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_scores = discriminator(generator(noise, training=True), training=True)
            d_loss = d_loss_of(discriminator(real, training=True), fake_scores)
            g_loss = loss(tf.ones_like(fake_scores), fake_scores)
        d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_weights), d_weights,
                                        strict=True))
        g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_weights), g_weights,
                                        strict=True))
        return d_loss, g_loss

    return together if simultaneous else alternating


@benchmark("gan_step")
def gan_step(settings: Settings) -> Iterator[Row]:
    """Time per GAN train step: AdversarialModel vs hand-written, interleaved samples."""
    import keras
    import tensorflow as tf

    from projects.compiler import compile_project

    case = QUICK_GAN_STEP if settings.quick else FULL_GAN_STEP
    repeats = settings.repeats_or(11, quick_default=1)
    project = load_example(case.example)
    training = project.training
    keras.utils.set_random_seed(training.seed)
    compiled = compile_project(project)
    model, latent_dim = compiled.model, compiled.model.latent_dim
    generator = keras.models.clone_model(compiled.generator)  # same layers, fresh weights
    discriminator = keras.models.clone_model(compiled.discriminator)

    x = load_data(project, training).x_train.astype("float32")
    batch = training.batch_size
    pipeline = (tf.data.Dataset.from_tensor_slices(x)
                .shuffle(len(x), seed=training.seed, reshuffle_each_iteration=True)
                .batch(batch, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE))
    batches = list(pipeline.take(case.steps))

    def hand_loop(step: Callable[[Any], Any], source: Callable[[], Any]) -> Callable[[], float]:
        def run() -> float:
            d_loss = None
            for real in source():
                d_loss, _ = step(real)
            return float(d_loss)

        return run

    def from_pipeline() -> Any:
        return pipeline.take(case.steps)

    rate = training.learning_rate
    alternating = hand_written_gan_step(generator, discriminator, latent_dim, rate)
    together = hand_written_gan_step(generator, discriminator, latent_dim, rate,
                                     simultaneous=True)

    def fit_steps() -> float:
        history = model.fit(pipeline, epochs=1, steps_per_epoch=case.steps, verbose=0)
        return history.history["d_loss"][-1]

    def batch_steps() -> float:
        logs = {}
        for real in batches:
            logs = model.train_on_batch(real, return_dict=True)
        return float(logs["d_loss"])

    shape = f"batch {batch}, {tuple(x.shape[1:])} samples, latent {latent_dim}"
    # alternate()'s one warm-up pair traces both sides' step functions
    fit_pair = alternate(fit_steps, hand_loop(alternating, from_pipeline), repeats)
    yield ratio_row("gan_step", f"fit step vs hand-written tf.function loop, {shape}",
                    fit_pair.ours / case.steps, fit_pair.base / case.steps, "s",
                    at_most=GAN_STEP_TARGET,
                    note=f"{case.steps} steps per sample from the same tf.data pipeline, "
                         "including fit's per-call set-up; same algorithm on both sides "
                         f"(D update, then G update on fresh noise); {fit_pair.spread()}")
    batch_pair = alternate(batch_steps, hand_loop(alternating, lambda: batches), repeats)
    yield ratio_row("gan_step", "train_on_batch vs hand-written, same batches",
                    batch_pair.ours / case.steps, batch_pair.base / case.steps, "s",
                    note=f"{case.steps} ready batches per sample; {batch_pair.spread()}")
    tutorial = alternate(fit_steps, hand_loop(together, from_pipeline), repeats)
    yield ratio_row("gan_step", "fit step vs TF-tutorial step (one shared G pass)",
                    tutorial.ours / case.steps, tutorial.base / case.steps, "s",
                    note="info: the tutorial updates D and G from the same generated batch, "
                         "so it runs fewer passes per step than the alternating algorithm; "
                         f"{tutorial.spread()}")


# --- gcn_training ----------------------------------------------------------------------------

GCN_FEATURES, GCN_HIDDEN, GCN_CLASSES = 16, 16, 4
FULL_GCN_SIZES, FULL_GCN_EPOCHS = (10_000, 100_000), 30
QUICK_GCN_SIZES, QUICK_GCN_EPOCHS = (500, 2_000), 4


def gcn_project(num_nodes: int, epochs: int) -> Any:
    """Input(F) + Graph(num_nodes) -> GraphConvolution x2 -> Output, node classification."""
    from projects.document import Project, TrainingSettings
    from tests.projects.support import add_two_layer_gcn

    project = Project(
        name=f"GCN on an SBM graph of {num_nodes} nodes",
        task={"kind": "node_classification"},
        dataset={"name": "sbm_graph", "num_nodes": num_nodes, "features": GCN_FEATURES,
                 "num_classes": GCN_CLASSES},
        training=TrainingSettings(epochs=epochs, batch_size=num_nodes, learning_rate=0.01,
                                  validation_split=0.2),
    )
    add_two_layer_gcn(project, GCN_FEATURES, GCN_HIDDEN, GCN_CLASSES, num_nodes)
    return project


def own_peak_rss_bytes() -> int | None:
    """This process's own peak resident set size (Linux ``VmHWM``), or None without /proc.

    The harness's ``ru_maxrss`` is not enough for a child: Linux carries the parent's peak
    over fork and exec into it, so a child of a parent that has grown (say, to 1.5 GB after
    trainer_throughput) reports at least that. ``VmHWM`` is the child's own address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def gcn_child(num_nodes: int, epochs: int) -> dict[str, Any]:
    """Train the GCN project with the Trainer (runs in a child: its peak RSS is its own).

    Returns the seconds between consecutive EpochEnd events (each epoch: one full-batch
    train step, validation, events, and the node-embedding probe when it is due).
    """
    from projects import events as ev
    from projects.training import RunOptions, Trainer

    ends: list[float] = []
    probes = 0

    def listen(event: Any) -> None:
        nonlocal probes
        if isinstance(event, ev.EpochEnd):
            ends.append(time.perf_counter())
        elif isinstance(event, ev.EmbeddingProbe):
            probes += 1

    result = Trainer(gcn_project(num_nodes, epochs), None, RunOptions(record=False),
                     listen).run()
    fail_unless_finished(result)
    return {
        "epoch_seconds": [b - a for a, b in itertools.pairwise(ends)],
        "run_seconds": result.seconds,
        "val_accuracy": result.final_metrics.get("val_accuracy", math.nan),
        "probes": probes,
        "peak_rss_bytes": own_peak_rss_bytes(),
    }


@dataclass
class GcnSize:
    """One graph size's measurements from all its children."""

    num_nodes: int
    edges: int
    runs: list[dict[str, Any]]

    @property
    def epoch_seconds(self) -> float:
        return statistics.median(s for run in self.runs for s in run["epoch_seconds"])

    @property
    def mean_epoch_seconds(self) -> float:
        """Unlike the median, this spreads the probes' cost over all epochs."""
        return statistics.mean(s for run in self.runs for s in run["epoch_seconds"])

    @property
    def peak(self) -> int:
        return max(run["peak_rss_bytes"] or run["ru_maxrss_bytes"] for run in self.runs)


def gcn_edges(num_nodes: int, epochs: int) -> int:
    """Undirected edges of the project's graph (the dataset is seeded: the child's graph)."""
    project = gcn_project(num_nodes, epochs)
    return int(load_data(project, project.training).num_edges)


@benchmark("gcn_training")
def gcn_training(settings: Settings) -> Iterator[Row]:
    """Epoch time, time-per-edge growth and peak RSS of Trainer runs, a child per run."""
    sizes = QUICK_GCN_SIZES if settings.quick else FULL_GCN_SIZES
    epochs = QUICK_GCN_EPOCHS if settings.quick else FULL_GCN_EPOCHS
    repeats = settings.repeats_or(2, quick_default=1)
    small_size, large_size = sizes

    def child(num_nodes: int) -> dict[str, Any]:
        return run_child(f"{__name__}:gcn_child", {"num_nodes": num_nodes, "epochs": epochs})

    small_runs, large_runs = interleave(lambda: child(small_size), lambda: child(large_size),
                                        repeats)
    small = GcnSize(small_size, gcn_edges(small_size, epochs), small_runs)
    large = GcnSize(large_size, gcn_edges(large_size, epochs), large_runs)

    for size in (small, large):
        accuracy = statistics.median(run["val_accuracy"] for run in size.runs)
        probes = statistics.median(run["probes"] for run in size.runs)
        yield Row("gcn_training",
                  f"epoch, {count(size.num_nodes)} nodes / {count(size.edges)} edges",
                  size.epoch_seconds, None, "s", None, "info", None,
                  note=f"median of epochs 2-{epochs} over {len(size.runs)} run(s), mean "
                       f"{format_quantity(size.mean_epoch_seconds, 's')}; full-batch Trainer "
                       f"epoch with validation, events and {probes:g} embedding probes per "
                       f"run; validation accuracy {accuracy:.3f}")
    yield ratio_row(
        "gcn_training",
        f"time per edge, {count(large.num_nodes)} vs {count(small.num_nodes)} nodes",
        large.epoch_seconds / large.edges, small.epoch_seconds / small.edges, "s/edge",
        at_most=MAX_TIME_PER_EDGE_GROWTH,
        note=f"{large.edges / small.edges:.1f}x the edges took "
             f"{large.epoch_seconds / small.epoch_seconds:.1f}x the time per epoch")
    for size in (small, large):
        yield limit_row("gcn_training", f"peak RSS, {count(size.num_nodes)} nodes", size.peak,
                        "bytes", below=MEMORY_LIMIT_BYTES,
                        note="whole child process: Python, TensorFlow, dataset, Trainer run")


# --- gan_quality -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityCase:
    """At least ``steps`` GAN steps; the judge trains for its example's epochs."""

    steps: int
    judge_epochs: int | None = None  # None: the cnn_digits example's own setting


FULL_QUALITY = QualityCase(steps=5_000)
QUICK_QUALITY = QualityCase(steps=1, judge_epochs=1)


def train_judge(epochs: int | None) -> tuple[Any, float, float]:
    """The cnn_digits example trained by the Trainer on the real digits (80 % of them).

    Returns the classifier, its validation accuracy, and the share of the held-out real
    digits it classifies with confidence >= CONFIDENCE: the best a generator could hope for.
    """
    from projects.evaluation import judge_samples
    from projects.training import RunOptions, Trainer

    project = load_example("cnn_digits")
    trainer = Trainer(project, None, RunOptions(record=False, epochs=epochs))
    result = fail_unless_finished(trainer.run())
    classifier = trainer.compiled.model
    data = load_data(project, project.training)
    real = judge_samples(classifier, data.x_val, (0.0, 1.0), CONFIDENCE)
    return classifier, result.final_metrics["val_accuracy"], real.confident_share


@benchmark("gan_quality")
def gan_quality(settings: Settings) -> Iterator[Row]:
    """Train gan_digits with the Trainer, then judge 500 samples with a digits classifier."""
    import numpy as np

    from projects import events as ev
    from projects.evaluation import judge_samples
    from projects.training import RunOptions, Trainer

    case = QUICK_QUALITY if settings.quick else FULL_QUALITY
    project = load_example("gan_digits")
    data = load_data(project, project.training)
    steps_per_epoch = len(data.x_train) // project.training.batch_size
    epochs = math.ceil(case.steps / steps_per_epoch)
    warnings: list[str] = []

    def listen(event: Any) -> None:
        if isinstance(event, ev.RunWarning):
            warnings.append(event.message)

    start = time.perf_counter()
    trainer = Trainer(project, None, RunOptions(record=False, epochs=epochs), listen)
    result = fail_unless_finished(trainer.run())
    gan_seconds = time.perf_counter() - start
    generator = trainer.compiled.generator

    judge, judge_accuracy, real_share = train_judge(case.judge_epochs)
    latent = generator.input.shape[-1]
    noise = np.random.default_rng(1).standard_normal((GAN_SAMPLES, latent)).astype("float32")
    samples = np.asarray(generator(noise, training=False))
    # the GAN's data range; the judge sees [0, 1] pixels (as the Evaluation tab's judge does)
    judged = judge_samples(judge, samples, data.value_range, CONFIDENCE)
    confident, histogram = judged.confident_share, judged.per_digit
    distinct = int(np.count_nonzero(histogram))

    steps = epochs * steps_per_epoch
    run = (f"{steps} steps ({epochs} epochs x {steps_per_epoch}) in {gan_seconds:.0f} s, "
           f"final D(x) {result.final_metrics.get('d_real', math.nan):.2f}, "
           f"D(G(z)) {result.final_metrics.get('d_fake', math.nan):.2f}")
    if warnings:
        run += "; warnings: " + " | ".join(warnings)
    judge_note = (f"judge: cnn_digits example (validation accuracy {judge_accuracy:.3f}); "
                  f"baseline = share of held-out real digits it is >= {CONFIDENCE:g} sure of")
    yield Row("gan_quality", f"{GAN_SAMPLES} samples classified with confidence >= "
              f"{CONFIDENCE:g}, after {steps} steps", confident, real_share, "",
              None, f">= {CONFIDENT_SHARE_TARGET:g}", confident >= CONFIDENT_SHARE_TARGET,
              note=f"{run}; {judge_note}")
    yield Row("gan_quality", f"digits predicted among the {GAN_SAMPLES} samples", distinct,
              None, "digits", None, f"= {DIGITS}", distinct == DIGITS,
              note="samples per predicted digit 0-9: "
                   + " ".join(str(int(n)) for n in histogram))
    yield Row("gan_quality", "judge's validation accuracy (real digits)", judge_accuracy,
              None, "", None, "info", None)

