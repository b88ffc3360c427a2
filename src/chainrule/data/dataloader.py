"""Mini-batch iteration over a dataset. Samples and their storage live in dataset.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np

from chainrule.data.collate import default_collate
from chainrule.data.dataset import Dataset
from chainrule.nn import init


class Sampler(Protocol):
    """What ``DataLoader(sampler=...)`` takes: a sized iterable of dataset indices."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[int]: ...


class DataLoader:
    """Iterate over a dataset in mini-batches, optionally shuffled.

    Each ``iter(loader)`` starts a new epoch: it draws the epoch's order at once and returns a
    fresh generator of batches. Shuffling uses one ``np.random.default_rng(seed)`` created here,
    so successive epochs differ while the whole sequence is reproducible for a given seed.

    A batch is ``dataset[index_array]``: for a ``TensorDataset``, a tuple of ndarrays gathered
    with one fancy-indexing call per array. A dataset that does not accept an index array (a
    list, a dataset of Python items) has its samples fetched one by one and put together by
    ``default_collate`` (tuple samples give a tuple of stacked arrays, strings a list); a
    ``collate_fn`` replaces both ways: it gets the list of samples, as in PyTorch.

    Args:
        dataset: a ``Dataset`` or any object with ``__len__`` and ``__getitem__``.
        batch_size: samples per batch, a positive integer.
        shuffle: draw a new random order every epoch.
        drop_last: skip the final batch when it is smaller than ``batch_size``.
        seed: seed for the shuffling generator; ``None`` draws one from the global generator,
            so loaders made after the same ``cr.manual_seed`` shuffle alike (and differ
            from run to run without it).
        collate_fn: makes a batch from the list of its samples.
        generator: a ``np.random.Generator`` to shuffle with, instead of one from ``seed``
            (it is used, and advanced, as it is).
        sampler: the indices to visit each epoch, in order (e.g. a ``DistributedSampler``),
            in place of ``shuffle``.

    Example:
        >>> from chainrule.data import TensorDataset
        >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2)
        >>> len(loader), [batch[0].tolist() for batch in loader]
        (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: np.random.Generator | None = None,
        sampler: Sampler | None = None,
    ) -> None:
        is_int = isinstance(batch_size, int | np.integer) and not isinstance(batch_size, bool)
        if not is_int or batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        if len(dataset) == 0:
            raise ValueError("DataLoader: dataset is empty")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: give shuffle=True or a sampler, not both")
        self.sampler = sampler
        if generator is not None:
            if seed is not None:
                raise ValueError("DataLoader: give a seed or a generator, not both")
            if not isinstance(generator, np.random.Generator):
                raise TypeError(
                    "DataLoader: generator must be a np.random.Generator, got "
                    f"{type(generator).__name__}"
                )
            self._rng = generator
        else:
            if seed is None:
                seed = int(init._rng.integers(2**63))
            self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        size = self.batch_size
        return n // size if self.drop_last else -(-n // size)

    def __iter__(self) -> Iterator[Any]:
        if self.sampler is not None:
            return self._batches(np.asarray(list(self.sampler), dtype=np.int64))
        n = len(self.dataset)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        return self._batches(order)

    def rng_state(self) -> dict[str, Any]:
        """The shuffling generator's state (``rng.bit_generator.state``), for resuming training.

        The dict nests only str and int values, so ``json.dumps`` can store it (e.g. in checkpoint
        metadata). It is taken between epochs: ``iter(loader)`` draws the epoch's order at once.
        """
        return self._rng.bit_generator.state  # type: ignore[return-value]  # a dict at runtime

    def set_rng_state(self, state: dict[str, Any]) -> None:
        """Restore a state from ``rng_state()``; the next epoch then repeats the recorded one."""
        try:
            self._rng.bit_generator.state = state
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"DataLoader: invalid rng state, {e}") from None

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._fetch(order[start : start + self.batch_size])

    def _fetch(self, index: np.ndarray) -> Any:
        if self.collate_fn is not None:
            return self.collate_fn([self.dataset[int(i)] for i in index])
        try:
            return self.dataset[index]
        except (TypeError, IndexError, KeyError, ValueError):
            return default_collate([self.dataset[int(i)] for i in index])
