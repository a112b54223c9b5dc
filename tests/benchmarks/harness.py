"""Shared machinery for Deepwire's performance benchmarks (docs/architecture.md).

The machine the budget is checked on is shared and noisy, so no absolute time is ever a
verdict: every benchmark measures ours and a baseline side by side, interleaved, in the
same run, and compares medians. Peak memory is measured in a fresh child process per case,
so one case's allocations never hide in another's peak.

A benchmark is a function decorated with ``@benchmark("name")`` in a ``bench_*.py`` module
of this package; it takes the run's :class:`Settings` and yields :class:`Row` objects.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")

REPO_ROOT = Path(__file__).resolve().parents[2]
GB = 1e9


@dataclass(frozen=True)
class Settings:
    """What the command line asked of every benchmark.

    ``repeats`` is None unless the user overrode it; each benchmark keeps its own default
    because a 20-step sample and a child process per sample cost very different times.
    """

    quick: bool = False
    repeats: int | None = None

    def repeats_or(self, default: int, quick_default: int = 1) -> int:
        """The number of interleaved repeats to run: the override, else the default."""
        if self.repeats is not None:
            return self.repeats
        return quick_default if self.quick else default


@dataclass
class Row:
    """One line of the results table.

    ``ours`` and ``baseline`` are in SI units named by ``unit`` ("s", "bytes", "s/edge"),
    so the JSON stays machine-readable; only the printed table scales them. ``ratio`` is
    ours / baseline. ``ok`` is None for rows that are informational rather than a target.
    """

    benchmark: str
    case: str
    ours: float | None
    baseline: float | None
    unit: str
    ratio: float | None
    target: str
    ok: bool | None
    note: str = ""
    baseline_label: str = ""

    @property
    def verdict(self) -> str:
        """'pass', 'FAIL' or '-' (informational), as printed in the table."""
        if self.ok is None:
            return "-"
        return "pass" if self.ok else "FAIL"


def ratio_row(
    benchmark_name: str,
    case: str,
    ours: float,
    baseline: float,
    unit: str,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    note: str = "",
) -> Row:
    """A row whose verdict is ours / baseline against a ratio limit (or info if none).

    Times want ``at_most`` (ours may be at most 1.05x slower); throughputs want
    ``at_least`` (ours must keep 0.95x of the baseline's samples per second).
    """
    ratio = ours / baseline if baseline else None
    if ratio is None:
        target, ok = "-", None
    elif at_most is not None:
        target, ok = f"<= {at_most:g}x", ratio <= at_most
    elif at_least is not None:
        target, ok = f">= {at_least:g}x", ratio >= at_least
    else:
        target, ok = "info", None
    return Row(benchmark_name, case, ours, baseline, unit, ratio, target, ok, note)


def limit_row(
    benchmark_name: str,
    case: str,
    ours: float,
    unit: str,
    *,
    below: float,
    baseline: float | None = None,
    baseline_label: str = "",
    note: str = "",
) -> Row:
    """A row whose verdict is an absolute ceiling (memory, start-up time), not a ratio."""
    target = f"< {format_quantity(below, unit)}"
    return Row(
        benchmark_name, case, ours, baseline, unit, None, target, ours < below, note, baseline_label
    )


# --- registry ------------------------------------------------------------------------------

BenchmarkFn = Callable[[Settings], Iterable[Row]]
REGISTRY: dict[str, BenchmarkFn] = {}


def benchmark(name: str) -> Callable[[BenchmarkFn], BenchmarkFn]:
    """Register a benchmark under ``name`` (the name ``--only`` selects); names are unique."""

    def register(fn: BenchmarkFn) -> BenchmarkFn:
        if name in REGISTRY:
            raise ValueError(f"Benchmark {name!r} is already registered")
        REGISTRY[name] = fn
        return fn

    return register


def discover() -> dict[str, BenchmarkFn]:
    """Import every ``bench_*`` module of this package so their benchmarks register.

    Benchmark modules import TensorFlow inside their functions, not at the top, so listing
    or selecting benchmarks stays cheap and start-up benchmarks are not skewed.
    """
    package = importlib.import_module(__package__ or "tests.benchmarks")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("bench_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return REGISTRY


# --- interleaved timing ---------------------------------------------------------------------


def interleave(
    ours_fn: Callable[[], T], base_fn: Callable[[], U], repeats: int, warmup: int = 0
) -> tuple[list[T], list[U]]:
    """Call ours and base alternately, ``repeats`` times each, and return both samples.

    Pairs run in ABBA order (ours, base, base, ours, ...), so a machine that slowly speeds
    up or slows down over the run (turbo, a neighbour's job) biases neither side.
    ``warmup`` pairs run first and are discarded (tracing, caches, allocator growth).
    """
    for _ in range(warmup):
        ours_fn()
        base_fn()
    ours: list[T] = []
    base: list[U] = []
    for i in range(repeats):
        if i % 2 == 0:
            ours.append(ours_fn())
            base.append(base_fn())
        else:
            base.append(base_fn())
            ours.append(ours_fn())
    return ours, base


@dataclass(frozen=True)
class Paired:
    """Interleaved samples of ours and the baseline, summarised by their medians."""

    ours_samples: Sequence[float]
    base_samples: Sequence[float]

    @property
    def ours(self) -> float:
        return statistics.median(self.ours_samples)

    @property
    def base(self) -> float:
        return statistics.median(self.base_samples)

    @property
    def ratio(self) -> float:
        return self.ours / self.base

    def spread(self) -> str:
        """The interquartile range of the per-pair ratios: how far to trust the verdict."""
        ratios = sorted(o / b for o, b in zip(self.ours_samples, self.base_samples, strict=True))
        if len(ratios) < 4:
            return f"pair ratios {ratios[0]:.3f}-{ratios[-1]:.3f}"
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        return f"pair-ratio IQR {q1:.3f}-{q3:.3f} (n={len(ratios)})"


def alternate(
    ours_fn: Callable[[], object], base_fn: Callable[[], object], repeats: int, warmup: int = 1
) -> Paired:
    """Wall-clock ``ours_fn`` and ``base_fn`` interleaved; medians via the returned Paired.

    Each call should do enough work (e.g. 20 train steps) to dwarf timer and call overhead,
    and must block until the work is done (e.g. end with ``loss.numpy()``).
    """

    def timed(fn: Callable[[], object]) -> Callable[[], float]:
        def run() -> float:
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        return run

    ours, base = interleave(timed(ours_fn), timed(base_fn), repeats, warmup)
    return Paired(ours, base)


# --- child processes for peak memory --------------------------------------------------------


class ChildError(RuntimeError):
    """A benchmark child process failed; carries the tail of its stderr."""


def peak_rss_bytes() -> int:
    """This process's own peak resident set size, in bytes.

    On Linux it is VmHWM: a forked child's ru_maxrss starts from its parent's, which would
    charge the harness's memory to the case.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def child_env() -> dict[str, str]:
    """Environment for child processes: the repo importable, TensorFlow's chatter off."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_child(target: str, args: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    """Run ``MODULE:FUNC(**args)`` in a fresh interpreter and return its JSON result.

    The result holds what the function returned plus ``ru_maxrss_bytes``, the child's peak
    RSS, which is what a user's machine would have to hold for that case alone.
    """
    command = [sys.executable, "-m", "tests.benchmarks.child", target, json.dumps(args)]
    proc = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise ChildError(f"{target} {args} exited with {proc.returncode}:\n{tail}")
    return json.loads(lines[-1])


# --- output ---------------------------------------------------------------------------------

_SCALES: dict[str, list[tuple[float, str]]] = {
    "s": [(1.0, "s"), (1e-3, "ms"), (1e-6, "us")],
    "s/edge": [(1e-6, "us/edge"), (1e-9, "ns/edge")],
    "bytes": [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")],
}


def format_quantity(value: float | None, unit: str) -> str:
    """``value`` in the largest readable unit, 3 significant digits (0.0123 s -> 12.3 ms)."""
    if value is None:
        return "-"
    for scale, name in _SCALES.get(unit, []):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {name}"
    if unit in _SCALES:
        scale, name = _SCALES[unit][-1]
        return f"{value / scale:.3g} {name}"
    return f"{value:.3g} {unit}".rstrip()


def markdown_table(rows: Iterable[Row]) -> str:
    """The results as a Markdown table, with each row's note listed underneath."""
    rows = list(rows)
    header = ["benchmark", "case", "ours", "baseline", "ratio", "target", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes: list[str] = []
    for row in rows:
        baseline = row.baseline_label or format_quantity(row.baseline, row.unit)
        ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
        verdict = row.verdict
        if row.note:
            notes.append(row.note)
            verdict += f" [{len(notes)}]"
        cells = [row.benchmark, row.case, format_quantity(row.ours, row.unit), baseline, ratio]
        lines.append("| " + " | ".join([*cells, row.target, verdict]) + " |")
    if notes:
        lines.append("")
        lines.extend(f"[{i}] {note}" for i, note in enumerate(notes, start=1))
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """What a ratio was measured on: cores, memory, library versions, date.

    Versions come from package metadata, so this never imports TensorFlow itself.
    """
    from importlib import metadata

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    cpu_model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        total_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total_memory = None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(affinity) if affinity is not None else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_bytes": total_memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": version("tensorflow"),
        "keras": version("keras"),
        "numpy": version("numpy"),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@dataclass
class Report:
    """Everything one run produced, as written to the JSON file."""

    machine: dict[str, Any]
    settings: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> str:
        """The report as JSON; each row also carries its printed verdict."""
        rows = [{**asdict(row), "verdict": row.verdict} for row in self.rows]
        return json.dumps({**asdict(self), "rows": rows}, indent=2)
