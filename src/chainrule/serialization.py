"""Checkpoints: state dicts saved as safetensors (never pickle) with atomic writes."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

# The dtypes safetensors.numpy can both write and read back.
_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
    + ["float16", "float32", "float64", "complex64"]
)


def save(
    state_dict: Mapping[str, Any],
    path: str | os.PathLike[str],
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Save a state dict to ``path`` in the safetensors format.

    The file is written atomically: the bytes go to a temporary file in the same folder, are
    flushed to disk, and then replace ``path`` in one step, so a crash leaves either the old
    file or the new one, never a partial checkpoint.

    Args:
        state_dict: string keys to ndarrays or to objects with an ndarray ``.data`` (Tensors,
            Parameters). Non-contiguous arrays are copied to C order.
        path: the destination file; its folder must exist.
        metadata: optional string-to-string annotations stored in the header.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "model.safetensors"
        ...     save({"weight": np.eye(2, dtype=np.float32)}, path, metadata={"epoch": "3"})
        ...     tensors, metadata = load_with_metadata(path)
        >>> tensors["weight"].tolist(), metadata
        ([[1.0, 0.0], [0.0, 1.0]], {'epoch': '3'})
    """
    from safetensors.numpy import save as serialize

    tensors = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be strings, got {key!r}")
        array = value if isinstance(value, np.ndarray) else getattr(value, "data", None)
        if not isinstance(array, np.ndarray):
            raise TypeError(
                f"save: value for {key!r} must be an ndarray or have an ndarray .data, "
                f"got {type(value).__name__}"
            )
        if array.dtype.name not in _DTYPES:
            raise TypeError(f"save: unsupported dtype for {key!r}, {array.dtype}")
        # NOTE: not np.ascontiguousarray, which turns 0-d arrays into 1-d ones.
        tensors[key] = array if array.flags.c_contiguous else array.copy(order="C")
    metadata = dict(metadata or {})
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"save: metadata must map str to str, got {key!r}: {value!r}")
    data = serialize(tensors, metadata=metadata or None)

    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"save: folder not found, {path.parent}")
    # NOTE: os.open rather than mkstemp, whose files are owner-only: the umask applies as usual.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Load a checkpoint written by ``save``.

    Returns:
        Key to writable ndarray. Key order is not preserved (safetensors sorts entries), so
        match entries by key.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is empty, truncated or not a safetensors checkpoint.
    """
    return load_with_metadata(path)[0]


def load_with_metadata(
    path: str | os.PathLike[str],
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Load a checkpoint and the metadata stored with it (``{}`` when there is none).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is empty, truncated or not a safetensors checkpoint.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load as deserialize

    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"load: checkpoint not found, {path}") from None
    try:
        tensors = deserialize(raw)
        # The header is an 8-byte little-endian length, then JSON; deserialize has validated it.
        header_len = int.from_bytes(raw[:8], "little")
        metadata = json.loads(raw[8 : 8 + header_len]).get("__metadata__") or {}
    # NOTE: safetensors.numpy raises KeyError for valid dtypes NumPy lacks (BF16, F8_*).
    except (SafetensorError, KeyError, ValueError) as e:
        raise ValueError(
            f"load: {path} is not a valid safetensors checkpoint ({type(e).__name__}: {e})"
        ) from None
    return tensors, metadata
