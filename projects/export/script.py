"""Export as a standalone Python script.

The script is generated from the compiled Keras model itself, not from a second set of
per-block templates: each layer is written as a constructor call holding only the
arguments where its ``get_config()`` differs from the class defaults, and every call is
checked to rebuild exactly that config (or the layer is written with ``from_config``).
So the script and the compiler cannot drift apart. The compile step is read back from
the model compiled by :func:`projects.compiler.compile_project` in the same way.
"""

from __future__ import annotations

import ast
import heapq
import inspect
import json
import keyword
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from projects import keras_compat
from projects.compiler import compile_project
from projects.document import Project, node_sort_key
from projects.export.keras_file import ExportError

LINE_WIDTH = 99  # ruff's limit is 100
INDENT = "    "
# Call arguments Keras fills in from the masks that its tensors carry.
_MASK_ARGUMENT = re.compile(r"^(.+_)?mask$")
# Compile arguments Keras resolves itself (``"auto"`` becomes True or False).
_RESOLVED_COMPILE_ARGUMENTS = frozenset({"jit_compile"})
_KERAS_NAMESPACES = ("keras.layers", "keras.losses", "keras.metrics", "keras.optimizers",
                     "keras.regularizers", "keras")


def export_python(project: Project) -> str:
    """Python source that rebuilds and compiles the project's model with Keras alone.

    The script defines ``build_model()`` (and, for a GAN, ``build_generator()`` and
    ``build_discriminator()``); run as a program it prints the model's summary. Raises
    CompileError when the project is not valid and ExportError for a layer that cannot
    be written as code.
    """
    compiled = compile_project(project)
    script = _Script(project, _port_names(compiled.tensors))
    if compiled.kind == "adversarial":
        script.add_model_function("build_generator", compiled.generator,
                                  "The generator: latent noise in, generated samples out.")
        script.add_model_function("build_discriminator", compiled.discriminator,
                                  "The discriminator: samples in, one score per sample out.")
        script.add_adversarial_function(compiled.model)
    else:
        script.add_model_function("build_model", compiled.model,
                                  "The model, compiled with the project's loss, optimizer and "
                                  "metrics.", compile_model=True)
        if any(_is_text_vectorization(layer) for layer in compiled.model.layers):
            script.functions.append(ADAPT_TEXT)
            script.usage = ("Import ``build_model()``, call ``adapt_text(model, texts)`` on the "
                            "training texts, then train; the model takes raw text (a numpy "
                            "array of str, dtype=object). Run this file to print its summary.")
    return script.text()


# Text Vectorization layers learn their vocabulary from the training texts, as Deepwire's
# trainer does before fit (projects/vectorizers.py).
ADAPT_TEXT = '''def adapt_text(model, texts):
    """Learn each TextVectorization layer's vocabulary from the training texts, before fit.

    ``texts`` is a sequence of str, or a dict from Input name to texts for several text
    inputs. Adapt on the training split only, as Deepwire does.
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.TextVectorization):
            part = texts[layer.input.name] if isinstance(texts, dict) else texts
            layer.adapt([str(text) for text in part])'''.splitlines()


def _is_text_vectorization(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.layers.TextVectorization)



# ----------------------------------------------------------------------------- the script


