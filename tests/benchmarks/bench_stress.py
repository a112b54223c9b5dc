"""No crash, no hang, no thread left behind (docs/architecture.md, Garbage collection and
threads).

- ``stress``: the real main window in a fresh process per seed, driven as a person clicking
  quickly would: template switches, Train, Stop, Pause and Resume, the Model and Training
  tabs, the dashboard's tabs, each after a short random pause (0 to 800 ms). Every seed must
  end with exit status 0 (a crash is a signal), within its timeout (a hang), and with no
  thread still running once the window has closed (``threading.enumerate()``, every QThread
  started, the global thread pool). Offscreen, and under a real X display: ``$DISPLAY`` if it
  answers, else an ``Xvfb`` the benchmark starts itself when one is installed.

A seed that fails leaves its output (faulthandler's stacks of every thread; a hang is sent
SIGABRT first so it prints them) in a folder the row's note names.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.benchmarks.harness import REPO_ROOT, Row, Settings, benchmark, child_env, limit_row

SEEDS, QUICK_SEEDS = 10, 2
STEPS, QUICK_STEPS = 150, 40
SEED_TIMEOUT_S = 300.0
PAUSES_MS = (0, 0, 1, 5, 20, 50, 150, 300, 800)  # as the repro of the original crash
ACTIONS = (  # (action, cumulative probability)
    ("template", 0.3), ("train", 0.6), ("stop", 0.75), ("pause", 0.85),
    ("central_tab", 0.92), ("dashboard_tab", 1.0),
)


# --- the child: one seed in a fresh process ---------------------------------------------------

def stress_child(seed: int, steps: int, folder: str) -> dict[str, Any]:
    """Drive one MainWindow through ``steps`` random actions once TensorFlow has loaded
    (while it loads, the same actions go on uncounted); what was left running after."""
    import random
    import threading
    import weakref

    import shiboken6
    from PySide6.QtCore import QSettings, QThread, QThreadPool, QTimer

    import resources
    from app.application import create_application, start_tensorflow, wait_for_threads
    from app.main_window import MainWindow

    started: weakref.WeakSet = weakref.WeakSet()  # every QThread started from Python
    start_thread = QThread.start

    def tracked_start(thread: QThread, *args: Any) -> None:
        started.add(thread)
        start_thread(thread, *args)

    QThread.start = tracked_start
    rng = random.Random(seed)
    qt_app = create_application([])
    window = MainWindow(QSettings(str(Path(folder) / "settings.ini"),
                                  QSettings.Format.IniFormat))
    window.autosaver.folder = Path(folder) / "autosave"
    window.runs_dir_override = Path(folder) / "runs"
    window.show()
    qt_app.processEvents()
    loader = start_tensorflow(window)
    examples = sorted(p for p in resources.example_paths() if p.stem != "gan_mnist")
    window.new_from_template(examples[0])
    done = {"steps": 0, "runs": 0, "actions": {name: 0 for name, _ in ACTIONS}}
    window.session.started.connect(lambda: done.update(runs=done["runs"] + 1))

    def act() -> None:
        if done["steps"] >= steps:
            window.session.stop_and_wait()
            window.close()  # as a person would: the last window closed ends the app
            return
        draw = rng.random()
        action = next(name for name, below in ACTIONS if draw < below)
        if window.editor.tensorflow_ready:  # until then Train only says "loading"
            done["steps"] += 1
            done["actions"][action] += 1
        _perform(window, action, rng, examples)
        QTimer.singleShot(rng.choice(PAUSES_MS), act)

    QTimer.singleShot(rng.choice((0, 10, 100, 500)), act)
    qt_app.exec()
    wait_for_threads(loader)  # as the app does before it exits
    pool = QThreadPool.globalInstance()
    pool_busy = pool.activeThreadCount()
    main = threading.main_thread()
    leaked = [t.name for t in threading.enumerate()
              if t is not main and not isinstance(t, threading._DummyThread)]
    running = [t.objectName() or type(t).__name__ for t in started
               if shiboken6.isValid(t) and t.isRunning()]
    return {**done, "python_threads": leaked, "qthreads": running, "pool_busy": pool_busy}


def _perform(window, action: str, rng, examples: list[Path]) -> None:
    """One click: what a person would do, through the window's own actions."""
    if action == "template":
        window.new_from_template(rng.choice(examples))
    elif action == "train" and window.train_action.isEnabled():
        window.train_action.trigger()
    elif action == "stop" and window.stop_action.isEnabled():
        window.stop_action.trigger()
    elif action == "pause" and window.pause_action.isEnabled():
        window.pause_action.trigger()  # Pause, or Resume when paused
    elif action == "central_tab":
        window.central_tabs.setCurrentIndex(rng.randrange(window.central_tabs.count()))
    elif action == "dashboard_tab" and window.dashboard is not None:
        tabs = window.dashboard.tabs
        shown = [i for i in range(tabs.count()) if tabs.isTabVisible(i)]
        tabs.setCurrentIndex(rng.choice(shown))


