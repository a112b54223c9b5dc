"""Datasets read from the person's own files: CSV tables, NumPy arrays, image folders, texts
and graph files. Each loader imports its reader (pandas, numpy, networkx) when it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from blocks.spec import Param
from projects.datasets.registry import (
    FEATURE_NORMALIZATION,
    SCALE,
    DatasetSpec,
    labelled_per_class,
    register,
)

if TYPE_CHECKING:
    from projects.datasets.loading import Context, Raw

TABLES = "CSV tables (*.csv *.tsv *.txt);;All files (*)"
NUMPY = "NumPy arrays (*.npz *.npy);;All files (*)"
NPY = "NumPy arrays (*.npy);;All files (*)"
GRAPHS = "Graphs (*.edgelist *.edges *.txt *.graphml *.gml);;All files (*)"
NODE_FEATURES = ("Node features (*.csv *.tsv *.txt *.npy *.npz);;CSV tables (*.csv *.tsv "
                 "*.txt);;NumPy arrays (*.npy *.npz);;All files (*)")


def _file(name: str, title: str, help_: str, file_filter: str) -> Param:
    return Param(name, "text", None, help_, allow_none=True, file_filter=file_filter,
                 title=title)


def _text(name: str, title: str, help_: str, default: str | None = None) -> Param:
    return Param(name, "text", default, help_, allow_none=True, title=title)


def _csv(context: Context) -> Raw:
    from projects.datasets.tables import load_csv

    return load_csv(context)


def _npz(context: Context) -> Raw:
    from projects.datasets.arrays import load_npz

    return load_npz(context)


def _npy(context: Context) -> Raw:
    from projects.datasets.arrays import load_npy

    return load_npy(context)


def _image_folder(context: Context) -> Raw:
    from projects.datasets.arrays import load_image_folder

    return load_image_folder(context)


def _text_table(context: Context) -> Raw:
    from projects.datasets.texts import load_text_table

    return load_text_table(context)


def _text_folder(context: Context) -> Raw:
    from projects.datasets.texts import load_text_folder

    return load_text_folder(context)


def _graph_file(context: Context) -> Raw:
    from projects.datasets.graphs import load_graph_file

    return load_graph_file(context)


register(DatasetSpec(
    "csv", "CSV file", "arrays", "file",
    "A table with a header row: numeric feature columns and a label column.",
    _csv, (
        _file("path", "File", "A CSV file with a header row.", TABLES),
        _text("label_column", "Label column", "The column that holds the labels; every "
              "other column is a feature."),
        _text("delimiter", "Delimiter", "Guessed from the header row when empty."),
        SCALE),
    picker="csv", picker_title="CSV file…", suffixes=(".csv", ".tsv", ".txt")))
register(DatasetSpec(
    "npz", "NumPy archive", "arrays", "file",
    "Arrays from an .npz archive: the samples and the labels, by name.",
    _npz, (
        _file("path", "File", "An .npz archive of arrays.", NUMPY),
        _text("x_key", "Inputs array", "Name of the samples array.", "x"),
        _text("y_key", "Labels array", "Name of the labels array.", "y"),
        SCALE),
    picker="numpy", picker_title="NumPy file…", suffixes=(".npz",)))
register(DatasetSpec(
    "npy", "NumPy arrays", "arrays", "file",
    "Samples and labels from two .npy files.",
    _npy, (
        _file("x_path", "Inputs file", "An .npy array of samples.", NPY),
        _file("y_path", "Labels file", "An .npy array with one label per sample.", NPY),
        SCALE),
    picker="numpy", picker_title="NumPy file…", path_key="x_path", suffixes=(".npy",)))
register(DatasetSpec(
    "image_folder", "Image folder", "arrays", "file",
    "A folder with one sub-folder of images per class; the sub-folder names the class.",
    _image_folder, (
        Param("path", "text", None, "One sub-folder of images per class.", allow_none=True,
              folder=True, title="Folder"),
        Param("channels", "choice", None, "Convert every image to this many channels: 1 "
              "(grey), 3 (RGB) or 4 (RGBA); empty keeps them as stored.", choices=(1, 3, 4),
              allow_none=True, title="Channels", choice_titles=("1: grey", "3: RGB", "4: RGBA"),
              none_title="As stored"),
        SCALE),
    picker="image_folder", picker_title="Image folder…"))
ENCODING = _text("encoding", "Encoding", "How the file's bytes map to characters: empty "
                 "for UTF-8; declare legacy files' encoding, e.g. latin-1 or cp1252.")
register(DatasetSpec(
    "text_table", "Text table", "arrays", "file",
    "A CSV or TSV table of texts and their classes, for a model that starts with a Text "
    "Vectorization block; an optional split column fixes each row's part.",
    _text_table, (
        _file("path", "File", "A CSV or TSV file with a header row.", TABLES),
        _text("text_column", "Text column", "The column that holds the texts.", "text"),
        _text("label_column", "Label column", "The column that holds the classes.", "label"),
        _text("delimiter", "Delimiter", "Guessed from the header row when empty."),
        ENCODING),
    picker="text_table", picker_title="Text table…", suffixes=(".csv", ".tsv", ".txt"),
    task_kinds=("supervised",)))
register(DatasetSpec(
    "text_folder", "Text folder", "arrays", "file",
    "A folder with one sub-folder of .txt files per class; the sub-folder names the class "
    "and each file is one text.",
    _text_folder, (
        Param("path", "text", None, "One sub-folder of .txt files per class.",
              allow_none=True, folder=True, title="Folder"),
        ENCODING),
    picker="text_folder", picker_title="Text folder…", task_kinds=("supervised",)))
register(DatasetSpec(
    "graph_file", "Graph file", "graph", "file",
    "A graph from an edge list, GraphML or GML file, with node features and labels.",
    _graph_file, (
        _file("path", "Graph", "Edge list, GraphML or GML.", GRAPHS),
        _file("features", "Features CSV", "Optional: node features, a CSV with one row "
              "per node, or an array (dense .npy, sparse .npz) in the graph file's node "
              "order; one-hot node ids otherwise.", NODE_FEATURES),
        _file("labels", "Labels CSV", "Optional: node labels, if neither the "
              "features CSV nor the graph holds them.", TABLES),
        _text("label_column", "Label column", "Column of the labels.", "label"),
        FEATURE_NORMALIZATION,
        labelled_per_class(20)),
    picker="graph_file", picker_title="Graph file…",
    suffixes=(".edgelist", ".edges", ".txt", ".graphml", ".gml")))
