"""Built-in datasets: generated or bundled, so they work offline.

Generated data comes from ``data_seed`` (default 0), so a training seed changes the shuffle
and the split but never the problem itself. Loaders import numpy when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blocks.spec import Param
from projects.datasets.registry import (
    DATA_SEED,
    SCALE,
    DatasetError,
    DatasetSpec,
    labelled_per_class,
    register,
    samples,
)

if TYPE_CHECKING:
    import numpy as np

    from projects.datasets.description import Facts
    from projects.datasets.loading import Context, Raw

_NETWORKX_SBM_MAX_NODES = 2_000  # above this the numpy sampler is used (networkx is O(N) Python)


def _int(name: str, title: str, default: int, help_: str, low: int, high: int) -> Param:
    return Param(name, "int", default, help_, minimum=low, maximum=high, title=title)


def _float(name: str, title: str, default: float, help_: str, low: float, high: float
           ) -> Param:
    return Param(name, "float", default, help_, minimum=low, maximum=high, title=title)


# ----------------------------------------------------------------------------- digits


def _digits(context: Context) -> Raw:
    import numpy as np
    from sklearn.datasets import load_digits

    from projects.datasets.loading import Raw

    digits = load_digits()
    images = digits.images.astype(np.float32)[..., None]  # (1797, 8, 8, 1), values 0..16
    return Raw(images, digits.target.astype(np.int32), 10, [str(i) for i in range(10)],
               pixel_max=16.0)


register(DatasetSpec(
    "digits", "Digits: 8×8 handwriting", "arrays", "built in",
    "1,797 handwritten digits from scikit-learn, 8×8 grey images in 10 classes.",
    _digits, (SCALE,), describer=lambda context: _facts(((8, 8, 1),), 10)))


def _facts(input_shapes: tuple[tuple[int, ...], ...], num_classes: int | None = None,
           num_nodes: int | None = None) -> Facts:
    from projects.datasets.description import Facts

    return Facts(input_shapes, num_classes, num_nodes)


# ----------------------------------------------------------------------------- karate


def _karate(context: Context) -> Raw:
    """Zachary's karate club: 34 members, 78 friendships, which club each member joined."""
    import networkx as nx
    import numpy as np

    from projects.datasets.graphs import (
        graph_dataset,
        masks_from_train,
        seeded_masks,
        undirected_edges,
    )
    from projects.datasets.loading import Raw

    graph = nx.karate_club_graph()
    names = ["Mr. Hi", "Officer"]
    labels = np.array([names.index(graph.nodes[v]["club"]) for v in graph.nodes],
                      dtype=np.int32)
    per_class = context.integer("labelled_per_class")
    if per_class == 1:  # the two leaders, as in Kipf & Welling's demo
        train = np.zeros(34, dtype=bool)
        train[[0, 33]] = True
        masks = masks_from_train(train, labels, context)
    else:
        masks = seeded_masks(labels, per_class, context)
    edges = undirected_edges(np.array(graph.edges, dtype=np.int64), 34)
    features = np.eye(34, dtype=np.float32)
    return Raw(graph=graph_dataset(context, features, edges, labels, masks, names))


register(DatasetSpec(
    "karate", "Karate club: graph", "graph", "built in",
    "Zachary's karate club: 34 members, 78 friendships, which of two clubs each joined.",
    _karate, (labelled_per_class(1, maximum=16),),
    describer=lambda context: _facts(((34,),), 2, 34)))


# ----------------------------------------------------------------------------- marker sequences


def _marker_sequences(context: Context) -> Raw:
    """Gaussian noise sequences with one marked step (feature 0 = 1) that decides the label.

    The label is the sector of the angle of the marked step's features (1, 2) when the
    circle is cut into ``classes`` equal sectors; for 4 classes that is the sign pattern
    (quadrant) of features 1 and 2. Every other step is noise, so only a model that finds
    the marked step can know the label.
    """
    import numpy as np

    from projects.datasets.loading import Raw

    count = context.integer("samples")
    facts = _marker_facts(context)
    (length, features), classes = facts.input_shapes[0], facts.num_classes
    rng = context.data_rng()
    x = rng.normal(size=(count, length, features)).astype(np.float32)
    x[:, :, 0] = 0.0
    marked = rng.integers(0, length, count)
    rows = np.arange(count)
    x[rows, marked, 0] = 1.0
    y = marker_label(x[rows, marked], classes)
    return Raw(x, y, classes, [str(i) for i in range(classes)],
               sample_labels=[str(t + 1) for t in range(length)],
               key_positions=marked[:, None].astype(np.int64))


def _marker_facts(context: Context) -> Facts:
    classes = context.integer("classes")
    shape = (context.integer("length"), context.integer("features", low=2 if classes == 2 else 3))
    return _facts((shape,), classes)


