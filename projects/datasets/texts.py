"""Text datasets: a CSV/TSV table with a text and a label column, or a folder with one
sub-folder of ``.txt`` files per class (docs/architecture.md, Datasets).

Samples are Python strings in numpy object arrays, one per sample, so a model fed through a
Text Vectorization block takes them raw; labels are whole-number classes. The overview
(:func:`text_overview`) shows a few texts as the block's default standardisation splits
them, the class counts and the length percentiles in tokens, to help choose a sequence
length.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from projects.datasets.arrays import class_folders
from projects.datasets.dataset import Dataset, as_list
from projects.datasets.loading import Context, Raw
from projects.datasets.registry import DatasetError
from projects.datasets.tables import Table, check_decodes, split_part, table_labels
from projects.text import count_text

# Keras's TextVectorization default ("lower_and_strip_punctuation") removes these
# characters before it splits on whitespace; the overview counts tokens the same way.
STRIP_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
PERCENTILES = (50, 90, 95, 99)
OVERVIEW_TEXTS = 3
_SHOWN_CHARACTERS = 60


def tokens(text: str) -> list[str]:
    """``text`` split as a Text Vectorization block does by default: lower case,
    punctuation stripped, split on whitespace."""
    return STRIP_PUNCTUATION.sub("", text.lower()).split()


def _encoding(context: Context) -> str | None:
    """The declared encoding, checked; None means UTF-8."""
    name = context.text("encoding")
    if name is None or not name.strip():
        return None
    try:
        codecs.lookup(name.strip())
    except LookupError:
        raise DatasetError(f"{context.name}: unknown encoding {name!r}; use utf-8, latin-1, "
                           "cp1252 or another Python codec name", field="encoding") from None
    return name.strip()


def _single_class(y: np.ndarray, names: list[str], where: str, field: str) -> None:
    present = np.unique(y)
    if len(present) < 2:
        only = names[int(present[0])] if len(present) else "?"
        raise DatasetError(f"{where}: every sample has the label {only!r}; classification "
                           "needs at least two classes", field=field)


def load_text_table(context: Context) -> Raw:
    """A CSV/TSV table: ``text_column`` holds the texts, ``label_column`` the classes, and
    an optional ``split`` column (as for tables) fixes each row's part."""
    path = context.path("path")
    display = context.display("path")
    table = Table(path, display, "path", context.text("delimiter"), _encoding(context),
                  encoding_field="encoding")
    text = table.column(context.text("text_column") or "text", "text column",
                        field="text_column")
    label_name = context.text("label_column") or "label"
    label = table.column(label_name, "label column", field="label_column")
    if label == text:
        raise DatasetError(f"{display}: the text and the label cannot be the same column",
                           field="label_column")
    split_name = context.text("split_column", "split")
    split = table.column(split_name) if split_name in table.header else None
    table.parse((), [text, label, *([split] if split is not None else [])], prose=[text])
    texts = table.texts(text)
    empty = np.flatnonzero(texts == "")
    if empty.size:
        raise table.error(f"{table.where(int(empty[0]), text)}: the text is empty")
    y, num_classes, names = table_labels(table, label, context)
    if num_classes is None:
        raise DatasetError(f"{display}: the labels in column {label_name!r} are numbers, "
                           "not classes; text datasets are for classification",
                           field="label_column")
    _single_class(y, names, f"{display}, column {label_name!r}", "label_column")
    parts = None
    if split is not None:
        parts = np.array([split_part(table, i, split) or "" for i in range(table.num_rows)],
                         dtype=object)
    return Raw(texts, y, num_classes, names, split=parts)


def load_text_folder(context: Context) -> Raw:
    """A folder with one sub-folder of ``.txt`` files per class; the sub-folder names the
    class and each file is one sample."""
    root, display, classes = class_folders(context, ".txt files", "a text folder dataset")
    encoding = _encoding(context)
    if len(classes) < 2:
        raise DatasetError(f"{display} has one sub-folder ({classes[0]}); classification "
                           "needs at least two classes", field="path")
    texts: list[str] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir()
                       if p.suffix.lower() == ".txt" and not p.name.startswith("."))
        if not files:
            raise DatasetError(f"{display}/{name} holds no .txt files", field="path")
        for file in files:
            where = f"{display}/{name}/{file.name}"
            content = check_decodes(file.read_bytes(), where, encoding or "utf-8-sig",
                                    encoding, "path", "encoding").strip()
            if not content:
                raise DatasetError(f"{where}: the text is empty", field="path")
            texts.append(content)
            labels.append(label)
    return Raw(np.array(texts, dtype=object), np.array(labels, dtype=np.int32), len(classes),
               classes)


# ----------------------------------------------------------------------------- overview


def length_percentiles(texts: Sequence[str]) -> dict[int, int]:
    """Percentile (50, 90, 95, 99, and 100: the longest) -> the length in tokens (per
    :func:`tokens`) that that share of the texts does not exceed."""
    lengths = np.array([len(tokens(t)) for t in texts]) if len(texts) else np.zeros(1)
    return {p: int(np.ceil(np.percentile(lengths, p))) for p in (*PERCENTILES, 100)}


def text_overview(data: Dataset) -> list[str]:
    """Lines that show a text dataset: a few texts with their tokens and class, the class
    counts, and the length percentiles in tokens (to choose a sequence length)."""
    x = as_list(data.x_train)[0]
    names = data.class_names or []
    lines = []
    for text, label in zip(x[:OVERVIEW_TEXTS], data.y_train[:OVERVIEW_TEXTS], strict=False):
        shown = text if len(text) <= _SHOWN_CHARACTERS else text[:_SHOWN_CHARACTERS] + "…"
        words = tokens(text)
        token_text = " · ".join(words[:8]) + (" …" if len(words) > 8 else "")
        name = names[int(label)] if 0 <= int(label) < len(names) else str(int(label))
        lines.append(f"“{shown}” → {name}\n    tokens: {token_text}")
    counts: Counter[int] = Counter()
    every: list[str] = []
    for xs, y in ((data.x_train, data.y_train), (data.x_val, data.y_val),
                  (data.x_test, data.y_test)):
        if xs is not None and y is not None:
            counts.update(np.asarray(y).tolist())
            every.extend(as_list(xs)[0].tolist())
    classes = " · ".join(f"{name} {count_text(counts[i])}" for i, name in enumerate(names))
    lines.append(f"Classes: {classes}")
    percentiles = length_percentiles(every)
    longest = percentiles.pop(100)
    lines.append("Length in tokens: " + " · ".join(
        f"{p}% ≤ {count_text(n)}" for p, n in percentiles.items())
        + f" · longest {count_text(longest)}")
    return lines

