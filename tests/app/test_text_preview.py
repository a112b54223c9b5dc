"""The dataset preview of a text dataset: texts and their tokens, classes, lengths."""

from __future__ import annotations

from pathlib import Path

from app.dataset_panel import make_preview
from projects.datasets import load_dataset


def test_text_table_preview(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("text,label\nHello, World!,a\nbye now,b\nok,a\n"
                                    .replace("Hello, World!", '"Hello, World!"'))
    data = load_dataset({"name": "text_table", "path": "t.csv", "validation_split": 0.0},
                        base_dir=tmp_path, task_kind="supervised")
    preview = make_preview(data)
    assert preview.shapes == "Input: text, one per sample"
    assert not preview.images
    text = "\n".join(preview.rows)
    assert "“Hello, World!” → a\n    tokens: hello · world" in text
    assert "Classes: a 2 · b 1" in text
    assert "Length in tokens: 50% ≤ 2 · 90% ≤ 2 · 95% ≤ 2 · 99% ≤ 2 · longest 2" in text
