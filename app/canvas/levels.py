"""Groups on the canvas: the scene shows one level at a time, and the view remembers how
each level was looked at.

A project with groups, or a scene inside a group, shows ``app.level_model.level_of``: the
level's blocks, its groups as group blocks, the boundary of the group being edited, and one
wire per pair of visible ports. The scene (app/canvas/scene.py) hands such projects' events
here; after each one the items and wires are brought in line with the level (moves take
the quick path). A project without groups never comes here.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, QPointF, Signal

from app.canvas.block_item import NodeItem
from app.canvas.group_item import BOUNDARY_WIDTH, BoundaryItem, GroupItem
from app.canvas.style import GRID, HEADER, NODE_HEIGHT, NODE_MAX_WIDTH, PAD, PORT_SPACING
from app.level_model import IN, OUT, BoundaryFace, Face, GroupFace, level_of, nesting
from projects.document import (
    DocumentError,
    DocumentEvent,
    End,
    GroupAdded,
    GroupChanged,
    GroupRemoved,
    Link,
    NodeMoved,
    Project,
    is_group_id,
)

BOUNDARY_GAP = 160.0  # between the group's boundary items and its blocks
PORT_LINE = HEADER + (NODE_HEIGHT - HEADER) / 2  # a block's single port, from its top


def active(scene, event: DocumentEvent | None = None) -> bool:
    """Whether the scene shows levels: the project has groups, the scene is inside one, or
    the event is about a group (the last one may just have gone)."""
    return (scene.level is not None or bool(scene.editor.project.groups)
            or isinstance(event, GroupAdded | GroupRemoved | GroupChanged))


def set_level(scene, level: str | None) -> None:
    """Show ``level`` next (the caller rebuilds); remembers the groups around it, so that
    when it goes (undo of its grouping) the scene falls back to the nearest one left."""
    scene.level = level
    scene.level_trail = [*scene.editor.project.path(level), level] if level else []


def _current_level(scene) -> str | None:
    """The level to show: the scene's, or the nearest group around it that is left; the
    trail follows groups made or undone around it."""
    groups = scene.editor.project.groups
    if scene.level is not None and scene.level not in groups:
        kept = [g for g in scene.level_trail if g in groups]
        set_level(scene, kept[-1] if kept else None)
    elif scene.level is not None:
        set_level(scene, scene.level)
    return scene.level


def populate(scene) -> None:
    """Add the items and wires of the scene's level (to an empty scene)."""
    project = scene.editor.project
    shown = level_of(project, _current_level(scene))
    _place_boundary(shown.items)
    for face in shown.items.values():
        _add_item(scene, face)
    for link in shown.links:
        scene._add_link(link)
    scene._reals = shown.links


def on_event(scene, event: DocumentEvent) -> None:
    """Follow one document event at the scene's level."""
    if isinstance(event, NodeMoved):
        item = scene._nodes.get(event.node_id)
        if isinstance(item, NodeItem) and not isinstance(item, GroupItem | BoundaryItem):
            item.sync_position(event.new)
            scene._moved.add(event.node_id)
            scene._relane.start()
        return
    if isinstance(event, GroupChanged) and (event.old.title, event.old.parent,
                                             event.old.inputs, event.old.outputs) == (
            event.new.title, event.new.parent, event.new.inputs, event.new.outputs):
        item = scene._nodes.get(event.new.id)
        if isinstance(item, GroupItem):  # only moved
            item.sync_position(event.new.position)
            item.node = replace(item.node, position=event.new.position)
            scene._moved.add(event.new.id)
            scene._relane.start()
        return
    sync(scene)


def sync(scene) -> None:
    """Bring the scene's items and wires in line with its level."""
    level = scene.level
    if _current_level(scene) != level:  # the group shown has gone: show the one around it
        scene.rebuild()
        return
    project = scene.editor.project
    shown = level_of(project, level)
    for item_id, item in list(scene._nodes.items()):
        face = shown.items.get(item_id)
        if face is None or _item_class(face) is not type(item):
            scene._remove_node(item_id)
        elif isinstance(face, BoundaryFace):
            if face != item.node:
                item.set_node(BoundaryFace(face.id, face.title, face.ports,
                                           (item.x(), item.y())))
        elif face != item.node:
            item.set_node(face)
            scene._show_report(item_id)
    new = {i: f for i, f in shown.items.items() if i not in scene._nodes}
    _place_boundary(new, scene)
    for face in new.values():
        _add_item(scene, face)
    for link in list(scene._links):
        if link not in shown.links:
            scene._remove_link(link)
    for link in shown.links:
        if link not in scene._links:
            scene._add_link(link)
    scene._reals = shown.links  # group blocks show the next report (validation follows)


def _item_class(face: Face) -> type:
    if isinstance(face, GroupFace):
        return GroupItem
    if isinstance(face, BoundaryFace):
        return BoundaryItem
    return NodeItem


def _add_item(scene, face: Face) -> None:
    item = _item_class(face)(face)
    item.snap = scene._snap
    scene.addItem(item)
    scene._nodes[face.id] = item
    scene.block_index.invalidate()
    scene._show_report(face.id)


