"""Past runs, reopened: a run's folder holds what is needed to judge its model again.

A run folder has ``run.json`` (the settings it trained with), ``project.deepwire`` (the
project as it was) and ``model.keras``. :func:`open_run` reads them and loads the data the
run trained on (same seed, same split fractions), so evaluation and prediction see exactly
the validation and test parts the run held back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from projects import files
from projects.compiler import CompiledProject, compile_project
from projects.document import Project, TrainingSettings
from projects.probes import as_tuple
from projects.training import REGRESSION_LOSSES, RunFailure, evaluate_split, load_run_data
from projects.user_folders import user_cache_dir
from projects.vectorizers import copy_vocabularies


@dataclass
class PastRun:
    """One run's folder, read; its data and model load on first use (they are slow)."""

    folder: Path
    info: dict[str, Any]
    project: Project
    settings: TrainingSettings
    base_dir: Path
    _data: Any = field(default=None, repr=False)
    _model: Any = field(default=None, repr=False)
    _compiled: Any = field(default=None, repr=False)
    _probe: Any = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return self.project.task.get("kind", "supervised")

    @property
    def has_test_part(self) -> bool:
        """Runs from before the test split trained on everything but validation."""
        return "test_split" in (self.info.get("training") or {})

    @property
    def project_has_attention(self) -> bool:
        """Whether a block of the model gives attention maps (see :meth:`compiled`)."""
        return any(n.spec.probe is not None for n in self.project.nodes.values())

    def data(self) -> Any:
        """The run's Dataset, split as the run split it; RunFailure when it is gone."""
        from projects.datasets import DatasetError

        if self._data is None:
            try:
                self._data = load_run_data(self.project, self.settings, self.base_dir)
            except DatasetError as err:
                raise RunFailure(str(err), "The run's dataset must still be where it was.",
                                 ) from err
        return self._data

    def model(self) -> Any:
        """The run's saved Keras model (a GAN's generator and discriminator in one)."""
        if self._model is None:
            import keras

            import blocks.layers  # noqa: F401  (registers Deepwire's layers for loading)

            self._model = keras.saving.load_model(self.folder / "model.keras")
        return self._model


    def compiled(self) -> CompiledProject:
        """The project snapshot compiled afresh, holding the saved model's weights.

        Its probe model (``compiled.probe_model()``) gives the attention maps of the trained
        model for any input, which the saved file alone cannot: the attention weights are
        not among its outputs.
        """
        if self._compiled is None:
            compiled = compile_project(self.project)
            saved = {layer.name: layer for layer in _all_layers(self.model())}
            for layer in _all_layers(compiled.model):
                if layer.weights and layer.name in saved:
                    layer.set_weights(saved[layer.name].get_weights())
            if compiled.kind == "supervised":
                copy_vocabularies(self.model(), compiled.model)
            self._compiled = compiled
        return self._compiled


    def probe_model(self) -> Any:
        """The attention probe of :meth:`compiled`, built once (a new one would trace its
        predict function again); None without attention blocks."""
        if self._probe is None and self.project_has_attention:
            self._probe = self.compiled().probe_model()
        return self._probe


def _all_layers(model: Any) -> list[Any]:
    """Every layer of a model and of the models inside it (a GAN's two), by depth."""
    layers = []
    for layer in model.layers if hasattr(model, "layers") else ():
        layers.append(layer)
        if hasattr(layer, "layers"):
            layers.extend(_all_layers(layer))
    return layers


