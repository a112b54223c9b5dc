"""Deepwire's block library: specs of every placeable block and the Keras layers behind them.

Qt-free and TensorFlow-lazy: importing ``blocks`` or listing the catalog never imports
TensorFlow; only building a block's layer does.
"""

from blocks.registry import UnknownBlockError, all_specs, get, has, register
from blocks.spec import BlockSpec, Param, ParamError, Port

__all__ = [
    "BlockSpec",
    "Param",
    "ParamError",
    "Port",
    "UnknownBlockError",
    "all_specs",
    "get",
    "has",
    "register",
]