def _place_boundary(items: dict[str, Face], scene=None) -> None:
    """Put the boundary items left and right of the level's blocks, level with them."""
    for side in (IN, OUT):
        face = items.get(side)
        if not isinstance(face, BoundaryFace):
            continue
        spots = [f.position for f in items.values() if not isinstance(f, BoundaryFace)]
        if scene is not None:
            spots += [(i.x(), i.y()) for i in scene._nodes.values()
                      if not isinstance(i, BoundaryItem)]
        if not spots:
            spots = [(0.0, 0.0)]
        left = min(x for x, _ in spots) - BOUNDARY_GAP - BOUNDARY_WIDTH
        right = max(x for x, _ in spots) + NODE_MAX_WIDTH + BOUNDARY_GAP
        # the middle of its ports level with the ports of the middle row's blocks
        middle = (min(y for _, y in spots) + max(y for _, y in spots)) / 2 + PORT_LINE
        height = max(NODE_HEIGHT, HEADER + 2 * PAD + PORT_SPACING * len(face.ports))
        y = middle - (HEADER + (height - HEADER) / 2)
        x = round((left if side == IN else right) / GRID) * GRID
        items[side] = BoundaryFace(face.id, face.title, face.ports, (x, y))


def place_boundary(scene) -> None:
    """Put the boundary items beside the level's blocks again (after an auto-layout)."""
    faces = {side: scene._nodes[side].node for side in (IN, OUT) if side in scene._nodes}
    _place_boundary(faces, scene)
    for side, face in faces.items():
        scene._nodes[side].sync_position(face.position)
        for link in scene._nodes[side].links:
            link.update_path()


# ----------------------------------------------------------------------------- wiring


def wirable(port) -> bool:
    """Whether a wire may start at or end on this port (not a boundary's)."""
    return getattr(port.node_item, "wirable", True)


def can_wire(project: Project, source: str, source_port: str, target: str,
             target_port: str) -> bool:
    """Whether a wire from a visible output to a visible input can be made: from a group
    output's inner end, to every inner end of a group input (an occupied input gives way)."""
    if IN in (source, target) or OUT in (source, target):
        return False
    try:
        (start,) = _ends(project, source, source_port, "output")
        ends = _ends(project, target, target_port, "input")
    except (DocumentError, ValueError):
        return False
    wired = [project.link_into(*end) == Link(*start, *end) for end in ends]
    return not all(wired) and all(
        done or project.can_link(*start, *end, replacing=True)
        for done, end in zip(wired, ends, strict=True))


def _ends(project: Project, item: str, port: str, side: str) -> tuple[End, ...]:
    """As ``Project.port_ends``, from the nesting shared by every port of a drag."""
    if not is_group_id(item):
        return ((item, port),)
    inputs, outputs = nesting(project).ports(item)
    for candidate in inputs if side == "input" else outputs:
        if candidate.name == port:
            return candidate.ends
    raise DocumentError(f"{item} has no {side} port {port!r}")


def reals(scene, link: Link) -> list[Link]:
    """The document links behind a drawn wire."""
    return list(scene._reals.get(link, (link,)))


# ----------------------------------------------------------------------------- navigation


class LevelNavigator(QObject):
    """Which level the canvas shows; entering and leaving groups keeps each level's zoom
    and centre, so going back out shows the outer level as it was left."""

    levelChanged = Signal(object)  # the group id shown now, None for the top level

    def __init__(self, scene, view, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene, self.view = scene, view
        self._views: dict[str | None, tuple[float, QPointF]] = {}
        self._shown: str | None = scene.level
        scene.editor.documentChanged.connect(self._check)
        scene.editor.documentReplaced.connect(self._replaced)

    @property
    def level(self) -> str | None:
        return self.scene.level

    def trail(self) -> list[str]:
        """The groups from the outermost to the one shown (the breadcrumb)."""
        return list(self.scene.level_trail)

    def enter(self, group_id: str) -> None:
        self.go(group_id)

    def up(self) -> bool:
        """Leave the group shown for the level around it; False at the top level."""
        if self.scene.level is None:
            return False
        outer = self.scene.editor.project.parent_of(self.scene.level)
        self.go(outer, select=[self.scene.level])
        return True

    def go(self, level: str | None, select: list[str] | None = None) -> None:
        """Show ``level`` (None: the top), selecting ``select`` there."""
        scene = self.scene
        if level != scene.level:
            self._remember()
            set_level(scene, level)
            scene.rebuild()
            self._arrived()
        if select is not None:
            scene.select_nodes(select)

    def _remember(self) -> None:
        view = self.view
        centre = view.mapToScene(view.viewport().rect().center())
        self._views[self.scene.level] = (view.zoom, QPointF(centre))

    def _arrived(self) -> None:
        """Look at the level as it was left, or fit it on the first visit."""
        self._shown = self.scene.level
        kept = self._views.get(self.scene.level)
        if kept is None:
            self.view.fit_to_view()
        else:
            self.view.set_zoom(kept[0])
            self.view.centerOn(kept[1])
        self.levelChanged.emit(self.scene.level)

    def _check(self, _event: DocumentEvent) -> None:
        if self.scene.level != self._shown:  # the group shown went (undo): now outside it
            self._arrived()
        elif self.scene.level is not None and isinstance(
                _event, GroupAdded | GroupRemoved | GroupChanged):
            self.levelChanged.emit(self.scene.level)  # the trail or a title in it may be new

    def _replaced(self) -> None:
        self._views.clear()
        self._shown = None
        self.levelChanged.emit(None)

