"""Project documents: validation and shape inference, files, and the compiler.

Targets (docs/architecture.md): validation + shape inference of a 500-block graph < 300 ms cold and
< 30 ms after one edit; compiling a project within 1.2x of hand-written functional Keras
that builds the same model.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.benchmarks.harness import Row, Settings, alternate, benchmark, limit_row, ratio_row

COLD_LIMIT_S = 0.300
WARM_DISK_LIMIT_S = 0.050
EDIT_LIMIT_S = 0.030
COMPILE_RATIO = 1.2


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _warm_keras() -> None:
    """Import TensorFlow and build one layer, so 'cold' measures our work, not imports."""
    import keras

    keras.layers.Dense(2)(keras.KerasTensor((None, 2)))


@benchmark("validation")
def validation(settings: Settings) -> Iterator[Row]:
    from projects.shapes import ShapeInference
    from projects.validation import validate
    from tests.graph_factory import random_project

    _warm_keras()
    repeats = settings.repeats_or(5, quick_default=1)
    sizes = (50,) if settings.quick else (50, 200, 500)
    for size in sizes:
        project = random_project(size, seed=size)
        cold = _median_time(lambda p=project: validate(p, ShapeInference()), repeats)
        disk = _warm_disk_validation(project, repeats)
        inference = ShapeInference()
        validate(project, inference)
        order = project.topological_order()
        dense = [i for i in order if project.nodes[i].block == "dense"]
        target = dense[len(dense) // 2]
        edits = []
        for step in range(repeats):
            # a new width for a block mid-graph: it and its downstream blocks are rebuilt
            project.set_params(target, {"units": 40 + step})
            start = time.perf_counter()
            validate(project, inference)
            edits.append(time.perf_counter() - start)
        edit = statistics.median(edits)
        case = f"{size} blocks"
        # the checks against the data (what the app adds once the preview has loaded it)
        from projects.data_checks import check_data, project_data

        project.set_dataset({"name": "digits"})
        data, shapes = project_data(project), inference.infer(project)
        checks = _median_time(lambda p=project, s=shapes, d=data: check_data(p, s, d), repeats)
        yield Row("validation", f"{case}, data checks", checks, None, "s", None, "info", None)
        if size == 500:
            yield limit_row("validation", f"{case}, cold", cold, "s", below=COLD_LIMIT_S)
            yield limit_row("validation", f"{case}, cold with a warm disk cache", disk, "s",
                            below=WARM_DISK_LIMIT_S, note="TensorFlow not needed")
            yield limit_row("validation", f"{case}, after one edit", edit, "s",
                            below=EDIT_LIMIT_S)
        else:
            yield Row("validation", f"{case}, cold", cold, None, "s", None, "info", None)
            yield Row("validation", f"{case}, cold with a warm disk cache", disk, None, "s",
                      None, "info", None)
            yield Row("validation", f"{case}, after one edit", edit, None, "s", None, "info",
                      None)


def _warm_disk_validation(project: Any, repeats: int) -> float:
    """Validation by a fresh ShapeInference (a reopened project) whose answers all come
    from the disk cache a previous validation filled, with Keras not used."""
    from projects.shape_cache import ShapeDiskCache
    from projects.shapes import ShapeInference
    from projects.validation import validate

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shapes.sqlite"
        filler = ShapeDiskCache(path)
        validate(project, ShapeInference(disk=filler))
        filler.close()

        def reopened() -> None:
            cache = ShapeDiskCache(path)
            validate(project, ShapeInference(disk=cache, offline=True))
            cache.close()

        return _median_time(reopened, repeats)


@benchmark("project_files")
def project_files(settings: Settings) -> Iterator[Row]:
    from projects import files
    from tests.graph_factory import random_project

    size = 50 if settings.quick else 500
    repeats = settings.repeats_or(11, quick_default=1)
    project = random_project(size, seed=3)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.deepwire"
        save = _median_time(lambda: files.save(project, path), repeats)
        load = _median_time(lambda: files.load(path), repeats)
        note = f"{path.stat().st_size / 1024:.0f} KiB file"
    yield Row("project_files", f"save {size}-block project", save, None, "s", None, "info",
              None, note)
    yield Row("project_files", f"load {size}-block project", load, None, "s", None, "info",
              None, note)


def hand_written_transformer() -> Any:
    """The transformer_classifier example written directly in functional Keras."""
    import keras

    from blocks.layers import MultiHeadAttention, PositionEmbedding

    tokens = keras.Input((16,), dtype="int32")
    x = keras.layers.Embedding(32, 32)(tokens)
    x = PositionEmbedding(16)(x)
    for _ in range(2):
        attended, _weights = MultiHeadAttention(32, 4)(x, x, x, return_attention_scores=True)
        x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([x, attended]))
        hidden = keras.layers.Dense(64, activation="relu")(x)
        projected = keras.layers.Dense(32)(hidden)
        x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([x, projected]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    scores = keras.layers.Dense(4)(x)
    return keras.Model(tokens, keras.layers.Identity()(scores))


@benchmark("compile")
def compile_time(settings: Settings) -> Iterator[Row]:
    import resources
    from projects import files
    from projects.compiler import build
    from projects.validation import validate

    _warm_keras()
    project = files.load(resources.examples_dir() / "transformer_classifier.deepwire")
    report = validate(project)
    ours = build(project, report).model
    base = hand_written_transformer()
    assert ours.count_params() == base.count_params(), "hand-written model differs"
    repeats = settings.repeats_or(15, quick_default=1)
    paired = alternate(lambda: build(project, report), hand_written_transformer, repeats)
    yield ratio_row("compile", "transformer_classifier, shapes already known (as in the app)",
                    paired.ours, paired.base, "s", at_most=COMPILE_RATIO, note=paired.spread())
    cold = alternate(lambda: build(project), hand_written_transformer, repeats)
    yield ratio_row("compile", "transformer_classifier, validation included", cold.ours,
                    cold.base, "s", note=cold.spread())
