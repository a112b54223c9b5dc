"""My blocks: groups saved as block files, listed in the palette and placed as copies.

A library entry is a self-contained fragment: one top group with its blocks, the links
among them and the groups nested in it, written in the project file's own forms (nodes by
``files.node_to_dict``, groups by ``files.group_to_dict``, links as the clipboard's
fragment lists them). A block file (``.deepwire-block``) is small versioned JSON::

    {"format": "deepwire-block", "format_version": 1, "title": ..., "doc": ...,
     "fragment": {"format": "deepwire-fragment", "nodes": [...], "links": [...],
                  "groups": [...]}}

It is read with the care of a project file (docs/architecture.md, Project files and
migrations): the fragment is rebuilt by the project reader itself, so every problem comes
with its path, nothing is evaluated, unknown block types are refused by name and blocks of
older versions migrate through their specs. Placing an entry copies it into a project with
fresh ids (``place``): nothing in the project refers back to the library, so a project file
stays self-contained. The user's entries live in ``user_data_dir()/blocks``, one file each;
built-in templates are block files shipped with Deepwire and placed the same way.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from projects import files
from projects.clipboard import FRAGMENT_FORMAT
from projects.document import Group, GroupPort, Link, Node, Project, node_sort_key
from projects.user_folders import user_data_dir

FORMAT = "deepwire-block"
FORMAT_VERSION = 1
EXTENSION = ".deepwire-block"
MAX_FILE_BYTES = 4 * 1024 * 1024
# A block file's fragment holds nodes, links and groups in the forms of this version of
# the project file, so a later project format migrates them as it migrates projects.
_FRAGMENT_PROJECT_VERSION = {1: 2}
_KEYS = {"format", "format_version", "title", "doc", "fragment"}


class BlockFileError(files.ProjectFileError):
    """A block file that cannot be read; ``problems`` lists every reason with its path."""


@dataclass(frozen=True, eq=False)
class LibraryEntry:
    """One block of the library: a title, what it is for, and its fragment as a small
    project holding one top group (ids n1…, g1…, the group at (0, 0))."""

    title: str
    doc: str
    fragment: Project = field(repr=False)
    path: Path | None = None  # its file, once it has one
    template: bool = False  # shipped with Deepwire: placed, exported, never deleted

    @property
    def group(self) -> Group:
        """The top group: what a placed copy shows as one block."""
        return next(g for g in self.fragment.groups.values() if g.parent is None)

    @property
    def ports(self) -> tuple[list[str], list[str]]:
        """The names of its input and output ports."""
        inputs, outputs = self.fragment.group_ports(self.group.id)
        return [p.name for p in inputs], [p.name for p in outputs]

    @property
    def block_count(self) -> int:
        return len(self.fragment.nodes)


@dataclass(frozen=True)
class Placement:
    """What placing an entry adds to a project: its groups (parents first), blocks and
    links, with fresh ids. Applying and removing it are the two halves of one undo step."""

    groups: tuple[Group, ...]
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]

    @property
    def group_id(self) -> str:
        return self.groups[0].id

    def apply(self, project: Project) -> None:
        for group in self.groups:
            project.add_group(group)
        project.add_nodes_and_links(self.nodes, self.links)

    def remove(self, project: Project) -> None:
        for node in reversed(self.nodes):
            project.remove_node(node.id)
        for group in reversed(self.groups):
            project.remove_group(group.id)


# ----------------------------------------------------------------------------- copying


def copy_plan(source: Project, group_id: str, target: Project, position: tuple[float, float],
              level: str | None = None) -> Placement:
    """A copy of ``group_id`` (its blocks, inner links and nested groups) for ``target``:
    ids follow the target's, the top group sits at ``position`` in ``level`` and its
    contents keep their places relative to it. Links crossing the group stay behind."""
    top = source.group(group_id)
    inner = sorted((g for g in source.groups if group_id in source.path(g)),
                   key=lambda g: (len(source.path(g)), node_sort_key(g)))
    leaves = sorted(source.leaves(group_id), key=node_sort_key)
    first_node, first_group = int(target.next_node_id()[1:]), int(target.next_group_id()[1:])
    node_ids = {old: f"n{first_node + i}" for i, old in enumerate(leaves)}
    group_ids = {old: f"g{first_group + i}" for i, old in enumerate([group_id, *inner])}
    dx, dy = position[0] - top.position[0], position[1] - top.position[1]

    def moved(point: tuple[float, float]) -> tuple[float, float]:
        return (round(point[0] + dx, 2), round(point[1] + dy, 2))

    def renamed(ports: tuple[GroupPort, ...]) -> tuple[GroupPort, ...]:
        return tuple(replace(p, ends=tuple((node_ids[n], name) for n, name in p.ends))
                     for p in ports)

    groups = []
    for old in [group_id, *inner]:
        group = source.group(old)
        inputs, outputs = source.group_ports(old)
        parent = level if old == group_id else group_ids[group.parent]
        groups.append(Group(group_ids[old], group.title, parent, moved(group.position),
                            renamed(inputs), renamed(outputs)))
    nodes = source.nodes
    chosen = set(leaves)
    return Placement(
        tuple(groups),
        tuple(replace(nodes[n], id=node_ids[n], group=group_ids[nodes[n].group],
                      position=moved(nodes[n].position)) for n in leaves),
        tuple(Link(node_ids[k.source], k.source_port, node_ids[k.target], k.target_port)
              for k in source.links if k.source in chosen and k.target in chosen),
    )


def place(project: Project, entry: LibraryEntry, position: tuple[float, float],
          level: str | None = None) -> str:
    """Copy ``entry`` into ``project`` as a new group at ``position`` in ``level`` (None:
    the top level), with fresh ids; returns the new group's id."""
    placement = copy_plan(entry.fragment, entry.group.id, project, position, level)
    placement.apply(project)
    return placement.group_id


