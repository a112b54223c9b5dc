"""Project files (``.deepwire``): deterministic JSON, atomic saves, careful loading.

Loading goes parse → migrate → build and validate (docs/architecture.md, Project files
and migrations). Every problem found is reported with the JSON path it concerns, all at
once, in a :class:`ProjectFileError`. A file is data only: nothing in it is evaluated,
unpickled or imported.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import blocks
from blocks.spec import ParamError
from projects.document import (
    DocumentError,
    Group,
    GroupPort,
    Node,
    Project,
    TrainingSettings,
    check_training,
    node_sort_key,
)

FORMAT = "deepwire-project"
FORMAT_VERSION = 2  # 2: groups
EXTENSION = ".deepwire"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 100  # nesting of lists and objects; deeper data cannot be copied or saved safely

# format_version N -> function turning a version-N document into version N + 1.
FORMAT_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: lambda document: {**document, "groups": []},  # format 1 had no groups
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (a JSON path like ``nodes[3].params.units``)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ProjectFileError(Exception):
    """A project file that cannot be opened; ``problems`` lists every reason found."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"Cannot open {source}:\n{lines}")


class ProjectSaveError(OSError):
    """A save that failed; the file that was on disk before is left as it was."""


# ----------------------------------------------------------------------------- writing


def node_to_dict(node: Node) -> dict[str, Any]:
    """One node as the file writes it (the clipboard's fragments write nodes the same way)."""
    entry: dict[str, Any] = {
        "id": node.id,
        "block": node.block,
        "block_version": node.spec.version,
        "params": {k: _jsonable(v) for k, v in node.params.items()},
        "position": [node.position[0], node.position[1]],
    }
    if node.title:
        entry["title"] = node.title
    if node.group:
        entry["group"] = node.group
    return entry


def group_to_dict(project: Project, group: Group) -> dict[str, Any]:
    """One group as the file writes it, with its ports as they stand."""
    inputs, outputs = project.group_ports(group.id)
    entry: dict[str, Any] = {
        "id": group.id,
        "title": group.title,
        "position": [group.position[0], group.position[1]],
        "inputs": [{"name": p.name, "ends": [list(e) for e in p.ends]} for p in inputs],
        "outputs": [{"name": p.name, "ends": [list(e) for e in p.ends]} for p in outputs],
    }
    if group.parent:
        entry["parent"] = group.parent
    return entry


def to_dict(project: Project) -> dict[str, Any]:
    nodes = [node_to_dict(project.nodes[i]) for i in sorted(project.nodes, key=node_sort_key)]
    links = [
        {"source": [link.source, link.source_port], "target": [link.target, link.target_port]}
        for link in sorted(project.links, key=lambda k: (node_sort_key(k.source), k.source_port,
                                                         node_sort_key(k.target), k.target_port))
    ]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": project.name,
        "nodes": nodes,
        "links": links,
        "groups": [group_to_dict(project, project.groups[g])
                   for g in sorted(project.groups, key=node_sort_key)],
        "task": project.task,
        "dataset": project.dataset,
        "training": {f.name: getattr(project.training, f.name) for f in fields(TrainingSettings)},
        "notes": project.notes,
        "metadata": project.metadata,
    }


