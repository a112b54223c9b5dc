"""The training dashboard fed synthetic event streams (no TensorFlow): what each view shows."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from app.dashboard import (
    AttentionView,
    CurvesView,
    Dashboard,
    GanView,
    GraphView,
    ProgressHeader,
    measure_update_ms,
)
from app.dashboard.attention import MEAN_OF_HEADS
from app.dashboard.gan import tile_grid
from app.dashboard.plotting import (
    GrowingSeries,
    Smoother,
    curve,
    format_duration,
    plot_widget,
    settle_range,
)
from projects import events as ev

SCREENSHOT_SIZE = (1100, 700)


# ----------------------------------------------------------------------------- streams


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def started(task: str = "supervised", epochs: int = 4, steps: int = 10,
            attention: tuple[str, ...] = (), project: str = "Transformer classifier"
            ) -> ev.RunStarted:
    return ev.RunStarted("/tmp/runs/1", project, task, epochs, steps, 64, "CPU:0 (x86_64)", 0,
                         "synthetic", attention)


def batch(epoch: int, epoch_step: int, steps: int, loss: float, epochs: int = 4,
          **metrics: float) -> ev.BatchEnd:
    step = (epoch - 1) * steps + epoch_step
    return ev.BatchEnd(epoch, step, epoch_step, steps, loss, metrics, 1234.4,
                       42.0 * (epochs * steps - step) / (epochs * steps))


def mha_weights(rng: np.random.Generator, sharpness: float = 1.0, samples: int = 8,
                heads: int = 4, length: int = 16) -> np.ndarray:
    logits = rng.normal(size=(samples, heads, length, length))
    keys = rng.integers(0, length, size=(samples, 2))
    for s in range(samples):
        logits[s, :, :, keys[s]] += 3.0 * sharpness
    return _softmax(logits * sharpness)


def transformer_stream(epochs: int = 12, steps: int = 50, seed: int = 0) -> list[ev.Event]:
    """A transformer classifier's run: two MHA blocks of 4 heads over 16 tokens."""
    rng = np.random.default_rng(seed)
    tokens = [[str(t) for t in row] for row in rng.integers(1, 32, size=(8, 16))]
    labels = [int(v) for v in rng.integers(0, 4, size=8)]
    out: list[ev.Event] = [started("supervised", epochs, steps, ("n4", "n11"))]
    for epoch in range(1, epochs + 1):
        for s in range(1, steps + 1):
            t = (epoch - 1 + s / steps) / epochs
            loss = 1.4 * np.exp(-3.5 * t) + 0.05 + 0.08 * rng.normal()
            acc = min(0.99, 0.25 + 0.72 * (1 - np.exp(-4 * t)) + 0.03 * rng.normal())
            out.append(batch(epoch, s, steps, float(loss), epochs, accuracy=float(acc)))
            if s % 10 == 0:
                sharp = 0.4 + 2.0 * t
                out.append(ev.AttentionProbe(out[-1].step, epoch, {
                    "n4": mha_weights(rng, sharp), "n11": mha_weights(rng, sharp * 0.7)},
                    tokens, labels))
        t = epoch / epochs
        out.append(ev.EpochEnd(
            epoch, {"loss": 1.4 * np.exp(-3.5 * t) + 0.05,
                    "accuracy": 0.25 + 0.72 * (1 - np.exp(-4 * t))},
            {"loss": 1.4 * np.exp(-3.2 * t) + 0.12,
             "accuracy": 0.25 + 0.66 * (1 - np.exp(-3.5 * t))}, 0.002, 3.2))
    out.append(ev.Finished("completed", {"loss": 0.1}, "/tmp/runs/1", 38.5))
    return out


def marker_stream(epochs: int = 15, steps: int = 50, seed: int = 0) -> list[ev.Event]:
    """attention_find_marker: additive attention over 20 steps peaking at each marker."""
    rng = np.random.default_rng(seed)
    markers = rng.integers(0, 20, size=8)
    out: list[ev.Event] = [started("supervised", epochs, steps, ("n3",), "Attention: find marker")]
    for epoch in range(1, epochs + 1):
        for s in range(1, steps + 1):
            t = (epoch - 1 + s / steps) / epochs
            out.append(batch(epoch, s, steps, float(1.3 * np.exp(-4 * t) + 0.05), epochs,
                             accuracy=float(0.25 + 0.74 * (1 - np.exp(-5 * t)))))
            if s % 25 == 0:
                logits = rng.normal(size=(8, 20)) * 0.5
                logits[np.arange(8), markers] += 6 * t
                out.append(ev.AttentionProbe(out[-1].step, epoch, {"n3": _softmax(logits)},
                                             [[str(i + 1) for i in range(20)]] * 8,
                                             [int(m) % 4 for m in markers]))
        out.append(ev.EpochEnd(epoch, {"loss": 0.5, "accuracy": 0.8},
                               {"loss": 0.6, "accuracy": 0.75}, 0.003, 1.0))
    return out


def _digit_like(rng: np.random.Generator, quality: float) -> np.ndarray:
    """16 blurry 8×8 'digits' in [-1, 1] that sharpen with ``quality``."""
    yy, xx = np.mgrid[0:8, 0:8]
    out = np.empty((16, 8, 8, 1), np.float32)
    for i in range(16):
        cy, cx, r = 3.5 + rng.normal(0, 0.4), 3.5 + rng.normal(0, 0.4), 2.2 + (i % 3) * 0.3
        ring = np.exp(-((np.hypot(yy - cy, xx - cx) - r) ** 2) / 0.8)
        noise = rng.normal(size=(8, 8))
        out[i, ..., 0] = np.tanh(3 * (quality * ring + (1 - quality) * noise * 0.5) - 1)
    return out


