"""Opening an existing ``.keras`` model as a project: each layer becomes its block.

The file is loaded with ``safe_mode`` only (projects/export/keras_file.py ``load_keras``):
Lambda layers and unregistered custom code are refused before anything runs. Each layer
finds its block through the block registry (``BlockSpec.keras``: the classes a block
builds and how their configs become its parameters), wires follow the model's functional
graph, and the layout is automatic. Layers without a block, and layers whose config a
block cannot reproduce, are refused by name; nothing is dropped. The rebuilt model is
compared layer by layer with the file's, so an import that succeeds builds the same model.

The imported weights stay in the ``.keras`` file; the project names the file in its
metadata (``imported_weights``) and its notes, and training starts from them
(docs/architecture.md, Project files and migrations).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blocks
from blocks.spec import BlockSpec, ParamError
from projects.document import DocumentError, Project, TrainingSettings, is_group_id
from projects.layout import DEFAULT_SIZE, ROW_GAP, layered_positions

IMPORTED_WEIGHTS = "imported_weights"  # the metadata key naming the weights' file
# Config entries that cannot be equal after an import, left out when layers are compared:
# the name (blocks are named after their ids), the initializers (the imported weights
# replace what they would draw), ``trainable`` (Deepwire trains every block) and a Text
# Vectorization's vocabulary size (learned from the training texts before every run, as it
# was before the export).
_NOT_COMPARED = re.compile(r"^(name|trainable|.*initializer|vocabulary_size)$")
_OPTIMIZERS = {"Adam": "adam", "AdamW": "adamw", "SGD": "sgd", "RMSprop": "rmsprop"}
_NODE_ID = re.compile(r"^n[1-9][0-9]{0,8}\Z")
_LOSS_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}  # Keras's short ones
_LOSS_AFTER = {"softmax": ("sparse_categorical_crossentropy", False),
               "sigmoid": ("binary_crossentropy", False)}


@dataclass(frozen=True)
class RefusedLayer:
    """A layer that cannot become a block, and why."""

    name: str
    class_name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.class_name}): {self.reason}"


class KerasImportError(Exception):
    """A model Deepwire cannot import; ``layers`` lists the layers at fault (may be empty
    when the file itself is refused) and ``source`` names the file."""

    def __init__(self, source: str, message: str, layers: list[RefusedLayer] | None = None
                 ) -> None:
        self.source = source
        self.layers = list(layers or [])
        lines = [message, *(f"  {layer}" for layer in self.layers)]
        super().__init__("\n".join(lines))


@dataclass
class _Layer:
    name: str
    key: str  # "Dense", or the registered name "deepwire>SimpleAttention"
    config: dict[str, Any]
    inputs: list[tuple[str, int]]  # (layer, tensor index) per positional tensor
    keyword_inputs: dict[str, tuple[str, int]]
    calls: int


def import_keras(path: str | os.PathLike[str], keep_weights: bool = True,
                 group_stages: bool = True) -> Project:
    """The project that builds the model in ``path``, laid out, its weights referenced.

    Nested models become groups named after them; with ``group_stages``, blocks whose
    layer names share a repeated stage prefix (``block_3_``, ``conv2_block1_``) are
    grouped too, and those stages by their outer prefix (``conv2``).

    Raises KerasImportError naming the file and, when layers are at fault, each of them.
    """
    from projects.export.keras_file import ExportError, _read_config, load_keras

    path = Path(path)
    try:
        model = load_keras(path)
        saved = _read_config(path)
    except ExportError as err:
        raise KerasImportError(str(path), str(err)) from err
    compile_config = saved.get("compile_config") or {}
    builder = _Builder(str(path))
    if hasattr(model, "generator") and hasattr(model, "discriminator"):
        kind = "adversarial"
        builder.walk(model.generator.get_config(), "generator")
        builder.walk(model.discriminator.get_config(), "discriminator")
        builder.from_logits = bool(compile_config.get("from_logits", True))
    else:
        kind = "node_classification" if type(model).__name__ == "GraphModel" else "supervised"
        builder.walk(_functional_config(model, str(path)), "model", _losses(compile_config))
    project = builder.project(_project_name(model.name), kind)
    training = _training(compile_config)
    if training is not None:
        project.set_training(training)
    _check_rebuilds(project, builder, str(path))
    if group_stages:
        for level in [None, *(project.groups)]:
            stage_groups(project, level)
    lay_out(project)
    notes = [f"Imported from {path.name}."]
    frozen = [name for name, entry in builder.configs.items()
              if (entry.get("config") or {}).get("trainable") is False]
    if frozen:
        were = "layer was" if len(frozen) == 1 else "layers were"
        notes.append(f"{len(frozen)} {were} frozen in the file ({', '.join(frozen[:3])}"
                     f"{', …' if len(frozen) > 3 else ''}); Deepwire trains every block.")
    if keep_weights:
        project.set_metadata({IMPORTED_WEIGHTS: {"file": str(path.resolve()),
                                                 "layers": builder.layer_names}})
        notes.append(imported_weights_note(project))
    project.set_notes(" ".join(notes))
    return project


def imported_weights_note(project: Project) -> str:
    """What the project page and the notes say about the weights a project starts from;
    empty when it starts from fresh ones."""
    imported = project.metadata.get(IMPORTED_WEIGHTS)
    if not isinstance(imported, Mapping):
        return ""
    return (f"Starts from the weights imported from {imported.get('file')} (they stay in "
            "that file; training loads them by block before it starts).")


def _project_name(model_name: str) -> str:
    return model_name.replace("_", " ").strip().capitalize() or "Imported model"


def _functional_config(model: Any, source: str) -> dict[str, Any]:
    """A model's config in functional form (a Sequential one is turned into it)."""
    config = _as_functional(model.get_config())
    if config is None:
        raise KerasImportError(source, f"Cannot import {source}: a Sequential model needs a "
                                       "known input shape (keras.Input as its first layer)")
    return config


