"""The compiler: a valid project becomes Keras model(s), built in topological order.

Layers are named after their blocks (``n7``, helpers ``n7_norm``), so a model's layers
map back to the canvas: parameter counts, probes and error messages name blocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from blocks.builders import SINK_KEY
from projects.document import Project, TrainingSettings
from projects.errors import plain_message
from projects.keras_compat import layers_between
from projects.shapes import param_at_fault
from projects.validation import Issue, Report, validate

CLASSIFICATION_METRICS = {
    "sparse_categorical_crossentropy": "sparse_categorical_accuracy",
    "categorical_crossentropy": "categorical_accuracy",
    "binary_crossentropy": "binary_accuracy",
}


class CompileError(Exception):
    """The project cannot become a model; ``issues`` name the blocks concerned."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class CompiledProject:
    """The Keras side of a project.

    ``model`` is what trains: a functional model (supervised, node classification) or an
    AdversarialModel wrapping ``generator`` and ``discriminator``. ``input_nodes`` and
    ``output_nodes`` give the block behind each model input and output, in order.
    """

    project: Project
    kind: str
    model: Any
    input_nodes: list[str]
    output_nodes: list[str]
    tensors: dict[tuple[str, str], Any] = field(default_factory=dict)
    generator: Any = None
    discriminator: Any = None
    report: Report | None = None
    _probe_outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def attention_nodes(self) -> list[str]:
        return list(self._probe_outputs)

    def probe_model(self) -> Any:
        """A model from the same inputs to the weights of every attention block.

        It shares the trained model's layers, so it always shows the current weights.
        Returns None when the project has no attention block.
        """
        import keras

        if not self._probe_outputs:
            return None
        inputs = [self.tensors[(node_id, _source_port(self.project, node_id))]
                  for node_id in self.input_nodes]
        inputs = [_model_input(t) for t in inputs]
        return keras.Model(inputs if len(inputs) > 1 else inputs[0], dict(self._probe_outputs),
                           name="attention_probe")

    def node_layers(self, node_id: str) -> list[Any]:
        """The Keras layers a block made (its own and its ``<id>_...`` helpers)."""
        models = [self.model] if self.generator is None else [self.generator,
                                                             self.discriminator]
        return [layer for model in models for layer in model.layers
                if layer.name == node_id or layer.name.startswith(f"{node_id}_")]


def _source_port(project: Project, node_id: str) -> str:
    return project.node(node_id).output_ports()[0].name


def _model_input(tensor: Any) -> Any:
    """The keras.Input behind a source block's output (the graph block normalises it)."""
    import keras

    for layer in layers_between([tensor]):
        if isinstance(layer, keras.layers.InputLayer):
            return layer.output
    return tensor


def build(project: Project, report: Report | None = None) -> CompiledProject:
    """Build the project's Keras model(s) without compiling them for training.

    Raises CompileError with the validation errors when the project is not valid, or
    naming the block Keras refused.
    """
    report = report or validate(project)
    if not report.ok:
        raise CompileError(report.errors)
    kind = project.task.get("kind", "supervised")
    nodes = project.nodes
    sinks = [i for i, n in nodes.items() if "sink" in n.spec.tags]
    graph = project.graph()
    needed = set(sinks).union(*(nx.ancestors(graph, s) for s in sinks))
    order = [i for i in project.topological_order() if i in needed]

    tensors: dict[tuple[str, str], Any] = {}
    results: dict[str, Any] = {}
    probes: dict[str, Any] = {}
    for node_id in order:
        node = nodes[node_id]
        inputs = {}
        for port in node.input_ports():
            link = project.link_into(node_id, port.name)
            if link is not None:
                inputs[port.name] = tensors[(link.source, link.source_port)]
        try:
            outputs = node.spec.build(node.params, inputs, node_id)
            layer = None if node.spec.probe is None else next(
                (layer for layer in layers_between(outputs.values(), inputs.values())
                 if layer.name == node_id), None)
            if layer is not None:  # None too when Keras's layer history is out of reach
                probes[node_id] = node.spec.probe(layer, inputs, outputs)
        except Exception as err:
            raise CompileError([Issue("error", f"{node.label}: {plain_message(err)}",
                                      node_id, param_at_fault(err))]) from err
        for port, tensor in outputs.items():
            tensors[(node_id, port)] = tensor
        if SINK_KEY in outputs:
            results[node_id] = outputs[SINK_KEY]

    sources = [i for i in order if "source" in nodes[i].spec.tags]
    compiled = CompiledProject(project, kind, None, [], [], tensors, report=report,
                               _probe_outputs=probes)
    if kind == "adversarial":
        _build_gan(compiled, sources, results)
    else:
        import keras

        input_nodes = sorted(sources, key=lambda i: (nodes[i].block != "input", i))
        output_nodes = sorted(results)
        model_inputs = [_model_input(tensors[(i, _source_port(project, i))])
                        for i in input_nodes]
        model_outputs = [results[i] for i in output_nodes]
        # A graph model works on all nodes at once, also in a plain predict.
        model_class = keras.Model
        if kind == "node_classification":
            from blocks.layers import GraphModel as model_class
        compiled.model = model_class(
            model_inputs if len(model_inputs) > 1 else model_inputs[0],
            model_outputs if len(model_outputs) > 1 else model_outputs[0],
            name=model_name(project.name),
        )
        compiled.input_nodes, compiled.output_nodes = input_nodes, output_nodes
    return compiled


