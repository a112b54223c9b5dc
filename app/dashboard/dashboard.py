"""The live training dashboard: a header and one tab per view, fed one event at a time."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QApplication, QTabWidget, QVBoxLayout, QWidget

from app.dashboard.attention import AttentionView
from app.dashboard.curves import CurvesView
from app.dashboard.evaluation import EvaluationView
from app.dashboard.gan import GanView
from app.dashboard.graph import GraphView
from app.dashboard.header import ProgressHeader
from app.dashboard.plotting import LazyView
from app.dashboard.try_it import TryItView
from projects import events as ev

TAB_STYLE = """
QTabWidget::pane { border: 1px solid #e5e7eb; border-radius: 6px; background: white; top: -1px; }
QTabBar::tab { padding: 6px 16px; margin-right: 2px; color: #4b5563; background: #f3f4f6;
               border: 1px solid #e5e7eb; border-bottom: none;
               border-top-left-radius: 6px; border-top-right-radius: 6px; }
QTabBar::tab:selected { color: #111827; background: white; font-weight: 600; }
QTabBar::tab:disabled { color: #9ca3af; }
"""


class Dashboard(QWidget):
    """Watches one training run, or shows past runs' curves (``show_history``).

    ``handle`` takes the engine's events on the GUI thread; the views draw them on the event
    loop's next pass (or at ``draw_now``), once however many arrived, and hidden tabs only
    when shown. The Attention, GAN and Graph tabs appear only when the run has something to
    show in them. The Evaluation tab shows a finished run (``set_run_folder``).
    """

    failureNodeRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = ProgressHeader()
        self.header.nodeRequested.connect(self.failureNodeRequested)
        self.curves = CurvesView()
        self.attention = AttentionView()
        self.gan = GanView()
        self.graph = GraphView()
        self.evaluation = EvaluationView()
        self.try_it = TryItView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.tabs.setStyleSheet(TAB_STYLE)
        for view, title, tip in (
                (self.curves, "Curves", "Loss and metrics per batch and per epoch"),
                (self.attention, "Attention", "Attention maps of the attention blocks"),
                (self.gan, "GAN", "Generator and discriminator, and generated samples"),
                (self.graph, "Graph", "Node embeddings and accuracy per node group"),
                (self.evaluation, "Evaluation", "A finished run's model judged on its "
                 "validation or test part"),
                (self.try_it, "Try it", "The run's model on one sample: pick one of its "
                 "validation or test samples, or give your own")):
            index = self.tabs.addTab(view, title)
            self.tabs.setTabToolTip(index, tip)
        self._views = (self.curves, self.attention, self.gan, self.graph)
        # Views of one finished run, from its folder (set_run_folder); each works in its
        # own BackgroundJobs, closed with the window (close_jobs).
        self._run_views = (self.evaluation, self.try_it)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self.reset()

    def handle(self, event: ev.Event) -> None:
        """Consume one engine event (on the GUI thread)."""
        self.header.handle(event)
        for view in self._views:
            view.handle(event)  # a RunStarted makes each view start afresh
        if isinstance(event, ev.RunStarted):
            self._hide_task_tabs()
            self._on_started(event)
        elif isinstance(event, ev.AttentionProbe):
            self._reveal(self.attention)
        elif isinstance(event, ev.GanProbe):
            self._reveal(self.gan)
        elif isinstance(event, ev.EmbeddingProbe):
            self._reveal(self.graph)

    def draw_now(self) -> None:
        """Draw what the shown views were handed at once, not on the event loop's next pass:
        the window calls it after handing over a refresh's events."""
        for view in (self.header, *self._views):
            if view.can_be_seen():
                view.draw_now()

    def _on_started(self, event: ev.RunStarted) -> None:
        if event.attention_nodes:
            self._reveal(self.attention)
        if event.task == "adversarial":
            self._reveal(self.gan)
            self.tabs.setCurrentWidget(self.gan)
        elif event.task == "node_classification":
            self._reveal(self.graph)
            self.tabs.setCurrentWidget(self.graph)

    def _reveal(self, view: QWidget) -> None:
        index = self.tabs.indexOf(view)
        if not self.tabs.isTabVisible(index):
            self.tabs.setTabVisible(index, True)
            self.tabs.setTabEnabled(index, True)

    def tab_shown(self, title: str) -> bool:
        """Whether the tab titled ``title`` is shown (and enabled)."""
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == title:
                return self.tabs.isTabVisible(index) and self.tabs.isTabEnabled(index)
        raise KeyError(title)

    def reset(self) -> None:
        """Clear everything for a new run."""
        self.header.reset()
        for view in self._views:
            view.reset()
        self._hide_task_tabs()

    def _hide_task_tabs(self) -> None:
        for view in (self.attention, self.gan, self.graph):
            index = self.tabs.indexOf(view)
            self.tabs.setTabVisible(index, False)
            self.tabs.setTabEnabled(index, False)
        self.tabs.setCurrentWidget(self.curves)

    def show_history(self, histories: dict[str, dict[str, list[float]]]) -> None:
        """Past runs' per-epoch curves, ``{run name: read_history(run_dir)}``; two overlay."""
        self.curves.show_history(histories)
        self.tabs.setCurrentWidget(self.curves)

    def set_run_folder(self, folder: Path | None) -> None:
        """The finished run the run views show: the run that has just ended, or the one
        past run selected in the Runs list (None: none, or several)."""
        for view in self._run_views:
            view.set_run_folder(folder)

    def close_jobs(self) -> None:
        """The window is closing: the run views' background work ends, threads joined."""
        for view in self._run_views:
            view.close_jobs()

    def show_live(self) -> None:
        self.curves.show_live()

    def set_block_titles(self, titles: dict[str, str]) -> None:
        """Name attention blocks by their canvas titles (``{node_id: title}``)."""
        self.attention.set_block_titles(titles)

    def current_status(self) -> str:
        """One line: "No run yet", "Training · epoch 3/12", "Completed in 1:23", "Failed: …"."""
        return self.header.status()


def measure_update_ms(widget: Dashboard | LazyView, events: Iterable[ev.Event],
                      paint: bool = True) -> list[float]:
    """Main-thread milliseconds per event: ``widget.handle(event)`` and, with ``paint``, the
    drawing and repaint it causes (for the benchmark "main-thread time per plot update")."""
    app = QApplication.instance()
    times = []
    for event in events:
        started = time.perf_counter()
        widget.handle(event)
        if paint and app is not None:
            widget.draw_now()  # as the window does, rather than on the event loop's next pass
            app.processEvents()
        times.append((time.perf_counter() - started) * 1000.0)
    return times
