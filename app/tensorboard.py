"""TensorBoard on a run's logs: a child process on a free local port, opened in the browser.

TensorBoard runs as ``python -m tensorboard.main`` would, but told that TensorFlow is absent
(TensorBoard's own "no TensorFlow" switch, the module ``tensorboard.compat.notf``): it then
starts in about 3 s instead of 20, and reads the event files all the same. One process per
log folder, reused while it runs; every one stops when the window closes.
"""

from __future__ import annotations

import shlex
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QProcess, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0  # a loaded machine took 22 s with TensorFlow, 3 s without
POLL_MS = 150
# TensorBoard's main, with its switch that skips importing TensorFlow.
BOOTSTRAP = ("import sys, types; "
             "sys.modules['tensorboard.compat.notf'] = types.ModuleType('notf'); "
             "sys.argv[0] = 'tensorboard'; "
             "from {module} import run_main; run_main()")


def free_port() -> int:
    """A TCP port nothing listens on now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    """Whether something accepts connections on ``port`` of this machine."""
    try:
        with socket.create_connection((HOST, port), timeout=0.05):
            return True
    except OSError:
        return False


def manual_command(logdir: Path) -> str:
    """The command a person can run in a terminal instead."""
    return f"{shlex.quote(sys.executable)} -m tensorboard.main --logdir {shlex.quote(str(logdir))}"


@dataclass
class _Instance:
    logdir: Path
    port: int
    process: QProcess
    started: float
    ready: bool = False
    output: list[str] = field(default_factory=list)


class TensorBoardLauncher(QObject):
    """Starts TensorBoard children and opens them in the browser.

    ``opened`` carries the URL handed to the browser; ``failed`` a message in plain words
    (why, and the command to run by hand). The children stop at ``stop_all``, which runs
    when the window that holds ``parent`` closes.
    """

    opened = Signal(str)
    failed = Signal(str)
    module = "tensorboard.main"
    timeout_s = START_TIMEOUT_S

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._instances: dict[Path, _Instance] = {}
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._check)
        self._watched: QWidget | None = None

    def watch_window(self, window: QWidget) -> None:
        """Stop the children once ``window`` has closed."""
        if self._watched is not window:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            self._watched = window
            window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched and event.type() == QEvent.Type.Close:
            # The close may still be refused (unsaved work): look once it is through.
            QTimer.singleShot(0, self, self._stop_if_closed)
        return False

    def _stop_if_closed(self) -> None:
        if self._watched is not None and not self._watched.isVisible():
            self.stop_all()

    def running(self, logdir: Path) -> bool:
        instance = self._instances.get(logdir.resolve())
        return instance is not None and instance.process.state() != QProcess.ProcessState.NotRunning

    def url(self, logdir: Path) -> str | None:
        """The address of the ready TensorBoard on ``logdir``, if there is one."""
        instance = self._instances.get(logdir.resolve())
        return f"http://{HOST}:{instance.port}/" if instance and instance.ready else None

    def open(self, logdir: Path) -> None:
        """Open TensorBoard on ``logdir``: the running one, or a new one once it answers."""
        logdir = logdir.resolve()
        if not logdir.is_dir():
            self._fail(f"This run has no TensorBoard logs ({logdir} does not exist).", logdir)
            return
        instance = self._instances.get(logdir)
        if instance is not None and instance.process.state() != QProcess.ProcessState.NotRunning:
            if instance.ready:
                self._show(instance)
            return  # still starting: it opens when it answers
        port = free_port()
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        instance = _Instance(logdir, port, process, time.monotonic())
        process.readyReadStandardOutput.connect(lambda: self._read(instance))
        process.finished.connect(lambda *_: self._on_exit(instance))
        self._instances[logdir] = instance
        process.start(sys.executable, ["-c", BOOTSTRAP.format(module=self.module),
                                       "--logdir", str(logdir), "--port", str(port),
                                       "--host", HOST])
        self._poll.start()

    def _read(self, instance: _Instance) -> None:
        text = bytes(instance.process.readAllStandardOutput()).decode("utf-8", "replace")
        instance.output.extend(text.splitlines())
        del instance.output[:-40]  # the tail says why it failed, if it does

    def _check(self) -> None:
        waiting = [i for i in self._instances.values() if not i.ready
                   and i.process.state() != QProcess.ProcessState.NotRunning]
        for instance in waiting:
            if answers(instance.port):
                instance.ready = True
                self._show(instance)
            elif time.monotonic() - instance.started > self.timeout_s:
                self._forget(instance)
                self._fail(f"TensorBoard did not answer on port {instance.port} within "
                           f"{self.timeout_s:.0f} s.", instance.logdir)
        if not waiting:
            self._poll.stop()

    def _on_exit(self, instance: _Instance) -> None:
        if self._instances.get(instance.logdir) is not instance:
            return  # stopped on purpose
        del self._instances[instance.logdir]
        self._read(instance)
        tail = "\n".join(line for line in instance.output[-6:] if line.strip())
        self._fail("TensorBoard stopped" + (" before it answered" if not instance.ready else "")
                   + (f":\n{tail}" if tail else "."), instance.logdir)

    def _show(self, instance: _Instance) -> None:
        url = f"http://{HOST}:{instance.port}/"
        if QDesktopServices.openUrl(QUrl(url)):
            self.opened.emit(url)
        else:
            self.failed.emit(f"TensorBoard is running at {url}, but no browser could be "
                             "opened: open that address in a browser.")

    def _fail(self, reason: str, logdir: Path) -> None:
        self.failed.emit(f"{reason}\n\nTo start TensorBoard by hand, run:\n"
                         f"{manual_command(logdir)}")

    def _forget(self, instance: _Instance) -> None:
        self._instances.pop(instance.logdir, None)
        _stop(instance.process)

    def stop_all(self) -> None:
        """Stop every TensorBoard this launcher started."""
        self._poll.stop()
        instances, self._instances = list(self._instances.values()), {}
        for instance in instances:
            _stop(instance.process)


def _stop(process: QProcess) -> None:
    if process.state() == QProcess.ProcessState.NotRunning:
        return
    process.terminate()
    if not process.waitForFinished(3000):
        process.kill()
        process.waitForFinished(3000)