def marker_label(marked_steps: np.ndarray, classes: int) -> np.ndarray:
    """The marker_sequences label of marked steps (rows of features, marker first)."""
    import numpy as np

    f1 = marked_steps[:, 1].astype(np.float64)
    f2 = (marked_steps[:, 2] if marked_steps.shape[1] > 2 else np.zeros_like(f1)).astype(
        np.float64)
    angle = np.mod(np.arctan2(f2, f1), 2 * np.pi)
    return np.minimum((angle / (2 * np.pi / classes)).astype(np.int64), classes - 1).astype(
        np.int32)


register(DatasetSpec(
    "marker_sequences", "Marker sequences", "arrays", "built in",
    "Noise sequences with one marked step whose features decide the label: a task for "
    "attention.",
    _marker_sequences, describer=_marker_facts, params=(
        samples(2000),
        _int("length", "Length", 20, "Steps per sequence.", 2, 100_000),
        _int("features", "Features", 4, "Features per step; feature 0 marks the step that "
             "decides the label.", 2, 100_000),
        _int("classes", "Classes", 4, "Number of labels.", 2, 1000),
        DATA_SEED)))


# ----------------------------------------------------------------------------- key tokens


def _key_tokens(context: Context) -> Raw:
    """Token sequences with two key tokens among fillers; which key comes first is the label.

    Key tokens are ids 1..classes (0 is padding, fillers are classes+1..vocab-1). Two
    different keys sit at random distinct positions and the label is :func:`key_label`:
    the first key's class. The bag of tokens shows only the unordered pair, which leaves
    two labels equally likely, and no single position or token count says which key came
    first: a model must attend to both keys and compare where they are.
    """
    import numpy as np

    from projects.datasets.loading import Raw

    count = context.integer("samples")
    facts = _key_facts(context)
    (length,), classes = facts.input_shapes[0], facts.num_classes
    vocab = context.integer("vocab", low=classes + 2)
    rng = context.data_rng()
    x = rng.integers(classes + 1, vocab, size=(count, length)).astype(np.int32)
    earlier = rng.integers(0, length, count)
    later = rng.integers(0, length - 1, count)
    later += later >= earlier  # a different position, uniformly
    positions = np.sort(np.stack([earlier, later], axis=1), axis=1)
    first = rng.integers(1, classes + 1, count)
    second = (first - 1 + rng.integers(1, classes, count)) % classes + 1  # another key
    rows = np.arange(count)
    x[rows, positions[:, 0]] = first
    x[rows, positions[:, 1]] = second
    return Raw(x, key_label(first, second), classes,
               [f"key {k} first" for k in range(1, classes + 1)],
               sample_labels=[str(t) for t in range(vocab)],
               key_positions=positions.astype(np.int64))


def _key_facts(context: Context) -> Facts:
    classes = context.integer("classes")
    context.integer("vocab", low=classes + 2)
    return _facts(((context.integer("length"),),), classes)


def key_label(first_key: np.ndarray, second_key: np.ndarray) -> np.ndarray:
    """The key_tokens label of (earlier key id, later key id): the earlier key's id - 1.

    ``second_key`` does not change the class, but a model has to find it to know that the
    other key is the first.
    """
    import numpy as np

    del second_key
    return (np.asarray(first_key) - 1).astype(np.int32)


register(DatasetSpec(
    "key_tokens", "Key tokens", "arrays", "built in",
    "Token sequences with two key tokens among fillers; which key comes first is the label.",
    _key_tokens, describer=_key_facts, params=(
        samples(2000),
        _int("length", "Length", 16, "Tokens per sequence.", 2, 100_000),
        _int("vocab", "Vocabulary", 32, "Number of distinct token ids (0 is padding).", 4,
             10_000_000),
        _int("classes", "Classes", 4, "Number of key tokens, one label each.", 2, 10_000),
        DATA_SEED)))


# ----------------------------------------------------------------------------- block model


