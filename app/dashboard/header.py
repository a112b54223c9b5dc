"""The run's header: project, device, status, progress with ETA, and warning banners."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.dashboard.plotting import INK, MUTED, LazyView, format_duration
from projects import events as ev
from projects.text import count_text

BAR_RANGE = 1000  # progress bars count per mille, so tiny and huge runs move smoothly
STATE_COLOURS = {"idle": ("#f3f4f6", "#4b5563"), "starting": ("#dbeafe", "#1d4ed8"),
                 "training": ("#dbeafe", "#1d4ed8"),
                 "paused": ("#fef3c7", "#b45309"),
                 "completed": ("#dcfce7", "#15803d"), "stopped": ("#f3f4f6", "#374151"),
                 "failed": ("#fee2e2", "#b91c1c")}
BANNER_COLOURS = {"warning": ("#fffbeb", "#f59e0b", "#92400e"),
                  "error": ("#fef2f2", "#ef4444", "#991b1b")}
BAR_STYLE = """
QProgressBar {
    border: 1px solid #d1d5db; border-radius: 5px; background: #f9fafb;
    color: #111827; text-align: center; min-height: 20px; max-height: 20px;
}
QProgressBar::chunk { border-radius: 4px; background: %s; }
"""


class Banner(QFrame):
    """A warning or a failure in plain words, with its hint and maybe a "Show block" button."""

    nodeRequested = Signal(str)

    def __init__(self, kind: str, message: str, hint: str = "", node_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.node_id = node_id
        background, edge, text = BANNER_COLOURS[kind]
        self.setObjectName("banner")
        self.setStyleSheet(f"#banner {{ background: {background}; border: 1px solid {edge}; "
                           f"border-left: 4px solid {edge}; border-radius: 6px; }}"
                           f"QLabel {{ color: {text}; background: transparent; }}")
        self.message_label = QLabel(("<b>Training failed.</b> " if kind == "error" else "")
                                    + _escape(message))
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label = QLabel(_escape(hint))
        self.hint_label.setWordWrap(True)
        self.hint_label.setVisible(bool(hint))
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.message_label)
        texts.addWidget(self.hint_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addLayout(texts, 1)
        self.show_block_button: QPushButton | None = None
        if node_id:
            self.show_block_button = QPushButton("Show block")
            self.show_block_button.clicked.connect(lambda: self.nodeRequested.emit(node_id))
            layout.addWidget(self.show_block_button, 0, Qt.AlignmentFlag.AlignTop)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedSize(24, 24)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.deleteLater)
        close.clicked.connect(self.hide)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)


class ProgressHeader(LazyView):
    """Project, device and status on one line; the epoch's and the run's progress below;
    then any warnings or the failure.

    Events update the header's state; its widgets show the latest state once per pass of
    the event loop: a progress bar repaints at once whenever its value moves, so setting
    them for every batch of a burst would repaint them for every batch.
    """

    nodeRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project_label = QLabel()
        self.project_label.setStyleSheet(f"color: {INK}; font-size: 13pt; font-weight: 600;")
        self.status_label = QLabel()
        self.device_label = QLabel()
        self.device_label.setStyleSheet(f"color: {MUTED};")
        self.device_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.epoch_bar = _bar("#bfdbfe")
        self.run_bar = _bar("#bbf7d0")
        top = QHBoxLayout()
        top.addWidget(self.project_label)
        top.addSpacing(8)
        top.addWidget(self.status_label)
        top.addStretch(1)
        top.addWidget(self.device_label)
        bars = QGridLayout()
        bars.setHorizontalSpacing(8)
        bars.setVerticalSpacing(4)
        for row, (name, bar) in enumerate((("Epoch", self.epoch_bar), ("Run", self.run_bar))):
            label = QLabel(name)
            label.setStyleSheet(f"color: {MUTED};")
            bars.addWidget(label, row, 0)
            bars.addWidget(bar, row, 1)
        bars.setColumnStretch(1, 1)
        self.banners = QVBoxLayout()
        self.banners.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(bars)
        layout.addLayout(self.banners)
        self.reset()

    def reset(self) -> None:
        self._epochs = 0
        self._steps_per_epoch = 0
        self._epoch = 0
        self._learning_rate: float | None = None
        self._rate = ""
        self._eta = ""
        self._state = "idle"
        self._status = "No run yet"
        self._project = "Training"
        self._device = ""
        self._device_tip = ""
        self._bars = {self.epoch_bar: (0, ""), self.run_bar: (0, "")}  # (value, text)
        self.clear_banners()
        self.redraw()

    def show_starting(self, project: str) -> None:
        """Train was pressed: the data loads and the model builds before the first event."""
        self.reset()
        self._project = project or "Untitled"
        self._set_state("starting", "Starting · loading the data and building the model")
        self.redraw()

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, ev.BatchEnd):
            self._on_batch(event)
        elif isinstance(event, ev.EpochEnd):
            self._epoch = event.epoch
            self._learning_rate = event.learning_rate
            self._bars[self.epoch_bar] = (BAR_RANGE, f"Epoch {event.epoch}/{self._epochs} done "
                                                     f"in {format_duration(event.seconds)}")
            self._set_run_progress(event.epoch / max(self._epochs, 1))
        elif isinstance(event, ev.RunStarted):
            self.reset()
            self._epochs = event.epochs
            self._steps_per_epoch = event.steps_per_epoch
            self._project = event.project or "Untitled"
            self._device = f"Device: {event.device}"
            self._device_tip = (f"Dataset: {event.dataset}\nBatch size: {event.batch_size}\n"
                                f"Seed: {event.seed}")
            self._bars[self.epoch_bar] = (0, f"Epoch 1/{event.epochs}")
            self._set_run_progress(0.0)
            self._set_state("training", f"Training · epoch 1/{event.epochs}")
        elif isinstance(event, ev.Paused):
            self._set_state("paused", f"Paused · epoch {event.epoch}/{self._epochs}")
            self._set_run_progress(self._bars[self.run_bar][0] / BAR_RANGE, event.epoch)
        elif isinstance(event, ev.Resumed):
            self._set_state("training", f"Training · epoch {event.epoch}/{self._epochs}")
            self._set_run_progress(self._bars[self.run_bar][0] / BAR_RANGE, event.epoch)
        elif isinstance(event, ev.RunWarning):
            self.add_banner(Banner("warning", event.message))
        elif isinstance(event, ev.Failed):
            self.add_banner(Banner("error", event.message, event.hint, event.node_id))
            self._set_state("failed", f"Failed: {event.message}")
        elif isinstance(event, ev.Finished):
            self._on_finished(event)
        else:
            return
        self.draw_later()

    def _on_batch(self, event: ev.BatchEnd) -> None:
        self._epoch = event.epoch - 1
        steps = max(event.steps_per_epoch, 1)
        self._bars[self.epoch_bar] = (round(BAR_RANGE * event.epoch_step / steps),
                                      f"Epoch {event.epoch}/{self._epochs} · "
                                      f"step {count_text(event.epoch_step)}/{count_text(steps)}")
        self._rate = f"{event.samples_per_second:,.0f} samples/s"
        self._eta = f"ETA {format_duration(event.eta_seconds)}"
        self._set_run_progress((event.epoch - 1 + event.epoch_step / steps)
                               / max(self._epochs, 1), event.epoch)
        self._set_state("training", f"Training · epoch {event.epoch}/{self._epochs}")

    def _set_run_progress(self, fraction: float, epoch: int | None = None) -> None:
        # No ETA while paused: the clock it counts down has stopped.
        eta = "" if self._state == "paused" else self._eta
        parts = [f"Epoch {epoch or max(self._epoch, 1)}/{self._epochs}", self._rate, eta]
        if self._learning_rate is not None:
            parts.append(f"lr {self._learning_rate:g}")
        self._bars[self.run_bar] = (round(BAR_RANGE * min(max(fraction, 0.0), 1.0)),
                                    " · ".join(p for p in parts if p))

    def _on_finished(self, event: ev.Finished) -> None:
        took = format_duration(event.seconds)
        test = ev.test_headline(event.test_metrics)
        took_and_test = f"{took} · {test}" if test else took
        if event.status == "completed":
            self._eta = f"took {took}"
            self._bars[self.epoch_bar] = (BAR_RANGE, self._bars[self.epoch_bar][1])
            self._set_run_progress(1.0, self._epochs)
            self._set_state("completed", f"Completed in {took_and_test}")
        else:
            self._eta = ""
            self._set_run_progress(self._bars[self.run_bar][0] / BAR_RANGE)
            self._set_state("stopped", f"Stopped at epoch {max(self._epoch, 1)}/{self._epochs} "
                            f"after {took_and_test}")

    def _set_state(self, state: str, status: str) -> None:
        self._state, self._status = state, status

    def redraw(self) -> None:
        """Show the latest state."""
        self.project_label.setText(self._project)
        self.device_label.setText(self._device)
        self.device_label.setToolTip(self._device_tip)
        for bar, (value, text) in self._bars.items():
            bar.setFormat(text)
            if bar.value() != value:
                # setValue repaints the bar at once, and the window behind it; with updates
                # off it is painted with the rest of the window instead.
                bar.setUpdatesEnabled(False)
                bar.setValue(value)
                bar.setUpdatesEnabled(True)
        self.status_label.setText(self._status if len(self._status) <= 70
                                  else self._status[:67] + "…")
        self.status_label.setToolTip(self._status)
        if self.status_label.property("state") != self._state:  # restyling costs
            self.status_label.setProperty("state", self._state)
            background, text = STATE_COLOURS[self._state]
            self.status_label.setStyleSheet(f"background: {background}; color: {text}; "
                                            "border-radius: 9px; padding: 2px 10px;")

    def status(self) -> str:
        return self._status

    @property
    def state(self) -> str:
        """idle, starting, training, paused, completed, stopped or failed."""
        return self._state

    def add_banner(self, banner: Banner) -> None:
        banner.nodeRequested.connect(self.nodeRequested)
        self.banners.addWidget(banner)
        banner.show()  # at once, not when the event loop gets to it

    def banner_widgets(self) -> list[Banner]:
        items = (self.banners.itemAt(i).widget() for i in range(self.banners.count()))
        return [w for w in items if isinstance(w, Banner) and w.isVisibleTo(self)]

    def clear_banners(self) -> None:
        while self.banners.count():
            widget = self.banners.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()


def _bar(chunk: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, BAR_RANGE)
    bar.setTextVisible(True)
    bar.setStyleSheet(BAR_STYLE % chunk)
    bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return bar


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
