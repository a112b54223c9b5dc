"""Validation: per-block errors and warnings in plain words (docs/architecture.md, Blocks).

Links that can never be valid are refused by the document itself; this module reports what
depends on the whole graph: missing inputs, shapes Keras refuses, blocks that lead nowhere,
and graphs that do not fit their task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import networkx as nx

from blocks.spec import format_shape
from projects.document import Node, Project
from projects.fixes import Fix
from projects.shapes import NodeShapes, ShapeInference

if TYPE_CHECKING:
    from projects.datasets.description import DatasetDescription

Severity = Literal["error", "warning"]
LARGE_BLOCK_PARAMS = 10_000_000

GAN_BLOCKS = frozenset({"latent_noise", "generator_output", "discriminator_output"})
GRAPH_BLOCKS = frozenset({"graph_input", "graph_convolution"})


@dataclass(frozen=True)
class Issue:
    """One problem. Where it lies is data, never to be found in ``message``: ``node_id``
    is the block at fault (None for the whole model) and ``param`` its parameter at fault,
    where there is one."""

    severity: Severity
    message: str
    node_id: str | None = None
    param: str | None = None
    fix: Fix | None = field(default=None, compare=False)  # the obvious repair, if any

    def __str__(self) -> str:
        where = f"{self.node_id}: " if self.node_id else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass
class Report:
    """Everything the canvas shows: issues, and shapes and parameter counts per block."""

    issues: list[Issue] = field(default_factory=list)
    shapes: dict[str, NodeShapes] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def for_node(self, node_id: str) -> list[Issue]:
        return [i for i in self.issues if i.node_id == node_id]

    @property
    def total_params(self) -> int:
        return sum(s.params for s in self.shapes.values())


def validate(project: Project, inference: ShapeInference | None = None, *,
             check_data: bool = False, data: DatasetDescription | None = None) -> Report:
    """Check ``project``; pass the document's ShapeInference to reuse its cache.

    With ``check_data`` it also checks that a dataset is chosen and serves the task and,
    once ``data`` (the chosen dataset's description) is known, the blocks against it
    (projects.data_checks).
    """
    inference = inference or ShapeInference()
    shapes = inference.infer(project)
    report = Report(shapes=shapes)
    nodes = project.nodes
    issues = report.issues
    if not nodes:
        issues.append(Issue("error", "The project is empty: add an Input, some layers and "
                                     "an Output."))
        return report

    for node_id in project.topological_order():
        node = nodes[node_id]
        for port in node.input_ports():
            if not port.optional and project.link_into(node_id, port.name) is None:
                issues.append(Issue("error", f"{node.label}: input '{port.name}' is not "
                                             "connected", node_id))
        result = shapes[node_id]
        if result.error:
            issues.append(Issue("error", f"{node.label}: {result.error}", node_id,
                                result.error_param))
        if result.params > LARGE_BLOCK_PARAMS:
            issues.append(Issue("warning", f"{node.label} has {result.params / 1e6:.1f} M "
                                           "parameters; training will be slow and memory-hungry",
                                node_id))

    _check_reachability(project, nodes, issues)
    _check_task(project, nodes, shapes, issues)
    if check_data:
        from projects.data_checks import check_data as check_against_data

        issues.extend(check_against_data(project, shapes, data))
    return report


def _sinks(nodes: dict[str, Node]) -> list[str]:
    return [i for i, n in nodes.items() if "sink" in n.spec.tags]


def _check_reachability(project: Project, nodes: dict[str, Node], issues: list[Issue]) -> None:
    graph = project.graph()
    useful: set[str] = set()
    for sink in _sinks(nodes):
        useful.add(sink)
        useful |= nx.ancestors(graph, sink)
    for node_id, node in nodes.items():
        if node_id in useful:
            continue
        if graph.degree(node_id) == 0 and len(nodes) > 1:
            issues.append(Issue("warning", f"{node.label} is not connected to anything",
                                node_id))
        else:
            issues.append(Issue("warning", f"{node.label} does not lead to an Output; it is "
                                           "left out of the model", node_id))


def _named(nodes: dict[str, Node], ids: Iterable[str]) -> str:
    return ", ".join(nodes[i].label for i in ids)


def _of_block(nodes: dict[str, Node], *block_ids: str) -> list[str]:
    return [i for i, n in nodes.items() if n.block in block_ids]


def _check_task(project: Project, nodes: dict[str, Node], shapes: dict[str, NodeShapes],
                issues: list[Issue]) -> None:
    kind = project.task.get("kind", "supervised")
    inputs = _of_block(nodes, "input")
    outputs = _of_block(nodes, "output")
    gan = [i for i, n in nodes.items() if n.block in GAN_BLOCKS]
    graph_blocks = [i for i, n in nodes.items() if n.block in GRAPH_BLOCKS]

    def error(message: str, node_id: str | None = None) -> None:
        issues.append(Issue("error", message, node_id))

    if kind != "adversarial":
        for node_id in gan:
            error(f"{nodes[node_id].label} belongs to a GAN; set the task to adversarial or "
                  "remove it", node_id)
    if kind != "node_classification":
        for node_id in graph_blocks:
            error(f"{nodes[node_id].label} works on graphs; set the task to node "
                  "classification or remove it", node_id)

    if kind in ("supervised", "node_classification"):
        if not inputs:
            error("The model has no Input block: add one for the data")
        if not outputs:
            error("The model has no Output block: add one after the last layer to choose "
                  "the loss")
    if kind == "node_classification":
        graphs = _of_block(nodes, "graph_input")
        if len(graphs) != 1:
            error("Node classification needs exactly one Graph (adjacency) block"
                  + (f"; found {_named(nodes, graphs)}" if graphs else ""))
        if len(outputs) > 1:
            error(f"Node classification predicts one class per node: keep one Output "
                  f"(found {_named(nodes, outputs)})")
    if kind == "adversarial":
        _check_gan(project, nodes, shapes, inputs, outputs, error)


def _check_gan(project: Project, nodes: dict[str, Node], shapes: dict[str, NodeShapes],
               inputs: list[str], outputs: list[str], error) -> None:
    noise = _of_block(nodes, "latent_noise")
    gen_out = _of_block(nodes, "generator_output")
    disc_out = _of_block(nodes, "discriminator_output")
    for found, title in ((noise, "Latent Noise"), (gen_out, "Generator Output"),
                         (disc_out, "Discriminator Output"), (inputs, "Input (the data)")):
        if len(found) != 1:
            extra = f"; found {_named(nodes, found)}" if found else ""
            error(f"A GAN needs exactly one {title} block{extra}")
    for node_id in outputs:
        error(f"{nodes[node_id].label}: a GAN ends in Generator Output and Discriminator "
              "Output, not Output", node_id)
    if not (len(noise) == len(gen_out) == len(disc_out) == len(inputs) == 1):
        return
    graph = project.graph()
    generator = nx.descendants(graph, noise[0]) | {noise[0]}
    discriminator = nx.descendants(graph, inputs[0]) | {inputs[0]}
    if gen_out[0] not in generator:
        error(f"{nodes[gen_out[0]].label} must be fed from {nodes[noise[0]].label}",
              gen_out[0])
    if disc_out[0] not in discriminator:
        error(f"{nodes[disc_out[0]].label} must be fed from {nodes[inputs[0]].label}",
              disc_out[0])
    shared = sorted(generator & discriminator)
    if shared:
        error(f"The generator and the discriminator must be separate graphs; "
              f"{_named(nodes, shared)} belong to both", shared[0])
        return
    generated = shapes[gen_out[0]].outputs.get("result")
    data = shapes[inputs[0]].outputs.get("out")
    if generated is not None and data is not None and generated.shape[1:] != data.shape[1:]:
        error(f"The generator makes samples of shape {format_shape(generated.shape[1:])} but "
              f"the discriminator's input {nodes[inputs[0]].label} takes "
              f"{format_shape(data.shape[1:])}; they must be equal", gen_out[0])
    score = shapes[disc_out[0]].outputs.get("result")
    if score is not None and score.shape[1:] != (1,):
        error(f"{nodes[disc_out[0]].label} must receive one score per sample (shape "
              f"(None, 1)); it receives {format_shape(score.shape)}", disc_out[0])
