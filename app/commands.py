"""Undo commands: each edit is one QUndoCommand that calls document methods only.

Following Orange's canvas, a command holds just enough to apply and revert an edit; the
scene and panels never change in a command, they follow the document's events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand

from projects.document import (
    Group,
    Link,
    Node,
    Project,
    TrainingSettings,
    is_group_id,
    node_sort_key,
)
from projects.fixes import Edit, Fix, apply_edits, apply_fix
from projects.library import Placement

MERGE_PARAM = 1001  # consecutive edits of one parameter of one block merge into one command


class AddNodesCommand(QUndoCommand):
    """Adds blocks and links among them (a new block, a paste, a duplicate), and the
    groups they sit in when a paste brings groups (outer ones first)."""

    def __init__(self, project: Project, nodes: list[Node], links: list[Link], text: str,
                 groups: list[Group] | None = None) -> None:
        super().__init__(text)
        self.project, self.nodes, self.links = project, nodes, links
        self.groups = list(groups or ())

    def redo(self) -> None:
        for group in self.groups:
            self.project.add_group(group)
        self.project.add_nodes_and_links(self.nodes, self.links)

    def undo(self) -> None:
        for node in reversed(self.nodes):
            self.project.remove_node(node.id)
        for group in reversed(self.groups):
            self.project.remove_group(group.id)


class RemoveNodesCommand(QUndoCommand):
    """Removes blocks with every link that touches them; undo puts all of it back. A group
    among them goes with every block and group inside it, its record kept for undo."""

    def __init__(self, project: Project, node_ids: list[str], text: str = "Delete") -> None:
        super().__init__(text)
        self.project = project
        groups = [i for i in node_ids if is_group_id(i)]
        blocks = [i for i in node_ids if not is_group_id(i)]
        inside = set().union(*(project.leaves(g) for g in groups)) - set(blocks)
        ids = set(blocks) | inside
        self.nodes = [project.node(i) for i in [*blocks, *sorted(inside, key=node_sort_key)]]
        inner = {g for g in project.groups
                 if g in groups or any(o in groups for o in project.path(g))}
        # outer groups first, so undo adds each parent before its children
        self.groups = [project.group(g) for g in sorted(
            inner, key=lambda g: (len(project.path(g)), node_sort_key(g)))]
        self.links = [k for k in project.links if k.source in ids or k.target in ids]

    def redo(self) -> None:
        for node in self.nodes:
            self.project.remove_node(node.id)
        for group in reversed(self.groups):
            self.project.remove_group(group.id)

    def undo(self) -> None:
        for group in self.groups:
            self.project.add_group(group)
        self.project.add_nodes_and_links(self.nodes, self.links)


class MoveNodesCommand(QUndoCommand):
    """Moves several blocks at once: a drag of a selection, or an auto-layout."""

    def __init__(self, project: Project, moves: Mapping[str, tuple[tuple[float, float],
                                                                  tuple[float, float]]],
                 text: str = "Move") -> None:
        super().__init__(text)
        self.project, self.moves = project, dict(moves)

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            _move(self.project, node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            _move(self.project, node_id, old)


def _move(project: Project, item: str, position: tuple[float, float]) -> None:
    """Move a block or a group block."""
    if is_group_id(item):
        project.update_group(item, position=position)
    else:
        project.move_node(item, position)


class AddLinkCommand(QUndoCommand):
    def __init__(self, project: Project, link: Link) -> None:
        super().__init__("Connect")
        self.project, self.link = project, link

    def redo(self) -> None:
        link = self.link
        self.project.add_link(link.source, link.source_port, link.target, link.target_port)

    def undo(self) -> None:
        self.project.remove_link(self.link)


class RemoveLinkCommand(QUndoCommand):
    def __init__(self, project: Project, link: Link) -> None:
        super().__init__("Disconnect")
        self.project, self.link = project, link

    def redo(self) -> None:
        self.project.remove_link(self.link)

    def undo(self) -> None:
        link = self.link
        self.project.add_link(link.source, link.source_port, link.target, link.target_port)


class ReplaceLinkCommand(QUndoCommand):
    """A wire dropped on an occupied input: the old wire gives way, as one step."""

    def __init__(self, project: Project, old: Link, new: Link) -> None:
        super().__init__("Replace wire")
        self.project, self.old, self.new = project, old, new

    def redo(self) -> None:
        self.project.remove_link(self.old)
        new = self.new
        self.project.add_link(new.source, new.source_port, new.target, new.target_port)

    def undo(self) -> None:
        self.project.remove_link(self.new)
        old = self.old
        self.project.add_link(old.source, old.source_port, old.target, old.target_port)


class SetParamCommand(QUndoCommand):
    """One parameter of one block; typing into a field edits it many times, as one undo."""

    def __init__(self, project: Project, node_id: str, name: str, value: Any) -> None:
        node = project.node(node_id)
        super().__init__(f"Change {node.spec.param(name).name} of {node.label}")
        self.project, self.node_id, self.name = project, node_id, name
        self.old, self.new = node.params[name], value

    def id(self) -> int:
        return MERGE_PARAM

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamCommand) or (other.node_id, other.name) != (
                self.node_id, self.name):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.project.set_params(self.node_id, {self.name: self.new})

    def undo(self) -> None:
        self.project.set_params(self.node_id, {self.name: self.old})


class SetTitleCommand(QUndoCommand):
    def __init__(self, project: Project, node_id: str, title: str | None) -> None:
        super().__init__("Rename block")
        self.project, self.node_id = project, node_id
        self.old, self.new = project.node(node_id).title, title

    def redo(self) -> None:
        self.project.set_title(self.node_id, self.new)

    def undo(self) -> None:
        self.project.set_title(self.node_id, self.old)


_SETTERS = {
    "name": ("name", Project.set_name),
    "task": ("task", Project.set_task),
    "dataset": ("dataset", Project.set_dataset),
    "training": ("training", Project.set_training),
    "notes": ("notes", Project.set_notes),
}


class SetSettingCommand(QUndoCommand):
    """A project setting: name, task, dataset, training settings or notes."""

    def __init__(self, project: Project, what: str,
                 value: str | dict | TrainingSettings) -> None:
        super().__init__(f"Change {what}")
        attribute, self.setter = _SETTERS[what]
        self.project, self.what = project, what
        self.old, self.new = getattr(project, attribute), value

    def id(self) -> int:
        return MERGE_PARAM + 1 + list(_SETTERS).index(self.what)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetSettingCommand) or other.what != self.what:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.setter(self.project, self.new)

    def undo(self) -> None:
        self.setter(self.project, self.old)


class FixCommand(QUndoCommand):
    """A one-click fix: its document edits as one undo step (projects.fixes)."""

    def __init__(self, project: Project, fix: Fix) -> None:
        super().__init__(fix.title)
        self.project, self.fix = project, fix
        self.undo_edits: tuple[Edit, ...] = ()

    def redo(self) -> None:
        self.undo_edits = apply_fix(self.project, self.fix)

    def undo(self) -> None:
        apply_edits(self.project, self.undo_edits)


class GroupCommand(QUndoCommand):
    """Blocks and groups of one level become one group (``Project.group_items``)."""

    def __init__(self, project: Project, items: list[str], title: str, group_id: str
                 ) -> None:
        super().__init__(f"Group {len(items)} items")
        self.project, self.items, self.title, self.group_id = project, items, title, group_id

    def redo(self) -> None:
        group = self.project.group_items(self.items, self.title, self.group_id)
        # where its top-left member was: that place is free now, the centre may not be
        spots = [self.project.group(i).position if is_group_id(i)
                 else self.project.node(i).position for i in self.items]
        corner = min(spots, key=lambda p: (p[1], p[0]))
        if corner != group.position:
            self.project.update_group(self.group_id, position=corner)

    def undo(self) -> None:
        self.project.ungroup(self.group_id)


class UngroupCommand(QUndoCommand):
    """A group's members go back to its level; undo restores its record exactly (ports
    included) and moves them in again."""

    def __init__(self, project: Project, group_id: str) -> None:
        super().__init__(f"Ungroup {project.group(group_id).title}")
        self.project, self.group = project, project.group(group_id)
        self.members = project.members(group_id)

    def redo(self) -> None:
        self.project.ungroup(self.group.id)

    def undo(self) -> None:
        self.project.add_group(self.group)
        for item in self.members:
            self.project.set_parent(item, self.group.id)


class RenameGroupCommand(QUndoCommand):
    def __init__(self, project: Project, group_id: str, title: str) -> None:
        super().__init__("Rename group")
        self.project, self.group_id = project, group_id
        self.old, self.new = project.group(group_id).title, title

    def redo(self) -> None:
        self.project.update_group(self.group_id, title=self.new)

    def undo(self) -> None:
        self.project.update_group(self.group_id, title=self.old)


class PlaceLibraryBlockCommand(QUndoCommand):
    """A block from the library placed as a copy: its groups, blocks and inner links, as
    one step (projects.library.Placement)."""

    def __init__(self, project: Project, placement: Placement, text: str) -> None:
        super().__init__(text)
        self.project, self.placement = project, placement

    def redo(self) -> None:
        self.placement.apply(self.project)

    def undo(self) -> None:
        self.placement.remove(self.project)
