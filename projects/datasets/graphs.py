"""Graphs for node classification: the helpers every graph loader shares (undirected edges,
seeded masks, the finished Dataset), the block-model sampler, and graph files with node
features and labels from CSV tables, a sparse ``.npz`` or a dense ``.npy``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from projects.datasets.dataset import Dataset
from projects.datasets.loading import Context, Raw
from projects.datasets.registry import FEATURE_NORMALIZATIONS, DatasetError
from projects.datasets.tables import Table, is_number, split_part, table_labels
from projects.text import count_text

_MAX_IDENTITY_FEATURES = 10_000  # one-hot node ids as features: N×N floats
ARRAY_SUFFIXES = (".npy", ".npz")  # node features as arrays rather than a CSV table


def sample_sbm_edges(sizes: Sequence[int], p_in: float, p_out: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Edges (E, 2) of a stochastic block model in O(E) time and memory.

    For each pair of blocks the edge count is drawn from its binomial, then that many node
    pairs are drawn uniformly; repeated pairs and self-pairs are dropped, which for sparse
    graphs loses a negligible fraction of edges.
    """
    starts = np.concatenate([[0], np.cumsum(sizes)])
    parts = []
    for a, size_a in enumerate(sizes):
        for b in range(a, len(sizes)):
            size_b = sizes[b]
            if a == b:
                count = rng.binomial(size_a * (size_a - 1) // 2, p_in)
            else:
                count = rng.binomial(size_a * size_b, p_out)
            u = starts[a] + rng.integers(0, size_a, count)
            v = starts[b] + rng.integers(0, size_b, count)
            parts.append(np.stack([u, v], axis=1))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def undirected_edges(pairs: np.ndarray, num_nodes: int) -> np.ndarray:
    """Each undirected edge once as (u, v) with u < v, sorted; self-loops dropped.

    (Graph convolution adds every node's self-loop itself.)
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    low, high = pairs.min(axis=1), pairs.max(axis=1)
    keys = np.sort((low * num_nodes + high)[low != high])  # sort + diff beats np.unique
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    return np.stack([keys // num_nodes, keys % num_nodes], axis=1)


def seeded_masks(labels: np.ndarray, per_class: int, context: Context
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``per_class`` random training nodes of each class; then validation and test."""
    rng = context.split_rng()
    train = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == label)
        train[rng.choice(members, size=min(per_class, len(members)), replace=False)] = True
    return masks_from_train(train, labels, context, rng)


def masks_from_train(train: np.ndarray, labels: np.ndarray, context: Context,
                      rng: np.random.Generator | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validation: ``validation_split`` of the other labelled nodes; test: the rest."""
    rng = rng or context.split_rng()
    rest = np.flatnonzero(~train & (labels >= 0))
    n_val = math.ceil(len(rest) * context.validation_split) if context.validation_split else 0
    val = np.zeros(len(labels), dtype=bool)
    val[rng.choice(rest, size=n_val, replace=False)] = True
    test = ~train & ~val & (labels >= 0)
    return train, val, test


def graph_dataset(context: Context, features: np.ndarray, edges: np.ndarray,
                   labels: np.ndarray, masks: tuple[np.ndarray, np.ndarray, np.ndarray],
                   class_names: list[str] | None, self_loops: int = 0) -> Dataset:
    """The finished graph. ``self_loops`` counts the ones the source had: they are left
    out of ``edges`` (every Graph block gives each node one self-loop of weight 1, the
    same as a kept one), and the description and a warning say so."""
    train, val, test = masks
    if not train.any():
        raise DatasetError(f"{context.name}: no node is marked for training")
    normalization = _feature_normalization(context)
    features = features.astype(np.float32, copy=False)
    if normalization == "rows":
        features = row_normalized(features)
    data = Dataset("graph", context.name, features=features,
                   edges=edges, num_nodes=len(features), labels=labels.astype(np.int32),
                   train_mask=train, val_mask=val, test_mask=test,
                   num_classes=len(class_names) if class_names else int(labels.max()) + 1,
                   class_names=class_names)
    if self_loops:
        loops = f"{count_text(self_loops)} self-loop{'s' if self_loops != 1 else ''}"
        data.description += f" ({loops} besides the edges)"
        data.warnings = (f"{context.name}: the graph file has {loops}. They are not counted "
                         "as edges: the Graph block gives every node one self-loop of "
                         "weight 1, so a node's own loop changes nothing.",)
    if normalization == "rows":
        data.description += "; features row-normalised"
    return data


def row_normalized(features: np.ndarray) -> np.ndarray:
    """Each row divided by its sum, so it sums to 1, and a row summing to 0 made zeros:
    Kipf & Welling's ``preprocess_features`` (for bag-of-words counts or 0/1 words)."""
    sums = features.sum(axis=1, keepdims=True, dtype=np.float64)
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums != 0)
    return (features * scale).astype(np.float32)


