"""The editor: the open project, its file, its undo stack and its live validation report.

Views (canvas, inspector, problems, summary) read from here and edit through here. Every
edit becomes one undo command on ``undo_stack``; the document's events are re-emitted as
Qt signals so views mirror the document without polling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

import blocks
from app.commands import (
    AddLinkCommand,
    AddNodesCommand,
    FixCommand,
    GroupCommand,
    MoveNodesCommand,
    PlaceLibraryBlockCommand,
    RemoveLinkCommand,
    RemoveNodesCommand,
    RenameGroupCommand,
    ReplaceLinkCommand,
    SetParamCommand,
    SetSettingCommand,
    SetTitleCommand,
    UngroupCommand,
)
from projects import clipboard, files, library
from projects.datasets.description import DatasetDescription, request_key
from projects.document import (
    DocumentError,
    DocumentEvent,
    Link,
    Node,
    Project,
    TrainingSettings,
    is_group_id,
)
from projects.fixes import Fix, apply_fix
from projects.layout import EVERY_BLOCK, layered_positions
from projects.shape_cache import ShapeDiskCache
from projects.user_folders import user_cache_dir
from projects.validation import Report

Position = tuple[float, float]


def open_shape_cache() -> ShapeDiskCache:
    """The disk cache of shapes in the user's cache folder, shared by every window."""
    return ShapeDiskCache(user_cache_dir() / "shapes.sqlite")


