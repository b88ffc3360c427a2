"""What ``--distributed`` changes in the loop: the lead rank, the shards, the averaged model.

One process (no ``--distributed``) is a world of one whose calls change nothing, so the
loop has a single path. Under ``mpiexec -n N``, ``--batch-size`` is the global batch: each
rank takes ``batch_size / N`` of every batch through a ``DistributedSampler`` whose order
is the one a single process shuffles, so N ranks train on exactly one process's batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..data import DataLoader, Dataset, DistributedSampler

if TYPE_CHECKING:
    from ..nn import Module
    from .loop import TrainConfig


@dataclass
class Ranks:
    """This process's place in the job: its rank among ``size``; rank 0 leads."""

    rank: int = 0
    size: int = 1
    distributed: bool = False

    @classmethod
    def start(cls, config: TrainConfig) -> Ranks:
        """The job ``config`` runs in: MPI's ranks with ``distributed``, else this process."""
        if not config.distributed:
            return cls()
        from .. import distributed

        distributed.init()
        size = distributed.world_size()
        if config.batch_size % size:
            raise ValueError(
                f"train: --batch-size {config.batch_size} (the global batch) does not split "
                f"evenly over {size} ranks"
            )
        return cls(distributed.rank(), size, True)

    @property
    def lead(self) -> bool:
        """Whether this rank prints and writes the run folder."""
        return self.rank == 0

    def loader(self, train_set: Dataset, config: TrainConfig) -> DataLoader:
        """One process's shuffled loader, or this rank's share of each of its batches."""
        if not self.distributed:
            return DataLoader(train_set, config.batch_size, shuffle=True, seed=config.seed)
        sampler = DistributedSampler(train_set, self.size, self.rank, seed=config.seed)
        return DataLoader(train_set, config.batch_size // self.size, sampler=sampler)

    def set_epoch(self, loader: DataLoader, epoch: int) -> None:
        """Point the sampler at ``epoch`` (1-based), so a resumed run draws the same order."""
        if isinstance(loader.sampler, DistributedSampler):
            loader.sampler.set_epoch(epoch - 1)

    def wrap(self, model: Module) -> Module:
        """The model the steps call: gradients averaged over the ranks when distributed
        (every rank takes the lead's weights: call it once, after any resume)."""
        if not self.distributed:
            return model
        from ..distributed import DataParallel

        return DataParallel(model)

    def mean(self, total: float, count: int) -> float:
        """``total / count`` with both summed over the ranks."""
        if self.distributed:
            from ..distributed import all_reduce

            total, count = all_reduce(np.array([total, count], dtype=np.float64))
        return float(total / count)

    def from_lead(self, compute: Callable[[], float]) -> float:
        """``compute()`` on the lead rank alone, its result sent to every rank."""
        if not self.distributed:
            return compute()
        from ..distributed import broadcast

        return broadcast(compute() if self.lead else 0.0)
