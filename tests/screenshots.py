"""Regenerates the README's screenshots in resources/screenshots/.

    python -m tests.screenshots [pytest options]

Runs the tests marked ``screenshot`` with ``--update-screenshots``; a plain test run renders
the same pictures into a temporary folder and leaves the tracked ones alone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


def main(argv: list[str] | None = None) -> int:
    """Run the screenshot tests so that they write into the repository; their exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app_tests = Path(__file__).resolve().parent / "app"
    return int(pytest.main(["-q", "-p", "no:cacheprovider", "-m", "screenshot",
                            "--update-screenshots", str(app_tests),
                            *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    sys.exit(main())
