"""The window survives quick clicking: the short version of ``python -m tests.benchmarks
--only stress`` (tests/benchmarks/bench_stress.py). Two seeds, each the real MainWindow in
its own process, offscreen: template switches, Train, Stop, Pause, tab switches at short
random intervals; each must exit cleanly, in time, with no thread left running."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.benchmarks.bench_stress import run_seed
from tests.benchmarks.harness import child_env

SEEDS = (101, 104)  # among the seeds that crashed before collection moved to the GUI thread
STEPS = 40


def test_quick_clicking_ends_without_crash_hang_or_leaked_thread(tmp_path: Path) -> None:
    env = {**child_env(), "QT_QPA_PLATFORM": "offscreen"}
    with ThreadPoolExecutor(len(SEEDS)) as pool:  # one process per core
        results = list(pool.map(lambda seed: run_seed(seed, STEPS, env, tmp_path, timeout=240),
                                SEEDS))
    failed = [(r.seed, r.outcome, r.detail, r.log.read_text()[-3000:]) for r in results
              if r.outcome != "ok"]
    assert not failed
    assert all(r.runs > 0 for r in results)  # Train did train
