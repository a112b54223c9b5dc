"""The canvas scene: a mirror of the editor's document, and the place where wires are drawn.

Following Orange's canvas, the scene keeps no state the document lacks. It adds, removes,
moves and updates one item per document event, and turns gestures into editor calls:
a finished wire is ``editor.connect``, a finished drag is one ``editor.move_nodes``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from app.canvas import levels
from app.canvas.block_item import NodeItem, PortItem
from app.canvas.style import GRID
from app.canvas.wires import BlockIndex, DragWireItem, LinkItem
from app.editor import Editor
from app.level_model import item_position
from projects.document import (
    DocumentError,
    DocumentEvent,
    Link,
    LinkAdded,
    LinkRemoved,
    Node,
    NodeAdded,
    NodeChanged,
    NodeMoved,
    NodeRemoved,
    node_sort_key,
)
from projects.validation import Issue

CLICK_SLOP = 3.0  # a press and release closer than this is a click, not a drag


@dataclass
class _WireDrag:
    """A wire being dragged from ``anchor``; ``detached`` is the wire being re-plugged."""

    anchor: PortItem
    detached: Link | None
    item: DragWireItem
    press: QPointF
    target: PortItem | None = None


PREPARE_AFTER_MS = 1000  # after opening a project, block texts are laid out in idle time
PREPARE_SLICE_S = 0.008  # at most this long at a time, so the canvas stays responsive
LABEL_FULL_SPREAD = 40  # more changed wires than this: every label is placed again
LABEL_CELL = 80.0  # the grid that finds a wire label's neighbours
RELANE_ALL_AFTER = 40  # moved blocks beyond which every wire between rows looks again


class CanvasScene(QGraphicsScene):
    """Blocks and wires of ``editor.project``, kept in step with its events."""

    statusMessage = Signal(str)  # why an edit was refused, for the status bar
    selectionChangedIds = Signal(list)  # the selected block ids, sorted
    nodeActivated = Signal(str)  # a block was double-clicked

    def __init__(self, editor: Editor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self._nodes: dict[str, NodeItem] = {}
        self._links: dict[Link, LinkItem] = {}
        # the group shown (None: the top level) and, there, the links behind each wire
        self.level: str | None = None
        self.level_trail: list[str] = []
        self._reals: dict[Link, list[Link]] = {}
        self.block_index = BlockIndex(self._nodes.values)  # where wires look for lanes
        self._snap = True
        self._wire: _WireDrag | None = None
        self._selecting = False
        # Wires that turn back to another row look for a run clear of blocks; once a burst
        # of moves or additions is over, they look again.
        self._relane = QTimer(self, singleShot=True, interval=0)
        self._moved: set[str] = set()  # blocks moved since the wires last looked
        self._relane.timeout.connect(self._relane_wires)
        self._spread = QTimer(self, singleShot=True, interval=0)
        self._changed_labels: set[Link] | None = None  # None: every label is placed again
        self._label_rects: dict[Link, QRectF] = {}  # where the last spread put each label
        self._spread.timeout.connect(self.spread_labels)
        # A block lays out its text when first drawn close enough to read; after a
        # rebuild, idle moments do it ahead of the first zoom in.
        self._unprepared: list[str] = []
        self._prepare = QTimer(self, singleShot=True, interval=PREPARE_AFTER_MS)
        self._prepare.timeout.connect(self._prepare_texts)
        editor.documentChanged.connect(self._on_event)
        editor.documentReplaced.connect(self._replaced)
        editor.reportChanged.connect(self.refresh_report)
        self.selectionChanged.connect(self._on_selection_changed)
        self.rebuild()

    # ---- reading

    def node_item(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def link_item(self, link: Link) -> LinkItem | None:
        return self._links.get(link)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def link_items(self) -> list[LinkItem]:
        return list(self._links.values())

    def selected_node_ids(self) -> list[str]:
        ids = [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
        return sorted(ids, key=node_sort_key)

    def selected_links(self) -> list[Link]:
        return sorted(i.link for i in self.selectedItems() if isinstance(i, LinkItem))

    def item_sizes(self) -> dict[str, tuple[float, float]]:
        """Each block's drawn (width, height), for ``editor.auto_layout``."""
        return {i: (item.width, item.height) for i, item in self._nodes.items()}

    def items_bounding_rect(self) -> QRectF:
        """The blocks' and wires' bounding rectangle (wires that turn back to another row
        swing out beyond the blocks), empty if there are no blocks."""
        rect = QRectF()
        for item in self._nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            return rect
        for link in self._links.values():
            rect = rect.united(link.sceneBoundingRect())
        return rect

    # ---- selection

    def select_nodes(self, node_ids: list[str]) -> None:
        """Select exactly these blocks; ``selectionChangedIds`` is emitted once."""
        self._selecting = True
        try:
            self.clearSelection()
            for node_id in node_ids:
                item = self._nodes.get(node_id)
                if item is not None:
                    item.setSelected(True)
        finally:
            self._selecting = False
        self._on_selection_changed()

    def _on_selection_changed(self) -> None:
        if not self._selecting:
            self.selectionChangedIds.emit(self.selected_node_ids())

    # ---- snapping

    @property
    def snap_to_grid(self) -> bool:
        return self._snap

    @snap_to_grid.setter
    def snap_to_grid(self, on: bool) -> None:
        self._snap = bool(on)
        for item in self._nodes.values():
            item.snap = self._snap

    def snapped(self, point: QPointF) -> QPointF:
        if not self._snap:
            return QPointF(point)
        return QPointF(round(point.x() / GRID) * GRID, round(point.y() / GRID) * GRID)

    # ---- mirroring the document

    def rebuild(self) -> None:
        """Drop every item and draw the editor's project afresh."""
        self.cancel_wire()
        self._selecting = True
        try:
            self.clear()
        finally:
            self._selecting = False
        self._nodes.clear()
        self._links.clear()
        self.block_index.invalidate()
        self._changed_labels = None
        project = self.editor.project
        self._reals = {}
        if levels.active(self):  # groups: one level at a time (app/canvas/levels.py)
            levels.populate(self)
        else:
            for node in project.nodes.values():
                self._add_node(node)
            for link in project.links:
                self._add_link(link)  # after every block: each wire routes among them all
        self._moved = set()
        self.refresh_report()
        self.selectionChangedIds.emit([])
        self._unprepared = list(reversed(self._nodes))
        self._prepare.start(PREPARE_AFTER_MS)

    def _prepare_texts(self) -> None:
        """Lay out the texts of blocks not drawn up close yet, a time slice at a time."""
        end = time.perf_counter() + PREPARE_SLICE_S
        while self._unprepared and time.perf_counter() < end:
            item = self._nodes.get(self._unprepared.pop())
            if item is not None:
                item.prepare_text()
        if self._unprepared:
            self._prepare.start(0)

    def _replaced(self) -> None:
        levels.set_level(self, None)
        self.rebuild()

    def _on_event(self, event: DocumentEvent) -> None:
        if levels.active(self, event):
            levels.on_event(self, event)
        elif isinstance(event, NodeAdded):
            self._add_node(event.node)
            self._show_report(event.node.id)
        elif isinstance(event, NodeRemoved):
            self._remove_node(event.node.id)
        elif isinstance(event, NodeMoved):
            self._nodes[event.node_id].sync_position(event.new)
            self._moved.add(event.node_id)
            self._relane.start()
        elif isinstance(event, NodeChanged):
            self._nodes[event.new.id].set_node(event.new)
        elif isinstance(event, LinkAdded):
            self._add_link(event.link)
        elif isinstance(event, LinkRemoved):
            self._remove_link(event.link)

    def _add_node(self, node: Node) -> None:
        item = NodeItem(node)
        item.snap = self._snap
        self.addItem(item)
        self._nodes[node.id] = item
        self.block_index.invalidate()

    def _relane_wires(self) -> None:
        """Re-route the wires between rows that a moved block may now be in the way of
        (all of them after a rebuild or a large move)."""
        ids = self._moved
        moved = [self._nodes[i].sceneBoundingRect() for i in ids if i in self._nodes]
        everything = not moved or len(moved) > RELANE_ALL_AFTER
        self._moved = set()
        for link, item in self._links.items():
            if len(ids) == 1 and (link.source in ids or link.target in ids):
                continue  # re-routed already when its block moved, the only one that did
            if everything or any(item.sceneBoundingRect().intersects(rect) for rect in moved):
                item.update_path()

    def _remove_node(self, node_id: str) -> None:
        item = self._nodes.pop(node_id)
        self.block_index.invalidate()
        for link_item in list(item.links):
            self._remove_link(link_item.link)
        if self._wire is not None and self._wire.anchor.node_item is item:
            self.cancel_wire()
        self.removeItem(item)

    def _add_link(self, link: Link) -> None:
        source, target = self._nodes[link.source], self._nodes[link.target]
        port = source.outputs.get(link.source_port)
        item = LinkItem(link, source, target, port.kind if port else "tensor")
        source.links.add(item)
        target.links.add(item)
        self.addItem(item)
        self._links[link] = item
        item.update_path()  # in the scene now: its route may go around blocks
        report = self.editor.report
        if report is not None:
            item.set_label(_carried(report, self._real(link)))

    def _remove_link(self, link: Link) -> None:
        item = self._links.pop(link, None)
        if item is None:
            return
        item.source.links.discard(item)
        item.target.links.discard(item)
        self.removeItem(item)

    # ---- the report: shapes, parameter counts, badges

    def refresh_report(self) -> None:
        """Show the editor's latest report (or "pending" while TensorFlow loads)."""
        report = self.editor.report
        if report is None:
            for item in self._nodes.values():
                item.set_report(None, (), pending=True)
            for link_item in self._links.values():
                link_item.set_label(None)
            return
        issues: dict[str, list[Issue]] = defaultdict(list)
        for issue in report.issues:
            if issue.node_id is not None:
                issues[issue.node_id].append(issue)
        for node_id, item in self._nodes.items():
            shapes = report.shapes.get(node_id)
            item.set_report(shapes, issues.get(node_id, ()), pending=shapes is None)
        for link, link_item in self._links.items():
            link_item.set_label(_carried(report, self._real(link)))
        if self._changed_labels is None and self._spread.isActive():
            self.spread_labels()  # every label changed (a project opened): place them now,
            # while nothing else runs, rather than in the event loop beside the
            # TensorFlow import, which holds the GIL

    def _real(self, link: Link) -> Link:
        """A document link behind a drawn wire (a wire to a group port may stand for
        several)."""
        return self._reals.get(link, (link,))[0]

    def routing_pending(self) -> bool:
        """Whether wires are still to look for lanes or labels to spread (for tests)."""
        return self._relane.isActive() or self._spread.isActive()

    def labels_changed(self, link: Link | None = None) -> None:
        """A wire's path or label changed (None: many did): spread the labels again once
        the burst is over, only those of the wires that changed when they are few."""
        if link is None or self._changed_labels is None:
            self._changed_labels = None
        else:
            self._changed_labels.add(link)
            if len(self._changed_labels) > LABEL_FULL_SPREAD:
                self._changed_labels = None
        self._spread.start()

    def spread_labels(self) -> None:
        """Slide wire labels along their wires until none covers another (wires that run
        back between two rows side by side would stack their labels); a label with no
        free place is left out. Labels are placed in wire order, so each keeps its place
        while nothing around it changes; after a few edits only the changed wires' labels
        are placed again, around the others where they are."""
        cells: dict[tuple[int, int], list[QRectF]] = defaultdict(list)

        def keys(rect: QRectF) -> list[tuple[int, int]]:
            return [(x, y) for x in range(int(rect.left() // LABEL_CELL),
                                          int(rect.right() // LABEL_CELL) + 1)
                    for y in range(int(rect.top() // LABEL_CELL),
                                   int(rect.bottom() // LABEL_CELL) + 1)]

        def is_free(rect: QRectF) -> bool:
            padded = rect.adjusted(-2, -1, 2, 1)
            return not any(padded.intersects(other) for key in keys(rect)
                           for other in cells.get(key, ()))

        self._spread.stop()
        changed, self._changed_labels = self._changed_labels, set()
        if changed is None:
            self._label_rects = {}
            changed = set(self._links)
        else:
            for link, rect in self._label_rects.items():
                if link not in changed and link in self._links:
                    for key in keys(rect):
                        cells[key].append(rect)
        for link in sorted(changed & set(self._links)):
            placed = self._links[link].place_label(is_free)
            self._label_rects.pop(link, None)
            if placed is not None:
                self._label_rects[link] = placed
                for key in keys(placed):
                    cells[key].append(placed)

    def _show_report(self, node_id: str) -> None:
        report = self.editor.report
        shapes = report.shapes.get(node_id) if report is not None else None
        issues = report.for_node(node_id) if shapes is not None else ()
        self._nodes[node_id].set_report(shapes, issues, pending=shapes is None)

    # ---- edits

    def delete_selection(self) -> None:
        """Delete the selected blocks (with their wires) and selected wires: one undo step."""
        node_ids = self.selected_node_ids()
        gone = set(node_ids)
        links = [real for k in self.selected_links() if k.source not in gone and
                 k.target not in gone for real in levels.reals(self, k)]
        if not node_ids and not links:
            return
        stack = self.editor.undo_stack
        macro = bool(node_ids) + len(links) > 1
        if macro:
            stack.beginMacro("Delete")
        try:
            self.editor.remove_nodes(node_ids)
            for link in links:
                self.editor.disconnect(link)
        finally:
            if macro:
                stack.endMacro()

    def _commit_moves(self) -> None:
        """After a drag: one Move command for every block the drag displaced."""
        project = self.editor.project
        moves = {}
        for node_id, item in self._nodes.items():
            new = (item.x(), item.y())
            old = item_position(project, node_id)  # None: a group's boundary
            if old is not None and new != old:
                moves[node_id] = (old, new)
        if moves:
            text = "Move block" if len(moves) == 1 else f"Move {len(moves)} blocks"
            self.editor.move_nodes(moves, text)

    # ---- wires

    def _port_at(self, pos: QPointF, is_output: bool | None = None) -> PortItem | None:
        """The port nearest ``pos`` within grabbing distance (of one side, if given)."""
        found = [i for i in self.items(pos) if isinstance(i, PortItem)
                 and (is_output is None or i.is_output == is_output)]
        if not found:
            return None
        return min(found, key=lambda p: _distance(p.scenePos(), pos))

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if item is not None:
                return item
        return None

    def _begin_wire(self, port: PortItem, pos: QPointF) -> None:
        project = self.editor.project
        anchor, detached = port, None
        if not port.is_output:
            detached = project.link_into(port.node_id, port.name)
            if detached is not None and detached not in self._links:
                detached = None  # drawn as a wire from a group port: start a new one
            if detached is not None:  # re-plug the existing wire from its output
                anchor = self._nodes[detached.source].outputs[detached.source_port]
                self._links[detached].setOpacity(0.25)
        for node_item in self._nodes.values():
            for candidate in node_item.ports():
                if candidate is anchor:
                    continue
                if candidate.is_output == anchor.is_output or not levels.wirable(candidate):
                    candidate.set_state(PortItem.INCOMPATIBLE)
                    continue
                if candidate is port and detached is not None:
                    ok = True
                elif anchor.is_output:  # an occupied input fits too: its wire gives way
                    ok = levels.can_wire(project, anchor.node_id, anchor.name,
                                         candidate.node_id, candidate.name)
                else:
                    ok = levels.can_wire(project, candidate.node_id, candidate.name,
                                         anchor.node_id, anchor.name)
                candidate.set_state(PortItem.COMPATIBLE if ok else PortItem.INCOMPATIBLE)
        item = DragWireItem()
        self.addItem(item)
        self._wire = _WireDrag(anchor, detached, item, QPointF(pos))
        self._drag_wire_to(pos)

    def _wire_target(self, pos: QPointF) -> PortItem | None:
        """Where a wire released at ``pos`` would plug in: the port under the mouse, else the
        first fitting port of the block under the mouse."""
        wire = self._wire
        assert wire is not None
        side = not wire.anchor.is_output
        port = self._port_at(pos, side)
        if port is not None:
            return port
        node_item = self._node_at(pos)
        if node_item is None or (node_item is wire.anchor.node_item and wire.detached is None):
            return None
        ports = list((node_item.outputs if side else node_item.inputs).values())
        fitting = [p for p in ports if p.state != PortItem.INCOMPATIBLE]
        project = self.editor.project
        free = [p for p in fitting if side or project.link_into(p.node_id, p.name) is None]
        return (free or fitting or ports or [None])[0]

    def _drag_wire_to(self, pos: QPointF) -> None:
        wire = self._wire
        assert wire is not None
        target = self._wire_target(pos)
        if target is not wire.target:
            if wire.target is not None and wire.target.state == PortItem.TARGET:
                wire.target.set_state(PortItem.COMPATIBLE)
            if target is not None and target.state == PortItem.COMPATIBLE:
                target.set_state(PortItem.TARGET)
            wire.target = target
        end = target.scenePos() if target is not None and target.state == PortItem.TARGET \
            else pos
        wire.item.set_ends(wire.anchor.scenePos(), end, wire.anchor.is_output)

    def cancel_wire(self) -> None:
        """Forget a wire being dragged (Escape, or the document changed under it)."""
        wire, self._wire = self._wire, None
        if wire is None:
            return
        self.removeItem(wire.item)
        for node_item in self._nodes.values():
            for port in node_item.ports():
                port.set_state(PortItem.NORMAL)
        if wire.detached is not None and wire.detached in self._links:
            self._links[wire.detached].setOpacity(1.0)

    def _finish_wire(self, pos: QPointF) -> None:
        wire = self._wire
        assert wire is not None
        target = self._wire_target(pos)
        press = wire.press
        self.cancel_wire()
        if _distance(pos, press) < CLICK_SLOP:
            return
        detached = wire.detached
        if detached is not None:
            self._replug(detached, target)
            return
        if target is None:
            return
        source, sink = (wire.anchor, target) if wire.anchor.is_output else (target, wire.anchor)
        try:  # dropped on an occupied input, the new wire replaces the old one
            self.editor.wire(source.node_id, source.name, sink.node_id, sink.name)
        except DocumentError as err:
            self.refuse(str(err), target)

    def refuse(self, message: str, port: PortItem | None = None) -> None:
        """Say why an edit was refused, in the status bar and with a flash at the port
        it concerns, where the user is looking."""
        self.statusMessage.emit(message)
        if port is not None:
            port.flash()

    def _replug(self, link: Link, target: PortItem | None) -> None:
        """A wire pulled off its input: dropped on empty canvas it goes; on another input
        it moves there, replacing the wire there if any (one undo step); back on its own
        input nothing changes."""
        if target is None:
            self.editor.disconnect(link)
            return
        if (target.node_id, target.name) == (link.target, link.target_port):
            return
        project = self.editor.project
        try:  # the old wire cannot affect this check: it ends at a different input
            for end in project.port_ends(target.node_id, target.name, "input"):  # a group's
                project.check_link(link.source, link.source_port, *end, replacing=True)
        except DocumentError as err:
            self.refuse(str(err), target)
            return
        stack = self.editor.undo_stack
        stack.beginMacro("Reconnect")
        try:
            self.editor.disconnect(link)
            self.editor.wire(link.source, link.source_port, target.node_id, target.name)
        finally:
            stack.endMacro()

    # ---- mouse

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._wire is None:
            port = self._port_at(event.scenePos())
            if port is not None and levels.wirable(port):
                self._begin_wire(port, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._wire is not None:
            self._drag_wire_to(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._wire is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                self._finish_wire(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._commit_moves()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._port_at(event.scenePos()) is not None:
            event.accept()
            return
        node_item = self._node_at(event.scenePos())
        if node_item is not None and event.button() == Qt.MouseButton.LeftButton:
            self.nodeActivated.emit(node_item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)


def _carried(report, link: Link):
    shapes = report.shapes.get(link.source)
    return shapes.outputs.get(link.source_port) if shapes is not None else None


def _distance(a: QPointF, b: QPointF) -> float:
    d = a - b
    return (d.x() ** 2 + d.y() ** 2) ** 0.5
