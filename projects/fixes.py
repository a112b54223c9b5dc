"""One-click repairs for problems whose fix is obvious (docs/architecture.md, GUI model
and views).

Validation attaches a :class:`Fix` to an :class:`~projects.validation.Issue` when one
repair clearly clears it. A fix is plain data: a title for the button and the document
edits it makes, with every node id decided up front, so applying it twice (redo) does the
same. :func:`apply_edits` makes the edits through the document's methods and returns the
edits that undo them; the app wraps that in one undo command, and tests and the CLI use
:func:`apply_fix` directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from projects.document import DocumentError, Link, Node, Project


@dataclass(frozen=True)
class SetParams:
    node_id: str
    params: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class AddNode:
    node: Node


@dataclass(frozen=True)
class RemoveNode:
    node_id: str


@dataclass(frozen=True)
class AddLink:
    link: Link


@dataclass(frozen=True)
class RemoveLink:
    link: Link


@dataclass(frozen=True)
class MoveNode:
    node_id: str
    position: tuple[float, float]


@dataclass(frozen=True)
class SetSetting:
    what: str  # "dataset", "task", ...
    value: Any


Edit = SetParams | AddNode | RemoveNode | AddLink | RemoveLink | MoveNode | SetSetting


@dataclass(frozen=True, eq=False)
class Fix:
    """A repair: ``title`` says what it does ("Insert GlobalAveragePooling1D before
    'Dense (n3)'"), ``edits`` are the document edits, in order."""

    title: str
    edits: tuple[Edit, ...]


_SETTERS = {"name": Project.set_name, "task": Project.set_task,
            "dataset": Project.set_dataset, "notes": Project.set_notes}


def _apply(project: Project, edit: Edit) -> Edit:
    """Make one edit; return the edit that undoes it."""
    if isinstance(edit, SetParams):
        old = project.node(edit.node_id).params
        project.set_params(edit.node_id, dict(edit.params))
        return SetParams(edit.node_id, tuple((k, old[k]) for k, _ in edit.params))
    if isinstance(edit, AddNode):
        project.add_nodes_and_links([edit.node], [])
        return RemoveNode(edit.node.id)
    if isinstance(edit, RemoveNode):
        node = project.node(edit.node_id)
        project.remove_node(edit.node_id)
        return AddNode(node)
    if isinstance(edit, AddLink):
        link = edit.link
        project.add_link(link.source, link.source_port, link.target, link.target_port)
        return RemoveLink(link)
    if isinstance(edit, RemoveLink):
        project.remove_link(edit.link)
        return AddLink(edit.link)
    if isinstance(edit, MoveNode):
        old_position = project.node(edit.node_id).position
        project.move_node(edit.node_id, edit.position)
        return MoveNode(edit.node_id, old_position)
    old_value = getattr(project, edit.what)
    _SETTERS[edit.what](project, edit.value)
    return SetSetting(edit.what, old_value)


def apply_edits(project: Project, edits: Iterable[Edit]) -> tuple[Edit, ...]:
    """Make ``edits`` in order and return the edits that undo them all. If one is refused
    (the document changed since the fix was planned), the ones made are undone and the
    DocumentError is raised: a fix applies whole or not at all."""
    undo: list[Edit] = []
    try:
        for edit in edits:
            undo.insert(0, _apply(project, edit))
    except (DocumentError, KeyError):
        for edit in undo:
            _apply(project, edit)
        raise
    return tuple(undo)


def apply_fix(project: Project, fix: Fix) -> tuple[Edit, ...]:
    """Apply ``fix`` to ``project``; returns the edits that undo it."""
    return apply_edits(project, fix.edits)


# ----------------------------------------------------------------------------- planning


def set_param(project: Project, node_id: str, name: str, value: Any, title: str) -> Fix:
    return Fix(title, (SetParams(node_id, ((name, value),)),))


def insert_on_link(project: Project, link: Link, block: str, params: dict[str, Any],
                   title: str) -> Fix:
    """Put a new ``block`` on the wire ``link``, in line with it: in the gap between its
    two ends when there is room, else where the target was, with the target and every
    block at or right of it moved one column right (as inserting a column), so the wires
    still run forward instead of looping back to a block placed below."""
    import blocks
    from projects.layout import DEFAULT_SIZE, GAP_X

    spec = blocks.get(block)
    source, target = project.node(link.source), project.node(link.target)
    column = DEFAULT_SIZE[0] + GAP_X
    moves: list[Edit] = []
    if target.position[0] - source.position[0] >= 2 * column:
        position = ((source.position[0] + target.position[0]) / 2, target.position[1])
    else:
        position = (max(target.position[0], source.position[0] + column), target.position[1])
        shift = position[0] + column - target.position[0]
        moves = [MoveNode(n.id, (n.position[0] + shift, n.position[1]))
                 for n in project.nodes.values() if n.position[0] >= target.position[0]
                 and n.id != source.id]
    node = Node(project.next_node_id(), block, spec.resolve(params), position)
    port_in = node.input_ports()[0].name
    port_out = node.output_ports()[0].name
    return Fix(title, (*moves, RemoveLink(link), AddNode(node),
                       AddLink(Link(link.source, link.source_port, node.id, port_in)),
                       AddLink(Link(node.id, port_out, link.target, link.target_port))))


def set_dataset(value: dict[str, Any], title: str) -> Fix:
    return Fix(title, (SetSetting("dataset", value),))
