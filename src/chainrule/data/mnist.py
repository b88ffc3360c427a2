"""MNIST from IDX files: parsing, validation, the bundled copy. Nothing is read at import time."""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

_BUNDLED = Path(__file__).parent / "mnist"
_UBYTE_MAGIC = b"\x00\x00\x08"  # IDX magic: two zero bytes, then the dtype byte 0x08 (uint8)


def read_idx(path: str | os.PathLike[str], ndim: int | None = None) -> np.ndarray:
    """Read an IDX file of unsigned bytes, gzip-compressed when its name ends in ``.gz``.

    The header is two zero bytes, the dtype byte ``0x08`` (uint8), the number of dimensions and
    one big-endian uint32 per dimension; the payload must hold exactly their product in bytes.

    Args:
        path: the file.
        ndim: the expected number of dimensions (3 for images, 1 for labels), or ``None``.

    Returns:
        A read-only uint8 array of the header's shape, viewing the file's bytes.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is corrupt, truncated or not an IDX file of bytes; the message
            names the file and the problem.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise ValueError(f"read_idx: {path}: corrupt or truncated gzip data ({e})") from None
    if len(raw) < 4 or raw[:3] != _UBYTE_MAGIC or (ndim is not None and raw[3] != ndim):
        want = "0x000008??" if ndim is None else f"0x000008{ndim:02x}"
        found = f"0x{raw[:4].hex()}" if raw else "an empty file"
        raise ValueError(f"read_idx: {path}: expected magic number {want}, found {found}")
    offset = 4 + 4 * raw[3]
    if len(raw) < offset:
        raise ValueError(
            f"read_idx: {path}: truncated header, expected {offset} bytes, found {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(4, offset, 4))
    size = math.prod(shape)
    if len(raw) - offset != size:
        raise ValueError(
            f"read_idx: {path}: expected {size} bytes of data for shape {shape}, "
            f"found {len(raw) - offset}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


def load_mnist(
    root: str | os.PathLike[str] | None = None, train: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Load the MNIST training or test split.

    The folder is ``root`` if given, else the ``CHAINRULE_DATA`` environment variable, else the
    copy bundled with chainrule. It holds ``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz``, each also accepted uncompressed (without ``.gz``).

    Every call reads the files again (well under a second for the training split) and returns new,
    writable arrays; there is no cache, so keep the result if you need it twice.

    Args:
        root: folder with the IDX files.
        train: the 60,000 training images if true, else the 10,000 test images.

    Shape:
        images: ``(N, 1, 28, 28)`` float32 in ``[0, 1]``; labels: ``(N,)`` int64 in ``0..9``.

    Returns:
        ``(images, labels)``.

    Raises:
        FileNotFoundError: the folder or a file is missing.
        ValueError: a file is corrupt, or images and labels disagree; the message names the file.

    Example:
        >>> images, labels = load_mnist(train=False)
        >>> images.shape, images.dtype, labels[:5].tolist()
        ((10000, 1, 28, 28), dtype('float32'), [7, 2, 1, 0, 4])
    """
    if root is None:
        root = os.environ.get("CHAINRULE_DATA") or _BUNDLED
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"load_mnist: data folder not found, {root}")
    split = "train" if train else "t10k"
    images_path = _find(root, f"{split}-images-idx3-ubyte")
    labels_path = _find(root, f"{split}-labels-idx1-ubyte")
    pixels = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    if pixels.shape[1:] != (28, 28):
        size = "x".join(map(str, pixels.shape[1:]))
        raise ValueError(f"load_mnist: {images_path}: expected 28x28 images, got {size}")
    if len(pixels) != len(labels):
        raise ValueError(
            f"load_mnist: {len(pixels)} images in {images_path} but {len(labels)} labels in "
            f"{labels_path}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"load_mnist: {labels_path}: labels must be in 0..9, found {labels.max()}")
    images = np.divide(pixels[:, None], 255, dtype=np.float32)
    return images, labels.astype(np.int64)


def _find(root: Path, name: str) -> Path:
    for path in (root / f"{name}.gz", root / name):
        if path.is_file():
            return path
    raise FileNotFoundError(f"load_mnist: file not found, {root / name}.gz (or {name})")