def _feature_normalization(context: Context) -> str | None:
    """The dataset's ``feature_normalization``: None (as stored) or "rows"."""
    if not context.dataset.has_param("feature_normalization"):
        return None
    value = context.text("feature_normalization")
    if value is not None and value not in FEATURE_NORMALIZATIONS:
        raise DatasetError(f"{context.name}: feature_normalization must be empty (as stored) "
                           f"or {' or '.join(map(repr, FEATURE_NORMALIZATIONS))}. Received: "
                           f"feature_normalization={value!r}", field="feature_normalization")
    return value


# ----------------------------------------------------------------------------- graph files


def load_graph_file(context: Context) -> Raw:
    """A graph from an edge list, GraphML or GML file, with node features and labels.

    Keys: ``path``; ``format`` (edgelist, graphml or gml; from the suffix when absent);
    ``features``: a CSV with a ``node_column`` (default "node") and numeric feature
    columns, whose rows set the node order and may add nodes without edges; or an array
    of one row per node in the graph file's order, dense (``.npy``) or sparse (``.npz``
    as ``scipy.sparse.save_npz`` writes it); without it each node gets a one-hot identity
    feature, in the graph file's order. ``labels``: a CSV with node and ``label_column``
    (default "label"), or a label column in the features CSV, or the node attribute
    ``label_attribute``. A ``split_column`` (default "split": train, validation, test)
    fixes the masks, otherwise ``labelled_per_class`` seeded training nodes per class.
    """
    path = context.path("path")
    display = context.display("path")
    graph = _read_graph(path, display, context.text("format"))
    node_column = context.text("node_column", "node")
    label_column = context.text("label_column", "label")
    split_column = context.text("split_column", "split")
    order = [str(v) for v in graph.nodes]
    by_id = {str(v): v for v in graph.nodes}
    if len(by_id) != len(order):
        raise DatasetError(f"{display}: two nodes have the same name once read as text",
                           field="path")

    features_path = context.path("features", required=False)
    feature_table = label_table = None
    if features_path is not None and features_path.suffix.lower() in ARRAY_SUFFIXES:
        features = _feature_array(features_path, context.display("features"), len(order),
                                  display)
    elif features_path is not None:
        feature_table = Table(features_path, context.display("features"), "features")
        node = feature_table.column(node_column, "node column", field="node_column")
        skip = {node_column, label_column, split_column}
        wanted = context.spec.get("feature_columns")
        columns = ([feature_table.column(str(c), "feature column", field="feature_columns")
                    for c in wanted] if wanted
                   else [j for j, h in enumerate(feature_table.header) if h not in skip])
        if not columns:
            raise DatasetError(f"{feature_table.display} has no feature columns",
                               field="features")
        feature_table.parse(columns, [node, *_present(feature_table, label_column,
                                                        split_column)])
        feature_rows = _node_rows(feature_table, node_column)
        missing = [v for v in order if v not in feature_rows]
        if missing:
            raise DatasetError(f"{feature_table.display} has no row for node {missing[0]!r} "
                               f"of {display} ({len(missing)} nodes are missing)",
                               field="features")
        # Nodes follow the features file, which may list nodes without edges too.
        order = list(feature_rows)
        features = feature_table.numbers()
    elif len(order) <= _MAX_IDENTITY_FEATURES:
        features = np.eye(len(order), dtype=np.float32)
    else:
        raise DatasetError(f"{display}: a graph of {count_text(len(order))} nodes needs node "
                           "features (a 'features' CSV or array); one-hot node ids are used "
                           f"only up to {count_text(_MAX_IDENTITY_FEATURES)} nodes",
                           field="features")
    labels_path = context.path("labels", required=False)
    if labels_path is not None:
        label_table = Table(labels_path, context.display("labels"), "labels")
        node = label_table.column(node_column, "node column", field="node_column")
        label_table.parse([], [node, *_present(label_table, label_column, split_column)])
    position = {v: i for i, v in enumerate(order)}
    num_nodes = len(order)

    labels = np.full(num_nodes, -1, dtype=np.int32)
    source = next((t for t in (label_table, feature_table)
                   if t is not None and label_column in t.header), None)
    attribute = context.text("label_attribute")
    if source is not None:
        rows = _node_rows(source, node_column)
        node = source.column(node_column)
        unknown = [v for v in rows if v not in position]
        if unknown:
            raise source.error(f"{source.where(rows[unknown[0]], node)}: node "
                               f"{unknown[0]!r} is not in {display}")
        column = source.column(label_column)
        labelled = np.flatnonzero(source.texts(column) != "")
        values, num_classes, class_names = table_labels(source, column, context, labelled)
        if num_classes is None:
            raise source.error(f"{source.display}: column {label_column!r} holds numbers "
                               "that are not whole; node labels must be classes")
        ids = source.texts(node)[labelled]
        labels[[position[str(v)] for v in ids.tolist()]] = values
    elif attribute is not None:
        labels, class_names = _attribute_labels(graph, attribute, order, by_id, display)
    else:
        raise DatasetError(f"{display}: the graph needs node labels: a 'labels' CSV, a "
                           f"{label_column!r} column in the features CSV, or the node "
                           "attribute that holds them (label_attribute)", field="labels")

    split_source = next((t for t in (label_table, feature_table)
                         if t is not None and split_column in t.header), None)
    if split_source is not None:
        masks = _split_masks(split_source, node_column, split_column, position, labels)
    else:
        per_class = context.integer("labelled_per_class")
        masks = seeded_masks(labels, per_class, context)
    pairs = np.array([(position[str(u)], position[str(v)]) for u, v in graph.edges()],
                     dtype=np.int64)
    edges = undirected_edges(pairs, num_nodes)
    return Raw(graph=graph_dataset(context, features, edges, labels, masks, class_names,
                                   nx.number_of_selfloops(graph)))