def _build_gan(compiled: CompiledProject, sources: list[str], results: dict[str, Any]) -> None:
    import keras

    from blocks.layers import AdversarialModel

    project = compiled.project
    nodes = project.nodes
    noise = next(i for i in sources if nodes[i].block == "latent_noise")
    data = next(i for i in sources if nodes[i].block == "input")
    gen_out = next(i for i in results if nodes[i].block == "generator_output")
    disc_out = next(i for i in results if nodes[i].block == "discriminator_output")
    compiled.generator = keras.Model(compiled.tensors[(noise, "out")], results[gen_out],
                                     name="generator")
    compiled.discriminator = keras.Model(compiled.tensors[(data, "out")], results[disc_out],
                                         name="discriminator")
    compiled.model = AdversarialModel(compiled.generator, compiled.discriminator,
                                      latent_dim=int(nodes[noise].params["latent_dim"]),
                                      name=model_name(project.name))
    compiled.input_nodes, compiled.output_nodes = [noise, data], [gen_out, disc_out]


def model_name(project_name: str) -> str:
    """A Keras-safe model name from the project's name."""
    name = re.sub(r"[^0-9A-Za-z_]+", "_", project_name).strip("_").lower()
    return name or "model"


def make_optimizer(training: TrainingSettings, beta_1: float | None = None) -> Any:
    import keras

    rate = training.learning_rate
    # Keras's own weight_decay; None keeps each optimizer's default (AdamW's 0.004)
    kwargs = {} if training.weight_decay is None else {"weight_decay": training.weight_decay}
    if training.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=0.9, **kwargs)
    if training.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(rate, **kwargs)
    if beta_1 is not None:
        kwargs["beta_1"] = beta_1
    if training.optimizer == "adamw":
        return keras.optimizers.AdamW(rate, **kwargs)
    return keras.optimizers.Adam(rate, **kwargs)


def make_loss(name: str, from_logits: bool) -> Any:
    import keras

    losses = {
        "sparse_categorical_crossentropy": lambda: keras.losses.SparseCategoricalCrossentropy(
            from_logits=from_logits),
        "categorical_crossentropy": lambda: keras.losses.CategoricalCrossentropy(
            from_logits=from_logits),
        "binary_crossentropy": lambda: keras.losses.BinaryCrossentropy(from_logits=from_logits),
        "mean_squared_error": keras.losses.MeanSquaredError,
        "mean_absolute_error": keras.losses.MeanAbsoluteError,
        "huber": keras.losses.Huber,
    }
    return losses[name]()


def make_metrics(loss: str, from_logits: bool) -> list[Any]:
    """Accuracy for classification losses (threshold-aware for logits), MAE otherwise."""
    import keras

    if loss == "binary_crossentropy":
        return [keras.metrics.BinaryAccuracy(threshold=0.0 if from_logits else 0.5,
                                             name="accuracy")]
    if loss in CLASSIFICATION_METRICS:
        cls = {"sparse_categorical_crossentropy": keras.metrics.SparseCategoricalAccuracy,
               "categorical_crossentropy": keras.metrics.CategoricalAccuracy}[loss]
        return [cls(name="accuracy")]
    return [keras.metrics.MeanAbsoluteError(name="mae")]


def compile_project(project: Project, report: Report | None = None,
                    training: TrainingSettings | None = None) -> CompiledProject:
    """Build and compile for training with the project's optimizer, losses and metrics."""
    compiled = build(project, report)
    training = training or project.training
    nodes = project.nodes
    if compiled.kind == "adversarial":
        disc_out = compiled.output_nodes[1]
        compiled.model.compile(
            generator_optimizer=make_optimizer(training, beta_1=0.5),
            discriminator_optimizer=make_optimizer(training, beta_1=0.5),
            from_logits=bool(nodes[disc_out].params["from_logits"]),
        )
        return compiled
    losses, metrics = _losses_and_metrics(nodes, compiled.output_nodes)
    single = len(compiled.output_nodes) == 1
    metrics_arg = metrics[0] if single else metrics
    # Node classification weighs each node by its mask, so accuracy must honour the weights.
    weighted = compiled.kind == "node_classification"
    compiled.model.compile(
        optimizer=make_optimizer(training),
        loss=losses[0] if single else losses,
        metrics=None if weighted else metrics_arg,
        weighted_metrics=metrics_arg if weighted else None,
    )
    return compiled


def _losses_and_metrics(nodes: Mapping[str, Any], output_nodes: list[str]
                        ) -> tuple[list[Any], list[list[Any]]]:
    losses, metrics = [], []
    for node_id in output_nodes:
        params = nodes[node_id].params
        losses.append(make_loss(params["loss"], params["from_logits"]))
        metrics.append(make_metrics(params["loss"], params["from_logits"]))
    return losses, metrics
