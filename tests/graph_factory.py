"""Random valid projects for tests and benchmarks: a sequence model with skips and merges.

Every block lies on the path to the Output, so the compiled model holds all of them.
Feature widths are tracked only to keep merges legal; shapes themselves are checked
against Keras by the tests that use these graphs.
"""

from __future__ import annotations

import random

from projects.document import Project

STEPS = 12


def random_project(num_blocks: int, seed: int = 0) -> Project:
    rng = random.Random(seed)
    project = Project(f"random {num_blocks} blocks (seed {seed})")
    width: dict[str, int] = {}

    def add(block: str, params: dict, *sources: tuple[str, str]) -> str:
        node = project.add_node(block, params, (len(project.nodes) * 40.0, rng.random() * 400))
        for port, (source, source_port) in zip(
            [p.name for p in node.input_ports()], sources, strict=False
        ):
            project.add_link(source, source_port, node.id, port)
        return node.id

    features = rng.choice([8, 16, 24])
    current = add("input", {"shape": [STEPS, features]})
    width[current] = features
    history = [current]
    while len(project.nodes) < num_blocks - 3:
        choice = rng.random()
        source = (current, "out")
        if choice < 0.25:
            units = rng.choice([8, 12, 16, 24, 32])
            current = add("dense", {"units": units, "activation": rng.choice(["relu", "tanh"])},
                          source)
            width[current] = units
        elif choice < 0.35:
            filters = rng.choice([8, 16, 32])
            current = add("conv1d", {"filters": filters, "kernel_size": rng.choice([1, 3, 5])},
                          source)
            width[current] = filters
        elif choice < 0.45:
            heads = rng.choice([1, 2, 4])
            d_model = heads * rng.choice([4, 8])
            current = add("multi_head_attention", {"d_model": d_model, "num_heads": heads},
                          source)
            width[current] = d_model
        elif choice < 0.6:
            previous = current
            current = add(rng.choice(["layer_normalization", "dropout", "activation"]), {},
                          source)
            width[current] = width[previous]
        elif choice < 0.8:  # residual: project an earlier block to this width, then add
            skip = rng.choice(history)
            projected = add("dense", {"units": width[current], "activation": "linear"},
                            (skip, "out"))
            width[projected] = width[current]
            previous = current
            current = add("add", {}, source, (projected, "out"))
            width[current] = width[previous]
        else:
            other = rng.choice(history)
            previous = current
            current = add("concatenate", {}, source, (other, "out"))
            width[current] = width[previous] + width[other]
        history.append(current)
    pooled = add("global_average_pooling1d", {}, (current, "out"))
    scores = add("dense", {"units": 3, "activation": "softmax"}, (pooled, "out"))
    add("output", {}, (scores, "out"))
    return project
