"""Arrays from the person's files: ``.npz`` archives, ``.npy`` pairs and image folders, and
the label rules every table and array shares (whole numbers are classes, counted from 0)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from projects.datasets.loading import Context, Raw
from projects.datasets.registry import DatasetError

IMAGE_SUFFIXES: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif"})
MAX_CLASSES = 100_000


def are_classes(values: np.ndarray, context: Context) -> bool:
    """Whole numbers are class labels, unless the spec says ``"targets": "numbers"`` (the
    trainer does for regression losses) or they are too large to count classes."""
    if context.spec.get("targets") == "numbers":
        return False
    whole = bool(np.all(values == np.round(values)))
    return whole and (not values.size or float(np.abs(values).max()) < MAX_CLASSES)


def class_indices(values: np.ndarray, context: Context, where: Callable[[int], str], *,
                  field: str | None = None) -> tuple[np.ndarray, int, list[str]]:
    """Check integer class labels against 0 and ``num_classes`` (if the spec gives it);
    ``field`` is the dataset field of the file they come from."""
    if values.size and values.min() < 0:
        k = int(np.argmin(values))
        raise DatasetError(f"{where(k)}: the label {values[k]} is negative; class labels "
                           "count from 0", field=field)
    top = int(values.max()) if values.size else 0
    num_classes = context.spec.get("num_classes")
    if num_classes is None:
        num_classes = top + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise DatasetError(f"{context.name}: num_classes must be a positive whole number. "
                           f"Received: num_classes={num_classes!r}", field="num_classes")
    elif top >= num_classes:
        k = int(np.argmax(values))
        raise DatasetError(f"{where(k)}: the label {top} is out of range: with num_classes="
                           f"{num_classes} labels run from 0 to {num_classes - 1}",
                           field=field)
    return values.astype(np.int32), num_classes, [str(i) for i in range(num_classes)]


def load_npz(context: Context) -> Raw:
    """Arrays from an .npz archive: ``x_key`` (a name, or a list of names for several
    inputs) and ``y_key`` (default "x" and "y")."""
    path = context.path("path")
    display = str(context.spec["path"])
    x_keys = context.spec.get("x_key", "x")
    y_key = context.spec.get("y_key", "y")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DatasetError(f"{display}: not a numpy .npz archive ({err})",
                           field="path") from None
    if not hasattr(archive, "files"):
        raise DatasetError(f"{display}: holds a single array, not an .npz archive; use the "
                           "npy dataset for .npy files", field="path")
    with archive:
        def get(key: str, field: str) -> np.ndarray:
            if key not in archive.files:
                raise DatasetError(f"{display} has no array {key!r} (it has: "
                                   f"{', '.join(archive.files) or 'none'})", field=field)
            try:
                return archive[key]
            except ValueError as err:  # object arrays would need unpickling: refused
                raise DatasetError(f"{display}, array {key!r}: {err}", field="path") from None

        names = x_keys if isinstance(x_keys, list) else [x_keys]
        xs = [get(str(key), "x_key") for key in names]
        y = None if context.unlabelled else get(str(y_key), "y_key")
    labelled = [(f"{display}, array {key!r}", x) for key, x in zip(names, xs, strict=True)]
    return _arrays(context, labelled, None if y is None else (f"{display}, array {y_key!r}", y),
                   multi=isinstance(x_keys, list), fields=("path", "path"))


def load_npy(context: Context) -> Raw:
    """Arrays from two .npy files, ``x_path`` and ``y_path``."""
    x_display = context.display("x_path")
    x = _load_npy(context.path("x_path"), x_display, "x_path")
    y = None
    if not context.unlabelled:
        y_display = context.display("y_path")
        y = (y_display, _load_npy(context.path("y_path"), y_display, "y_path"))
    return _arrays(context, [(x_display, x)], y, multi=False, fields=("x_path", "y_path"))


def _load_npy(path: Path, display: str, field: str) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DatasetError(f"{display}: not a readable .npy array ({err})",
                           field=field) from None
    if not isinstance(array, np.ndarray):
        raise DatasetError(f"{display}: is an .npz archive; use the npz dataset for it",
                           field=field)
    return array


def _arrays(context: Context, xs: list[tuple[str, np.ndarray]],
            y: tuple[str, np.ndarray] | None, multi: bool, fields: tuple[str, str]) -> Raw:
    """Check user arrays: numeric, finite, one sample count; labels are classes or targets.

    ``fields`` are the dataset fields of the inputs' file and of the labels' file.
    """
    x_field, y_field = fields
    count = None
    for where, x in xs:
        if x.ndim < 1 or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise DatasetError(f"{where}: holds {x.dtype} values of shape {x.shape}; it must "
                               "be a numeric array with samples along the first axis",
                               field=x_field)
        if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
            raise DatasetError(f"{where}: sample {bad[0]} holds {x[bad]} at position "
                               f"{bad[1:]}; every value must be a finite number",
                               field=x_field)
        if count is not None and len(x) != count:
            raise DatasetError(f"{where}: {len(x)} samples, but {xs[0][0]} has {count}",
                               field=x_field)
        count = len(x)
    arrays = [x.astype(np.float32) if x.dtype in (bool, np.float64) else x for _, x in xs]
    x_out: Any = arrays if multi else arrays[0]
    if y is None:
        return Raw(x_out)
    where, labels = y
    labels = labels.reshape(len(labels), -1) if labels.ndim > 1 else labels
    if labels.ndim != 1 and labels.shape[1] != 1:
        raise DatasetError(f"{where}: labels must be one number per sample; got shape "
                           f"{labels.shape}", field=y_field)
    labels = labels.reshape(-1)
    if len(labels) != count:
        raise DatasetError(f"{where}: {len(labels)} labels, but {xs[0][0]} has {count} samples",
                           field=y_field)
    if not (np.issubdtype(labels.dtype, np.number) or labels.dtype == bool):
        raise DatasetError(f"{where}: labels must be numbers; got {labels.dtype}",
                           field=y_field)
    if np.issubdtype(labels.dtype, np.floating):
        if not np.isfinite(labels).all():
            k = int(np.flatnonzero(~np.isfinite(labels))[0])
            raise DatasetError(f"{where}: sample {k} has the label {labels[k]}",
                               field=y_field)
        if not are_classes(labels, context):
            return Raw(x_out, labels.astype(np.float32))
    y_out, num_classes, names = class_indices(labels.astype(np.int64), context,
                                              lambda k: f"{where}: sample {k}", field=y_field)
    return Raw(x_out, y_out, num_classes, names)


def class_folders(context: Context, files: str, dataset: str
                  ) -> tuple[Path, str, list[str]]:
    """The folder in ``path``, as written, and its class sub-folders (sorted by name); a
    folder without sub-folders is refused, saying they should hold ``files``."""
    root = context.path("path")
    display = context.display("path")
    if not root.is_dir():
        raise DatasetError(f"{display}: not a folder; {dataset} is a folder with one "
                           f"sub-folder of {files} per class", field="path")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"{display} has no sub-folders; put each class's {files} in a "
                           "sub-folder named after the class", field="path")
    return root, display, classes


def load_image_folder(context: Context) -> Raw:
    """A folder with one sub-folder of images per class (the sub-folder names the class).

    Images must all have one size (``image_size`` [height, width] when the spec gives it)
    and one number of channels (``channels`` converts them when given); an image that does
    not fit is refused by name rather than resized.
    """
    root, display, classes = class_folders(context, "images", "an image dataset")
    files: list[tuple[Path, int]] = []
    for label, name in enumerate(classes):
        images = sorted(p for p in (root / name).iterdir()
                        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
        if not images:
            raise DatasetError(f"{display}/{name} holds no images "
                               f"({', '.join(sorted(IMAGE_SUFFIXES))})", field="path")
        files += [(p, label) for p in images]
    channels = context.spec.get("channels")
    if channels not in (None, 1, 3, 4):
        raise DatasetError(f"{display}: channels must be 1 (grey), 3 (RGB) or 4 (RGBA). "
                           f"Received: channels={channels!r}", field="channels")
    pictures = [_read_image(path, channels, f"{display}/{path.relative_to(root).as_posix()}")
                for path, _ in files]
    size = context.spec.get("image_size")
    if size is not None:
        if not (isinstance(size, list | tuple) and len(size) == 2
                and all(isinstance(s, int) and s > 0 for s in size)):
            raise DatasetError(f"{display}: image_size must be [height, width]. "
                               f"Received: image_size={size!r}", field="image_size")
        expected = tuple(size)
    else:  # the most common size, so that the odd image out is the one named
        expected = Counter(p.shape[:2] for p in pictures).most_common(1)[0][0]
    depth = Counter(p.shape[2] for p in pictures).most_common(1)[0][0]
    for (path, _), picture in zip(files, pictures, strict=True):
        where = f"{display}/{path.relative_to(root).as_posix()}"
        if picture.shape[:2] != expected:
            raise DatasetError(f"{where}: the image is {picture.shape[1]}×{picture.shape[0]} "
                               f"pixels but the dataset's images are {expected[1]}×"
                               f"{expected[0]} (height {expected[0]}, width {expected[1]}); "
                               "Deepwire does not resize images", field="path")
        if picture.shape[2] != depth:
            raise DatasetError(f"{where}: the image has {picture.shape[2]} channels but the "
                               f"others have {depth}; set 'channels' to convert them all",
                               field="path")
    x = np.stack(pictures)
    y = np.array([label for _, label in files], dtype=np.int32)
    return Raw(x, y, len(classes), classes, pixel_max=255.0)


def _read_image(path: Path, channels: int | None, where: str) -> np.ndarray:
    """Decode with TensorFlow (PNG, JPEG, BMP, GIF) to uint8 (height, width, channels)."""
    import tensorflow as tf

    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), channels=channels or 0,
                                   expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as err:
        raise DatasetError(f"{where}: not a readable image ({err.message.splitlines()[0]})",
                           field="path") from None
    return image.numpy()

