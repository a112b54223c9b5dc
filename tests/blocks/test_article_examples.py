"""The seed article's four examples run unchanged against our layers.

Each example is the article's code block as printed, with its class definition replaced
by an import of our layer; every other line is byte-for-byte the article's.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from blocks.layers import AdversarialModel
from blocks.layers.gan import article_gan

ATTENTION_EXAMPLE = """\
import tensorflow as tf
from tensorflow.keras.layers import Layer

from blocks.layers import SimpleAttention

# Example usage
attention_layer = SimpleAttention(units=10)
values = tf.random.normal([32, 10, 16]) # 32 sequences, 10 timesteps each, 16 features per timestep
query = tf.random.normal([32, 16]) # Current timestep for each of the 32 sequences
context_vector, attention_weights = attention_layer(query, values)
print(context_vector.shape)  # Expected: (32, 16)
"""

TRANSFORMER_EXAMPLE = """\
import tensorflow as tf

from blocks.layers import MultiHeadAttention

# Example Transformer usage
num_heads = 8
d_model = 512

mha = MultiHeadAttention(d_model=d_model, num_heads=num_heads)
v = k = q = tf.random.uniform((1, 60, 512))  # (batch_size, seq_len, d_model)
output = mha(v, k, q)
print(output.shape)  # Expected: (1, 60, 512)
"""

GCN_EXAMPLE = """\
import tensorflow as tf
from tensorflow.keras.layers import Layer

from blocks.layers import GraphConvolution

# Example GCN usage
num_nodes = 4
num_features = 2
units = 3

X = tf.random.uniform((num_nodes, num_features))  # Random features for 4 nodes
A = tf.constant([[0, 1, 1, 0], [1, 0, 1, 1], [1, 1, 0, 1], [0, 1, 1, 0]], dtype=tf.float32)  # Adjacency matrix

gcn_layer = GraphConvolution(units)
output_features = gcn_layer(X, A)
print(output_features.shape)  # Expected: (4, 3)
"""  # noqa: E501

GAN_EXAMPLE = """\
import tensorflow as tf
from tensorflow.keras import layers, models

# Discriminator
discriminator = models.Sequential([
    layers.Flatten(input_shape=(28, 28)),
    layers.Dense(128, activation='relu'),
    layers.Dense(1, activation='sigmoid')
])

# Generator
generator = models.Sequential([
    layers.Dense(256, activation='relu', input_shape=(100,)),
    layers.Reshape((1, 1, 256)),
    layers.Conv2DTranspose(128, kernel_size=3, strides=2, padding='same', activation='relu'),
    layers.Conv2DTranspose(64, kernel_size=3, strides=2, padding='same', activation='relu'),
    layers.Conv2DTranspose(1, kernel_size=3, strides=2, padding='same', activation='tanh')
])
# Note: Actual GAN training involves a more complex setup with discriminator and generator loss.
"""


@pytest.mark.parametrize(
    ("example", "printed"),
    [
        (ATTENTION_EXAMPLE, "(32, 16)\n"),
        (TRANSFORMER_EXAMPLE, "(1, 60, 512)\n"),
        (GCN_EXAMPLE, "(4, 3)\n"),
    ],
    ids=["attention", "transformer", "gcn"],
)
def test_example_prints_the_shape_the_article_expects(
    example: str, printed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    keras.utils.set_random_seed(0)
    exec(compile(example, "<article example>", "exec"), {})
    assert capsys.readouterr().out == printed


@pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`")
def test_the_articles_generator_does_not_fit_its_discriminator() -> None:
    namespace: dict = {}
    exec(compile(GAN_EXAMPLE, "<article example>", "exec"), namespace)
    generator, discriminator = namespace["generator"], namespace["discriminator"]
    assert generator.output_shape == (None, 8, 8, 1)
    assert discriminator.input_shape == (None, 28, 28)
    with pytest.raises(ValueError, match="does not fit the discriminator's input shape"):
        AdversarialModel(generator, discriminator, latent_dim=100)


def test_the_corrected_gan_fits_and_trains_a_step() -> None:
    keras.utils.set_random_seed(0)
    generator, discriminator = article_gan(latent_dim=100)
    assert generator.output_shape == (None, 28, 28, 1) == discriminator.input_shape
    z = np.random.default_rng(0).standard_normal((2, 100)).astype("float32")
    assert discriminator(generator(z)).shape == (2, 1)

    gan = AdversarialModel(generator, discriminator, latent_dim=100)
    gan.compile()
    images = np.random.default_rng(1).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    history = gan.fit(images, batch_size=4, epochs=1, verbose=0).history
    assert all(np.isfinite(values).all() for values in history.values())
