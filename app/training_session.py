"""Training from the GUI: the engine runs on a QThread that owns all TensorFlow work of a run.

Engine events cross to the GUI thread as queued signals; widgets are touched only there.
Stop, pause and resume go straight to the trainer, which honours them between two steps.
No Qt object is created, owned or last released on the training thread, and no garbage is
collected there (app/collector.py): the GUI thread collects a run's objects when it ends.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from app import collector
from projects.document import Project


class _Worker(QObject):
    """Lives in the training thread; ``run`` blocks there until the run ends."""

    event = Signal(object)
    done = Signal(object)

    def __init__(self, trainer) -> None:
        super().__init__()
        self.trainer = trainer

    @Slot()
    def run(self) -> None:
        from projects import events as ev

        # The session holds the trainer; this QObject lets go of it at once, so nothing the
        # run made waits for this object's deferred deletion.
        trainer, self.trainer = self.trainer, None
        trainer.listener = self.event.emit
        try:
            result = trainer.run()
        except Exception as err:  # the engine reports its failures; this is the last guard
            result = ev.Failed(f"{type(err).__name__}: {err}",
                               "Training stopped unexpectedly; the run folder may be "
                               "incomplete.", trainer._step)
            self.event.emit(result)
        finally:
            trainer.listener = None  # no cycle through this QObject
            # Back to the GUI thread, so deleteLater deletes it there once this thread ends.
            self.moveToThread(QCoreApplication.instance().thread())
            QThread.currentThread().quit()  # end the thread's loop: the GUI may be waiting
        del trainer  # the last reference is the session's, dropped on the GUI thread
        self.done.emit(result)


class TrainingSession(QObject):
    """One run at a time. ``event`` re-emits every engine event on the GUI thread."""

    event = Signal(object)
    started = Signal()
    finished = Signal(object)  # the last event: Finished or Failed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.trainer = None
        self._worker: _Worker | None = None
        self.estimator: DryRunEstimator | None = None  # joined with the run on closing

    @property
    def running(self) -> bool:
        """True from ``start`` until the GUI thread has handled the run's end.

        The worker's thread stops on its own before its queued ``done`` reaches the GUI,
        so asking the thread would report the run over while the window still shows it going.
        """
        return self.thread is not None

    @property
    def paused(self) -> bool:
        return self.trainer is not None and self.trainer.paused

    def start(self, project: Project, project_path: Path | None = None, options=None) -> None:
        """Train a snapshot of ``project`` (the document may be edited meanwhile)."""
        if self.running:
            raise RuntimeError("A run is already going; stop it first")
        from projects.training import RunOptions, Trainer

        self.trainer = Trainer(project, project_path, options or RunOptions())
        self.thread = QThread(self)
        self.thread.setObjectName("deepwire-training")
        self._worker = _Worker(self.trainer)
        self._worker.moveToThread(self.thread)
        self._worker.event.connect(self.event)
        self._worker.done.connect(self._on_done)
        self.thread.started.connect(self._worker.run)
        gui_collector = collector.installed()
        if gui_collector is not None:
            gui_collector.run_started()
        self.thread.start()
        self.started.emit()

    def stop(self) -> None:
        if self.trainer is not None:
            self.trainer.stop()

    def pause(self) -> None:
        if self.trainer is not None and self.running:
            self.trainer.pause()

    def resume(self) -> None:
        if self.trainer is not None:
            self.trainer.resume()

    def stop_and_wait(self, timeout_ms: int | None = None) -> bool:
        """Stop the run and join its thread (and the background dry run's); True when the
        threads have ended. By default it waits for the end: the trainer stops at its next
        step, which can be the first one, after the data has loaded and the model is built
        (seconds, more on a busy machine). A window that closed sooner would leave the
        thread running into the exit."""
        if self.estimator is not None and not self.estimator.wait(
                None if timeout_ms is None else timeout_ms / 1000):
            return False
        if self.thread is None:
            return True
        self.stop()
        ended = self.thread.wait() if timeout_ms is None else self.thread.wait(timeout_ms)
        if ended:
            self._cleanup()
        return ended

    def _on_done(self, result) -> None:
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()
        self._cleanup()
        self.finished.emit(result)

    def _cleanup(self) -> None:
        """Once per run, on the GUI thread: release the run (its model, optimizer, graph)
        and let the GUI's collector free what sat in cycles."""
        if self._worker is not None:
            self._worker.deleteLater()
            self._worker = None
        if self.thread is not None:
            self.thread.deleteLater()
            self.thread = None
            self.trainer = None
            gui_collector = collector.installed()
            if gui_collector is not None:
                gui_collector.run_ended()


@dataclass(frozen=True)
class DryRunResult:
    """What the background dry run found for one revision of the project: plain data only,
    so it can cross from the worker thread."""

    revision: int
    estimate: str = ""  # "≈ N s per epoch, ≈ M MB" when it passed
    message: str = ""  # the failure, in plain words, when it failed
    hint: str = ""
    node_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.message


def _dry_run_job(project: Project, path: Path | None, revision: int,
                 results: queue.SimpleQueue) -> None:
    """Runs on a plain Python thread: no Qt object is created, touched or referenced here;
    the result goes into a queue that the GUI thread reads."""
    from projects import events as ev
    from projects.training import RunOptions, Trainer

    trainer = Trainer(project, path, RunOptions(record=False, dry_run_only=True))
    try:
        result = trainer.run()
    except Exception as err:  # the trainer reports its failures; this is the last guard
        result = ev.Failed(f"{type(err).__name__}: {err}")
    if isinstance(result, ev.Failed):
        results.put(DryRunResult(revision, "", result.message, result.hint, result.node_id))
    else:
        text = trainer.estimate.text() if trainer.estimate is not None else ""
        results.put(DryRunResult(revision, text))


class DryRunEstimator(QObject):
    """Runs the dry run (projects/dry_run.py) in the background once the model is valid and
    has a dataset, debounced after edits, so the summary shows what an epoch will cost and
    a failure is known before Train is pressed.

    The work runs on a plain Python thread that never sees a Qt object; a GUI-thread timer
    takes its plain result from a queue. ``changed`` fires (on the GUI thread) when the
    state changes: ``checking``, ``result`` (a DryRunResult) or neither (no estimate).
    """

    changed = Signal()
    DEBOUNCE_MS = 1500
    POLL_MS = 100

    def __init__(self, editor, busy=lambda: False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.busy = busy  # True while a real run trains: no dry run then
        self.result: DryRunResult | None = None
        self.checking = False
        self._closed = False  # the window is closing: no new dry run may start
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._debounce = QTimer(self, singleShot=True, interval=self.DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start)
        self._poll = QTimer(self, interval=self.POLL_MS)
        self._poll.timeout.connect(self._take_result)
        for signal in (editor.reportChanged, editor.documentReplaced):
            signal.connect(self.schedule)

    def schedule(self, *_args) -> None:
        """Dry-run the project once edits have paused."""
        if self.result is not None and self.result.revision != self.editor.project.revision:
            self.result = None
            self.changed.emit()
        self._debounce.start()

    def _ready(self) -> bool:
        report, project = self.editor.report, self.editor.project
        return (report is not None and report.ok and bool(project.dataset.get("name"))
                and not self.busy())

    def _start(self) -> None:
        if self._closed:
            return
        if self._thread is not None:  # one at a time: try again when it is done
            self._debounce.start()
            return
        project = self.editor.project
        if self.result is not None and self.result.revision == project.revision:
            return
        if not self._ready():
            return
        self.checking = True
        gui_collector = collector.installed()
        if gui_collector is not None:
            gui_collector.run_started()
        self._thread = threading.Thread(
            target=_dry_run_job, name="deepwire-dry-run", daemon=True,
            args=(project.copy(), self.editor.path, project.revision, self._results))
        self._thread.start()
        self._poll.start()
        self.changed.emit()

    def _take_result(self) -> None:
        try:
            result = self._results.get_nowait()
        except queue.Empty:
            return
        self._poll.stop()
        self._thread.join()
        self._thread = None
        self.checking = False
        gui_collector = collector.installed()
        if gui_collector is not None:
            gui_collector.run_ended()  # the dry run's model is garbage now: collect it here
        if result.revision == self.editor.project.revision:
            self.result = result
        else:
            self._debounce.start()  # edited meanwhile: this one is stale
        self.changed.emit()

    def close(self) -> None:
        """The window is closing: start no more dry runs and join the one under way, so no
        thread of ours outlives the window (an edit or a preview's report could otherwise
        start one during the quit)."""
        self._closed = True
        self._debounce.stop()
        self.wait(None)

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Join the dry run's thread (for closing and tests); True when none is left."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
            self._take_result()
        return True
