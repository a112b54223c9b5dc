"""Icons from the package data, cached so each SVG is parsed once."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

import resources


def category_key(category: str) -> str:
    return category.lower().replace("/", "_").replace(" ", "_")


@cache
def icon(name: str) -> QIcon:
    return QIcon(str(resources.icon_path(name)))


def category_icon(category: str) -> QIcon:
    return icon(category_key(category))
