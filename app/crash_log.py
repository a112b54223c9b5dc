"""A record of a crash: while the window is open, ``faulthandler`` writes every thread's stack
to a log in the app's data folder if the process dies of a fatal signal (docs/architecture.md,
Garbage collection and threads).

A crash leaves nothing else behind (no traceback on a terminal nobody watches, no dialog), so
the log is opened when the app starts and kept open for the process's life: faulthandler
writes to an already open file descriptor from its signal handler, which is all that is safe
once the process is dying. A clean exit deletes the log. A log left by a process that is no
longer running is the record of a crash: the next start renames it to ``crash-*.log`` (the
newest few are kept), says so and offers it.
"""

from __future__ import annotations

import faulthandler
import os
import platform
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QStandardPaths, qVersion

KEEP = 5  # crash logs kept; older ones are deleted
HEADER = "Deepwire crash log"
_RUNNING_GLOB = "running-*.log"


def crash_folder() -> Path:
    """``crashes`` in the app's data folder (beside ``autosave``)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "crashes"


def header_line(pid: int | None = None) -> str:
    """When, which versions and which process: enough to tell one log from another."""
    import PySide6

    try:
        deepwire = metadata.version("deepwire")
    except metadata.PackageNotFoundError:
        deepwire = "(not installed)"
    when = datetime.now().astimezone().isoformat(timespec="seconds")
    return (f"{HEADER}: started {when}; Deepwire {deepwire}, "
            f"Python {platform.python_version()}, PySide6 {PySide6.__version__}, "
            f"Qt {qVersion()}, {platform.platform()}; pid {pid or os.getpid()}")


@dataclass(frozen=True)
class Crash:
    """A crash log left by an earlier process."""

    path: Path
    text: str

    @property
    def header(self) -> str:
        return self.text.splitlines()[0] if self.text else ""

    @property
    def stacks(self) -> str:
        """What faulthandler wrote; empty when the process was killed without a signal
        faulthandler handles (SIGKILL, power loss)."""
        return "\n".join(self.text.splitlines()[1:]).strip()


class CrashLog:
    """This process's log: open from :func:`start` until :meth:`close` on a clean exit."""

    def __init__(self, path: Path, file: TextIO) -> None:
        self.path = path
        self.file = file

    def close(self) -> None:
        """A clean exit: stop recording and delete the log (nothing happened)."""
        if self.file.closed:
            return
        if faulthandler.is_enabled():
            faulthandler.disable()
        self.file.close()
        self.path.unlink(missing_ok=True)


def start(folder: Path | None = None) -> CrashLog | None:
    """Open this process's log and point faulthandler at it, for every thread. None when the
    folder cannot be written (the app still starts; it only keeps no record)."""
    folder = folder or crash_folder()
    path = folder / f"running-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        file = open(path, "w", encoding="utf-8")  # noqa: SIM115 (open for the process's life)
        file.write(header_line() + "\n")
        file.flush()
    except OSError:
        return None
    faulthandler.enable(file, all_threads=True)
    return CrashLog(path, file)


def process_running(pid: int) -> bool:
    """Whether a process with this id is running: a log or an autosave of a process that
    is not running was left behind."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that id
        return True
    return True


def find_previous(folder: Path | None = None) -> Crash | None:
    """The newest log left by a process that is no longer running, renamed so it is offered
    once and kept; older crash logs beyond :data:`KEEP` are deleted. None if none."""
    folder = folder or crash_folder()
    if not folder.is_dir():
        return None
    crashes = []
    for path in folder.glob(_RUNNING_GLOB):
        try:
            pid = int(path.stem.removeprefix("running-"))
        except ValueError:
            continue
        if process_running(pid):
            continue  # another Deepwire window, still open
        stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
        kept = path.with_name(f"crash-{stamp}-{pid}.log")
        try:
            path.rename(kept)
            crashes.append(Crash(kept, kept.read_text(encoding="utf-8", errors="replace")))
        except OSError:
            continue
    rotate(folder)
    crashes = [c for c in crashes if c.path.exists()]
    return max(crashes, key=lambda c: c.path.stat().st_mtime, default=None)


def rotate(folder: Path, keep: int = KEEP) -> None:
    """Keep the ``keep`` newest crash logs."""
    logs = sorted(folder.glob("crash-*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[keep:]:
        old.unlink(missing_ok=True)


def summary(crash: Crash) -> str:
    """One sentence for the start-up dialog."""
    if "Fatal Python error" in crash.stacks:
        first = next(line for line in crash.stacks.splitlines() if "Fatal Python error" in line)
        what = first.split(":", 1)[1].strip().lower()
        return f"Deepwire stopped with a fatal error ({what}) the last time it ran."
    return "Deepwire did not close normally the last time it ran."
