"""Adversarial training of a generator against a discriminator (GAN)."""

from __future__ import annotations

import keras
import tensorflow as tf

from blocks.layers._checks import positive_int, rate


@keras.saving.register_keras_serializable(package="deepwire")
class AdversarialModel(keras.Model):
    """A GAN (Goodfellow et al., 2014): trains a generator and a discriminator in turn.

    Each training step makes one discriminator update (real samples labelled 1,
    generated samples labelled 0) and then one generator update with fresh noise,
    using the non-saturating generator loss ``-log D(G(z))`` and binary cross-entropy
    throughout, each with its own optimizer and ``GradientTape``. Calling the model
    generates samples. Train it with ``fit(x)``: ``x`` holds real samples only (any
    targets are ignored). ``model.optimizer`` is None; the optimizers are
    ``generator_optimizer`` and ``discriminator_optimizer``.

    Args:
        generator: Model mapping noise of shape ``(B, latent_dim)`` to samples.
        discriminator: Model mapping samples to one score per sample, ``(B, 1)``:
            logits, or probabilities if compiled with ``from_logits=False``. Its input
            shape must equal the generator's output shape.
        latent_dim: Size of the noise vector ``z ~ N(0, I)``.
        **kwargs: Base model keyword arguments, such as ``name``.

    Call arguments:
        z: Noise of shape ``(B, latent_dim)``.
        training: Whether the generator runs in training mode.

    Returns:
        The generated samples, ``generator(z)``.
    """

    def __init__(self, generator, discriminator, latent_dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.latent_dim = positive_int("latent_dim", latent_dim)
        self.generator = generator
        self.discriminator = discriminator
        self._trackers = {
            name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real", "d_fake")
        }
        # Built from the latent size alone, so `fit` never traces the model on data.
        self.build()

    def build(self, input_shape=None):
        noise = keras.KerasTensor((None, self.latent_dim))
        # A symbolic call builds a model of any kind (Sequential, functional, subclassed).
        if self.generator.built:
            samples = self.generator.compute_output_spec(noise)
        else:
            samples = self.generator(noise)
        sample_shape = tuple(samples.shape)
        if not self.discriminator.built:
            self.discriminator(samples)
        expected = getattr(self.discriminator, "input_shape", None)
        if expected is not None and tuple(expected)[1:] != sample_shape[1:]:
            raise ValueError(
                f"The generator's output shape {sample_shape} does not fit the "
                f"discriminator's input shape {tuple(expected)}; they must be equal."
            )

    def call(self, z, training=None):
        return self.generator(z, training=training)

    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        from_logits: bool = True,
        label_smoothing: float = 0.0,
        **kwargs,
    ) -> None:
        """Configures the two optimizers and the loss.

        Args:
            generator_optimizer: Optimizer for the generator; defaults to DCGAN's
                ``Adam(2e-4, beta_1=0.5)``.
            discriminator_optimizer: Optimizer for the discriminator; same default.
            from_logits: Whether the discriminator outputs logits (True) or
                probabilities (False).
            label_smoothing: One-sided label smoothing: real samples are labelled
                ``1 - label_smoothing`` when training the discriminator; in [0, 1).
            **kwargs: Other ``keras.Model.compile`` arguments, such as ``run_eagerly``
                or ``steps_per_execution``.
        """
        if kwargs.get("optimizer") is not None:
            raise ValueError(
                "AdversarialModel trains with generator_optimizer and "
                f"discriminator_optimizer. Received: optimizer={kwargs['optimizer']!r}"
            )
        kwargs["optimizer"] = None
        super().compile(**kwargs)
        self.generator_optimizer = keras.optimizers.get(generator_optimizer) or _dcgan_adam()
        self.discriminator_optimizer = (
            keras.optimizers.get(discriminator_optimizer) or _dcgan_adam()
        )
        self.from_logits = bool(from_logits)
        self.label_smoothing = rate("label_smoothing", label_smoothing)
        self._cross_entropy = keras.losses.BinaryCrossentropy(from_logits=self.from_logits)

    @property
    def metrics(self):
        return list(self._trackers.values())

    def train_step(self, data):
        real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        noise_shape = (tf.shape(real)[0], self.latent_dim)

        fake = self.generator(tf.random.normal(noise_shape), training=True)
        with tf.GradientTape() as tape:
            real_scores = self.discriminator(real, training=True)
            fake_scores = self.discriminator(fake, training=True)
            real_labels = tf.fill(tf.shape(real_scores), 1.0 - self.label_smoothing)
            d_loss = (
                self._cross_entropy(real_labels, real_scores)
                + self._cross_entropy(tf.zeros_like(fake_scores), fake_scores)
                + _regularization(self.discriminator)
            )
        _apply(self.discriminator_optimizer, tape, d_loss, self.discriminator)

        with tf.GradientTape() as tape:
            fake = self.generator(tf.random.normal(noise_shape), training=True)
            # Non-saturating loss: maximise log D(G(z)) rather than minimise log(1 - D(G(z))).
            g_scores = self.discriminator(fake, training=True)
            g_loss = self._cross_entropy(tf.ones_like(g_scores), g_scores) + _regularization(
                self.generator
            )
        _apply(self.generator_optimizer, tape, g_loss, self.generator)

        self._trackers["d_loss"].update_state(d_loss)
        self._trackers["g_loss"].update_state(g_loss)
        self._trackers["d_real"].update_state(self._probabilities(real_scores))
        self._trackers["d_fake"].update_state(self._probabilities(fake_scores))
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def _probabilities(self, scores):
        return tf.sigmoid(scores) if self.from_logits else scores

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in ("generator", "discriminator"):
            config[name] = keras.saving.deserialize_keras_object(
                config[name], custom_objects=custom_objects
            )
        return cls(**config)

    def get_compile_config(self):
        if not self.compiled:
            return {}
        return {
            "generator_optimizer": keras.optimizers.serialize(self.generator_optimizer),
            "discriminator_optimizer": keras.optimizers.serialize(self.discriminator_optimizer),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }

    def compile_from_config(self, config):
        self.compile(
            generator_optimizer=keras.optimizers.deserialize(config["generator_optimizer"]),
            discriminator_optimizer=keras.optimizers.deserialize(config["discriminator_optimizer"]),
            from_logits=config["from_logits"],
            label_smoothing=config["label_smoothing"],
        )
        # Create the optimizer slots now so that their saved values can be loaded.
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)


def article_gan(latent_dim: int = 100) -> tuple[keras.Sequential, keras.Sequential]:
    """Return the article's generator and discriminator, corrected to fit each other.

    The article's generator upsamples a 1×1 map three times to 8×8×1, which its 28×28
    discriminator cannot take. This one starts from 7×7×256 and upsamples with strides
    1, 2, 2 to 28×28×1 (tanh, so real data should be scaled to [-1, 1]); the
    discriminator takes 28×28×1 and outputs a logit, for ``from_logits=True``.
    """
    layers = keras.layers
    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            layers.Dense(7 * 7 * 256, activation="relu"),
            layers.Reshape((7, 7, 256)),
            layers.Conv2DTranspose(128, 3, strides=1, padding="same", activation="relu"),
            layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="tanh"),
        ],
        name="generator",
    )
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    return generator, discriminator


def _dcgan_adam() -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def _regularization(model: keras.Model):
    return tf.add_n(model.losses) if model.losses else 0.0


def _apply(optimizer, tape: tf.GradientTape, loss, model: keras.Model) -> None:
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
