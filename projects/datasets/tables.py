"""CSV and TSV tables, read by pandas' C parser, with errors that name file, row and column.

The fast path parses the wanted columns straight into float32 (features) or text (labels,
node ids, splits). Only when it meets something wrong (a cell that is not a number, an
empty or infinite one, a row of the wrong length, bytes that are not UTF-8) does
:meth:`Table.diagnose` read the file again with the ``csv`` module to name the first bad
row and cell exactly, so a well-formed table never pays for those checks. Rows are counted
as a spreadsheet shows them: the header is row 1, blank lines count.
"""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from projects.datasets.arrays import are_classes, class_indices
from projects.datasets.loading import Context, Raw
from projects.datasets.registry import DatasetError

_FLOAT32_MAX = float(np.finfo(np.float32).max)
# A split cell, as people write it -> the part it names ("" or None: the seed decides).
SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val",
               "validation": "val", "test": "test", "": None}


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class Table:
    """A CSV file: its header, read at once, and the columns :meth:`parse` was asked for.

    ``field`` is the dataset field that names the file; errors about its content blame it.
    Data rows are indexed from 0 in file order, blank lines left out; :meth:`where` turns
    an index into the spreadsheet row.
    """

    def __init__(self, path: Path, display: str, field: str,
                 delimiter: str | None = None, encoding: str | None = None,
                 encoding_field: str = "") -> None:
        self.path, self.display, self.field = path, display, field
        # None: UTF-8 (a byte-order mark is skipped). A dataset with an ``encoding_field``
        # reads legacy files in the encoding declared there, and its refusals suggest it.
        self.declared, self.encoding_field = encoding, encoding_field
        self.encoding = "utf-8-sig" if encoding is None or _is_utf8(encoding) else encoding
        self.header_row, first_line = self._read_header()
        if delimiter is None:
            delimiter = max(",;\t", key=first_line.count) if first_line else ","
        self.delimiter = delimiter
        self.header = next(csv.reader([first_line], delimiter=delimiter))
        self.header = [c.strip() for c in self.header]
        self._check_header()
        self._numbers: np.ndarray | None = None
        self._texts: dict[int, np.ndarray] = {}
        self._row_numbers: list[int] | None = None
        self.num_rows = 0

    def error(self, message: str, field: str | None = None) -> DatasetError:
        return DatasetError(message, field=field or self.field)

    # ---- header

    def _read_header(self) -> tuple[int, str]:
        row = 0
        try:
            with self.path.open(encoding=self.encoding, newline="") as file:
                for line in file:
                    row += 1
                    if line.strip().strip(",;\t").strip():
                        return row, line.rstrip("\r\n")
        except UnicodeDecodeError:
            self._check_utf8()
        raise self.error(f"{self.display} is empty: it needs a header row naming the "
                         "columns and then one row per sample")

    def _check_header(self) -> None:
        row = self.header_row
        for j, name in enumerate(self.header):
            if not name:
                raise self.error(f"{self.display}, row {row}, column {column_letter(j)}: the "
                                 "header cell is empty; every column needs a name")
            if is_number(name):
                raise self.error(f"{self.display}, row {row}: the first row must name the "
                                 f"columns, but column {column_letter(j)} holds the number "
                                 f"{name!r}")
        repeated = [name for name, n in Counter(self.header).items() if n > 1]
        if repeated:
            raise self.error(f"{self.display}, row {row}: the column name {repeated[0]!r} "
                             "appears more than once")

    def column(self, name: str, role: str = "column", field: str | None = None) -> int:
        """The index of column ``name``; ``field`` is the dataset field that named it."""
        try:
            return self.header.index(name)
        except ValueError:
            raise DatasetError(f"{self.display} has no {role} {name!r} (row "
                               f"{self.header_row} names: {', '.join(self.header)})",
                               field=field or self.field) from None

    def where(self, i: int, j: int) -> str:
        return (f"{self.display}, row {self.row_numbers()[i]}, column {self.header[j]!r} "
                f"({column_letter(j)})")

    # ---- data

    def parse(self, numeric: Sequence[int], text: Sequence[int] = (),
              prose: Sequence[int] = ()) -> None:
        """Read the ``numeric`` columns as float32 and the ``text`` ones as stripped text.

        The ``prose`` columns among ``text`` (long texts of a text dataset) stay object
        arrays of Python strings: a fixed-width numpy string array would take the longest
        text's width for every row.

        Refuses (naming row and column) empty, non-numeric and non-finite numeric cells,
        rows whose cell count differs from the header's, and files that are not UTF-8.
        """
        numeric, text = list(numeric), [j for j in dict.fromkeys(text) if j not in numeric]
        wanted = sorted({*numeric, *text})
        dtypes = {self.header[j]: (np.float32 if j in numeric else str) for j in wanted}
        numeric_names = [self.header[j] for j in numeric]
        # Read in chunks of about 4 million cells: the parser's peak memory stays near the
        # result's (one pass over the whole file holds it several times over), and unlike
        # ``usecols`` this keeps refusing rows with too many cells.
        rows_per_chunk = max(256, 4_000_000 // len(self.header))
        parts: list[np.ndarray] = []
        text_parts: dict[int, list[np.ndarray]] = {j: [] for j in text}
        try:
            with warnings.catch_warnings():  # 1e39 overflows float32: found below as inf
                warnings.simplefilter("ignore", RuntimeWarning)
                with pd.read_csv(
                        self.path, sep=self.delimiter, engine="c", header=None,
                        names=self.header, skiprows=self.header_row, dtype=dtypes,
                        keep_default_na=False, na_values=[""], skip_blank_lines=True,
                        encoding=self.encoding, chunksize=rows_per_chunk) as reader:
                    for chunk in reader:
                        parts.append(chunk[numeric_names].to_numpy(dtype=np.float32))
                        for j in text:
                            text_parts[j].append(chunk[self.header[j]].fillna("").to_numpy(
                                dtype=object if j in prose else str))
        except UnicodeDecodeError:
            self._check_utf8()
            raise
        except pd.errors.EmptyDataError:
            pass
        except (ValueError, pd.errors.ParserError) as err:
            self.diagnose(numeric)
            raise self.error(f"{self.display}: not a readable CSV file ({err})") from None
        if not parts:
            raise self.error(f"{self.display} has a header but no data rows")
        values = np.concatenate(parts) if len(parts) > 1 else parts[0]
        del parts
        texts = {j: np.concatenate(t) for j, t in text_parts.items()}
        texts = {j: _strip_objects(t) if j in prose else np.char.strip(t)
                 for j, t in texts.items()}
        bad = ~np.isfinite(values)
        if bad.any() or any((t == "").any() for t in texts.values()):
            blank = bad.all(axis=1) if numeric else np.ones(len(values), dtype=bool)
            for t in texts.values():
                blank &= t == ""
            if blank.any():  # a row of empty cells (",,") is a blank line
                keep = ~blank
                values, bad = values[keep], bad[keep]
                texts = {j: t[keep] for j, t in texts.items()}
            if bad.any():
                self.diagnose(numeric, first_bad=tuple(np.argwhere(bad)[0]))
            else:  # an empty text cell: a short row, or a cell its reader will refuse
                self.diagnose(numeric, check_cells=False)
        self._numbers, self._texts, self.num_rows = values, texts, len(values)
        if not self.num_rows:
            raise self.error(f"{self.display} has a header but no data rows")

    def numbers(self) -> np.ndarray:
        """The numeric columns :meth:`parse` read, as float32 (rows, columns)."""
        assert self._numbers is not None, "parse the table first"
        return self._numbers

    def texts(self, column: int) -> np.ndarray:
        """A text column :meth:`parse` read, stripped; "" for an empty cell."""
        return self._texts[column]

    # ---- naming the first bad cell (only when something is wrong)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """(spreadsheet row, cells) of every data row: after the header, blank ones left out."""
        with self.path.open(encoding=self.encoding, newline="") as file:
            reader = csv.reader(file, delimiter=self.delimiter)
            try:
                for record in reader:
                    if reader.line_num > self.header_row and any(c.strip() for c in record):
                        yield reader.line_num, record
            except csv.Error as err:
                raise self.error(f"{self.display}: not a readable CSV file ({err})") from None

    def row_numbers(self) -> list[int]:
        if self._row_numbers is None:
            self._row_numbers = [row for row, _ in self._records()]
        return self._row_numbers

    def diagnose(self, numeric: Sequence[int], first_bad: tuple[int, int] | None = None,
                 check_cells: bool = True) -> None:
        """Raise the error of the first bad row or cell; ``first_bad`` (data row, index in
        ``numeric``) is where the parse found a missing or non-finite number. Without
        ``check_cells`` only the encoding and the rows' lengths are checked."""
        self._check_utf8()
        rows = []
        for row, record in self._records():
            if len(record) != len(self.header):
                raise self.error(f"{self.display}, row {row}: {len(record)} cells, but the "
                                 f"header (row {self.header_row}) names {len(self.header)} "
                                 "columns")
            rows.append(row)
        self._row_numbers = rows
        if first_bad is not None:
            i, k = first_bad
            record = next(r for n, (_, r) in enumerate(self._records()) if n == i)
            self._check_number(i, numeric[k], record[numeric[k]])
        if not check_cells:
            return
        for i, (_, record) in enumerate(self._records()):
            for j in numeric:
                self._check_number(i, j, record[j])

    def _check_number(self, i: int, j: int, cell: str) -> None:
        if not cell.strip():
            raise self.error(f"{self.where(i, j)}: the cell is empty; every cell must hold a "
                             "number")
        try:
            value = float(cell)
        except ValueError:
            raise self.error(f"{self.where(i, j)}: {cell!r} is not a number") from None
        if not abs(value) <= _FLOAT32_MAX:  # also catches nan
            raise self.error(f"{self.where(i, j)}: {cell!r} is not a finite number")

    def _check_utf8(self) -> None:
        check_decodes(self.path.read_bytes(), self.display, self.encoding, self.declared,
                      self.field, self.encoding_field)


def _strip_objects(texts: np.ndarray) -> np.ndarray:
    stripped = np.empty(len(texts), dtype=object)
    stripped[:] = [str(t).strip() for t in texts]
    return stripped


def _is_utf8(encoding: str) -> bool:
    import codecs

    return codecs.lookup(encoding).name == "utf-8"


def check_decodes(data: bytes, display: str, encoding: str, declared: str | None,
                  field: str, encoding_field: str = "") -> str:
    """``data`` decoded, or the DatasetError that names the row (and, for a dataset with
    an ``encoding_field``, the byte offset) of the first byte ``encoding`` cannot read.
    Without a ``declared`` encoding that error says how to declare one."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        row = data[: err.start].count(b"\n") + 1
        byte = f"byte 0x{data[err.start]:02x}"
        if not encoding_field:
            raise DatasetError(f"{display}, row {row}: the file is not UTF-8 text ({byte}); "
                               "save it as CSV UTF-8", field=field) from None
        where = f"{display}, row {row}, {byte} at offset {err.start}"
        if declared is not None:
            raise DatasetError(f"{where}: the file is not {declared} text",
                               field=encoding_field) from None
        raise DatasetError(f"{where}: the file is not UTF-8 text; save it as UTF-8 or "
                           f"declare its encoding in the dataset's {encoding_field!r} field "
                           "(latin-1 for many older corpora)", field=encoding_field) from None


# ----------------------------------------------------------------------------- labels


def table_labels(table: Table, column: int, context: Context,
                 rows: np.ndarray | None = None
                 ) -> tuple[np.ndarray, int | None, list[str] | None]:
    """Labels from a text column: integer classes, class names, or numbers (regression).

    Returns (labels, num_classes, class_names); num_classes is None for regression.
    ``rows`` are the data rows to read (default: all).
    """
    cells = table.texts(column)
    rows = np.arange(len(cells)) if rows is None else np.asarray(rows)
    cells = cells[rows]

    def where(k: int) -> str:
        return table.where(int(rows[k]), column)

    missing = np.flatnonzero(cells == "")
    if missing.size:
        raise table.error(f"{where(int(missing[0]))}: the label is missing")
    unique, inverse = np.unique(cells, return_inverse=True)
    parsed = np.array([float(u) if is_number(u) else np.nan for u in unique.tolist()])
    numeric_unique = np.array([is_number(u) for u in unique.tolist()], dtype=bool)
    numeric = numeric_unique[inverse] if len(unique) else np.zeros(0, dtype=bool)
    given_names = context.spec.get("class_names")
    if given_names is None and numeric.all():
        values = parsed[inverse]
        if not np.all(np.isfinite(values)):
            k = int(np.flatnonzero(~np.isfinite(values))[0])
            raise table.error(f"{where(k)}: the label is not a finite number")
        if are_classes(values, context):
            return class_indices(values.astype(np.int64), context, where,
                                 field=table.field)
        return values.astype(np.float32), None, None
    if given_names is None and numeric.sum() > len(numeric) // 2:
        k = int(np.flatnonzero(~numeric)[0])
        raise table.error(f"{where(k)}: the label {str(cells[k])!r} is not a number like the "
                          "others")
    names = ([str(n) for n in given_names] if given_names is not None
             else [str(u) for u in unique.tolist()])
    index = {name: k for k, name in enumerate(names)}
    codes = np.array([index.get(u, -1) for u in unique.tolist()], dtype=np.int32)
    labels = codes[inverse] if len(unique) else np.zeros(0, dtype=np.int32)
    unknown = np.flatnonzero(labels < 0)
    if unknown.size:
        k = int(unknown[0])
        raise table.error(f"{where(k)}: the label {str(cells[k])!r} is not one of the class "
                          f"names {', '.join(names)}")
    return labels, len(names), names


# ----------------------------------------------------------------------------- the csv dataset


def split_part(table: Table, row: int, column: int) -> str | None:
    """The part ("train", "val", "test") a split cell names, None for an empty cell."""
    cell = str(table.texts(column)[row])
    if cell.lower() not in SPLIT_NAMES:
        raise table.error(f"{table.where(row, column)}: {cell!r} is not a split; use "
                          "train, validation, test or leave the cell empty")
    return SPLIT_NAMES[cell.lower()]


def load_csv(context: Context) -> Raw:
    """A CSV file with a header row: numeric feature columns and a label column.

    A ``split_column`` (default "split"), when the file has it, is no feature: its cells
    (train, validation, test, or empty for the seed to decide) fix each row's part.
    """
    path = context.path("path")
    display = context.display("path")
    table = Table(path, display, "path", context.text("delimiter"))
    label_name = context.text("label_column")
    label = None
    if label_name is not None:
        label = table.column(label_name, "label column", field="label_column")
    elif not context.unlabelled:
        raise DatasetError(f"{display}: say which column holds the labels (label_column)",
                           field="label_column")
    split_name = context.text("split_column", "split")
    split = table.column(split_name) if split_name in table.header else None
    wanted = context.spec.get("feature_columns")
    if wanted is None:
        columns = [j for j in range(len(table.header)) if j not in (label, split)]
    elif not isinstance(wanted, list) or not wanted:
        raise DatasetError(f"{display}: feature_columns must be a list of column names",
                           field="feature_columns")
    else:
        columns = [table.column(str(name), "feature column", field="feature_columns")
                   for name in wanted]
        if label in columns:
            raise DatasetError(f"{display}: the label column {label_name!r} cannot also be a "
                               "feature column", field="feature_columns")
    if not columns:
        raise DatasetError(f"{display} has no feature columns besides the label column",
                           field="label_column")
    labelled = label is not None and not context.unlabelled
    texts = [label] if labelled else []
    table.parse(columns, texts + ([split] if split is not None and labelled else []))
    x = table.numbers()
    if not labelled:
        return Raw(x)
    y, num_classes, names = table_labels(table, label, context)
    parts = None
    if split is not None:
        parts = np.array([split_part(table, i, split) or "" for i in range(table.num_rows)],
                         dtype=object)
    return Raw(x, y, num_classes, names, split=parts)

