"""Smoke test: the harness runs end to end at tiny sizes and writes a sane report.

It checks shape, never speed: timings on a shared machine are not assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.benchmarks.harness import REPO_ROOT, child_env

SMOKE_BENCHMARKS = (
    "mha_train_step", "gcn_epoch", "trainer_throughput", "gan_step", "gcn_training", "gan_quality",
    "gcn_paper",
    "evaluation",
)


def test_quick_run_writes_rows_with_positive_numbers(tmp_path: Path) -> None:
    report_path = tmp_path / "benchmarks.json"
    command = [
        sys.executable,
        "-m",
        "tests.benchmarks",
        "--quick",
        "--only",
        ",".join(SMOKE_BENCHMARKS),
        "--json",
        str(report_path),
    ]
    proc = subprocess.run(
        command, cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| benchmark | case | ours | baseline | ratio | target | verdict |" in proc.stdout

    report = json.loads(report_path.read_text())
    assert report["errors"] == {}
    assert report["machine"]["cpu_count"] >= 1
    assert report["machine"]["tensorflow"] and report["machine"]["keras"]
    for name in SMOKE_BENCHMARKS:
        rows = [row for row in report["rows"] if row["benchmark"] == name]
        assert rows, f"no rows for {name}"
        for row in rows:
            assert row["ours"] is not None, row
            for value in (row["ours"], row["baseline"]):
                if value is None:
                    continue
                if row["unit"]:  # a time, size, rate or count
                    assert value > 0, row
                else:  # a share, such as gan_quality's: may be zero after one epoch
                    assert 0 <= value <= 1, row
            assert row["ratio"] is None or row["ratio"] > 0, row


def test_unknown_benchmark_is_refused_with_the_available_names() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "--only", "no_such_benchmark"],
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "no_such_benchmark" in proc.stderr and "mha_train_step" in proc.stderr
