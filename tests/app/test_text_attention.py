"""Attention over words: a text's padding steps are not drawn, and its words label the
axes (the probe leaves the padding out of a sample's tokens)."""

from __future__ import annotations

import numpy as np

from app.dashboard import AttentionView
from projects import events as ev
from tests.app.test_dashboard import feed, mha_weights, started

TOKENS = [["what", "a", "film"], ["[UNK]", "was", "quite", "awful"]]


def test_multi_head_maps_leave_the_padding_out(qtbot) -> None:
    view = AttentionView()
    qtbot.addWidget(view)
    weights = mha_weights(np.random.default_rng(0), samples=2, heads=2, length=6)
    feed(view, [started(attention=("n4",)),
                ev.AttentionProbe(3, 1, {"n4": weights}, TOKENS, [1, 0])])
    np.testing.assert_allclose(view.image.image, weights[0].mean(axis=0)[:3, :3])
    assert [label for _, label in view.heatmap_plot.getAxis("bottom")._tickLevels[0]] == (
        TOKENS[0])
    assert [label for _, label in view.heatmap_plot.getAxis("left")._tickLevels[0]] == (
        TOKENS[0])
    assert [image.image.shape for image in view.head_images] == [(3, 3), (3, 3)]
    view.sample_combo.setCurrentIndex(1)
    view.head_combo.setCurrentIndex(2)
    np.testing.assert_array_equal(view.image.image, weights[1, 1, :4, :4])
    assert [label for _, label in view.heatmap_plot.getAxis("bottom")._tickLevels[0]] == (
        TOKENS[1])


def test_additive_bars_stop_at_the_longest_text(qtbot) -> None:
    view = AttentionView()
    qtbot.addWidget(view)
    weights = np.zeros((2, 6), dtype=np.float32)
    weights[0, :3] = [0.2, 0.3, 0.5]
    weights[1, :4] = [0.1, 0.1, 0.1, 0.7]
    feed(view, [started(attention=("n3",)),
                ev.AttentionProbe(3, 1, {"n3": weights}, TOKENS, [1, 0])])
    np.testing.assert_array_equal(view.image.image, weights[:, :4])
    view.sample_combo.setCurrentIndex(1)
    np.testing.assert_allclose(view.bars.opts["height"], weights[1, :4])
    assert [label for _, label in view.bars_plot.getAxis("bottom")._tickLevels[0]] == (
        TOKENS[1])
