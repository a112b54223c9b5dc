"""Training from the GUI: the engine runs on a QThread that owns all TensorFlow work of a run.

Engine events cross to the GUI thread as queued signals; widgets are touched only there.
Stop, pause and resume go straight to the trainer, which honours them between two steps.
No Qt object is created, owned or last released on the training thread, and no garbage is
collected there (app/collector.py): the GUI thread collects a run's objects when it ends.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

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
        """Stop the run and join its thread; True when the thread has ended. By default it
        waits for the end: the trainer stops at its next step, which can be the first one,
        after the data has loaded and the model is built (seconds, more on a busy machine).
        A window that closed sooner would leave the thread running into the exit."""
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
