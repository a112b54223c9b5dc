"""Every registered block builds with default parameters, runs, and round-trips.

The sample table below says what each block is fed; a block added to the catalog without a
sample makes ``test_every_block_has_a_sample`` fail, so none escapes this test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import blocks

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

BATCH = 5  # also the node count of the graph samples: nodes lie along the batch axis
GRAPH = "graph"
TEXT = "text"  # a port fed one string per sample
WORDS = np.array(["the cat sat", "a dog", "the end", "cats and dogs run", "x"], dtype=object)

# block id -> (parameter overrides, {input port: per-sample shape | GRAPH | TEXT}, int inputs)
SAMPLES: dict[str, tuple[dict, dict, set]] = {
    "input": ({"shape": (4,)}, {}, set()),
    "output": ({}, {"in": (4,)}, set()),
    "dense": ({"units": 3}, {"in": (6,)}, set()),
    "activation": ({}, {"in": (6,)}, set()),
    "dropout": ({}, {"in": (6,)}, set()),
    "layer_normalization": ({}, {"in": (7, 6)}, set()),
    "batch_normalization": ({}, {"in": (6,)}, set()),
    "relu": ({"max_value": 6.0}, {"in": (6,)}, set()),
    "conv1d": ({"filters": 4}, {"in": (10, 3)}, set()),
    "conv2d": ({"filters": 4}, {"in": (8, 8, 2)}, set()),
    "conv2d_transpose": ({"filters": 4, "strides": 2}, {"in": (4, 4, 2)}, set()),
    "depthwise_conv2d": ({"strides": 2}, {"in": (8, 8, 2)}, set()),
    "max_pooling1d": ({}, {"in": (10, 3)}, set()),
    "max_pooling2d": ({}, {"in": (8, 8, 2)}, set()),
    "average_pooling1d": ({}, {"in": (10, 3)}, set()),
    "average_pooling2d": ({}, {"in": (8, 8, 2)}, set()),
    "global_average_pooling1d": ({}, {"in": (10, 3)}, set()),
    "global_average_pooling2d": ({}, {"in": (8, 8, 2)}, set()),
    "global_max_pooling1d": ({}, {"in": (10, 3)}, set()),
    "global_max_pooling2d": ({}, {"in": (8, 8, 2)}, set()),
    "flatten": ({}, {"in": (4, 4, 2)}, set()),
    "reshape": ({"target_shape": (8, 4)}, {"in": (4, 4, 2)}, set()),
    "upsampling2d": ({}, {"in": (4, 4, 2)}, set()),
    "zero_padding2d": ({"top": 0, "right": 2}, {"in": (4, 4, 2)}, set()),
    "add": ({"num_inputs": 3}, {"in1": (6,), "in2": (6,), "in3": (6,)}, set()),
    "multiply": ({}, {"in1": (6,), "in2": (6,)}, set()),
    "concatenate": ({}, {"in1": (6,), "in2": (2,)}, set()),
    "text_vectorization": ({"max_tokens": 12, "output_sequence_length": 6}, {"in": TEXT},
                           set()),
    "embedding": ({"input_dim": 20, "output_dim": 8}, {"in": (7,)}, {"in"}),
    "position_embedding": ({"max_length": 10}, {"in": (7, 8)}, set()),
    "sinusoidal_position_embedding": ({}, {"in": (7, 8)}, set()),
    "lstm": ({"units": 4}, {"in": (7, 3)}, set()),
    "gru": ({"units": 4, "return_sequences": True}, {"in": (7, 3)}, set()),
    "simple_attention": ({"units": 4}, {"values": (7, 6), "query": (5,)}, set()),
    "multi_head_attention": ({"d_model": 8, "num_heads": 2}, {"query": (7, 8)}, set()),
    "graph_input": ({"num_nodes": BATCH}, {}, set()),
    "graph_convolution": ({"units": 3}, {"features": (4,), "adjacency": GRAPH}, set()),
    "latent_noise": ({"latent_dim": 6}, {}, set()),
    "generator_output": ({}, {"in": (4, 4, 1)}, set()),
    "discriminator_output": ({}, {"in": (1,)}, set()),
}


def test_every_block_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(s.id for s in blocks.all_specs())


def _source_input(tensor):
    """The keras.Input a source block created (possibly behind its own layers)."""
    while not isinstance(tensor._keras_history.operation, keras.layers.InputLayer):
        tensor = tensor._keras_history.operation.input
    return tensor


def _random_adjacency(rng: np.random.Generator) -> tf.SparseTensor:
    dense = (rng.random((BATCH, BATCH)) < 0.4).astype("float32")
    dense = np.triu(dense, 1)
    dense = dense + dense.T
    return tf.sparse.from_dense(dense)


def _build(block_id: str, extra: dict | None = None):
    """A functional model around one block (with ``extra`` parameters), and a batch to
    feed it."""
    spec = blocks.get(block_id)
    overrides, ports, int_ports = SAMPLES[block_id]
    params = spec.resolve({**overrides, **(extra or {})})
    rng = np.random.default_rng(0)
    inputs, feed = {}, []
    for port, shape in ports.items():
        if shape == GRAPH:
            inputs[port] = keras.Input(shape=(BATCH,), sparse=True, name=port)
            feed.append(_random_adjacency(rng))
        elif shape == TEXT:
            inputs[port] = keras.Input(shape=(), dtype="string", name=port)
            feed.append(WORDS)
        elif port in int_ports:
            inputs[port] = keras.Input(shape=shape, dtype="int32", name=port)
            feed.append(rng.integers(0, 20, size=(BATCH, *shape)).astype("int32"))
        else:
            inputs[port] = keras.Input(shape=shape, name=port)
            feed.append(rng.normal(size=(BATCH, *shape)).astype("float32"))
    outputs = spec.build(params, inputs, f"{block_id}_node")
    assert outputs, f"{block_id} built nothing"
    model_inputs = list(inputs.values())
    if not model_inputs:  # a source block: its own keras.Input feeds the model
        source = _source_input(next(iter(outputs.values())))
        model_inputs = [source]
        if block_id == "graph_input":
            feed = [_random_adjacency(rng)]
        else:
            shape = tuple(source.shape[1:])
            feed = [rng.normal(size=(BATCH, *shape)).astype("float32")]
    model = keras.Model(model_inputs, list(outputs.values()))
    for layer in model.layers:  # a vocabulary is learned from data before use
        if isinstance(layer, keras.layers.TextVectorization):
            layer.adapt(WORDS)
    # Keras refuses a mix of numpy arrays and sparse tensors in one call.
    feed = [f if isinstance(f, tf.SparseTensor) else tf.constant(f) for f in feed]
    return model, feed, outputs


def _dense(results) -> list[np.ndarray]:
    results = results if isinstance(results, list | tuple) else [results]
    return [np.asarray(tf.sparse.to_dense(r) if isinstance(r, tf.SparseTensor) else r)
            for r in results]


@pytest.mark.parametrize("block_id", sorted(SAMPLES))
def test_block_builds_runs_and_round_trips(block_id: str, tmp_path: Path) -> None:
    model, feed, symbolic = _build(block_id)
    results = _dense(model(feed, training=False))
    for tensor, result in zip(symbolic.values(), results, strict=True):
        expected = tuple(BATCH if d is None else d for d in tensor.shape)
        assert tuple(result.shape) == expected, block_id
        assert np.all(np.isfinite(result)), block_id

    for layer in model.layers:
        config = layer.get_config()
        again = type(layer).from_config(config).get_config()
        if isinstance(layer, keras.layers.TextVectorization):  # state, saved as an asset
            assert config.pop("vocabulary_size") > again.pop("vocabulary_size") == 2
        assert again == config, layer.name

    path = tmp_path / f"{block_id}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    again = _dense(loaded(feed, training=False))
    for before, after in zip(results, again, strict=True):
        np.testing.assert_allclose(before, after, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- penalties

PENALISED = sorted(s.id for s in blocks.all_specs() if any(p.name == "l2" for p in s.params))
# Scale and shift of a normalisation are left alone, as weight decay usually leaves them.
UNPENALISED_WEIGHTS = {"batch_normalization", "layer_normalization"}
BIAS_NAMES = {"bias", "query"}  # SimpleAttention's learned query stands for W2·q + b


def test_every_block_with_weights_takes_penalties() -> None:
    weighted = {block_id for block_id in SAMPLES if _build(block_id)[0].trainable_weights}
    assert set(PENALISED) == weighted - UNPENALISED_WEIGHTS


def _randomise(model) -> None:
    """Random weights everywhere, biases included (they start at zero)."""
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])


def _penalty(weights, l1: float, l2: float) -> float:
    return float(sum(l1 * np.abs(w).sum() + l2 * np.square(w).sum()
                     for w in (np.asarray(v, "float64") for v in weights)))


@pytest.mark.parametrize("block_id", PENALISED)
def test_penalties_join_the_model_losses(block_id: str, tmp_path: Path) -> None:
    plain, _, _ = _build(block_id)
    assert plain.losses == []
    has_bias = "regularize_bias" in {p.name for p in blocks.get(block_id).params}

    model, _, _ = _build(block_id, {"l2": 5e-4})
    assert model.count_params() == plain.count_params()
    assert [tuple(o.shape) for o in model.outputs] == [tuple(o.shape) for o in plain.outputs]
    _randomise(model)
    kernels = [w for w in model.trainable_weights if w.name not in BIAS_NAMES]
    assert len(kernels) < len(model.trainable_weights) or not has_bias
    total = float(sum(np.asarray(loss) for loss in model.losses))
    assert total == pytest.approx(_penalty(kernels, 0.0, 5e-4), rel=1e-5)

    both = {"l1": 0.01, "l2": 0.02, **({"regularize_bias": True} if has_bias else {})}
    model, _, _ = _build(block_id, both)
    _randomise(model)
    expected = _penalty(model.trainable_weights, 0.01, 0.02)
    assert float(sum(np.asarray(loss) for loss in model.losses)) == pytest.approx(
        expected, rel=1e-5)
    path = tmp_path / f"{block_id}.keras"  # the penalties are saved with the model
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert float(sum(np.asarray(loss) for loss in loaded.losses)) == pytest.approx(
        expected, rel=1e-5)


# Blocks that took penalties from their first version have no version without them.
PENALISED_LATER = [b for b in PENALISED if blocks.get(b).version >= 2]


@pytest.mark.parametrize("block_id", PENALISED_LATER)
def test_version_1_of_a_penalised_block_migrates_without_penalties(block_id: str) -> None:
    spec = blocks.get(block_id)
    old = {k: v for k, v in spec.defaults().items()
           if k not in ("l1", "l2", "regularize_bias", "use_bias")}
    assert spec.resolve(spec.upgrade(1, old)) == spec.defaults()


@pytest.mark.parametrize("block_id", ["conv1d", "conv2d", "conv2d_transpose",
                                      "batch_normalization"])
def test_blocks_that_gained_settings_migrate_to_what_they_built(block_id: str) -> None:
    spec = blocks.get(block_id)
    added = {"use_bias", "axis", "center", "scale"}
    old = {k: v for k, v in spec.defaults().items() if k not in added}
    assert spec.resolve(spec.upgrade(spec.version - 1, old)) == spec.defaults()