def open_run(run_dir: str | Path) -> PastRun:
    """Read one run's folder; RunFailure, with a hint, when it is not one or has no model.

    The dataset's relative paths are resolved from the project's folder at the time of the
    run (``project_path`` in run.json), else from the folder holding the runs folder.
    """
    folder = Path(run_dir)
    try:
        info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        project = files.load(folder / "project.deepwire")
    except (OSError, ValueError) as err:  # ProjectFileError is a ValueError
        raise RunFailure(f"{folder} is not a readable run folder: {err}",
                         "Give the folder of one run (it holds run.json, project.deepwire "
                         "and model.keras).") from err
    if not isinstance(info, dict):
        raise RunFailure(f"{folder / 'run.json'} does not hold a run's record.",
                         "Give the folder of one run.")
    if not (folder / "model.keras").exists():
        raise RunFailure(f"{folder} has no model.keras: the run did not finish training.",
                         "Use a completed or stopped run.")
    recorded = dict(info.get("training") or {})
    known = {f.name for f in fields(TrainingSettings)}
    settings = TrainingSettings(**{k: v for k, v in recorded.items() if k in known})
    where = info.get("project_path")
    base_dir = Path(where).parent if where else folder.parent.parent
    return PastRun(folder, info, project, settings, base_dir)


def evaluate_run(run_dir: str | Path | PastRun, split: str = "test") -> dict[str, float]:
    """Keras's ``evaluate`` of a past run's model on its ``"validation"`` or ``"test"`` part,
    as :func:`projects.training.evaluate_split` measured it when the run ended."""
    run = run_dir if isinstance(run_dir, PastRun) else open_run(run_dir)
    failure = _split_failure(run, split)
    if failure is not None:
        raise failure
    metrics = evaluate_split(run.model(), run.kind, run.data(), split,
                             run.settings.batch_size)
    if not metrics:
        raise RunFailure(f"The run's data has no {split} part to evaluate on.",
                         "Try the other split.")
    return metrics


# ----------------------------------------------------------------------------- the report

MISTAKES_SHOWN = 24  # the most confident mistakes a report keeps
NEIGHBOURS_SHOWN = 12  # a graph mistake's neighbours kept for drawing
PREDICT_BATCH = 1024  # a GAN's samples, judged in batches of this many
PREDICT_BYTES = 4 << 20  # a split predicts in batches of about this much input (4 MB) …
MAX_PREDICT_BATCH = 4096  # … and at most this many samples
GAN_GRID = 16  # as projects.probes draws it, from the same seed
JUDGED_SAMPLES = 500
JUDGE_CONFIDENCE = 0.9
JUDGED_DATASETS = ("digits", "mnist")


@dataclass(eq=False)
class Mistakes:
    """The most confident wrong predictions of a split, most confident first, and what is
    needed to show them. ``index`` counts within the split (for graphs: within the split's
    labelled nodes, in node order); the other arrays follow it."""

    index: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray  # the probability of the predicted class
    images: np.ndarray | None = None  # (k, h, w[, c]) for image data, in ``levels``
    levels: tuple[float, float] | None = None
    values: np.ndarray | None = None  # (k, F) for table rows
    tokens: list[list[str]] | None = None  # step labels of each sequence
    attention: dict[str, np.ndarray] = field(default_factory=dict)  # block -> (k, ...)
    attention_titles: dict[str, str] = field(default_factory=dict)
    nodes: np.ndarray | None = None  # graph node ids
    neighbours: list[np.ndarray] | None = None  # per mistake: up to NEIGHBOURS_SHOWN ids
    neighbour_labels: list[np.ndarray] | None = None  # their labels (-1: none)
    neighbour_predictions: list[np.ndarray] | None = None
    degrees: np.ndarray | None = None  # every neighbour counted

    def __len__(self) -> int:
        return len(self.index)


@dataclass(eq=False)
class ClassReport:
    """A classifier judged on one split, by scikit-learn's metrics."""

    class_names: list[str]
    true: np.ndarray  # (n,) class indices
    probabilities: np.ndarray  # (n, C)
    predicted: np.ndarray  # (n,)
    confusion: np.ndarray  # (C, C) counts, rows true, columns predicted
    precision: np.ndarray  # (C,)
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray  # (C,) true samples per class
    accuracy: float
    mistakes: Mistakes

    def normalised(self) -> np.ndarray:
        """The confusion matrix with each row divided by its count (rows of 0 stay 0)."""
        rows = self.confusion.sum(axis=1, keepdims=True)
        return np.divide(self.confusion, rows, out=np.zeros(self.confusion.shape),
                         where=rows > 0)


