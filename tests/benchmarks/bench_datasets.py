"""Reading a CSV table: pandas' C parser against the hand-written reader it replaced.

Target (issue "One home for each fact", item 3): on a 3 000 × 3 700 numeric table with a
label column and a split column (the size of a citation-graph benchmark), the peak memory
of reading it is at most 4× the float32 feature array, and reading is at least 3× faster
than the old reader, kept below as the baseline (it is not in the product any more).
Each case runs in a fresh child process so its peak resident memory is its own.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.benchmarks.harness import Row, Settings, benchmark, limit_row, ratio_row, run_child

ROWS, FEATURES = 3_000, 3_700
QUICK_ROWS, QUICK_FEATURES = 300, 370
MEMORY_FACTOR = 4.0  # peak memory ≤ 4 × the float32 array
SPEED_RATIO = 0.333  # ours at most a third of the old reader's time: ≥ 3× faster
FLOAT32_MAX = float(np.finfo(np.float32).max)
_SPLITS = ("train", "validation", "test")


def write_table(path: Path, rows: int, features: int, seed: int = 0) -> None:
    """A numeric table: ``features`` columns of 4-decimal numbers, then label and split."""
    rng = np.random.default_rng(seed)
    names = [f"f{j}" for j in range(features)]
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(",".join([*names, "label", "split"]) + "\n")
        for i in range(rows):
            values = ",".join(f"{v:.4f}" for v in rng.random(features))
            file.write(f"{values},{i % 7},{_SPLITS[i % 3]}\n")


def _rss_now() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def read_case(path: str, reader: str) -> dict[str, Any]:
    """Child process: read the table with ``reader`` ("ours" or "baseline"), once."""
    from projects.datasets.tables import Table
    from tests.benchmarks.harness import peak_rss_bytes

    before = _rss_now()
    start = time.perf_counter()
    if reader == "ours":
        table = Table(Path(path), "table.csv", "path")
        label, split = table.column("label"), table.column("split")
        table.parse([j for j in range(len(table.header)) if j not in (label, split)],
                    [label, split])
        x = table.numbers()
        y = table.texts(label).astype(np.float64).astype(np.int32)
        splits = table.texts(split)
    else:
        old = _read_table(Path(path), "table.csv")
        label, split = old.column("label"), old.column("split")
        x = old.numbers([j for j in range(len(old.header)) if j not in (label, split)])
        y = np.array([float(row[label]) for row in old.rows]).astype(np.int32)
        splits = [row[split].strip() for row in old.rows]
    seconds = time.perf_counter() - start
    assert x.dtype == np.float32 and len(y) == len(splits) == len(x)
    return {"seconds": seconds, "rss_before": before, "array_bytes": int(x.nbytes),
            "peak": peak_rss_bytes()}


@benchmark("dataset_tables")
def dataset_tables(settings: Settings) -> Iterator[Row]:
    rows, features = (QUICK_ROWS, QUICK_FEATURES) if settings.quick else (ROWS, FEATURES)
    repeats = settings.repeats_or(3, quick_default=1)
    size = f"{rows:,} × {features:,} CSV".replace(",", " ")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        write_table(path, rows, features)
        results: dict[str, list[dict[str, Any]]] = {"ours": [], "baseline": []}
        for i in range(repeats):  # ABBA, each case in its own process
            for reader in (("ours", "baseline") if i % 2 == 0 else ("baseline", "ours")):
                results[reader].append(run_child("tests.benchmarks.bench_datasets:read_case",
                                                 {"path": str(path), "reader": reader}))
    ours, base = results["ours"], results["baseline"]
    array = ours[0]["array_bytes"]

    def median(samples: list[dict[str, Any]], key: str) -> float:
        return float(np.median([s[key] for s in samples]))

    def growth(samples: list[dict[str, Any]]) -> float:
        return max(s["peak"] - s["rss_before"] for s in samples)

    yield ratio_row("dataset_tables", f"read a {size} with label and split columns",
                    median(ours, "seconds"), median(base, "seconds"), "s",
                    at_most=SPEED_RATIO)
    yield limit_row("dataset_tables", f"peak memory of the read, {size} (float32 array "
                    f"{array / 1e6:.0f} MB)", growth(ours), "bytes",
                    below=MEMORY_FACTOR * array + 1, baseline=growth(base),
                    note=f"peak RSS growth while reading; the limit is {MEMORY_FACTOR:g}× "
                    f"the float32 array; the baseline's growth is "
                    f"{growth(base) / array:.1f}× the array, ours "
                    f"{growth(ours) / array:.1f}×")


# ----------------------------------------------------------------------------- the old reader
# Deepwire's hand-written CSV reader before pandas, kept as the baseline (the header checks
# and the slow path that named a bad cell left out: they never run on good data).


@dataclass
class _Table:
    """A CSV file read as text: header, rows, and where each row is in the file."""

    display: str  # the file as the person named it
    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]  # spreadsheet row of each row (the header is row 1)
    header_row: int = 1  # later when blank lines come first

    def column(self, name: str, role: str = "column") -> int:
        try:
            return self.header.index(name)
        except ValueError:
            raise ValueError(f"{self.display} has no {role} {name!r}") from None

    def numbers(self, columns: Sequence[int]) -> np.ndarray:
        """The given columns as float32 (rows, columns); refuses empty, text, nan, inf."""
        cells = [[row[j] for j in columns] for row in self.rows]
        try:  # fast path; float64 first so that values too big for float32 can be found
            values = np.array(cells, dtype=str).astype(np.float64)
        except ValueError:
            values = None
        if values is None or not (np.abs(values) <= FLOAT32_MAX).all():
            raise ValueError("a bad cell (the old slow path named it; not measured here)")
        return values.reshape(len(cells), len(columns)).astype(np.float32)


def _read_table(path: Path, display: str, delimiter: str | None = None) -> _Table:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        row = data[: err.start].count(b"\n") + 1
        raise ValueError(f"{display}, row {row}: the file is not UTF-8 text (byte "
                         f"0x{data[err.start]:02x}); save it as CSV UTF-8") from None
    if not text.strip():
        raise ValueError(f"{display} is empty: it needs a header row naming the columns "
                         "and then one row per sample")
    if delimiter is None:
        first_line = text.lstrip("\n").split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count) if first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise ValueError(f"{display}: not a readable CSV file ({err})") from None
    # Blank lines count as (empty) rows, as a spreadsheet shows them.
    start = next((i for i, record in enumerate(records) if any(c.strip() for c in record)),
                 None)
    if start is None:
        raise ValueError(f"{display} is empty: it needs a header row naming the columns "
                         "and then one row per sample")
    header = [c.strip() for c in records[start]]
    rows, numbers = [], []
    for i in range(start + 1, len(records)):
        record = records[i]
        if not any(c.strip() for c in record):
            continue
        if len(record) != len(header):
            raise ValueError(f"{display}, row {i + 1}: {len(record)} cells, but the header "
                             f"(row {start + 1}) names {len(header)} columns")
        rows.append(record)
        numbers.append(i + 1)
    if not rows:
        raise ValueError(f"{display} has a header but no data rows")
    return _Table(display, header, rows, numbers, start + 1)