def _sbm_graph(context: Context) -> Raw:
    """A stochastic block model: blocks are classes, features are noisy class means."""
    import networkx as nx
    import numpy as np

    from projects.datasets.graphs import (
        graph_dataset,
        sample_sbm_edges,
        seeded_masks,
        undirected_edges,
    )
    from projects.datasets.loading import Raw

    facts = _sbm_facts(context)
    num_nodes, num_classes = facts.num_nodes, facts.num_classes
    (num_features,) = facts.input_shapes[0]
    sizes = [num_nodes // num_classes + (i < num_nodes % num_classes)
             for i in range(num_classes)]
    if "p_in" in context.spec or "p_out" in context.spec:
        p_in = context.number("p_in", 0.1, 0.0, 1.0)
        p_out = context.number("p_out", 0.01, 0.0, 1.0)
    else:
        degree = context.number("average_degree")
        homophily = context.number("homophily")
        p_in = homophily * degree / max(min(sizes) - 1, 1)
        p_out = (1 - homophily) * degree / max(num_nodes - max(sizes), 1)
        if p_in > 1 or p_out > 1:
            raise DatasetError(f"sbm_graph: average_degree {degree:g} is too high for blocks "
                               f"of {min(sizes)} nodes; lower it or add nodes",
                               field="average_degree")
    rng = context.data_rng()
    if num_nodes <= _NETWORKX_SBM_MAX_NODES:
        probabilities = [[p_in if a == b else p_out for b in range(num_classes)]
                         for a in range(num_classes)]
        graph = nx.stochastic_block_model(sizes, probabilities,
                                          seed=int(rng.integers(2**31 - 1)))
        pairs = np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)
    else:
        pairs = sample_sbm_edges(sizes, p_in, p_out, rng)
    edges = undirected_edges(pairs, num_nodes)
    labels = np.repeat(np.arange(num_classes, dtype=np.int32), sizes)
    signal = context.number("feature_signal", 0.5, 0.0, 1e3)
    means = rng.normal(scale=signal, size=(num_classes, num_features)).astype(np.float32)
    features = rng.standard_normal((num_nodes, num_features), dtype=np.float32)
    features += means[labels]
    per_class = context.integer("labelled_per_class", high=num_nodes)
    masks = seeded_masks(labels, per_class, context)
    return Raw(graph=graph_dataset(context, features, edges, labels, masks,
                                   [str(i) for i in range(num_classes)]))


def _sbm_facts(context: Context) -> Facts:
    num_nodes = context.integer("num_nodes")
    num_classes = context.integer("num_classes", high=min(num_nodes, 10_000))
    return _facts(((context.integer("features"),),), num_classes, num_nodes)


register(DatasetSpec(
    "sbm_graph", "Block-model graph", "graph", "built in",
    "A stochastic block model: communities are classes, features are noisy class means.",
    _sbm_graph, describer=_sbm_facts, params=(
        _int("num_nodes", "Nodes", 1000, "Nodes in the graph.", 2, 100_000_000),
        _int("num_classes", "Classes", 4, "Communities, one label each.", 2, 10_000),
        _int("features", "Features", 16, "Features per node.", 1, 100_000),
        _float("average_degree", "Average degree", 10.0, "Edges per node.", 0.0, 1e6),
        _float("homophily", "Homophily", 0.8, "Fraction of edges inside a community.", 0.0, 1.0),
        labelled_per_class(20),
        DATA_SEED)))


# ----------------------------------------------------------------------------- gaussian ring


def _gaussian_mixture_2d(context: Context) -> Raw:
    """Points from ``components`` gaussians evenly spaced on a ring (the classic GAN toy)."""
    import numpy as np

    from projects.datasets.loading import Raw

    count = context.integer("samples")
    components = context.integer("components")
    std = context.number("std")
    rng = context.data_rng()
    which = rng.integers(0, components, count)
    angle = 2 * np.pi * which / components
    centres = 0.7 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    points = np.clip(centres + rng.normal(scale=std, size=(count, 2)), -1.0, 1.0)
    unit = ((points + 1.0) / 2.0).astype(np.float32)  # ring in [0, 1]²; "tanh" maps it back
    return Raw(unit, pixel_max=1.0)


register(DatasetSpec(
    "gaussian_mixture_2d", "Gaussian ring 2-D (GAN)", "unlabelled", "built in",
    "Points from gaussians evenly spaced on a ring: the classic GAN toy.",
    _gaussian_mixture_2d, describer=lambda context: _facts(((2,),)), params=(
        samples(4000),
        _int("components", "Components", 8, "Gaussians on the ring.", 1, 10_000),
        _float("std", "Spread", 0.05, "Standard deviation of each gaussian.", 0.0, 1.0),
        SCALE,
        DATA_SEED)))


# ----------------------------------------------------------------------------- short messages


def _short_messages(context: Context) -> Raw:
    """Made-up text messages, spam or ham (projects/datasets/messages.py)."""
    from projects.datasets.loading import Raw
    from projects.datasets.messages import CLASS_NAMES, short_messages

    texts, labels = short_messages(context.integer("samples"), context.number("spam_share"),
                                   context.data_rng())
    return Raw(texts, labels, 2, list(CLASS_NAMES))


register(DatasetSpec(
    "short_messages", "Short messages: spam or ham", "arrays", "built in",
    "Made-up text messages, a minority of them spam (prizes, ringtones, loans), for a model "
    "that starts with a Text Vectorization block; a few words decide the class.",
    _short_messages, params=(
        samples(4000),
        _float("spam_share", "Spam share", 0.15, "About this share of the messages is spam.",
               0.01, 0.99),
        DATA_SEED),
    task_kinds=("supervised",)))
