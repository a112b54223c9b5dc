"""Builds the template block files (and the transformer example made of two of them).

Each template is drawn in a small project, wired to stand-ins for what feeds it, grouped
with the document's own grouping (so its ports are the ones a user would get) and saved
through ``projects.library``. Run ``python -m resources.templates.build`` after changing a
builder; tests/projects/test_library.py fails while a shipped file differs from its builder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from projects import files, library
from projects.document import GroupPort, Project
from resources import examples_dir
from resources.templates import TEMPLATES_DIR


def _group(project: Project, items: list[str], title: str, inputs: list[str],
           outputs: list[str]) -> str:
    """Group ``items`` and give its ports these names (in the grouping's order)."""
    group = project.group_items(items, title)
    project.update_group(
        group.id,
        inputs=tuple(GroupPort(n, p.ends) for n, p in zip(inputs, group.inputs, strict=True)),
        outputs=tuple(GroupPort(n, p.ends) for n, p in zip(outputs, group.outputs,
                                                           strict=True)))
    return group.id


def _consume(project: Project, node_id: str, port: str) -> None:
    """A stand-in for what reads the group's output, so grouping makes it a port."""
    sink = project.add_node("output", {}, (2000, 0))
    project.add_link(node_id, port, sink.id, "in")


def transformer_encoder() -> library.LibraryEntry:
    """Post-norm encoder layer: self-attention, add & norm, feed-forward, add & norm."""
    project = Project()
    project.add_node("input", {"shape": [16, 32]}, (-250, 0), "Sequence")  # n1
    row = [("multi_head_attention", {"d_model": 32, "num_heads": 4}, "Self-attention"),
           ("add", {}, "Residual 1"), ("layer_normalization", {"epsilon": 1e-6}, "Norm 1"),
           ("dense", {"units": 64, "activation": "relu"}, "Feed-forward"),
           ("dense", {"units": 32, "activation": "linear"}, "Projection"),
           ("add", {}, "Residual 2"),
           ("layer_normalization", {"epsilon": 1e-6}, "Norm 2")]
    for index, (block, params, title) in enumerate(row):  # n2 … n8
        project.add_node(block, params, (250.0 * index, 0.0), title)
    for wire in [("n1", "out", "n2", "query"), ("n1", "out", "n3", "in1"),
                 ("n2", "out", "n3", "in2"), ("n3", "out", "n4", "in"),
                 ("n4", "out", "n5", "in"), ("n4", "out", "n7", "in1"),
                 ("n5", "out", "n6", "in"), ("n6", "out", "n7", "in2"),
                 ("n7", "out", "n8", "in")]:
        project.add_link(*wire)
    _consume(project, "n8", "out")
    group = _group(project, [f"n{i}" for i in range(2, 9)], "Transformer encoder",
                   ["in"], ["out"])
    return library.entry_from_group(project, group, doc=(
        "A transformer encoder layer (post-norm, as in 'Attention Is All You Need'): "
        "self-attention over the sequence, added to its input and layer-normalised, then a "
        "feed-forward network (Dense 64 with ReLU, Dense back to 32), added and normalised "
        "again. Takes and gives (batch, steps, 32); for another width set the attention's "
        "d_model and the projection's units to it."))


def gcn_layer() -> library.LibraryEntry:
    """Dropout on the node features, then a graph convolution over the adjacency."""
    project = Project(task={"kind": "node_classification"})
    project.add_node("input", {"shape": [34]}, (-250, 0), "Node features")  # n1
    project.add_node("graph_input", {"num_nodes": 34}, (-250, 150), "Graph")  # n2
    project.add_node("dropout", {"rate": 0.5}, (0, 0), "Dropout")  # n3
    project.add_node("graph_convolution", {"units": 16}, (250, 0), "Graph convolution")
    for wire in [("n1", "out", "n3", "in"), ("n3", "out", "n4", "features"),
                 ("n2", "adjacency", "n4", "adjacency")]:
        project.add_link(*wire)
    _consume(project, "n4", "out")
    group = _group(project, ["n3", "n4"], "GCN layer", ["features", "adjacency"], ["out"])
    return library.entry_from_group(project, group, doc=(
        "One layer of a graph convolutional network (Kipf & Welling): dropout of 0.5 on the "
        "node features, then a graph convolution of 16 units with ReLU over the normalised "
        "adjacency. Wire the node features and a Graph block's adjacency in; stack two for "
        "the classic GCN, the last with as many units as classes and a linear activation."))


def dcgan_upsampling() -> library.LibraryEntry:
    """Transposed convolution of stride 2, batch normalisation, leaky ReLU."""
    project = Project()
    project.add_node("input", {"shape": [7, 7, 128]}, (-250, 0), "Feature map")  # n1
    project.add_node("conv2d_transpose", {"filters": 64, "kernel_size": 4, "strides": 2,
                                          "activation": "linear"}, (0, 0), "Up-sample")
    project.add_node("batch_normalization", {}, (250, 0), "Batch norm")  # n3
    project.add_node("activation", {"activation": "leaky_relu"}, (500, 0), "Leaky ReLU")
    for wire in [("n1", "out", "n2", "in"), ("n2", "out", "n3", "in"),
                 ("n3", "out", "n4", "in")]:
        project.add_link(*wire)
    _consume(project, "n4", "out")
    group = _group(project, ["n2", "n3", "n4"], "DCGAN up-sampling", ["in"], ["out"])
    return library.entry_from_group(project, group, doc=(
        "One up-sampling stage of a DCGAN generator (Radford et al.): a transposed "
        "convolution of stride 2 doubles the height and width (64 filters, 4x4), then batch "
        "normalisation and a leaky ReLU. (batch, 7, 7, c) becomes (batch, 14, 14, 64)."))


TEMPLATES: dict[str, Callable[[], library.LibraryEntry]] = {
    "transformer_encoder": transformer_encoder,
    "gcn_layer": gcn_layer,
    "dcgan_upsampling": dcgan_upsampling,
}


def template_path(name: str) -> Path:
    return TEMPLATES_DIR / f"{name}{library.EXTENSION}"


def transformer_example() -> Project:
    """The transformer example: embeddings, two encoders placed from the template, a
    pooled classifier. Settings and the first blocks are kept from the shipped file."""
    path = examples_dir() / "transformer_classifier.deepwire"
    old = files.load(path)
    notes = old.notes.replace("Two encoder blocks with residual connections",
                              "Two Transformer encoder groups, placed from the palette's "
                              "Templates")
    project = Project(old.name, old.task, old.dataset, old.training, notes, old.metadata)
    for node_id, position in (("n1", (0, 0)), ("n2", (250, 0)), ("n3", (500, 0))):
        node = old.node(node_id)
        project.add_node(node.block, node.params, position, node.title, node_id)
    project.add_link("n1", "out", "n2", "in")
    project.add_link("n2", "out", "n3", "in")
    encoder = library.load(template_path("transformer_encoder"), template=True)
    source = "n3"
    for index, top_x in ((1, 750), (2, 1000)):
        # its blocks in a row of their own (y 216, 432); the group in the top row
        group = library.place(project, encoder, (750, 216 * index))
        project.update_group(group, title=f"Encoder {index}", position=(top_x, 0))
        inputs, outputs = project.group_ports(group)
        # the dashboard lists attention maps by block title: tell the two apart
        project.set_title(inputs[0].ends[0][0], f"Self-attention {index}")
        for node_id, port in inputs[0].ends:
            project.add_link(source, "out", node_id, port)
        source = outputs[0].ends[0][0]
    for block, params, title, x in (("global_average_pooling1d", {}, "Pool", 1250),
                                    ("dense", {"units": 4, "activation": "linear"}, "Class scores",
                                     1500),
                                    ("output", {"from_logits": True}, None, 1750)):
        node = project.add_node(block, params, (x, 0), title)
        project.add_link(source, "out", node.id, "in")
        source = node.id
    return project


def main() -> None:
    for name, build in TEMPLATES.items():
        library.save(build(), template_path(name))
    files.save(transformer_example(), examples_dir() / "transformer_classifier.deepwire")


if __name__ == "__main__":
    main()
