"""The dataset form of the project page: choose a dataset, fill in what it needs, preview it.

Everything it shows comes from the dataset registry (:mod:`projects.datasets.registry`):
the datasets and their titles, which files each reads, and each dataset's fields, which
are rendered with the same editors as block parameters (:func:`app.fields.param_field`).
The registry imports no numpy, so the form is built before any data library loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from app.dataset_panel import DatasetPreview
from app.editor import Editor
from app.fields import ComboBox, Field, add_row, form_layout, param_field, text_label
from blocks.spec import Param
from projects.datasets import registry
from projects.datasets.registry import DatasetSpec

# ----------------------------------------------------------------------------- choices


def ready_made() -> list[DatasetSpec]:
    """Built-in datasets, then downloads, in the combo's order."""
    return [s for s in registry.all_specs() if s.source != "file"]


def pickers() -> dict[str, tuple[str, tuple[DatasetSpec, ...]]]:
    """Combo entry for the person's files -> (its title, the datasets it stands for)."""
    groups: dict[str, tuple[str, tuple[DatasetSpec, ...]]] = {}
    for spec in registry.all_specs():
        if spec.source == "file":
            title, specs = groups.get(spec.picker, (spec.picker_title, ()))
            groups[spec.picker] = (title, (*specs, spec))
    return groups


def picker_of(name: str) -> str | None:
    """The combo entry for a dataset read from the person's files, e.g. "npy" -> "numpy"."""
    spec = registry.get(name)
    return spec.picker if spec is not None and spec.source == "file" else None


def spec_for_file(picker: str, path: str) -> dict[str, Any]:
    """The dataset object for a file chosen in the dialog of ``picker``: the dataset of the
    group whose suffixes match the file (else the group's first), with the path in it."""
    _, specs = pickers()[picker]
    suffix = Path(path).suffix.lower()
    spec = next((s for s in specs if suffix in s.suffixes), specs[0])
    return {"name": spec.name, spec.path_key: path}


def fields_for(name: str, task_kind: str) -> tuple[Param, ...]:
    """The fields to show for dataset ``name``; scaling matters only to sample data."""
    spec = registry.get(name)
    if spec is None:
        return ()
    if task_kind == "node_classification":
        return tuple(p for p in spec.params if p.name != "scale")
    return spec.params


def field_title(param: Param) -> str:
    """The form's label of a dataset field: its title ("Label column"), else its name in
    words."""
    return param.title or param.name.replace("_", " ").capitalize()


# ----------------------------------------------------------------------------- the form


