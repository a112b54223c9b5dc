"""The inspector's page when nothing is selected: the project's name, task, dataset (with a
preview) and training settings, and its notes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from app.dataset_form import DatasetForm
from app.editor import Editor
from app.fields import (
    CheckField,
    ChoiceField,
    Field,
    LineField,
    add_row,
    form_layout,
    label_width_for,
    number_or_text,
    section,
    whole_or_text,
)
from projects.document import (
    MONITORS,
    OPTIMIZERS,
    TASK_KINDS,
    TASK_TITLES,
    DocumentEvent,
    SettingsChanged,
)
from projects.text import number_text

OPTIMIZER_TITLES = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}
# name -> (label, help, int or float, step of the arrow keys)
TRAINING_FIELDS: dict[str, tuple[str, str, type, int | None]] = {
    "epochs": ("Epochs", "Passes over the training data.", int, 1),
    "batch_size": ("Batch size", "Samples per training step.", int, 1),
    "learning_rate": ("Learning rate", "Step size of the optimizer; 0.001 suits Adam.",
                      float, None),
    "weight_decay": ("Weight decay", "Shrinks every weight a little at each step; empty "
                     "keeps the optimizer's own (AdamW 0.004, the others none).", float, None),
    "seed": ("Seed", "Fixes the shuffle, the split and the first weights, so a run can be "
             "repeated.", int, 1),
    "validation_split": ("Validation split", "Fraction of the samples held out to measure "
                         "how well the model generalises (0 keeps them all).", float, None),
    "test_split": ("Test split", "Fraction of the samples held back for the test, which "
                   "training never sees (a dataset's own test part is used instead).",
                   float, None),
}
MONITOR_TITLES = {"val_loss": "Validation loss", "val_accuracy": "Validation accuracy",
                  "loss": "Training loss", "accuracy": "Training accuracy"}
# The stopping rows, in order: name -> (label, help, bool, int or float)
STOPPING_FIELDS: dict[str, tuple[str, str, type]] = {
    "early_stopping": ("Early stopping", "Stop when the watched figure has not improved for "
                       "a number of epochs.", bool),
    "early_stopping_patience": ("Patience", "Epochs without improvement before stopping.",
                                int),
    "restore_best_weights": ("Best weights", "Keep the weights of the best epoch, not the "
                             "last one.", bool),
    "reduce_lr_on_plateau": ("Plateau", "Lower the learning rate when the watched figure "
                             "has not improved for a number of epochs.", bool),
    "reduce_lr_patience": ("Plateau patience", "Epochs without improvement before the "
                           "learning rate is lowered.", int),
    "reduce_lr_factor": ("Plateau factor", "What the learning rate is multiplied by each "
                         "time (0.1 divides it by ten).", float),
}
# Short: a check box does not wrap, and the inspector is a narrow dock; the help says more.
CHECK_TEXTS = {"early_stopping": "Stop at a plateau",
               "restore_best_weights": "Keep the best epoch",
               "reduce_lr_on_plateau": "Lower the rate"}


# ----------------------------------------------------------------------------- project page


class _NotesEdit(QPlainTextEdit):
    """Notes are applied after a short pause in typing, or when the field is left."""

    def __init__(self, apply: Callable[[str], None]) -> None:
        super().__init__()
        self._apply = apply
        self._pause = QTimer(self, singleShot=True, interval=800)
        self._pause.timeout.connect(self.flush)
        self.textChanged.connect(self._pause.start)
        self.setPlaceholderText("What this project is about, what to try next…")
        self.setTabChangesFocus(True)

    def flush(self) -> None:
        self._pause.stop()
        self._apply(self.toPlainText())

    def focusOutEvent(self, event) -> None:
        if self._pause.isActive():
            self.flush()
        super().focusOutEvent(event)

    def show_notes(self, notes: str) -> None:
        if notes != self.toPlainText():
            self._pause.stop()
            with QSignalBlocker(self):
                self.setPlainText(notes)


class ProjectPage(QWidget):
    """Nothing selected: the project's name, task, dataset, training settings and notes."""

    def __init__(self, editor: Editor) -> None:
        super().__init__()
        self.editor = editor
        width = label_width_for(["Name", "Task", "Dataset", "Optimizer", "Watch",
                              *(label for label, *_ in TRAINING_FIELDS.values()),
                              *(label for label, *_ in STOPPING_FIELDS.values()),
                              "Labelled per class", "Average degree"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 4, 14, 14)
        layout.setSpacing(0)

        layout.addWidget(section("Project"))
        form = form_layout(width)
        self.name = LineField(str.strip, str, self._set_name, live=False)
        add_row(form, "Name", self.name)
        self.task = ChoiceField([(TASK_TITLES[k], k) for k in TASK_KINDS],
                                self._set_task,
                                "How the model learns: from labelled samples, on one "
                                "graph, or as a generator against a discriminator.",
                                "How the model is trained")
        add_row(form, "Task", self.task)
        layout.addLayout(form)

        layout.addWidget(section("Dataset"))
        self.dataset = DatasetForm(editor, width)
        layout.addWidget(self.dataset)

        layout.addWidget(section("Training"))
        form = form_layout(width)
        self.training: dict[str, Field] = {}
        for name, (label, help_, kind, step) in TRAINING_FIELDS.items():
            read = whole_or_text if kind is int else number_or_text
            show, placeholder = number_text, ""
            if name == "weight_decay":  # empty: the optimizer's own
                read, show, placeholder = _number_or_empty, _empty_or_number, "optimizer's own"
            field = LineField(read, show, lambda v, n=name: self._set_training(n, v),
                              help_, help_, step=step, placeholder=placeholder)
            self.training[name] = field
            add_row(form, label, field, help_)
            if name == "learning_rate":
                optimizer = ChoiceField([(OPTIMIZER_TITLES.get(o, o), o) for o in OPTIMIZERS],
                                        lambda v: self._set_training("optimizer", v),
                                        "Adam is a good default.", "The optimizer")
                self.training["optimizer"] = optimizer
                add_row(form, "Optimizer", optimizer)
        monitor = ChoiceField([(MONITOR_TITLES[m], m) for m in MONITORS],
                              lambda v: self._set_training("monitor", v),
                              "What early stopping and the plateau watch.",
                              "The figure that decides when to stop")
        self.training["monitor"] = monitor
        add_row(form, "Watch", monitor)
        for name, (label, help_, kind) in STOPPING_FIELDS.items():
            apply = partial(self._set_training, name)
            if kind is bool:
                field = CheckField(apply, "", help_, CHECK_TEXTS[name])
            else:
                read = whole_or_text if kind is int else number_or_text
                field = LineField(read, number_text, apply, help_, help_,
                                  step=1 if kind is int else None)
            self.training[name] = field
            add_row(form, label, field, help_)
        layout.addLayout(form)

        layout.addWidget(section("Notes"))
        self.notes = _NotesEdit(lambda text: editor.set_setting("notes", text))
        self.notes.setMinimumHeight(90)
        self.notes.setMaximumHeight(160)
        notes_box = QVBoxLayout()
        notes_box.setContentsMargins(0, 8, 0, 0)
        notes_box.addWidget(self.notes)
        layout.addLayout(notes_box)
        layout.addStretch(1)
        self.on_document_replaced()

    # ---- editing

    def _set_name(self, name: str) -> None:
        self.editor.set_setting("name", name)  # the document's rule refuses an empty name

    def _set_task(self, kind: str) -> None:
        self.editor.set_setting("task", {**self.editor.project.task, "kind": kind})

    def _set_training(self, name: str, value: Any) -> None:
        settings = replace(self.editor.project.training, **{name: value})
        self.editor.set_setting("training", settings)  # the document's rules check it

    # ---- following the document

    def on_document_replaced(self) -> None:
        self.refresh(force=True)

    def refresh(self, what: str = "", force: bool = False) -> None:
        """Show the document's settings: all of them, or only ``what`` changed."""
        project = self.editor.project
        if what in ("", "name"):
            self.name.show_value(project.name, force)
        if what in ("", "task"):
            self.task.show_value(project.task.get("kind", "supervised"), force)
        if what in ("", "training"):
            for name, field in self.training.items():
                field.show_value(getattr(project.training, name), force)
            # the patience and factor rows matter only while their switch is on
            for switch, rows in (("early_stopping", ("early_stopping_patience",
                                                     "restore_best_weights")),
                                 ("reduce_lr_on_plateau", ("reduce_lr_patience",
                                                           "reduce_lr_factor"))):
                for row in rows:
                    self.training[row].setEnabled(getattr(project.training, switch))
        if what in ("", "notes"):  # not on other edits: typing may be under way
            self.notes.show_notes(project.notes)
        if what in ("", "task", "dataset", "training"):  # the preview depends on all three
            self.dataset.refresh()

    def on_document_changed(self, event: DocumentEvent) -> None:
        if isinstance(event, SettingsChanged):
            self.refresh(event.what)


def _number_or_empty(text: str) -> float | str | None:
    return None if not text.strip() else number_or_text(text)


def _empty_or_number(value: float | None) -> str:
    return "" if value is None else number_text(value)