@dataclass(eq=False)
class RegressionReport:
    """Predicted against true numbers on one split (every target value, flattened)."""

    true: np.ndarray
    predicted: np.ndarray
    residuals: np.ndarray  # predicted - true
    mae: float
    rmse: float
    r2: float


@dataclass(eq=False)
class Judgement:
    """A GAN's samples as a digits classifier sees them: ``confident_share`` of ``samples``
    generated digits it is at least ``confidence`` sure of, and how many it gave each digit;
    ``real_share`` is that share for real held-out digits, the best a generator can hope for."""

    confident_share: float
    per_digit: np.ndarray
    samples: int
    confidence: float
    real_share: float | None = None
    judge: str = ""

    def meaning(self) -> str:
        """The score in one sentence, for the UI."""
        text = (f"{100 * self.confident_share:.1f} % of {self.samples} generated samples look "
                f"like one digit to {self.judge or 'a digits classifier'}: it is at least "
                f"{100 * self.confidence:.0f} % sure which digit each one is")
        if self.real_share is not None:
            text += f" (it is that sure of {100 * self.real_share:.1f} % of real digits)"
        return text + "."


@dataclass(eq=False)
class GanReport:
    """The generator's final samples from a fixed latent batch, and their judgement."""

    samples: np.ndarray  # (GAN_GRID, ...)
    levels: tuple[float, float]
    judgement: Judgement | None
    no_judge: str = ""  # why there is no judgement


@dataclass(eq=False)
class Evaluation:
    """One run's model judged on one split: exactly one of the reports is set."""

    run: str
    task: str
    split: str  # "validation", "test" ("" for a GAN)
    count: int  # samples (nodes) judged
    classification: ClassReport | None = None
    regression: RegressionReport | None = None
    gan: GanReport | None = None
    note: str = ""


@contextmanager
def one_model_at_a_time(cancelled: Callable[[], bool] = lambda: False) -> Iterator[bool]:
    """Hold the lock a training run holds while it builds and trains, for work beside it
    (the app's evaluation): loading or building a model draws from Keras's global random
    state, which a run seeds once and must find as it left it. Yields False, without
    the lock, when ``cancelled()`` turns true while waiting."""
    from projects.training import _ONE_AT_A_TIME

    while not _ONE_AT_A_TIME.acquire(timeout=0.1):
        if cancelled():
            yield False
            return
    try:
        yield True
    finally:
        _ONE_AT_A_TIME.release()


def _split_failure(run: PastRun, split: str) -> RunFailure | None:
    if split not in ("validation", "test"):
        return RunFailure(f"Unknown split {split!r}.", "Use validation or test.")
    if split == "test" and not run.has_test_part:
        return RunFailure(f"{run.folder} was trained before runs held back a test part, so its "
                          "data has none that training did not see.",
                          "Use the validation split (--split validation), or train the "
                          "project again.")
    return None


def _output_node(project: Project) -> tuple[dict[str, Any], int]:
    """The first Output block's parameters, and how many Output blocks there are."""
    outputs = sorted(i for i, n in project.nodes.items() if n.block == "output")
    return project.nodes[outputs[0]].params, len(outputs)


