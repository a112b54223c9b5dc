"""Opening Keras Applications models: MobileNetV2 (157 blocks) and ResNet50 (178 blocks).

Rows (docs/architecture.md, Performance budget): the import itself (load in safe mode, map
every layer, rebuild and compare, group the stages, lay out), informational; validation
cold and after one edit against the validation targets; opening the imported project in
the window < 1.5 s; pan/zoom frame time p95 < 16 ms on the level it opens at (a stem, the
stage groups and a head) and inside its biggest group, timed as the editor benchmark times
its frames (a forced repaint of the offscreen viewport per step).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.benchmarks.bench_app import (
    FRAME_P95_LIMIT_S,
    OPEN_LIMIT_S,
    median_open_time,
    offscreen_window,
)
from tests.benchmarks.bench_projects import COLD_LIMIT_S, EDIT_LIMIT_S, _median_time
from tests.benchmarks.harness import Row, Settings, benchmark, limit_row

NAME = "keras_import"


def _applications(quick: bool) -> dict[str, object]:
    import keras

    side = 32 if quick else 96
    models = {"MobileNetV2": keras.applications.MobileNetV2(
        weights=None, input_shape=(side, side, 3))}
    if not quick:
        models["ResNet50"] = keras.applications.ResNet50(weights=None,
                                                          input_shape=(side, side, 3))
    return models


@benchmark(NAME)
def keras_import(settings: Settings) -> Iterator[Row]:
    from PySide6.QtWidgets import QApplication

    from projects import files
    from projects.keras_import import import_keras
    from projects.shapes import ShapeInference
    from projects.validation import validate

    repeats = settings.repeats_or(3, quick_default=1)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        window = offscreen_window(tmp)
        app = QApplication.instance()
        window.tensorflow_loaded("TensorFlow ready")
        for name, model in _applications(settings.quick).items():
            source = tmp / f"{name}.keras"
            model.save(source)
            imported = _median_time(lambda s=source: import_keras(s), repeats)
            project = import_keras(source)
            blocks = len(project.nodes)
            case = f"{name} ({blocks} blocks, {len(project.groups)} groups)"
            yield Row(NAME, f"{case}: import", imported, None, "s", None, "info", None,
                      note="safe-mode load, map, rebuild and compare, group, lay out")

            cold = _median_time(lambda p=project: validate(p, ShapeInference()), repeats)
            inference = ShapeInference()
            validate(project, inference)
            convs = [i for i in project.topological_order()
                     if project.nodes[i].block == "conv2d"]
            target = convs[len(convs) // 2]
            edits = []
            for step in range(repeats * 2):
                project.set_params(target, {"use_bias": step % 2 == 0})
                start = time.perf_counter()
                validate(project, inference)
                edits.append(time.perf_counter() - start)
            yield limit_row(NAME, f"{case}: validation, cold", cold, "s", below=COLD_LIMIT_S)
            yield limit_row(NAME, f"{case}: validation after one edit",
                            statistics.median(edits), "s", below=EDIT_LIMIT_S,
                            note="a mid-graph Conv2D's bias switched")

            path = tmp / f"{name}.deepwire"
            files.save(project, path)
            yield limit_row(NAME, f"{case}: open (TensorFlow ready)",
                            median_open_time(window, path, repeats), "s", below=OPEN_LIMIT_S)

            top = len(window.editor.project.members(None))
            p95, median = _pan_and_zoom(window)
            yield limit_row(NAME, f"{case}: pan/zoom frame on the top level ({top} items), "
                            "p95 of 60", p95, "s", below=FRAME_P95_LIMIT_S,
                            note=f"median {median * 1e3:.1f} ms, 1600x1000")
            project = window.editor.project
            biggest = max(project.groups, key=lambda g: len(project.members(g)))
            window.navigator.enter(biggest)
            app.processEvents()
            inside = len(project.members(biggest))
            p95, median = _pan_and_zoom(window)
            yield limit_row(NAME, f"{case}: pan/zoom frame inside "
                            f"{project.group(biggest).title} ({inside} items), p95 of 60",
                            p95, "s", below=FRAME_P95_LIMIT_S,
                            note=f"median {median * 1e3:.1f} ms, 1600x1000")
        window.editor.undo_stack.setClean()
        window.close()


def _pan_and_zoom(window) -> tuple[float, float]:
    """p95 and median of 60 forced repaints while panning both ways at three zooms, as the
    editor benchmark times its frames."""
    view = window.view
    viewport = view.viewport()
    frames = []
    view.fit_to_view()
    for zoom in (0.25, 0.5, 1.0):
        view.set_zoom(zoom, None)
        for _ in range(20):
            for bar in (view.horizontalScrollBar(), view.verticalScrollBar()):
                bar.setValue(bar.value() + 37)
            start = time.perf_counter()
            viewport.repaint()
            frames.append(time.perf_counter() - start)
    frames.sort()
    return frames[int(0.95 * (len(frames) - 1))], statistics.median(frames)
