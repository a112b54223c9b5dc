"""What one level of a grouped project shows: its blocks, its groups as single blocks, the
boundary of the group being edited, and the wires between them.

Qt-free, so the canvas (app/canvas/levels.py) and the editor (auto-layout of a level) read
the same answer. Links stay between blocks in the document (docs/architecture.md, Groups);
a level draws each link between the items that stand for its two blocks there: a block
inside a group stands for the group's port whose ends hold it, a link wholly inside a group
is not drawn, and links that land on the same pair of ports are drawn once.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from blocks.spec import Port
from projects.document import (
    End,
    GroupPort,
    Link,
    Node,
    Project,
    is_group_id,
    item_in_chain,
    live_ports,
)

IN, OUT = "<in>", "<out>"  # the boundary items of the group being edited


@dataclass(frozen=True)
class GroupFace:
    """A group as its block on the canvas shows it."""

    id: str
    title: str
    position: tuple[float, float]
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    blocks: int  # the blocks inside it, at any depth


@dataclass(frozen=True)
class BoundaryFace:
    """The inputs (left) or outputs (right) of the group being edited, seen from inside:
    the inputs' ports are outputs into the group, the outputs' ports inputs from it."""

    id: str
    title: str
    ports: tuple[Port, ...]
    position: tuple[float, float] = field(default=(0.0, 0.0), compare=False)


Face = Node | GroupFace | BoundaryFace


@dataclass
class Level:
    """The items a level shows by id, and each drawn wire with the links behind it."""

    items: dict[str, Face]
    links: dict[Link, list[Link]]


def _kind(project: Project, end: End, side: str) -> str:
    node = project.node(end[0])
    ports = node.input_ports() if side == "input" else node.output_ports()
    return next((p.kind for p in ports if p.name == end[1]), "tensor")


def face_ports(project: Project, ports: tuple[GroupPort, ...], side: str
               ) -> tuple[Port, ...]:
    """Group ports as block ports: the kind of their inner port, and where they lead."""
    made = []
    for port in ports:
        verb = "feeds" if side == "input" else "comes from"
        ends = ", ".join(f"{project.node(n).label} '{p}'" for n, p in port.ends)
        made.append(Port(port.name, _kind(project, port.ends[0], side), f"{verb} {ends}"))
    return tuple(made)


class Nesting:
    """Every block's chain of groups, and every group's blocks, from one pass over the
    blocks (asking the document group by group costs a pass per group, per event)."""

    def __init__(self, project: Project) -> None:
        self.project = weakref.proxy(project)  # the cache below keeps no project alive
        self.chains = {n: [*project.path(n), n] for n in project.nodes}
        self.leaves: dict[str, set[str]] = {}
        for node_id, chain in self.chains.items():
            for group_id in chain[:-1]:
                self.leaves.setdefault(group_id, set()).add(node_id)

    def item_at(self, node_id: str, level: str | None) -> str | None:
        """As ``Project.item_at``."""
        return item_in_chain(self.chains[node_id], level)

    def ports(self, group_id: str) -> tuple[tuple[GroupPort, ...], tuple[GroupPort, ...]]:
        """As ``Project.group_ports``: ends outside the group now are left out."""
        return live_ports(self.project.group(group_id), self.leaves.get(group_id, set()))

    def face(self, group_id: str) -> GroupFace:
        group, project = self.project.group(group_id), self.project
        inputs, outputs = self.ports(group_id)
        return GroupFace(group.id, group.title, group.position,
                         face_ports(project, inputs, "input"),
                         face_ports(project, outputs, "output"),
                         len(self.leaves.get(group_id, ())))


_last: list[tuple[weakref.ref[Project], int, Nesting]] = []


def nesting(project: Project) -> Nesting:
    """The project's nesting as it stands (made again only after a change)."""
    if _last and _last[0][0]() is project and _last[0][1] == project.revision:
        return _last[0][2]
    made = Nesting(project)
    _last[:] = [(weakref.ref(project), project.revision, made)]
    return made


def level_of(project: Project, level: str | None) -> Level:
    """Everything ``level`` (a group id, None for the top) shows."""
    nesting_ = nesting(project)
    items: dict[str, Face] = {}
    into: dict[End, tuple[str, str]] = {}  # an inner input end -> (group, port) at level
    out_of: dict[End, tuple[str, str]] = {}
    for member in project.members(level):
        if not is_group_id(member):
            items[member] = project.node(member)
            continue
        items[member] = nesting_.face(member)
        inputs, outputs = nesting_.ports(member)
        for port in inputs:
            for end in port.ends:
                into[end] = (member, port.name)
        for port in outputs:
            out_of[port.ends[0]] = (member, port.name)
    entering: dict[End, str] = {}  # an inner input end -> the boundary input feeding it
    leaving: dict[End, str] = {}
    if level is not None:
        inputs, outputs = nesting_.ports(level)
        items[IN] = BoundaryFace(IN, "Inputs", face_ports(project, inputs, "input"))
        items[OUT] = BoundaryFace(OUT, "Outputs", face_ports(project, outputs, "output"))
        for port in inputs:
            for end in port.ends:
                entering.setdefault(end, port.name)
        for port in outputs:
            leaving.setdefault(port.ends[0], port.name)
    links: dict[Link, list[Link]] = {}
    for link in project.links:
        source = nesting_.item_at(link.source, level)
        target = nesting_.item_at(link.target, level)
        if source == target:
            continue  # outside this level, or wholly inside one of its groups
        source_end = (link.source, link.source_port)
        target_end = (link.target, link.target_port)
        src = _side(source, source_end, out_of, (IN, entering.get(target_end)))
        dst = _side(target, target_end, into, (OUT, leaving.get(source_end)))
        if src is not None and dst is not None:
            links.setdefault(Link(*src, *dst), []).append(link)
    return Level(items, links)


def _side(item: str | None, end: End, ports: dict[End, tuple[str, str]],
          boundary: tuple[str, str | None]) -> tuple[str, str] | None:
    """One end of a drawn wire: the block's own port, the port of the group around it, or
    (outside the group being edited) the boundary's port; None when none stands for it."""
    if item is None:
        return boundary if boundary[1] is not None else None
    if is_group_id(item):
        hit = ports.get(end)
        return hit if hit is not None and hit[0] == item else None
    return end


def item_position(project: Project, item: str) -> tuple[float, float] | None:
    """Where the document keeps a canvas item, None for the boundary items."""
    if is_group_id(item):
        return project.group(item).position
    if item in (IN, OUT):
        return None
    return project.node(item).position
