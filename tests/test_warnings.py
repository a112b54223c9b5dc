"""The suite turns warnings that Deepwire's own packages raise into errors (pyproject.toml),
so a deprecated call or a planted warning in app, projects or blocks fails its test."""

from __future__ import annotations

import warnings

import pytest


@pytest.mark.parametrize("module", ["app.main_window", "projects", "blocks.spec"])
def test_a_warning_from_deepwire_fails_the_test(module: str) -> None:
    # warnings.warn attributes a warning to the calling module this way
    with pytest.raises(UserWarning, match="planted"):
        warnings.warn_explicit("planted", UserWarning, f"{module}.py", 1, module=module)


def test_a_warning_from_another_package_stays_a_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit("planted", UserWarning, "x.py", 1, module="applications.x")
    assert [str(w.message) for w in caught] == ["planted"]
