"""``DistributedSampler``: each rank's share of a dataset's indices, epoch by epoch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np


class DistributedSampler:
    """The indices rank ``rank`` of ``num_replicas`` visits in one epoch, for ``DataLoader``.

    Every rank draws the same order: the epoch's permutation (with ``shuffle``, the
    ``epoch + 1``-th one a ``np.random.default_rng(seed)`` draws, the very order
    ``DataLoader(shuffle=True, seed=seed)`` takes in that epoch), made a multiple of
    ``num_replicas`` long by repeating its first indices (or, with ``drop_last``, by
    dropping its tail); rank r takes positions r, r + n, r + 2n, ... of it: disjoint shards
    that together cover the data. Call ``set_epoch(epoch)`` before each epoch to reshuffle.

    The contract: n ranks, each at batch size B / n, see in step k exactly the samples of
    the k-th batch of one process at batch size B with the same seed (positions kB to
    kB + B - 1 of the order), so averaged gradients equal that process's. It is exact
    when n divides B and the dataset's size; otherwise the last batch holds up to n - 1
    repeated samples (or, with ``drop_last``, misses up to n - 1).

    Args:
        dataset: anything with ``__len__``.
        num_replicas: the number of ranks (default ``distributed.world_size()``).
        rank: this rank (default ``distributed.rank()``).
        shuffle: a new order every epoch; else 0, 1, 2, ...
        seed: the seed every rank must share.
        drop_last: drop the tail instead of repeating indices to even the shards.

    Example:
        >>> sampler = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
        >>> list(sampler), len(sampler)
        ([1, 3, 0], 3)
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed

            num_replicas = distributed.world_size() if num_replicas is None else num_replicas
            rank = distributed.rank() if rank is None else rank
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: rank must be in [0, {num_replicas}), got {rank} "
                f"(num_replicas {num_replicas})"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        size = len(dataset)
        self.num_samples = size // num_replicas if drop_last else -(-size // num_replicas)
        if self.num_samples == 0:
            raise ValueError(f"DistributedSampler: {size} samples for {num_replicas} ranks")
        self.total_size = self.num_samples * num_replicas
        self._rng: np.random.Generator | None = None
        self._drawn = 0  # permutations _rng has drawn

    def set_epoch(self, epoch: int) -> None:
        """Take epoch ``epoch``'s order (0 is the first) in the next iteration."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        order = self._order()
        if self.total_size > len(order):  # repeat from the start until the shards are even
            repeats = -(-self.total_size // len(order))
            order = np.tile(order, repeats)
        return iter(order[self.rank : self.total_size : self.num_replicas].tolist())

    def _order(self) -> np.ndarray:
        size = len(self.dataset)
        if not self.shuffle:
            return np.arange(size)
        if self._rng is None or self._drawn > self.epoch:  # going back: start over
            self._rng, self._drawn = np.random.default_rng(self.seed), 0
        while True:  # epochs run in order, so this usually draws one permutation
            order = self._rng.permutation(size)
            self._drawn += 1
            if self._drawn == self.epoch + 1:
                return order