# --- the parent: seeds, verdicts, displays ----------------------------------------------------

@dataclass(frozen=True)
class SeedResult:
    """How one seed ended: ``outcome`` is "ok", "crash", "hang" or "leak"."""

    seed: int
    outcome: str
    seconds: float
    detail: str
    log: Path
    runs: int = 0  # training runs started


def run_seed(seed: int, steps: int, env: dict[str, str], logs: Path,
             timeout: float = SEED_TIMEOUT_S) -> SeedResult:
    """One seed in a fresh process; its output kept in ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"seed-{seed}.log"
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="deepwire-stress-") as folder, \
            open(log, "w", encoding="utf-8") as err:
        seed_env = {**env, "PYTHONFAULTHANDLER": "1", "XDG_DATA_HOME": folder,
                      "XDG_CONFIG_HOME": folder}
        command = [sys.executable, "-m", "tests.benchmarks.child",
                   "tests.benchmarks.bench_stress:stress_child",
                   json.dumps({"seed": seed, "steps": steps, "folder": folder})]
        child = subprocess.Popen(command, cwd=REPO_ROOT, env=seed_env, stdout=subprocess.PIPE,
                                 stderr=err, text=True)
        try:
            out, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
            try:
                child.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
            return SeedResult(seed, "hang", time.perf_counter() - began,
                              f"no end after {timeout:.0f} s", log)
    seconds = time.perf_counter() - began
    if child.returncode != 0:
        code = child.returncode
        what = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        return SeedResult(seed, "crash", seconds, what, log)
    lines = out.strip().splitlines()
    if not lines:
        return SeedResult(seed, "crash", seconds, "exit status 0 without a result", log)
    result = json.loads(lines[-1])
    left = [*result["python_threads"], *result["qthreads"]]
    left += [f"{result['pool_busy']} pool thread(s)"] if result["pool_busy"] else []
    outcome = "leak" if left else "ok"
    detail = ", ".join(left) if left else json.dumps(result["actions"])
    return SeedResult(seed, outcome, seconds, detail, log, result["runs"])


def display_answers(env: dict[str, str]) -> bool:
    """Whether Qt's xcb plugin can open a window on ``env['DISPLAY']``."""
    probe = "from PySide6.QtWidgets import QApplication; QApplication(['probe'])"
    try:
        result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                                timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


@contextmanager
def x_display() -> Iterator[str | None]:
    """A real X display: ``$DISPLAY`` if it answers, else a private Xvfb (stopped after),
    else None."""
    base = {**child_env(), "QT_QPA_PLATFORM": "xcb"}
    if os.environ.get("DISPLAY") and display_answers(base):
        yield os.environ["DISPLAY"]
        return
    read, write = os.pipe()
    try:
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                                 "1600x1000x24", "-nolisten", "tcp"], pass_fds=(write,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        os.close(read)
        yield None
        return
    finally:
        os.close(write)
    try:
        with os.fdopen(read) as number:
            display = f":{number.readline().strip()}"
        yield display if display != ":" and display_answers({**base, "DISPLAY": display}) \
            else None
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def stress_rows(platform: str, env: dict[str, str], seeds: list[int], steps: int,
                logs: Path) -> list[Row]:
    """Run ``seeds`` one after another on ``platform``; one row per kind of failure."""
    results = [run_seed(seed, steps, env, logs / platform) for seed in seeds]
    case = f"{platform}: {len(seeds)} seeds x {steps} steps"
    rows = []
    for outcome, label in (("crash", "crashes"), ("hang", "hangs"), ("leak", "leaked threads")):
        failed = [r for r in results if r.outcome == outcome]
        note = "; ".join(f"seed {r.seed}: {r.detail} ({r.log})" for r in failed)
        rows.append(limit_row("stress", f"{case}, {label}", float(len(failed)), "", below=1,
                              note=note))
    seconds = [r.seconds for r in results]
    rows.append(Row("stress", f"{case}, seconds per seed (max)", max(seconds), None, "s", None,
                    "info", None, f"seeds {seeds[0]}-{seeds[-1]}, total {sum(seconds):.0f} s, "
                                  f"{sum(r.runs for r in results)} training runs started"))
    return rows


@benchmark("stress")
def stress(settings: Settings) -> Iterator[Row]:
    """Offscreen, then under a real X display when there is one."""
    count = settings.repeats_or(SEEDS, QUICK_SEEDS)
    steps = QUICK_STEPS if settings.quick else STEPS
    seeds = list(range(100, 100 + count))
    logs = Path(tempfile.mkdtemp(prefix="deepwire-stress-logs-"))
    yield from stress_rows("offscreen", {**child_env(), "QT_QPA_PLATFORM": "offscreen"},
                           seeds, steps, logs)
    with x_display() as display:
        if display is None:
            yield Row("stress", "xcb: no X display (no $DISPLAY, no Xvfb)", None, None, "",
                      None, "-", None)
            return
        env = {**child_env(), "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        yield from stress_rows(f"xcb on {display}", env, seeds, steps, logs)
