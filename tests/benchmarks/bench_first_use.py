"""A new user's first session, on a real X display with real mouse and keyboard events
(docs/architecture.md, GUI model and views).

- ``first_use``: the app started as ``python -m app`` does, in a fresh process with a
  private home and settings, on a private Xvfb with a window manager (openbox when
  installed). xdotool then does what a person would: Ctrl+N, drags Input, Dense and Output
  from the palette onto the canvas, wires them port to port, picks the Digits dataset in
  the inspector, sets the epochs, double-clicks the Problems panel's fixes until the model
  is valid, trains (F5), pauses (F6), resumes, stops (Shift+F5), saves through the save
  dialog (Ctrl+S, a path, Enter), quits (Ctrl+Q), starts again and opens the file from
  File ▸ Open Recent. One row per step: whether it did what the user meant, and how long
  it took. A screenshot of the whole display after each step goes to a folder the first
  row's note names: look at them.

Where to click is asked of the app itself: it runs under tests/benchmarks/first_use_driver.py,
which answers with the screen coordinates of palette entries, ports, problems and fields
(a file request polled on the GUI thread) and never acts on the window. Without Xvfb or
xdotool (CI machines) the benchmark yields one info row saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.benchmarks.harness import REPO_ROOT, Row, Settings, benchmark, child_env

NAME = "first_use"
SCREEN = (1600, 1000)
BLOCKS = ("Input", "Dense", "Output")
DATASET = "Digits: 8×8 handwriting"
EPOCHS = 200  # longer than the session trains: Stop ends the run, not its last epoch
STEP_TIMEOUT_S = 60.0
START_TIMEOUT_S = 120.0  # TensorFlow's import, on two shared cores
SETTLE_S = 0.4  # before a screenshot


class StepFailed(RuntimeError):
    """A step did not do what the user meant; the message says what was seen instead."""


# --- the display ------------------------------------------------------------------------------

def missing_tools() -> list[str]:
    """The programs the session needs that this machine lacks."""
    return [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]


@contextmanager
def private_display() -> Iterator[str]:
    """A private Xvfb (``-displayfd`` picks a free number) with openbox on it when
    installed, so windows get focus and a frame as on a desktop; both end after."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                             f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    started = [xvfb]
    try:
        with os.fdopen(read) as number:
            display = f":{number.readline().strip()}"
        if display == ":":
            raise StepFailed("Xvfb did not start")
        if shutil.which("openbox"):
            started.append(subprocess.Popen(
                ["openbox"], env={**os.environ, "DISPLAY": display},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.5)
        yield display
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Desktop:
    """Real X input and screenshots on one display (what /work/shared/tools/desktop does)."""

    def __init__(self, display: str, shots: Path) -> None:
        self.env = {**os.environ, "DISPLAY": display}
        self.shots = shots
        self.count = 0

    def xdotool(self, *args: str, timeout: float = 20) -> str:
        result = subprocess.run(["xdotool", *args], env=self.env, capture_output=True,
                                text=True, timeout=timeout, check=False)
        return result.stdout

    def focus(self, window: str | None = None) -> None:
        """Give the window (default: the one named Deepwire) the keyboard: without a window
        manager nothing does, at start or when a dialog closes."""
        if window is None:
            found = self.xdotool("search", "--onlyvisible", "--name", "Deepwire").split()
            window = found[0] if found else None
        if window is not None:
            self.xdotool("windowfocus", window)

    def move(self, x: int, y: int) -> None:
        self.xdotool("mousemove", str(x), str(y))
        time.sleep(0.1)

    def click(self, x: int, y: int, double: bool = False) -> None:
        self.move(x, y)
        if double:
            self.xdotool("click", "--repeat", "2", "--delay", "80", "1")
        else:
            self.xdotool("click", "1")
        time.sleep(0.2)

    def drag(self, start: list[int], end: list[int], steps: int = 12) -> None:
        """Press, move in steps, release: Qt's drag and drop needs the moves between."""
        (x1, y1), (x2, y2) = start, end
        self.move(x1, y1)
        self.xdotool("mousedown", "1")
        time.sleep(0.15)
        for i in range(1, steps + 1):
            self.xdotool("mousemove", str(x1 + (x2 - x1) * i // steps),
                         str(y1 + (y2 - y1) * i // steps))
            time.sleep(0.04)
        time.sleep(0.2)
        self.xdotool("mouseup", "1")
        time.sleep(0.3)

    def key(self, *keys: str) -> None:
        for key in keys:
            self.xdotool("key", "--clearmodifiers", key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "30", "--", text)
        time.sleep(0.2)

    def scroll(self, x: int, y: int, down: bool, clicks: int = 1) -> None:
        self.move(x, y)
        for _ in range(clicks):
            self.xdotool("click", "5" if down else "4")
            time.sleep(0.05)

    def shot(self, name: str) -> Path | None:
        """The whole display as ``NN-name.png`` (ImageMagick), or None without it."""
        if shutil.which("import") is None:
            return None
        self.count += 1
        path = self.shots / f"{self.count:02d}-{name}.png"
        time.sleep(SETTLE_S)  # the dashboard draws what came in at most 250 ms later
        subprocess.run(["import", "-window", "root", str(path)], env=self.env,
                       capture_output=True, timeout=30, check=False)
        return path if path.exists() else None


# --- the app ----------------------------------------------------------------------------------

class App:
    """Deepwire in a child process on the display, with the probe of first_use_driver."""

    def __init__(self, desktop: Desktop, home: Path, args: list[str], log: Path) -> None:
        self.desktop = desktop
        self.folder = Path(tempfile.mkdtemp(prefix="probe-", dir=home))
        self.number = 0
        env = {**child_env(), **desktop.env, "QT_QPA_PLATFORM": "xcb", "HOME": str(home)}
        for name, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                          ("XDG_CACHE_HOME", ".cache"), ("XDG_RUNTIME_DIR", "runtime")):
            (home / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
            env[name] = str(home / sub)
        self.log = open(log, "a", encoding="utf-8")  # noqa: SIM115 - closed by wait_exit
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.first_use_driver", str(self.folder),
             *args], cwd=REPO_ROOT, env=env, stdout=self.log, stderr=self.log)

    def ask(self, timeout: float = 10.0) -> dict[str, Any]:
        """A snapshot of the window, taken on the app's GUI thread."""
        self.number += 1
        answer = self.folder / "answer.json"
        (self.folder / "request.tmp").write_text(str(self.number))
        (self.folder / "request.tmp").replace(self.folder / "request")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StepFailed(f"the app exited with status {self.process.returncode}")
            try:
                data = json.loads(answer.read_text())
                if data.get("id") == self.number:
                    return data
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise StepFailed(f"the app did not answer within {timeout:.0f} s (busy GUI thread?)")

    def wait_for(self, what: str, test: Callable[[dict[str, Any]], Any],
                 timeout: float = STEP_TIMEOUT_S) -> dict[str, Any]:
        """Snapshots until ``test`` holds for one; that snapshot, else StepFailed."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                last = self.ask()
            except StepFailed:
                if self.process.poll() is not None:
                    raise
                continue
            if "error" not in last and last.get("window") and test(last):
                return last
            time.sleep(0.15)
        seen = {k: last.get(k) for k in ("window", "modal", "status", "report", "session",
                                         "error") if k in last}
        raise StepFailed(f"no {what} after {timeout:.0f} s; last seen {json.dumps(seen)}")

    def wait_exit(self, timeout: float = STEP_TIMEOUT_S) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self.log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


def wait_window(desktop: Desktop, timeout: float = START_TIMEOUT_S) -> None:
    """What a person waits for: a window named Deepwire on the display (xdotool --sync)."""
    try:
        found = desktop.xdotool("search", "--sync", "--onlyvisible", "--name", "Deepwire",
                                timeout=timeout).split()
    except subprocess.TimeoutExpired as err:
        raise StepFailed(f"no window named Deepwire after {timeout:.0f} s") from err
    if found:
        desktop.focus(found[0])


# --- the session ------------------------------------------------------------------------------

def node_of(snapshot: dict[str, Any], block: str) -> dict[str, Any]:
    return next(n for n in snapshot["nodes"] if n["block"] == block)


def blocks_on_canvas(snapshot: dict[str, Any]) -> list[str]:
    return sorted(n["block"] for n in snapshot["nodes"])


def links_by_block(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    kinds = {n["id"]: n["block"] for n in snapshot["nodes"]}
    return sorted((kinds[s], kinds[t]) for s, _, t, _ in snapshot["links"])


class Session:
    """The steps, in order; each returns a short note of what it saw."""

    def __init__(self, desktop: Desktop, home: Path, quick: bool) -> None:
        self.desktop = desktop
        self.home = home
        self.quick = quick
        self.app: App | None = None
        self.project = home / "projects" / "first.deepwire"
        self.project.parent.mkdir(parents=True, exist_ok=True)
        self.log = home / "app.log"
        self.saved: dict[str, Any] = {}
        self.measured: list[Row] = []  # informational rows a step adds after its own

    @property
    def running(self) -> App:
        if self.app is None:
            raise StepFailed("the app is not running")
        return self.app

    def start(self) -> str:
        self.app = App(self.desktop, self.home, [], self.log)
        wait_window(self.desktop)
        seen = self.running.wait_for("window shown", lambda s: s["window"]["rect"][2] > 0)
        seen = self.running.wait_for("TensorFlow loaded", lambda s: s["tensorflow_ready"],
                                     START_TIMEOUT_S)
        return f"window {seen['window']['title']!r} at {seen['window']['rect']}"

    def new_project(self) -> str:
        self.desktop.key("ctrl+n")
        seen = self.running.wait_for("empty project", lambda s: not s["nodes"])
        return f"title {seen['window']['title']!r}"

    def drag_block(self, title: str) -> str:
        app = self.running
        before = app.ask()
        entry = before["palette"].get(title)
        if entry is None:  # scrolled away: search for it, as a person would
            self.desktop.click(*before["palette_search"])
            self.desktop.key("ctrl+a")
            self.desktop.type(title)
            entry = app.wait_for(f"palette entry {title}",
                                 lambda s: s["palette"].get(title))["palette"][title]
        x, y, w, h = before["canvas"]
        column = BLOCKS.index(title)
        target = [x + w * (1 + 3 * column) // 10, y + h // 3]
        self.desktop.drag(entry, target, steps=16)
        count = len(before["nodes"]) + 1
        seen = app.wait_for(f"{title} on the canvas", lambda s: len(s["nodes"]) == count)
        if before["palette"].get(title) is None:
            self.desktop.click(*seen["palette_search"])
            self.desktop.key("ctrl+a", "BackSpace")
        added = [n for n in seen["nodes"] if n["id"] not in {m["id"] for m in before["nodes"]}]
        if added[0]["title"] != title:
            raise StepFailed(f"dropped {added[0]['title']!r}, not {title!r}")
        return f"{added[0]['id']} at {added[0]['rect'][:2]}"

    def wire(self, source: str, target: str) -> str:
        app = self.running
        before = app.ask()
        start = node_of(before, source)["ports"]["out:out"]
        end = node_of(before, target)["ports"]["in:in"]
        self.desktop.drag(start, end, steps=14)
        count = len(before["links"]) + 1
        seen = app.wait_for(f"wire {source}→{target}", lambda s: len(s["links"]) == count)
        return f"{source}→{target}; links {links_by_block(seen)}"

    def set_dataset(self) -> str:
        app = self.running
        seen = app.ask()
        x, y, w, h = seen["canvas"]
        self.desktop.click(x + w // 2, y + h - 40)  # empty canvas: the project's page
        seen = app.wait_for("project page", lambda s: s["inspector"]["page"] == "ProjectPage"
                            and s["inspector"]["combo"])
        self.desktop.click(*seen["inspector"]["combo"])
        seen = app.wait_for("dataset list", lambda s: s["inspector"]["combo_items"].get(DATASET))
        self.desktop.shot("dataset-list")
        self.desktop.click(*seen["inspector"]["combo_items"][DATASET])
        seen = app.wait_for("Digits chosen", lambda s: s["dataset"] == "digits")
        return f"dataset {seen['dataset']}; {len(seen['problems'])} problem row(s)"

    def set_epochs(self) -> str:
        app = self.running
        seen = app.ask()
        for _ in range(30):  # scroll the inspector until the field shows
            if seen["inspector"]["epochs"]:
                break
            sx, sy, _, sh = seen["inspector"]["scroll"]
            # over the labels' margin: a wheel over a combo box would change its value
            self.desktop.scroll(sx + 6, sy + sh // 2, down=True, clicks=3)
            seen = app.ask()
        if not seen["inspector"]["epochs"]:
            raise StepFailed("the epochs field never showed in the inspector")
        self.desktop.click(*seen["inspector"]["epochs"])
        self.desktop.key("ctrl+a")
        self.desktop.type(str(EPOCHS))
        self.desktop.key("Tab")
        app.wait_for(f"{EPOCHS} epochs", lambda s: s["epochs"] == EPOCHS)
        return f"epochs {EPOCHS}"

    def fix_problems(self) -> str:
        """Double-click the first problem that offers a fix, until the model is valid;
        scroll the Problems panel when its fixes are out of sight."""
        app = self.running

        def settled(s: dict[str, Any]) -> bool:
            return s["report"] is not None and (s["report"]["errors"] == 0 or any(
                p["fix"] for p in s["problems"]))

        applied = []
        for _ in range(12):
            # the dataset's description arrives after its preview loads: wait for a fix
            seen = app.wait_for("a valid model or a fix to apply", settled)
            fixes = [p for p in seen["problems"] if p["fix"]]
            if not fixes:  # warnings' fixes are taken too: a new user accepts them
                break
            shown = [p for p in fixes if p["centre"]]
            if not shown:
                x, y, w, h = seen["problems_rect"]
                self.desktop.scroll(x + w // 2, y + h // 2, down=True, clicks=2)
                continue
            report = seen["report"]
            self.desktop.click(*shown[0]["centre"], double=True)
            applied.append(shown[0]["fix"])
            app.wait_for(f"fix {shown[0]['fix']!r} applied",
                         lambda s, r=report: s["report"] is not None and s["report"] != r)
        seen = app.wait_for("a valid model", lambda s: s["report"] is not None
                            and s["report"]["errors"] == 0, timeout=10)
        return f"fixes applied: {applied or 'none'}; shapes {[n['shape'] for n in seen['nodes']]}"

    def train(self) -> str:
        app = self.running
        self.desktop.key("F5")
        kind, count = ("BatchEnd", 1) if self.quick else ("EpochEnd", 3)
        seen = app.wait_for("training progress", lambda s: s["session"]["running"]
                            and s["events"].get(kind, 0) >= count)
        header = seen["header"] or {}
        return f"tab {seen['tab']}; {seen['events']}; header {header}"

    def pause(self) -> str:
        app = self.running
        self.desktop.key("F6")
        seen = app.wait_for("paused", lambda s: s["session"]["paused"])
        time.sleep(1.0 if self.quick else 3.0)
        still = app.ask()
        went_on = [kind for kind in ("BatchEnd", "EpochEnd")
                   if still["events"].get(kind, 0) - seen["events"].get(kind, 0) > 1]
        if went_on:
            raise StepFailed(f"batches went on while paused: {seen['events']} -> "
                             f"{still['events']}")
        header = still["header"] or {}
        self.saved["paused_header"] = header
        return (f"toolbar says {still['pause_text']!r}; header status "
                f"{header.get('status')!r}; progress {header.get('run')!r}")

    def resume(self) -> str:
        app = self.running
        before = app.ask()["events"].get("BatchEnd", 0)
        self.desktop.key("F6")
        seen = app.wait_for("training again", lambda s: not s["session"]["paused"]
                            and s["events"].get("BatchEnd", 0) > before + 1)
        return f"toolbar says {seen['pause_text']!r}"

    def stop(self) -> str:
        app = self.running
        self.desktop.key("shift+F5")
        seen = app.wait_for("run stopped", lambda s: not s["session"]["running"])
        header = seen["header"] or {}
        return f"header status {header.get('status')!r}; {seen['events']}"

    def save(self) -> str:
        app = self.running
        self.desktop.key("ctrl+s")
        app.wait_for("save dialog", lambda s: s["file_dialog"])
        self.desktop.key("ctrl+a")
        self.desktop.type(str(self.project))
        self.desktop.shot("save-dialog")
        self.desktop.key("Return")
        seen = app.wait_for("saved file", lambda s: s["path"] and not s["dirty"])
        self.desktop.focus()  # the dialog had the keyboard
        if Path(seen["path"]) != self.project or not self.project.exists():
            raise StepFailed(f"saved to {seen['path']}, not {self.project}")
        self.saved.update(blocks=blocks_on_canvas(seen), links=links_by_block(seen))
        return f"{self.project} ({self.project.stat().st_size} bytes); title " \
               f"{seen['window']['title']!r}"

    def quit(self) -> str:
        self.desktop.key("ctrl+q")
        code = self.running.wait_exit()
        self.app = None
        if code != 0:
            raise StepFailed(f"exit status {code}")
        return "exit status 0"

    def reopen(self) -> str:
        """Start again (the example opens), then File ▸ Open Recent ▸ the saved file."""
        began = time.perf_counter()
        self.app = App(self.desktop, self.home, [], self.log)
        wait_window(self.desktop)
        self.running.wait_for("example open", lambda s: s["nodes"] and not s["dirty"],
                              START_TIMEOUT_S)
        self.desktop.key("alt+f")
        self.running.wait_for("the File menu", lambda s: "Open Recent" in s["menu"])
        self.desktop.key("r")
        self.running.wait_for("the recent files", lambda s: str(self.project) in s["menu"])
        self.desktop.key("Return")
        seen = self.running.wait_for("the saved project", lambda s: s["path"] == str(
            self.project) and not any(n["pending"] for n in s["nodes"]), START_TIMEOUT_S)
        took = time.perf_counter() - began
        self.measured.append(Row(
            NAME, "process start to the reopened project's shapes shown (Open Recent by "
            "keyboard included)", took, None, "s", None, "info", None,
            f"TensorFlow ready: {seen['tensorflow_ready']}"))
        self.desktop.shot("reopened-shapes-shown")
        loaded = self.running.wait_for("TensorFlow loaded", lambda s: s["tensorflow_ready"]
                                       and not s["popup"], START_TIMEOUT_S)
        time.sleep(0.5)  # the canvas fits the view once the event loop runs again
        if (blocks_on_canvas(seen), links_by_block(seen)) != (self.saved["blocks"],
                                                             self.saved["links"]):
            raise StepFailed(f"reopened {blocks_on_canvas(seen)} {links_by_block(seen)}, "
                             f"saved {self.saved['blocks']} {self.saved['links']}")
        return (f"{seen['window']['title']!r}: {links_by_block(seen)}, shapes "
                f"{[n['shape'] for n in seen['nodes']]} {took:.1f} s after the start, "
                f"TensorFlow ready {time.perf_counter() - began:.1f} s after; report "
                f"{loaded['report']}")

    def close(self) -> None:
        if self.app is not None:
            self.app.kill()
            self.app = None


def steps(session: Session) -> list[tuple[str, str, Callable[[], str]]]:
    """(case, screenshot name, step) in the order a new user goes."""
    plan: list[tuple[str, str, Callable[[], str]]] = [
        ("start the app, window shown and TensorFlow loaded", "start", session.start),
        ("File ▸ New (Ctrl+N)", "new", session.new_project),
    ]
    for title in BLOCKS:
        plan.append((f"drag {title} from the palette onto the canvas", f"drag-{title.lower()}",
                     lambda t=title: session.drag_block(t)))
    for source, target in (("input", "dense"), ("dense", "output")):
        plan.append((f"wire {source.title()} → {target.title()} port to port",
                     f"wire-{source}-{target}", lambda s=source, t=target: session.wire(s, t)))
    plan += [
        ("choose the Digits dataset in the inspector", "dataset", session.set_dataset),
        (f"type {EPOCHS} epochs in the inspector", "epochs", session.set_epochs),
        ("double-click the Problems panel's fixes until valid", "valid", session.fix_problems),
        ("Train (F5) until progress shows", "training", session.train),
        ("Pause (F6): no batches while paused", "paused", session.pause),
        ("Resume (F6)", "resumed", session.resume),
        ("Stop (Shift+F5)", "stopped", session.stop),
        ("Save (Ctrl+S) through the save dialog", "saved", session.save),
        ("Quit (Ctrl+Q), exit status 0", "quit", session.quit),
        ("start again, File ▸ Open Recent: same blocks and wires with shapes", "reopened",
         session.reopen),
    ]
    return plan


@benchmark(NAME)
def first_use(settings: Settings) -> Iterator[Row]:
    """Each step is a row: pass if it did what the user meant, with its seconds."""
    missing = missing_tools()
    if missing:
        yield Row(NAME, f"no real X session here ({', '.join(missing)} not installed)", None,
                  None, "", None, "-", None)
        return
    home = Path(tempfile.mkdtemp(prefix="deepwire-first-use-"))
    shots = home / "shots"
    shots.mkdir()
    with private_display() as display:
        desktop = Desktop(display, shots)
        session = Session(desktop, home, settings.quick)
        try:
            for number, (case, shot, step) in enumerate(steps(session)):
                began = time.perf_counter()
                try:
                    note = step()
                    ok = True
                except (StepFailed, StopIteration, KeyError, subprocess.TimeoutExpired) as err:
                    note, ok = f"{type(err).__name__}: {err} (app log {session.log})", False
                seconds = time.perf_counter() - began
                picture = desktop.shot(shot)
                where = f"screenshots in {shots}; " if number == 0 else ""
                note = f"{where}{note}" + (f" [{picture.name}]" if picture else "")
                yield Row(NAME, case, seconds, None, "s", None, "works", ok, note)
                yield from session.measured
                session.measured.clear()
                if not ok:
                    yield Row(NAME, "remaining steps not run", None, None, "", None, "-", None,
                              f"after the failed step: {case}")
                    return
        finally:
            session.close()
