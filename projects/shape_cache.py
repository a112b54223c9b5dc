"""Shapes and parameter counts kept on disk, so a reopened project shows them at once.

Building a block symbolically needs Keras, and Keras needs TensorFlow, which takes seconds to
import. What Keras said about a block depends only on the block (its id and version), its
parameters, the shapes coming in, and the versions of Keras and Deepwire; under that key the
answer is stored in a small SQLite file. Before TensorFlow has loaded, a project whose blocks
are all stored is validated from the file alone; once it has, every stored answer that was
used is built again and replaced if Keras now says otherwise (ShapeInference.verify).

The file is a cache: if it is unreadable, corrupt or on a read-only disk it is rebuilt or
left out, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from projects.shapes import NodeShapes, TensorInfo

MAX_ENTRIES = 200_000  # beyond this the older half is dropped when the file is opened


@cache
def versions() -> tuple[str, str]:
    """Keras's and Deepwire's versions, read from the installed metadata (no import)."""
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "unknown"

    return version("keras"), version("deepwire")


def entry_key(block: str, block_version: int, params: Mapping[str, Any],
              inputs: Mapping[str, TensorInfo]) -> str:
    """The stored answer's key: a digest of everything Keras's answer depends on."""
    text = json.dumps([versions(), block, block_version, dict(params),
                       {port: [list(i.shape), i.dtype, i.sparse]
                        for port, i in sorted(inputs.items())}],
                      sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()


class ShapeDiskCache:
    """One SQLite file of NodeShapes by :func:`entry_key`; ``enabled`` is False when the
    file cannot be used, and then it stores nothing."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._dirty = False
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError):
            try:  # a corrupt file: start afresh
                self.path.unlink(missing_ok=True)
                self._db = self._open()
            except (sqlite3.Error, OSError):
                self._db = None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")  # losing the newest entries costs a rebuild only
        db.execute("CREATE TABLE IF NOT EXISTS shapes (key TEXT PRIMARY KEY, value TEXT)")
        (count,) = db.execute("SELECT count(*) FROM shapes").fetchone()
        if count > MAX_ENTRIES:
            db.execute("DELETE FROM shapes WHERE rowid IN "
                       "(SELECT rowid FROM shapes ORDER BY rowid LIMIT ?)", (count // 2,))
        return db

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def get(self, key: str) -> NodeShapes | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM shapes WHERE key = ?", (key,)).fetchone()
            return None if row is None else _decode(json.loads(row[0]))
        except (sqlite3.Error, ValueError, TypeError, KeyError):
            return None  # unreadable entry: it is built again

    def put(self, key: str, shapes: NodeShapes) -> None:
        if self._db is None:
            return
        if not self._dirty:
            self._begin()
        try:
            self._db.execute("INSERT OR REPLACE INTO shapes VALUES (?, ?)",
                             (key, json.dumps(_encode(shapes))))
        except sqlite3.Error:
            self._disable()

    def _begin(self) -> None:
        try:
            self._db.execute("BEGIN")
            self._dirty = True
        except sqlite3.Error:
            self._disable()

    def flush(self) -> None:
        """Write what was put since the last flush (one transaction per validation)."""
        if self._db is not None and self._dirty:
            self._dirty = False
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._disable()

    def _disable(self) -> None:
        db, self._db, self._dirty = self._db, None, False
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    def close(self) -> None:
        self.flush()
        self._disable()


def _encode(shapes: NodeShapes) -> dict[str, Any]:
    return {"outputs": {port: [list(i.shape), i.dtype, i.sparse]
                        for port, i in shapes.outputs.items()},
            "params": shapes.params, "trainable": shapes.trainable_params,
            "error": shapes.error, "error_param": shapes.error_param}


def _decode(value: dict[str, Any]) -> NodeShapes:
    from projects.shapes import NodeShapes, TensorInfo

    outputs = {port: TensorInfo(tuple(shape), dtype, bool(sparse))
               for port, (shape, dtype, sparse) in value["outputs"].items()}
    return NodeShapes(outputs=outputs, params=int(value["params"]),
                      trainable_params=int(value["trainable"]), error=value["error"],
                      error_param=value["error_param"])