class _Script:
    """Collects the functions of a generated script and writes it out."""

    def __init__(self, project: Project, port_names: dict[int, str]) -> None:
        self.project = project
        self.port_names = port_names
        self.block_order = {node_id: i for i, node_id in enumerate(project.topological_order())}
        self.deepwire_imports: set[str] = set()
        self.functions: list[list[str]] = []
        self.function_names = {"build_model", "build_generator", "build_discriminator",
                               "adapt_text"}
        self._all_steps: list[_Step] = []
        self.main: list[str] = []
        self.usage = ("Import ``build_model()`` to train the model; run this file to print its "
                      "summary.")

    def add_model_function(self, function: str, model: Any, doc: str,
                           compile_model: bool = False) -> None:
        body: list[str] = []
        steps = _graph_steps(model, self._step_key)
        self._all_steps = steps
        names = _Names(used={id(t) for t in model.outputs}
                       | {id(t) for t in model.inputs}
                       | {id(t) for step in steps for t in _call_inputs(step.node)})
        body.extend(self._level_lines(steps, None, names, model))
        inputs = _structure([names.of(t) for t in model.inputs])
        outputs = _structure([names.of(t) for t in model.outputs])
        # A graph model is Deepwire's GraphModel, so plain predict takes all nodes at once.
        model_class = "keras.Model"
        if _deepwire_class(type(model)):
            self._note_import(type(model))
            model_class = type(model).__name__
        model_call = _Group(f"{model_class}(", [
            ("inputs=", inputs), ("outputs=", outputs), ("name=", _literal(model.name))], ")")
        if compile_model:
            body.extend(_layout(model_call, INDENT, "model = ", ""))
            body.extend(self._compile_lines(model))
            body.append(f"{INDENT}return model")
            self.main = [f"{INDENT}build_model().summary()"]
        else:
            body.extend(_layout(model_call, INDENT, "return ", ""))
        self.functions.append([f"def {function}():", f'{INDENT}"""{doc}"""', *body])

    def _level_lines(self, steps: list[_Step], level: str | None, names: _Names,
                     model: Any) -> list[str]:
        """The lines of one level: its blocks' layer calls, and a call of each group's
        function (written beside, before the function that calls it).

        A group whose parts have an outside block between them (A in the group feeds B
        outside, which feeds C in the group) cannot be one call; it is written inline.
        """
        inline: set[str] = set()
        while True:
            units = self._units(steps, level, inline)
            order = _unit_order(units)
            if order is not None:
                break
            inline.add(next(unit[1] for unit in units if unit[0] == "group"))
        lines: list[str] = []
        previous_block = None
        for unit in order:
            if unit[0] == "step":
                step = unit[1]
                block = self._block_of(step.layer.name)
                if block != previous_block and block is not None:
                    lines.append(self._comment(block))
                previous_block = block
                lines.extend(self._step_lines(step, names))
            else:
                previous_block = None
                lines.extend(self._group_call(unit[1], units[unit], names, model))
        return lines

    def _units(self, steps: list[_Step], level: str | None, inline: set[str]
               ) -> dict[tuple[str, Any], list[_Step]]:
        """Steps gathered into what a level writes: single calls, and whole groups."""
        units: dict[tuple[str, Any], list[_Step]] = {}
        for step in steps:
            block = self._block_of(step.layer.name)
            item = None if block is None else self.project.item_at(block, level)
            if item is None or item == block or item in inline:
                units[("step", step)] = [step]
            else:
                units.setdefault(("group", item), []).append(step)
        return units

    def _group_call(self, group_id: str, steps: list[_Step], names: _Names,
                    model: Any) -> list[str]:
        """Write the group's function and return the lines that call it."""
        inside = {_call_key(step) for step in steps}
        arguments: dict[int, Any] = {}
        for step in steps:
            for tensor in _call_inputs(step.node):
                if _call_of(tensor) not in inside:
                    arguments.setdefault(id(tensor), tensor)
        read_outside = {id(t) for t in [*model.outputs, *model.inputs]}
        for step in self._all_steps:
            if _call_key(step) not in inside:
                read_outside |= {id(t) for t in _call_inputs(step.node)}
        results = [t for step in steps for t in step.node.output_tensors
                   if id(t) in read_outside]
        group = self.project.group(group_id)
        function = self._function_name(group.title)
        parameters = [names.of(t) for t in arguments.values()]
        body = self._level_lines(steps, group_id, names, model)
        returned = ", ".join(names.of(t) for t in results) or "None"
        self.functions.append([
            f"def {function}({', '.join(parameters)}):",
            f'{INDENT}"""The group {_docstring_text(group.title)} ({group.id})."""',
            *body, f"{INDENT}return {returned}"])
        call = f"{function}({', '.join(parameters)})"
        comment = _one_line(f"{group.title} ({group.id}): group")
        target = ", ".join(names.of(t) for t in results)
        return [f"{INDENT}# {comment}"[:LINE_WIDTH],
                f"{INDENT}{target} = {call}" if target else f"{INDENT}{call}"]

    def _function_name(self, title: str) -> str:
        base = re.sub(r"\W+", "_", _one_line(title).lower()).strip("_") or "group"
        if base[0].isdigit() or keyword.iskeyword(base) or base in _Names.RESERVED:
            base = f"group_{base}"
        name, number = base, 2
        while name in self.function_names:
            name, number = f"{base}_{number}", number + 1
        self.function_names.add(name)
        return name

    def add_adversarial_function(self, model: Any) -> None:
        self.deepwire_imports.add(type(model).__name__)
        construct = _Group(f"{type(model).__name__}(", [
            ("", "build_generator()"), ("", "build_discriminator()"),
            ("latent_dim=", _literal(model.latent_dim)), ("name=", _literal(model.name))], ")")
        body = ["def build_model():",
                f'{INDENT}"""The GAN: generator and discriminator, each with its optimizer."""',
                *_layout(construct, INDENT, "model = ", ""),
                *self._compile_lines(model),
                f"{INDENT}return model"]
        self.functions.append(body)
        self.main = [f"{INDENT}model = build_model()",
                     f"{INDENT}model.generator.summary()",
                     f"{INDENT}model.discriminator.summary()"]

    def text(self) -> str:
        import keras

        lines = [*self._docstring(keras.__version__), "", "import keras"]
        if self.deepwire_imports:
            names = sorted(self.deepwire_imports)
            line = f"from blocks.layers import {', '.join(names)}"
            lines += ["", line] if len(line) <= LINE_WIDTH else [
                "", "from blocks.layers import (", *(f"{INDENT}{n}," for n in names), ")"]
        for function in self.functions:
            lines += ["", "", *function]
        lines += ["", "", 'if __name__ == "__main__":', *self.main]
        return "\n".join(lines) + "\n"

    # ---- pieces

    def _docstring(self, keras_version: str) -> list[str]:
        name = _docstring_text(self.project.name)
        needs = ("TensorFlow and Keras, and Deepwire's ``blocks`` package for its custom "
                 "layers (imported from ``blocks.layers``): run it where Deepwire is "
                 "installed, or with Deepwire's folder on PYTHONPATH."
                 if self.deepwire_imports else "only TensorFlow and Keras.")
        paragraphs = [
            f'Keras model of the Deepwire project "{name}".',
            f'Generated by Deepwire from project "{name}" with Keras {keras_version}. '
            f"Needs {needs}",
            self.usage,
        ]
        wrapped = [_wrap(text, LINE_WIDTH - len('"""')) for text in paragraphs]
        lines = ['"""' + wrapped[0][0], *wrapped[0][1:]]
        for paragraph in wrapped[1:]:
            lines += ["", *paragraph]
        return [*lines, '"""']

    def _comment(self, node_id: str) -> str:
        node = self.project.node(node_id)
        text = (f"{node.label}: {node.spec.title}" if node.title
                else f"{node.spec.title} ({node.id})")
        text = _one_line(text)
        room = LINE_WIDTH - len(INDENT) - 2
        if len(text) > room:
            text = text[:room - 3] + "..."
        return f"{INDENT}# {text}"

    def _block_of(self, layer_name: str) -> str | None:
        """The block a layer belongs to: named after it (``n7``) or a helper (``n7_norm``)."""
        node_id = layer_name.split("_", 1)[0]
        return node_id if node_id in self.block_order else None

    def _step_key(self, layer: Any) -> tuple[int, str]:
        block = self._block_of(layer.name)
        return (self.block_order[block] if block is not None else len(self.block_order),
                node_sort_key(layer.name))

    def _step_lines(self, step: _Step, names: _Names) -> list[str]:
        outputs = step.node.output_tensors
        if len(outputs) == 1:
            target = names.define(outputs[0], step.layer.name)
        else:
            target = ", ".join(names.define(t, self._output_name(step.layer.name, i, t))
                               for i, t in enumerate(outputs))
        if _is_input_layer(step.layer):
            return _layout(_input_call(step.layer), INDENT, f"{target} = ", "")
        self._note_import(type(step.layer))
        arguments = _call_arguments(step.layer, step.node, names)
        return _layout(_constructor_call(step.layer), INDENT, f"{target} = ", f"({arguments})")

    def _output_name(self, layer_name: str, index: int, tensor: Any) -> str:
        port = self.port_names.get(id(tensor))
        return f"{layer_name}_{port or index}"

    def _note_import(self, cls: type) -> None:
        if _deepwire_class(cls):
            self.deepwire_imports.add(cls.__name__)

    def _compile_lines(self, model: Any) -> list[str]:
        config = model.get_compile_config()
        signature = inspect.signature(type(model).compile).parameters
        items = []
        for key, value in config.items():
            default = signature[key].default if key in signature else inspect.Parameter.empty
            if key in _RESOLVED_COMPILE_ARGUMENTS or (default is not inspect.Parameter.empty
                                                      and value == default):
                continue
            items.append((f"{key}=", self._compile_value(value)))
        return _layout(_Group("model.compile(", items, ")"), INDENT, "", "")

    def _compile_value(self, value: Any) -> _Doc:
        import keras

        if isinstance(value, dict) and "class_name" in value and "module" in value:
            obj = keras.saving.deserialize_keras_object(value)
            self._note_import(type(obj))
            return _constructor_call(obj, always=("learning_rate",))
        if isinstance(value, list):
            return _Group("[", [("", self._compile_value(v)) for v in value], "]")
        if isinstance(value, dict):
            return _Group("{", [(f"{_literal(k)}: ", self._compile_value(v))
                                for k, v in value.items()], "}")
        return _literal(value)


