"""Keras and TensorFlow errors in plain words (docs/architecture.md, Training and events).

Qt-free. A wrong wiring makes Keras raise messages written for Keras developers: internal
layer names, ``ndim``, graph node paths. :func:`translate` turns the common ones into a
sentence that names the block, says what is wrong and what would fix it. An error it
cannot translate is a bug of Deepwire's: it stays "unexpected", and the caller says where
the full report (the traceback in the run folder's ``error.txt``) is.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from projects.document import Project
from projects.shapes import keras_message

UNEXPECTED = "This is unexpected (a bug in Deepwire)"


@dataclass(frozen=True)
class Translation:
    """An error in plain words: ``node_id`` is the block to blame (None when no block
    is), ``known`` False when the error was not recognised."""

    message: str
    hint: str
    node_id: str | None = None
    known: bool = True


@dataclass(frozen=True)
class _Context:
    project: Project | None
    output_node: str | None  # the block a loss error blames: the only (or first) Output
    node_id: str | None  # the block named in the error, if any


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str], _Context], tuple[str, str, str | None]]]


def _shape(text: str) -> str:
    """A Keras shape as Deepwire writes it: ``(None, 20, 8)`` -> ``(batch, 20, 8)``."""
    text = re.sub(r"\bNone\b", "batch", text.strip())
    return re.sub(r"\[(batch|\d+)((?: +(?:batch|\d+))*)\]",
                  lambda m: "(" + ", ".join(m.group(0)[1:-1].split()) + ")", text)


def _incompatible(m: re.Match[str], c: _Context) -> tuple[str, str, str | None]:
    expected, found, shape = int(m.group("expected")), int(m.group("found")), m.group("shape")
    per_sample = expected - 1
    what = {1: "a vector per sample, e.g. (batch, features)",
            2: "a sequence per sample, e.g. (batch, steps, features)",
            3: "an image per sample, (batch, height, width, channels)"}.get(
                per_sample, f"{expected} axes including the batch axis")
    message = (f"This block needs {what} but receives {_shape(shape)} "
               f"({found} axes instead of {'at least ' if m.group('min') else ''}{expected}).")
    if found < expected and per_sample == 3:
        hint = ("For a sequence use the 1-D version of the block (Conv1D, pooling 1D), or "
                "insert a Reshape that adds the missing axis.")
    elif found < expected:
        hint = "Insert a Reshape that adds the missing axis, or feed the block a larger input."
    else:
        hint = ("Insert a Flatten or a pooling block before it to remove the extra axes, or "
                "use the block made for that many axes.")
    return message, hint, c.node_id


def _rank_vs_target(m: re.Match[str], c: _Context) -> tuple[str, str, str | None]:
    target, output = _dims(m.group("target")), _dims(m.group("output"))
    if len(target) == len(output) and target[-1:] == output[-1:]:
        return (f"The labels are one-hot vectors {_shape(m.group('target'))}, but the loss "
                "expects class numbers (sparse categorical cross-entropy).",
                "Set the Output block's loss to categorical cross-entropy.", c.output_node)
    return (f"The model predicts {_shape(m.group('output'))}, one prediction per step, but the "
            f"data has one label per sample {_shape(m.group('target'))}.",
            "Insert a pooling block (Global Average Pooling 1D) or Flatten before the "
            "classifier head, so it predicts one class per sample.", c.output_node)


def _target_vs_output(m: re.Match[str], c: _Context) -> tuple[str, str, str | None]:
    target, output = _dims(m.group("target")), _dims(m.group("output"))
    if len(target) <= len(output) and (not target or target[-1] in (1, None)) and len(
            output) >= 2 and output[-1] not in (1, None):
        return (f"The labels are class numbers {_shape(m.group('target'))}, but the loss "
                f"expects one-hot vectors like the output {_shape(m.group('output'))}.",
                "Set the Output block's loss to sparse categorical cross-entropy.",
                c.output_node)
    return (f"The output {_shape(m.group('output'))} does not match the labels "
            f"{_shape(m.group('target'))}.",
            "Make the last block produce one value per label: set its units to the labels' "
            "size, or reshape it.", c.output_node)


def _dims(text: str) -> tuple[int | None, ...]:
    return tuple(None if d == "None" else int(d) for d in re.findall(r"None|\d+", text))


RULES: list[_Rule] = [
    (re.compile(r"Input \d+ (?:with name \S+ )?of layer \S+ is incompatible with the layer: "
                r"expected (?P<min>min_)?ndim=(?P<expected>\d+), found ndim=(?P<found>\d+)\. "
                r"Full shape received: (?P<shape>\([^)]*\))"), _incompatible),
    (re.compile(r"Argument `output` must have rank \(ndim\) `target.ndim - 1`\. Received: "
                r"target.shape=(?P<target>\([^)]*\)), output.shape=(?P<output>\([^)]*\))"),
     _rank_vs_target),
    (re.compile(r"Arguments `target` and `output` must have the same (?:rank \(ndim\)|shape)\. "
                r"Received: target.shape=(?P<target>\([^)]*\)), "
                r"output.shape=(?P<output>\([^)]*\))"), _target_vs_output),
    (re.compile(r"Received a label value of (?P<label>-?\d+) which is outside the valid range "
                r"of \[0, (?P<n>\d+)\)"),
     lambda m, c: (f"The data has a label {m.group('label')}, but the model predicts only "
                   f"{m.group('n')} classes (0 to {int(m.group('n')) - 1}).",
                   "Set the units of the last Dense block to the number of classes in the "
                   "data.", c.output_node)),
    (re.compile(r"indices\[[\d,]*\] = (?P<index>-?\d+) is not in \[0, (?P<n>\d+)\)"),
     lambda m, c: (f"An input holds the value {m.group('index')}, but this block only accepts "
                   f"whole numbers from 0 to {int(m.group('n')) - 1} (its vocabulary size is "
                   f"{m.group('n')}).",
                   f"Raise the vocabulary size to at least {int(m.group('index')) + 1}, or "
                   "check that the input holds token numbers.", c.node_id)),
    (re.compile(r"A `Concatenate` layer requires inputs with matching shapes except for the "
                r"concatenation axis\. Received: input_shape=(?P<shapes>\[.*\])"),
     lambda m, c: (f"The inputs {_shape(m.group('shapes')[1:-1])} cannot be joined: their "
                   "shapes must be equal except along the joined axis.",
                   "Make the inputs the same rank and size (insert a Reshape, Flatten or "
                   "pooling block on one wire), or join along another axis.", c.node_id)),
    (re.compile(r"Inputs have incompatible shapes\. Received shapes (?P<a>\([^)]*\)) and "
                r"(?P<b>\([^)]*\))"),
     lambda m, c: (f"The inputs have different shapes, {_shape(m.group('a'))} per sample and "
                   f"{_shape(m.group('b'))}; adding or multiplying needs equal shapes.",
                   "Give both inputs the same shape, e.g. with a Dense block of matching units "
                   "on one wire.", c.node_id)),
    (re.compile(r"Computed output size would be (?:zero or )?negative\. Received:? "
                r"`inputs[. ]shape=(?P<shape>[^`]*)`"),
     lambda m, c: (f"The input {_shape(m.group('shape'))} is smaller than the block's window, "
                   "so its output would have no size left.",
                   "Use a smaller kernel or pool size, 'same' padding, or fewer pooling blocks "
                   "before this one.", c.node_id)),
    (re.compile(r"total size of (?:the tensor|the new array) must be unchanged.*?"
                r"input_shape ?= ?(?P<input>\S+?),? (?:target_shape|output_shape) ?= ?"
                r"(?P<target>\([^)]*\)|\[[^\]]*\])"),
     lambda m, c: (f"The input {_shape(m.group('input'))} cannot be reshaped to "
                   f"{_shape(m.group('target'))}: the number of values per sample differs.",
                   "Set the target shape so that its sizes multiply to the input's size per "
                   "sample.", c.node_id)),
    (re.compile(r"(?:expected to be a|must be) (?P<want>\w+) tensor but is a (?P<got>\w+) "
                r"tensor"),
     lambda m, c: (f"This block receives {m.group('got')} values where it needs "
                   f"{m.group('want')} values.",
                   "Check the Input block's data type, or convert the values before this "
                   "block.", c.node_id)),
]


def translate(err: BaseException, project: Project | None = None) -> Translation:
    """``err`` in plain words, blaming the block its text names (a Keras layer or graph
    node is named after its block, see projects/compiler.py) or, for errors of the loss,
    the Output block."""
    text = _plain(err)
    context = _Context(project, output_node(project),
                       node_in_text(text, project))
    if _out_of_memory(err):
        return Translation("Out of memory.", "Use a smaller batch size or a smaller model.",
                           context.node_id)  # the trainer words it with the batch size
    for pattern, explain in RULES:
        match = pattern.search(text)
        if match:
            message, hint, node_id = explain(match, context)
            return Translation(named(message, node_id, project), hint, node_id)
    first = keras_message(err)
    return Translation(named(f"{type(err).__name__}: {_without_internal_names(first)}",
                             context.node_id, project), UNEXPECTED, context.node_id,
                       known=False)


def named(message: str, node_id: str | None, project: Project | None) -> str:
    """``message`` led by the block's label, "Dense (n3): ...", when there is a block."""
    if node_id is None or project is None or node_id not in project.nodes:
        return message
    return f"{project.nodes[node_id].label}: {message}"


