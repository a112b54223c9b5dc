"""The main window's block catalog, driven as a user would: typing and clicking."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import Qt

import blocks
from app.main_window import MainWindow


def test_catalog_lists_every_block_by_category(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    assert sorted(window.catalog.visible_block_ids()) == sorted(s.id for s in blocks.all_specs())
    tree = window.catalog.tree
    categories = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert categories[0] == "Input/Output"
    assert {"Attention", "Graph", "GAN"} <= set(categories)


def test_search_filters_as_you_type(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.keyClicks(window.catalog.search, "attention")
    shown = set(window.catalog.visible_block_ids())
    assert {"simple_attention", "multi_head_attention"} <= shown
    assert "dense" not in shown and "conv2d" not in shown
    window.catalog.search.clear()
    qtbot.keyClicks(window.catalog.search, "multi-head")
    assert window.catalog.visible_block_ids() == ["multi_head_attention"]
    window.catalog.search.clear()
    qtbot.keyClicks(window.catalog.search, "graph conv")
    assert set(window.catalog.visible_block_ids()) == {"graph_convolution", "graph_input"}
    qtbot.keyClicks(window.catalog.search, "zzz")
    assert window.catalog.visible_block_ids() == []


def test_clicking_a_block_shows_its_page(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    tree = window.catalog.tree
    target = next(
        tree.topLevelItem(i).child(j)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
        if tree.topLevelItem(i).child(j).text(0) == "Multi-Head Attention"
    )
    tree.scrollToItem(target)
    rect = tree.visualItemRect(target)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    text = window.page.toPlainText()
    assert "Multi-Head Attention" in text
    assert "num_heads" in text and "must divide d_model" in text


def test_window_opens_without_tensorflow() -> None:
    """A fresh process shows the window with TensorFlow still unloaded (DESIGN.md §7)."""
    code = (
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]); "
        "from app.main_window import MainWindow; w = MainWindow(); w.show(); "
        "app.processEvents(); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
