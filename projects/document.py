"""The project document: blocks, links between their ports, and the project's settings.

The document is the single source of truth that every view mirrors (docs/architecture.md,
GUI model and views): it checks each edit, applies it, and then tells its subscribers what
changed. Links that can never be valid (wrong kind, occupied input, a cycle) are refused
here with typed errors; problems that depend on shapes or the task are reported by
validation instead.
"""

from __future__ import annotations

import copy
import re
import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

import blocks
from blocks.spec import BlockSpec, ParamError, Port

TASK_KINDS: tuple[str, ...] = ("supervised", "node_classification", "adversarial")
TASK_TITLES: dict[str, str] = {  # how the inspector and the CLI name each kind
    "supervised": "Supervised",
    "node_classification": "Node classification",
    "adversarial": "Adversarial (GAN)",
}
_NODE_ID = re.compile(r"^n([1-9][0-9]{0,8})\Z")  # \Z: "$" would accept "n1\n"
_GROUP_ID = re.compile(r"^g([1-9][0-9]{0,8})\Z")


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Node:
    """One placed block. ``params`` holds every parameter, defaults included."""

    id: str
    block: str
    params: Mapping[str, Any]
    position: tuple[float, float] = (0.0, 0.0)
    title: str | None = None
    group: str | None = None  # the group it sits in directly; None: the top level

    @property
    def spec(self) -> BlockSpec:
        return blocks.get(self.block)

    @property
    def label(self) -> str:
        """How messages name this node: its title, or the block's title, and its id."""
        return f"{self.title or self.spec.title} ({self.id})"

    def input_ports(self) -> tuple[Port, ...]:
        return self.spec.input_ports(self.params)

    def output_ports(self) -> tuple[Port, ...]:
        return self.spec.output_ports()


@dataclass(frozen=True, order=True)
class Link:
    """A wire from an output port to an input port."""

    source: str
    source_port: str
    target: str
    target_port: str


End = tuple[str, str]  # (block id, port name)


@dataclass(frozen=True)
class GroupPort:
    """A port of a group block. An input leads to one or more inner input ports (the
    ``ends``, fed together by the wire into it); an output comes from one inner output port.
    Ends always name blocks, never nested groups, so links stay between blocks."""

    name: str
    ends: tuple[End, ...]


@dataclass(frozen=True)
class Group:
    """Blocks (and groups) shown as one block. Membership lives on the members
    (``Node.group``, ``Group.parent``); links stay between blocks, so the compiler, shape
    inference and validation see the same flat graph with or without groups."""

    id: str
    title: str
    parent: str | None = None
    position: tuple[float, float] = (0.0, 0.0)
    inputs: tuple[GroupPort, ...] = ()
    outputs: tuple[GroupPort, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.title} ({self.id})"


@dataclass(frozen=True)
class TrainingSettings:
    """How a project trains. Files written before a setting existed read as its default,
    which is how training went before it.

    ``weight_decay`` None keeps the optimizer's own default (0.004 for AdamW, none for the
    others), so projects saved before the setting train as they did. ``monitor`` is the
    figure that early stopping and reduce-on-plateau watch.
    """

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    seed: int = 0
    validation_split: float = 0.2
    test_split: float = 0.1  # held back from training; a dataset's own test part wins
    weight_decay: float | None = None
    early_stopping: bool = False
    early_stopping_patience: int = 10
    restore_best_weights: bool = True
    monitor: str = "val_loss"
    reduce_lr_on_plateau: bool = False
    reduce_lr_patience: int = 5
    reduce_lr_factor: float = 0.1


OPTIMIZERS: tuple[str, ...] = ("adam", "adamw", "sgd", "rmsprop")
# What early stopping and reduce-on-plateau may watch: Keras's names in the fit logs.
MONITORS: tuple[str, ...] = ("val_loss", "val_accuracy", "loss", "accuracy")


# ----------------------------------------------------------------------------- errors


