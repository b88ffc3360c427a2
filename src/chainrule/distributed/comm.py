"""The process group: MPI's world through mpi4py, or one process when no launcher started us.

mpi4py is imported only under an MPI launcher (``mpiexec``); a plain ``python`` run is world
size 1 and every collective returns its input. Data parallelism lives in parallel.py.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any

import numpy as np

from ..tensor import Tensor

# Set by Open MPI (OMPI_, PMIX_), MPICH and Intel MPI (PMI_) launchers in every rank.
_LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK")
_OPS = ("sum", "mean", "max", "min")


class _World:
    """The job this process belongs to, found once by ``init``."""

    started = False
    comm: Any = None  # mpi4py's COMM_WORLD when there is more than one rank
    rank = 0
    size = 1


def init() -> None:
    """Join the job the MPI launcher started; without one, a world of this process alone.

    Idempotent. Under more than one rank, an uncaught exception on any rank prints
    ``rank R failed: ...`` and aborts the whole job at once, so no rank waits forever in a
    collective for a rank that is gone.
    """
    if _World.started:
        return
    if not any(name in os.environ for name in _LAUNCHER_VARIABLES):
        _World.started = True
        return
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError(
            'distributed: running under an MPI launcher needs mpi4py (pip install "chainrule[mpi]")'
        ) from None
    _World.started = True
    comm = MPI.COMM_WORLD
    _World.rank, _World.size = comm.Get_rank(), comm.Get_size()
    if _World.size > 1:
        _World.comm = comm
        sys.excepthook = _abort_on_error


def rank() -> int:
    """This process's index in the job, 0 to ``world_size() - 1``."""
    init()
    return _World.rank


def world_size() -> int:
    """How many processes the job runs; 1 without an MPI launcher."""
    init()
    return _World.size


def barrier() -> None:
    """Wait until every rank has called ``barrier``."""
    init()
    if _World.comm is not None:
        _World.comm.Barrier()


def all_reduce(value: Any, op: str = "sum") -> Any:
    """Combine ``value`` over all ranks with ``op`` ("sum", "mean", "max", "min").

    A Tensor or ndarray is reduced in place and returned; a number comes back reduced.

    Example:
        >>> import numpy as np
        >>> all_reduce(np.array([1.0, 2.0]), op="mean")  # one process: unchanged
        array([1., 2.])
    """
    if op not in _OPS:
        raise ValueError(f"all_reduce: unknown op {op!r}; choose from: {', '.join(_OPS)}")
    init()
    if _World.comm is None:
        return value
    from mpi4py import MPI

    mpi_op = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
    if isinstance(value, int | float | np.number):
        array = np.array([value], dtype=np.float64 if op == "mean" else None)
        _World.comm.Allreduce(MPI.IN_PLACE, array, op=mpi_op)
        return (array / _World.size if op == "mean" else array)[0].item()
    array = _buffer("all_reduce", value)
    if op == "mean" and array.dtype.kind not in "fc":
        raise TypeError(
            f"all_reduce: op='mean' averages in place and needs a float array, got {array.dtype} "
            "(or use op='sum' and divide)"
        )
    _World.comm.Allreduce(MPI.IN_PLACE, array, op=mpi_op)
    if op == "mean":
        array /= _World.size
    return value


def broadcast(value: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``value`` on every rank: a Tensor or ndarray in place, a number returned."""
    init()
    if _World.comm is None:
        return value
    if isinstance(value, int | float | np.number):
        array = np.array([value])
        _World.comm.Bcast(array, root=src)
        return array[0].item()
    _World.comm.Bcast(_buffer("broadcast", value), root=src)
    return value


def _buffer(op: str, value: Any) -> np.ndarray:
    """The ndarray MPI reads and writes in place for ``value``."""
    array = value.data if isinstance(value, Tensor) else value
    if type(array) is not np.ndarray:
        raise TypeError(f"{op}: takes a Tensor, an ndarray or a number, got {type(value).__name__}")
    if not (array.flags.c_contiguous and array.flags.writeable):
        raise ValueError(f"{op}: the array must be C-contiguous and writeable, got {array.shape}")
    return array


def fail(message: str, code: int = 1) -> None:
    """Print ``rank R failed: message`` and end the whole job with ``code``; one process: no-op."""
    if _World.comm is None:
        return
    if _World.rank:  # NOTE: an error every rank meets is then reported once, by rank 0
        time.sleep(0.5)
    print(f"rank {_World.rank} failed: {message}", file=sys.stderr, flush=True)
    _World.comm.Abort(code)


def _abort_on_error(kind: type[BaseException], error: BaseException, trace: Any) -> None:
    """sys.excepthook under MPI: the traceback, then one line naming the rank, then abort."""
    if not issubclass(kind, KeyboardInterrupt):
        traceback.print_exception(kind, error, trace)
    fail(f"{kind.__name__}: {error}")