class DatasetForm(QWidget):
    """Choose the dataset, fill in what it needs, and see a preview of it."""

    def __init__(self, editor: Editor, label_width: int) -> None:
        super().__init__()
        self.editor = editor
        self.label_width = label_width
        self.fields: dict[str, Field] = {}
        self._fields_for: tuple[str, str] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        form = form_layout(label_width)
        self.choice = ComboBox()
        self.choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(8)
        self.choice.setPlaceholderText("Choose a dataset…")
        source = None
        for spec in ready_made():
            if source is not None and spec.source != source:
                self.choice.insertSeparator(self.choice.count())
            source = spec.source
            self.choice.addItem(spec.title, spec.name)
            self.choice.setItemData(self.choice.count() - 1, spec.doc,
                                    Qt.ItemDataRole.ToolTipRole)
        self.choice.insertSeparator(self.choice.count())
        for picker, (title, _) in pickers().items():
            self.choice.addItem(title, f"file:{picker}")
        self.choice.setToolTip("Built-in datasets work offline; the others are downloaded "
                               "once by Keras; or read your own files.")
        self.choice.activated.connect(self._on_chosen)
        add_row(form, "Dataset", self.choice, self.choice.toolTip())
        layout.addLayout(form)
        self.fields_box = QWidget()
        layout.addWidget(self.fields_box)

        preview_head = QHBoxLayout()
        preview_head.setContentsMargins(0, 12, 0, 4)
        preview_title = text_label("Preview", "heading", wrap=False)
        preview_head.addWidget(preview_title)
        preview_head.addStretch(1)
        self.reload = QToolButton(text="Reload")
        self.reload.setToolTip("Read the data again (after the files changed)")
        self.reload.setAutoRaise(True)
        self.reload.clicked.connect(lambda: self.load_preview(force=True))
        preview_head.addWidget(self.reload)
        layout.addLayout(preview_head)
        self.preview = DatasetPreview()
        self.preview.stateChanged.connect(self._on_preview_state)
        self.preview.described.connect(editor.set_data_description)
        layout.addWidget(self.preview)
        self._preview_timer = QTimer(self, singleShot=True, interval=150)
        self._preview_timer.timeout.connect(self.load_preview)

    # ---- choosing

    def choose(self, name: str) -> None:
        """Use a ready-made dataset (built in or downloaded); keeps the scaling choice."""
        current = self.editor.project.dataset
        spec = {"name": name}
        if "scale" in current and any(p.name == "scale" for p in fields_for(name, "")):
            spec["scale"] = current["scale"]
        self.editor.set_setting("dataset", spec)

    def choose_file(self, picker: str, path: str | Path) -> None:
        """Use the person's file (what the file dialog of ``picker`` returned)."""
        spec = spec_for_file(picker, self._portable(path))
        if "scale" in self.editor.project.dataset:
            spec["scale"] = self.editor.project.dataset["scale"]
        self.editor.set_setting("dataset", spec)

    def _portable(self, path: str | Path) -> str:
        """Relative to the project's folder when inside it, so the project can be shared."""
        path = Path(path)
        if self.editor.path is not None:
            try:
                return path.resolve().relative_to(self.editor.path.parent.resolve()).as_posix()
            except ValueError:
                pass
        return str(path)

    def _on_chosen(self, index: int) -> None:
        data = self.choice.itemData(index)
        if not data.startswith("file:"):
            self.choose(data)
            return
        picker = data.removeprefix("file:")
        title, specs = pickers()[picker]
        where = specs[0].param(specs[0].path_key)  # the group's dialog asks for its file
        path = self.ask_path(f"Choose: {title.rstrip('…')}", where.folder, where.file_filter)
        if path:
            self.choose_file(picker, path)
        else:
            self.refresh()  # cancelled: show the dataset that is still chosen

    def ask_path(self, title: str, folder: bool, file_filter: str) -> str:
        """A non-native file dialog (the same on every platform, and scriptable)."""
        options = QFileDialog.Option.DontUseNativeDialog
        start = str(self.editor.path.parent) if self.editor.path else ""
        if folder:
            return QFileDialog.getExistingDirectory(self, title, start,
                                                    options | QFileDialog.Option.ShowDirsOnly)
        path, _ = QFileDialog.getOpenFileName(self, title, start, file_filter, "", options)
        return path

    def _browse(self, param: Param) -> str:
        path = self.ask_path(f"Choose: {field_title(param)}", param.folder,
                             param.file_filter)
        return self._portable(path) if path else ""

    # ---- the fields a dataset needs

    def _build_fields(self, name: str, task_kind: str) -> None:
        old = self.fields_box.layout()
        if old is not None:
            while old.rowCount():
                old.removeRow(0)
            QWidget().setLayout(old)  # the usual way to drop a layout from a widget
        self.fields = {}
        form = form_layout(self.label_width)
        for param in fields_for(name, task_kind):
            field = param_field(param, self._applier(name, param.name), live=False,
                                optional=True, browse=self._browse)
            self.fields[param.name] = field
            add_row(form, field_title(param), field, param.help)
        self.fields_box.setLayout(form)
        self.fields_box.setVisible(bool(self.fields))

    def _applier(self, name: str, key: str):
        def apply(value: Any) -> None:
            dataset = dict(self.editor.project.dataset)
            if dataset.get("name") != name:
                return  # a field of the dataset just replaced, losing focus as it goes
            if value is None or value == "":
                dataset.pop(key, None)
            else:
                dataset[key] = value
            self.editor.set_setting("dataset", dataset)

        return apply

    # ---- following the document

    def refresh(self) -> None:
        project = self.editor.project
        dataset, kind = project.dataset, project.task.get("kind", "supervised")
        name = str(dataset.get("name", ""))
        picker = picker_of(name)
        entry = f"file:{picker}" if picker else name
        self.choice.setCurrentIndex(self.choice.findData(entry) if entry else -1)
        if self._fields_for != (name, kind):
            self._fields_for = (name, kind)
            self._build_fields(name, kind)
        for key, field in self.fields.items():
            field.show_value(dataset.get(key))
        self.preview.expect(project.dataset, **self._preview_options())
        self._preview_timer.start()

    def load_preview(self, force: bool = False) -> None:
        self.preview.load(self.editor.project.dataset, **self._preview_options(), force=force)

    def _preview_options(self) -> dict:
        project = self.editor.project
        return {"task_kind": project.task.get("kind", "supervised"),
                "seed": project.training.seed,
                "validation_split": project.training.validation_split,
                "test_split": project.training.test_split,
                "base_dir": self.editor.path.parent if self.editor.path else None}

    def _on_preview_state(self, state: str) -> None:
        """Frame in red the field a loading error blames (the error's ``field``)."""
        blamed = self.preview.error_field if state == "failed" else None
        for key, field in self.fields.items():
            field.mark_invalid(field.invalid or key == blamed)