def _present(table: Table, *names: str) -> list[int]:
    return [table.column(name) for name in names if name in table.header]


def _feature_array(path: Path, display: str, num_nodes: int, graph: str) -> np.ndarray:
    """Node features from a dense ``.npy`` (N, F) or a sparse ``.npz`` (scipy.sparse)."""
    try:
        if path.suffix.lower() == ".npz":
            from scipy import sparse

            array = sparse.load_npz(path).toarray()
        else:
            array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, KeyError) as err:
        raise DatasetError(f"{display}: not a readable feature array ({err}); use a dense "
                           ".npy or a sparse .npz saved by scipy.sparse.save_npz",
                           field="features") from None
    if not isinstance(array, np.ndarray) or array.ndim != 2 or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DatasetError(f"{display}: node features must be a numeric (nodes, features) "
                           f"array", field="features")
    if len(array) != num_nodes:
        raise DatasetError(f"{display}: {count_text(len(array))} rows of features but {graph} has "
                           f"{count_text(num_nodes)} nodes (one row per node, in the graph "
                           "file's order)", field="features")
    features = array.astype(np.float32, copy=False)
    if not np.isfinite(features).all():
        row, column = (int(i) for i in np.argwhere(~np.isfinite(features))[0])
        raise DatasetError(f"{display}: node {row} has {features[row, column]} as feature "
                           f"{column}; every value must be a finite number", field="features")
    return features


