"""The Evaluation tab: a finished run's model judged on its validation or test part.

The work (opening the run folder, loading data and model, one prediction over the split,
scikit-learn's metrics) is :func:`projects.evaluation.evaluate_predictions`, run by a
:class:`~app.background.BackgroundJobs` off the GUI thread; this view only draws the plain
:class:`~projects.evaluation.Evaluation` it hands back: a confusion matrix (counts or
row-normalised), precision, recall, F1 and support per class and the most confident
mistakes for classifiers; predicted against true and the residuals for regressions; the
final sample grid and the digits judge's score for GANs.
"""

from __future__ import annotations

import html
import math
import threading
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.background import BackgroundJobs
from app.dashboard.gan import tile_grid
from app.dashboard.plotting import (
    AXIS,
    BORDER,
    CLASS_COLOURS,
    INK,
    MUTED,
    PROBABILITY_MAP,
    RUN_COLOURS,
    layout_widget,
    style_plot,
    tint,
)
from projects.evaluation import ClassReport, Evaluation, Mistakes, RegressionReport

SPLITS = ("validation", "test")
THUMB = 84  # pixels a mistake's image is drawn at
FOCUS = 4
MAX_CELL = 60  # a confusion matrix of few classes keeps readable cells, not giant ones
NO_LABEL = "#c0c4cc"
WRONG = "#dc2626"
BUTTON_STYLE = """
QPushButton { padding: 3px 12px; border: 1px solid #d1d5db; background: #f9fafb; color: #374151; }
QPushButton:checked { background: #2563eb; color: white; border-color: #2563eb; }
QPushButton:disabled { color: #9ca3af; }
"""