def dumps(project: Project) -> str:
    """The file's text: sorted keys and fixed indentation, so saves diff cleanly."""
    return json.dumps(to_dict(project), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def save(project: Project, path: str | os.PathLike[str]) -> None:
    """Write atomically: a temporary file beside ``path``, fsync, then replace.

    If anything fails (a full disk, a read-only folder) the previous file stays intact
    and ProjectSaveError says what happened.
    """
    try:
        data = dumps(project).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as err:  # NaN or a lone surrogate set via the API
        raise ProjectSaveError(f"Cannot save {path}: the project holds a value a project "
                               f"file cannot store ({err}); the file on disk was not "
                               "changed") from err
    atomic_write(Path(path), data)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see either the old or the new file."""
    target = path.resolve()  # through a symlink: replace the file it points to, keep the link
    folder = target.parent
    try:
        fd, temp_name = _create_temp(folder, target.name)
    except OSError as err:
        raise ProjectSaveError(f"Cannot save {path}: {err.strerror or err}") from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(temp_name, target.stat().st_mode & 0o777)
        os.replace(temp_name, target)
    except OSError as err:
        _remove_quietly(temp_name)
        raise ProjectSaveError(f"Cannot save {path}: {err.strerror or err}; "
                               "the file on disk was not changed") from err
    except BaseException:
        _remove_quietly(temp_name)
        raise
    _fsync_folder(folder)


def _create_temp(folder: Path, name: str) -> tuple[int, str]:
    """A new empty file beside ``name``; unlike mkstemp's 0600, its mode follows the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp_name = str(folder / f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp_name, flags, 0o666), temp_name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {folder}")


def _remove_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- reading


def load(path: str | os.PathLike[str]) -> Project:
    """Open a project file; raises ProjectFileError listing every problem found."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProjectFileError(source, [Problem("", f"the file is {size / 2**20:.0f} MB; "
                                                        "project files are at most 64 MB")])
        data = path.read_bytes()
    except OSError as err:
        raise ProjectFileError(source, [Problem("", err.strerror or str(err))]) from err
    return loads(data, source)


def loads(data: bytes | str, source: str = "<text>") -> Project:
    """Parse, migrate, build and validate a project from its file contents."""
    document = _parse(data, source)
    document = _migrate(document, source)
    return _build(document, source)


def _parse(data: bytes | str, source: str) -> dict[str, Any]:
    document = parse_json_object(data, source)
    if document.get("format") != FORMAT:
        raise ProjectFileError(source, [Problem(
            "format", f"this is not a Deepwire project (expected \"format\": \"{FORMAT}\")")])
    problems = _check_values(document)
    if problems:
        raise ProjectFileError(source, problems)
    return document


def parse_json_object(data: bytes | str, source: str) -> dict[str, Any]:
    """UTF-8 JSON text holding an object, parsed without evaluating anything (NaN and
    Infinity refused); shared by project files and block files (projects/library.py)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ProjectFileError(source, [Problem(
                "", f"the file is not UTF-8 text (bad byte at position {err.start})")]) from None
    else:
        text = data

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        document = json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as err:
        raise ProjectFileError(source, [Problem(
            "", f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}")]) from None
    except (ValueError, RecursionError) as err:
        raise ProjectFileError(source, [Problem("", f"not valid JSON: {err}")]) from None
    if not isinstance(document, dict):
        raise ProjectFileError(source, [Problem("", "the file must hold a JSON object")])
    return document


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_values(document: dict[str, Any]) -> list[Problem]:
    """Values JSON parses but a project cannot hold: numbers beyond a float's range (1e400
    parses as infinity and cannot be saved again), unpaired surrogate escapes (not
    Unicode, cannot be written as UTF-8), and nesting deeper than MAX_DEPTH."""
    problems: list[Problem] = []

    def walk(value: Any, where: str, depth: int) -> bool:  # True: stop (too deep)
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                top = re.split(r"[.\[ ]", where, maxsplit=1)[0]
                problems.append(Problem(top, f"lists and objects nest more than {MAX_DEPTH} "
                                             "levels deep"))
                return True
            for key, item in (value.items() if isinstance(value, dict)
                              else enumerate(value)):
                if isinstance(key, str):
                    if _SURROGATE.search(key):
                        problems.append(Problem(where, f"the key {_short(key)} is not valid "
                                                       "Unicode text (an unpaired surrogate)"))
                    inner = f"{where}.{key}" if where else key
                else:
                    inner = f"{where}[{key}]"
                    if where == "nodes" and isinstance(item, dict) \
                            and isinstance(item.get("id"), str):
                        inner += f" ({item['id']})"
                if walk(item, inner, depth + 1):
                    return True
        elif isinstance(value, str):
            if _SURROGATE.search(value):
                problems.append(Problem(where, "is not valid Unicode text (it holds an unpaired "
                                               "surrogate escape such as \\ud800)"))
        elif isinstance(value, float):
            if not math.isfinite(value):
                problems.append(Problem(where, "the number is too large (numbers must be "
                                               "within ±1.8e308)"))
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:
                problems.append(Problem(where, "the number is too large (numbers must be "
                                               "within ±1.8e308)"))
        return False

    walk(document, "", 1)
    return problems


def _migrate(document: dict[str, Any], source: str) -> dict[str, Any]:
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectFileError(source, [Problem(
            "format_version", f"must be a positive whole number. Received: {version!r}")])
    if version > FORMAT_VERSION:
        raise ProjectFileError(source, [Problem(
            "format_version", f"the file was written by a newer Deepwire (format version "
            f"{version}; this one reads up to {FORMAT_VERSION}). Update Deepwire to open it.")])
    while version < FORMAT_VERSION:
        document = FORMAT_MIGRATIONS[version](document)
        version += 1
        document["format_version"] = version
    return document


class _Checker:
    """Collects problems with their JSON paths while the project is rebuilt."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def expect(self, value: Any, kind: type | tuple[type, ...], where: str, what: str) -> bool:
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float))
        if not ok:
            self.add(where, f"must be {what}. Received: {_short(value)}")
        return ok


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if _is_json(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


_KNOWN_KEYS = {"format", "format_version", "name", "nodes", "links", "groups", "task",
               "dataset", "training", "notes", "metadata"}


def _build(document: dict[str, Any], source: str) -> Project:
    check = _Checker()
    for key in sorted(set(document) - _KNOWN_KEYS):
        check.add(key, "unknown key (misspelt, or from a newer Deepwire?)")

    project = Project()
    name = document.get("name", "Untitled")
    if check.expect(name, str, "name", "text"):
        try:
            project.check_setting("name", name)
            project.name = name
        except DocumentError:
            check.add("name", "must not be empty")

    _read_settings(document, project, check)
    groups = _read_groups(document.get("groups", []), project, check)
    _read_nodes(document.get("nodes", []), project, check)
    _read_links(document.get("links", []), project, check)
    _check_group_ports(groups, project, check)
    if check.problems:
        raise ProjectFileError(source, check.problems)
    project.revision = 0
    return project


def _read_settings(document: dict[str, Any], project: Project, check: _Checker) -> None:
    task = document.get("task", {"kind": "supervised"})
    if check.expect(task, dict, "task", "an object"):
        try:
            project.check_setting("task", task)
            project.task = task
        except DocumentError as err:
            check.add(err.setting or "task", err.reason)
    dataset = document.get("dataset", {})
    if check.expect(dataset, dict, "dataset", "an object"):
        project.dataset = dataset
    metadata = document.get("metadata", {})
    if check.expect(metadata, dict, "metadata", "an object"):
        project.metadata = metadata
    notes = document.get("notes", "")
    if check.expect(notes, str, "notes", "text"):
        project.notes = notes
    training = document.get("training", {})
    if not check.expect(training, dict, "training", "an object"):
        return
    known = {f.name for f in fields(TrainingSettings)}
    for key in sorted(set(training) - known):
        check.add(f"training.{key}", "unknown training setting")
    values = {k: v for k, v in training.items() if k in known}
    valid = True
    for key in sorted(values):  # one setting at a time, so every problem is reported
        try:
            check_training(TrainingSettings(**{key: values[key]}))
        except DocumentError as err:
            check.add(err.setting or f"training.{key}", err.reason)
            valid = False
    if valid:
        project.training = TrainingSettings(**values)


class NodeEntryError(ValueError):
    """A node entry that cannot be read; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def node_from_dict(entry: Any, where: str = "node") -> Node:
    """One node entry, as a file or a clipboard fragment holds it, checked, upgraded to its
    block's current version and with every parameter resolved. Raises NodeEntryError."""
    check = _Checker()
    node = _read_node(entry, where, check, None)
    if node is None or check.problems:
        raise NodeEntryError(check.problems)
    return node


def _read_nodes(nodes: Any, project: Project, check: _Checker) -> None:
    if not check.expect(nodes, list, "nodes", "a list"):
        return
    unknown: dict[str, list[str]] = {}
    for index, entry in enumerate(nodes):
        node = _read_node(entry, f"nodes[{index}]", check, unknown)
        if node is None:
            continue
        if node.group is not None and node.group not in project.groups:
            check.add(f"nodes[{index}] ({node.id}).group", f"refers to group {node.group!r}, "
                                                          "which is not in the project")
            continue
        try:
            project.add_node(node.block, node.params, node.position, node.title, node.id,
                             node.group)
        except DocumentError as err:
            check.add(f"nodes[{index}] ({node.id}).id", str(err))
    for block, ids in sorted(unknown.items()):
        check.add("nodes", f"unknown block type {block!r} (used by {', '.join(ids)}); "
                           "it may come from a newer Deepwire")


def _read_node(entry: Any, where: str, check: _Checker,
               unknown: dict[str, list[str]] | None) -> Node | None:
    """The node ``entry`` describes, or None after adding its problems to ``check``.

    An unknown block type goes to ``unknown`` (block -> node ids) when given, so a file
    names each missing type once; otherwise it is a problem of its own.
    """
    if not check.expect(entry, dict, where, "an object"):
        return None
    for key in sorted(set(entry) - {"id", "block", "block_version", "params", "position",
                                    "title", "group"}):
        check.add(f"{where}.{key}", "unknown key")
    node_id, block = entry.get("id"), entry.get("block")
    if not check.expect(node_id, str, f"{where}.id", "text like \"n1\""):
        return None
    where = f"{where} ({node_id})"
    if not check.expect(block, str, f"{where}.block", "a block type id"):
        return None
    if not blocks.has(block):
        if unknown is None:
            check.add(f"{where}.block", f"unknown block type {block!r}; it may come from a "
                                        "newer Deepwire")
        else:
            unknown.setdefault(block, []).append(node_id)
        return None
    spec = blocks.get(block)
    version = entry.get("block_version", spec.version)
    params = entry.get("params", {})
    position = entry.get("position", [0, 0])
    title = entry.get("title")
    group = entry.get("group")
    if not check.expect(version, int, f"{where}.block_version", "a whole number"):
        return None
    if group is not None and not check.expect(group, str, f"{where}.group", "a group id"):
        return None
    if not check.expect(params, dict, f"{where}.params", "an object"):
        return None
    if title is not None and not check.expect(title, str, f"{where}.title", "text"):
        return None
    if not _checked_position(position, where, check):
        return None
    try:
        params = spec.upgrade(version, params)
    except (ValueError, KeyError, TypeError) as err:
        check.add(f"{where}.block_version", str(err))
        return None
    try:
        resolved = spec.resolve(params)
    except ParamError as err:
        check.add(f"{where}.params.{err.param}", str(err))
        return None
    except (ValueError, TypeError) as err:  # a spec's own check failing unexpectedly
        check.add(f"{where}.params", f"cannot be read: {err}")
        return None
    return Node(node_id, block, resolved, (float(position[0]), float(position[1])), title,
                group)


def _checked_position(position: Any, where: str, check: _Checker) -> bool:
    """Whether ``position`` is [x, y] a block or group can stand at; if not, says so."""
    if (isinstance(position, list) and len(position) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool)
                    and math.isfinite(v) and abs(v) < 1e9 for v in position)):
        return True
    check.add(f"{where}.position", f"must be [x, y] with finite numbers. "
                                   f"Received: {_short(position)}")
    return False


def _read_groups(entries: Any, project: Project, check: _Checker) -> dict[str, str]:
    """Add the groups, parents first; returns where each was found, for port problems."""
    if not check.expect(entries, list, "groups", "a list"):
        return {}
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for index, entry in enumerate(entries):
        where = f"groups[{index}]"
        if not check.expect(entry, dict, where, "an object"):
            continue
        group_id = entry.get("id")
        if not check.expect(group_id, str, f"{where}.id", "text like \"g1\""):
            continue
        where = f"{where} ({group_id})"
        for key in sorted(set(entry) - {"id", "title", "parent", "position", "inputs",
                                        "outputs"}):
            check.add(f"{where}.{key}", "unknown key")
        if group_id in found:
            check.add(f"{where}.id", f"a group with id {group_id!r} already exists")
            continue
        found[group_id] = (where, entry)
    added: dict[str, str] = {}
    pending = dict(found)
    while pending:  # parents before children; what is left at the end has no way in
        ready = [g for g, (_, e) in pending.items()
                 if e.get("parent") is None or e.get("parent") in added]
        if not ready:
            for where, entry in pending.values():
                check.add(f"{where}.parent", f"refers to group {entry.get('parent')!r}, "
                                             "which is not in the project (or is inside "
                                             "this one)")
            break
        for group_id in ready:
            where, entry = pending.pop(group_id)
            group = _read_group(group_id, entry, where, check)
            if group is None:
                continue
            try:
                project.add_group(group)
                added[group_id] = where
            except DocumentError as err:
                check.add(where, str(err))
    return added


def _read_group(group_id: str, entry: dict[str, Any], where: str,
                check: _Checker) -> Group | None:
    title, parent = entry.get("title"), entry.get("parent")
    position = entry.get("position", [0, 0])
    if not check.expect(title, str, f"{where}.title", "text"):
        return None
    if parent is not None and not check.expect(parent, str, f"{where}.parent", "a group id"):
        return None
    if not _checked_position(position, where, check):
        return None
    sides = []
    for side in ("inputs", "outputs"):
        ports = entry.get(side, [])
        if not check.expect(ports, list, f"{where}.{side}", "a list"):
            return None
        read = []
        for index, port in enumerate(ports):
            at = f"{where}.{side}[{index}]"
            if not check.expect(port, dict, at, "an object"):
                return None
            name, ends = port.get("name"), port.get("ends")
            if not check.expect(name, str, f"{at}.name", "text"):
                return None
            if not (isinstance(ends, list) and ends and all(
                    isinstance(e, list) and len(e) == 2 and all(isinstance(v, str) for v in e)
                    for e in ends)):
                check.add(f"{at}.ends", f"must be a list of [block id, port name]. "
                                        f"Received: {_short(ends)}")
                return None
            read.append(GroupPort(name, tuple((e[0], e[1]) for e in ends)))
        sides.append(tuple(read))
    return Group(group_id, title, parent, (float(position[0]), float(position[1])), *sides)


def _check_group_ports(groups: dict[str, str], project: Project, check: _Checker) -> None:
    """Every port end names a block inside its group and a port that block has."""
    nodes = project.nodes
    for group_id, where in groups.items():
        group, inside = project.group(group_id), project.leaves(group_id)
        for side, ports in (("inputs", group.inputs), ("outputs", group.outputs)):
            for index, port in enumerate(ports):
                for node_id, name in port.ends:
                    at = f"{where}.{side}[{index}].ends"
                    if node_id not in inside:
                        check.add(at, f"refers to block {node_id!r}, which is not in the "
                                      "group")
                        continue
                    node = nodes[node_id]
                    have = node.input_ports() if side == "inputs" else node.output_ports()
                    if name not in {p.name for p in have}:
                        check.add(at, f"{node.label} has no {side[:-1]} port {name!r}")


def _read_links(links: Any, project: Project, check: _Checker) -> None:
    if not check.expect(links, list, "links", "a list"):
        return
    known = project.nodes
    for index, entry in enumerate(links):
        where = f"links[{index}]"
        if not check.expect(entry, dict, where, "an object"):
            continue
        ends = []
        for side in ("source", "target"):
            end = entry.get(side)
            if not (isinstance(end, list) and len(end) == 2
                    and all(isinstance(v, str) for v in end)):
                check.add(f"{where}.{side}", f"must be [block id, port name]. "
                                             f"Received: {_short(end)}")
                break
            if end[0] not in known:
                check.add(f"{where}.{side}", f"refers to block {end[0]!r}, which is not in "
                                             "the project")
                break
            ends.append(end)
        else:
            try:
                project.add_link(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
            except DocumentError as err:
                check.add(where, str(err))
