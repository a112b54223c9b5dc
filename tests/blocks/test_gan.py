"""AdversarialModel: one step updates both networks; fit, save and load work."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from blocks.layers import AdversarialModel

LATENT_DIM, SAMPLE_DIM = 4, 6


def tiny_gan(sigmoid_output: bool = False) -> tuple[keras.Model, keras.Model]:
    generator = keras.Sequential(
        [
            keras.Input((LATENT_DIM,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(SAMPLE_DIM, activation="tanh"),
        ],
        name="generator",
    )
    discriminator = keras.Sequential(
        [
            keras.Input((SAMPLE_DIM,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid" if sigmoid_output else None),
        ],
        name="discriminator",
    )
    return generator, discriminator


def real_samples(count: int = 16) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (count, SAMPLE_DIM)).astype("float32")


def snapshot(model: keras.Model) -> list[np.ndarray]:
    return [w.numpy().copy() for w in model.weights]


def as_json(config: dict) -> dict:
    return json.loads(json.dumps(config))


def changed(before: list[np.ndarray], model: keras.Model) -> bool:
    return all(not np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True))


@pytest.mark.parametrize("with_targets", [False, True], ids=["x", "(x, y)"])
def test_one_step_updates_both_networks_with_finite_losses(with_targets: bool) -> None:
    keras.utils.set_random_seed(0)
    gan = AdversarialModel(*tiny_gan(), latent_dim=LATENT_DIM)
    gan.compile()
    generator_before, discriminator_before = snapshot(gan.generator), snapshot(gan.discriminator)
    real = tf.constant(real_samples(8))
    logs = gan.train_step((real, tf.zeros((8, 1))) if with_targets else real)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(float(value)) for value in logs.values())
    assert 0.0 <= float(logs["d_real"]) <= 1.0 and 0.0 <= float(logs["d_fake"]) <= 1.0
    assert changed(generator_before, gan.generator)
    assert changed(discriminator_before, gan.discriminator)
    assert int(gan.generator_optimizer.iterations) == 1
    assert int(gan.discriminator_optimizer.iterations) == 1


def test_compile_defaults_to_dcgan_adam_and_has_no_single_optimizer() -> None:
    gan = AdversarialModel(*tiny_gan(), latent_dim=LATENT_DIM)
    gan.compile()
    assert gan.optimizer is None
    assert gan.generator_optimizer is not gan.discriminator_optimizer
    for optimizer in (gan.generator_optimizer, gan.discriminator_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5


def test_fit_with_probabilities_from_the_discriminator() -> None:
    keras.utils.set_random_seed(0)
    gan = AdversarialModel(*tiny_gan(sigmoid_output=True), latent_dim=LATENT_DIM)
    gan.compile(
        keras.optimizers.Adam(1e-3),
        keras.optimizers.SGD(1e-2),
        from_logits=False,
        label_smoothing=0.1,
    )
    history = gan.fit(real_samples(), batch_size=4, epochs=2, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(values).all() for values in history.values())
    assert int(gan.discriminator_optimizer.iterations) == 8


def test_calling_the_model_generates_samples() -> None:
    gan = AdversarialModel(*tiny_gan(), latent_dim=LATENT_DIM)
    z = np.random.default_rng(0).standard_normal((3, LATENT_DIM)).astype("float32")
    np.testing.assert_array_equal(gan(z), gan.generator(z))


def test_unbuilt_networks_are_built_from_the_latent_size() -> None:
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.layers.Dense(SAMPLE_DIM)])
    discriminator = keras.Sequential([keras.layers.Dense(1)])
    gan = AdversarialModel(generator, discriminator, latent_dim=LATENT_DIM)
    assert generator.built and discriminator.built
    assert discriminator.input_shape == (None, SAMPLE_DIM)
    gan.compile()
    assert np.isfinite(gan.fit(real_samples(), batch_size=8, verbose=0).history["g_loss"]).all()


def test_a_generator_that_does_not_fit_the_discriminator_is_refused() -> None:
    generator, _ = tiny_gan()
    discriminator = keras.Sequential([keras.Input((SAMPLE_DIM + 1,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"output shape \(None, 6\) does not fit"):
        AdversarialModel(generator, discriminator, latent_dim=LATENT_DIM)


def test_saving_and_loading_in_safe_mode_round_trips(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    gan = AdversarialModel(*tiny_gan(), latent_dim=LATENT_DIM, name="gan")
    gan.compile(generator_optimizer=keras.optimizers.Adam(1e-3), label_smoothing=0.1)
    gan.fit(real_samples(), batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)

    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, AdversarialModel)
    # Compared as JSON: the file turns the sub-models' shape tuples into lists.
    assert as_json(loaded.get_config()) == as_json(gan.get_config())
    assert loaded.get_compile_config() == gan.get_compile_config()
    for original, restored in [
        (gan.generator, loaded.generator),
        (gan.discriminator, loaded.discriminator),
        (gan.generator_optimizer, loaded.generator_optimizer),
        (gan.discriminator_optimizer, loaded.discriminator_optimizer),
    ]:
        assert len(original.variables) == len(restored.variables) > 0
        for a, b in zip(original.variables, restored.variables, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    z = np.random.default_rng(1).standard_normal((2, LATENT_DIM)).astype("float32")
    np.testing.assert_array_equal(loaded(z), gan(z))
    loaded.fit(real_samples(), batch_size=8, epochs=1, verbose=0)  # training resumes
    assert int(loaded.generator_optimizer.iterations) == 4


def test_config_round_trip() -> None:
    gan = AdversarialModel(*tiny_gan(), latent_dim=LATENT_DIM)
    clone = AdversarialModel.from_config(gan.get_config())
    assert clone.get_config() == gan.get_config()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: AdversarialModel(*tiny_gan(), latent_dim=0),
            "latent_dim must be positive. Received: latent_dim=0",
        ),
        (
            lambda: AdversarialModel(*tiny_gan(), latent_dim=LATENT_DIM).compile(
                label_smoothing=1.0
            ),
            "label_smoothing must be in [0, 1). Received: label_smoothing=1.0",
        ),
        (
            lambda: AdversarialModel(*tiny_gan(), latent_dim=LATENT_DIM).compile(optimizer="adam"),
            "AdversarialModel trains with generator_optimizer and discriminator_optimizer",
        ),
    ],
)
def test_invalid_arguments_are_refused_eagerly(make, message: str) -> None:
    with pytest.raises(ValueError) as error:
        make()
    assert str(error.value).startswith(message)