def entry_from_group(project: Project, group_id: str, title: str | None = None,
                     doc: str = "") -> LibraryEntry:
    """A library entry holding a copy of a project's group (titled after it by default)."""
    fragment = Project(name="fragment")
    copy_plan(project, group_id, fragment, (0.0, 0.0)).apply(fragment)
    fragment.revision = 0
    title = (title or "").strip() or project.group(group_id).title
    return LibraryEntry(title, doc, fragment)


# ----------------------------------------------------------------------------- writing


def fragment_to_dict(fragment: Project) -> dict[str, Any]:
    """The fragment as a block file holds it: the clipboard fragment's form, with groups."""
    whole = files.to_dict(fragment)
    return {
        "format": FRAGMENT_FORMAT,
        "nodes": whole["nodes"],
        "links": [[*link["source"], *link["target"]] for link in whole["links"]],
        "groups": whole["groups"],
    }


def dumps(entry: LibraryEntry) -> str:
    """The block file's text: sorted keys and fixed indentation, as project files."""
    document = {"format": FORMAT, "format_version": FORMAT_VERSION, "title": entry.title,
                "doc": entry.doc, "fragment": fragment_to_dict(entry.fragment)}
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def save(entry: LibraryEntry, path: str | os.PathLike[str]) -> None:
    """Write a block file atomically (raises files.ProjectSaveError on failure)."""
    try:
        data = dumps(entry).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as err:
        raise files.ProjectSaveError(f"Cannot save {path}: the block holds a value a file "
                                     f"cannot store ({err})") from err
    files.atomic_write(Path(path), data)


# ----------------------------------------------------------------------------- reading


