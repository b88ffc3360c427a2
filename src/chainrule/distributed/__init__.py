"""Data-parallel training over MPI (mpi4py, imported only under a launcher such as mpiexec).

``init``, ``rank``, ``world_size``, ``barrier``, ``all_reduce`` and ``broadcast`` reach the
job's processes; ``DataParallel`` averages a model's gradients during backward. The sampler
that shards the data is ``chainrule.data.DistributedSampler``.
"""

from __future__ import annotations

from .comm import all_reduce, barrier, broadcast, fail, init, rank, world_size
from .parallel import DataParallel

__all__ = [
    "DataParallel",
    "all_reduce",
    "barrier",
    "broadcast",
    "fail",
    "init",
    "rank",
    "world_size",
]
