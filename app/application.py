"""Creating the QApplication and showing the main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def run(argv: Sequence[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    qt_app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    qt_app.setApplicationName("Deepwire")
    qt_app.setOrganizationName("Deepwire")
    window = MainWindow()
    window.show()
    return qt_app.exec()
