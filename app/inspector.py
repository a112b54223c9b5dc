"""The inspector: edits what is selected, generated from the blocks' parameter specs.

One block selected: its :class:`~app.block_page.BlockPage`; one group: its
:class:`~app.group_page.GroupPage`. Nothing selected: the
:class:`~app.project_page.ProjectPage` (name, task, dataset with a preview, training
settings). Several selected: a :class:`~app.block_page.SelectionPage`. The fields they
are made of live in :mod:`app.fields`.

Every change goes through the Editor, so each is one undo command. The pages follow the
editor's signals, so undo and edits made elsewhere show up here; a field is rewritten
only when the document's value differs from what it shows, and only user actions
(``textEdited``, ``clicked``, ``activated``) apply values, so showing never edits.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.block_page import BlockPage, SelectionPage
from app.editor import Editor
from app.fields import STYLE
from app.group_page import GroupPage
from app.project_page import ProjectPage
from projects.document import DocumentEvent, GroupRemoved, NodeRemoved, is_group_id

# ----------------------------------------------------------------------------- the inspector


class Inspector(QWidget):
    """The inspector dock's content; the main window calls :meth:`show_nodes` with the
    canvas selection. A group's page asks for what only the window can do through the
    signals below (each carries the group's id)."""

    openGroupRequested = Signal(str)
    ungroupRequested = Signal(str)
    saveGroupRequested = Signal(str)

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setStyleSheet(STYLE)
        self.node_ids: list[str] = []
        self.scroll = QScrollArea(widgetResizable=True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self.project_page = ProjectPage(editor)
        self.page: QWidget = self.project_page
        self.scroll.setWidget(self.project_page)
        self.setMinimumWidth(280)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        editor.documentChanged.connect(self._on_document_changed)
        editor.documentReplaced.connect(self._on_document_replaced)
        editor.reportChanged.connect(self._on_report_changed)

    @property
    def block_page(self) -> BlockPage | None:
        return self.page if isinstance(self.page, BlockPage) else None

    def show_nodes(self, node_ids: Sequence[str]) -> None:
        """Show one block's page, the project's (no block) or a summary (several)."""
        project = self.editor.project
        nodes, groups = project.nodes, project.groups
        ids = [i for i in node_ids if i in nodes or i in groups]
        if ids == self.node_ids:
            return  # the same selection again: keep the page, its focus and what is typed
        self.node_ids = ids
        if not ids:
            self._set_page(self.project_page)
        elif len(ids) == 1 and is_group_id(ids[0]):
            page = GroupPage(self.editor, ids[0])
            page.openRequested.connect(self.openGroupRequested)
            page.ungroupRequested.connect(self.ungroupRequested)
            page.saveRequested.connect(self.saveGroupRequested)
            self._set_page(page)
        elif len(ids) == 1:
            self._set_page(BlockPage(self.editor, ids[0]))
        else:  # the blocks selected, and those inside the groups selected
            blocks = [i for i in ids if i in nodes]
            for group_id in (i for i in ids if i in groups):
                blocks += sorted(project.leaves(group_id), key=lambda i: int(i[1:]))
            self._set_page(SelectionPage(self.editor, blocks))

    def _set_page(self, page: QWidget) -> None:
        if page is self.page:
            return
        old = self.scroll.takeWidget()  # takeWidget keeps the project page alive
        if old is not None and old is not self.project_page:
            old.deleteLater()
        self.page = page
        self.scroll.setWidget(page)
        self.scroll.verticalScrollBar().setValue(0)

    def _on_document_changed(self, event: DocumentEvent) -> None:
        if isinstance(event, NodeRemoved) and event.node.id in self.node_ids:
            self.show_nodes([i for i in self.node_ids if i != event.node.id])
            return
        if isinstance(event, GroupRemoved) and event.group.id in self.node_ids:
            self.show_nodes([i for i in self.node_ids if i != event.group.id])
            return
        if self.page is not self.project_page:
            self.page.on_document_changed(event)
        self.project_page.on_document_changed(event)  # stays current while hidden

    def _on_document_replaced(self) -> None:
        self.node_ids = []
        self.project_page.on_document_replaced()
        self._set_page(self.project_page)

    def _on_report_changed(self) -> None:
        if self.page is not self.project_page:  # the project page shows no shapes
            self.page.on_report_changed()