class Editor(QObject):
    """One open project."""

    documentReplaced = Signal()  # a different project is open now: rebuild every view
    documentChanged = Signal(object)  # a projects.document event
    reportChanged = Signal()  # shapes, parameter counts, errors and warnings are new
    stateChanged = Signal()  # file path, unsaved mark or TensorFlow readiness changed

    def __init__(self, parent: QObject | None = None,
                 shape_cache: ShapeDiskCache | None = None) -> None:
        super().__init__(parent)
        self.project = Project()
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        # None until TensorFlow is ready, unless every block's shapes are on disk
        self.report: Report | None = None
        self.tensorflow_ready = False
        self._inference: Any = None
        if shape_cache is not None:
            from projects.shapes import ShapeInference

            self._inference = ShapeInference(disk=shape_cache, offline=True)
        # descriptions of the data by request_key, as the dataset preview reports them
        self._data: dict[str, DatasetDescription] = {}
        self._unsubscribe = self.project.subscribe(self._on_document_event)
        self._validate_timer = QTimer(self, singleShot=True, interval=0)
        self._validate_timer.timeout.connect(self.validate_now)

    # ---- state

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        return self.path.name if self.path else self.project.name

    def _on_clean_changed(self, _clean: bool) -> None:
        self.stateChanged.emit()

    def close(self) -> None:
        """The window is closing: write the shapes learnt this session to disk."""
        if self._inference is not None and self._inference.disk is not None:
            self._inference.disk.close()

    def set_tensorflow_ready(self) -> None:
        """Called once TensorFlow has loaded in the background: shapes can be computed."""
        if self.tensorflow_ready:
            return
        from projects.shapes import ShapeInference

        self.tensorflow_ready = True
        if self._inference is None:
            self._inference = ShapeInference()
        else:  # Keras now checks what was shown from the disk cache
            self._inference.offline = False
            self._inference.verify()
        self.validate_now()
        self.stateChanged.emit()

    def validate_now(self) -> None:
        self._validate_timer.stop()
        if self._inference is None:
            return
        from projects.shapes import NotStored
        from projects.validation import validate

        try:
            self.report = validate(self.project, self._inference, check_data=True,
                                   data=self.data_description)
        except NotStored:  # a block Keras has never built here: wait for TensorFlow
            if self.report is None:
                return
            self.report = None
        self.reportChanged.emit()

    @property
    def data_description(self) -> DatasetDescription | None:
        """The description of the project's dataset as now set, once it is known."""
        project = self.project
        return self._data.get(request_key(project.dataset,
                                          project.task.get("kind", "supervised")))

    def set_data_description(self, key: str, description: DatasetDescription) -> None:
        """The data behind ``key`` (a request_key) is known: check the model against it.
        Called on the GUI thread when the dataset preview has loaded it."""
        if self._data.get(key) == description:
            return
        if len(self._data) >= 8:
            self._data.pop(next(iter(self._data)))
        self._data[key] = description
        if description is self.data_description:
            self.validate_now()

    def _on_document_event(self, event: DocumentEvent) -> None:
        self.documentChanged.emit(event)
        self._validate_timer.start()  # coalesce a burst of events into one validation

    # ---- opening and saving

    def replace_project(self, project: Project, path: Path | None) -> None:
        """Show ``project`` instead of the current one; history starts afresh."""
        self._unsubscribe()
        self.project = project
        self.path = path
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.report = None
        self._unsubscribe = project.subscribe(self._on_document_event)
        self.documentReplaced.emit()
        self.validate_now()
        self.stateChanged.emit()

    def open(self, path: str | Path) -> None:
        """Open a project file; on ProjectFileError the current project stays open."""
        project = files.load(path)
        self.replace_project(project, Path(path))

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically (to ``path``, or the current file); raises ProjectSaveError."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("This project has no file yet: choose where to save it")
        files.save(self.project, target)
        self.path = target
        self.undo_stack.setClean()
        self.stateChanged.emit()
        return target

    # ---- edits (each one undoable)

    def _push(self, command) -> None:
        self.undo_stack.push(command)

    def add_block(self, block_id: str, position: Position, params: dict | None = None,
                  title: str | None = None, group: str | None = None) -> str:
        """Place a block, inside ``group`` (the group the canvas shows) if given."""
        spec = blocks.get(block_id)
        node = Node(self.project.next_node_id(), block_id, spec.resolve(params or {}),
                    position, title, group)
        self._push(AddNodesCommand(self.project, [node], [], f"Add {spec.title}"))
        return node.id

    def add_block_after(self, block_id: str, after: list[str], group: str | None = None
                        ) -> str:
        """Add a block beside the selection and wire it in where the ports fit: the last
        selected block's first free-fitting output goes to the new block's first input.
        ``group``: the group the canvas shows, where the block goes."""
        spec = blocks.get(block_id)
        project = self.project
        after = [i for i in after if i in project.nodes]
        anchor = project.node(after[-1]) if after else None
        level = [n for n in project.nodes.values() if n.group == group]
        if anchor is None:
            xs = [n.position[0] for n in level]
            position = (max(xs) + 240.0 if xs else 0.0, 0.0)
        else:
            position = (anchor.position[0] + 240.0, anchor.position[1])
            while any(abs(n.position[0] - position[0]) < 60 and abs(n.position[1] - position[1])
                      < 60 for n in level):
                position = (position[0], position[1] + 140.0)
        node = Node(project.next_node_id(), block_id, spec.resolve({}), position, None, group)
        links = []
        if anchor is not None:
            inputs = node.input_ports()
            for out in anchor.output_ports():
                target = next((p for p in inputs if p.kind == out.kind), None)
                if target is not None:
                    links.append(Link(anchor.id, out.name, node.id, target.name))
                    break
        self._push(AddNodesCommand(project, [node], links, f"Add {spec.title}"))
        return node.id

    def remove_nodes(self, node_ids: list[str]) -> None:
        """Delete blocks and groups (a group with everything inside it), one undo step."""
        if node_ids:
            text = "Delete block" if len(node_ids) == 1 else f"Delete {len(node_ids)} blocks"
            if any(is_group_id(i) for i in node_ids):
                text = "Delete group" if len(node_ids) == 1 else f"Delete {len(node_ids)} items"
            self._push(RemoveNodesCommand(self.project, node_ids, text))

    def move_nodes(self, moves: dict[str, tuple[Position, Position]], text: str = "Move"
                   ) -> None:
        moves = {k: (old, new) for k, (old, new) in moves.items() if old != new}
        if moves:
            self._push(MoveNodesCommand(self.project, moves, text))

    def connect(self, source: str, source_port: str, target: str, target_port: str, *,
                replace: bool = False) -> Link:
        """Wire two ports; raises the document's typed LinkError when it cannot be. With
        ``replace``, a wire already in the input gives way (one undo step)."""
        project = self.project
        link = project.check_link(source, source_port, target, target_port, replacing=replace)
        old = project.link_into(target, target_port)
        self._push(AddLinkCommand(project, link) if old is None
                   else ReplaceLinkCommand(project, old, link))
        return link

    def insert_into_link(self, link: Link, block_id: str, position: Position) -> str:
        """Put a new block into a wire: the wire's source feeds the block's first input of
        its kind, and the block's first output of the target's kind feeds the target. One
        undo step; raises DocumentError (and changes nothing) when the block cannot sit
        there."""
        project = self.project
        spec = blocks.get(block_id)
        node = Node(project.next_node_id(), block_id, spec.resolve({}), position, None,
                    project.node(link.target).group)  # the wire's level
        kind = next(p.kind for p in project.node(link.source).output_ports()
                    if p.name == link.source_port)
        wanted = next(p.kind for p in project.node(link.target).input_ports()
                      if p.name == link.target_port)
        into = next((p for p in node.input_ports() if p.kind == kind), None)
        out_of = next((p for p in node.output_ports() if p.kind == wanted), None)
        if into is None or out_of is None:
            raise DocumentError(f"{spec.title} cannot go into this wire: it needs a {kind} "
                                f"input and a {wanted} output")
        links = [Link(link.source, link.source_port, node.id, into.name),
                 Link(node.id, out_of.name, link.target, link.target_port)]
        trial = project.copy()  # refused here, before anything is on the undo stack
        trial.remove_link(link)
        trial.add_nodes_and_links([node], links)
        self.undo_stack.beginMacro(f"Insert {spec.title}")
        try:
            self._push(RemoveLinkCommand(project, link))
            self._push(AddNodesCommand(project, [node], links, f"Add {spec.title}"))
        finally:
            self.undo_stack.endMacro()
        return node.id

    def wire(self, source: str, source_port: str, target: str, target_port: str) -> None:
        """Wire an output to an input as the canvas shows them: a group's output wires from
        its inner end, a group's input to each of its inner ends (one undo step; a wire
        already in one gives way). Raises the document's LinkError when one cannot be."""
        project = self.project
        (start,) = project.port_ends(source, source_port, "output")
        ends = [e for e in project.port_ends(target, target_port, "input")
                if project.link_into(*e) != Link(*start, *e)]
        if len(ends) == 1 and not is_group_id(source) and not is_group_id(target):
            self.connect(*start, *ends[0], replace=True)
            return
        if not ends:
            raise DocumentError(f"{source_port} is already wired to {target_port}")
        for end in ends:  # refused here, before anything is on the undo stack
            project.check_link(*start, *end, replacing=True)
        self.undo_stack.beginMacro("Connect")
        try:
            for end in ends:
                self.connect(*start, *end, replace=True)
        finally:
            self.undo_stack.endMacro()

    def disconnect(self, link: Link) -> None:
        self._push(RemoveLinkCommand(self.project, link))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Change one parameter; raises DocumentError (and changes nothing) if invalid."""
        node = self.project.node(node_id)
        value = node.spec.param(name).coerce(value)
        if node.params[name] == value:
            return
        self.project.check_params(node_id, {name: value})
        self._push(SetParamCommand(self.project, node_id, name, value))

    def set_title(self, node_id: str, title: str | None) -> None:
        if (title or None) != self.project.node(node_id).title:
            self._push(SetTitleCommand(self.project, node_id, title or None))

    def set_setting(self, what: str, value: str | dict | TrainingSettings) -> None:
        """Change a project setting; raises the document's DocumentError if it is refused."""
        self.project.check_setting(what, value)
        if value != getattr(self.project, what):
            self._push(SetSettingCommand(self.project, what, value))

    def apply_fix(self, fix: Fix) -> None:
        """Apply a problem's fix as one undo step; raises DocumentError (and changes
        nothing) when the document no longer allows it."""
        apply_fix(self.project.copy(), fix)  # refused here, before it reaches the stack
        self._push(FixCommand(self.project, fix))

    def copy(self, node_ids: list[str]) -> str:
        """The blocks and groups (with everything inside) as a clipboard fragment."""
        return clipboard.copy_fragment(self.project, node_ids)

    def paste(self, text: str, offset: Position = (40.0, 40.0), group: str | None = None
              ) -> list[str]:
        """Paste a fragment with fresh ids into ``group`` (None: the top level); links and
        groups inside it come along. Returns the ids of what lands at that level."""
        plan = clipboard.paste_fragment(self.project, text, offset, group)
        if plan.nodes:
            text_ = "Paste block" if len(plan.nodes) == 1 else f"Paste {len(plan.nodes)} blocks"
            self._push(AddNodesCommand(self.project, plan.nodes, plan.links, text_,
                                       plan.groups))
        return plan.outer

    def auto_layout(self, sizes: dict[str, tuple[float, float]] | None = None,
                    level: str | None = None) -> None:
        """Arrange the blocks and groups of ``level`` (None: the top) in layers."""
        project = self.project
        flat = level is None and not project.groups  # then every block is on the one level
        positions = layered_positions(project, sizes, level=EVERY_BLOCK if flat else level)
        nodes, groups = project.nodes, project.groups
        self.move_nodes({i: (groups[i].position if is_group_id(i) else nodes[i].position, p)
                         for i, p in positions.items()}, "Auto-layout")

    # ---- groups

    def group(self, items: list[str], title: str | None = None) -> str:
        """Put blocks and groups of one level into a new group (one undo step), titled
        "Group 3" after its id unless ``title`` is given; returns its id. Raises
        DocumentError when they cannot be grouped."""
        project = self.project
        if not items:
            raise DocumentError("Select blocks to group")
        if len({project.parent_of(i) for i in items}) > 1:
            raise DocumentError("Blocks to group must sit in the same group")
        group_id = project.next_group_id()
        title = title or f"Group {group_id[1:]}"
        self._push(GroupCommand(project, list(items), title, group_id))
        return group_id

    def ungroup(self, group_id: str) -> list[str]:
        """Put a group's members back in its level (one undo step); returns them."""
        members = self.project.members(group_id)
        self._push(UngroupCommand(self.project, group_id))
        return members

    def rename_group(self, group_id: str, title: str) -> None:
        """Raises DocumentError for an empty title."""
        title = title.strip()
        if not title:
            raise DocumentError("A group needs a title")
        if title != self.project.group(group_id).title:
            self._push(RenameGroupCommand(self.project, group_id, title))

    # ---- the library (My blocks and templates)

    def place_library_block(self, entry: library.LibraryEntry, position: Position,
                            level: str | None = None) -> str:
        """Copy a library entry into the project as a new group at ``position`` in
        ``level`` (None: the top level), with fresh ids, as one undo step; returns the new
        group's id. The project keeps no reference to the library; an unknown ``level``
        raises the document's error before anything reaches the undo stack."""
        if level is not None:
            self.project.group(level)
        placement = library.copy_plan(entry.fragment, entry.group.id, self.project,
                                      position, level)
        self._push(PlaceLibraryBlockCommand(self.project, placement, f"Place {entry.title}"))
        return placement.group_id
