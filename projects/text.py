"""How Deepwire writes numbers for people, in one format everywhere.

The canvas, the inspector, the summary, the dashboard, dataset descriptions and the CLI
all write counts and parameter values through these, so a count reads the same wherever
it appears.
"""

from __future__ import annotations


def count_text(n: int | None) -> str:
    """A count grouped in thousands: 1234567 -> "1,234,567"; None (not known yet) -> "?"."""
    return "?" if n is None else f"{n:,}"


def count_noun(n: int | None, noun: str) -> str:
    """A count and its noun, singular for one: "1 block", "2 blocks", "1,234 parameters"."""
    return f"{count_text(n)} {noun if n == 1 else noun + 's'}"


def number_text(value: float) -> str:
    """The shortest text that reads back as ``value``: 1e-06, 0.99, 10000, 0.0.

    Whole numbers given as ``int`` stay whole; a float always shows it is one.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    short = f"{value:g}"
    if float(short) != value:
        return repr(value)
    return short if any(c in short for c in ".en") else short + ".0"  # 0.0 reads as a float
