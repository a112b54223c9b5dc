"""Text datasets: a table of texts and labels, a folder of .txt files per class, their
encodings, refusals that name file, row and column, and the overview."""

from __future__ import annotations

from pathlib import Path

import pytest

from projects.datasets import DatasetError, check_fits, load_dataset, registry
from projects.datasets.description import describe_loaded
from projects.datasets.texts import length_percentiles, text_overview, tokens

MESSAGES = ["Win a FREE prize now!", "see you at lunch", "Cheap pills, click here",
            "meeting moved to 3pm", "you won a prize", "call me when you land"]
KINDS = ["spam", "ham", "spam", "ham", "spam", "ham"]


def _table(tmp_path: Path, text: str | bytes, name: str = "texts.csv", **spec) -> object:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_dataset({"name": "text_table", "path": name, **spec}, base_dir=tmp_path,
                        task_kind="supervised")


def _messages_csv(rows: list[tuple[str, str]] | None = None) -> str:
    rows = rows or list(zip(MESSAGES, KINDS, strict=True))
    return "text,label\n" + "".join(f'"{t}",{k}\n' for t, k in rows)


def test_text_table_gives_strings_and_classes(tmp_path: Path) -> None:
    data = _table(tmp_path, _messages_csv(), validation_split=0.5)
    assert data.x_train.dtype == object and isinstance(data.x_train[0], str)
    assert data.class_names == ["ham", "spam"] and data.num_classes == 2
    assert data.num_train == 3 and data.num_val == 3
    together = sorted([*data.x_train.tolist(), *data.x_val.tolist()])
    assert together == sorted(MESSAGES)
    for x, y in zip(data.x_train, data.y_train, strict=True):
        assert KINDS[MESSAGES.index(x)] == data.class_names[y]
    assert data.input_shapes() == [()]
    assert "samples of text, 2 classes" in data.description
    assert describe_loaded(data).texts


def test_text_table_named_columns_tsv_and_split_column(tmp_path: Path) -> None:
    rows = "".join(f"{k}\t{t}\t{s}\n" for t, k, s in
                   zip(MESSAGES, KINDS, ["train", "train", "validation", "test", "", ""],
                       strict=True))
    data = _table(tmp_path, "kind\tmessage\tsplit\n" + rows, "texts.tsv",
                  text_column="message", label_column="kind", validation_split=0.0)
    assert data.x_val.tolist() == [MESSAGES[2]]
    assert data.x_test.tolist() == [MESSAGES[3]]
    assert sorted(data.x_train.tolist()) == sorted([MESSAGES[i] for i in (0, 1, 4, 5)])


def test_latin1_needs_its_declared_encoding(tmp_path: Path) -> None:
    text = "text,label\ncafé crème,a\nnaïve idea,b\n"
    with pytest.raises(DatasetError) as error:
        _table(tmp_path, text.encode("latin-1"))
    message = str(error.value)
    assert "texts.csv, row 2, byte 0xe9 at offset 14" in message
    assert "encoding" in message and "latin-1" in message
    assert error.value.field == "encoding"
    data = _table(tmp_path, text.encode("latin-1"), encoding="latin-1", validation_split=0.0)
    assert sorted(data.x_train.tolist()) == ["café crème", "naïve idea"]
    with pytest.raises(DatasetError, match="unknown encoding 'klingon'") as error:
        _table(tmp_path, text, encoding="klingon")
    assert error.value.field == "encoding"


@pytest.mark.parametrize(("content", "match", "field"), [
    ('text,label\n"hello there",a\n"",b\n', r"texts.csv, row 3, column 'text' \(A\): "
                                            "the text is empty", "path"),
    ("text,label\nhello,a\nbye,\n", r"row 3, column 'label' \(B\): the label is missing",
     "path"),
    ("text,label\nhello,a\nbye,a\n", "every sample has the label 'a'", "label_column"),
    ("text,label\nhello,0.5\nbye,1.5\n", "numbers, not classes", "label_column"),
    ("message,label\nhello,a\n", "has no text column 'text'", "text_column"),
])
def test_text_table_refusals_name_the_place(tmp_path: Path, content: str, match: str,
                                            field: str) -> None:
    with pytest.raises(DatasetError, match=match) as error:
        _table(tmp_path, content)
    assert error.value.field == field