class DocumentError(ValueError):
    """An edit the document refuses; the message says what and which blocks.

    A refused project setting is also named as data: ``setting`` is its path in the
    project file ("task.kind", "training.epochs") and ``reason`` the message without it,
    so a reader that reports problems by path never trims or searches the message.
    """

    def __init__(self, message: str, *, setting: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        self.reason = message if reason is None else reason


def _setting_error(setting: str, reason: str) -> DocumentError:
    """The refusal of a setting: its path in words, then why ("training epochs must …")."""
    return DocumentError(f"{setting.replace('.', ' ')} {reason}", setting=setting,
                         reason=reason)


class UnknownNodeError(DocumentError):
    pass


class UnknownPortError(DocumentError):
    pass


class LinkError(DocumentError):
    """A link that can never be valid."""


class KindMismatchError(LinkError):
    pass


class InputOccupiedError(LinkError):
    pass


class CycleError(LinkError):
    pass


class DuplicateLinkError(LinkError):
    pass


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class NodeAdded:
    node: Node


@dataclass(frozen=True)
class NodeRemoved:
    node: Node


@dataclass(frozen=True)
class NodeMoved:
    node_id: str
    old: tuple[float, float]
    new: tuple[float, float]


@dataclass(frozen=True)
class NodeChanged:
    """Parameters or title changed."""

    old: Node
    new: Node


@dataclass(frozen=True)
class LinkAdded:
    link: Link


@dataclass(frozen=True)
class LinkRemoved:
    link: Link


@dataclass(frozen=True)
class GroupAdded:
    group: Group


@dataclass(frozen=True)
class GroupRemoved:
    group: Group


@dataclass(frozen=True)
class GroupChanged:
    """Title, position, ports or parent changed."""

    old: Group
    new: Group


@dataclass(frozen=True)
class SettingsChanged:
    """``what`` is one of name, task, dataset, training, notes, metadata."""

    what: str


DocumentEvent = NodeAdded | NodeRemoved | NodeMoved | NodeChanged | LinkAdded | LinkRemoved | (
    GroupAdded | GroupRemoved | GroupChanged | SettingsChanged
)
Listener = Callable[[DocumentEvent], None]


# ----------------------------------------------------------------------------- project


@dataclass
class Project:
    """A Deepwire project: the graph of blocks plus task, dataset and training settings."""

    name: str = "Untitled"
    task: dict[str, Any] = field(default_factory=lambda: {"kind": "supervised"})
    dataset: dict[str, Any] = field(default_factory=dict)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    notes: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._groups: dict[str, Group] = {}
        self._links: set[Link] = set()
        self._into: dict[tuple[str, str], Link] = {}  # (target, port) -> its one link
        self._graph = nx.MultiDiGraph()
        self._listeners: list[Listener] = []
        self.revision = 0  # bumped on every change; views and caches compare it

    # ---- observing

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, event: DocumentEvent) -> None:
        self.revision += 1
        for listener in list(self._listeners):
            listener(event)

    # ---- reading

    @property
    def nodes(self) -> dict[str, Node]:
        """Nodes by id (a copy: edit through the document's methods)."""
        return dict(self._nodes)

    @property
    def links(self) -> list[Link]:
        return sorted(self._links)

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise UnknownNodeError(f"There is no block with id {node_id!r}") from None

    def graph(self) -> nx.MultiDiGraph:
        """A read-only view of the block graph (nodes are ids, edges carry ports)."""
        return self._graph.copy(as_view=True)

    def links_into(self, node_id: str) -> list[Link]:
        return sorted(key for _, _, key in self._graph.in_edges(node_id, keys=True))

    def links_out_of(self, node_id: str) -> list[Link]:
        return sorted(key for _, _, key in self._graph.out_edges(node_id, keys=True))

    def link_into(self, node_id: str, port: str) -> Link | None:
        return self._into.get((node_id, port))

    def next_node_id(self) -> str:
        numbers = [int(m.group(1)) for m in map(_NODE_ID.match, self._nodes) if m]
        return f"n{max(numbers, default=0) + 1}"

    # ---- editing nodes

    def add_node(
        self,
        block: str,
        params: Mapping[str, Any] | None = None,
        position: tuple[float, float] = (0.0, 0.0),
        title: str | None = None,
        node_id: str | None = None,
        group: str | None = None,
    ) -> Node:
        """Place a block, inside ``group`` if given; ``params`` may be partial (defaults
        fill the rest)."""
        spec = blocks.get(block)
        if group is not None:
            self.group(group)
        if node_id is None:  # an empty id is refused below, not silently replaced
            node_id = self.next_node_id()
        if not _NODE_ID.match(node_id):
            raise DocumentError(f"Block ids look like 'n12'. Received: {node_id!r}")
        if node_id in self._nodes:
            raise DocumentError(f"A block with id {node_id!r} already exists")
        try:
            resolved = spec.resolve(params or {})
        except ParamError as err:
            raise DocumentError(f"{spec.title}: {err}") from err
        title = (title or "").strip() or None  # as set_title does: no blank labels
        node = Node(node_id, block, resolved, _position(position), title, group)
        self._nodes[node_id] = node
        self._graph.add_node(node_id)
        self._emit(NodeAdded(node))
        return node

    def remove_node(self, node_id: str) -> list[Link]:
        """Remove a block and its links; returns the removed links (for undo)."""
        node = self.node(node_id)
        removed = sorted({*self.links_into(node_id), *self.links_out_of(node_id)})
        for link in removed:
            self.remove_link(link)
        del self._nodes[node_id]
        self._graph.remove_node(node_id)
        self._emit(NodeRemoved(node))
        return removed

    def move_node(self, node_id: str, position: tuple[float, float]) -> None:
        node = self.node(node_id)
        new = _position(position)
        if new == node.position:
            return
        self._nodes[node_id] = replace(node, position=new)
        self._emit(NodeMoved(node_id, node.position, new))

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> Node:
        """Change some parameters of a block (validated against its spec).

        Links into input ports that the new parameters remove (a merge block given fewer
        inputs) are refused rather than silently dropped.
        """
        node = self.node(node_id)
        new = self.check_params(node_id, params)
        if new.params == node.params:
            return node
        self._nodes[node_id] = new
        self._emit(NodeChanged(node, new))
        return new

    def check_params(self, node_id: str, params: Mapping[str, Any]) -> Node:
        """The block as these parameter changes would make it, or DocumentError saying why
        not (a value out of range, or an input port with a wire that the change removes)."""
        node = self.node(node_id)
        try:
            resolved = node.spec.resolve({**node.params, **params})
        except ParamError as err:
            raise DocumentError(f"{node.label}: {err}") from err
        new = replace(node, params=resolved)
        kept = {p.name for p in new.input_ports()}
        lost = [link.target_port for link in self.links_into(node_id)
                if link.target_port not in kept]
        if lost:
            raise DocumentError(
                f"{node.label}: disconnect input {', '.join(lost)} before removing it"
            )
        return new

    def set_title(self, node_id: str, title: str | None) -> None:
        node = self.node(node_id)
        title = (title or "").strip() or None
        if title == node.title:
            return
        new = replace(node, title=title)
        self._nodes[node_id] = new
        self._emit(NodeChanged(node, new))

    # ---- editing links

    def check_link(self, source: str, source_port: str, target: str, target_port: str, *,
                   replacing: bool = False) -> Link:
        """The link these ends would make, or the typed error explaining why it cannot be.
        ``replacing``: a wire already in the input would give way to it (no wire into the
        input lies on a path out of it, so the loop check holds either way)."""
        src, dst = self.node(source), self.node(target)
        out_port = _find_port(src.output_ports(), source_port, src, "output")
        in_port = _find_port(dst.input_ports(), target_port, dst, "input")
        link = Link(source, source_port, target, target_port)
        if link in self._links:
            raise DuplicateLinkError(f"{src.label} is already wired to {dst.label}")
        if out_port.kind != in_port.kind:
            raise KindMismatchError(
                f"Cannot wire {src.label} output '{source_port}' ({out_port.kind}) to "
                f"{dst.label} input '{target_port}' ({in_port.kind}): the kinds differ"
            )
        occupied = None if replacing else self.link_into(target, target_port)
        if occupied is not None:
            raise InputOccupiedError(
                f"{dst.label} input '{target_port}' is already wired from "
                f"{self.node(occupied.source).label}; remove that wire first"
            )
        if source == target or nx.has_path(self._graph, target, source):
            raise CycleError(
                f"Wiring {src.label} to {dst.label} would make a loop; "
                "models must flow one way"
            )
        return link

    def can_link(self, source: str, source_port: str, target: str, target_port: str, *,
                 replacing: bool = False) -> bool:
        try:
            self.check_link(source, source_port, target, target_port, replacing=replacing)
        except DocumentError:
            return False
        return True

    def add_link(self, source: str, source_port: str, target: str, target_port: str) -> Link:
        link = self.check_link(source, source_port, target, target_port)
        self._insert_link(link)
        self._emit(LinkAdded(link))
        return link

    def remove_link(self, link: Link) -> None:
        if link not in self._links:
            raise DocumentError(f"No such link: {link}")
        self._links.remove(link)
        del self._into[(link.target, link.target_port)]
        self._graph.remove_edge(link.source, link.target, key=link)
        self._emit(LinkRemoved(link))

    def _insert_link(self, link: Link) -> None:
        self._links.add(link)
        self._into[(link.target, link.target_port)] = link
        self._graph.add_edge(link.source, link.target, key=link)

    # ---- groups

    @property
    def groups(self) -> dict[str, Group]:
        """Groups by id (a copy: edit through the document's methods)."""
        return dict(self._groups)

    def group(self, group_id: str) -> Group:
        try:
            return self._groups[group_id]
        except KeyError:
            raise UnknownNodeError(f"There is no group with id {group_id!r}") from None

    def next_group_id(self) -> str:
        numbers = [int(m.group(1)) for m in map(_GROUP_ID.match, self._groups) if m]
        return f"g{max(numbers, default=0) + 1}"

    def parent_of(self, item: str) -> str | None:
        """The group a block or group sits in directly (None: the top level)."""
        return self.group(item).parent if _GROUP_ID.match(item) else self.node(item).group

    def members(self, level: str | None) -> list[str]:
        """What a level shows: the blocks and groups directly in it, blocks first."""
        nodes = sorted((n.id for n in self._nodes.values() if n.group == level), key=_id_key)
        groups = sorted((g.id for g in self._groups.values() if g.parent == level),
                        key=_id_key)
        return nodes + groups

    def leaves(self, group_id: str) -> set[str]:
        """Every block inside a group, at any depth."""
        return {n for n in self._nodes if group_id in self.path(n)}

    def path(self, item: str) -> list[str]:
        """The groups around a block or group, outermost first (the breadcrumb)."""
        chain: list[str] = []
        parent = self.parent_of(item)
        while parent is not None:
            chain.append(parent)
            parent = self._groups[parent].parent
        return chain[::-1]

    def item_at(self, node_id: str, level: str | None) -> str | None:
        """What stands for a block at ``level``: the block itself or the group around it
        that sits directly in ``level``; None when the block is not inside ``level``."""
        return item_in_chain([*self.path(node_id), node_id], level)

    def group_ports(self, group_id: str) -> tuple[tuple[GroupPort, ...], tuple[GroupPort, ...]]:
        """A group's inputs and outputs as they stand: ends whose block was deleted or
        moved out are left out (undo brings them back), and so are ports left empty."""
        return live_ports(self.group(group_id), self.leaves(group_id))

    def add_group(self, group: Group) -> Group:
        """Add a group record (empty until members move in with :meth:`set_parent`)."""
        if not _GROUP_ID.match(group.id):
            raise DocumentError(f"Group ids look like 'g3'. Received: {group.id!r}")
        if group.id in self._groups:
            raise DocumentError(f"A group with id {group.id!r} already exists")
        if group.parent is not None:
            self.group(group.parent)
        title = (group.title or "").strip()
        if not title:
            raise DocumentError("A group needs a title")
        _check_port_names(group)
        group = replace(group, title=title, position=_position(group.position))
        self._groups[group.id] = group
        self._emit(GroupAdded(group))
        return group

    def remove_group(self, group_id: str) -> Group:
        """Remove an empty group; one with members is refused (ungroup or delete them)."""
        group = self.group(group_id)
        if self.members(group_id):
            raise DocumentError(f"{group.label} is not empty")
        del self._groups[group_id]
        self._emit(GroupRemoved(group))
        return group

    def update_group(self, group_id: str, *, title: str | None = None,
                     position: tuple[float, float] | None = None,
                     inputs: tuple[GroupPort, ...] | None = None,
                     outputs: tuple[GroupPort, ...] | None = None) -> Group:
        """Rename, move or re-port a group (arguments left None stay as they are)."""
        old = self.group(group_id)
        new = old
        if title is not None:
            if not title.strip():
                raise DocumentError("A group needs a title")
            new = replace(new, title=title.strip())
        if position is not None:
            new = replace(new, position=_position(position))
        if inputs is not None:
            new = replace(new, inputs=tuple(inputs))
        if outputs is not None:
            new = replace(new, outputs=tuple(outputs))
        _check_port_names(new)
        if new != old:
            self._groups[group_id] = new
            self._emit(GroupChanged(old, new))
        return new

    def set_parent(self, item: str, parent: str | None) -> None:
        """Move a block or group into ``parent`` (None: the top level)."""
        if parent is not None:
            self.group(parent)
        if _GROUP_ID.match(item):
            old = self.group(item)
            if parent is not None and (parent == item or item in self.path(parent)):
                raise DocumentError(f"{old.label} cannot go inside itself")
            if old.parent != parent:
                new = replace(old, parent=parent)
                self._groups[item] = new
                self._emit(GroupChanged(old, new))
            return
        node = self.node(item)
        if node.group != parent:
            new_node = replace(node, group=parent)
            self._nodes[item] = new_node
            self._emit(NodeChanged(node, new_node))

    def group_items(self, items: Iterable[str], title: str = "Group",
                    group_id: str | None = None) -> Group:
        """Put blocks and groups of one level into a new group, placed at their centre.

        It gets a port for each wire crossing its boundary: one input per outside source
        (feeding every inner port that source fed), one output per inner output that leads
        out, each named after its inner port. Unwired ports of grouped groups stay ports.
        """
        items = sorted(set(items), key=_id_key)
        if not items:
            raise DocumentError("Select blocks to group")
        levels = {self.parent_of(i) for i in items}
        if len(levels) > 1:
            raise DocumentError("Blocks to group must sit in the same group")
        group = self.plan_group(items, title, group_id or self.next_group_id())
        group = self.add_group(replace(group, parent=levels.pop()))
        for item in items:
            self.set_parent(item, group.id)
        return group

    def plan_group(self, items: list[str], title: str, group_id: str) -> Group:
        """The group that grouping ``items`` would make (ports and position), unplaced."""
        inside: set[str] = set()
        for item in items:
            inside |= self.leaves(item) if _GROUP_ID.match(item) else {item}
        fed: dict[End, list[End]] = {}
        led: dict[End, None] = {}
        for link in sorted(self._links):
            if link.target in inside and link.source not in inside:
                fed.setdefault((link.source, link.source_port), []).append(
                    (link.target, link.target_port))
            elif link.source in inside and link.target not in inside:
                led[(link.source, link.source_port)] = None
        inputs = [(tuple(ends), self._end_title(ends[0]))
                  for ends in sorted(fed.values(), key=lambda e: self._end_key(e[0]))]
        outputs = [((end,), self._end_title(end)) for end in sorted(led, key=self._end_key)]
        for item in items:  # ports of grouped groups that nothing wires yet
            if not _GROUP_ID.match(item):
                continue
            ins, outs = self.group_ports(item)
            for port in ins:
                free = tuple(e for e in port.ends if self.link_into(*e) is None)
                if free:
                    inputs.append((free, (port.name, self.group(item).title)))
            for port in outs:
                node_id, name = port.ends[0]
                if not any(k.source_port == name for k in self.links_out_of(node_id)):
                    outputs.append((port.ends, (port.name, self.group(item).title)))
        positions = [self.group(i).position if _GROUP_ID.match(i) else self.node(i).position
                     for i in items]
        centre = (sum(p[0] for p in positions) / len(positions),
                  sum(p[1] for p in positions) / len(positions))
        return Group(group_id, title.strip() or "Group", None, _position(centre),
                     _named_ports(inputs), _named_ports(outputs))

    def _end_key(self, end: End) -> tuple[str, int]:
        """Ports in the order of their blocks, then of the blocks' own ports."""
        node = self.node(end[0])
        names = [p.name for p in (*node.input_ports(), *node.output_ports())]
        return _id_key(end[0]), names.index(end[1]) if end[1] in names else len(names)

    def _end_title(self, end: End) -> tuple[str, str]:
        """A port named after its inner port, and the inner block's title for ties."""
        node = self.node(end[0])
        return end[1], node.title or node.spec.title

    def ungroup(self, group_id: str) -> list[str]:
        """Put a group's members back in its parent and remove it; returns the members."""
        group = self.group(group_id)
        members = self.members(group_id)
        for item in members:
            self.set_parent(item, group.parent)
        self.remove_group(group_id)
        return members

    def port_ends(self, item: str, port: str, side: str) -> tuple[End, ...]:
        """The block ports behind a port of a block or group on the canvas."""
        if not _GROUP_ID.match(item):
            return ((item, port),)
        ins, outs = self.group_ports(item)
        for candidate in ins if side == "input" else outs:
            if candidate.name == port:
                return candidate.ends
        raise UnknownPortError(f"{self.group(item).label} has no {side} port '{port}'")

    # ---- settings

    def check_setting(self, key: str, value: Any) -> None:
        """Raise DocumentError, saying why, if ``value`` cannot be the project's ``key``
        setting (name, task, dataset, training, notes or metadata).

        The one home of these rules: the setters below, the editor and the file reader
        all ask here, so a rule changes in one place.
        """
        if key == "name":
            if not isinstance(value, str) or not value.strip():
                raise DocumentError("A project needs a name", setting="name")
        elif key == "task":
            kind = value.get("kind") if isinstance(value, Mapping) else None
            if kind not in TASK_KINDS:
                raise _setting_error("task.kind", f"must be one of {', '.join(TASK_KINDS)}. "
                                                  f"Received: kind={reprlib.repr(kind)}")
        elif key == "training":
            if not isinstance(value, TrainingSettings):
                raise DocumentError(f"training must be TrainingSettings. "
                                    f"Received: {type(value).__name__}")
            check_training(value)
        elif key in ("dataset", "metadata"):
            if not isinstance(value, Mapping):
                raise DocumentError(f"{key} must be a mapping. Received: {type(value).__name__}")
        elif key == "notes":
            if not isinstance(value, str):
                raise DocumentError(f"notes must be text. Received: {type(value).__name__}")
        else:
            raise DocumentError(f"Unknown project setting {key!r}")

    def set_name(self, name: str) -> None:
        self.check_setting("name", name)
        name = name.strip()
        if name != self.name:
            self.name = name
            self._emit(SettingsChanged("name"))

    def set_task(self, task: Mapping[str, Any]) -> None:
        self.check_setting("task", task)
        if dict(task) != self.task:
            self.task = copy.deepcopy(dict(task))
            self._emit(SettingsChanged("task"))

    def set_dataset(self, dataset: Mapping[str, Any]) -> None:
        self.check_setting("dataset", dataset)
        if dict(dataset) != self.dataset:
            self.dataset = copy.deepcopy(dict(dataset))
            self._emit(SettingsChanged("dataset"))

    def set_training(self, training: TrainingSettings) -> None:
        self.check_setting("training", training)
        if training != self.training:
            self.training = training
            self._emit(SettingsChanged("training"))

    def set_metadata(self, metadata: Mapping[str, Any]) -> None:
        self.check_setting("metadata", metadata)
        if dict(metadata) != self.metadata:
            self.metadata = copy.deepcopy(dict(metadata))
            self._emit(SettingsChanged("metadata"))

    def set_notes(self, notes: str) -> None:
        self.check_setting("notes", notes)
        if notes != self.notes:
            self.notes = notes
            self._emit(SettingsChanged("notes"))

    # ---- whole-document helpers

    def topological_order(self) -> list[str]:
        """Node ids sources-first, ties broken by id so the order is stable."""
        return list(nx.lexicographical_topological_sort(self._graph, key=_id_key))

    def copy(self) -> Project:
        """An independent copy without subscribers (e.g. the snapshot a run trains)."""
        other = Project(self.name, copy.deepcopy(self.task), copy.deepcopy(self.dataset),
                        self.training, self.notes, copy.deepcopy(self.metadata))
        other._groups = dict(self._groups)
        for node in self._nodes.values():
            other._nodes[node.id] = node
            other._graph.add_node(node.id)
        for link in self._links:
            other._insert_link(link)
        return other

    def add_nodes_and_links(self, nodes: Iterable[Node], links: Iterable[Link]) -> None:
        """Re-insert removed nodes and links exactly (used by undo and paste)."""
        for node in nodes:
            self.add_node(node.block, node.params, node.position, node.title, node.id,
                          node.group)
        for link in links:
            self.add_link(link.source, link.source_port, link.target, link.target_port)