def _segmented(labels: tuple[str, ...], tip: str) -> tuple[QWidget, QButtonGroup,
                                                            list[QPushButton]]:
    """Exclusive checkable buttons side by side (the first checked)."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(0)
    group = QButtonGroup(box)
    buttons = []
    for i, text in enumerate(labels):
        button = QPushButton(text)
        button.setCheckable(True)
        button.setChecked(i == 0)
        button.setToolTip(tip)
        button.setStyleSheet(BUTTON_STYLE)
        group.addButton(button, i)
        row.addWidget(button)
        buttons.append(button)
    return box, group, buttons


def _caption(text: str = "", bold: bool = False, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setStyleSheet(f"color: {INK if bold else MUTED};" + (" font-weight: 600;" if bold
                                                                else ""))
    return label


def _class_name(names: list[str], index: int) -> str:
    return names[index] if 0 <= index < len(names) else str(index)


class EvaluationView(QWidget):
    """One run's evaluation on the chosen split; evaluates while shown, never on the GUI
    thread, and keeps the last results per split so switching back is instant."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = BackgroundJobs("evaluation", self)
        self.folder: Path | None = None
        self.split = "test"
        self.evaluation: Evaluation | None = None  # the one shown
        self.error: str | None = None
        self._results: dict[tuple[Path, str], Evaluation] = {}
        self._asked: tuple[Path, str] | None = None  # submitted, result not yet back
        self._worker = _Worker()  # what the jobs keep between them: no Qt object

        self.title = _caption(bold=True)
        self.summary = _caption()
        splits, self.split_group, (self.validation_button, self.test_button) = _segmented(
            ("Validation", "Test"), "The part of the data the model is judged on")
        self.test_button.setChecked(True)
        self.split_group.idClicked.connect(lambda i: self.set_split(SPLITS[i]))
        matrix, self.matrix_group, (self.counts_button, self.normalised_button) = _segmented(
            ("Counts", "Row-normalised"), "Counts, or each true class's row as fractions")
        self.matrix_group.idClicked.connect(lambda _: self._fill_confusion())
        header = QHBoxLayout()
        header.setContentsMargins(8, 6, 8, 0)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.split_label = QLabel("Split")
        header.addWidget(self.split_label)
        header.addWidget(splits)
        header.addSpacing(16)
        self.matrix_label = QLabel("Confusion matrix")
        header.addWidget(self.matrix_label)
        header.addWidget(matrix)
        self._matrix_controls = (self.matrix_label, matrix)

        self.message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.message.setStyleSheet(f"color: {MUTED}; font-size: 11pt; padding: 24px;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.addWidget(self._classification_page())
        self.pages.addWidget(self._regression_page())
        self.pages.addWidget(self._gan_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.pages, 1)
        self._show_message("Select one run in the Runs list, or train one: its evaluation "
                           "shows here once the run has ended.")

    # ---- pages

    def _classification_page(self) -> QWidget:
        self.confusion_table = QTableWidget()
        self.confusion_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.confusion_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.confusion_table.setShowGrid(False)
        for header in (self.confusion_table.horizontalHeader(),
                       self.confusion_table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(24)
        self.confusion_caption = _caption("Rows: true class · columns: predicted class")
        self.class_table = QTableWidget(0, 5)
        self.class_table.setHorizontalHeaderLabels(["Class", "Precision", "Recall", "F1",
                                                    "Support"])
        self.class_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.class_table.verticalHeader().setVisible(False)
        self.class_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.class_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents)
        self.class_table.setAlternatingRowColors(True)
        self.class_caption = _caption("Per class, by scikit-learn's metrics (0 where a class "
                                      "is never predicted or never present)")
        top = QSplitter(Qt.Orientation.Horizontal)
        for title, table, caption, margins in (
                ("Confusion matrix", self.confusion_table, self.confusion_caption, (8, 4)),
                ("Precision, recall, F1 and support", self.class_table, self.class_caption,
                 (4, 8))):
            side = QWidget()
            column = QVBoxLayout(side)
            column.setContentsMargins(margins[0], 0, margins[1], 0)
            column.addWidget(_caption(title, bold=True))
            column.addWidget(table, 100)  # up to its maximum size, at the top left
            column.addWidget(caption)
            column.addStretch(1)
            top.addWidget(side)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        self.gallery_title = _caption(bold=True)
        self.gallery = QWidget()
        self.gallery_grid = QGridLayout(self.gallery)
        self.gallery_grid.setContentsMargins(8, 4, 8, 4)
        self.gallery_grid.setSpacing(8)
        self.cards: list[QFrame] = []
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.gallery)
        bottom = QWidget()
        column = QVBoxLayout(bottom)
        column.setContentsMargins(8, 4, 0, 0)
        column.setSpacing(2)
        self.block_combo = QComboBox()  # which attention block shades the tokens
        self.block_combo.setToolTip("The attention block whose maps the mistakes show")
        self.block_combo.currentIndexChanged.connect(self._on_block_chosen)
        self.block_label = QLabel("Attention of")
        titles = QHBoxLayout()
        titles.addWidget(self.gallery_title, 1)
        titles.addWidget(self.block_label)
        titles.addWidget(self.block_combo)
        column.addLayout(titles)
        column.addWidget(scroll, 1)
        page = QSplitter(Qt.Orientation.Vertical)
        page.addWidget(top)
        page.addWidget(bottom)
        page.setStretchFactor(0, 1)
        page.setStretchFactor(1, 1)
        page.setChildrenCollapsible(False)
        self.classification_page = page
        return page

    def _regression_page(self) -> QWidget:
        self.regression_widget = layout_widget()
        ci = self.regression_widget.ci
        self.scatter_plot: pg.PlotItem = ci.addPlot(row=0, col=0)
        style_plot(self.scatter_plot, "Predicted against true", left="predicted",
                   bottom="true")
        self.scatter_plot.setAspectLocked(False)
        self.identity = pg.PlotDataItem(pen=pg.mkPen(AXIS, width=1.5,
                                                     style=Qt.PenStyle.DashLine))
        self.scatter = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=0.5),
                                          brush=pg.mkBrush(tint(RUN_COLOURS[0], 0.8)))
        self.scatter_plot.addItem(self.identity)
        self.scatter_plot.addItem(self.scatter)
        self.residual_plot: pg.PlotItem = ci.addPlot(row=0, col=1)
        style_plot(self.residual_plot, "Residuals (predicted − true)", left="samples",
                   bottom="residual")
        self.residual_bars = pg.BarGraphItem(x=[], height=[], width=1.0,
                                             brush=RUN_COLOURS[1], pen=pg.mkPen("w"))
        self.residual_plot.addItem(self.residual_bars)
        self.residual_plot.addItem(pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen(
            AXIS, style=Qt.PenStyle.DashLine)))
        self.regression_figures = QLabel()
        self.regression_figures.setStyleSheet(f"color: {INK}; font-size: 12pt; padding: 4px 8px;")
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.regression_figures)
        column.addWidget(self.regression_widget, 1)
        return page

    def _gan_page(self) -> QWidget:
        self.gan_widget = layout_widget()
        ci = self.gan_widget.ci
        self.grid_plot: pg.PlotItem = ci.addPlot(row=0, col=0)
        style_plot(self.grid_plot, "Final samples from a fixed latent batch", grid=False)
        for axis in ("left", "bottom"):
            self.grid_plot.hideAxis(axis)
        self.grid_plot.invertY(True)
        self.grid_plot.setAspectLocked(True)
        self.grid_plot.setMouseEnabled(False, False)
        self.grid_plot.hideButtons()
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        self.grid_plot.addItem(self.grid_image)
        self.digits_plot: pg.PlotItem = ci.addPlot(row=0, col=1)
        style_plot(self.digits_plot, "Digit the judge sees in each sample", left="samples",
                   bottom="digit")
        self.digit_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=RUN_COLOURS[3],
                                          pen=pg.mkPen(None))
        self.digits_plot.addItem(self.digit_bars)
        self.gan_score = QLabel()
        self.gan_score.setStyleSheet(f"color: {INK}; font-size: 20pt; font-weight: 600;"
                                     " padding: 4px 8px 0 8px;")
        self.gan_meaning = _caption()
        self.gan_meaning.setContentsMargins(8, 0, 8, 4)
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.gan_score)
        column.addWidget(self.gan_meaning)
        column.addWidget(self.gan_widget, 1)
        return page

    # ---- what to evaluate

    def set_run_folder(self, folder: Path | None) -> None:
        """Evaluate the run in ``folder`` (None: nothing to show); the window calls it when
        a run ends and when one past run is selected."""
        folder = Path(folder) if folder is not None else None
        if folder == self.folder and (self.evaluation is not None or self._asked):
            return
        self.folder = folder
        self._results = {k: v for k, v in self._results.items() if k[0] == folder}
        if folder is None:
            self.evaluation = None
            self.title.setText("")
            self.summary.setText("")
            self._show_message("Select one run in the Runs list, or train one: its "
                               "evaluation shows here once the run has ended.")
            return
        self._request()

    def set_split(self, split: str) -> None:
        """Judge on ``"validation"`` or ``"test"`` (the buttons call it)."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}. Received: split={split!r}")
        (self.validation_button if split == "validation" else self.test_button).setChecked(
            True)
        if split != self.split:
            self.split = split
            self._request()

    def can_be_seen(self) -> bool:
        return self.parentWidget() is None or self.isVisible()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._request()

    def _request(self) -> None:
        """Show the current run and split: from the results kept, else evaluate it in the
        background (only while the tab can be seen: a hidden tab costs nothing)."""
        if self.folder is None or self._worker.closing.is_set():
            return
        key = (self.folder, self.split)
        found = self._results.get(key)
        if found is not None:
            if found is not self.evaluation:
                self._show(found)
            return
        self.evaluation = None
        self.title.setText(f"Run {self.folder.name}")
        self.summary.setText("")
        self._show_message(f"Evaluating run {self.folder.name} on the {self.split} split…")
        if key == self._asked or not self.can_be_seen():
            return
        self._asked = key
        folder, split = key
        worker = self._worker
        self.jobs.submit(lambda: worker.evaluate(folder, split),
                         lambda result: self._on_result(key, result),
                         lambda err: self._on_error(key, err))

    def _on_result(self, key: tuple[Path, str], result: Evaluation | None) -> None:
        if self._asked == key:
            self._asked = None
        if result is None:
            return
        if key[0] == self.folder:
            self._results[key] = result
        if key == (self.folder, self.split):
            self._show(result)
        elif self.folder is not None and self.can_be_seen():
            self._request()

    def _on_error(self, key: tuple[Path, str], err: BaseException) -> None:
        from projects.training import RunFailure

        if self._asked == key:
            self._asked = None
        if key != (self.folder, self.split):
            self._request()
            return
        if isinstance(err, RunFailure):
            text = f"{err}" + (f"\n{err.hint}" if err.hint else "")
        else:
            text = f"This run could not be evaluated: {type(err).__name__}: {err}"
        self.error = text
        self._show_message(text, failed=True)

    def close_jobs(self) -> None:
        """The window is closing: no new evaluation, the one under way ends, its thread is
        joined (a run that waits for a training run to end stops waiting)."""
        self._worker.closing.set()
        self.jobs.close()
        self._worker.run = None

    # ---- drawing

    def _show_message(self, text: str, failed: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {WRONG if failed else MUTED}; font-size: 11pt;"
                                   " padding: 24px;")
        self.pages.setCurrentWidget(self.message)
        self._set_controls(classification=False, splits=True)
        if not failed:
            self.error = None

    def _set_controls(self, classification: bool, splits: bool) -> None:
        for widget in self._matrix_controls:
            widget.setVisible(classification)
        for widget in (self.split_label, self.validation_button, self.test_button):
            widget.setVisible(splits)

    def _show(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        self.error = None
        self.title.setText(f"Run {evaluation.run}")
        task = {"node_classification": "nodes", "adversarial": "samples"}.get(
            evaluation.task, "samples")
        if evaluation.gan is not None:
            self.summary.setText("A GAN is judged by its samples, not on a split.")
            self._show_gan(evaluation)
            self._set_controls(classification=False, splits=False)
            return
        where = f"{evaluation.split} split · {evaluation.count:,} {task}".replace(",", " ")
        if evaluation.classification is not None:
            report = evaluation.classification
            self.summary.setText(f"{where} · accuracy {100 * report.accuracy:.1f} %"
                                 + (f" · {evaluation.note}" if evaluation.note else ""))
            self._show_classification(report)
            self._set_controls(classification=True, splits=True)
        else:
            self.summary.setText(where + (f" · {evaluation.note}" if evaluation.note else ""))
            self._show_regression(evaluation.regression)
            self._set_controls(classification=False, splits=True)

    def _show_classification(self, report: ClassReport) -> None:
        names = report.class_names
        table = self.confusion_table
        table.setRowCount(len(names))
        table.setColumnCount(len(names))
        table.setHorizontalHeaderLabels(names)
        table.setVerticalHeaderLabels(names)
        table.horizontalHeader().setToolTip("predicted class")
        table.verticalHeader().setToolTip("true class")
        self._fill_confusion()
        self._fill_blocks(report.mistakes)
        frame = 2 * table.frameWidth()
        width = max(MAX_CELL, max(table.fontMetrics().horizontalAdvance(n) for n in names) + 16)
        table.setMaximumSize(table.verticalHeader().sizeHint().width() + len(names) * width
                             + frame, table.horizontalHeader().sizeHint().height()
                             + len(names) * MAX_CELL + frame)
        self._fill_class_table(report)
        self._fill_gallery(report)
        self.pages.setCurrentWidget(self.classification_page)
        # the matrix's height (a few classes need little), the rest for the mistakes
        page = self.classification_page
        total = max(page.height(), 400)
        top = min(int(total * 0.6), table.maximumHeight() + 64)
        page.setSizes([top, total - top])

    def normalised(self) -> bool:
        return self.normalised_button.isChecked()

    def _fill_confusion(self) -> None:
        report = self.evaluation.classification if self.evaluation is not None else None
        if report is None:
            return
        counts = report.confusion
        values = report.normalised() if self.normalised() else counts.astype(float)
        shades = report.normalised() if self.normalised() else (
            counts / counts.max() if counts.max() else counts.astype(float))
        table = self.confusion_table
        font = QFont()
        font.setPointSizeF(9.5 if len(counts) <= 12 else 8.0)
        for i in range(len(counts)):
            for j in range(len(counts)):
                text = f"{values[i, j]:.2f}" if self.normalised() else str(int(counts[i, j]))
                item = table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    table.setItem(i, j, item)
                item.setText(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setFont(font)
                shade = float(shades[i, j])
                colour = CLASS_COLOURS[2] if i == j else WRONG
                item.setBackground(QBrush(tint(colour, 0.85 * shade) if shade else
                                          QColor("white")))
                item.setForeground(QBrush(QColor("white" if shade > 0.55 else INK)))
                item.setToolTip(f"true {report.class_names[i]}, predicted "
                                f"{report.class_names[j]}: {int(counts[i, j])} "
                                f"({100 * report.normalised()[i, j]:.1f} % of the row)")
        self.confusion_caption.setText(
            "Rows: true class · columns: predicted class · "
            + ("each row's fractions (a row sums to 1)" if self.normalised() else "counts")
            + " · green: right, red: wrong")

    def _fill_class_table(self, report: ClassReport) -> None:
        table = self.class_table
        names = report.class_names
        rows = [(names[c], report.precision[c], report.recall[c], report.f1[c],
                 int(report.support[c])) for c in range(len(names))]
        rows.append(("macro average", report.precision.mean(), report.recall.mean(),
                     report.f1.mean(), int(report.support.sum())))
        table.setRowCount(len(rows))
        for r, (name, *figures) in enumerate(rows):
            cells = [name] + [f"{v:.3f}" for v in figures[:3]] + [str(figures[3])]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignVCenter | (
                    Qt.AlignmentFlag.AlignLeft if c == 0 else Qt.AlignmentFlag.AlignRight))
                if r == len(rows) - 1:
                    bold = QFont()
                    bold.setBold(True)
                    item.setFont(bold)
                table.setItem(r, c, item)
        table.resizeRowsToContents()

    def _fill_blocks(self, mistakes: Mistakes) -> None:
        """One entry per attention block, the deepest (nearest the output) chosen."""
        blocks = list(mistakes.attention)
        self.block_combo.blockSignals(True)
        self.block_combo.clear()
        for node_id in blocks:
            self.block_combo.addItem(mistakes.attention_titles.get(node_id, node_id), node_id)
        self.block_combo.setCurrentIndex(len(blocks) - 1)
        self.block_combo.blockSignals(False)
        for widget in (self.block_label, self.block_combo):
            widget.setVisible(len(blocks) > 1)

    def _on_block_chosen(self) -> None:
        report = self.evaluation.classification if self.evaluation is not None else None
        if report is not None:
            self._fill_gallery(report)

    def _fill_gallery(self, report: ClassReport) -> None:
        for card in self.cards:
            self.gallery_grid.removeWidget(card)
            card.deleteLater()
        self.cards = []
        mistakes = report.mistakes
        wrong = int((report.predicted != report.true).sum())
        if not len(mistakes):
            self.gallery_title.setText("No mistakes on this split.")
            return
        shown = f"the {len(mistakes)} most confident of {wrong}" if wrong > len(mistakes) \
            else f"all {wrong}"
        self.gallery_title.setText(f"Most confident mistakes ({shown}): true → predicted "
                                   "(the predicted class's probability)")
        columns = 3 if mistakes.tokens is not None else 6 if mistakes.nodes is not None else 8
        if mistakes.nodes is not None:
            self.gallery_title.setText(self.gallery_title.text() + " · each node among its "
                                       "neighbours: fill = true class, grey = no label, "
                                       "red ring = predicted wrong")
        for i in range(len(mistakes)):
            card = _Card(self._card_text(report, i))
            if mistakes.images is not None:
                card.add(_image_label(mistakes.images[i], mistakes.levels))
            elif mistakes.tokens is not None:
                _add_tokens(card, mistakes, i, self.block_combo.currentData())
            elif mistakes.nodes is not None:
                picture, text = _neighbourhood_label(mistakes, i, report.class_names)
                card.add(picture)
                card.add(_caption(text, wrap=False))
            elif mistakes.values is not None:
                values = ", ".join(f"{v:.3g}" for v in mistakes.values[i][:8])
                more = ", …" if len(mistakes.values[i]) > 8 else ""
                card.add(_caption(f"[{values}{more}]", wrap=False))
            self.gallery_grid.addWidget(card, i // columns, i % columns)
            self.cards.append(card)
        self.gallery_grid.setRowStretch(math.ceil(len(mistakes) / columns), 1)
        self.gallery_grid.setColumnStretch(columns, 1)

    def _card_text(self, report: ClassReport, i: int) -> str:
        m = report.mistakes
        names = report.class_names
        where = f"node {int(m.nodes[i])}" if m.nodes is not None else f"#{int(m.index[i]) + 1}"
        return (f"{html.escape(_class_name(names, int(m.true[i])))} → "
                f"<b>{html.escape(_class_name(names, int(m.predicted[i])))}</b> "
                f"({m.confidence[i]:.2f}) <span style='color:{MUTED}'>{where}</span>")

    def _show_regression(self, report: RegressionReport) -> None:
        self.regression_figures.setText(
            f"MAE {report.mae:.4g}   ·   RMSE {report.rmse:.4g}   ·   R² {report.r2:.3f}   "
            f"({len(report.true)} values; residual = predicted − true)")
        self.scatter.setData(report.true, report.predicted)
        both = np.concatenate([report.true, report.predicted])
        finite = both[np.isfinite(both)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0, 1)
        self.identity.setData([low, high], [low, high])
        counts, edges = np.histogram(report.residuals[np.isfinite(report.residuals)],
                                     bins=min(40, max(5, len(report.residuals) // 5)))
        self.residual_bars.setOpts(x=(edges[:-1] + edges[1:]) / 2, height=counts,
                                   width=float(edges[1] - edges[0]))
        for plot in (self.scatter_plot, self.residual_plot):
            plot.enableAutoRange()
        self.pages.setCurrentWidget(self.pages.widget(2))

    def _show_gan(self, evaluation: Evaluation) -> None:
        gan = evaluation.gan
        low, high = gan.levels
        self.grid_image.setImage(tile_grid(gan.samples, fill=high), autoLevels=False,
                                 levels=(low, high))
        judgement = gan.judgement
        if judgement is None:
            self.gan_score.setText("No score")
            self.gan_meaning.setText(gan.no_judge)
            self.digit_bars.setOpts(x=[], height=[])
        else:
            self.gan_score.setText(f"{100 * judgement.confident_share:.1f} % look like digits")
            self.gan_meaning.setText(judgement.meaning() + " Higher is better; all ten digits "
                                     "in the bars mean no mode collapse.")
            self.digit_bars.setOpts(x=np.arange(len(judgement.per_digit)),
                                    height=judgement.per_digit, width=0.8)
            self.digits_plot.getAxis("bottom").setTicks(
                [[(d, str(d)) for d in range(len(judgement.per_digit))], []])
        self.grid_plot.autoRange()
        self.pages.setCurrentWidget(self.pages.widget(3))


class _Worker:
    """The evaluation jobs' side: the run last opened (its model and data stay loaded for
    the other split), and whether the window is closing."""

    def __init__(self) -> None:
        self.run = None
        self.closing = threading.Event()

    def evaluate(self, folder: Path, split: str) -> Evaluation | None:
        """On the worker thread: plain data out. Waits while a training run builds and
        trains (None if the window closes meanwhile)."""
        from projects.evaluation import evaluate_predictions, one_model_at_a_time, open_run

        with one_model_at_a_time(self.closing.is_set) as free:
            if not free:
                return None
            if self.run is None or self.run.folder != folder:
                self.run = None  # one run's model and data in memory at a time
                self.run = open_run(folder)
            return evaluate_predictions(self.run, split)


class _Card(QFrame):
    """One mistake: its caption, then what shows it."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setObjectName("card")
        self.setStyleSheet(f"#card {{ border: 1px solid {BORDER}; border-radius: 6px;"
                           " background: white; }")
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(6, 6, 6, 6)
        self.column.setSpacing(4)
        self.caption = QLabel(caption)
        self.caption.setStyleSheet(f"color: {INK};")
        self.column.addWidget(self.caption)

    def add(self, widget: QWidget) -> None:
        self.column.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)


