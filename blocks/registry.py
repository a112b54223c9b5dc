"""The block registry: every placeable block type, keyed by id.

Catalog modules in ``blocks.catalog`` call :func:`register` at import time; the registry
imports them all on first use, so adding a block type touches only its catalog file.
"""

from __future__ import annotations

from blocks.spec import BlockSpec
from blocks.spec_registry import SpecRegistry

_REGISTRY: SpecRegistry[BlockSpec] = SpecRegistry("blocks.catalog", lambda s: s.id, "Block id")
_SPECS = _REGISTRY.specs


class UnknownBlockError(KeyError):
    """A block id that no catalog module declares."""

    def __init__(self, block_id: str) -> None:
        super().__init__(block_id)
        self.block_id = block_id

    def __str__(self) -> str:
        return f"Unknown block type {self.block_id!r}"


def register(spec: BlockSpec) -> BlockSpec:
    """Add ``spec`` to the catalog; a second spec with the same id raises ValueError."""
    return _REGISTRY.register(spec)


def get(block_id: str) -> BlockSpec:
    """The spec for ``block_id``; raises UnknownBlockError for ids not in the catalog."""
    _REGISTRY.loaded()
    try:
        return _SPECS[block_id]
    except KeyError:
        raise UnknownBlockError(block_id) from None


def has(block_id: str) -> bool:
    _REGISTRY.loaded()
    return block_id in _SPECS


def all_specs() -> list[BlockSpec]:
    """All specs, ordered by category then title, as the palette and catalog list them."""
    _REGISTRY.loaded()
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
