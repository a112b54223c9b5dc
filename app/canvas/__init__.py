"""The canvas: a QGraphicsScene that mirrors the editor's document, and its view."""

from app.canvas.scene import CanvasScene
from app.canvas.view import BLOCK_MIME_TYPE, CanvasView, fragment_mime

__all__ = ["BLOCK_MIME_TYPE", "CanvasScene", "CanvasView", "fragment_mime"]
