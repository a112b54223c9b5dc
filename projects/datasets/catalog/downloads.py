"""Datasets that Keras downloads once and caches in ~/.keras/datasets.

Keras's official test part stays the test part; the seed draws the validation samples from
its train part. Loaders import Keras and numpy when they run.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

from projects.datasets.registry import SCALE, DatasetError, DatasetSpec, register

if TYPE_CHECKING:
    from projects.datasets.loading import Context, Raw

_DOWNLOAD_TIMEOUT_S = 20.0  # per socket operation, so an offline machine fails fast


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """Give sockets a timeout (Keras downloads with urllib, which has none by default)."""
    previous = socket.getdefaulttimeout()
    if previous is None:
        socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        if previous is None:
            socket.setdefaulttimeout(None)


def _keras_loader(title: str, module: str, add_channel: bool,
                  class_names: list[str] | None = None):
    """A loader for ``keras.datasets.<module>`` (28×28 grey images get a channel axis)."""

    def load(context: Context) -> Raw:
        import keras
        import numpy as np

        from projects.datasets.loading import Raw

        try:
            with _socket_timeout(_DOWNLOAD_TIMEOUT_S):
                (x_train, y_train), (x_test, y_test) = getattr(
                    keras.datasets, module).load_data()
        except Exception as err:  # Keras raises a bare Exception on a failed download
            raise DatasetError(
                f"{title} is not on this computer yet and could not be downloaded: connect "
                "to the internet once so Keras can fetch it (it is cached in "
                f"~/.keras/datasets). ({err})", field="name") from err
        x = np.concatenate([x_train, x_test])
        if add_channel:
            x = x[..., None]
        y = np.concatenate([y_train, y_test]).reshape(-1).astype(np.int32)
        split = np.array([""] * len(y_train) + ["test"] * len(y_test), dtype=object)
        return Raw(x, y, 10, class_names or [str(i) for i in range(10)], pixel_max=255.0,
                   split=split)

    return load


register(DatasetSpec(
    "mnist", "MNIST (download)", "arrays", "download",
    "70,000 handwritten digits, 28×28 grey images in 10 classes.",
    _keras_loader("MNIST", "mnist", True), (SCALE,)))
register(DatasetSpec(
    "fashion_mnist", "Fashion-MNIST (download)", "arrays", "download",
    "70,000 pictures of clothes, 28×28 grey images in 10 classes.",
    _keras_loader("Fashion-MNIST", "fashion_mnist", True,
                  ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]), (SCALE,)))
register(DatasetSpec(
    "cifar10", "CIFAR-10 (download)", "arrays", "download",
    "60,000 small colour photos, 32×32 RGB images in 10 classes.",
    _keras_loader("CIFAR-10", "cifar10", False,
                  ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]), (SCALE,)))
