"""Copy and paste of blocks: a selection as a small JSON fragment, pasted with new ids.

Qt-free so the same fragments serve the GUI clipboard, tests and future front ends. A
fragment writes and reads its nodes as a project file does (``projects.files``), so a
block copied from an older project is upgraded on paste exactly as on opening.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from projects import files
from projects.document import Link, Node, Project, node_sort_key

FRAGMENT_FORMAT = "deepwire-fragment"
MIME_TYPE = "application/x-deepwire-fragment"  # copied blocks: a fragment, UTF-8 JSON
BLOCK_MIME_TYPE = "application/x-deepwire-block"  # a palette drag: one block id, UTF-8


class FragmentError(ValueError):
    """Clipboard contents that are not a Deepwire fragment."""


def copy_fragment(project: Project, node_ids: Iterable[str]) -> str:
    """The selected blocks and the links among them, as JSON text."""
    ids = sorted(set(node_ids), key=node_sort_key)
    nodes = project.nodes
    chosen = set(ids)
    data = {
        "format": FRAGMENT_FORMAT,
        "nodes": [files.node_to_dict(nodes[i]) for i in ids],
        "links": [[link.source, link.source_port, link.target, link.target_port]
                  for link in project.links if link.source in chosen and link.target in chosen],
    }
    return json.dumps(data, sort_keys=True)


def paste_plan(project: Project, text: str, offset: tuple[float, float] = (40.0, 40.0)
               ) -> tuple[list[Node], list[Link]]:
    """The nodes and links a paste would add: fresh ids, positions shifted by ``offset``.

    Nothing is changed; the caller adds them (as one undoable command).
    """
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as err:
        raise FragmentError("The clipboard does not hold Deepwire blocks") from err
    if not isinstance(data, dict) or data.get("format") != FRAGMENT_FORMAT:
        raise FragmentError("The clipboard does not hold Deepwire blocks")
    next_number = int(project.next_node_id()[1:])
    renamed: dict[str, str] = {}
    nodes: list[Node] = []
    try:
        for index, entry in enumerate(data["nodes"]):
            node = files.node_from_dict(entry, f"nodes[{index}]")
            new_id = f"n{next_number}"
            next_number += 1
            renamed[node.id] = new_id
            x, y = node.position
            nodes.append(replace(node, id=new_id, position=(x + offset[0], y + offset[1])))
        links = [Link(renamed[s], sp, renamed[t], tp) for s, sp, t, tp in data["links"]]
    except files.NodeEntryError as err:
        raise FragmentError(f"The copied blocks cannot be pasted: {err.problems[0]}") from err
    except (KeyError, TypeError, ValueError) as err:
        raise FragmentError(f"The copied blocks cannot be pasted: {err}") from err
    return nodes, links


def fragment_nodes(text: str) -> list[dict[str, Any]]:
    """The node entries of a fragment (for previews); empty if it is not one."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return []
    return data.get("nodes", []) if isinstance(data, dict) else []
