"""The palette: blocks by category, a search box that filters as you type, drag to place.

The window's palette also lists the library (projects/library.py): "My blocks", the groups
the user saved, and "Templates", the ones shipped with Deepwire; they drag, search and
activate like blocks and are placed as copies (app/library_actions.py).
Also the block help page (Help ▸ Block reference), generated from the same specs.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import blocks
from app.icons import category_icon
from blocks.describe import describe_port
from blocks.spec import BlockSpec, format_shape
from projects import clipboard
from projects.library import LibraryEntry

BLOCK_ID_ROLE = Qt.ItemDataRole.UserRole
LIBRARY_KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # a library entry: the key of its file
LIBRARY_MIME_TYPE = "application/x-deepwire-library-block"  # a palette drag: the entry's key
MY_BLOCKS, TEMPLATES = "My blocks", "Templates"


class _PaletteTree(QTreeWidget):
    """A tree whose block entries drag out as ``BLOCK_MIME_TYPE`` and activate on Enter."""

    activated_block = Signal(str)
    menu_requested = Signal(str, QPoint)  # a right-click on a block entry
    activated_entry = Signal(str)  # a library entry's key
    entry_menu_requested = Signal(str, QPoint)  # a library entry's key; "" for My blocks

    def __init__(self) -> None:
        super().__init__(headerHidden=True, rootIsDecorated=True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.itemDoubleClicked.connect(self._activate)

    def mimeTypes(self) -> list[str]:
        return [clipboard.BLOCK_MIME_TYPE, LIBRARY_MIME_TYPE]

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        ids = [i.data(0, BLOCK_ID_ROLE) for i in items if i.data(0, BLOCK_ID_ROLE)]
        keys = [i.data(0, LIBRARY_KEY_ROLE) for i in items if i.data(0, LIBRARY_KEY_ROLE)]
        if keys:
            data.setData(LIBRARY_MIME_TYPE, keys[0].encode("utf-8"))
        elif ids:
            data.setData(clipboard.BLOCK_MIME_TYPE, ids[0].encode("utf-8"))
            data.setText(ids[0])
        return data

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem():
            self._activate(self.currentItem())
            return
        super().keyPressEvent(event)

    def _activate(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        block_id = item.data(0, BLOCK_ID_ROLE)
        if block_id:
            self.activated_block.emit(block_id)
        elif item.data(0, LIBRARY_KEY_ROLE):
            self.activated_entry.emit(item.data(0, LIBRARY_KEY_ROLE))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self.itemAt(event.pos())
        block_id = item.data(0, BLOCK_ID_ROLE) if item is not None else None
        key = item.data(0, LIBRARY_KEY_ROLE) if item is not None else None
        if key or (item is not None and _category(item) == MY_BLOCKS):
            self.setCurrentItem(item)
            self.entry_menu_requested.emit(key or "", event.globalPos())
            event.accept()
        elif block_id:
            self.setCurrentItem(item)
            self.menu_requested.emit(block_id, event.globalPos())
            event.accept()


class BlockPalette(QWidget):
    """Blocks grouped by category; typing in the search box filters as you type.

    ``blockSelected`` follows the current entry; ``blockActivated`` is a double-click or
    Enter, which the main window turns into "add next to the selection".
    """

    blockSelected = Signal(str)
    blockActivated = Signal(str)
    menuRequested = Signal(str, QPoint)  # block id, where the right-click was on screen
    entryActivated = Signal(str)  # a library entry's key: double-click or Enter
    entryMenuRequested = Signal(str, QPoint)  # a library entry's key ("" for My blocks)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._allowed: Callable[[BlockSpec], bool] = lambda _spec: True
        self._entries: dict[str, LibraryEntry] = {}
        self.search = QLineEdit(placeholderText="Search blocks…", clearButtonEnabled=True)
        self.tree = _PaletteTree()
        self.tree.activated_block.connect(self.blockActivated)
        self.tree.menu_requested.connect(self.menuRequested)
        self.tree.activated_entry.connect(self.entryActivated)
        self.tree.entry_menu_requested.connect(self.entryMenuRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._fill()
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.currentItemChanged.connect(self._on_current)

    def _fill(self) -> None:
        groups: dict[str, QTreeWidgetItem] = {}
        for spec in blocks.all_specs():
            group = groups.get(spec.category)
            if group is None:
                group = QTreeWidgetItem(self.tree, [spec.category])
                group.setIcon(0, category_icon(spec.category))
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                groups[spec.category] = group
            item = QTreeWidgetItem(group, [spec.title])
            item.setData(0, BLOCK_ID_ROLE, spec.id)
            item.setToolTip(0, spec.doc)
            item.setIcon(0, category_icon(spec.category))
        self.tree.expandAll()

    def show_library(self, entries: dict[str, LibraryEntry]) -> None:
        """List these library entries (by key) under My blocks and Templates, above the
        blocks; My blocks stays, with a hint, while it is empty."""
        for i in reversed(range(self.tree.topLevelItemCount())):
            if self.tree.topLevelItem(i).text(0) in (MY_BLOCKS, TEMPLATES):
                self.tree.takeTopLevelItem(i)
        self._entries = dict(entries)
        mine = [(k, e) for k, e in entries.items() if not e.template]
        templates = [(k, e) for k, e in entries.items() if e.template]
        for index, (title, listed) in enumerate(((MY_BLOCKS, mine), (TEMPLATES, templates))):
            group = QTreeWidgetItem([title])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setToolTip(0, "Groups you saved: right-click a group, Save to My blocks…"
                             if title == MY_BLOCKS else "Groups that come with Deepwire")
            self.tree.insertTopLevelItem(index, group)
            for key, entry in sorted(listed, key=lambda e: e[1].title.lower()):
                item = QTreeWidgetItem(group, [entry.title])
                item.setData(0, LIBRARY_KEY_ROLE, key)
                item.setToolTip(0, entry_tooltip(entry))
                item.setIcon(0, category_icon(_entry_category(entry)))
            if not listed and title == MY_BLOCKS:
                hint = QTreeWidgetItem(group, ["Right-click a group to save it"])
                hint.setFlags(Qt.ItemFlag.NoItemFlags)
            group.setExpanded(True)
        self.filter(self.search.text())

    def _shown(self, role: Qt.ItemDataRole) -> list[str]:
        """The ``role`` data of the entries shown now (search applied), in tree order."""
        values = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                item = group.child(j)
                if not item.isHidden() and not group.isHidden() and item.data(0, role):
                    values.append(item.data(0, role))
        return values

    def library_keys(self) -> list[str]:
        """The keys of the library entries shown now (search applied), in tree order."""
        return self._shown(LIBRARY_KEY_ROLE)

    def entry_item(self, key: str) -> QTreeWidgetItem | None:
        found = self.tree.findItems("*", Qt.MatchFlag.MatchWildcard | Qt.MatchFlag.MatchRecursive)
        return next((i for i in found if i.data(0, LIBRARY_KEY_ROLE) == key), None)

    def filter(self, text: str) -> None:
        """Show blocks whose title, id, category or doc contains ``text``; the best match
        becomes the current entry, the one Enter adds. Library entries match by their
        title and doc."""
        needle = text.strip().lower()
        best: tuple[int, QTreeWidgetItem] | None = None
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            visible = 0
            for j in range(group.childCount()):
                item = group.child(j)
                block_id = item.data(0, BLOCK_ID_ROLE)
                if not block_id:  # a library entry, or My blocks' hint
                    entry = self._entries.get(item.data(0, LIBRARY_KEY_ROLE) or "")
                    shown = (entry is not None and needle in f"{entry.title} {entry.doc}"
                             .lower()) or (entry is None and not needle)
                    item.setHidden(not shown)
                    visible += shown
                    continue
                spec = blocks.get(block_id)
                rank = match_rank(spec, needle) if self._allowed(spec) else None
                item.setHidden(rank is None)
                visible += rank is not None
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, item)
            group.setHidden(visible == 0)
        if needle and best is not None:
            self.tree.setCurrentItem(best[1])

    def restrict(self, allowed: Callable[[BlockSpec], bool]) -> None:
        """Offer only the blocks ``allowed`` accepts (a block to put into a wire must have
        ports of the wire's kinds); searching filters within them."""
        self._allowed = allowed
        self.filter(self.search.text())

    def visible_block_ids(self) -> list[str]:
        return self._shown(BLOCK_ID_ROLE)

    def best_match(self) -> str | None:
        """The block Enter in the search box adds: an exact title wins, then a title that
        starts with the text, then a word of a title that does, then the first match in
        category order."""
        needle = self.search.text().strip().lower()
        ranked = [(match_rank(blocks.get(i), needle), n, i)
                  for n, i in enumerate(self.visible_block_ids())]
        return min(ranked)[2] if ranked else None

    def _activate_first(self) -> None:
        """Enter in the search box adds the best match, so typing + Enter places a block."""
        block_id = self.best_match()
        if block_id is not None:
            self.blockActivated.emit(block_id)

    def _on_current(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        block_id = item.data(0, BLOCK_ID_ROLE) if item is not None else None
        if block_id:
            self.blockSelected.emit(block_id)


def _category(item: QTreeWidgetItem) -> str:
    """The category heading an entry sits under (or the heading itself)."""
    return (item.parent() or item).text(0)


def _entry_category(entry: LibraryEntry) -> str:
    """The category whose icon a library entry shows: its first block that is not plain
    glue (Core, Merging, Normalization), so an encoder shows attention."""
    found = [n.spec.category for n in entry.fragment.nodes.values()]
    return next((c for c in found if c not in ("Core", "Merging", "Normalization")),
                found[0])


def entry_tooltip(entry: LibraryEntry) -> str:
    """A library entry's tooltip: what it is for, its ports and size."""
    inputs, outputs = entry.ports
    badge = "Template" if entry.template else "My block"
    return (f"<b>{html.escape(entry.title)}</b> · {badge}<br>{html.escape(entry.doc)}<br>"
            f"<i>Inputs: {html.escape(', '.join(inputs) or 'none')} · Outputs: "
            f"{html.escape(', '.join(outputs) or 'none')} · "
            f"{entry.block_count} blocks</i>")


def match_rank(spec: BlockSpec, needle: str) -> int | None:
    """How well a block matches a (lower-case) search text: 0 an exact title or id, 1 a
    title or id that starts with it, 2 a title word that does, 3 anywhere in the title, id,
    category or doc; None for no match. An empty text matches every block equally."""
    if not needle:
        return 3
    title = spec.title.lower()
    if needle in (title, spec.id):
        return 0
    if title.startswith(needle) or spec.id.startswith(needle):
        return 1
    if any(word.startswith(needle) for word in title.replace("(", " ").split()):
        return 2
    hay = f"{title} {spec.id} {spec.category} {spec.doc}".lower()
    return 3 if needle in hay else None


def block_page_html(spec: BlockSpec) -> str:
    """An HTML page describing one block: doc, ports and the parameter table."""
    esc = html.escape
    rows = []
    for p in spec.params:
        default = format_shape(p.default) if p.type == "shape" else p.default
        limits = ", ".join(p.choices) if p.choices else ""
        if p.minimum is not None or p.maximum is not None:
            low = "" if p.minimum is None else f"{p.minimum:g}"
            high = "" if p.maximum is None else f"{p.maximum:g}"
            limits = f"{low} … {high}"
        rows.append(
            f"<tr><td><b>{esc(p.name)}</b></td><td>{esc(p.type)}</td>"
            f"<td>{esc(str(default))}</td><td>{esc(limits)}</td><td>{esc(p.help)}</td></tr>"
        )
    params = (
        "<table cellpadding='4' cellspacing='0' border='1' style='border-collapse:collapse'>"
        "<tr><th>Parameter</th><th>Type</th><th>Default</th><th>Allowed</th><th>Meaning</th>"
        f"</tr>{''.join(rows)}</table>"
        if rows
        else "<p><i>No parameters.</i></p>"
    )

    def ports(items) -> str:
        if not items:
            return "<i>none</i>"
        return "<br>".join(
            f"<b>{esc(describe_port(p))}</b> — {esc(p.doc)}" if p.doc else esc(describe_port(p))
            for p in items
        )

    return (
        f"<h2>{esc(spec.title)}</h2><p style='color:#64748b'>{esc(spec.category)} · "
        f"<code>{esc(spec.id)}</code> · version {spec.version}</p><p>{esc(spec.doc)}</p>"
        f"<h3>Inputs</h3><p>{ports(spec.input_ports())}</p>"
        f"<h3>Outputs</h3><p>{ports(spec.output_ports())}</p>"
        f"<h3>Parameters</h3>{params}"
    )


class BlockHelp(QTextBrowser):
    """The reference page of one block (Help ▸ Block reference), beside a palette."""

    def show_block(self, block_id: str) -> None:
        self.setHtml(block_page_html(blocks.get(block_id)))
