"""Indexable collections of samples. Batching and shuffling belong in dataloader.py."""

from __future__ import annotations

from typing import Any

import numpy as np


class Dataset:
    """Base class for map-style datasets: a length and an indexable sample.

    Subclasses implement ``__len__`` and ``__getitem__``. ``DataLoader`` only relies on those
    two methods, so any object providing them works, subclass or not.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: __len__ is not implemented")

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: __getitem__ is not implemented")


class TensorDataset(Dataset):
    """Arrays that share their first dimension, indexed together.

    Args:
        *arrays: ndarrays (or objects with an ndarray ``.data``, such as Tensors) with the same
            length along axis 0. They are stored without copying.

    Example:
        >>> ds = TensorDataset(np.zeros((4, 2)), np.arange(4))
        >>> len(ds)
        4
        >>> x, y = ds[np.array([3, 1])]
        >>> x.shape, y.tolist()
        ((2, 2), [3, 1])
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: at least one array is required")
        self.arrays = tuple(_as_array(a) for a in arrays)
        shapes = [a.shape for a in self.arrays]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(f"TensorDataset: arrays must be at least 1-D, got shapes {shapes}")
        if len({shape[0] for shape in shapes}) != 1:
            raise ValueError(
                f"TensorDataset: arrays must have the same first dimension, got shapes {shapes}"
            )

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int | np.ndarray) -> tuple[np.ndarray, ...]:
        """Return ``tuple(a[index] for a in arrays)``; an index array gathers a whole batch."""
        return tuple(a[index] for a in self.arrays)


def _as_array(value: Any) -> np.ndarray:
    # NOTE: ndarrays have a .data attribute too (a memoryview), so test for ndarray first.
    if isinstance(value, np.ndarray):
        return value
    data = getattr(value, "data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(value)