def _find_port(ports: tuple[Port, ...], name: str, node: Node, side: str) -> Port:
    for port in ports:
        if port.name == name:
            return port
    names = ", ".join(p.name for p in ports) or "none"
    raise UnknownPortError(f"{node.label} has no {side} port '{name}' (it has: {names})")


def item_in_chain(chain: list[str], level: str | None) -> str | None:
    """What stands for the last of ``chain`` (its groups outermost first, then itself) at
    ``level``: the item of the chain directly in it; None when the chain is not in it."""
    if level is None:
        return chain[0]
    return chain[chain.index(level) + 1] if level in chain else None


def live_ports(group: Group, inside: set[str]) -> tuple[tuple[GroupPort, ...],
                                                        tuple[GroupPort, ...]]:
    """A group's inputs and outputs without the ends outside ``inside`` (its blocks now),
    and without the ports that leaves empty."""

    def live(ports: tuple[GroupPort, ...]) -> tuple[GroupPort, ...]:
        kept = (replace(p, ends=tuple(e for e in p.ends if e[0] in inside)) for p in ports)
        return tuple(p for p in kept if p.ends)

    return live(group.inputs), live(group.outputs)


def _named_ports(ports: list[tuple[tuple[End, ...], tuple[str, str]]]) -> tuple[GroupPort, ...]:
    """Ports named after their inner port; a name two ports share gets the inner block's
    title, and a number if that is shared too."""
    counts: dict[str, int] = {}
    for _, (name, _) in ports:
        counts[name] = counts.get(name, 0) + 1
    named: list[GroupPort] = []
    taken: set[str] = set()
    for ends, (name, block) in ports:
        wanted = name if counts[name] == 1 else f"{name} ({block})"
        candidate, number = wanted, 2
        while candidate in taken:
            candidate, number = f"{wanted} {number}", number + 1
        taken.add(candidate)
        named.append(GroupPort(candidate, ends))
    return tuple(named)


