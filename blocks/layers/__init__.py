"""The Keras layers behind Deepwire's blocks, written where Keras has no equivalent.

The only module of ``blocks`` that imports Keras eagerly: ``blocks`` itself stays
TensorFlow-free, and a block imports this package only when it builds its layer.
Importing it registers every layer under the ``deepwire`` package name, so ``.keras``
files that use them load with ``safe_mode=True``.
"""

from blocks.layers.gan import AdversarialModel
from blocks.layers.graph_convolution import (
    GraphConvolution,
    GraphModel,
    GraphNormalization,
    normalize_adjacency,
)
from blocks.layers.multi_head_attention import MultiHeadAttention
from blocks.layers.position_embedding import PositionEmbedding, SinusoidalPositionEmbedding
from blocks.layers.simple_attention import SimpleAttention

__all__ = [
    "AdversarialModel",
    "GraphConvolution",
    "GraphModel",
    "GraphNormalization",
    "MultiHeadAttention",
    "PositionEmbedding",
    "SimpleAttention",
    "SinusoidalPositionEmbedding",
    "normalize_adjacency",
]