def _port_names(tensors: dict[tuple[str, str], Any]) -> dict[int, str]:
    """Output port names by tensor id, to name a multi-output layer's results."""
    return {id(tensor): port for (_, port), tensor in tensors.items()}


# ----------------------------------------------------------------------------- the graph


@dataclass(frozen=True)
class _Step:
    """One call of a layer in the model: ``node`` is the Keras graph node of the call."""

    layer: Any
    node: Any


def _graph_steps(model: Any, key: Any) -> list[_Step]:
    """The layer calls that make up ``model``, in an order that respects the data flow.

    Among the calls whose inputs are ready, the one whose block comes first on the canvas
    goes first, so the script reads in the same order as the project.
    """
    steps: dict[tuple[int, int], _Step] = {}
    waiting: dict[tuple[int, int], int] = {}  # inputs not yet computed, per call
    readers: dict[tuple[int, int], list[tuple[int, int]]] = {}
    stack = list(model.outputs)
    while stack:
        layer, index, node = _producing_call(stack.pop())
        ident = (id(layer), index)
        if ident in steps:
            continue
        steps[ident] = _Step(layer, node)
        parents = {_call_of(t) for t in _call_inputs(node)}
        waiting[ident] = len(parents)
        for parent in parents:
            readers.setdefault(parent, []).append(ident)
        stack.extend(_call_inputs(node))
    ready = [(key(steps[i].layer), i) for i, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[_Step] = []
    while ready:
        _, ident = heapq.heappop(ready)
        ordered.append(steps[ident])
        for reader in readers.get(ident, []):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, (key(steps[reader].layer), reader))
    if len({id(step.layer) for step in ordered}) < len(ordered):
        raise ExportError("The model calls a layer more than once (shared weights), which "
                          "the script cannot write yet")
    return ordered


