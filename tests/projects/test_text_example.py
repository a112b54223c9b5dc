"""The text example (resources/examples/text_spam_transformer): trained as shipped, it tells
spam from ham on held-back messages, and its attention pooling picks the deciding words
(those only spam uses) and gives padding nothing, as the key-tokens example's test checks
its attention on the key tokens."""

from __future__ import annotations

import numpy as np
import pytest

import resources
from projects import events as ev
from projects import files
from projects.datasets import load_dataset
from projects.datasets.messages import SPAM_WORDS
from projects.training import RunOptions, Trainer
from projects.vectorizers import words

EXAMPLE = resources.examples_dir() / "text_spam_transformer.deepwire"


def _block(project, block: str) -> str:
    return next(i for i, n in project.nodes.items() if n.block == block)


@pytest.fixture(scope="module")
def trained():
    project = files.load(EXAMPLE)
    trainer = Trainer(project, None, RunOptions(record=False, tensorboard=False,
                                                probes=False))
    result = trainer.run()
    settings = project.training
    data = load_dataset(project.dataset, seed=settings.seed,
                        validation_split=settings.validation_split,
                        test_split=settings.test_split)
    return trainer, result, data


def test_the_text_example_tells_spam_from_ham(trained) -> None:
    _, result, data = trained
    assert isinstance(result, ev.Finished), result
    assert result.test_metrics["accuracy"] >= 0.97, result.test_metrics
    assert data.class_names == ["ham", "spam"] and 0.1 < data.y_train.mean() < 0.2


def test_its_attention_pooling_picks_the_deciding_words(trained) -> None:
    trainer, _, data = trained
    model = trainer.compiled.model
    # Deciding words: those the training spam uses and the training ham never does.
    ham, spam = set(), set()
    for text_words, label in zip(words(model, data.x_train), data.y_train, strict=True):
        (spam if label else ham).update(text_words)
    deciding = spam - ham
    assert SPAM_WORDS & deciding == SPAM_WORDS & spam  # the generator's own, and more
    weights = trainer.compiled.probe_model()(data.x_val)
    pooling = np.asarray(weights[_block(trainer.project, "simple_attention")])
    heads = np.asarray(weights[_block(trainer.project, "multi_head_attention")])
    tokens = words(model, data.x_val)
    top, ratios = [], []
    for i in np.flatnonzero(data.y_val == 1):
        n = len(tokens[i])
        assert pooling[i, n:].max(initial=0.0) == 0.0  # padding: no weight, in either block
        assert heads[i, :, :n, n:].max(initial=0.0) == 0.0
        picked = np.array([t in deciding for t in tokens[i]])
        top.append(picked[int(pooling[i, :n].argmax())])
        if 0 < picked.sum() < n:
            ratios.append(pooling[i, :n][picked].mean() / pooling[i, :n][~picked].mean())
    # Uniform attention would put the top on a deciding word as often as they are common
    # (a quarter of a spam message's words) and give every word the same weight.
    assert np.mean(top) >= 0.75, np.mean(top)  # 0.91 measured
    assert np.median(ratios) >= 2.5, np.median(ratios)  # 3.5 measured