def plain_message(err: BaseException) -> str:
    """One line for a block that Keras refused during shape inference: the translation when
    the error is known, else Keras's first line without internal layer names."""
    translated = translate(err)
    if translated.known:
        return f"{translated.message} {translated.hint}"
    return _without_internal_names(keras_message(err))


def write_report(err: BaseException, folder: Path | None) -> Path | None:
    """The full traceback as ``error.txt`` in ``folder``; its path, or None without one."""
    if folder is None:
        return None
    path = folder / "error.txt"
    try:
        path.write_text("".join(traceback.format_exception(err)), encoding="utf-8")
    except OSError:
        return None
    return path


def _plain(err: BaseException) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", str(err))


def _out_of_memory(err: BaseException) -> bool:
    if isinstance(err, MemoryError):
        return True
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover - TensorFlow is a dependency
        return False
    return isinstance(err, tf.errors.ResourceExhaustedError)


_OF_LAYER = re.compile(r"\s*(?:with name '[^']*' )?of layer ['\"][^'\"]*['\"]")
_LAYER = re.compile(r"\b[Ll]ayer ['\"][^'\"]*['\"]|['\"]probe(?:_\w+)?['\"]")


def _without_internal_names(text: str) -> str:
    """Keras names layers (after blocks, or 'probe' during shape inference); the message is
    shown beside the block's own name, so the layer's is dropped."""
    text = _OF_LAYER.sub(" of this block", text).replace("with name 'None' ", "")
    return _LAYER.sub("this block", text)


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def node_in_text(text: str, project: Project | None) -> str | None:
    """The first block an error's text names: a layer ``n7`` or helper ``n7_norm``, or a
    graph node path such as ``functional_1/n7_1/MatMul``."""
    if project is None:
        return None
    ids = sorted(project.nodes, key=len, reverse=True)
    for token in _TOKEN.findall(text):
        for node_id in ids:
            if token == node_id or token.startswith(f"{node_id}_"):
                return node_id
    return None


def output_node(project: Project | None) -> str | None:
    """The block a loss error blames: the (first) Output block."""
    if project is None:
        return None
    outputs = sorted(i for i, n in project.nodes.items() if n.block == "output")
    return outputs[0] if outputs else None
