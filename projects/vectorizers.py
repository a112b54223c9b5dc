"""Text Vectorization blocks: which model input feeds each one, adapting their vocabulary
on the training texts before training, and reading it back (docs/architecture.md, Blocks).

A Text Vectorization layer learns its vocabulary from data, not by gradient descent, so
the trainer adapts it on the training split only (a word seen only in validation stays
out of the vocabulary, as it would for new texts) after the model is compiled and before
the dry run and ``fit``. The vocabulary is part of the layer's saved state, so
``model.keras`` takes raw text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projects.document import Project

BLOCK = "text_vectorization"


@dataclass(frozen=True)
class Vectorizer:
    """A Text Vectorization block and the Input block whose texts it takes."""

    node_id: str
    input_node: str


class VectorizerError(ValueError):
    """A Text Vectorization block the trainer cannot adapt; ``node_id`` names it."""

    def __init__(self, message: str, node_id: str) -> None:
        super().__init__(message)
        self.node_id = node_id


def vectorizers(project: Project) -> list[Vectorizer]:
    """The project's Text Vectorization blocks, each with the string Input block wired
    straight into it.

    Raises:
        VectorizerError: a block is fed by anything else (its texts could not be read off
            the training data).
    """
    found = []
    for node_id, node in project.nodes.items():
        if node.block != BLOCK:
            continue
        link = project.link_into(node_id, "in")
        source = project.nodes.get(link.source) if link is not None else None
        if source is None or source.block != "input" or source.params["dtype"] != "string":
            raise VectorizerError(f"Text Vectorization '{node.label}' must take its texts "
                                  "straight from an Input block of type string", node_id)
        found.append(Vectorizer(node_id, link.source))
    return found


def adapt_vectorizers(compiled: Any, x_train: Any) -> dict[str, int]:
    """Adapt every Text Vectorization layer of ``compiled`` (a CompiledProject) on the
    training texts of its Input block; returns node id -> vocabulary size.

    ``x_train`` is the dataset's training samples: one array, or a list in the order of
    ``compiled.input_nodes``.
    """
    import numpy as np

    parts = list(x_train) if isinstance(x_train, list | tuple) else [x_train]
    sizes = {}
    for vectorizer in vectorizers(compiled.project):
        layer = _layer(compiled, vectorizer.node_id)
        if layer is None:  # not on the way to an output: not in the model
            continue
        texts = np.asarray(parts[compiled.input_nodes.index(vectorizer.input_node)])
        # The whole array at once: one pass of TensorFlow's string ops, about 3× faster than
        # batches through tf.data (tests/benchmarks/bench_text.py).
        layer.adapt(texts.reshape(-1).astype(object))
        sizes[vectorizer.node_id] = int(layer.vocabulary_size())
    return sizes


def _layer(compiled: Any, node_id: str) -> Any:
    return next((layer for layer in compiled.node_layers(node_id) if layer.name == node_id),
                None)


def words(model: Any, texts: Any) -> list[list[str]]:
    """Each text as the tokens a model's first adapted Text Vectorization layer makes of
    it, as words ("[UNK]" for one outside the vocabulary), padding left out; [] when the
    model has no such layer."""
    import keras
    import numpy as np

    layer = next((layer for layer in model.layers
                  if isinstance(layer, keras.layers.TextVectorization)), None)
    if layer is None or layer.vocabulary_size() <= 2:  # unadapted: padding and [UNK] only
        return []
    vocabulary = [str(w) for w in layer.get_vocabulary()]
    ids = np.asarray(layer(np.asarray(texts, dtype=object).reshape(-1)))
    if ids.ndim == 1:
        ids = ids[None]
    return [[vocabulary[int(t)] for t in row if t != 0] for row in ids]


def copy_vocabularies(source: Any, target: Any) -> None:
    """Give ``target``'s Text Vectorization layers the vocabularies of ``source``'s layers
    of the same name: a vocabulary is layer state but no weight, so copying weights
    (projects/evaluation.py) leaves it behind."""
    import keras

    saved = {layer.name: layer for layer in source.layers
             if isinstance(layer, keras.layers.TextVectorization)}
    for layer in target.layers:
        if isinstance(layer, keras.layers.TextVectorization) and layer.name in saved:
            layer.set_vocabulary(saved[layer.name].get_vocabulary())
