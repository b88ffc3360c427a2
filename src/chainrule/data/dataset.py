"""Indexable collections of samples, their subsets and concatenations. Batching and
shuffling belong in dataloader.py."""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

import numpy as np

from chainrule.nn import init
from chainrule.tensor import Tensor


class Dataset:
    """Base class for map-style datasets: a length and an indexable sample.

    Subclasses implement ``__len__`` and ``__getitem__``. ``DataLoader`` only relies on those
    two methods, so any object providing them works, subclass or not.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: __len__ is not implemented")

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: __getitem__ is not implemented")

    def __add__(self, other: Any) -> ConcatDataset:
        """``a + b`` is ``ConcatDataset([a, b])``, as in PyTorch."""
        return ConcatDataset([self, other])


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
        # Built from Tensors, it gives Tensors (wrapping the gathered arrays), as PyTorch's.
        self._as_tensors = all(isinstance(a, Tensor) for a in arrays)
        shapes = [a.shape for a in self.arrays]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(f"TensorDataset: arrays must be at least 1-D, got shapes {shapes}")
        if len({shape[0] for shape in shapes}) != 1:
            raise ValueError(
                f"TensorDataset: arrays must have the same first dimension, got shapes {shapes}"
            )

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int | np.ndarray) -> tuple[Any, ...]:
        """Return ``tuple(a[index] for a in arrays)``; an index array gathers a whole batch.
        Built from Tensors, the parts are Tensors."""
        if self._as_tensors:
            return tuple(Tensor(a[index]) for a in self.arrays)
        return tuple(a[index] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    An index array gathers a batch with one call on the underlying dataset (which may
    then use its own fast path, as ``TensorDataset`` does).

    Example:
        >>> ds = Subset(TensorDataset(np.arange(10) * 10), [7, 2])
        >>> len(ds), ds[0][0].item(), ds[np.array([1, 0])][0].tolist()
        (2, 70, [20, 70])
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._positions = np.asarray(indices, dtype=np.intp)  # for index arrays

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, np.ndarray | list):
            return self.dataset[self._positions[index]]
        return self.dataset[self.indices[index]]


class ConcatDataset(Dataset):
    """Datasets one after another: index ``len(a)`` is ``b[0]``.

    Example:
        >>> ds = ConcatDataset([[1, 2], [3]])
        >>> len(ds), ds[2], ds[-3]
        (3, 3, 1)
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, int | np.integer) or isinstance(index, bool):
            raise TypeError(f"ConcatDataset: indices must be integers, got {type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {n}")
        index = int(index) % n
        which = bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into ``Subset``s of the given lengths.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1 (each split
    gets ``floor(n * fraction)`` samples, and what is left goes one by one to the first
    splits, as in PyTorch). The order comes from ``generator``, else from the global
    generator that ``cr.manual_seed`` seeds.

    Example:
        >>> train, val = random_split(list(range(10)), [0.8, 0.2], np.random.default_rng(0))
        >>> len(train), len(val), sorted([*train, *val]) == list(range(10))
        (8, 2, True)
    """
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
        sizes = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"random_split: the split at index {i} is empty", UserWarning, stacklevel=2
                )
    else:
        sizes = [int(length) for length in lengths]
        if any(size != length or size < 0 for size, length in zip(sizes, lengths)):
            raise ValueError(
                f"random_split: lengths must be non-negative integers or fractions summing to "
                f"1, got {list(lengths)}"
            )
    if sum(sizes) != n:
        raise ValueError(
            f"random_split: the lengths sum to {sum(sizes)}, the dataset has {n} samples"
        )
    order = (generator or init._rng).permutation(n).tolist()
    return [Subset(dataset, order[end - size : end]) for end, size in zip(accumulate(sizes), sizes)]


def _as_array(value: Any) -> np.ndarray:
    # NOTE: ndarrays have a .data attribute too (a memoryview), so test for ndarray first.
    if isinstance(value, np.ndarray):
        return value
    data = getattr(value, "data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(value)
