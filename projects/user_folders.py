"""Where Deepwire keeps files of its own outside projects: one home for the cache folder,
shared by the shapes on disk (projects/shape_cache.py) and the GAN judge
(projects/evaluation.py), in the app and headless alike."""

from __future__ import annotations

from pathlib import Path


def user_cache_dir() -> Path:
    """Deepwire's folder in the user's cache (XDG, macOS or Windows conventions)."""
    import os
    import sys

    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "deepwire"