def _call_key(step: _Step) -> tuple[int, int]:
    return _call_of(step.node.output_tensors[0])


def _unit_order(units: dict[tuple[str, Any], list[_Step]]) -> list[tuple[str, Any]] | None:
    """The units in data-flow order, keeping the steps' order among those ready; None when
    gathering a group into one call would make a loop."""
    owner = {_call_key(step): unit for unit, steps in units.items() for step in steps}
    first = {unit: index for index, unit in enumerate(units)}
    needs: dict[tuple[str, Any], set[tuple[str, Any]]] = {}
    for unit, steps in units.items():
        needs[unit] = {owner[_call_of(t)] for step in steps for t in _call_inputs(step.node)
                       if _call_of(t) in owner} - {unit}
    order: list[tuple[str, Any]] = []
    ready = [(first[u], u) for u in units if not needs[u]]
    heapq.heapify(ready)
    readers: dict[tuple[str, Any], list[tuple[str, Any]]] = {}
    for unit, parents in needs.items():
        for parent in parents:
            readers.setdefault(parent, []).append(unit)
    waiting = {unit: len(parents) for unit, parents in needs.items()}
    while ready:
        _, unit = heapq.heappop(ready)
        order.append(unit)
        for reader in readers.get(unit, []):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, (first[reader], reader))
    return order if len(order) == len(units) else None


