"""The inspector's page for one selected group: its title, what is inside, its ports with
the shapes that flow through them, its parameters in total and the problems inside it, with
buttons to open it, ungroup it and keep it in My blocks."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.block_page import PENDING, page_head, port_sections, tensor_text
from app.editor import Editor
from app.fields import add_row, form_layout, label_width_for, section, text_label
from app.icons import group_icon
from projects.document import DocumentError, DocumentEvent, GroupChanged
from projects.text import count_noun, count_text


class GroupPage(QWidget):
    """One group. Actions the page cannot do itself (opening the group on the canvas,
    saving it to My blocks) are asked for with signals the main window answers."""

    openRequested = Signal(str)
    ungroupRequested = Signal(str)
    saveRequested = Signal(str)

    def __init__(self, editor: Editor, group_id: str) -> None:
        super().__init__()
        self.editor, self.group_id = editor, group_id
        project = editor.project
        inputs, outputs = project.group_ports(group_id)
        width = label_width_for(["Title", "Parameters", *(p.name for p in (*inputs, *outputs))])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(0)

        self.heading, self.subtitle = page_head(layout, group_icon(), "", "")
        self.contents = text_label("", "caption")
        self.contents.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.contents)

        form = form_layout(width)
        self.title_edit = QLineEdit()
        self.title_edit.setToolTip("The group's name on the canvas and in the breadcrumb.")
        self.title_edit.editingFinished.connect(self._apply_title)
        add_row(form, "Title", self.title_edit, self.title_edit.toolTip())
        layout.addLayout(form)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 10, 0, 0)
        self.open_button = QPushButton("Open Group")
        self.open_button.setToolTip("Edit the blocks inside (double-click the group does "
                                    "the same)")
        self.open_button.clicked.connect(lambda: self.openRequested.emit(self.group_id))
        self.ungroup_button = QPushButton("Ungroup")
        self.ungroup_button.setToolTip("Put the blocks back where the group stands "
                                       "(Ctrl+Shift+G)")
        self.ungroup_button.clicked.connect(lambda: self.ungroupRequested.emit(self.group_id))
        self.save_button = QPushButton("Save to My Blocks…")
        self.save_button.setToolTip("Keep a copy in the palette to place in any project")
        self.save_button.clicked.connect(lambda: self.saveRequested.emit(self.group_id))
        for button in (self.open_button, self.ungroup_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.inputs, self.outputs = port_sections(layout, width)
        self.problems_header = section("Problems inside")
        layout.addWidget(self.problems_header)
        self.problems = text_label("", "error")
        self.problems.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        self.refresh_values()
        self.on_report_changed()

    # ---- editing

    def _apply_title(self) -> None:
        if self.group_id not in self.editor.project.groups:  # focus can leave as it goes
            return
        try:
            self.editor.rename_group(self.group_id, self.title_edit.text())
        except DocumentError:
            self.title_edit.setText(self.editor.project.group(self.group_id).title)

    # ---- following the document

    def refresh_values(self) -> None:
        project = self.editor.project
        group = project.group(self.group_id)
        self.heading.setText(group.title)
        where = " › ".join(project.group(g).title for g in project.path(self.group_id))
        self.subtitle.setText(f"Group · {self.group_id}" + (f" · in {where}" if where else ""))
        if self.title_edit.text().strip() != group.title:
            self.title_edit.setText(group.title)
        inner = project.members(self.group_id)
        groups = sum(1 for i in inner if i.startswith("g"))
        leaves = len(project.leaves(self.group_id))
        text = count_noun(leaves, "block")
        if groups:
            text += f", {count_noun(groups, 'group')} directly inside"
        self.contents.setText(text)

    def on_document_changed(self, event: DocumentEvent) -> None:
        if self.group_id not in self.editor.project.groups:
            return
        if isinstance(event, GroupChanged) and event.new.id == self.group_id:
            self.refresh_values()
        self.on_report_changed()

    def on_report_changed(self) -> None:
        project, report = self.editor.project, self.editor.report
        if self.group_id not in project.groups:
            return
        inputs, outputs = project.group_ports(self.group_id)
        nodes, leaves = project.nodes, project.leaves(self.group_id)
        rows = []
        for port in inputs:
            into = ", ".join(f"{nodes[n].label} '{p}'" for n, p in port.ends)
            link = project.link_into(*port.ends[0])
            source = None if link is None or link.source in leaves else link
            if source is None:
                rows.append((port.name, "not connected", f"Leads to {into}", "caption"))
                continue
            shapes = None if report is None else report.shapes.get(source.source)
            info = None if shapes is None else shapes.outputs.get(source.source_port)
            rows.append((port.name, PENDING if shapes is None else (
                tensor_text(info) if info else "unknown"), f"Leads to {into}",
                "" if info else "caption"))
        self.inputs.set_rows(rows or [("", "none", "", "caption")])
        rows = []
        for port in outputs:
            node_id, name = port.ends[0]
            shapes = None if report is None else report.shapes.get(node_id)
            info = None if shapes is None else shapes.outputs.get(name)
            rows.append((port.name, PENDING if shapes is None else (
                tensor_text(info) if info else "unknown"),
                f"From {nodes[node_id].label} '{name}'", "" if info else "caption"))
        if report is None:
            rows.append(("Parameters", PENDING, "", "caption"))
        else:
            total = sum(report.shapes[n].params for n in leaves if n in report.shapes)
            rows.append(("Parameters", count_text(total), "Weights the blocks inside learn", ""))
        self.outputs.set_rows(rows)
        issues = [] if report is None else [i for i in report.issues if i.node_id in leaves]
        self.problems.setText("\n".join(
            f"{'●' if i.severity == 'error' else '▲'} {i.message}"
            for i in sorted(issues, key=lambda i: i.severity != "error")))
        self.problems_header.setVisible(bool(issues))
        self.problems.setVisible(bool(issues))