def gan_stream(epochs: int = 20, steps: int = 20, seed: int = 0) -> list[ev.Event]:
    rng = np.random.default_rng(seed)
    out: list[ev.Event] = [started("adversarial", epochs, steps, project="GAN digits")]
    for epoch in range(1, epochs + 1):
        for s in range(1, steps + 1):
            t = (epoch - 1 + s / steps) / epochs
            d_real = 0.5 + 0.25 * np.exp(-3 * t) + 0.03 * rng.normal()
            d_fake = 0.5 - 0.3 * np.exp(-3 * t) + 0.03 * rng.normal()
            out.append(batch(epoch, s, steps, 1.1 + 0.1 * rng.normal(), epochs,
                             d_loss=1.1 + 0.2 * rng.normal(), g_loss=0.9 + 0.6 * t
                             + 0.2 * rng.normal(), d_real=d_real, d_fake=d_fake))
            if s % 5 == 0:
                out.append(ev.GanProbe(out[-1].step, epoch, _digit_like(rng, t),
                                       float(d_real), float(d_fake)))
        out.append(ev.EpochEnd(epoch, {"d_loss": 1.1, "g_loss": 0.9 + 0.6 * epoch / epochs},
                               {}, 0.0002, 1.0))
        if epoch == epochs // 2:
            out.append(ev.RunWarning("The generator may have collapsed: its samples barely "
                                     "differ from each other. Try a lower learning rate.",
                                     out[-2].step))
    out.append(ev.Finished("completed", {}, "/tmp/runs/2", 20.0))
    return out


def karate() -> tuple[np.ndarray, np.ndarray]:
    import networkx as nx

    g = nx.karate_club_graph()
    labels = np.array([int(g.nodes[n]["club"] != "Mr. Hi") for n in g.nodes], np.int32)
    return np.array(list(g.edges), np.int32), labels


def graph_stream(epochs: int = 60, seed: int = 0) -> list[ev.Event]:
    rng = np.random.default_rng(seed)
    edges, labels = karate()
    labelled = np.zeros(34, bool)
    labelled[[0, 33]] = True
    base = rng.normal(size=(34, 2))
    centres = np.where(labels[:, None] == 0, [-1.5, 0.3], [1.5, -0.3])
    out: list[ev.Event] = [started("node_classification", epochs, 1, project="GCN karate")]
    for epoch in range(1, epochs + 1):
        out.append(batch(epoch, 1, 1, float(0.7 * np.exp(-epoch / 15) + 0.05), epochs,
                         accuracy=min(1.0, 0.5 + epoch / 40)))
        t = epoch / epochs
        coords = ((1 - t) * base + t * (centres + 0.35 * base)).astype(np.float32)
        predictions = np.where(coords[:, 0] < 0, 0, 1).astype(np.int32)
        correct = predictions == labels
        out.append(ev.EmbeddingProbe(epoch, epoch, coords, labels, predictions, labelled,
                                     float(correct[labelled].mean()),
                                     float(correct[~labelled].mean()), edges))
        out.append(ev.EpochEnd(epoch, {"loss": 0.7 * np.exp(-epoch / 15) + 0.05}, {}, 0.01,
                               0.01))
    out.append(ev.Finished("completed", {}, "/tmp/runs/3", 2.0))
    return out


def feed(widget, events) -> None:
    """Hand ``events`` over, then let the event loop run once, as the window does: views
    keep what they are handed and draw it on the next pass."""
    for event in events:
        widget.handle(event)
    QApplication.processEvents()


@pytest.fixture
def dashboard(qtbot) -> Dashboard:
    widget = Dashboard()
    qtbot.addWidget(widget)
    widget.resize(*SCREENSHOT_SIZE)
    widget.show()  # views in hidden tabs draw only once shown
    qtbot.waitExposed(widget)
    return widget


def _data(item) -> tuple[np.ndarray, np.ndarray]:
    """All the points an item was given (``getData`` would clip them to the view)."""
    x, y = item.xData, item.yData
    return (np.asarray([]), np.asarray([])) if x is None else (np.asarray(x), np.asarray(y))


# ----------------------------------------------------------------------------- plotting


def test_growing_series_doubles_and_keeps_every_point() -> None:
    series = GrowingSeries(capacity=2)
    for i in range(9):
        series.append(i, i * i)
    assert len(series) == 9
    np.testing.assert_array_equal(series.x, np.arange(9))
    np.testing.assert_array_equal(series.y, np.arange(9) ** 2)


def test_smoother_is_a_debiased_moving_average() -> None:
    smoother = Smoother(0.5)
    assert smoother(4.0) == pytest.approx(4.0)  # debiased: the first value stays itself
    assert smoother(0.0) == pytest.approx((0.5 * 0.5 * 4.0) / 0.75)
    assert Smoother(0.0).over(np.array([1.0, 5.0, 2.0])) == pytest.approx([1.0, 5.0, 2.0])


