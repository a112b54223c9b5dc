"""A searchable popup of blocks at the mouse: "Add block…" on the canvas and "Insert
block…" on a wire. It is the palette itself (same search and ranking), in a popup."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from app.palette import BlockPalette
from blocks.spec import BlockSpec


class BlockPicker(QFrame):
    """Type to search, then Enter (the best match) or a double-click picks a block;
    Escape or a click elsewhere closes it."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None,
                 allowed: Callable[[BlockSpec], bool] | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.palette = BlockPalette()
        if allowed is not None:
            self.palette.restrict(allowed)
        self.palette.blockActivated.connect(self._pick)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.palette)
        self.resize(300, 380)

    def popup(self, at: QPoint) -> None:
        """Show with its top-left at ``at`` (screen), inside the screen."""
        screen = self.screen().availableGeometry() if self.screen() else None
        x, y = at.x(), at.y()
        if screen is not None:
            x = min(x, screen.right() - self.width())
            y = min(y, screen.bottom() - self.height())
        self.move(max(x, 0), max(y, 0))
        self.show()
        self.palette.search.setFocus()

    def _pick(self, block_id: str) -> None:
        self.close()
        self.picked.emit(block_id)