def _check_port_names(group: Group) -> None:
    for side, ports in (("input", group.inputs), ("output", group.outputs)):
        names = [p.name for p in ports]
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise DocumentError(f"{group.label}: {side} port names must be unique and "
                                f"not empty. Received: {names}")
        if side == "output" and any(len(p.ends) != 1 for p in ports):
            raise DocumentError(f"{group.label}: an output port comes from exactly one "
                                "inner output")


def _position(position: tuple[float, float]) -> tuple[float, float]:
    x, y = position
    for value in (x, y):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                abs(value) < 1e9):
            raise DocumentError(f"A position must be two finite numbers within ±1e9. "
                                f"Received: {position!r}")
    return (round(float(x), 2), round(float(y), 2))


def _id_key(node_id: str) -> str:
    match = _NODE_ID.match(node_id) or _GROUP_ID.match(node_id)
    return f"{node_id[0]}{int(match.group(1)):012d}" if match else node_id


def is_group_id(item: str) -> bool:
    """Canvas items are blocks ("n7") or groups ("g2")."""
    return bool(_GROUP_ID.match(item))


def node_sort_key(node_id: str) -> str:
    """Sort key that puts n2 before n10 (and g2 before g10)."""
    return _id_key(node_id)


def check_training(training: TrainingSettings) -> None:
    """Raise DocumentError naming the first training setting out of range."""
    checks = [
        ("epochs", training.epochs, 1, 100_000),
        ("batch_size", training.batch_size, 1, 1_000_000),
        ("seed", training.seed, 0, 2**31 - 1),
        ("early_stopping_patience", training.early_stopping_patience, 0, 100_000),
        ("reduce_lr_patience", training.reduce_lr_patience, 0, 100_000),
    ]
    for name, value, low, high in checks:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _setting_error(f"training.{name}", f"must be a whole number from {low} "
                                 f"to {high}. Received: {name}={value!r}")
    rate = training.learning_rate
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 10:
        raise _setting_error("training.learning_rate", f"must be a number in (0, 10]. "
                             f"Received: learning_rate={rate!r}")
    for name in ("validation_split", "test_split"):
        split = getattr(training, name)
        if isinstance(split, bool) or not isinstance(split, int | float) or not 0 <= split < 1:
            raise _setting_error(f"training.{name}", f"must be in [0, 1). "
                                 f"Received: {name}={split!r}")
    if training.optimizer not in OPTIMIZERS:
        raise _setting_error("training.optimizer", f"must be one of "
                             f"{', '.join(OPTIMIZERS)}. Received: "
                             f"optimizer={training.optimizer!r}")
    _check_stopping(training)


def _check_stopping(training: TrainingSettings) -> None:
    """The regularisation and stopping settings (weight decay, early stopping,
    reduce-on-plateau)."""
    decay = training.weight_decay
    if decay is not None and (isinstance(decay, bool) or not isinstance(decay, int | float)
                              or not 0 <= decay <= 1):
        raise _setting_error("training.weight_decay", f"must be empty (the optimizer's "
                             f"default) or a number in [0, 1]. Received: weight_decay={decay!r}")
    for name in ("early_stopping", "restore_best_weights", "reduce_lr_on_plateau"):
        value = getattr(training, name)
        if not isinstance(value, bool):
            raise _setting_error(f"training.{name}", f"must be true or false. "
                                 f"Received: {name}={reprlib.repr(value)}")
    if training.monitor not in MONITORS:
        raise _setting_error("training.monitor", f"must be one of {', '.join(MONITORS)}. "
                             f"Received: monitor={reprlib.repr(training.monitor)}")
    factor = training.reduce_lr_factor
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 < factor < 1:
        raise _setting_error("training.reduce_lr_factor", f"must be a number in (0, 1). "
                             f"Received: reduce_lr_factor={factor!r}")
