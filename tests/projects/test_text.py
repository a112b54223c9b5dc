"""Numbers as Deepwire writes them for people."""

from __future__ import annotations

import pytest

from projects.text import count_noun, count_text, number_text


@pytest.mark.parametrize(("n", "text"), [(0, "0"), (1, "1"), (999, "999"), (1437, "1,437"),
                                         (1_234_567, "1,234,567"), (None, "?")])
def test_count_text_groups_thousands(n, text: str) -> None:
    assert count_text(n) == text


@pytest.mark.parametrize(("n", "text"), [(0, "0 blocks"), (1, "1 block"), (2, "2 blocks"),
                                         (1437, "1,437 blocks"), (None, "? blocks")])
def test_count_noun_is_singular_for_one(n, text: str) -> None:
    assert count_noun(n, "block") == text


@pytest.mark.parametrize(("value", "text"), [(1e-6, "1e-06"), (0.99, "0.99"), (10000, "10000"),
                                             (0.0, "0.0"), (2.0, "2.0"), (1 / 3, repr(1 / 3)),
                                             (1e22, "1e+22")])
def test_number_text_reads_back_as_the_value(value, text: str) -> None:
    assert number_text(value) == text
    assert float(number_text(value)) == value
