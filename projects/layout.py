"""Automatic layout: layered, left to right, from networkx's topological generations.

It lays out either every block as one flat graph, or what one level of groups shows (its
blocks and groups, a group standing for the blocks inside it), so an imported ResNet of
180 blocks reads as a stem, sixteen residual stages and a head.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import networkx as nx

from projects.document import Project, node_sort_key

DEFAULT_SIZE = (180.0, 110.0)
GAP_X = 70.0
GAP_Y = 40.0
ROW_GAP = 90.0  # between the rows of a wrapped chain: room for the wires that turn back
MAX_COLUMNS = 8
EVERY_BLOCK = "every block"  # the ``level`` that lays out all blocks, groups ignored


def level_graph(project: Project, level: str | None) -> nx.MultiDiGraph:
    """What a level shows as a graph: its blocks and groups, a wire between two of them
    for each link between the blocks they stand for."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(project.members(level))
    # A group split by an outside block (a1 -> b -> a2) would make a loop at this level:
    # only wires running forward in the blocks' order count.
    order = {node: i for i, node in enumerate(project.topological_order())}
    first: dict[str, int] = {}
    for node, index in order.items():
        item = project.item_at(node, level)
        if item is not None:
            first[item] = min(first.get(item, index), index)
    for link in project.links:
        source, target = project.item_at(link.source, level), project.item_at(link.target, level)
        if source is not None and target is not None and first[source] < first[target]:
            graph.add_edge(source, target, key=link)
    return graph


def layered_positions(project: Project, sizes: Mapping[str, tuple[float, float]] | None = None,
                      origin: tuple[float, float] = (0.0, 0.0),
                      max_columns: int = MAX_COLUMNS,
                      level: str | None = EVERY_BLOCK) -> dict[str, tuple[float, float]]:
    """A top-left position for every block (or, given a ``level``, every block and group
    directly in it: None is the top): one column per layer, sources at the left.

    A graph deeper than ``max_columns`` layers wraps onto rows of about equal length, read
    like text, so a long model (a transformer is twenty blocks deep) stays readable when
    the view fits it instead of shrinking into a thin strip.

    Within a column, blocks are ordered by the mean row of their inputs (one barycentre
    sweep), which keeps most wires short and uncrossed. Each weakly connected component gets
    its own band of rows, so separate graphs (a GAN's two halves) do not interleave.
    ``sizes`` (width, height) per block, as the canvas draws them, keeps blocks apart.
    """
    sizes = sizes or {}
    graph = project.graph() if level == EVERY_BLOCK else level_graph(project, level)
    positions: dict[str, tuple[float, float]] = {}
    top = origin[1]
    components = sorted(nx.weakly_connected_components(graph),
                        key=lambda c: min(node_sort_key(n) for n in c))
    for component in components:
        sub = graph.subgraph(component)
        columns: list[list[str]] = []
        rank: dict[str, float] = {}
        for generation in nx.topological_generations(sub):
            ordered = sorted(generation, key=lambda n, g=sub, r=rank: _barycentre(g, r, n))
            rank.update({node: float(i) for i, node in enumerate(ordered)})
            columns.append(ordered)
        rows = math.ceil(len(columns) / max(1, max_columns))
        per_row = math.ceil(len(columns) / rows)
        for start in range(0, len(columns), per_row):
            x = origin[0]
            band = 0.0
            for column in columns[start:start + per_row]:
                y = top
                for node in column:
                    positions[node] = (x, y)
                    y += sizes.get(node, DEFAULT_SIZE)[1] + GAP_Y
                band = max(band, y - GAP_Y - top)
                x += max(sizes.get(n, DEFAULT_SIZE)[0] for n in column) + GAP_X
            top += band + (ROW_GAP if start + per_row < len(columns) else 2 * GAP_Y)
    return positions


def _barycentre(graph: nx.MultiDiGraph, rank: dict[str, float], node: str) -> tuple[float, str]:
    """Mean row of a block's inputs in the previous columns (ties by id)."""
    preds = [rank[p] for p in graph.predecessors(node) if p in rank]
    return (sum(preds) / len(preds) if preds else 0.0, node_sort_key(node))
