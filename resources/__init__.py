"""Package data shipped with Deepwire: icons, the style sheet, example projects."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def icon_path(name: str) -> Path:
    """Path of ``icons/<name>.svg``; the category icons are named after the category."""
    return ROOT / "icons" / f"{name}.svg"


def examples_dir() -> Path:
    return ROOT / "examples"


def example_paths() -> list[Path]:
    """Every shipped example project, sorted by name."""
    return sorted(examples_dir().glob("*.deepwire"))
