"""Export: a project as a standalone Python script, or as a ``.keras`` file."""

from projects.export.keras_file import ExportError, export_keras, load_keras
from projects.export.script import export_python

__all__ = ["ExportError", "export_keras", "export_python", "load_keras"]
