"""Where Deepwire keeps files of its own outside projects: one home for the cache folder,
shared by the shapes on disk (projects/shape_cache.py) and the GAN judge
(projects/evaluation.py), and for the data folder, which holds the blocks a user saves to
"My blocks" (projects/library.py); in the app and headless alike."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_dir() -> Path:
    """Deepwire's folder in the user's cache (XDG, macOS or Windows conventions)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "deepwire"


def user_data_dir() -> Path:
    """Deepwire's folder for the user's own files, which unlike the cache must never be
    cleared: XDG_DATA_HOME (~/.local/share), macOS's Application Support or Windows's
    roaming AppData. ``DEEPWIRE_DATA_DIR`` replaces it (tests, portable installs)."""
    override = os.environ.get("DEEPWIRE_DATA_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "deepwire"