def _producing_call(tensor: Any) -> tuple[Any, int, Any]:
    call = keras_compat.producing_call(tensor)
    if call is None:
        raise ExportError("Writing the script needs the layer history of a tested Keras "
                          "version; export the model as a .keras file instead")
    return call


def _call_of(tensor: Any) -> tuple[int, int]:
    layer, index, _ = _producing_call(tensor)
    return (id(layer), index)


def _is_input_layer(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.layers.InputLayer)


def _call_arguments(layer: Any, node: Any, names: _Names) -> str:
    """The arguments of one layer call, tensors by their variable names."""
    parts = [_flat(_argument(value, names, layer)) for value in node.arguments.args]
    parts += [f"{key}={_flat(_argument(value, names, layer))}"
              for key, value in _explicit_kwargs(node).items()]
    return ", ".join(parts)


def _call_inputs(node: Any) -> list[Any]:
    """The tensors a call reads, leaving out the masks Keras fills in from them."""
    from keras import tree

    values = [*node.arguments.args, *_explicit_kwargs(node).values()]
    return [v for v in tree.flatten(values) if _is_tensor(v)]


def _explicit_kwargs(node: Any) -> dict[str, Any]:
    """Keyword arguments of a call, without those Keras fills in by itself.

    Keras records the default of ``training`` and the masks its tensors carry on every
    call; the script's calls get the same, so writing them would only add noise.
    """
    from keras import tree

    parameters = inspect.signature(node.operation.call).parameters
    carried = {id(getattr(t, "_keras_mask", None))
               for t in tree.flatten(node.arguments.args) if _is_tensor(t)}

    def implied(key: str, value: Any) -> bool:
        if _MASK_ARGUMENT.match(key) and all(v is None or id(v) in carried
                                             for v in tree.flatten(value)):
            return True
        default = parameters[key].default if key in parameters else inspect.Parameter.empty
        return (isinstance(value, bool | int | float | str | None)
                and type(value) is type(default) and value == default)

    return {key: value for key, value in node.arguments.kwargs.items()
            if not implied(key, value)}


def _argument(value: Any, names: _Names, layer: Any) -> _Doc:
    if _is_tensor(value):
        return names.of(value)
    if isinstance(value, list | tuple):
        return _sequence(value, [_argument(v, names, layer) for v in value])
    try:
        return _literal(value)
    except _NotALiteral:
        raise ExportError(f"Layer '{layer.name}' is called with {type(value).__name__}, "
                          "which cannot be written as Python code") from None


def _is_tensor(value: Any) -> bool:
    import keras

    return isinstance(value, keras.KerasTensor)


