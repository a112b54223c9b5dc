"""Autosave of unsaved work, and recovery of it after a crash.

Each running Deepwire writes its unsaved project every minute to its own file in the app's
data folder and deletes it when closed normally; a file left behind by a process that is
no longer running is work to offer back at the next start.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from app.crash_log import process_running
from app.editor import Editor
from projects import files

INTERVAL_MS = 60_000


def autosave_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "autosave"


@dataclass(frozen=True)
class Recoverable:
    project_file: Path
    original_path: Path | None
    saved_at: float
    name: str


class AutoSaver(QObject):
    """Every ``interval_ms``, saves the editor's project if it has unsaved changes."""

    def __init__(self, editor: Editor, folder: Path | None = None,
                 interval_ms: int = INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.folder = folder or autosave_folder()
        self.stem = f"session-{os.getpid()}"
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    @property
    def project_file(self) -> Path:
        return self.folder / f"{self.stem}.deepwire"

    @property
    def meta_file(self) -> Path:
        return self.folder / f"{self.stem}.json"

    def save_now(self) -> bool:
        """Write the unsaved project (never over the user's own file); False if clean."""
        if not self.editor.dirty:
            self.discard()
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            files.save(self.editor.project, self.project_file)
            meta = {"pid": os.getpid(), "saved_at": time.time(),
                    "original_path": str(self.editor.path) if self.editor.path else None,
                    "name": self.editor.project.name}
            files.atomic_write(self.meta_file, json.dumps(meta).encode("utf-8"))
        except OSError:
            return False  # a full disk must not interrupt editing; the next tick retries
        return True

    def discard(self) -> None:
        for path in (self.project_file, self.meta_file):
            path.unlink(missing_ok=True)


def find_recoverable(folder: Path | None = None) -> list[Recoverable]:
    """Autosaves left by Deepwire processes that are no longer running, newest first."""
    folder = folder or autosave_folder()
    found = []
    for meta_path in folder.glob("session-*.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            pid = int(meta["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        project_file = meta_path.with_suffix(".deepwire")
        if process_running(pid) or not project_file.exists():
            continue
        original = meta.get("original_path")
        found.append(Recoverable(project_file, Path(original) if original else None,
                                 float(meta.get("saved_at", 0)), str(meta.get("name", ""))))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def forget(recoverable: Recoverable) -> None:
    recoverable.project_file.unlink(missing_ok=True)
    recoverable.project_file.with_suffix(".json").unlink(missing_ok=True)