def _as_functional(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """A functional model's config as it is; a Sequential one's with the wires of its chain
    (None when it has no InputLayer: its shapes are not known)."""
    if "input_layers" in config:
        return dict(config)
    layers, previous = [], None
    for entry in config["layers"]:
        entry = dict(entry)
        name = entry["config"]["name"]
        entry["inbound_nodes"] = [] if previous is None else [{"args": [_tensor(previous)],
                                                                "kwargs": {}}]
        layers.append(entry)
        previous = name
    if not layers or layers[0]["class_name"] != "InputLayer":
        return None
    return {**config, "layers": layers, "input_layers": [[layers[0]["config"]["name"], 0, 0]],
            "output_layers": [[previous, 0, 0]]}


def _tensor(layer: str) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, 0, 0]}}


def _tensors(value: Any) -> Iterator[tuple[str, int]]:
    """(layer, tensor index) of each tensor in a call's saved arguments, in order."""
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            layer, _node, index = value["config"]["keras_history"]
            yield layer, int(index)
        return
    if isinstance(value, list | tuple):
        for item in value:
            yield from _tensors(item)


def _endpoints(value: Any) -> list[tuple[str, int]]:
    """A config's ``input_layers`` / ``output_layers``: one [name, node, index] or a list."""
    if value and isinstance(value[0], str):
        value = [value]
    return [(name, int(index)) for name, _node, index in value]


def _key(entry: Mapping[str, Any]) -> str:
    return entry.get("registered_name") or entry["class_name"]


def _losses(compile_config: Mapping[str, Any]) -> list[tuple[str, bool] | None]:
    """(loss id, from_logits) per model output, from the saved compile settings."""
    loss = compile_config.get("loss")
    if loss is None:
        return []
    items = loss if isinstance(loss, list) else list(loss.values()) if (
        isinstance(loss, Mapping) and "class_name" not in loss) else [loss]
    found: list[tuple[str, bool] | None] = []
    for item in items:
        if isinstance(item, str):
            found.append((_LOSS_NAMES.get(item, item), False))
        elif isinstance(item, Mapping) and "class_name" in item:
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", item["class_name"]).lower()
            found.append((name, bool((item.get("config") or {}).get("from_logits", False))))
        else:
            found.append(None)
    return found


def _training(compile_config: Mapping[str, Any]) -> TrainingSettings | None:
    """The optimizer and learning rate the model was compiled with, when Deepwire has it."""
    optimizer = compile_config.get("optimizer") or compile_config.get("generator_optimizer")
    if not isinstance(optimizer, Mapping) or optimizer.get("class_name") not in _OPTIMIZERS:
        return None
    rate = (optimizer.get("config") or {}).get("learning_rate")
    if not isinstance(rate, int | float) or not 0 < rate <= 10:
        return None
    return TrainingSettings(optimizer=_OPTIMIZERS[optimizer["class_name"]],
                            learning_rate=float(f"{float(rate):.6g}"))


