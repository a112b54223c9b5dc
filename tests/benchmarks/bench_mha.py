"""MHA block train step vs ``keras.layers.MultiHeadAttention`` (target <= 1.05x).

Both models are the same small transformer encoder block; only the attention layer
differs. Both train with the same ``tf.function``-compiled step, so the ratio is the cost
of our layer and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.benchmarks.harness import Row, Settings, alternate, benchmark, ratio_row

TARGET_RATIO = 1.05


@dataclass(frozen=True)
class MhaCase:
    """Sizes of one measurement; ``steps`` train steps make one timed sample."""

    batch: int
    seq_len: int
    d_model: int
    num_heads: int
    steps: int
    num_classes: int = 10

    @property
    def label(self) -> str:
        return f"B={self.batch} T={self.seq_len} d={self.d_model} h={self.num_heads}"


FULL = MhaCase(batch=32, seq_len=64, d_model=128, num_heads=4, steps=20)
QUICK = MhaCase(batch=4, seq_len=8, d_model=16, num_heads=2, steps=2)


def build_encoder(attention: Callable[[Any], Any], case: MhaCase) -> Any:
    """A post-norm transformer encoder block plus a classifier head around ``attention``.

    ``attention`` maps x to self-attended x, which hides the two layers' call conventions.
    """
    import keras

    inputs = keras.Input((case.seq_len, case.d_model))
    x = keras.layers.LayerNormalization()(inputs + attention(inputs))
    ffn = keras.layers.Dense(2 * case.d_model, activation="relu")(x)
    x = keras.layers.LayerNormalization()(x + keras.layers.Dense(case.d_model)(ffn))
    outputs = keras.layers.Dense(case.num_classes)(keras.layers.GlobalAveragePooling1D()(x))
    return keras.Model(inputs, outputs)


def ours_model(case: MhaCase) -> Any:
    """The encoder using Deepwire's Multi-Head Attention block, built as projects build it.

    The block's build also returns the per-head weights (for the dashboard), so this
    measures what a Deepwire model pays, not just the bare layer.
    """
    import blocks

    spec = blocks.get("multi_head_attention")
    params = spec.resolve({"d_model": case.d_model, "num_heads": case.num_heads})
    return build_encoder(lambda x: spec.build(params, {"query": x}, "mha")["out"], case)


def keras_model(case: MhaCase) -> Any:
    """The encoder using ``keras.layers.MultiHeadAttention`` with the same head size."""
    import keras

    mha = keras.layers.MultiHeadAttention(case.num_heads, key_dim=case.d_model // case.num_heads)
    return build_encoder(lambda x: mha(x, x), case)


def make_trainer(model: Any, case: MhaCase) -> Callable[[], Any]:
    """A zero-argument callable running ``case.steps`` compiled train steps on fixed data.

    The step is one ``tf.function`` shared in shape by both models (tape, Adam update),
    and the sample ends with ``.numpy()`` so the timer sees the finished work.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((case.batch, case.seq_len, case.d_model)), tf.float32)
    y = tf.constant(rng.integers(0, case.num_classes, case.batch), tf.int32)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)

    @tf.function
    def train_step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    def run() -> Any:
        loss = None
        for _ in range(case.steps):
            loss = train_step(x, y)
        return loss.numpy()

    return run


@benchmark("mha_train_step")
def mha_train_step(settings: Settings) -> Iterator[Row]:
    """Median time of one train step, ours vs Keras, interleaved 20-step samples."""
    import keras

    case = QUICK if settings.quick else FULL
    keras.utils.set_random_seed(0)
    ours, base = ours_model(case), keras_model(case)
    ours_run, base_run = make_trainer(ours, case), make_trainer(base, case)
    timing = alternate(ours_run, base_run, settings.repeats_or(21, quick_default=2), warmup=2)
    notes = [f"{case.steps} steps per sample; {timing.spread()}"]
    ours_params, base_params = ours.count_params(), base.count_params()
    if ours_params != base_params:
        notes.append(f"parameter counts differ: ours {ours_params}, keras {base_params}")
    yield ratio_row(
        "mha_train_step",
        f"train step, {case.label}",
        timing.ours / case.steps,
        timing.base / case.steps,
        "s",
        at_most=TARGET_RATIO,
        note="; ".join(notes),
    )