def evaluate_predictions(run: PastRun, split: str = "test") -> Evaluation:
    """The run's model judged on its ``"validation"`` or ``"test"`` part from ONE
    ``model.predict`` over it (a graph's whole graph once, then the split's labelled nodes):
    a confusion matrix, per-class figures and the most confident mistakes for a classifier,
    residuals for a regression, the final samples and their judgement for a GAN.

    RunFailure (in plain words, with a hint) when the run, its data or the split is missing.
    """
    if run.kind == "adversarial":
        return _evaluate_gan(run)
    failure = _split_failure(run, split)
    if failure is not None:
        raise failure
    params, outputs = _output_node(run.project)
    note = f"The first of {outputs} outputs." if outputs > 1 else ""
    data = run.data()
    model = run.model()
    if run.kind == "node_classification":
        mask = np.asarray(data.val_mask if split == "validation" else data.test_mask, bool)
        mask &= np.asarray(data.labels) >= 0
        if not mask.any():
            raise RunFailure(f"The run's graph has no labelled {split} nodes.",
                             "Try the other split.")
        from projects.training import _graph_tensors

        x, _ = _graph_tensors(data)
        scores = _first_output(model.predict_on_batch(x))  # all nodes are one batch
        true = np.asarray(data.labels)[mask]
        selected = scores[mask]
    else:
        x, true = (data.x_val, data.y_val) if split == "validation" else (data.x_test,
                                                                          data.y_test)
        if x is None or not len(as_tuple(x)[0]):
            raise RunFailure(f"The run's data has no {split} part to evaluate on.",
                             "Try the other split.")
        selected = _first_output(_predict(model, x, run.settings.batch_size))
        mask = None
    evaluation = Evaluation(run.folder.name, run.kind, split, len(true), note=note)
    if params["loss"] in REGRESSION_LOSSES:
        evaluation.regression = _regression(np.asarray(true), selected)
    else:
        probabilities = _probabilities(selected, params["loss"], bool(params["from_logits"]))
        report = _classification(np.asarray(true), probabilities, data.class_names,
                                 data.num_classes)
        _describe_mistakes(report.mistakes, run, data, split, mask,
                           scores.argmax(-1) if mask is not None else None)
        evaluation.classification = report
    return evaluation


def _predict(model: Any, x: Any, batch_size: int) -> Any:
    """One prediction over all of ``x``, in batches of about PREDICT_BYTES of input (at least
    the run's batch size): one step when they all fit, else Keras's predict over a tf.data
    pipeline (handed NumPy arrays, predict would trace a new input pipeline every call)."""
    import tensorflow as tf

    inputs = tuple(np.asarray(a) for a in as_tuple(x))
    x = inputs if len(inputs) > 1 else inputs[0]
    per_sample = sum(a[:1].nbytes for a in inputs) or 1
    batch = max(batch_size, min(MAX_PREDICT_BATCH, PREDICT_BYTES // per_sample))
    if len(inputs[0]) <= batch:
        return model.predict_on_batch(x)
    pipeline = tf.data.Dataset.from_tensor_slices(x).batch(batch).prefetch(tf.data.AUTOTUNE)
    return model.predict(pipeline, verbose=0)


def _first_output(predicted: Any) -> np.ndarray:
    if isinstance(predicted, dict):
        predicted = next(iter(predicted.values()))
    if isinstance(predicted, list | tuple):
        predicted = predicted[0]
    return np.asarray(predicted, dtype=np.float64)


def _probabilities(scores: np.ndarray, loss: str, from_logits: bool) -> np.ndarray:
    """Class probabilities (n, C) from the Output's scores; a single sigmoid unit is
    two classes."""
    scores = scores.reshape(len(scores), -1)
    if loss == "binary_crossentropy" and scores.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-scores[:, 0])) if from_logits else scores[:, 0]
        return np.stack([1.0 - p, p], axis=1)
    if from_logits:
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)
    return scores


def _classification(true: np.ndarray, probabilities: np.ndarray,
                    names: list[str] | None, num_classes: int | None) -> ClassReport:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    true = (true.argmax(-1) if true.ndim > 1 else true.reshape(-1)).astype(np.int64)
    classes = max(probabilities.shape[1], num_classes or 0,
                  int(true.max()) + 1 if true.size else 0)
    predicted = probabilities.argmax(axis=1)
    labels = list(range(classes))
    confusion = confusion_matrix(true, predicted, labels=labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        true, predicted, labels=labels, zero_division=0)
    names = list(names) if names and len(names) == classes else [str(c) for c in labels]
    confidence = probabilities[np.arange(len(predicted)), predicted]
    wrong = np.flatnonzero(predicted != true)
    # the most confident first; equals keep their order in the split
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:MISTAKES_SHOWN]
    mistakes = Mistakes(order, true[order], predicted[order], confidence[order])
    return ClassReport(names, true, probabilities, predicted, confusion, precision, recall, f1,
                       support, float(np.mean(predicted == true)) if true.size else math.nan,
                       mistakes)


