"""Specs declared by the modules of one catalog package, imported on first use.

Blocks and datasets are both registered this way: each catalog module calls ``register`` at
import time, so adding one touches only its own file, and listing them imports nothing
heavier than the catalog modules themselves (docs/architecture.md, Blocks and Datasets).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")


class SpecRegistry(Generic[S]):
    """Specs keyed by ``key(spec)``; a second spec with the same key raises ValueError."""

    def __init__(self, package: str, key: Callable[[S], str], what: str) -> None:
        self._package = package
        self._key = key
        self._what = what  # "Block id", "Dataset": the start of the duplicate's message
        self.specs: dict[str, S] = {}
        self._loaded = False

    def register(self, spec: S) -> S:
        key = self._key(spec)
        if key in self.specs:
            raise ValueError(f"{self._what} {key!r} is already registered")
        self.specs[key] = spec
        return spec

    def loaded(self) -> dict[str, S]:
        """Every spec, after importing each module of the catalog package once."""
        if not self._loaded:
            self._loaded = True
            catalog = importlib.import_module(self._package)
            for module in pkgutil.iter_modules(catalog.__path__):
                importlib.import_module(f"{self._package}.{module.name}")
        return self.specs
