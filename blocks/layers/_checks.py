"""Eager argument checks shared by the layers, with Keras-style messages."""

from __future__ import annotations

import numbers


def positive_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` or raise a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer. Received: {name}={value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive. Received: {name}={value}")
    return int(value)


def rate(name: str, value: object) -> float:
    """Return ``value`` as a ``float`` in [0, 1) or raise a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number. Received: {name}={value!r}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1). Received: {name}={value}")
    return float(value)


def positive_number(name: str, value: object) -> float:
    """Return ``value`` as a ``float`` > 0 or raise a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number. Received: {name}={value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be positive. Received: {name}={value}")
    return float(value)