def test_text_folder(tmp_path: Path) -> None:
    for i, (text, kind) in enumerate(zip(MESSAGES, KINDS, strict=True)):
        (tmp_path / "corpus" / kind).mkdir(parents=True, exist_ok=True)
        (tmp_path / "corpus" / kind / f"{i}.txt").write_text(f"{text}\n", encoding="utf-8")
    (tmp_path / "corpus" / "ham" / "notes.md").write_text("not a sample")
    data = load_dataset({"name": "text_folder", "path": "corpus", "validation_split": 0.0},
                        base_dir=tmp_path, task_kind="supervised")
    assert data.class_names == ["ham", "spam"]
    assert sorted(data.x_train.tolist()) == sorted(MESSAGES)
    (tmp_path / "corpus" / "ham" / "9.txt").write_bytes("déjà vu".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"corpus/ham/9.txt, row 1, byte 0xe9 at offset 1"
                       ) as error:
        load_dataset({"name": "text_folder", "path": "corpus"}, base_dir=tmp_path)
    assert error.value.field == "encoding"
    data = load_dataset({"name": "text_folder", "path": "corpus", "encoding": "latin-1"},
                        base_dir=tmp_path)
    assert "déjà vu" in [*data.x_train.tolist(), *data.x_val.tolist()]
    (tmp_path / "corpus" / "ham" / "9.txt").write_text("  \n")
    with pytest.raises(DatasetError, match=r"corpus/ham/9\.txt: the text is empty"):
        load_dataset({"name": "text_folder", "path": "corpus"}, base_dir=tmp_path)


def test_text_folder_needs_two_classes(tmp_path: Path) -> None:
    (tmp_path / "one" / "only").mkdir(parents=True)
    (tmp_path / "one" / "only" / "a.txt").write_text("hello")
    with pytest.raises(DatasetError, match="one sub-folder \\(only\\); classification needs "
                                           "at least two classes"):
        load_dataset({"name": "text_folder", "path": "one"}, base_dir=tmp_path)


def test_texts_serve_supervised_projects_only(tmp_path: Path) -> None:
    assert registry.get("text_table").tasks == ("supervised",)
    (tmp_path / "t.csv").write_text(_messages_csv())
    with pytest.raises(DatasetError, match="not adversarial") as error:
        load_dataset({"name": "text_table", "path": "t.csv"}, base_dir=tmp_path,
                     task_kind="adversarial")
    assert error.value.field == "name"


def test_overview_shows_texts_tokens_classes_and_lengths(tmp_path: Path) -> None:
    data = _table(tmp_path, _messages_csv(), validation_split=0.5)
    lines = text_overview(data)
    first = data.x_train[0]
    assert lines[0].startswith(f"“{first}” → ")
    assert "tokens: " + " · ".join(tokens(first)) in lines[0]
    assert lines[-2] == "Classes: ham 3 · spam 3"
    assert lines[-1].startswith("Length in tokens: 50% ≤ ")
    assert tokens("Win a FREE prize, now!") == ["win", "a", "free", "prize", "now"]
    lengths = length_percentiles(["a"] * 98 + ["a b c d e f g h i j"] * 2)
    assert lengths[50] == 1 and lengths[99] == 10 and lengths[100] == 10


def test_text_data_needs_a_string_input(tmp_path: Path) -> None:
    data = _table(tmp_path, _messages_csv())
    check_fits(data, {"in": (1,)}, {"out": 2}, input_dtypes={"in": "string"})
    with pytest.raises(DatasetError, match="takes float32 values but the dataset 'Text "
                                           "table' holds texts"):
        check_fits(data, {"in": (1,)}, {"out": 2}, input_dtypes={"in": "float32"})
    with pytest.raises(DatasetError, match=r"takes samples of shape \(8,\)"):
        check_fits(data, {"in": (8,)}, {"out": 2}, input_dtypes={"in": "string"})


def test_a_long_text_costs_its_own_length_only(tmp_path: Path) -> None:
    long = "word " * 20_000
    rows = [(long, "a"), *[(f"short {i}", "ab"[i % 2]) for i in range(999)]]
    data = _table(tmp_path, _messages_csv(rows), validation_split=0.0)
    assert data.x_train.dtype == object  # not 1 000 rows as wide as the longest
    assert sorted(map(len, data.x_train))[-1] == len(long.strip())
