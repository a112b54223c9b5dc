"""Deepwire's main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox

import blocks
from app.catalog_view import BlockCatalog, BlockPage
from app.icons import icon


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Deepwire")
        self.setWindowIcon(icon("deepwire"))
        self.resize(1200, 760)
        self.catalog = BlockCatalog()
        dock = QDockWidget("Blocks", self, objectName="blocksDock")
        dock.setWidget(self.catalog)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [300], Qt.Orientation.Horizontal)
        self.page = BlockPage()
        self.setCentralWidget(self.page)
        self.catalog.blockSelected.connect(self.page.show_block)
        self._menus()
        self.statusBar().showMessage(f"{len(blocks.all_specs())} block types")
        first = self.catalog.tree.topLevelItem(0).child(0)
        self.catalog.tree.setCurrentItem(first)

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Deepwire", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Deepwire",
            "<h3>Deepwire</h3><p>Build, train and understand deep-learning models "
            "without writing code.</p>",
        )