def test_a_settled_range_is_not_auto_ranged_again_in_the_paint(qtbot, monkeypatch) -> None:
    widget = plot_widget()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    plot = widget.getPlotItem()
    item = curve(plot, "#2563eb")
    view = plot.getViewBox()
    calls = []
    original = view.updateAutoRange
    monkeypatch.setattr(view, "updateAutoRange", lambda: (calls.append(1), original()))
    item.setData([0.0, 1.0, 2.0], [0.5, 3.0, 1.0])
    settle_range(plot)
    widget.grab()  # paints
    assert calls == [1]  # not again in the paint: its own new transform is no new bounds
    assert view.viewRange()[1][1] > 3.0


def test_duration_format() -> None:
    assert format_duration(42) == "0:42"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(float("inf")) == "–"


# ----------------------------------------------------------------------------- curves


def test_curves_get_every_batch_and_epoch_point(qtbot) -> None:
    view = CurvesView()
    qtbot.addWidget(view)
    stream: list[ev.Event] = [started(epochs=2, steps=4)]
    losses = [1.0, 0.8, 0.9, 0.6, 0.5, 0.55, 0.4, 0.3]
    for i, loss in enumerate(losses):
        epoch, s = divmod(i, 4)
        stream.append(batch(epoch + 1, s + 1, 4, loss, 2, accuracy=0.1 * i))
        if s == 3:
            stream.append(ev.EpochEnd(epoch + 1, {"loss": loss, "accuracy": 0.1 * i},
                                      {"loss": loss + 0.1, "accuracy": 0.05 * i}, 0.001, 1.0))
    feed(view, stream)
    assert view.metrics() == ["loss", "accuracy"]
    items = view.items("loss")
    x, y = _data(items["batch"])
    np.testing.assert_allclose(y, losses)
    np.testing.assert_allclose(x, np.arange(1, 9) / 4)  # fractional epochs
    assert len(_data(items["smoothed"])[1]) == len(losses)
    x, y = _data(items["validation"])
    np.testing.assert_allclose(x, [1, 2])
    np.testing.assert_allclose(y, [0.7, 0.4])
    np.testing.assert_allclose(_data(items["train"])[1], [0.6, 0.3])
    np.testing.assert_allclose(_data(view.items("accuracy")["validation"])[1], [0.15, 0.35])
    # two epochs are two points, not a line that would read as a trend
    assert items["validation"].opts["pen"].style() == Qt.PenStyle.NoPen
    assert items["validation"].opts["symbol"] == "o"
    feed(view, [ev.EpochEnd(3, {"loss": 0.2}, {"loss": 0.3}, 0.001, 1.0)])
    # from three on, joined: train solid, validation dashed, in the same hue
    train_pen, val_pen = items["smoothed"].opts["pen"], items["validation"].opts["pen"]
    assert train_pen.color().rgb() == val_pen.color().rgb()
    assert train_pen.style() == Qt.PenStyle.SolidLine
    assert val_pen.style() == Qt.PenStyle.DashLine
    for item in items.values():
        assert item.opts["autoDownsample"] and item.opts["clipToView"]
    assert items["batch"].opts["downsampleMethod"] == "peak"  # noisy: keep the extremes
    assert items["smoothed"].opts["downsampleMethod"] == "mean"


def test_curves_smoothing_is_an_incremental_moving_average(qtbot) -> None:
    view = CurvesView()
    qtbot.addWidget(view)
    view.set_smoothing(0.8)
    rng = np.random.default_rng(0)
    values = 1.0 + rng.normal(size=200)
    feed(view, [batch(1, i + 1, 200, float(value)) for i, value in enumerate(values)])
    smoothed = _data(view.items("loss")["smoothed"])[1]
    np.testing.assert_allclose(smoothed, Smoother(0.8).over(values))
    assert smoothed[50:].std() < 0.5 * values[50:].std()
    view.set_smoothing(0.0)  # recomputed from the raw values
    np.testing.assert_allclose(_data(view.items("loss")["smoothed"])[1], values)


def test_curves_redo_points_on_a_y_change_only_when_values_may_be_clipped(qtbot,
                                                                         monkeypatch) -> None:
    view = CurvesView()
    qtbot.addWidget(view)
    losses = [0.5, 0.45, 0.42, 0.4, 1e12, 0.38]  # a loss that blows up once
    feed(view, [started(epochs=1, steps=6)] + [batch(1, s + 1, 6, loss, 1)
                                               for s, loss in enumerate(losses[:4])])
    raw = view.items("loss")["batch"]
    box = raw.getViewBox()
    redone = []
    original = raw.updateItems
    monkeypatch.setattr(raw, "updateItems", lambda *a, **k: (redone.append(1),
                                                              original(*a, **k)))
    box.setYRange(0.3, 0.7)  # only y: the values span less than the view
    box.sigRangeChangedManually.emit([False, True])  # as a zoom with the wheel: the user's
    assert redone == []
    feed(view, [batch(1, s + 1, 6, loss, 1) for s, loss in enumerate(losses[4:], start=4)])
    box.setYRange(0.3, 0.7)  # zoomed in far from 1e12: pyqtgraph clips it for Qt
    assert redone and raw.curve.getData()[1].max() < 1e9
    box.enableAutoRange(y=True)
    for _ in range(5):  # the view widens in steps, as the clipped values reach further
        box.updateAutoRange()
    assert raw.curve.getData()[1].max() == 1e12  # and it shows in full again


