"""The block registry: every placeable block type, keyed by id.

Catalog modules in ``blocks.catalog`` call :func:`register` at import time; the registry
imports them all on first use, so adding a block type touches only its catalog file.
"""

from __future__ import annotations

import importlib
import pkgutil

from blocks.spec import BlockSpec

_SPECS: dict[str, BlockSpec] = {}
_loaded = False


class UnknownBlockError(KeyError):
    """A block id that no catalog module declares."""

    def __init__(self, block_id: str) -> None:
        super().__init__(block_id)
        self.block_id = block_id

    def __str__(self) -> str:
        return f"Unknown block type {self.block_id!r}"


def register(spec: BlockSpec) -> BlockSpec:
    """Add ``spec`` to the catalog; a second spec with the same id raises ValueError."""
    if spec.id in _SPECS:
        raise ValueError(f"Block id {spec.id!r} is already registered")
    _SPECS[spec.id] = spec
    return spec


def _load_catalog() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import blocks.catalog as catalog

    for module in pkgutil.iter_modules(catalog.__path__):
        importlib.import_module(f"{catalog.__name__}.{module.name}")


def get(block_id: str) -> BlockSpec:
    """The spec for ``block_id``; raises UnknownBlockError for ids not in the catalog."""
    _load_catalog()
    try:
        return _SPECS[block_id]
    except KeyError:
        raise UnknownBlockError(block_id) from None


def has(block_id: str) -> bool:
    _load_catalog()
    return block_id in _SPECS


def all_specs() -> list[BlockSpec]:
    """All specs, ordered by category then title, as the palette and catalog list them."""
    _load_catalog()
    return sorted(_SPECS.values(), key=lambda s: (CATEGORY_ORDER.get(s.category, 99), s.title))


CATEGORY_ORDER = {
    "Input/Output": 0,
    "Core": 1,
    "Normalization": 2,
    "Convolution": 3,
    "Pooling": 4,
    "Reshaping": 5,
    "Merging": 6,
    "Sequence": 7,
    "Attention": 8,
    "Graph": 9,
    "GAN": 10,
}