class _Builder:
    """Collects the blocks and wires of one or more functional graphs."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.blocks: list[tuple[str, BlockSpec, dict[str, Any]]] = []  # (layer, spec, params)
        self.wires: list[tuple[str, str, str, str]] = []  # layer, port -> layer, port
        self.outputs: dict[tuple[str, int], tuple[str, str]] = {}  # tensor -> layer, port
        self.helpers: dict[str, list[str]] = {}  # main layer -> its helper layers
        self.spec_of: dict[str, BlockSpec] = {}  # main layer -> its block
        self.groups: list[tuple[str, str, str | None]] = []  # nested model: key, title, parent
        self.group_of: dict[str, str | None] = {}  # main layer -> its nested model's key
        self.refused: list[RefusedLayer] = []
        self.configs: dict[str, Mapping[str, Any]] = {}  # layer -> its saved entry
        self.layer_names: dict[str, str] = {}  # node id -> main layer, filled by project()
        self.from_logits = False
        self._lost: set[str] = set()  # refused layers and the layers after them
        self._added_outputs: list[tuple[str, int, tuple[str, bool] | None]] = []

    # ---- walking

    def walk(self, config: Mapping[str, Any], part: str,
             losses: list[tuple[str, bool] | None] | None = None) -> None:
        """Add the blocks and wires of one functional model (``part``: "model",
        "generator" or "discriminator"), its nested models inline, each as a group."""
        outputs = self._walk(config, part, "", None)
        for index, (name, tensor) in enumerate(outputs):
            loss = losses[index] if losses and index < len(losses) else None
            spec = self.spec_of.get(name)
            if spec is not None and "sink" in spec.tags:
                if loss is not None:
                    self._set_loss(name, loss)
                continue
            self._added_outputs.append((name, tensor, loss))

    def _walk(self, config: Mapping[str, Any], part: str, prefix: str,
              group: str | None, fed: list[tuple[str, int]] | None = None
              ) -> list[tuple[str, int]]:
        """Walk one (possibly nested) model whose layers are named ``prefix + name``;
        ``fed`` are the outer tensors a nested model is called on. Returns its outputs."""
        layers = [self._layer(entry, prefix) for entry in config["layers"]]
        self.configs.update(zip((layer.name for layer in layers), config["layers"],
                                strict=True))
        inputs = [prefix + name for name, _ in _endpoints(config["input_layers"])]
        outputs = [(prefix + name, index) for name, index in
                   _endpoints(config["output_layers"])]
        if fed is not None:  # a nested model's inputs are the tensors it is called on
            for name, tensor in zip(inputs, fed, strict=False):
                self._alias((name, 0), tensor)
        owner: dict[str, str] = {}  # helper layer -> main layer
        for layer, entry in zip(layers, config["layers"], strict=True):
            if layer.calls > 1:
                self._refuse(layer, "it is called more than once (shared weights); each "
                                    "Deepwire block owns its weights")
                continue
            if fed is not None and layer.name in inputs:
                continue
            if isinstance((entry.get("config") or {}).get("layers"), list):
                self._nested(layer, entry, part, group)
                continue
            main = self._helper_of(layer, owner)
            if main is not None:
                owner[layer.name] = main
                self.helpers[main].append(layer.name)
                for index, port in enumerate(self.spec_of[main].output_ports()):
                    self.outputs[(layer.name, index)] = (main, port.name)
                continue
            where = "" if fed is not None else self._where(
                layer, part, set(inputs), {name for name, _ in outputs})
            self._add(layer, where)
            if layer.name in self.spec_of:
                self.group_of[layer.name] = group
        return outputs

    def _nested(self, layer: _Layer, entry: Mapping[str, Any], part: str,
                group: str | None) -> None:
        """A model used as a layer: its layers inline, in a group named after it."""
        config = _as_functional(entry["config"])
        if config is None:
            self._refuse(layer, "a nested Sequential model needs a known input shape")
            return
        key = f"{layer.name}/"
        self.groups.append((key, str(entry["config"].get("name", layer.name)), group))
        outputs = self._walk(config, part, key, key, layer.inputs)
        for index, tensor in enumerate(outputs):
            self._alias((layer.name, index), tensor)

    def _alias(self, tensor: tuple[str, int], source: tuple[str, int]) -> None:
        """``tensor`` is ``source`` under another name (a nested model's ends)."""
        if source[0] in self._lost or source not in self.outputs:
            self._lost.add(tensor[0])
        else:
            self.outputs[tensor] = self.outputs[source]

    def _layer(self, entry: Mapping[str, Any], prefix: str = "") -> _Layer:
        config = dict(entry.get("config") or {})
        name = prefix + str(config.get("name") or entry.get("name"))
        nodes = entry.get("inbound_nodes") or []
        args = nodes[0].get("args", []) if nodes else []
        kwargs = nodes[0].get("kwargs", {}) if nodes else {}
        keyword = {}
        for key, value in kwargs.items():
            found = list(_tensors(value))
            if len(found) == 1:
                keyword[key] = (prefix + found[0][0], found[0][1])
        inputs = [(prefix + source, index) for source, index in _tensors(args)]
        return _Layer(name, _key(entry), config, inputs, keyword, len(nodes))

    def _helper_of(self, layer: _Layer, owner: dict[str, str]) -> str | None:
        """The main layer whose block takes ``layer`` in as one of its helpers, if any."""
        if len(layer.inputs) != 1:
            return None
        source = layer.inputs[0][0]
        main = owner.get(source, source)
        spec = self.spec_of.get(main)
        if spec is None or spec.keras is None:
            return None
        helpers = spec.keras.helpers
        taken = len(self.helpers.get(main, []))
        if taken < len(helpers) and helpers[taken] == layer.key:
            self.helpers.setdefault(main, [])
            return main
        return None

    @staticmethod
    def _where(layer: _Layer, part: str, inputs: set[str], outputs: set[str]) -> str:
        if layer.name in inputs:
            return "generator input" if part == "generator" else "input"
        if layer.name in outputs:
            return f"{part} output" if part != "model" else "output"
        return ""

    def _add(self, layer: _Layer, where: str) -> None:
        candidates = [spec for spec in blocks.all_specs() if spec.keras is not None
                      and layer.key in spec.keras.classes
                      and (spec.keras.accepts is None or spec.keras.accepts(layer.config, where))]
        if not candidates:
            known = any(spec.keras is not None and layer.key in spec.keras.classes
                        for spec in blocks.all_specs())
            self._refuse(layer, "no block stands for it here" if known
                         else "Deepwire has no block for this layer")
            return
        spec = candidates[0]
        try:
            params = spec.resolve(spec.params_from_keras(layer.config, len(layer.inputs)))
        except (ParamError, KeyError, TypeError, ValueError) as err:
            self._refuse(layer, f"the {spec.title} block cannot take its settings ({err})")
            return
        assert spec.keras is not None
        ports = (spec.keras.ports(len(layer.inputs)) if spec.keras.ports is not None
                 else tuple(p.name for p in spec.input_ports(params))[:len(layer.inputs)])
        wired = list(zip(ports, layer.inputs, strict=False))
        names = {p.name for p in spec.input_ports(params)}
        wired += [(k, v) for k, v in layer.keyword_inputs.items() if k in names]
        if any(tensor[0] in self._lost for _, tensor in wired):
            self._lost.add(layer.name)  # after a refused layer: only that one is listed
            return
        for _port, tensor in wired:
            if tensor not in self.outputs:
                self._refuse(layer, f"its input {tensor[0]} was not imported")
                return
        self.blocks.append((layer.name, spec, params))
        self.spec_of[layer.name] = spec
        self.helpers[layer.name] = []
        for port, tensor in wired:
            source, source_port = self.outputs[tensor]
            self.wires.append((source, source_port, layer.name, port))
        for index, port in enumerate(spec.output_ports()):
            self.outputs[(layer.name, index)] = (layer.name, port.name)

    def _refuse(self, layer: _Layer, reason: str) -> None:
        self._lost.add(layer.name)
        self.refused.append(RefusedLayer(layer.name, layer.key.split(">")[-1], reason))

    def _set_loss(self, layer: str, loss: tuple[str, bool]) -> None:
        for index, (name, spec, params) in enumerate(self.blocks):
            if name == layer and "loss" in params:
                try:
                    params = spec.resolve({**params, "loss": loss[0], "from_logits": loss[1]})
                except ParamError:
                    continue
                self.blocks[index] = (name, spec, params)

    # ---- the project

    def project(self, name: str, kind: str) -> Project:
        if self.refused:
            count = len(self.refused)
            raise KerasImportError(
                self.source, f"Cannot import {self.source}: {count} layer"
                f"{'s have' if count > 1 else ' has'} no Deepwire block that builds "
                f"{'them' if count > 1 else 'it'} as saved:", self.refused)
        project = Project(name=name, task={"kind": kind})
        keep = all(_NODE_ID.match(n) for n, _, _ in self.blocks)
        ids: dict[str, str] = {}
        for layer, spec, params in self.blocks:
            if kind == "adversarial" and spec.id == "discriminator_output":
                params = {**params, "from_logits": self.from_logits}
            try:
                node = project.add_node(spec.id, params, node_id=layer if keep else None,
                                        title=None if keep else layer.split("/")[-1])
            except DocumentError as err:
                raise KerasImportError(self.source, f"Cannot import {self.source}: {err}"
                                       ) from err
            ids[layer] = node.id
            self.layer_names[node.id] = layer
        for source, source_port, target, target_port in self.wires:
            project.add_link(ids[source], source_port, ids[target], target_port)
        for layer, tensor, loss in self._added_outputs:
            source, port = self.outputs[(layer, tensor)]
            if loss is None:  # not compiled: the obvious loss for a probability output
                activation = (self.configs.get(source, {}).get("config") or {}).get(
                    "activation")
                loss = _LOSS_AFTER.get(activation) if isinstance(activation, str) else None
            params = {} if loss is None else {"loss": loss[0], "from_logits": loss[1]}
            try:
                node = project.add_node("output", params)
            except DocumentError:
                node = project.add_node("output")
            project.add_link(ids[source], port, node.id, "in")
        made: dict[str, str] = {}  # nested model -> its group, inner ones made first
        for key, title, _parent in reversed(self.groups):
            items = [ids[layer] for layer, group in self.group_of.items() if group == key]
            items += [made[inner] for inner, _t, parent in self.groups
                      if parent == key and inner in made]
            if items:
                made[key] = project.group_items(items, title).id
        return project


_STAGE = re.compile(r"^(?:[A-Za-z]+_?[0-9]+(?:_|$))+")
_UNIT = re.compile(r"[A-Za-z]+_?[0-9]+")


def stage_of(name: str) -> str | None:
    """The stage a layer name starts with: ``block_3`` for ``block_3_expand_BN``,
    ``conv2_block1`` for ``conv2_block1_1_conv``; None without one."""
    match = _STAGE.match(name)
    return match.group(0).rstrip("_") if match else None


def _family(stage: str) -> str:
    return re.sub(r"[0-9]+", "#", stage)


def stage_groups(project: Project, level: str | None = None) -> list[str]:
    """Group the blocks of a level whose titles share a stage prefix, where stages of the
    same pattern repeat (block_1 ... block_16), then those groups by their outer stage
    (conv2_block1 ... conv2_block3 as conv2). Returns the groups made, outer ones last."""
    stages: dict[str, list[str]] = {}
    for item in project.members(level):
        if is_group_id(item):
            continue
        title = project.node(item).title
        stage = stage_of(title) if title else None
        if stage is not None:
            stages.setdefault(stage, []).append(item)
    made = _group_repeated(project, stages)
    outer: dict[str, list[str]] = {}
    for group_id in made:
        title = project.group(group_id).title
        units = _UNIT.findall(title)
        if len(units) > 1:
            outer.setdefault(title[:title.rindex(units[-1])].rstrip("_"), []).append(group_id)
    return made + _group_repeated(project, outer)


def _group_repeated(project: Project, stages: Mapping[str, list[str]]) -> list[str]:
    families = Counter(_family(stage) for stage, items in stages.items() if len(items) > 1)
    return [project.group_items(items, stage).id for stage, items in stages.items()
            if len(items) > 1 and families[_family(stage)] > 1]


def lay_out(project: Project) -> None:
    """Every level laid out left to right: the top first, then each group's inside in a
    band of its own below it, in the model's order (outer groups before inner ones). A
    level view shows one band; a view of every block reads one stage per band."""
    order = {node: i for i, node in enumerate(project.topological_order())}
    bands = [None, *sorted(project.groups, key=lambda g: (
        min(order[n] for n in project.leaves(g)), len(project.path(g))))]
    top = 0.0
    for level in bands:
        positions = layered_positions(project, origin=(0.0, top), level=level)
        for item, position in positions.items():
            _move(project, item, position)
        if positions:
            top = max(y for _, y in positions.values()) + DEFAULT_SIZE[1] + ROW_GAP


def _move(project: Project, item: str, position: tuple[float, float]) -> None:
    if is_group_id(item):
        project.update_group(item, position=position)
    else:
        project.move_node(item, position)


def _check_rebuilds(project: Project, builder: _Builder, source: str) -> None:
    """Refuse, by layer, an import whose blocks would not build the layers as saved."""
    from projects.compiler import CompileError, build

    try:
        compiled = build(project)
    except CompileError as err:
        raise KerasImportError(source, f"Cannot import {source}: the imported blocks do "
                                       "not make a valid model:\n" + str(err)) from err
    rebuilt = {}
    models = ([compiled.model] if compiled.generator is None
              else [compiled.generator, compiled.discriminator])
    for model in models:
        for entry in model.get_config()["layers"]:
            rebuilt[entry["config"]["name"]] = entry
    refused = []
    for node_id, layer in builder.layer_names.items():
        pairs = [(layer, node_id)] + [
            (helper, f"{node_id}{helper[len(layer):]}") for helper in builder.helpers[layer]]
        for original_name, new_name in pairs:
            original = builder.configs.get(original_name)
            new = rebuilt.get(new_name)
            if original is None or new is None:
                continue
            differences = config_differences(original["config"], new["config"])
            if differences:
                refused.append(RefusedLayer(original_name, _key(original).split(">")[-1],
                                            "the block would build it with "
                                            + "; ".join(differences)))
    if refused:
        raise KerasImportError(source, f"Cannot import {source}: some layers have settings "
                                       "no Deepwire block reproduces:", refused)


def config_differences(original: Mapping[str, Any], rebuilt: Mapping[str, Any]) -> list[str]:
    """``key=rebuilt instead of original`` for each compared entry of two layer configs."""
    found = []
    for key in sorted(set(original) | set(rebuilt)):
        if _NOT_COMPARED.match(key):
            continue
        before, after = _plain(original.get(key)), _plain(rebuilt.get(key))
        if before != after:
            found.append(f"{key}={_short(after)} instead of {_short(before)}")
    return found


def _plain(value: Any) -> Any:
    """JSON-equal form: tuples as lists, so (3, 3) and [3, 3] compare equal."""
    return json.loads(json.dumps(value, default=str))


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


class ImportedWeightsError(Exception):
    """The file holding a project's imported weights cannot be read."""


def load_imported_weights(compiled: Any) -> list[str]:
    """Copy the weights a project was imported with into its compiled model, by block.

    Each block takes the weights of the layer it was imported from (its helpers too), when
    their shapes still fit; returns a sentence per block that could not (an edited block
    starts from fresh weights). Does nothing for a project without imported weights.
    Raises ImportedWeightsError when the file is gone or refused.
    """
    from projects.export.keras_file import ExportError, load_keras

    imported = compiled.project.metadata.get(IMPORTED_WEIGHTS)
    if not isinstance(imported, Mapping):
        return []
    path = Path(str(imported.get("file", "")))
    try:
        source = load_keras(path)
    except ExportError as err:
        raise ImportedWeightsError(f"The project starts from the weights imported from "
                                   f"{path}, but they cannot be read: {err}") from err
    models = [source] if not hasattr(source, "generator") else [source.generator,
                                                                 source.discriminator]
    saved = {name: layer for model in models for name, layer in _named_layers(model, "")}
    skipped = []
    nodes = compiled.project.nodes
    for node_id, layer_name in (imported.get("layers") or {}).items():
        if node_id not in nodes:
            continue
        for layer in compiled.node_layers(node_id):
            original = saved.get(f"{layer_name}{layer.name[len(node_id):]}")
            weights = [] if original is None else original.get_weights()
            if [w.shape for w in weights] != [tuple(v.shape) for v in layer.weights]:
                skipped.append(f"{nodes[node_id].label} starts from fresh weights: its "
                               f"imported ones do not fit it any more")
                break
            if weights:
                layer.set_weights(weights)
            if hasattr(original, "get_vocabulary"):  # a vocabulary is state, not weights
                layer.set_vocabulary(original.get_vocabulary())
    return skipped


def _named_layers(model: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Every layer by the name the import gave it: nested models' as ``outer/inner``."""
    for layer in model.layers:
        if hasattr(layer, "layers") and hasattr(layer, "get_weights") and hasattr(
                layer, "inputs"):
            yield from _named_layers(layer, f"{prefix}{layer.name}/")
        else:
            yield f"{prefix}{layer.name}", layer
