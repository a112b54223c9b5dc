"""Test-only: Deepwire as ``python -m app`` starts it, plus a probe that says where things are.

The first-use benchmark (bench_first_use.py) drives the window with real X input events
from outside the process; it cannot see inside it. This module runs the app's own entry
point and, inside that process, answers requests for a *snapshot*: the global screen
coordinates of the widgets the script needs (palette entries, blocks and their ports,
problems, the dataset combo and its popup, the epochs field) and what the window shows
(title, file, validity, training state, the dashboard's status). It never clicks, types or
calls a command: every input still comes from xdotool. The app never imports it.

    python -m tests.benchmarks.first_use_driver FOLDER [APP ARGS...]

Requests are files: the script writes ``FOLDER/request`` (a number); on the GUI thread a
timer polls for it, writes ``FOLDER/answer.json`` (renamed into place, so never read half
written) with that number as ``id``, and deletes the request.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

POLL_MS = 40


class Probe:
    """Answers snapshot requests on the GUI thread; counts the training session's events."""

    def __init__(self, folder: Path, qt_app: Any) -> None:
        from PySide6.QtCore import QTimer

        self.folder = folder
        self.events: Counter[str] = Counter()
        self.last_event = ""
        self._watched = None
        self.timer = QTimer(qt_app, interval=POLL_MS)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        request = self.folder / "request"
        try:
            number = int(request.read_text() or "0")
        except (OSError, ValueError):
            return
        try:
            answer = {"id": number, **self.snapshot()}
        except Exception as err:  # a half-built window: say so, the script asks again
            answer = {"id": number, "error": f"{type(err).__name__}: {err}"}
        partial = self.folder / "answer.tmp"
        partial.write_text(json.dumps(answer))
        partial.replace(self.folder / "answer.json")
        request.unlink(missing_ok=True)

    def _on_event(self, event: object) -> None:
        self.events[type(event).__name__] += 1
        self.last_event = type(event).__name__

    def snapshot(self) -> dict[str, Any]:
        from PySide6.QtWidgets import QApplication, QFileDialog

        from app.main_window import MainWindow

        qt_app = QApplication.instance()
        windows = [w for w in qt_app.topLevelWidgets() if isinstance(w, MainWindow)]
        modal = qt_app.activeModalWidget()
        dialogs = [w for w in qt_app.topLevelWidgets()
                   if isinstance(w, QFileDialog) and w.isVisible()]
        found: dict[str, Any] = {
            "modal": modal.windowTitle() if modal is not None else None,
            "file_dialog": dialogs[0].windowTitle() if dialogs else None,
            "popup": qt_app.activePopupWidget() is not None,
            "menu": _menu(qt_app.activePopupWidget()),
        }
        if not windows or not windows[0].isVisible():
            return {**found, "window": None}
        window = windows[0]
        if self._watched is not window:
            window.session.event.connect(self._on_event)
            self._watched = window
        return {**found, **self._window(window)}

    def _window(self, window: Any) -> dict[str, Any]:
        editor = window.editor
        report = editor.report
        geometry = window.frameGeometry()
        header = window.dashboard.header if window.dashboard is not None else None
        return {
            "window": {"title": window.windowTitle(), "active": window.isActiveWindow(),
                       "rect": [geometry.x(), geometry.y(), geometry.width(),
                                geometry.height()]},
            "tensorflow_ready": editor.tensorflow_ready,
            "path": str(editor.path) if editor.path else None,
            "dirty": editor.dirty,
            "tab": window.central_tabs.tabText(window.central_tabs.currentIndex()),
            "status": window.statusBar().currentMessage(),
            "report": None if report is None else {
                "errors": len(report.errors),
                "issues": [i.message for i in report.issues]},
            "dataset": editor.project.dataset.get("name"),
            "epochs": editor.project.training.epochs,
            "palette": _palette(window.palette),
            "palette_search": _centre(window.palette.search),
            "canvas": _rect(window.view.viewport()),
            "nodes": _nodes(window),
            "links": sorted([link.source, link.source_port, link.target, link.target_port]
                            for link in editor.project.links),
            "problems": _problems(window.problems),
            "problems_rect": _rect(window.problems.viewport()),
            "inspector": _inspector(window),
            "session": {"running": window.session.running, "paused": window.session.paused},
            "events": dict(self.events),
            "pause_text": window.pause_action.text().replace("&", ""),
            "header": None if header is None else {
                "status": header.status_label.text(), "run": header.run_bar.text(),
                "epoch": header.epoch_bar.text()},
        }


# --- where things are, in global screen coordinates -----------------------------------------