def _grey_or_rgb(image: np.ndarray, levels: tuple[float, float]) -> QImage:
    x = np.asarray(image, dtype=np.float32)
    if x.ndim == 3 and x.shape[-1] not in (3,):
        x = x[..., 0]
    low, high = levels
    scaled = np.clip((x - low) / ((high - low) or 1.0), 0, 1)
    pixels = np.ascontiguousarray((scaled * 255).astype(np.uint8))
    if pixels.ndim == 2:
        h, w = pixels.shape
        return QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def _image_label(image: np.ndarray, levels: tuple[float, float] | None) -> QLabel:
    picture = _grey_or_rgb(image, levels or (0.0, 1.0))
    label = QLabel()
    label.setPixmap(QPixmap.fromImage(picture).scaled(
        THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation))
    return label


def _heat(value: float) -> QColor:
    return PROBABILITY_MAP.map(float(np.clip(value, 0, 1)), mode="qcolor")


def _add_tokens(card: _Card, mistakes: Mistakes, i: int, block: str | None) -> None:
    """The tokens shaded by the attention each receives from ``block`` (default: the
    deepest attention block), and that block's map (queries down, keys across; mean of
    heads)."""
    tokens = mistakes.tokens[i]
    if not mistakes.attention:
        card.add(_caption(" ".join(tokens)))
        return
    if block not in mistakes.attention:
        block = list(mistakes.attention)[-1]
    weights = np.asarray(mistakes.attention[block][i], dtype=np.float64)
    matrix = weights.mean(axis=0) if weights.ndim == 3 else weights[None, :]
    received = matrix.mean(axis=0)  # sums to 1 over the tokens
    # full colour at FOCUS times an even share: even attention stays pale
    shades = np.clip(received * len(received) / FOCUS, 0, 1)
    spans = []
    for token, shade_value in zip(tokens, shades, strict=False):
        shade = _heat(shade_value)
        ink = "white" if shade_value > 0.55 else INK
        spans.append(f"<span style='background:{shade.name()}; color:{ink}'>&nbsp;"
                     f"{html.escape(token)}&nbsp;</span>")
    strip = QLabel("".join(spans))
    strip.setWordWrap(True)
    strip.setToolTip(f"Shade: the attention each token receives in "
                     f"{mistakes.attention_titles.get(block, block)} (mean over queries and "
                     f"heads); darkest at {FOCUS}× an even share")
    card.column.addWidget(strip)
    if matrix.shape[0] > 1:  # the weights are probabilities: levels [0, 1], as everywhere
        rgb = (PROBABILITY_MAP.map(np.clip(matrix, 0, 1).reshape(-1), mode="byte")[:, :3]
               .reshape(*matrix.shape, 3))
        picture = QImage(np.ascontiguousarray(rgb).data, matrix.shape[1], matrix.shape[0],
                         3 * matrix.shape[1], QImage.Format.Format_RGB888).copy()
        label = QLabel()
        label.setPixmap(QPixmap.fromImage(picture).scaled(
            120, 120, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation))
        label.setToolTip("Attention map, mean of heads: queries down, keys across")
        card.add(label)
    card.add(_caption(f"attention of {mistakes.attention_titles.get(block, block)}",
                      wrap=False))


