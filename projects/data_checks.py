"""Validation against the data: the model's blocks held against the chosen dataset's
description (docs/architecture.md, Datasets).

Each check is O(inputs + outputs): it reads the shapes inference already found and the
dataset's :class:`~projects.datasets.description.DatasetDescription`, never the data.
Where the repair is obvious the issue carries a :class:`~projects.fixes.Fix`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from blocks.spec import format_shape
from projects import fixes
from projects.datasets import registry
from projects.datasets.description import (
    DatasetDescription,
    Misfit,
    class_misfits,
    describe,
    dtype_misfits,
    graph_misfits,
    input_misfits,
)
from projects.datasets.registry import DatasetError
from projects.document import TASK_TITLES, Link, Node, Project, node_sort_key
from projects.shapes import NodeShapes, TensorInfo
from projects.training import REGRESSION_LOSSES
from projects.validation import Issue
from projects.vectorizers import VectorizerError, vectorizers

SPARSE = "sparse_categorical_crossentropy"
PROBABILITIES = frozenset({"softmax", "sigmoid"})
HEAD_BLOCKS = frozenset({"dense", "activation", "dropout"})  # a classifier head's blocks
LOSS_TITLES = {SPARSE: "sparse categorical crossentropy",
               "categorical_crossentropy": "categorical crossentropy",
               "binary_crossentropy": "binary crossentropy",
               "mean_squared_error": "mean squared error",
               "mean_absolute_error": "mean absolute error", "huber": "Huber"}
# The rank (batch axis included) a block's input must have; a wire that brings another
# rank gets a Reshape.
INPUT_RANKS = {"conv1d": 3, "max_pooling1d": 3, "average_pooling1d": 3,
               "global_average_pooling1d": 3, "multi_head_attention": 3, "simple_attention": 3,
               "conv2d": 4, "conv2d_transpose": 4, "max_pooling2d": 4, "average_pooling2d": 4,
               "global_average_pooling2d": 4, "upsampling2d": 4}
FALLBACK_DATASETS = {"supervised": "digits", "node_classification": "karate",
                     "adversarial": "gaussian_mixture_2d"}


def project_data(project: Project, base_dir: Path | None = None
                 ) -> DatasetDescription | None:
    """The description of the project's dataset, or None when none is chosen or the one
    chosen does not serve the task (:func:`check_data` says so).

    Raises:
        DatasetError: the data cannot be loaded.
    """
    kind = project.task.get("kind", "supervised")
    spec = registry.get(str(project.dataset.get("name") or ""))
    if spec is None or kind not in spec.tasks:
        return None
    return describe(project.dataset, task_kind=kind, base_dir=base_dir)


def check_data(project: Project, shapes: dict[str, NodeShapes],
               data: DatasetDescription | None) -> list[Issue]:
    """Problems between the model and its dataset: none chosen, one for another task, or
    (once ``data`` describes the chosen one) blocks that do not fit it."""
    kind = project.task.get("kind", "supervised")
    name = project.dataset.get("name")
    spec = registry.get(name) if name else None
    task = TASK_TITLES.get(kind, kind)
    if spec is None or kind not in spec.tasks:
        fix = suggested_dataset(project, shapes)
        choose = "choose one in the project's Dataset field"  # the fix names a suggestion
        if not name:
            message = f"No dataset is chosen: {choose}"
        elif spec is None:
            message = f"Deepwire has no dataset called '{name}': {choose}"
        else:
            serves = " or ".join(TASK_TITLES[t] for t in spec.tasks)
            message = (f"The dataset '{spec.title}' is for {serves} projects, not {task}: "
                       f"{choose}")
        return [Issue("error", message, fix=fix)]
    if data is None or data.name != name:
        return []  # not known yet
    issues: list[Issue] = []
    nodes = project.nodes

    def name_of(key: str) -> str:
        return nodes[key].label

    order = sorted(nodes, key=node_sort_key)  # the compiled model's input order
    inputs = {i: tuple(nodes[i].params["shape"]) for i in order if nodes[i].block == "input"}
    for misfit in input_misfits(data, inputs, name_of):
        issues.append(_issue(project, misfit, f"Set the shape of '{{label}}' to "
                                               f"{misfit.value}"))
    dtypes = {i: nodes[i].params["dtype"] for i in inputs}
    for misfit in dtype_misfits(data, dtypes, name_of):
        issues.append(_issue(project, misfit, f"Set the type of '{{label}}' to {misfit.value}"))
    # Graph blocks outside node classification are already refused with the task
    graphs = {i: nodes[i].params["num_nodes"] for i in order
              if nodes[i].block == "graph_input" and kind == "node_classification"}
    for misfit in graph_misfits(data, graphs, name_of):
        issues.append(_issue(project, misfit, f"Set Nodes of '{{label}}' to {misfit.value}"))
    if kind == "adversarial":
        issues.extend(_check_generator(project, shapes, data))
    else:
        for node_id in order:
            if nodes[node_id].block == "output":
                issues.extend(_check_output(project, shapes, data, node_id))
    issues.extend(_wire_reshapes(project, shapes))
    issues.extend(_check_vectorizers(project))
    return issues


def _issue(project: Project, misfit: Misfit, fix_title: str) -> Issue:
    """An Issue from a shared rule, with its hint, and the fix that sets ``value``."""
    fix = None
    if misfit.key is not None and misfit.param and misfit.value is not None:
        label = project.node(misfit.key).label
        fix = fixes.set_param(project, misfit.key, misfit.param, misfit.value,
                              fix_title.format(label=label))
    message = f"{misfit.message}: {misfit.hint}" if misfit.hint else misfit.message
    return Issue(misfit.severity, message, misfit.key, misfit.param, fix)


# ----------------------------------------------------------------------------- outputs


def _producer(project: Project, node_id: str, port: str = "in") -> Node | None:
    link = project.link_into(node_id, port)
    return None if link is None else project.node(link.source)


def _incoming(project: Project, shapes: dict[str, NodeShapes], link: Link
              ) -> TensorInfo | None:
    found = shapes.get(link.source)
    return None if found is None else found.outputs.get(link.source_port)


def _check_output(project: Project, shapes: dict[str, NodeShapes], data: DatasetDescription,
                  node_id: str) -> list[Issue]:
    node = project.node(node_id)
    loss, from_logits = node.params["loss"], node.params["from_logits"]
    result = shapes[node_id].outputs.get("result")
    if result is None:
        return []
    label = node.label
    labels = data.labels
    if labels == "classes" and data.from_file and loss in REGRESSION_LOSSES:
        labels = "numbers"  # the trainer reads a file's whole numbers as targets then
    per = "node" if data.kind == "graph" else "sample"
    if len(result.shape) > 2:
        return [Issue("error", f"{label} receives one prediction per step, "
                               f"{format_shape(result.shape)}, but {data.quoted} has one "
                               f"label per {per}: pool or flatten the steps before the "
                               "classifier head", node_id, fix=_head_fix(project, shapes,
                                                                        node_id))]
    units = result.shape[-1] if result.shape else None
    if labels == "numbers":
        if loss not in REGRESSION_LOSSES:
            return [Issue("error", f"{label} uses {LOSS_TITLES[loss]}, a loss for classes, "
                                   f"but {data.quoted} has numbers to predict: use mean "
                                   "squared error", node_id, "loss",
                          fixes.set_param(project, node_id, "loss", "mean_squared_error",
                                          f"Set the loss of '{label}' to mean squared "
                                          "error"))]
        if units not in (None, 1):
            return [_units_issue(project, node_id, 1, "error",
                                 f"{label} predicts {units} numbers per {per} but "
                                 f"{data.quoted} has one: give the layer before it 1 unit")]
        return []
    classes = data.top_label + 1 if data.top_label is not None else None
    if classes is None:
        return []
    wrong_loss = None
    if loss in REGRESSION_LOSSES:
        wrong_loss = f"a loss for numbers, but {data.quoted} has {classes} classes"
    elif loss == "categorical_crossentropy":
        wrong_loss = (f"which needs one-hot labels, but the labels of {data.quoted} are class "
                      "numbers")
    elif loss == "binary_crossentropy" and (classes > 2 or units not in (None, 1)):
        wrong_loss = (f"which predicts yes or no with 1 unit, but {data.quoted} has "
                      f"{classes} classes and the model {units} units")
    if wrong_loss:
        return [Issue("error", f"{label} uses {LOSS_TITLES[loss]}, {wrong_loss}: use sparse "
                               "categorical crossentropy", node_id, "loss",
                      fixes.set_param(project, node_id, "loss", SPARSE,
                                      f"Set the loss of '{label}' to sparse categorical "
                                      "crossentropy"))]
    if loss == SPARSE and units == 1 and classes == 2:
        return [Issue("error", f"{label} uses sparse categorical crossentropy on 1 unit, "
                               "which cannot tell two classes apart: use binary "
                               "crossentropy", node_id, "loss",
                      fixes.set_param(project, node_id, "loss", "binary_crossentropy",
                                      f"Set the loss of '{label}' to binary crossentropy"))]
    issues = []
    if units is not None:
        for misfit in class_misfits(data, {node_id: units}, lambda key: label):
            wanted = 1 if loss == "binary_crossentropy" else misfit.value
            issues.append(_units_issue(project, node_id, wanted, misfit.severity,
                                       f"{misfit.message}: {misfit.hint}"))
    issues.extend(_check_logits(project, node_id, from_logits))
    return issues


def _units_issue(project: Project, output_id: str, units: int, severity: str, message: str
                 ) -> Issue:
    """A units problem, on the Dense before the Output when there is one (its fix)."""
    dense = _producer(project, output_id)
    if dense is None or dense.block != "dense":
        return Issue(severity, message, output_id)
    return Issue(severity, message, dense.id, "units",
                 fixes.set_param(project, dense.id, "units", units,
                                 f"Set the units of '{dense.label}' to {units}"))


def _final_activation(project: Project, output_id: str) -> tuple[Node, str] | None:
    """The block whose activation the Output sees, past any Dropout, and its activation."""
    node = _producer(project, output_id)
    while node is not None and node.block == "dropout":
        node = _producer(project, node.id)
    if node is None or node.block not in ("dense", "activation"):
        return None
    return node, node.params["activation"]


def _check_logits(project: Project, node_id: str, from_logits: bool) -> list[Issue]:
    found = _final_activation(project, node_id)
    if found is None:
        return []
    block, activation = found
    label = project.node(node_id).label
    probabilities = activation in PROBABILITIES
    if not probabilities and activation != "linear":
        # relu, tanh, ...: the class scores are squashed (relu's cannot go below 0), so
        # turning from_logits on alone would leave a head that learns badly
        edits = [fixes.SetParams(block.id, (("activation", "linear"),))]
        if not from_logits:
            edits.append(fixes.SetParams(node_id, (("from_logits", True),)))
        turn = "" if from_logits else f" and turn from_logits on in '{label}'"
        return [Issue("error" if not from_logits else "warning",
                      f"{block.label} ends in {activation}, which squashes the class scores "
                      f"{label} learns from: a classifier head ends in linear (raw scores, "
                      "from_logits on) or softmax", block.id, "activation",
                      fixes.Fix(f"Make '{block.label}' linear{turn}", tuple(edits)))]
    if probabilities == (not from_logits):
        return []
    if probabilities:
        message = (f"{block.label} ends in {activation}, so it gives probabilities, but "
                   f"{label} treats them as raw scores (from_logits is on): turn from_logits "
                   "off")
    else:
        message = (f"{block.label} ends in {activation}, so it gives raw scores, but "
                   f"{label} expects probabilities (from_logits is off): turn from_logits on")
    return [Issue("error", message, node_id, "from_logits",
                  fixes.set_param(project, node_id, "from_logits", not probabilities,
                                  f"Turn from_logits {'off' if probabilities else 'on'} in "
                                  f"'{label}'"))]


def _head_fix(project: Project, shapes: dict[str, NodeShapes], output_id: str
              ) -> fixes.Fix | None:
    """Pool (a sequence) or flatten (anything else) where the classifier head starts: on
    the wire into the first Dense / Activation / Dropout of the chain that ends in the
    Output, or into the Output itself."""
    start = project.node(output_id)
    link = project.link_into(output_id, "in")
    while link is not None:
        source = project.node(link.source)
        upstream = project.link_into(source.id, "in")
        if source.block not in HEAD_BLOCKS or upstream is None:
            break
        start, link = source, upstream
    tensor = _incoming(project, shapes, link) if link is not None else None
    if tensor is None:
        return None
    if len(tensor.shape) == 3:
        block, title = "global_average_pooling1d", "GlobalAveragePooling1D"
    else:
        block, title = "flatten", "Flatten"
    return fixes.insert_on_link(project, link, block, {},
                                f"Insert {title} before '{start.label}'")


# ----------------------------------------------------------------------------- wires and GANs


def _reshape_target(shape: tuple[Any, ...], rank: int) -> tuple[int, ...] | None:
    """A per-sample shape of ``rank - 1`` axes with the same values as ``shape``, or None."""
    dims = shape[1:]
    if any(d is None for d in dims):
        return None
    if rank == 3:
        return (dims[0], 1) if len(dims) == 1 else (_product(dims[:-1]), dims[-1])
    if rank == 4 and len(dims) == 2:
        return (dims[0], dims[1], 1)
    if rank == 4 and len(dims) == 1:
        side = round(dims[0] ** 0.5)
        return (side, side, 1) if side * side == dims[0] else (dims[0], 1, 1)
    return None


def _product(dims: tuple[int, ...]) -> int:
    total = 1
    for d in dims:
        total *= d
    return total


def _wire_reshapes(project: Project, shapes: dict[str, NodeShapes]) -> list[Issue]:
    """Blocks Keras refused because their input has the wrong rank: a Reshape on the
    wire (the block's own error is already listed; this adds the repair)."""
    issues = []
    for node_id, found in shapes.items():
        node = project.nodes[node_id]
        rank = INPUT_RANKS.get(node.block)
        if not found.error or rank is None:
            continue
        link = project.links_into(node_id)[0] if project.links_into(node_id) else None
        tensor = _incoming(project, shapes, link) if link is not None else None
        if tensor is None or len(tensor.shape) == rank:
            continue
        target = _reshape_target(tensor.shape, rank)
        if target is None:
            continue
        fix = fixes.insert_on_link(project, link, "reshape", {"target_shape": target},
                                   f"Insert Reshape to {target} before '{node.label}'")
        issues.append(Issue("error", f"{node.label} takes {rank - 1}-axis samples but "
                                     f"receives {format_shape(tensor.shape)}: reshape them "
                                     f"to {target}", node_id, fix=fix))
    return issues


def _check_vectorizers(project: Project) -> list[Issue]:
    """Text Vectorization blocks: texts straight from a string Input, and an Embedding
    after one with room for every token id it makes (0 to Vocabulary size - 1)."""
    try:
        found = vectorizers(project)
    except VectorizerError as err:
        return [Issue("error", str(err), err.node_id)]
    graph = project.graph()
    issues = []
    for vectorizer in found:
        tokens = int(project.node(vectorizer.node_id).params["max_tokens"])
        label = project.node(vectorizer.node_id).label
        for node_id in sorted(nx.descendants(graph, vectorizer.node_id), key=node_sort_key):
            node = project.nodes[node_id]
            if node.block != "embedding":
                continue
            if int(node.params["input_dim"]) < tokens:
                fix = fixes.set_param(project, node_id, "input_dim", tokens,
                                      f"Set the vocabulary size of '{node.label}' to {tokens}")
                issues.append(Issue("error", f"{node.label} takes token ids below "
                                             f"{node.params['input_dim']} but '{label}' makes "
                                             f"ids up to {tokens - 1}: set its input_dim to "
                                             f"{tokens}", node_id, "input_dim", fix))
            if not node.params["mask_zero"]:
                fix = fixes.set_param(project, node_id, "mask_zero", True,
                                      f"Mask the padding in '{node.label}'")
                issues.append(Issue("warning", f"{node.label} does not mask the padding "
                                               f"(token 0) that '{label}' adds to short "
                                               "texts: attention and pooling count it; tick "
                                               "mask_zero", node_id, "mask_zero", fix))
    return issues


def _check_generator(project: Project, shapes: dict[str, NodeShapes],
                     data: DatasetDescription) -> list[Issue]:
    outs = [n for n in project.nodes.values() if n.block == "generator_output"]
    if len(outs) != 1 or len(data.input_shapes) != 1:
        return []
    node = outs[0]
    made = shapes[node.id].outputs.get("result")
    wanted = data.input_shapes[0]
    if made is None or tuple(made.shape[1:]) == wanted:
        return []
    fix = None
    link = project.link_into(node.id, "in")
    if link is not None and None not in made.shape[1:] and (
            _product(tuple(made.shape[1:])) == _product(wanted)):
        fix = fixes.insert_on_link(project, link, "reshape", {"target_shape": wanted},
                                   f"Insert Reshape to {wanted} before '{node.label}'")
    return [Issue("error", f"{node.label} makes samples of shape "
                           f"{format_shape(made.shape[1:])} but {data.quoted} has samples of "
                           f"{wanted}: make the generator end in that shape", node.id,
                  fix=fix)]


# ----------------------------------------------------------------------------- choosing data


def suggested_dataset(project: Project, shapes: dict[str, NodeShapes]) -> fixes.Fix:
    """The built-in dataset for the task whose inputs match the model's Input blocks (read
    off their fields, nothing loads), else the task's usual one."""
    kind = project.task.get("kind", "supervised")
    wanted = sorted((n for n in project.nodes.values() if n.block == "input"),
                    key=lambda n: node_sort_key(n.id))
    choice = registry.get(FALLBACK_DATASETS.get(kind, "digits"))
    for spec in registry.all_specs():
        if spec.source != "built in" or kind not in spec.tasks or spec.describer is None:
            continue
        try:
            facts = describe({"name": spec.name}, task_kind=kind)
        except DatasetError:  # a describer refusing the defaults: not this one
            continue
        if wanted and not input_misfits(facts, {n.id: n.params["shape"] for n in wanted},
                                        str):
            choice = spec
            break
    return fixes.set_dataset({"name": choice.name}, f"Choose the dataset '{choice.title}'")