def _point(widget: Any, local: Any) -> list[int]:
    spot = widget.mapToGlobal(local)
    return [spot.x(), spot.y()]


def _centre(widget: Any) -> list[int] | None:
    """The middle of ``widget`` on screen, or None while it is not shown."""
    return _point(widget, widget.rect().center()) if widget.isVisible() else None


def _rect(widget: Any) -> list[int] | None:
    if not widget.isVisible():
        return None
    corner = widget.mapToGlobal(widget.rect().topLeft())
    return [corner.x(), corner.y(), widget.width(), widget.height()]


def _in_view(view: Any, rect: Any) -> list[int] | None:
    """The centre of an item's ``rect`` (viewport coordinates) if the viewport shows it."""
    viewport = view.viewport()
    if not view.isVisible() or rect.isEmpty() or not viewport.rect().contains(rect.center()):
        return None
    return _point(viewport, rect.center())


def _menu(popup: Any) -> list[str]:
    """The entries of the menu open on top (a submenu, when one is open), as shown."""
    from PySide6.QtWidgets import QMenu

    if not isinstance(popup, QMenu):
        return []
    return [action.text().replace("&", "") for action in popup.actions()
            if not action.isSeparator()]


def _palette(palette: Any) -> dict[str, list[int] | None]:
    from app.palette import BLOCK_ID_ROLE

    tree = palette.tree
    entries = {}
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            item = group.child(j)
            if item.data(0, BLOCK_ID_ROLE) and not item.isHidden() and not group.isHidden():
                entries[item.text(0)] = _in_view(tree, tree.visualItemRect(item))
    return entries


def _nodes(window: Any) -> list[dict[str, Any]]:
    from PySide6.QtCore import QPointF

    from app.canvas.style import PENDING

    view = window.view
    viewport = view.viewport()

    def screen(scene_point: Any) -> list[int]:
        return _point(viewport, view.mapFromScene(scene_point))

    nodes = []
    for item in window.scene.node_items():
        top_left = screen(item.pos())
        bottom_right = screen(item.pos() + QPointF(item.width, item.height))
        ports = {("out:" if port.is_output else "in:") + port.name:
                 screen(item.port_scene_pos(port.name, port.is_output))
                 for port in item.ports()}
        nodes.append({"id": item.node_id, "block": item.node.block,
                      "title": item.node.title or item.node.spec.title,
                      "rect": [*top_left, bottom_right[0] - top_left[0],
                               bottom_right[1] - top_left[1]],
                      "shape": item.shape_text, "pending": PENDING in item.shape_text,
                      "ports": ports})
    return sorted(nodes, key=lambda n: n["id"])


def _problems(panel: Any) -> list[dict[str, Any]]:
    from app.panels import ISSUE_ROLE

    rows = []
    for i in range(panel.count()):
        item = panel.item(i)
        issue = item.data(ISSUE_ROLE)
        rows.append({"text": item.text(), "fix": issue.fix.title if issue and issue.fix else None,
                     "centre": _in_view(panel, panel.visualItemRect(item))})
    return rows


def _inspector(window: Any) -> dict[str, Any]:
    """The project page's dataset combo (and its open popup's entries) and epochs field;
    a field counts as shown only where the inspector's scroll area shows it."""
    inspector = window.inspector
    page = inspector.project_page
    combo = page.dataset.choice
    scroll = inspector.scroll.viewport()

    def shown(widget: Any) -> list[int] | None:
        centre = _centre(widget) if inspector.page is page else None
        if centre is None:
            return None
        local = scroll.mapFromGlobal(widget.mapToGlobal(widget.rect().center()))
        inside = scroll.rect().adjusted(0, 4, 0, -4).contains(local)
        return centre if inside else None

    popup = combo.view()
    items = {}
    if popup.isVisible():
        for row in range(combo.count()):
            items[combo.itemText(row)] = _in_view(popup, popup.visualRect(
                combo.model().index(row, 0)))
    return {"page": type(inspector.page).__name__, "combo": shown(combo),
            "combo_text": combo.currentText(), "combo_items": items,
            "epochs": shown(page.training["epochs"].input),
            "scroll": _rect(scroll)}


def main(argv: list[str]) -> int:
    """Start the app as ``python -m app ARGS`` would, with the probe installed as soon as
    the QApplication exists."""
    import app.application as application
    from app.__main__ import main as app_main

    folder = Path(argv[0])
    create = application.create_application
    probes = []

    def create_with_probe(args: Any) -> Any:
        qt_app = create(args)
        probes.append(Probe(folder, qt_app))
        return qt_app

    application.create_application = create_with_probe
    return app_main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
