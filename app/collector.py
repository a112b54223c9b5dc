"""Garbage collection in the app runs on the GUI thread, from a timer (docs/architecture.md,
Garbage collection and threads).

Python's cyclic collector runs on whichever thread happens to allocate when a threshold is
crossed: in Deepwire, often the training thread or a dataset preview's pool thread. A
collection there frees the Qt objects that sit in reference cycles on that thread, so their
destructors run off the GUI thread: Shiboken defers the deletion to the GUI thread, where it
can call freed code (a crash), or ``QObject::~QObject`` waits for the GIL on the worker (a
hang). So the app turns automatic collection off and collects here instead:

* the youngest generation every tick, the middle one every few ticks: cheap, short pauses;
* a full collection when a run ends (its model, optimizer and graph become garbage then) and,
  while no run is going, now and then;
* never a full collection during a run: the run's objects are young garbage only at its end;
* a last full collection when the app is about to quit, before Qt and the interpreter tear
  down.

TensorFlow and Keras bring millions of objects that live as long as the process; after their
import they are frozen once (``gc.freeze``, here, on the GUI thread), so full collections
skip them. Nothing else is ever frozen, so every run's objects stay collectable.
Headless (CLI, tests without Qt) collection stays automatic; see projects/training.py.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Slot

TICK_MS = 200  # the youngest generation, five times a second
MIDDLE_EVERY = 5  # the middle generation once a second
IDLE_FULL_S = 60.0  # a full collection at most this often while no run is going


class GuiCollector(QObject):
    """Collects garbage on the thread it lives on (the GUI thread), never elsewhere."""

    def __init__(self, parent: QObject | None = None, tick_ms: int = TICK_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)
        self._ticks = 0
        self._runs = 0
        self._last_full = time.monotonic()
        self.collections = [0, 0, 0]  # collections made per generation (for tests)
        self.longest_pause = [0.0, 0.0, 0.0]  # seconds, per generation (for benchmarks)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        """Turn automatic collection off and start collecting from the timer."""
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Give collection back to Python (automatic again)."""
        self._timer.stop()
        gc.enable()

    def tick(self) -> None:
        self._ticks += 1
        idle = self._runs == 0 and time.monotonic() - self._last_full >= IDLE_FULL_S
        self.collect(2 if idle else 1 if self._ticks % MIDDLE_EVERY == 0 else 0)

    def collect(self, generation: int = 2) -> int:
        """Collect ``generation`` (and the younger ones) now; returns the objects freed."""
        if QThread.currentThread() is not self.thread():
            raise RuntimeError("garbage is collected on the GUI thread only")
        began = time.perf_counter()
        freed = gc.collect(generation)
        pause = time.perf_counter() - began
        self.collections[generation] += 1
        self.longest_pause[generation] = max(self.longest_pause[generation], pause)
        if generation == 2:
            self._last_full = time.monotonic()
        return freed

    def freeze_long_lived(self) -> None:
        """Once TensorFlow is imported: collect, then freeze what is left (TensorFlow's
        modules, Keras's registries, the window), so full collections skip it."""
        self.collect(2)
        gc.freeze()

    @Slot()
    def collect_before_exit(self) -> None:
        """The app's ``aboutToQuit``: a last full collection here, while Qt and TensorFlow
        are intact. Left for the interpreter's shutdown, the last run's model and the
        dashboard's discarded plot items would be freed after PySide has destroyed the
        application and TensorFlow's modules are half torn down."""
        self._timer.stop()
        self.collect(2)

    @Slot(str)
    def on_tensorflow_loaded(self, _description: str = "") -> None:
        """The loader's ``loaded`` signal, delivered on the GUI thread."""
        self.freeze_long_lived()

    def run_started(self) -> None:
        self._runs += 1

    def run_ended(self) -> None:
        """A run's model, optimizer and graph are garbage now: collect them once the
        current slot has returned (so the window shows the run's end first)."""
        self._runs = max(0, self._runs - 1)
        QTimer.singleShot(0, self._collect_full)

    @Slot()
    def _collect_full(self) -> None:
        self.collect(2)


_installed: GuiCollector | None = None


def install(app: QCoreApplication | None = None) -> GuiCollector:
    """Collect from the GUI thread from now on (idempotent). Call on the GUI thread."""
    global _installed
    app = app or QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("install the collector on the GUI thread, after the QApplication")
    if _installed is None:
        _installed = GuiCollector(app)
        _installed.start()
        app.aboutToQuit.connect(_installed.collect_before_exit)
    return _installed


def uninstall() -> None:
    """Automatic collection again (tests that mix the app's and headless rules)."""
    global _installed
    if _installed is not None:
        _installed.stop()
        _installed.deleteLater()
        _installed = None


def installed() -> GuiCollector | None:
    """The app's collector, or None when collection is automatic (headless)."""
    return _installed
