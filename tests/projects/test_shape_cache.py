"""Shapes kept on disk: a reopened project validates from the file before TensorFlow loads,
with Keras's own answers, and Keras checks them again once it has loaded."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from projects import files
from projects.shape_cache import ShapeDiskCache
from projects.shapes import NotStored, ShapeInference
from projects.validation import validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.deepwire"))


def _summary(report) -> tuple:
    return ([str(i) for i in report.issues],
            {k: (dict(v.outputs), v.params, v.trainable_params, v.error)
             for k, v in report.shapes.items()})


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_stored_answers_equal_keras_for_every_example(path: Path, tmp_path: Path) -> None:
    project = files.load(path)
    keras_inference = ShapeInference(disk=ShapeDiskCache(tmp_path / "s.db"))
    keras_report = validate(project, keras_inference)
    offline = ShapeInference(disk=ShapeDiskCache(tmp_path / "s.db"), offline=True)
    assert _summary(validate(project, offline)) == _summary(keras_report)
    assert offline.built == 0
    assert offline.verify() == 0  # Keras agrees with every stored answer
    assert offline.built == keras_inference.built  # each one was built again to check it


def test_a_block_never_built_is_not_guessed(tmp_path: Path) -> None:
    project = files.load(EXAMPLES[0])
    validate(project, ShapeInference(disk=ShapeDiskCache(tmp_path / "s.db")))
    dense = next(i for i, n in project.nodes.items() if n.block == "dense")
    project.set_params(dense, {"units": 321})  # a width never built before
    with pytest.raises(NotStored) as caught:
        validate(project, ShapeInference(disk=ShapeDiskCache(tmp_path / "s.db"), offline=True))
    assert caught.value.args[0] == dense


def test_verify_replaces_a_stored_answer_keras_disagrees_with(tmp_path: Path) -> None:
    project = files.load(EXAMPLES[0])
    path = tmp_path / "s.db"
    truth = validate(project, ShapeInference(disk=ShapeDiskCache(path)))
    with sqlite3.connect(path) as db:  # as if an upgrade had changed a block's weights
        db.execute("UPDATE shapes SET value = replace(value, '\"params\": ', "
                   "'\"params\": 1000')")
    inference = ShapeInference(disk=ShapeDiskCache(path), offline=True)
    stale = validate(project, inference)
    assert stale.total_params != truth.total_params
    inference.offline = False
    assert inference.verify() > 0
    assert _summary(validate(project, inference)) == _summary(truth)
    fresh = validate(project, ShapeInference(disk=ShapeDiskCache(path), offline=True))
    assert _summary(fresh) == _summary(truth)  # the file was corrected too


def test_a_corrupt_or_unwritable_cache_file_is_never_an_error(tmp_path: Path) -> None:
    project = files.load(EXAMPLES[0])
    truth = validate(project, ShapeInference())
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database at all" * 100)
    cache = ShapeDiskCache(corrupt)
    assert cache.enabled  # started afresh
    assert _summary(validate(project, ShapeInference(disk=cache))) == _summary(truth)
    blocked = tmp_path / "file"
    blocked.write_text("x")
    unusable = ShapeDiskCache(blocked / "s.db")  # its folder is a file
    assert not unusable.enabled
    assert _summary(validate(project, ShapeInference(disk=unusable))) == _summary(truth)


def test_validating_from_the_file_does_not_import_tensorflow(tmp_path: Path) -> None:
    path = next(p for p in EXAMPLES if p.stem == "transformer_classifier")
    validate(files.load(path), ShapeInference(disk=ShapeDiskCache(tmp_path / "s.db")))
    code = (
        "import sys\n"
        "from projects import files\n"
        "from projects.shape_cache import ShapeDiskCache\n"
        "from projects.shapes import ShapeInference\n"
        "from projects.validation import validate\n"
        f"project = files.load({str(path)!r})\n"
        f"cache = ShapeDiskCache({str(tmp_path / 's.db')!r})\n"
        "report = validate(project, ShapeInference(disk=cache, offline=True), check_data=True)\n"
        "print(report.total_params, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    total = validate(files.load(path), ShapeInference()).total_params
    assert out == [str(total), "False", "False"]
