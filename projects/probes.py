"""Probes: looks inside a training model for the dashboard (attention maps, GAN samples,
node embeddings), at a throttled rate set by the event callback."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from projects import events as ev
from projects.compiler import CompiledProject

if TYPE_CHECKING:
    from projects.training import Trainer

PROBE_SAMPLES = 8
GAN_GRID = 16
EMBEDDING_EDGE_LIMIT = 5_000  # draw edges only for graphs this small


def as_tuple(x: Any) -> tuple:
    """A model's inputs as a tuple, whether it has one input or several."""
    return tuple(x) if isinstance(x, list | tuple) else (x,)


class Prober:
    """Looks inside the model for the dashboard: attention, GAN samples, node embeddings."""

    def __init__(self, trainer: Trainer, data, kind: str) -> None:
        self.trainer = trainer
        self.data = data
        self.kind = kind
        self._attention: Any = None
        self._embedding: Any = None
        self._z: Any = None
        self._won = 0
        self._warned: set[str] = set()

    def prepare(self, compiled: CompiledProject | None) -> None:
        if compiled is None or not self.trainer.options.probes:
            return
        import keras

        if self.kind == "adversarial":
            latent = compiled.generator.input.shape[-1]
            rng = np.random.default_rng(self.trainer.settings().seed)
            self._z = rng.normal(size=(GAN_GRID, latent)).astype("float32")
            return
        if self.kind == "node_classification":
            hidden = _embedding_tensor(compiled)
            self._embedding = keras.Model(compiled.model.inputs,
                                          [hidden, compiled.model.outputs[0]])
            self._graph_inputs = self.trainer._graph_inputs
            return
        probe = compiled.probe_model()
        if probe is not None:
            x = self.data.x_val if self.data.x_val is not None and len(
                as_tuple(self.data.x_val)[0]) else self.data.x_train
            x = tuple(a[:PROBE_SAMPLES] for a in as_tuple(x))
            y = self.data.y_val if x is not None and self.data.x_val is not None else None
            self._attention = (probe, x if len(x) > 1 else x[0])
            self._tokens = _step_labels(x[0], compiled.model)
            self._labels = [] if y is None else [int(v) for v in np.asarray(y)[:PROBE_SAMPLES]]

    def probe(self, step: int, epoch: int, logs: dict[str, float]) -> None:
        if self._attention is not None:
            model, x = self._attention
            weights = model.predict_on_batch(x)  # compiled once; an eager call costs ~15x
            self.trainer._emit(ev.AttentionProbe(
                step, epoch, {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()},
                self._tokens, self._labels))
        elif self._z is not None:
            self._probe_gan(step, epoch, logs)
        elif self._embedding is not None:
            self._probe_graph(step, epoch)

    def _probe_gan(self, step: int, epoch: int, logs: dict[str, float]) -> None:
        compiled = self.trainer.compiled
        samples = np.asarray(compiled.generator.predict_on_batch(self._z), dtype=np.float32)
        d_real, d_fake = float(logs.get("d_real", math.nan)), float(logs.get("d_fake", math.nan))
        self.trainer._emit(ev.GanProbe(step, epoch, samples, d_real, d_fake))
        self._won = self._won + 1 if (d_real > 0.95 and d_fake < 0.05) else 0
        if self._won >= 3:
            self._warn("won", step, "The discriminator has won: D(x) ≈ 1 and D(G(z)) ≈ 0, so "
                       "the generator learns little. Try a lower learning rate or a smaller "
                       "discriminator.")
        spread = float(samples.std(axis=0).mean())
        if step > 50 and spread < 0.01 * (float(samples.max() - samples.min()) + 1e-6):
            self._warn("collapse", step, "The generator may have collapsed: its samples "
                       "barely differ from each other. Try a lower learning rate.")

    def _warn(self, key: str, step: int, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.trainer._emit(ev.RunWarning(message, step))

    def _probe_graph(self, step: int, epoch: int) -> None:
        hidden, scores = self._embedding.predict_on_batch(self._graph_inputs)
        hidden = np.asarray(hidden, dtype=np.float64)
        predictions = np.asarray(scores).argmax(axis=-1)
        labels = np.asarray(self.data.labels)
        labelled = np.asarray(self.data.train_mask, dtype=bool)
        correct = predictions == labels
        # Nodes without a label (-1) have nothing to be right or wrong about.
        others = ~labelled & (labels >= 0)
        edges = None
        if len(self.data.edges) <= EMBEDDING_EDGE_LIMIT:
            edges = np.asarray(self.data.edges, dtype=np.int32).reshape(-1, 2)
        self.trainer._emit(ev.EmbeddingProbe(
            step, epoch, pca_2d(hidden).astype(np.float32), labels.astype(np.int32),
            predictions.astype(np.int32), labelled,
            float(correct[labelled].mean()) if labelled.any() else math.nan,
            float(correct[others].mean()) if others.any() else math.nan, edges))


def pca_2d(x: np.ndarray) -> np.ndarray:
    """The first two principal components (padded with zeros for 1-D embeddings).

    From the eigenvectors of the small (F, F) scatter matrix rather than an SVD of the
    (N, F) data: the same axes, several times faster on graphs of 100 000 nodes.
    """
    centred = x - x.mean(axis=0, keepdims=True)
    if centred.shape[1] == 0:
        return np.zeros((len(x), 2))
    _, vectors = np.linalg.eigh(centred.T @ centred)  # eigenvalues in ascending order
    coords = centred @ vectors[:, ::-1][:, :2]
    if coords.shape[1] < 2:
        coords = np.concatenate([coords, np.zeros((len(x), 2 - coords.shape[1]))], axis=1)
    return coords


def _embedding_tensor(compiled: CompiledProject) -> Any:
    """The node features entering the block that feeds the Output: the last hidden layer."""
    project = compiled.project
    output = compiled.output_nodes[0]
    last = project.link_into(output, "in").source
    links = project.links_into(last)
    tensor_links = [link for link in links
                    if project.node(link.source).output_ports()[0].kind == "tensor"]
    if not tensor_links:
        return compiled.tensors[(last, project.node(last).output_ports()[0].name)]
    source = tensor_links[0]
    return compiled.tensors[(source.source, source.source_port)]


def _step_labels(x: np.ndarray, model: Any = None) -> list[list[str]]:
    """Axis labels for attention maps: token ids for integer sequences, step numbers for
    other sequences, and for texts that ``model`` reads through a Text Vectorization block
    the words it sees, padding left out (so a sample's labels are as many as its tokens)."""
    x = np.asarray(x)
    if x.dtype == object or x.dtype.kind in "US":
        from projects.vectorizers import words

        return [] if model is None else words(model, x)
    if x.ndim < 2:
        return []
    if np.issubdtype(x.dtype, np.integer):
        return [[str(int(t)) for t in row] for row in x]
    return [[str(i + 1) for i in range(x.shape[1])] for _ in range(len(x))]
