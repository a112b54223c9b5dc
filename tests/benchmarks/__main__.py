"""Command line: ``python -m tests.benchmarks [--only NAME[,NAME]] [--quick] [--repeats N]``.

Prints a Markdown table of every row and writes the full report, with machine info, as
JSON. Missed targets show as FAIL in the table but do not change the exit status (the
machine is noisy; a human reads the ratios); a benchmark that crashes exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from tests.benchmarks.harness import Report, Settings, discover, machine_info, markdown_table


def parse_args(argv: list[str] | None, names: list[str]) -> argparse.Namespace:
    """Parse the command line; ``names`` are the registered benchmarks, for --only."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks",
        description="Measure Deepwire against its baselines side by side (docs/architecture.md).",
    )
    parser.add_argument(
        "--only",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=None,
        metavar="NAME[,NAME]",
        help=f"run only these benchmarks (available: {', '.join(names)})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, few repeats: a smoke test, not a measurement",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, metavar="N", help="override each benchmark's repeats"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("benchmarks.json"),
        metavar="PATH",
        help="where to write the report (default: benchmarks.json in the current directory)",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or []) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(names)}")
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be positive. Received: --repeats={args.repeats}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks, print the table, write the JSON; 1 if one crashed."""
    registry = discover()
    args = parse_args(argv, sorted(registry))
    settings = Settings(quick=args.quick, repeats=args.repeats)
    selected = args.only or sorted(registry)
    report = Report(machine=machine_info(), settings={**vars(settings), "only": selected})
    start = time.perf_counter()
    for name in selected:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            for row in registry[name](settings):
                report.rows.append(row)
                print(f"  {row.case}: {row.verdict}", file=sys.stderr, flush=True)
        except Exception:  # one broken benchmark must not hide the others
            report.errors[name] = traceback.format_exc()
            print(report.errors[name], file=sys.stderr, flush=True)
    report.seconds = time.perf_counter() - start
    args.json.write_text(report.to_json() + "\n")
    print(markdown_table(report.rows))
    for name in report.errors:
        print(f"\n{name} crashed; see stderr or {args.json}")
    print(f"\n{len(report.rows)} rows in {report.seconds:.0f} s; JSON written to {args.json}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
