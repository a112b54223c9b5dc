"""Right-click menus: on a block, on a wire, on the empty canvas and on a palette entry
(a block, or a library entry: app/library_actions.py).

Every entry does what a menu or toolbar elsewhere does (the same editor calls, one undo
step each); the menus only put them where the mouse is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QInputDialog, QMenu

import blocks
from app.block_picker import BlockPicker
from app.canvas import levels
from app.canvas.block_item import NodeItem, PortItem, apply_fix
from app.canvas.group_item import BoundaryItem
from app.canvas.wires import LinkItem
from projects import clipboard
from projects.document import DocumentError, Link, is_group_id

if TYPE_CHECKING:
    from app.main_window import MainWindow


class ContextMenus:
    """Builds and shows the window's right-click menus; ``menu`` is the one last shown
    (kept so that it outlives the call that popped it up)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.menu: QMenu | None = None
        self.picker: BlockPicker | None = None
        self.dialog: QInputDialog | None = None  # the rename dialog last shown
        window.view.menuRequested.connect(self.show_canvas_menu)
        window.palette.menuRequested.connect(self.show_palette_menu)
        window.palette.entryMenuRequested.connect(self.show_library_menu)

    # ---- the canvas

    def show_canvas_menu(self, scene_pos: QPointF, screen_pos: QPoint) -> None:
        """The menu for what lies under the mouse: a block, a wire, or the canvas."""
        scene = self.window.scene
        menu = None
        for item in scene.items(scene_pos):
            if isinstance(item, PortItem):
                item = item.parentItem()
            if isinstance(item, BoundaryItem):
                break
            if isinstance(item, NodeItem):
                menu = (self.group_menu(item.node_id) if is_group_id(item.node_id)
                        else self.block_menu(item.node_id))
                break
            if isinstance(item, LinkItem) and item.shape().contains(scene_pos):
                menu = self.wire_menu(item.link, scene_pos, screen_pos)
                break
        self._popup(menu or self.canvas_menu(scene_pos, screen_pos), screen_pos)

    def block_menu(self, node_id: str) -> QMenu:
        """For the block (or, when it is among them, the selected blocks)."""
        window, scene = self.window, self.window.scene
        if node_id not in scene.selected_node_ids():
            scene.select_nodes([node_id])
        chosen = scene.selected_node_ids()
        node = window.editor.project.node(node_id)
        menu = QMenu(window)
        rename = menu.addAction("Rename…", lambda: self.rename(node_id))
        rename.setEnabled(len(chosen) == 1)
        menu.addAction("Duplicate", window.view.duplicate_selection)
        many = f" {len(chosen)} blocks" if len(chosen) > 1 else ""
        menu.addAction(f"Delete{many}", window.delete_selection)
        menu.addAction(window.group_action)
        menu.addSeparator()
        menu.addAction(f"Documentation: {node.spec.title}",
                       lambda: window.show_reference(node.block))
        self.library_entries(menu, chosen)
        report = window.editor.report
        fixes = [i.fix for i in (report.for_node(node_id) if report else []) if i.fix]
        if fixes:
            menu.addSeparator()
            for fix in fixes:
                menu.addAction(f"Fix: {fix.title}", lambda f=fix: apply_fix(window.scene, f))
        return menu

    def group_menu(self, group_id: str) -> QMenu:
        """For a group block (or, when it is among them, the selected items)."""
        window, scene = self.window, self.window.scene
        if group_id not in scene.selected_node_ids():
            scene.select_nodes([group_id])
        chosen = scene.selected_node_ids()
        menu = QMenu(window)
        menu.addAction("Open Group", lambda: window.navigator.enter(group_id))
        rename = menu.addAction("Rename…", lambda: self.rename_group(group_id))
        rename.setEnabled(len(chosen) == 1)
        menu.addAction(window.ungroup_action)
        menu.addAction(window.group_action)
        menu.addSeparator()
        menu.addAction("Duplicate", window.view.duplicate_selection)
        many = f" {len(chosen)} items" if len(chosen) > 1 else " Group"
        menu.addAction(f"Delete{many}", window.delete_selection)
        self.library_entries(menu, chosen)
        return menu

    def rename_group(self, group_id: str) -> None:
        """Ask for the group's new title (one undo step)."""
        window = self.window
        dialog = QInputDialog(window)
        dialog.setWindowTitle("Rename group")
        dialog.setLabelText("Title:")
        dialog.setTextValue(window.editor.project.group(group_id).title)
        dialog.resize(360, dialog.sizeHint().height())  # room for the title and a long name
        self.dialog = dialog
        if dialog.exec():
            try:
                window.editor.rename_group(group_id, dialog.textValue())
            except DocumentError as err:
                window.statusBar().showMessage(str(err), 6000)

    def library_entries(self, menu: QMenu, chosen: list[str]) -> None:
        """Save to My blocks: the group the blocks stand in here, else the blocks."""
        library = self.window.library
        group = library.group_to_save(chosen)
        menu.addSeparator()
        if group is not None:
            title = self.window.editor.project.group(group).title
            menu.addAction(f"Save Group “{title}” to My Blocks…",
                           lambda: library.save_group(group))
        else:
            menu.addAction("Save to My Blocks…", library.save_selection)

    def rename(self, node_id: str) -> None:
        """Rename in place of typing it: the inspector's title field, focused."""
        window = self.window
        window.scene.select_nodes([node_id])
        dock = window.docks["inspector"]
        if not dock.isVisible():
            dock.show()
        page = window.inspector.block_page
        if page is not None:
            page.title_edit.setFocus()
            page.title_edit.selectAll()

    def wire_menu(self, link: Link, scene_pos: QPointF, screen_pos: QPoint) -> QMenu:
        window = self.window
        menu = QMenu(window)
        behind = levels.reals(window.scene, link)
        menu.addAction("Delete Wire", lambda: self.delete_wire(behind))
        insert = menu.addAction("Insert Block…",
                                lambda: self.pick_block_for_wire(link, scene_pos, screen_pos))
        insert.setEnabled(behind == [link])  # a wire to a group port may stand for several
        return menu

    def delete_wire(self, links: list[Link]) -> None:
        """Delete the links behind one drawn wire (one undo step)."""
        stack = self.window.editor.undo_stack
        if len(links) > 1:
            stack.beginMacro("Disconnect")
        try:
            for link in links:
                self.window.editor.disconnect(link)
        finally:
            if len(links) > 1:
                stack.endMacro()

    def pick_block_for_wire(self, link: Link, scene_pos: QPointF, screen_pos: QPoint
                            ) -> BlockPicker:
        """The blocks that fit into the wire (ports of its kinds), searchable."""
        project = self.window.editor.project
        kind = next(p.kind for p in project.node(link.source).output_ports()
                    if p.name == link.source_port)
        wanted = next(p.kind for p in project.node(link.target).input_ports()
                      if p.name == link.target_port)

        def fits(spec) -> bool:
            return (any(p.kind == kind for p in spec.input_ports(spec.resolve({})))
                    and any(p.kind == wanted for p in spec.output_ports()))

        return self._pick(screen_pos, lambda block_id: self.insert(link, block_id, scene_pos),
                          fits)

    def insert(self, link: Link, block_id: str, scene_pos: QPointF) -> str | None:
        window = self.window
        at = window.scene.snapped(scene_pos)
        try:
            node_id = window.editor.insert_into_link(link, block_id, (at.x(), at.y()))
        except DocumentError as err:
            window.statusBar().showMessage(str(err), 6000)
            return None
        window.scene.select_nodes([node_id])
        return node_id

    def canvas_menu(self, scene_pos: QPointF, screen_pos: QPoint) -> QMenu:
        window = self.window
        menu = QMenu(window)
        paste = menu.addAction("Paste Here", lambda: window.paste(scene_pos))
        mime = QGuiApplication.clipboard().mimeData()
        paste.setEnabled(mime is not None and (mime.hasFormat(clipboard.MIME_TYPE)
                                               or mime.hasText()))
        menu.addAction("Add Block…", lambda: self.pick_block_for_canvas(scene_pos, screen_pos))
        menu.addSeparator()
        menu.addAction(window.layout_action)
        menu.addAction(window.fit_action)
        return menu

    def pick_block_for_canvas(self, scene_pos: QPointF, screen_pos: QPoint) -> BlockPicker:
        return self._pick(screen_pos, lambda block_id: self.add(block_id, scene_pos))

    def add(self, block_id: str, scene_pos: QPointF) -> str:
        window = self.window
        at = window.scene.snapped(scene_pos)
        node_id = window.editor.add_block(block_id, (at.x(), at.y()), group=window.scene.level)
        window.scene.select_nodes([node_id])
        return node_id

    # ---- the palette

    def show_palette_menu(self, block_id: str, screen_pos: QPoint) -> None:
        self._popup(self.palette_menu(block_id), screen_pos)

    def palette_menu(self, block_id: str) -> QMenu:
        window = self.window
        title = blocks.get(block_id).title
        menu = QMenu(window)
        menu.addAction(f"Add {title}", lambda: window.add_block_from_palette(block_id))
        menu.addAction(f"Documentation: {title}", lambda: window.show_reference(block_id))
        return menu

    def show_library_menu(self, key: str, screen_pos: QPoint) -> None:
        """A library entry's menu (place, export, delete, import); "" is My blocks."""
        self._popup(self.window.library.entry_menu(key), screen_pos)

    # ---- helpers

    def _popup(self, menu: QMenu, screen_pos: QPoint) -> None:
        if self.menu is not None:
            self.menu.deleteLater()
        self.menu = menu
        menu.popup(screen_pos)

    def _pick(self, screen_pos: QPoint, then, allowed=None) -> BlockPicker:
        self.picker = BlockPicker(self.window, allowed)
        self.picker.picked.connect(then)
        self.picker.popup(screen_pos)
        return self.picker