def test_gan_batches_do_not_plot_the_discriminator_loss_twice(qtbot) -> None:
    view = CurvesView()
    qtbot.addWidget(view)
    view.handle(batch(1, 1, 2, 1.2, d_loss=1.2, g_loss=0.7, d_real=0.6, d_fake=0.4))
    assert view.metrics() == ["d_loss", "g_loss", "d_fake", "d_real"]  # as past runs list them


def test_show_history_overlays_two_runs_then_goes_back_to_live(dashboard) -> None:
    feed(dashboard, transformer_stream(epochs=2, steps=5)[:4])
    first = {"epoch": [0, 1, 2], "loss": [1.0, 0.6, 0.4], "accuracy": [0.3, 0.6, 0.8],
             "val_loss": [1.1, 0.7, 0.6], "val_accuracy": [0.3, 0.5, 0.7]}
    second = {"epoch": [0, 1], "loss": [0.9, 0.5], "val_loss": [1.0, 0.6]}
    curves = dashboard.curves
    dashboard.show_history({"run A": first, "run B": second})
    assert curves.showing_history and dashboard.tabs.currentWidget() is curves
    assert curves.metrics() == ["loss", "accuracy"]
    loss = curves.items("loss")
    assert sorted(loss) == ["run A train", "run A validation", "run B train",
                            "run B validation"]  # 2 runs × (train, validation)
    x, y = _data(loss["run B validation"])
    np.testing.assert_allclose(x, [1, 2])
    np.testing.assert_allclose(y, [1.0, 0.6])
    assert len(curves.items("accuracy")) == 2
    hues = {item.opts["pen"].color().rgb() for item in loss.values()}
    assert len(hues) == 2  # one hue per run
    dashboard.show_history({"run A": first})
    assert len(curves.items("loss")) == 2
    dashboard.show_live()
    assert not curves.showing_history
    assert len(_data(curves.items("loss")["batch"])[1]) == 3  # the live run kept its data


# ----------------------------------------------------------------------------- header


def test_header_shows_progress_rate_eta_lr_and_device(qtbot) -> None:
    header = ProgressHeader()
    qtbot.addWidget(header)
    feed(header, [started(epochs=4, steps=10), batch(1, 5, 10, 1.0)])
    assert header.epoch_bar.value() == header.epoch_bar.maximum() // 2
    assert "Epoch 1/4" in header.run_bar.format()
    assert "1,234 samples/s" in header.run_bar.format()
    assert "ETA 0:" in header.run_bar.format()
    assert "CPU:0" in header.device_label.text()
    assert header.project_label.text() == "Transformer classifier"
    feed(header, [ev.EpochEnd(1, {"loss": 1.0}, {}, 0.002, 2.0), batch(2, 3, 10, 1.0)])
    text = header.run_bar.format()
    assert text.startswith("Epoch 2/4") and "lr 0.002" in text and "ETA 0:" in text
    assert header.status() == "Training · epoch 2/4"
    feed(header, [ev.Finished("completed", {}, "", 83.0)])
    assert header.run_bar.value() == header.run_bar.maximum()
    assert header.epoch_bar.value() == header.epoch_bar.maximum()
    assert header.status() == "Completed in 1:23" and header.state == "completed"


def test_stopped_run_keeps_its_progress(qtbot) -> None:
    header = ProgressHeader()
    qtbot.addWidget(header)
    feed(header, [started(epochs=4, steps=10), batch(2, 5, 10, 1.0),
                  ev.Finished("stopped", {}, "", 5.0)])
    assert header.run_bar.value() == round(header.run_bar.maximum() * 1.5 / 4)
    assert header.status().startswith("Stopped at epoch")


