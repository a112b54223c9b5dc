"""The inspector's page when nothing is selected: the project's name, task, dataset (with a
preview) and training settings, and its notes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from app.dataset_form import DatasetForm
from app.editor import Editor
from app.fields import (
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
    "seed": ("Seed", "Fixes the shuffle, the split and the first weights, so a run can be "
             "repeated.", int, 1),
    "validation_split": ("Validation split", "Fraction of the samples held out to measure "
                         "how well the model generalises (0 keeps them all).", float, None),
    "test_split": ("Test split", "Fraction of the samples held back for the test, which "
                   "training never sees (a dataset's own test part is used instead).",
                   float, None),
}


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
        width = label_width_for(["Name", "Task", "Dataset", "Optimizer",
                              *(label for label, *_ in TRAINING_FIELDS.values()),
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
            field = LineField(read, number_text, lambda v, n=name: self._set_training(n, v),
                              help_, help_, step=step)
            self.training[name] = field
            add_row(form, label, field, help_)
            if name == "learning_rate":
                optimizer = ChoiceField([(OPTIMIZER_TITLES.get(o, o), o) for o in OPTIMIZERS],
                                        lambda v: self._set_training("optimizer", v),
                                        "Adam is a good default.", "The optimizer")
                self.training["optimizer"] = optimizer
                add_row(form, "Optimizer", optimizer)
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
        if what in ("", "notes"):  # not on other edits: typing may be under way
            self.notes.show_notes(project.notes)
        if what in ("", "task", "dataset", "training"):  # the preview depends on all three
            self.dataset.refresh()

    def on_document_changed(self, event: DocumentEvent) -> None:
        if isinstance(event, SettingsChanged):
            self.refresh(event.what)
