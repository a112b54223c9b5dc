"""The built-in short_messages dataset: seeded, imbalanced like real SMS corpora, every spam
message holds a deciding word that ham never uses, and it loads as a text dataset."""

from __future__ import annotations

import numpy as np

from projects.datasets import load_dataset
from projects.datasets.messages import SPAM_WORDS, short_messages
from projects.datasets.texts import tokens


def test_messages_are_seeded_imbalanced_and_decided_by_spam_words() -> None:
    texts, labels = short_messages(3000, 0.15, np.random.default_rng(4))
    again, _ = short_messages(3000, 0.15, np.random.default_rng(4))
    assert texts.dtype == object and list(texts) == list(again)
    assert 0.12 < labels.mean() < 0.18
    words = [set(tokens(t)) for t in texts]
    assert all(w & SPAM_WORDS for w, label in zip(words, labels, strict=True) if label)
    assert not any(w & SPAM_WORDS for w, label in zip(words, labels, strict=True) if not label)
    # Calls, texts and "free" are no giveaway: both classes use them.
    for shared in ("call", "free", "txt"):
        assert {int(label) for w, label in zip(words, labels, strict=True) if shared in w} == {0, 1}
    assert len(set(texts)) > 0.7 * len(texts)


def test_even_two_messages_hold_both_classes() -> None:
    _, labels = short_messages(2, 0.01, np.random.default_rng(0))
    assert sorted(labels.tolist()) == [0, 1]


def test_it_loads_as_a_text_dataset() -> None:
    data = load_dataset({"name": "short_messages", "samples": 200, "spam_share": 0.3},
                        seed=0, validation_split=0.2)
    assert data.class_names == ["ham", "spam"] and data.num_classes == 2
    assert data.x_train.dtype == object and isinstance(data.x_train[0], str)
    other = load_dataset({"name": "short_messages", "samples": 200, "spam_share": 0.3,
                          "data_seed": 1}, seed=0, validation_split=0.2)
    assert list(other.x_train) != list(data.x_train)
