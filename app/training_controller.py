"""The main window's training controller: train, pause and stop, the run's events on their
way to the dashboard, and the Training tab that holds the runs and the dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QByteArray, QTimer
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app.runs_panel import RunsPanel
from app.training_session import DryRunEstimator, TrainingSession

DASHBOARD_REFRESH_MS = 250  # the dashboard redraws at most ~4 times a second
EDITING_DOCKS = ("palette", "inspector", "summary")  # step aside while Training is shown
RUNS_WIDTH = 380  # the Runs list's share of the Training tab: every column fits


class TrainingController:
    """Mixed into MainWindow: runs the project's training and shows it on the dashboard."""

    def _init_training(self) -> None:
        self.session = TrainingSession(self)
        self.session.estimator = DryRunEstimator(self.editor, lambda: self.session.running,
                                                 self)
        self._shown_dry_run_failure: tuple | None = None
        self._pending_events: list = []
        self._flush_timer = QTimer(self, singleShot=True, interval=DASHBOARD_REFRESH_MS)
        self._flush_timer.timeout.connect(self._flush_training_events)
        self.runs_dir_override: Path | None = None  # where runs go, if not beside the file
        self._unsaved_since = datetime.now()  # names the unsaved project's runs folder
        self._run_revision = 0
        self._editor_state: QByteArray | None = None  # the layout before Training was shown
        self._docks_before_training: dict[str, bool] = {}
        self._training_tab = self._build_training_tab()

    def _connect_training(self) -> None:
        editor = self.editor
        editor.documentReplaced.connect(self._on_project_switched)
        editor.stateChanged.connect(self._update_runs_dir)
        editor.documentChanged.connect(self._mark_run_differs)
        self.session.event.connect(self._on_training_event)
        self.session.finished.connect(self._on_training_finished)
        self.session.estimator.changed.connect(self._on_dry_run_changed)
        self._estimate_label = QLabel()
        self._estimate_label.setStyleSheet("color: #475569; padding: 0 6px")
        self._estimate_label.setToolTip("What one epoch will cost, measured by training one "
                                        "batch of the data in the background")
        self.statusBar().addPermanentWidget(self._estimate_label)
        self.runs.runsSelected.connect(self._show_runs)
        self.central_tabs.currentChanged.connect(self._on_central_tab)
        self._update_training_actions()

    def _build_training_tab(self) -> QWidget:
        """Runs on the left, the dashboard on the right; the dashboard (and pyqtgraph) is
        created the first time it is needed, so it costs nothing at start-up."""
        self.dashboard = None
        self.runs = RunsPanel()
        self.run_note = QLabel(wordWrap=True)
        self.run_note.setStyleSheet("color: #92400e; background: #fef3c7; padding: 6px 10px;"
                                    " border-radius: 4px;")
        self.run_note.hide()
        right = QWidget()
        self._dashboard_layout = QVBoxLayout(right)
        self._dashboard_layout.setContentsMargins(8, 8, 8, 8)
        self._dashboard_layout.addWidget(self.run_note)
        splitter = QSplitter()
        splitter.addWidget(self.runs)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([RUNS_WIDTH, 1400 - RUNS_WIDTH])
        # The plots must not claim width from the docks while the Model tab is shown.
        splitter.setMinimumSize(320, 240)
        return splitter

    def ensure_dashboard(self):
        if self.dashboard is None:
            from app.dashboard import Dashboard

            self.dashboard = Dashboard()
            self.dashboard.failureNodeRequested.connect(self.reveal_node)
            self._dashboard_layout.addWidget(self.dashboard, 1)
        return self.dashboard

    def _on_central_tab(self, index: int) -> None:
        """The Training tab gets the window's width: the editing docks step aside while it
        is shown and come back with the Model tab."""
        if self.central_tabs.widget(index) is self._training_tab:
            self.ensure_dashboard()
            if self._editor_state is None:
                # the layout to save if the window closes on this tab: the editor's own
                self._editor_state = self.saveState()
                self._docks_before_training = {k: self.docks[k].isVisible()
                                               for k in EDITING_DOCKS}
            for key in EDITING_DOCKS:
                self.docks[key].hide()
        elif self._editor_state is not None:
            for key, visible in self._docks_before_training.items():
                self.docks[key].setVisible(visible)
            self._editor_state = None

    def editor_layout_state(self) -> QByteArray:
        """The window's dock layout as the Model tab shows it, for saving: docks the
        Training tab has put aside are never saved as hidden."""
        return self._editor_state if self._editor_state is not None else self.saveState()

    def runs_dir(self) -> Path:
        from projects.runs import default_runs_dir

        return self.runs_dir_override or default_runs_dir(self.editor.project, self.editor.path,
                                                          self._unsaved_since)

    def _update_runs_dir(self) -> None:
        self.runs.set_runs_dir(self.runs_dir(), unsaved=self.editor.path is None
                               and self.runs_dir_override is None)

    def _on_project_switched(self) -> None:
        """Another project is open (new, opened or recovered): its own runs folder, and no
        results of the last project on the dashboard, unless a run is going."""
        # A second apart at least: the folder's name has the time to the second.
        self._unsaved_since = max(datetime.now(), self._unsaved_since + timedelta(seconds=1))
        self._update_runs_dir()
        if not self.session.running:
            self.run_note.hide()
            if self.dashboard is not None:
                self.dashboard.reset()

    def train(self) -> None:
        """Train a snapshot of the model on a worker thread; editing may go on meanwhile."""
        if self.session.running:
            return
        if not self.editor.tensorflow_ready:
            self.statusBar().showMessage("TensorFlow is still loading; train in a moment",
                                         5000)
            return
        from projects.training import RunOptions

        dashboard = self.ensure_dashboard()
        dashboard.reset()
        dashboard.set_run_folder(None)  # the run's evaluation shows once it has ended
        dashboard.header.show_starting(self.editor.project.name)
        dashboard.show_live()
        dashboard.set_block_titles({i: n.title or n.spec.title for i, n in
                                         self.editor.project.nodes.items()})
        self._run_revision = self.editor.project.revision
        self.run_note.hide()
        self.central_tabs.setCurrentWidget(self._training_tab)
        self.session.start(self.editor.project, self.editor.path,
                           RunOptions(runs_dir=self.runs_dir()))
        self.runs.run_starting()
        self._update_training_actions()

    def stop_training(self) -> None:
        self.session.stop()
        self.statusBar().showMessage("Stopping after the current step…", 3000)

    def toggle_pause(self) -> None:
        if self.session.paused:
            self.session.resume()
        else:
            self.session.pause()
        self._update_training_actions()

    def _on_training_event(self, event) -> None:
        """Queue the event; the dashboard takes the queue 4 times a second, so a burst
        of events costs one repaint. The start and the end of a run show at once."""
        from projects import events as ev

        self._pending_events.append(event)
        if isinstance(event, ev.RunStarted) and event.run_dir:
            self.runs.run_started(Path(event.run_dir))
        if isinstance(event, ev.RunStarted | ev.Failed | ev.Finished | ev.RunWarning
                      | ev.Paused | ev.Resumed):
            self._flush_training_events()
        elif not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush_training_events(self) -> None:
        from projects import events as ev

        self._flush_timer.stop()
        pending, self._pending_events = self._pending_events, []
        dashboard = self.ensure_dashboard()
        for event in pending:
            dashboard.handle(event)
            if isinstance(event, ev.Failed) and event.node_id in self.editor.project.nodes:
                self.scene.select_nodes([event.node_id])  # the guilty block, on the canvas
        dashboard.draw_now()  # one draw for the lot

    def _on_training_finished(self, result) -> None:
        from projects import events as ev

        self._flush_training_events()
        self._update_training_actions()
        self.run_note.hide()  # the run it spoke of is over
        self.runs.run_ended()
        self.runs.select_run()  # the run that has just ended: Open Folder works at once
        ended = isinstance(result, ev.Finished) and result.run_dir
        self.ensure_dashboard().set_run_folder(Path(result.run_dir) if ended else None)
        if isinstance(result, ev.Failed):
            self.statusBar().showMessage(f"Training failed: {result.message}", 8000)
        else:
            self.statusBar().showMessage(f"Training {result.status}", 5000)

    def _on_dry_run_changed(self) -> None:
        """The summary shows the background dry run's estimate or failure; a new failure
        selects its block and shows in the status bar."""
        estimator = self.session.estimator
        result = estimator.result
        self.summary.set_estimate(estimator.checking, result)
        failed = result is not None and not result.ok
        self._estimate_label.setText(
            "One batch fails: see the summary" if failed
            else result.estimate if result is not None else "")
        self._estimate_label.setStyleSheet(f"color: {'#dc2626' if failed else '#475569'};"
                                           " padding: 0 6px")
        self._estimate_label.setToolTip(f"{result.message}\n{result.hint}" if failed else
                                        "What one epoch will cost, measured by training "
                                        "one batch of the data in the background")
        if result is None or result.ok:
            self._shown_dry_run_failure = None
            return
        failure = (result.message, result.node_id)
        if failure == self._shown_dry_run_failure:
            return
        self._shown_dry_run_failure = failure
        self.statusBar().showMessage(f"The dry run failed: {result.message}", 10000)
        if result.node_id in self.editor.project.nodes:
            self.scene.select_nodes([result.node_id])

    def _mark_run_differs(self, _event=None) -> None:
        if self.session.running and self.editor.project.revision != self._run_revision:
            self.run_note.setText("The model has changed since this run started; the run "
                                  "goes on training the model as it was when you pressed "
                                  "Train.")
            self.run_note.show()

    def _update_training_actions(self) -> None:
        running = self.session.running
        self.train_action.setEnabled(not running)
        self.stop_action.setEnabled(running)
        self.pause_action.setEnabled(running)
        self.pause_action.setChecked(running and self.session.paused)
        self.pause_action.setText("&Resume" if self.session.paused else "&Pause")

    def _show_runs(self, folders: list[Path]) -> None:
        from projects.runs import read_history

        dashboard = self.ensure_dashboard()
        dashboard.set_run_folder(folders[0] if len(folders) == 1 else None)
        if self.session.running:
            if folders == [self.runs.live_run]:
                self.ensure_dashboard().show_live()  # the run going on is the live view
            return  # the live run keeps the curves
        dashboard.show_history({f.name: read_history(f) for f in folders})

    def close_training_views(self) -> None:
        """The window is closing: the dashboard's background work (evaluations) ends."""
        if self.dashboard is not None:
            self.dashboard.close_jobs()
