"""The package layering (docs/architecture.md, Packages and layers), checked by import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(no_cache=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_listing_the_catalog_does_not_import_tensorflow() -> None:
    """The palette is filled before TensorFlow loads, so the catalog must not need it."""
    code = (
        "import sys, blocks; specs = blocks.all_specs(); "
        "[s.input_ports() for s in specs]; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported'; "
        "print(len(specs))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 30


def test_qt_calls_keep_references_to_none() -> None:
    """Guards against Qt bindings that drop a reference to None on each void call (as
    PySide6 6.12.0 does on Python 3.11), which aborts the app after enough clicks."""
    code = (
        "import sys; from PySide6.QtCore import QObject; o = QObject(); "
        "before = sys.getrefcount(None); "
        "[o.setObjectName('x') for _ in range(1000)]; "
        "print(before - sys.getrefcount(None))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert abs(int(result.stdout)) < 50