def load(path: str | os.PathLike[str], *, template: bool = False) -> LibraryEntry:
    """Read a block file; raises BlockFileError listing every problem found."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BlockFileError(str(path), [files.Problem(
                "", f"the file is {size / 2**20:.0f} MB; block files are at most 4 MB")])
        data = path.read_bytes()
    except OSError as err:
        raise BlockFileError(str(path), [files.Problem("", err.strerror or str(err))]) from err
    return replace(loads(data, str(path)), path=path, template=template)


def loads(data: bytes | str, source: str = "<text>") -> LibraryEntry:
    """Parse and check a block file's contents, rebuilding its fragment with the project
    reader (block migrations, refusals of unknown blocks, ports and links checked)."""
    try:
        document = files.parse_json_object(data, source)
    except files.ProjectFileError as err:
        raise BlockFileError(source, err.problems) from None
    problems: list[files.Problem] = []

    def refuse(where: str, message: str) -> BlockFileError:
        return BlockFileError(source, [*problems, files.Problem(where, message)])

    if document.get("format") != FORMAT:
        raise refuse("format", f"this is not a Deepwire block file (expected \"format\": "
                               f"\"{FORMAT}\")")
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise refuse("format_version", f"must be a positive whole number. "
                                       f"Received: {version!r}")
    if version > FORMAT_VERSION:
        raise refuse("format_version", f"the file was written by a newer Deepwire (block "
                     f"format {version}; this one reads up to {FORMAT_VERSION}). Update "
                     "Deepwire to use it.")
    for key in sorted(set(document) - _KEYS):
        problems.append(files.Problem(key, "unknown key (misspelt, or from a newer Deepwire?)"))
    title, doc = document.get("title"), document.get("doc", "")
    for key, value in (("title", title), ("doc", doc)):
        if not isinstance(value, str) or not _is_text(value):
            problems.append(files.Problem(key, "must be text"))
    if isinstance(title, str) and not title.strip():
        problems.append(files.Problem("title", "must not be empty"))
    fragment = _read_fragment(document.get("fragment"), version, source, problems)
    if problems or fragment is None:
        raise BlockFileError(source, problems)
    return LibraryEntry(title.strip(), doc, fragment)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate escape
        return False
    return True


def _read_fragment(fragment: Any, version: int, source: str,
                   problems: list[files.Problem]) -> Project | None:
    """The fragment as a small project, or None after adding its problems."""
    if not isinstance(fragment, dict):
        problems.append(files.Problem("fragment", "must be an object with nodes, links and "
                                                  "groups"))
        return None
    for key in sorted(set(fragment) - {"format", "nodes", "links", "groups"}):
        problems.append(files.Problem(f"fragment.{key}", "unknown key"))
    if fragment.get("format", FRAGMENT_FORMAT) != FRAGMENT_FORMAT:
        problems.append(files.Problem("fragment.format", f"must be {FRAGMENT_FORMAT!r}"))
    links = fragment.get("links", [])
    if not isinstance(links, list):
        problems.append(files.Problem("fragment.links", "must be a list"))
        return None
    as_files = []
    for index, link in enumerate(links):
        if not (isinstance(link, list) and len(link) == 4
                and all(isinstance(v, str) for v in link)):
            problems.append(files.Problem(f"fragment.links[{index}]", "must be [source block, "
                                          "output port, target block, input port]"))
            return None
        as_files.append({"source": link[:2], "target": link[2:]})
    project_document = {"format": files.FORMAT,
                        "format_version": _FRAGMENT_PROJECT_VERSION[version],
                        "name": "fragment", "nodes": fragment.get("nodes", []),
                        "links": as_files, "groups": fragment.get("groups", [])}
    try:
        project = files.loads(json.dumps(project_document), source)
    except files.ProjectFileError as err:
        problems.extend(files.Problem(f"fragment.{p.where}" if p.where else "fragment",
                                      p.message) for p in err.problems)
        return None
    tops = sorted((g for g in project.groups.values() if g.parent is None),
                  key=lambda g: node_sort_key(g.id))
    loose = sorted((n for n in project.nodes.values() if n.group is None),
                   key=lambda n: node_sort_key(n.id))
    if len(tops) != 1:
        problems.append(files.Problem("fragment.groups", f"must hold exactly one top group "
                                      f"(one without a parent). Received: {len(tops)}"))
    if loose:
        problems.append(files.Problem("fragment.nodes", "every block must sit in a group; "
                                      f"not: {', '.join(n.id for n in loose)}"))
    if not project.nodes:
        problems.append(files.Problem("fragment.nodes", "the block holds no blocks"))
    if problems:
        return None
    project.revision = 0
    return project


# ----------------------------------------------------------------------------- the folder


def library_dir() -> Path:
    """Where the user's blocks live: one block file each."""
    return user_data_dir() / "blocks"


def read_folder(folder: Path, *, template: bool = False
                ) -> tuple[list[LibraryEntry], list[BlockFileError]]:
    """Every block file in ``folder``, sorted by title, and the files that cannot be read
    (reported, not hidden). A missing folder is an empty library."""
    entries: list[LibraryEntry] = []
    broken: list[BlockFileError] = []
    paths = sorted(folder.glob(f"*{EXTENSION}")) if folder.is_dir() else []
    for path in paths:
        try:
            entries.append(load(path, template=template))
        except BlockFileError as err:
            broken.append(err)
    entries.sort(key=lambda e: (e.title.lower(), str(e.path)))
    return entries, broken


def file_name(title: str) -> str:
    """The file a block titled ``title`` is kept in: its title with the characters that
    file systems refuse replaced."""
    stem = re.sub(r"[^\w\- ]+", "_", title.strip()).strip(" ._") or "block"
    return f"{stem[:80]}{EXTENSION}"


def add(entry: LibraryEntry, *, overwrite: bool = False,
        folder: Path | None = None) -> LibraryEntry:
    """Keep ``entry`` in the library (a copy that is no template); FileExistsError when a
    block already has its file name and ``overwrite`` is not set, so nothing is replaced
    silently. Returns the entry with its new path."""
    folder = folder or library_dir()
    path = folder / file_name(entry.title)
    if path.exists() and not overwrite:
        raise FileExistsError(f"My blocks already holds a block named {entry.title!r}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise files.ProjectSaveError(f"Cannot create {folder}: {err.strerror or err}") from err
    save(entry, path)
    return replace(entry, path=path, template=False)


def delete(entry: LibraryEntry) -> None:
    """Remove a user block's file (templates are part of Deepwire and stay)."""
    if entry.template or entry.path is None:
        raise ValueError(f"{entry.title} is a template of Deepwire and cannot be deleted")
    entry.path.unlink(missing_ok=True)
