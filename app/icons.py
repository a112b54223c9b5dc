"""Icons from the package data, and each block category's look: its colour and its icon.

The order of the categories is the registry's (``blocks.registry.CATEGORY_ORDER``); how they
look is defined here once, for the palette, the canvas and the inspector alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtGui import QColor, QIcon

import resources


@dataclass(frozen=True)
class CategoryLook:
    colour: str  # the block header on the canvas
    icon: str  # the name of its SVG in resources/icons


CATEGORY_LOOKS: dict[str, CategoryLook] = {
    "Input/Output": CategoryLook("#3b82f6", "input_output"),
    "Core": CategoryLook("#6366f1", "core"),
    "Normalization": CategoryLook("#0ea5e9", "normalization"),
    "Convolution": CategoryLook("#10b981", "convolution"),
    "Pooling": CategoryLook("#14b8a6", "pooling"),
    "Reshaping": CategoryLook("#f59e0b", "reshaping"),
    "Merging": CategoryLook("#f97316", "merging"),
    "Sequence": CategoryLook("#8b5cf6", "sequence"),
    "Attention": CategoryLook("#ec4899", "attention"),
    "Graph": CategoryLook("#22c55e", "graph"),
    "GAN": CategoryLook("#ef4444", "gan"),
}
UNKNOWN_CATEGORY_COLOUR = "#64748b"  # a category without a look (a plug-in's, say)


@cache
def icon(name: str) -> QIcon:
    return QIcon(str(resources.icon_path(name)))


def group_icon() -> QIcon:
    """Blocks gathered into one, as the canvas draws a group's header."""
    return icon("group")


def category_icon(category: str) -> QIcon:
    look = CATEGORY_LOOKS.get(category)
    return icon(look.icon) if look is not None else QIcon()


@cache
def category_colour(category: str) -> QColor:
    look = CATEGORY_LOOKS.get(category)
    return QColor(look.colour if look is not None else UNKNOWN_CATEGORY_COLOUR)