def _neighbourhood_label(mistakes: Mistakes, i: int, names: list[str]) -> tuple[QLabel, str]:
    """The node in the middle, its neighbours around it: fill = true class (grey: no
    label), a red ring where the model predicts them wrong."""
    size = 150
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    centre = QPointF(size / 2, size / 2)
    neighbours = mistakes.neighbours[i]
    labels, predictions = mistakes.neighbour_labels[i], mistakes.neighbour_predictions[i]
    radius = size / 2 - 16
    points = [centre + QPointF(radius * math.cos(2 * math.pi * k / max(len(neighbours), 1)),
                               radius * math.sin(2 * math.pi * k / max(len(neighbours), 1)))
              for k in range(len(neighbours))]
    painter.setPen(QPen(QColor(AXIS), 1.2))
    for point in points:
        painter.drawLine(centre, point)

    def node(at: QPointF, label: int, predicted: int, r: float) -> None:
        fill = QColor(CLASS_COLOURS[label % len(CLASS_COLOURS)] if label >= 0 else NO_LABEL)
        wrong = label >= 0 and predicted != label
        painter.setPen(QPen(QColor(WRONG if wrong else "white"), 2.5 if wrong else 1.5))
        painter.setBrush(fill)
        painter.drawEllipse(QRectF(at.x() - r, at.y() - r, 2 * r, 2 * r))

    for point, label, predicted in zip(points, labels.tolist(), predictions.tolist(),
                                       strict=True):
        node(point, label, predicted, 8)
    node(centre, int(mistakes.true[i]), int(mistakes.predicted[i]), 13)
    painter.end()
    label = QLabel()
    label.setPixmap(pixmap)
    degree = int(mistakes.degrees[i])
    known = labels[labels >= 0]
    counts = ", ".join(f"{n} × {_class_name(names, int(c))}" for c, n in
                       zip(*np.unique(known, return_counts=True), strict=True))
    more = f" ({len(neighbours)} drawn)" if degree > len(neighbours) else ""
    unlabelled = int((labels < 0).sum())
    counts += (", " if counts else "") + (f"{unlabelled} no label" if unlabelled else "")
    label.setToolTip("Fill: true class (grey: no label); red ring: predicted wrong")
    return label, f"{degree} neighbours{more}\n{counts or 'none labelled'}"
