"""Slow work for a view (loading a past run, predicting) off the GUI thread.

The work runs on one plain Python thread per :class:`BackgroundJobs`, one job at a time,
in the order submitted. It never sees a Qt object: a job is a function of no arguments
that returns plain data (NumPy arrays, dataclasses), and a GUI-thread timer hands each
result or exception to the callbacks given with the job. Garbage is still collected only
on the GUI thread (app/collector.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

Job = Callable[[], Any]
_STOP = object()


class BackgroundJobs(QObject):
    """A queue of jobs for one view; ``close`` (with its window) joins the thread."""

    POLL_MS = 50

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._poll = QTimer(self, interval=self.POLL_MS)
        self._poll.timeout.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def submit(self, job: Job, on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run ``job`` after the ones before it; ``on_done(result)`` or ``on_error(err)``
        is then called on the GUI thread (a failure without ``on_error`` is re-raised
        there, so it reaches the app's error handling instead of vanishing)."""
        if self._closed:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name=f"deepwire-{self.name}",
                                            daemon=True)
            self._thread.start()
        self._pending += 1
        self._jobs.put((job, on_done, on_error))
        self._poll.start()

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            job, on_done, on_error = item
            try:
                self._results.put((on_done, on_error, job(), None))
            except Exception as err:  # handed to the GUI thread, which reports it
                self._results.put((on_done, on_error, None, err))

    def _deliver(self) -> None:
        while True:
            try:
                on_done, on_error, result, error = self._results.get_nowait()
            except queue.Empty:
                break
            self._pending -= 1
            if not self._pending:
                self._poll.stop()
            if error is None:
                on_done(result)
            elif on_error is not None:
                on_error(error)
            else:
                raise error

    def wait(self, timeout: float = 60.0) -> bool:
        """Deliver every submitted job's result (for tests and closing); False on timeout."""
        import time

        deadline = time.monotonic() + timeout
        while self._pending:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
            self._deliver()
        return True

    def close(self) -> None:
        """Take no more jobs, let the one under way finish, and join the thread."""
        self._closed = True
        self._poll.stop()
        if self._thread is not None:
            self._jobs.put(_STOP)
            self._thread.join()
            self._thread = None
