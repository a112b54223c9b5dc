"""The bar above the canvas that says which group is open: "Project › Transformer ›
Encoder". Every entry but the last goes back out to its level.

It sits in a margin the view keeps free at its top (so it never covers a block) and shows
only while a group is open.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.canvas.levels import LevelNavigator

HEIGHT = 30
ROOT = "Project"
SEPARATOR = "›"


class Breadcrumb(QWidget):
    """The trail of open groups, as buttons (``buttons``: the entries that go back)."""

    def __init__(self, navigator: LevelNavigator, parent: QWidget) -> None:
        super().__init__(parent)
        self.navigator = navigator
        self.setObjectName("breadcrumb")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#breadcrumb { background: #eef2f7; border-bottom: 1px solid "
                           "#d5dbe3; } QToolButton { border: none; padding: 2px 6px; "
                           "color: #2563eb; } QToolButton:hover { background: #dbe4f0; "
                           "border-radius: 4px; } QLabel { color: #64748b; }")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 0, 8, 0)
        self._layout.setSpacing(2)
        self.buttons: list[QToolButton] = []
        self.current: QLabel | None = None
        navigator.levelChanged.connect(self.refresh)
        parent.installEventFilter(self)
        self.refresh()

    def entries(self) -> list[str]:
        """The texts shown, outermost first."""
        project = self.navigator.scene.editor.project
        groups = project.groups
        return [ROOT, *(groups[g].title for g in self.navigator.trail() if g in groups)]

    def refresh(self, *_args) -> None:
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.buttons, self.current = [], None
        trail = [None, *self.navigator.trail()]
        texts = self.entries()
        for index, (level, text) in enumerate(zip(trail, texts, strict=False)):
            if index:
                self._layout.addWidget(QLabel(SEPARATOR))
            if index == len(texts) - 1:
                self.current = QLabel(f"<b>{text}</b>")
                self.current.setStyleSheet("color: #1e293b; padding: 2px 6px;")
                self._layout.addWidget(self.current)
                continue
            button = QToolButton(text=text)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip(f"Back to {text}")
            button.clicked.connect(lambda _=False, lv=level: self.navigator.go(lv))
            self._layout.addWidget(button)
            self.buttons.append(button)
        hint = QLabel("Esc: leave the group")
        self._layout.addStretch(1)
        self._layout.addWidget(hint)
        inside = self.navigator.level is not None
        view = self.parentWidget()
        view.setViewportMargins(0, HEIGHT if inside else 0, 0, 0)
        self.setVisible(inside)
        self._fit()

    def _fit(self) -> None:
        self.setGeometry(0, 0, self.parentWidget().width(), HEIGHT)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False