def _describe_mistakes(mistakes: Mistakes, run: PastRun, data: Any, split: str,
                       mask: np.ndarray | None, graph_predictions: np.ndarray | None) -> None:
    """Fill in what the gallery shows: images, table rows, tokens with attention maps, or
    a node's neighbourhood."""
    if not len(mistakes):
        return
    if mask is not None:
        nodes = np.flatnonzero(mask)[mistakes.index]
        adjacency = data.adjacency().tocsr()
        labels = np.asarray(data.labels)
        mistakes.nodes = nodes
        mistakes.degrees = np.diff(adjacency.indptr)[nodes]
        mistakes.neighbours = [adjacency.indices[adjacency.indptr[v]:adjacency.indptr[v + 1]]
                               [:NEIGHBOURS_SHOWN] for v in nodes.tolist()]
        mistakes.neighbour_labels = [labels[n] for n in mistakes.neighbours]
        mistakes.neighbour_predictions = [graph_predictions[n] for n in mistakes.neighbours]
        return
    x = data.x_val if split == "validation" else data.x_test
    inputs = tuple(np.asarray(a)[mistakes.index] for a in as_tuple(x))
    first = inputs[0]
    probe = run.probe_model()
    if probe is not None:
        weights = probe.predict_on_batch(inputs if len(inputs) > 1 else inputs[0])
        mistakes.attention = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        mistakes.attention_titles = {k: run.project.nodes[k].label for k in weights}
    if (first.ndim == 2 and np.issubdtype(first.dtype, np.integer)) or probe is not None:
        mistakes.tokens = [data.step_labels(s) or [str(i + 1) for i in range(len(s))]
                           for s in first]
    elif (first.ndim == 4 and first.shape[-1] in (1, 3)) or first.ndim == 3:
        mistakes.images = first.astype(np.float32)
        low, high = float(first.min()), float(first.max())
        mistakes.levels = (min(low, 0.0), max(high, 1.0))
    else:
        mistakes.values = first.reshape(len(first), -1).astype(np.float32)


def _regression(true: np.ndarray, predicted: np.ndarray) -> RegressionReport:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    true = true.astype(np.float64).reshape(-1)
    predicted = predicted.reshape(-1)
    return RegressionReport(true, predicted, predicted - true,
                            float(mean_absolute_error(true, predicted)),
                            float(np.sqrt(mean_squared_error(true, predicted))),
                            float(r2_score(true, predicted)) if len(true) > 1 else math.nan)


# ----------------------------------------------------------------------------- GANs


def _evaluate_gan(run: PastRun) -> Evaluation:
    generator = run.model().generator
    latent = int(generator.input.shape[-1])
    z = np.random.default_rng(run.settings.seed).normal(size=(GAN_GRID, latent))
    samples = np.asarray(generator.predict_on_batch(z.astype("float32")), dtype=np.float32)
    data = run.data()
    levels = tuple(float(v) for v in (data.value_range or (0.0, 1.0)))
    judgement, why = None, ""
    judge = digits_judge(run.project.dataset.get("name", ""), samples.shape[1:])
    if isinstance(judge, str):
        why = judge
    else:
        noise = np.random.default_rng(1).standard_normal((JUDGED_SAMPLES, latent))
        many = np.asarray(generator.predict(noise.astype("float32"), batch_size=PREDICT_BATCH,
                                            verbose=0))
        judgement = judge_samples(judge.classifier, many, levels)
        judgement.real_share = judge.real_share
        judgement.judge = judge.description
    return Evaluation(run.folder.name, run.kind, "", GAN_GRID,
                      gan=GanReport(samples, levels, judgement, why))


