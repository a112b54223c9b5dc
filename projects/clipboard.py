"""Copy and paste of blocks and groups: a selection as a small JSON fragment, pasted with
new ids.

Qt-free so the same fragments serve the GUI clipboard, tests and future front ends. A
fragment writes and reads its nodes as a project file does (``projects.files``), so a
block copied from an older project is upgraded on paste exactly as on opening.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from projects import files
from projects.document import Group, GroupPort, Link, Node, Project, is_group_id, node_sort_key

FRAGMENT_FORMAT = "deepwire-fragment"
MIME_TYPE = "application/x-deepwire-fragment"  # copied blocks: a fragment, UTF-8 JSON
BLOCK_MIME_TYPE = "application/x-deepwire-block"  # a palette drag: one block id, UTF-8


class FragmentError(ValueError):
    """Clipboard contents that are not a Deepwire fragment."""


def copy_fragment(project: Project, node_ids: Iterable[str]) -> str:
    """The selected blocks and groups, with every block and group inside those groups, and
    the links among them, as JSON text. What was selected has no group in the fragment
    (it is pasted into whichever level the paste goes to)."""
    chosen = set(node_ids)
    groups = {g for g in chosen if is_group_id(g)}
    groups |= {g for g in project.groups if any(o in groups for o in project.path(g))}
    ids = {i for i in chosen if not is_group_id(i)}
    for group_id in groups:
        ids |= project.leaves(group_id)
    nodes = project.nodes
    entries = []
    for node_id in sorted(ids, key=node_sort_key):
        entry = files.node_to_dict(nodes[node_id])
        if entry.get("group") not in groups:
            entry.pop("group", None)
        entries.append(entry)
    group_entries = []
    for group_id in sorted(groups, key=node_sort_key):
        entry = files.group_to_dict(project, project.group(group_id))
        if entry.get("parent") not in groups:
            entry.pop("parent", None)
        group_entries.append(entry)
    data = {
        "format": FRAGMENT_FORMAT,
        "nodes": entries,
        "links": [[link.source, link.source_port, link.target, link.target_port]
                  for link in project.links if link.source in ids and link.target in ids],
    }
    if group_entries:
        data["groups"] = group_entries
    return json.dumps(data, sort_keys=True)


@dataclass
class Paste:
    """What a paste adds: ``groups`` outer ones first, and ``outer`` the ids of the blocks
    and groups that land at the level pasted into (what to select)."""

    nodes: list[Node]
    links: list[Link]
    groups: list[Group]
    outer: list[str]


def paste_plan(project: Project, text: str, offset: tuple[float, float] = (40.0, 40.0)
               ) -> tuple[list[Node], list[Link]]:
    """The nodes and links a paste at the top level would add (see :func:`paste_fragment`)."""
    plan = paste_fragment(project, text, offset)
    return plan.nodes, plan.links


def paste_fragment(project: Project, text: str, offset: tuple[float, float] = (40.0, 40.0),
                   group: str | None = None) -> Paste:
    """What a paste into ``group`` (None: the top level) would add: fresh ids, the
    fragment's outer blocks and groups shifted by ``offset`` and placed in ``group``.

    Nothing is changed; the caller adds them (as one undoable command).
    """
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as err:
        raise FragmentError("The clipboard does not hold Deepwire blocks") from err
    if not isinstance(data, dict) or data.get("format") != FRAGMENT_FORMAT:
        raise FragmentError("The clipboard does not hold Deepwire blocks")
    next_number = int(project.next_node_id()[1:])
    next_group = int(project.next_group_id()[1:])
    renamed: dict[str, str] = {}
    nodes: list[Node] = []
    groups: list[Group] = []
    outer: list[str] = []
    try:
        found = [_group_from_dict(e) for e in data.get("groups", [])]
        for old in found:
            renamed[old.id] = f"g{next_group}"
            next_group += 1
        for index, entry in enumerate(data["nodes"]):
            node = files.node_from_dict(entry, f"nodes[{index}]")
            new_id = f"n{next_number}"
            next_number += 1
            renamed[node.id] = new_id
            position, parent = node.position, renamed.get(node.group) if node.group else None
            if node.group is None:
                position, parent = _shifted(position, offset), group
                outer.append(new_id)
            nodes.append(replace(node, id=new_id, position=position, group=parent))
        for old in _parents_first(found):
            ports = [tuple(GroupPort(p.name, tuple((renamed[n], q) for n, q in p.ends))
                           for p in side) for side in (old.inputs, old.outputs)]
            position, parent = old.position, renamed[old.parent] if old.parent else None
            if old.parent is None:
                position, parent = _shifted(position, offset), group
                outer.append(renamed[old.id])
            groups.append(Group(renamed[old.id], old.title, parent, position, *ports))
        links = [Link(renamed[s], sp, renamed[t], tp) for s, sp, t, tp in data["links"]]
    except files.NodeEntryError as err:
        raise FragmentError(f"The copied blocks cannot be pasted: {err.problems[0]}") from err
    except (KeyError, TypeError, ValueError) as err:
        raise FragmentError(f"The copied blocks cannot be pasted: {err}") from err
    return Paste(nodes, links, groups, sorted(outer, key=node_sort_key))


def _shifted(position: tuple[float, float], offset: tuple[float, float]
             ) -> tuple[float, float]:
    return position[0] + offset[0], position[1] + offset[1]


def _group_from_dict(entry: Any) -> Group:
    """A group entry as the file writes it (``files.group_to_dict``)."""
    def ports(side: str) -> tuple[GroupPort, ...]:
        return tuple(GroupPort(str(p["name"]), tuple((str(n), str(q)) for n, q in p["ends"]))
                     for p in entry.get(side, []))

    x, y = entry.get("position", [0.0, 0.0])
    return Group(str(entry["id"]), str(entry["title"]), entry.get("parent"),
                 (float(x), float(y)), ports("inputs"), ports("outputs"))


def _parents_first(groups: list[Group]) -> list[Group]:
    ordered: list[Group] = []
    placed: set[str | None] = {None}
    pending = list(groups)
    while pending:
        ready = [g for g in pending if g.parent in placed]
        if not ready:
            raise ValueError("a group's parent is not in the fragment")
        for group in ready:
            ordered.append(group)
            placed.add(group.id)
            pending.remove(group)
    return ordered


def fragment_items(text: str) -> list[dict[str, Any]]:
    """The entries of a fragment's outer blocks and groups (where a paste lands them),
    empty if it is not one."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    entries = [*data.get("nodes", []), *data.get("groups", [])]
    return [e for e in entries if isinstance(e, dict)
            and e.get("group") is None and e.get("parent") is None]


def fragment_nodes(text: str) -> list[dict[str, Any]]:
    """The node entries of a fragment (for previews); empty if it is not one."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return []
    return data.get("nodes", []) if isinstance(data, dict) else []
