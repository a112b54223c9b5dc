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

ROW = 140.0  # how far below a wire an inserted block goes (as the editor places blocks)


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
class SetSetting:
    what: str  # "dataset", "task", ...
    value: Any


Edit = SetParams | AddNode | RemoveNode | AddLink | RemoveLink | SetSetting


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
    """Put a new ``block`` on the wire ``link``, halfway between its two ends."""
    import blocks

    spec = blocks.get(block)
    source, target = project.node(link.source), project.node(link.target)
    x = (source.position[0] + target.position[0]) / 2
    y = max(source.position[1], target.position[1]) + ROW
    while any(abs(n.position[0] - x) < 180 and abs(n.position[1] - y) < 110
              for n in project.nodes.values()):  # below the wire, clear of other blocks
        y += ROW
    position = (x, y)
    node = Node(project.next_node_id(), block, spec.resolve(params), position)
    port_in = node.input_ports()[0].name
    port_out = node.output_ports()[0].name
    return Fix(title, (RemoveLink(link), AddNode(node),
                       AddLink(Link(link.source, link.source_port, node.id, port_in)),
                       AddLink(Link(node.id, port_out, link.target, link.target_port))))


def set_dataset(value: dict[str, Any], title: str) -> Fix:
    return Fix(title, (SetSetting("dataset", value),))
