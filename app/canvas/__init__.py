"""The canvas: a QGraphicsScene that mirrors the editor's document, and its view."""

from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView, fragment_mime

__all__ = ["CanvasScene", "CanvasView", "fragment_mime"]