def judge_samples(classifier: Any, samples: np.ndarray, value_range: tuple[float, float],
                  confidence: float = JUDGE_CONFIDENCE) -> Judgement:
    """How a digits classifier sees generated samples: the share it is at least
    ``confidence`` sure of, and the samples per predicted digit. The samples are in the
    GAN's ``value_range``; the classifier sees [0, 1] pixels."""
    low, high = value_range
    pixels = (np.asarray(samples, dtype=np.float32) - low) / (high - low)
    scores = np.asarray(classifier.predict(pixels, batch_size=PREDICT_BATCH, verbose=0))
    per_digit = np.bincount(scores.argmax(axis=1), minlength=scores.shape[1])
    return Judgement(float(np.mean(scores.max(axis=1) >= confidence)), per_digit,
                     len(pixels), confidence)


@dataclass
class Judge:
    """A digits classifier, with how sure it is of real held-out digits."""

    classifier: Any
    accuracy: float
    real_share: float
    description: str


def digits_judge(dataset: str, sample_shape: tuple[int, ...],
                 cache_dir: Path | None = None) -> Judge | str:
    """The judge for GANs trained on ``dataset`` (digits or MNIST): a small classifier
    trained once on the real digits (seconds) and kept in the user's cache, keyed by the
    dataset and the Keras version. A string says why there is none. Training it seeds
    Keras's global random state (the app trains it under :func:`one_model_at_a_time`)."""
    import keras

    if dataset not in JUDGED_DATASETS:
        return (f"No judge for this GAN: the score exists for GANs trained on the digits or "
                f"MNIST data, not on {dataset or 'this data'}.")
    folder = (cache_dir or user_cache_dir()) / "judges"
    path = folder / f"{dataset}-keras{keras.__version__}.keras"
    facts_path = path.with_suffix(".json")
    try:
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
        classifier = keras.saving.load_model(path)
    except (OSError, ValueError):
        from projects.datasets import DatasetError

        try:
            classifier, facts = _train_judge(dataset)
        except DatasetError as err:  # MNIST not downloaded, say
            return f"No judge: the real {dataset} data could not be loaded ({err})."
        try:
            folder.mkdir(parents=True, exist_ok=True)
            classifier.save(path)
            files.atomic_write(facts_path, json.dumps(facts).encode())
        except OSError:
            pass  # no cache: the next evaluation trains it again
    if tuple(classifier.input.shape[1:]) != tuple(sample_shape):
        return (f"No judge: the generator makes samples of shape {tuple(sample_shape)}, the "
                f"{dataset} classifier reads {tuple(classifier.input.shape[1:])}.")
    return Judge(classifier, facts["accuracy"], facts["real_share"],
                 f"a small classifier trained on the real {dataset} (validation accuracy "
                 f"{facts['accuracy']:.3f})")


def _train_judge(dataset: str) -> tuple[Any, dict[str, float]]:
    """A dense classifier on the real digits in [0, 1], seeded: a few seconds of training."""
    import keras

    from projects.datasets import load_dataset

    data = load_dataset({"name": dataset}, seed=0, validation_split=0.2)
    keras.utils.set_random_seed(0)
    pixels = keras.Input(data.x_train.shape[1:])
    hidden = keras.layers.Dense(128, activation="relu")(keras.layers.Flatten()(pixels))
    classifier = keras.Model(pixels, keras.layers.Dense(10, activation="softmax")(hidden),
                             name=f"{dataset}_judge")
    classifier.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    epochs = max(2, min(40, 60_000 // len(data.x_train)))
    classifier.fit(data.x_train, data.y_train, batch_size=64, epochs=epochs, verbose=0)
    scores = np.asarray(classifier.predict(data.x_val, batch_size=PREDICT_BATCH, verbose=0))
    accuracy = float(np.mean(scores.argmax(axis=1) == data.y_val))
    real = float(np.mean(scores.max(axis=1) >= JUDGE_CONFIDENCE))
    return classifier, {"accuracy": accuracy, "real_share": real}