class _Names:
    """Python variable names for the tensors of one function."""

    RESERVED = frozenset({"keras", "model", "blocks"})

    def __init__(self, used: set[int]) -> None:
        self._used_tensors = used
        self._by_tensor: dict[int, str] = {}
        self._used: set[str] = set()

    def define(self, tensor: Any, wanted: str) -> str:
        """A new variable for ``tensor``; one that nothing reads starts with ``_``."""
        name = re.sub(r"\W", "_", wanted) or "x"
        if name[0].isdigit() or keyword.iskeyword(name) or name in self.RESERVED:
            name = f"x_{name}"
        if id(tensor) not in self._used_tensors:
            name = f"_{name}"
        unique, counter = name, 2
        while unique in self._used:
            unique, counter = f"{name}_{counter}", counter + 1
        self._used.add(unique)
        self._by_tensor[id(tensor)] = unique
        return unique

    def of(self, tensor: Any) -> str:
        try:
            return self._by_tensor[id(tensor)]
        except KeyError:
            raise ExportError(f"The model uses a tensor ({tensor.name}) that no layer in it "
                              "makes, so it cannot be written as Python code") from None


def _structure(names: list[str]) -> _Doc:
    return names[0] if len(names) == 1 else _Group("[", [("", n) for n in names], "]")


# ----------------------------------------------------------------------------- constructors


def _input_call(layer: Any) -> _Doc:
    config = layer.get_config()
    batch_shape = tuple(config["batch_shape"])
    items: list[tuple[str, _Doc]] = [("shape=", _literal(batch_shape[1:]))]
    if batch_shape[0] is not None:
        items.append(("batch_size=", _literal(batch_shape[0])))
    if config.get("dtype", "float32") != "float32":
        items.append(("dtype=", _literal(config["dtype"])))
    for flag in ("sparse", "ragged", "optional"):
        if config.get(flag):
            items.append((f"{flag}=", "True"))
    items.append(("name=", _literal(layer.name)))
    return _Group("keras.Input(", items, ")")


def _constructor_call(obj: Any, always: Iterable[str] = ()) -> _Doc:
    """``Class(arg=value, ...)`` with the arguments that differ from the defaults.

    Checked by constructing the object from exactly the literals written and comparing
    configs; where that does not give back the same config, ``Class.from_config({...})``.
    """
    cls = type(obj)
    path = _class_path(cls)
    config = obj.get_config()
    for pretty in (True, False):
        arguments = _changed_arguments(cls, config, set(always), pretty)
        if arguments is not None:
            return _Group(f"{path}(", [(f"{k}=", v) for k, v in arguments.items()], ")")
    try:
        literal = _literal(config)
    except _NotALiteral:
        raise ExportError(f"{getattr(obj, 'name', cls.__name__)}: its configuration cannot "
                          "be written as Python code") from None
    return _Group(f"{path}.from_config(", [("", literal)], ")")