def test_failure_banner_shows_message_hint_and_show_block(dashboard, qtbot) -> None:
    feed(dashboard, [started(), batch(1, 1, 10, 1.0)])
    dashboard.handle(ev.Failed("Shapes do not fit at 'Dense 2'.", "Change its units.", 3, "n7"))
    banners = dashboard.header.banner_widgets()
    assert len(banners) == 1
    banner = banners[0]
    assert "Shapes do not fit" in banner.message_label.text()
    assert banner.hint_label.text() == "Change its units."
    assert dashboard.current_status().startswith("Failed: Shapes do not fit")
    with qtbot.waitSignal(dashboard.failureNodeRequested) as signal:
        qtbot.mouseClick(banner.show_block_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["n7"]


def test_failure_without_a_block_has_no_show_block_button(dashboard) -> None:
    dashboard.handle(ev.Failed("Out of memory while training.", "Use a smaller batch size."))
    assert dashboard.header.banner_widgets()[0].show_block_button is None


def test_warning_banner(dashboard) -> None:
    feed(dashboard, [started("adversarial"), ev.RunWarning("The generator may have collapsed.")])
    (banner,) = dashboard.header.banner_widgets()
    assert banner.kind == "warning" and "collapsed" in banner.message_label.text()
    assert len(dashboard.gan.warning_lines) == 2  # marked on both GAN plots, where it happened
    assert all("collapsed" in line.toolTip() for line in dashboard.gan.warning_lines)


# ----------------------------------------------------------------------------- attention


def test_attention_image_holds_the_selected_weights(qtbot) -> None:
    view = AttentionView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(1)
    weights = {"n4": mha_weights(rng, samples=3, heads=2, length=5),
               "n9": mha_weights(rng, samples=3, heads=4, length=5)}
    tokens = [["7", "3", "12", "1", "9"], ["2", "2", "5", "8", "30"], list("abcde")]
    feed(view, [started(attention=("n4", "n9")),
                ev.AttentionProbe(10, 1, weights, tokens, [0, 2, 1])])
    assert [view.block_combo.itemData(i) for i in range(view.block_combo.count())] == [
        "n4", "n9"]
    assert view.head_combo.itemText(0) == MEAN_OF_HEADS and view.head_combo.count() == 3
    np.testing.assert_allclose(view.image.image, weights["n4"][0].mean(axis=0))
    np.testing.assert_allclose(view.image.image.sum(axis=1), 1.0, rtol=1e-5)
    assert view.image.levels is not None and tuple(view.image.levels) == (0.0, 1.0)
    assert len(view.head_images) == 2 and not any(p.menuEnabled() for p in view._head_plots)

    view.head_combo.setCurrentIndex(2)  # head 2
    np.testing.assert_array_equal(view.image.image, weights["n4"][0, 1])
    view.sample_combo.setCurrentIndex(1)
    np.testing.assert_array_equal(view.image.image, weights["n4"][1, 1])
    assert view.sample_combo.currentText() == "Sample 2 · class 2"
    ticks = view.heatmap_plot.getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == tokens[1]
    assert [label for _, label in view.heatmap_plot.getAxis("left")._tickLevels[0]] == tokens[1]

    view.block_combo.setCurrentIndex(1)  # the chosen head stays chosen
    assert view.head_combo.count() == 5 and view.head_combo.currentIndex() == 2
    np.testing.assert_array_equal(view.image.image, weights["n9"][1, 1])
    view.head_combo.setCurrentIndex(0)
    np.testing.assert_allclose(view.image.image, weights["n9"][1].mean(axis=0))

    newer = {k: mha_weights(rng, samples=3, heads=v.shape[1], length=5)
             for k, v in weights.items()}
    feed(view, [ev.AttentionProbe(20, 1, newer, tokens, [0, 2, 1])])  # live, same choice
    np.testing.assert_allclose(view.image.image, newer["n9"][1].mean(axis=0))
    assert view.info_label.text() == "Epoch 1 · step 20"


def test_every_head_panel_gets_its_share_once_and_then_keeps_the_users(qtbot) -> None:
    view = AttentionView()
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(3)

    def probe_of(heads: int, step: int) -> ev.AttentionProbe:
        weights = mha_weights(rng, samples=2, heads=heads, length=6)
        return ev.AttentionProbe(step, 1, {"n4": weights}, [], [])

    feed(view, [started(attention=("n4",)), probe_of(heads=4, step=5)])
    maps, heads = view._splitter.sizes()
    assert heads >= 0.3 * (maps + heads)  # not the sliver left over by the heatmap
    view._splitter.setSizes([900, 300])  # the user drags the handle
    QApplication.processEvents()
    wanted = view._splitter.sizes()
    assert wanted[0] > 2.5 * wanted[1]
    feed(view, [probe_of(heads=4, step=9)])
    assert view._splitter.sizes() == wanted
    feed(view, [probe_of(heads=1, step=11)])
    assert view.heads_widget.isHidden()  # one head: nothing to compare
    feed(view, [probe_of(heads=4, step=13)])
    back = view._splitter.sizes()  # back again, where the user left it
    assert back == pytest.approx(wanted, abs=4)


def word_ticks_stand_apart(plot, axis: str, words: list[str]) -> int:
    """The axis labels every k-th word from the first, and at the size the plot is drawn
    no two of them overlap; returns k."""
    from PySide6.QtGui import QFontMetricsF

    ticks = plot.getAxis(axis)._tickLevels[0]
    labels = [label for _, label in ticks]
    every = next(k for k in range(1, len(words) + 1) if list(words[::k]) == labels)
    box = plot.getViewBox()
    metrics = QFontMetricsF(plot.getAxis(axis).style.get("tickFont") or plot.font())
    at = [box.mapViewToScene(pg.Point(v, v)) for v, _ in ticks]
    for i in range(len(ticks) - 1):
        (a, left), (b, right) = (at[i], labels[i]), (at[i + 1], labels[i + 1])
        gap = abs(b.x() - a.x()) if axis == "bottom" else abs(b.y() - a.y())
        room = (max(metrics.horizontalAdvance(left), metrics.horizontalAdvance(right))
                if axis == "bottom" else metrics.height())
        assert gap >= room, (left, right, gap, room)
    return every


def test_long_sequences_label_every_kth_token(qtbot) -> None:
    view = AttentionView()
    qtbot.addWidget(view)
    view.resize(1100, 650)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(2)
    tokens = [f"token{i}" for i in range(100)]
    view.handle(ev.AttentionProbe(1, 1, {"n2": mha_weights(rng, 1, 1, 1, 100)}, [tokens]))
    QApplication.processEvents()
    across = word_ticks_stand_apart(view.heatmap_plot, "bottom", tokens)
    down = word_ticks_stand_apart(view.heatmap_plot, "left", tokens)
    assert 4 <= 100 // across <= 24 and 4 <= 100 // down <= 24
    assert across > down  # a word is wider than it is tall
    view.resize(1700, 900)  # more room: more words
    QApplication.processEvents()
    assert word_ticks_stand_apart(view.heatmap_plot, "bottom", tokens) <= across


def test_simple_attention_shows_bars_of_the_weights(qtbot) -> None:
    view = AttentionView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(3)
    weights = _softmax(rng.normal(size=(8, 20)))
    tokens = [[str(i + 1) for i in range(20)]] * 8
    feed(view, [started(attention=("n3",)),
                ev.AttentionProbe(5, 1, {"n3": weights}, tokens, list(range(8)))])
    assert not view.head_combo.isEnabled()
    assert view.bars_widget.isVisibleTo(view)
    np.testing.assert_allclose(view.bars.opts["height"], weights[0])
    np.testing.assert_array_equal(view.image.image, weights)  # every probed sample, one row
    view.sample_combo.setCurrentIndex(5)
    np.testing.assert_allclose(view.bars.opts["height"], weights[5])
    assert [label for _, label in view.bars_plot.getAxis("bottom")._tickLevels[0]] == tokens[0]


def test_block_titles_name_the_blocks(qtbot) -> None:
    view = AttentionView()
    qtbot.addWidget(view)
    view.handle(started(attention=("n4",)))
    view.set_block_titles({"n4": "Self-attention"})
    assert view.block_combo.itemText(0) == "Self-attention (n4)"


# ----------------------------------------------------------------------------- GAN


def test_tile_grid_places_each_sample_in_its_tile() -> None:
    samples = np.random.default_rng(0).uniform(-1, 1, size=(16, 8, 8, 1)).astype(np.float32)
    grid = tile_grid(samples, columns=4, gap=1, fill=1.0)
    assert grid.shape == (4 * 9 - 1, 4 * 9 - 1)
    for i in range(16):
        r, c = divmod(i, 4)
        np.testing.assert_array_equal(grid[r * 9:r * 9 + 8, c * 9:c * 9 + 8], samples[i, ..., 0])
    assert (grid[8, :] == 1.0).all() and (grid[:, 8] == 1.0).all()
    assert tile_grid(np.zeros((4, 5, 5, 3))).shape == (5, 4 * 6 - 1, 3)
    assert tile_grid(np.zeros((2, 64))).shape == (8, 17)


def test_gan_view_shows_the_grid_losses_and_discriminator_curves(qtbot) -> None:
    view = GanView()
    qtbot.addWidget(view)
    stream = gan_stream(epochs=2, steps=10)
    feed(view, stream)
    probes = [e for e in stream if isinstance(e, ev.GanProbe)]
    np.testing.assert_array_equal(view.grid_image.image, tile_grid(probes[-1].samples,
                                                                   fill=1.0))
    assert view.levels == (-1.0, 1.0)
    assert tuple(view.grid_image.levels) == (-1.0, 1.0)
    x, y = _data(view.d_real)
    np.testing.assert_allclose(y, [p.d_real for p in probes])
    np.testing.assert_allclose(x, [p.step / 10 for p in probes])
    np.testing.assert_allclose(_data(view.d_fake)[1], [p.d_fake for p in probes])
    batches = [e for e in stream if isinstance(e, ev.BatchEnd)]
    np.testing.assert_allclose(_data(view.generator_loss.raw)[1],
                               [b.metrics["g_loss"] for b in batches])
    np.testing.assert_allclose(_data(view.discriminator_loss.raw)[1],
                               [b.metrics["d_loss"] for b in batches])
    warned = next(e for e in stream if isinstance(e, ev.RunWarning))
    assert [line.value() for line in view.warning_lines] == [warned.step / 10] * 2


def test_gan_levels_follow_sigmoid_data(qtbot) -> None:
    view = GanView()
    qtbot.addWidget(view)
    samples = np.random.default_rng(0).uniform(0, 1, size=(16, 4, 4, 1)).astype(np.float32)
    view.handle(ev.GanProbe(1, 1, samples, 0.5, 0.5))
    assert view.levels == (0.0, 1.0)


def test_gan_reset_rebuilds_its_curves_only_once_used(qtbot) -> None:
    view = GanView()
    qtbot.addWidget(view)
    unused = view.d_real
    view.reset()  # every run starts with a reset, GAN or not
    assert view.d_real is unused
    feed(view, gan_stream(epochs=1, steps=5)[:8])
    assert len(_data(view.generator_loss.raw)[1]) > 0
    view.reset()
    assert view.d_real is not unused
    assert len(_data(view.d_real)[1]) == 0 and len(_data(view.generator_loss.raw)[1]) == 0


# ----------------------------------------------------------------------------- graph


def test_graph_view_scatters_the_embeddings(qtbot) -> None:
    view = GraphView()
    qtbot.addWidget(view)
    stream = graph_stream(epochs=5)
    feed(view, stream)
    probe = [e for e in stream if isinstance(e, ev.EmbeddingProbe)][-1]
    points = view.scatter.data
    np.testing.assert_allclose(np.column_stack([points["x"], points["y"]]), probe.coords,
                               rtol=1e-6)
    brushes = [b.color().name() for b in points["brush"]]
    assert len({brushes[i] for i in np.flatnonzero(probe.labels == 0)}) == 1
    assert brushes[0] != brushes[33]  # different clubs, different colours
    stars = view.labelled_points.data  # labelled nodes: a bigger star over their dot
    np.testing.assert_allclose(np.column_stack([stars["x"], stars["y"]]),
                               probe.coords[probe.labelled], rtol=1e-6)
    assert view.labelled_points.opts["symbol"] == "star" != view.scatter.opts["symbol"]
    assert view.labelled_points.opts["size"] > view.scatter.opts["size"]
    assert [b.color().name() for b in stars["brush"]] == [brushes[0], brushes[33]]
    wrong = probe.predictions != probe.labels
    assert len(view.mistakes.data) == wrong.sum()
    x, y = _data(view.edges)
    assert len(x) == 2 * len(probe.edges)
    a, b = probe.edges[0]
    np.testing.assert_allclose([x[0], y[0], x[1], y[1]], [*probe.coords[a], *probe.coords[b]],
                               rtol=1e-6)
    assert view.labelled_label.text() == f"{100 * probe.labelled_accuracy:.1f} %"
    assert view.unlabelled_label.text() == f"{100 * probe.unlabelled_accuracy:.1f} %"
    assert "34 nodes, 2 labelled" in view.accuracy_label.text()
    assert len(_data(view.unlabelled_curve)[1]) == 5


# ----------------------------------------------------------------------------- dashboard


def test_tabs_appear_for_the_runs_that_need_them(dashboard) -> None:
    assert dashboard.tab_shown("Curves")
    assert not any(dashboard.tab_shown(t) for t in ("Attention", "GAN", "Graph"))
    dashboard.handle(started(attention=("n4",)))
    assert dashboard.tab_shown("Attention") and not dashboard.tab_shown("GAN")
    dashboard.handle(started("adversarial"))
    assert dashboard.tab_shown("GAN") and not dashboard.tab_shown("Attention")
    assert dashboard.tabs.currentWidget() is dashboard.gan
    dashboard.handle(started("node_classification"))
    assert dashboard.tab_shown("Graph") and not dashboard.tab_shown("GAN")
    dashboard.handle(started())
    rng = np.random.default_rng(0)
    dashboard.handle(ev.AttentionProbe(1, 1, {"n5": mha_weights(rng, 1, 2, 1, 4)}))
    assert dashboard.tab_shown("Attention")  # revealed by the probe itself


def test_a_whole_run_then_reset_clears_everything(dashboard) -> None:
    feed(dashboard, transformer_stream(epochs=2, steps=20))
    assert dashboard.current_status().startswith("Completed")
    assert len(_data(dashboard.curves.items("loss")["batch"])[1]) == 40
    dashboard.tabs.setCurrentWidget(dashboard.attention)
    assert dashboard.attention.image.image is not None
    dashboard.handle(ev.RunWarning("careful"))
    dashboard.reset()
    assert dashboard.curves.metrics() == []
    assert dashboard.attention.image.image is None
    assert dashboard.attention.block_combo.count() == 0
    assert dashboard.header.banner_widgets() == []
    assert dashboard.header.run_bar.value() == 0
    assert dashboard.current_status() == "No run yet"
    assert not dashboard.tab_shown("Attention")
    feed(dashboard, gan_stream(epochs=1, steps=5)[:3])
    dashboard.reset()
    assert dashboard.gan.grid_image.image is None and dashboard.gan.levels is None
    assert dashboard.gan.warning_lines == []
    assert len(_data(dashboard.gan.d_real)[1]) == 0
    feed(dashboard, graph_stream(epochs=2)[:3])
    dashboard.reset()
    assert len(dashboard.graph.scatter.data) == 0
    assert len(_data(dashboard.graph.edges)[0]) == 0


def test_hidden_tabs_draw_when_shown(dashboard) -> None:
    stream = graph_stream(epochs=3)
    dashboard.handle(stream[0])
    dashboard.tabs.setCurrentWidget(dashboard.curves)  # the Graph tab hidden
    feed(dashboard, stream[1:])
    assert len(dashboard.graph.scatter.data) == 0  # not drawn while hidden…
    assert len(_data(dashboard.graph.unlabelled_curve)[1]) == 3  # …but kept
    dashboard.tabs.setCurrentWidget(dashboard.graph)
    np.testing.assert_allclose(dashboard.graph.scatter.data["x"], stream[-3].coords[:, 0])
    gan = gan_stream(epochs=1, steps=5)
    feed(dashboard, gan[:1])
    dashboard.tabs.setCurrentWidget(dashboard.curves)
    feed(dashboard, gan[1:])
    assert dashboard.gan.grid_image.image is None
    dashboard.tabs.setCurrentWidget(dashboard.gan)
    assert dashboard.gan.grid_image.image is not None


def test_hidden_curves_keep_every_point_and_catch_up_when_shown(dashboard) -> None:
    stream = transformer_stream(epochs=2, steps=10)
    dashboard.handle(stream[0])
    dashboard.tabs.setCurrentWidget(dashboard.attention)  # the Curves tab hidden
    feed(dashboard, stream[1:])
    curves = dashboard.curves
    assert curves.metrics() == ["loss", "accuracy"]
    assert len(_data(curves.items("loss")["batch"])[1]) == 0  # not drawn while hidden…
    dashboard.tabs.setCurrentWidget(curves)  # …and all of it once shown
    batches = [e for e in stream if isinstance(e, ev.BatchEnd)]
    np.testing.assert_allclose(_data(curves.items("loss")["batch"])[1],
                               [b.loss for b in batches])
    np.testing.assert_allclose(_data(curves.items("accuracy")["smoothed"])[1],
                               Smoother().over(np.array([b.metrics["accuracy"]
                                                         for b in batches])))
    assert len(_data(curves.items("loss")["validation"])[1]) == 2


def test_a_burst_of_events_draws_once(dashboard, monkeypatch) -> None:
    """A refresh's events cost one ``setData`` per curve and one paint, however many."""
    # Values whose tick labels keep their width: a wider axis would lay the plots out anew.
    losses = 0.6 - 0.004 * np.arange(40)
    feed(dashboard, [started(epochs=1, steps=40)]
         + [batch(1, s + 1, 40, losses[s], 1, accuracy=0.5) for s in range(10)])
    for _ in range(5):
        QApplication.processEvents()
    loss = dashboard.curves.items("loss")["batch"]
    calls = []
    original = loss.setData
    monkeypatch.setattr(loss, "setData", lambda *a, **k: (calls.append(1), original(*a, **k)))
    viewport = dashboard.curves._live_grid.widget.viewport()
    paints = []

    class Paints(QObject):
        def eventFilter(self, watched, event) -> bool:
            if watched is viewport and event.type() == QEvent.Type.Paint:
                paints.append(1)
            return False

    counter = Paints()
    viewport.installEventFilter(counter)
    for s in range(10, 40):
        dashboard.handle(batch(1, s + 1, 40, losses[s], 1, accuracy=0.5))
    assert calls == []  # nothing drawn per event…
    for _ in range(5):
        QApplication.processEvents()
    viewport.removeEventFilter(counter)
    assert calls == [1]  # …but once for the burst, with every point
    np.testing.assert_allclose(_data(loss)[1], losses)
    assert len(paints) == 1  # the new range settles before the paint, not during it


def test_draw_now_draws_what_was_handed_without_the_event_loop(dashboard) -> None:
    stream = transformer_stream(epochs=1, steps=10)
    for event in stream[:-1]:
        dashboard.handle(event)
    dashboard.draw_now()  # as the window does after each refresh's events
    assert len(_data(dashboard.curves.items("loss")["batch"])[1]) == 10
    assert len(_data(dashboard.curves.items("accuracy")["validation"])[1]) == 1
    assert dashboard.header.run_bar.value() == dashboard.header.run_bar.maximum()
    assert dashboard.header.status_label.text() == "Training · epoch 1/1"


def test_a_new_run_replaces_the_last(dashboard) -> None:
    feed(dashboard, transformer_stream(epochs=1, steps=10))
    feed(dashboard, transformer_stream(epochs=1, steps=10)[:3])
    assert len(_data(dashboard.curves.items("loss")["batch"])[1]) == 2


def test_replayed_json_events_feed_the_dashboard(dashboard) -> None:
    stream = [ev.from_json(ev.to_json(e)) for e in graph_stream(epochs=3)]
    feed(dashboard, stream)
    assert len(dashboard.graph.scatter.data) == 34


def test_measure_update_ms_times_each_event(dashboard) -> None:
    stream = transformer_stream(epochs=1, steps=20)
    times = measure_update_ms(dashboard, stream)
    assert len(times) == len(stream) and all(t >= 0 for t in times)
    assert len(_data(dashboard.curves.items("loss")["batch"])[1]) == 20  # drawn as it went


# ----------------------------------------------------------------------------- looks


def _history(epochs: int, speed: float) -> dict[str, list[float]]:
    t = np.arange(1, epochs + 1) / epochs
    return {"epoch": list(range(epochs)), "loss": list(1.4 * np.exp(-speed * t) + 0.05),
            "accuracy": list(0.25 + 0.72 * (1 - np.exp(-speed * t))),
            "val_loss": list(1.4 * np.exp(-0.9 * speed * t) + 0.12),
            "val_accuracy": list(0.25 + 0.66 * (1 - np.exp(-0.9 * speed * t)))}


@pytest.mark.parametrize(("name", "stream", "tab"), [
    ("curves", transformer_stream, "Curves"),
    ("attention", transformer_stream, "Attention"),
    ("gan", gan_stream, "GAN"),
    ("graph", graph_stream, "Graph"),
    ("history", lambda: transformer_stream()[:2], "Curves"),
    ("attention_additive", marker_stream, "Attention"),
])
def test_screenshots_render(dashboard, qtbot, tmp_path: Path, name, stream, tab) -> None:
    """Renders each view offscreen; set DEEPWIRE_SCREENSHOTS=dir to keep the PNGs."""
    dashboard.show()
    qtbot.waitExposed(dashboard)
    dashboard.set_block_titles({"n4": "Self-attention 1", "n11": "Self-attention 2"})
    feed(dashboard, stream())
    if name == "attention":
        dashboard.attention.head_combo.setCurrentIndex(1)
    if name == "attention_additive":
        dashboard.attention.sample_combo.setCurrentIndex(2)
    if name == "history":
        dashboard.show_history({"2024-05-01_10-00-00": _history(12, 3.0),
                                "2024-05-02_09-30-00 (lr 0.01)": _history(20, 7.0)})
    titles = [dashboard.tabs.tabText(i) for i in range(dashboard.tabs.count())]
    dashboard.tabs.setCurrentIndex(titles.index(tab))
    qtbot.wait(50)
    image = dashboard.grab().toImage()
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    folder = Path(os.environ.get("DEEPWIRE_SCREENSHOTS", tmp_path))
    assert image.save(str(folder / f"dashboard_{name}.png"))