def _read_graph(path: Path, display: str, fmt: str | None) -> nx.Graph:
    suffix = path.suffix.lower()
    fmt = fmt or {".graphml": "graphml", ".gml": "gml"}.get(suffix, "edgelist")
    try:
        if fmt == "graphml":
            return nx.read_graphml(path)
        if fmt == "gml":
            try:
                return nx.read_gml(path)  # nodes named by their "label"
            except nx.NetworkXError:
                return nx.read_gml(path, label="id")
        if fmt == "edgelist":
            return nx.read_edgelist(path, nodetype=str, data=False)
    except (nx.NetworkXError, OSError, ValueError, TypeError, IndexError,
            UnicodeDecodeError) as err:
        raise DatasetError(f"{display}: not a readable {fmt} graph ({err})",
                           field="path") from None
    raise DatasetError(f"{display}: unknown graph format {fmt!r}; use edgelist, graphml or gml",
                       field="format")


def _node_rows(table: Table, node_column: str) -> dict[str, int]:
    """Node id -> data row in the table; a node listed twice is refused."""
    column = table.column(node_column, "node column", field="node_column")
    rows: dict[str, int] = {}
    for i, node_id in enumerate(table.texts(column).tolist()):
        if not node_id:
            raise table.error(f"{table.where(i, column)}: the node id is missing")
        if node_id in rows:
            raise table.error(f"{table.where(i, column)}: node {node_id!r} is listed twice "
                              f"(also in row {table.row_numbers()[rows[node_id]]})")
        rows[node_id] = i
    return rows


def _attribute_labels(graph: nx.Graph, attribute: str, order: list[str],
                      by_id: Mapping[str, Any], display: str
                      ) -> tuple[np.ndarray, list[str]]:
    values = {v: graph.nodes[by_id[v]].get(attribute) for v in order if v in by_id}
    if all(value is None for value in values.values()):
        raise DatasetError(f"{display}: no node has the attribute {attribute!r}",
                           field="label_attribute")
    known = {str(value) for value in values.values() if value is not None}
    if all(is_number(k) and float(k) == int(float(k)) for k in known):
        names = [str(i) for i in range(max(int(float(k)) for k in known) + 1)]
        if min(int(float(k)) for k in known) < 0:
            raise DatasetError(f"{display}: attribute {attribute!r} holds a negative class",
                               field="path")
        index = {k: int(float(k)) for k in known}
    else:
        names = sorted(known)
        index = {k: i for i, k in enumerate(names)}
    labels = np.array([index[str(values[v])] if values.get(v) is not None else -1
                       for v in order], dtype=np.int32)
    return labels, names


def _split_masks(table: Table, node_column: str, split_column: str,
                 position: Mapping[str, int], labels: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    masks = {name: np.zeros(len(labels), dtype=bool) for name in ("train", "val", "test")}
    node, split = table.column(node_column), table.column(split_column)
    for i, node_id in enumerate(table.texts(node).tolist()):
        part = split_part(table, i, split)
        if part is None:
            continue
        if node_id not in position:
            raise table.error(f"{table.where(i, node)}: node {node_id!r} is not in the graph")
        index = position[node_id]
        if labels[index] < 0:
            raise table.error(f"{table.where(i, split)}: node {node_id!r} is in the "
                              f"{table.texts(split)[i].lower()} split but has no label")
        masks[part][index] = True
    return masks["train"], masks["val"], masks["test"]