def _changed_arguments(cls: type, config: dict[str, Any], always: set[str],
                       pretty: bool) -> dict[str, _Doc] | None:
    """Constructor arguments (as code) that rebuild ``config``, or None if none do."""
    parameters = inspect.signature(cls.__init__).parameters
    required = [name for name, p in parameters.items() if name != "self"
                and p.default is p.empty
                and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if any(name not in config for name in required):
        return None
    try:
        reference = cls(**{name: config[name] for name in required}).get_config()
        skip_name = not _is_layer(cls) and _default_name(config) == _default_name(reference)
        chosen = [*required, *(k for k, v in config.items() if k not in required
                               and (k in always or k not in reference or reference[k] != v)
                               and not (k == "name" and skip_name))]
        # The name reads best last, as Keras's own examples write it.
        chosen.sort(key=lambda k: k == "name")
        code = {k: _argument_code(config[k], pretty) for k in chosen}
        rebuilt = cls(**{k: config[k] if _is_regularizer(config[k])
                         else ast.literal_eval(_flat(v)) for k, v in code.items()}).get_config()
    except Exception:  # any refusal just means: write from_config instead
        return None
    if skip_name and "name" in config:  # regularisers have no name
        rebuilt["name"] = config["name"]
    return code if rebuilt == config else None


def _argument_code(value: Any, pretty: bool) -> _Doc:
    """A constructor argument as code: a regulariser as the call that makes it
    (``keras.regularizers.L1L2(l2=0.0005)``, checked by its own config), the rest as
    literals."""
    if _is_regularizer(value):
        import keras

        return _constructor_call(keras.regularizers.deserialize(value))
    return _literal(value, pretty)


def _is_regularizer(value: Any) -> bool:
    """A Keras regulariser as a layer's config holds it (serialised)."""
    return (isinstance(value, dict) and value.get("module") == "keras.regularizers"
            and value.get("registered_name") is None and "class_name" in value)


def _is_layer(cls: type) -> bool:
    import keras

    return issubclass(cls, keras.layers.Layer)


def _default_name(config: dict[str, Any]) -> str:
    """A name without the number Keras appends to default names (``adam_3``)."""
    return re.sub(r"_\d+$", "", str(config.get("name")))


def _class_path(cls: type) -> str:
    """How the script names ``cls``: ``keras.layers.Dense``, or a Deepwire layer's name."""
    import importlib

    if _deepwire_class(cls):
        return cls.__name__
    for namespace in _KERAS_NAMESPACES:
        if getattr(importlib.import_module(namespace), cls.__name__, None) is cls:
            return f"{namespace}.{cls.__name__}"
    raise ExportError(f"{cls.__module__}.{cls.__qualname__} is neither a Keras nor a "
                      "Deepwire class, so the script could not rebuild it")


def _deepwire_class(cls: type) -> bool:
    import blocks.layers

    return getattr(blocks.layers, cls.__name__, None) is cls


# ----------------------------------------------------------------------------- layout


class _NotALiteral(Exception):
    pass


@dataclass
class _Group:
    """Code with bracketed, comma-separated items: ``open item, item close``."""

    open: str
    items: list[tuple[str, _Doc]] = field(default_factory=list)
    close: str = ""
    one_tuple: bool = False  # a tuple of one item needs its trailing comma


_Doc = str | _Group


def _literal(value: Any, pretty: bool = False) -> _Doc:
    """Python code for a JSON-like config value (tuples stay tuples)."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return _float(value, pretty)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return _sequence(value, [_literal(v, pretty) for v in value])
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return _Group("{", [(f"{json.dumps(k)}: ", _literal(v, pretty))
                            for k, v in value.items()], "}")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return _literal(value.item(), pretty)
    raise _NotALiteral(type(value).__name__)


def _sequence(value: list | tuple, items: list[_Doc]) -> _Group:
    """``[a, b]`` for a list, ``(a, b)`` or ``(a,)`` for a tuple."""
    if isinstance(value, tuple):
        return _Group("(", [("", item) for item in items], ")", one_tuple=len(items) == 1)
    return _Group("[", [("", item) for item in items], "]")


def _float(value: float, pretty: bool) -> str:
    """``repr``, or with ``pretty`` the shortest text of a value stored as float32
    (Keras keeps optimizer settings as float32, so ``0.001`` reads back as 0.0010000000474…)."""
    if not math.isfinite(value):
        return f'float("{value}")'
    text = repr(value)
    if pretty:
        import numpy as np

        single = np.float32(value)
        if float(single) == value:
            short = str(single)
            if len(short) < len(text) and float(np.float32(float(short))) == value:
                return short
    return text


def _flat(doc: _Doc) -> str:
    if isinstance(doc, str):
        return doc
    inner = ", ".join(prefix + _flat(item) for prefix, item in doc.items)
    return f"{doc.open}{inner}{',' if doc.one_tuple else ''}{doc.close}"


def _layout(doc: _Doc, indent: str, prefix: str, suffix: str) -> list[str]:
    """Lines for ``prefix + doc + suffix``: on one line if it fits, else one item a line."""
    line = f"{indent}{prefix}{_flat(doc)}{suffix}"
    if len(line) <= LINE_WIDTH or isinstance(doc, str) or not doc.items:
        return [line]
    lines = [f"{indent}{prefix}{doc.open}"]
    for item_prefix, item in doc.items:
        lines.extend(_layout(item, indent + INDENT, item_prefix, ","))
    lines.append(f"{indent}{doc.close}{suffix}")
    return lines


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring."""
    return _one_line(text).replace("\\", "\\\\").replace('"', '\\"')


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
