"""``DataParallel``: one model replica per rank, gradients averaged during backward.

Gradients travel in buckets, flat buffers of about ``bucket_cap_mb`` each, filled in the
reverse order of ``parameters()`` (roughly the order backward finishes them). A bucket's
non-blocking allreduce starts as soon as the engine reports all its gradients final (the
post-accumulate-grad hook), so communication overlaps the rest of the backward; buckets
start in the same order on every rank, as MPI requires; the last, with nothing left to
overlap, is a blocking allreduce, after which backward waits for the others.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..nn.module import Module
from ..tensor import Tensor
from . import comm


class _Bucket:
    """Parameters whose gradients share one flat buffer and one allreduce."""

    def __init__(self, params: Sequence[Tensor]) -> None:
        self.params = params
        sizes = [p.data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.buffer = np.empty(self.offsets[-1], dtype=params[0].data.dtype)
        self.ready = 0
        self.request: Any = None

    def grads(self) -> list[np.ndarray]:
        """The parameters' gradient arrays: the bucket is full, so every one has its grad."""
        grads = [p.grad.data for p in self.params if p.grad is not None]
        assert len(grads) == len(self.params), "DataParallel: a full bucket lacks a gradient"
        return grads

    def pack(self) -> None:
        for grad, start, end in zip(self.grads(), self.offsets, self.offsets[1:]):
            self.buffer[start:end] = grad.reshape(-1)

    def unpack(self, scale: float) -> None:
        """Each gradient becomes ``scale`` * its slice of the reduced buffer, in place."""
        for grad, start, end in zip(self.grads(), self.offsets, self.offsets[1:]):
            np.multiply(self.buffer[start:end].reshape(grad.shape), scale, out=grad)


class DataParallel(Module):
    """Train ``module`` on every rank of an MPI job, each on its own part of the batch.

    At construction every rank takes rank 0's parameters and buffers. In each backward
    the gradients are averaged over the ranks (summed and divided by the world size), so
    with each rank's loss the mean over its equal share of a batch, every rank holds the
    gradient of the whole batch's mean loss and the optimisers stay in step. Batch-norm
    statistics stay per rank, as in PyTorch's DDP. Every parameter that requires grad
    must receive one in each backward. On one process it only calls ``module``.

    Args:
        module: the model; every rank builds the same architecture.
        bucket_cap_mb: the size of a gradient bucket, in MiB; ``None`` sends all
            gradients in one buffer once the whole backward is done (no overlap).

    Attributes:
        wait_seconds: time backward has spent waiting for allreduces to finish.
    """

    def __init__(self, module: Module, bucket_cap_mb: float | None = 1.0) -> None:
        super().__init__()
        self.module = module
        self.wait_seconds = 0.0
        self._buckets: list[_Bucket] = []
        self._bucket_of: dict[int, _Bucket] = {}
        self._started = 0  # buckets whose allreduce has begun in this backward
        if comm.world_size() == 1:
            return
        for array in [p.data for p in module.parameters()] + list(module.buffers()):
            if array is not None:
                comm.broadcast(array)
        params = [p for p in module.parameters() if p.requires_grad]
        cap = None if bucket_cap_mb is None else bucket_cap_mb * 2**20
        for group in _groups(params[::-1], cap):
            bucket = _Bucket(group)
            self._buckets.append(bucket)
            for p in group:
                self._bucket_of[id(p)] = bucket
                p.register_post_accumulate_grad_hook(self._grad_ready)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if any(bucket.ready for bucket in self._buckets):
            missing = [
                name
                for name, p in self.module.named_parameters()
                if id(p) in self._bucket_of and not _full(self._bucket_of[id(p)])
            ]
            raise RuntimeError(
                "DataParallel: the last backward gave no gradient to "
                f"{', '.join(missing[:3]) or 'some parameters'}; every parameter that "
                "requires grad must take part in each step"
            )
        return self.module(*args, **kwargs)

    def _grad_ready(self, param: Tensor) -> None:
        """The engine's hook: ``param.grad`` is final; start every bucket now complete."""
        from mpi4py import MPI

        self._bucket_of[id(param)].ready += 1
        buckets = self._buckets
        while self._started < len(buckets) - 1 and _full(buckets[self._started]):
            bucket = buckets[self._started]
            bucket.pack()
            bucket.request = comm._World.comm.Iallreduce(MPI.IN_PLACE, bucket.buffer, op=MPI.SUM)
            self._started += 1
        if self._started == len(buckets) - 1 and _full(buckets[-1]):
            self._finish()
        elif self._started:  # MPI progresses a non-blocking collective only inside its calls
            MPI.Request.Testall([b.request for b in buckets[: self._started]])

    def _finish(self) -> None:
        """Reduce the last bucket, wait for the others, hand each parameter its average and
        reset for the next step. NOTE: nothing is left to overlap with the last bucket, so
        it goes by a blocking allreduce, which Open MPI runs faster than a non-blocking one."""
        from mpi4py import MPI

        last = self._buckets[-1]
        last.pack()
        start = time.perf_counter()
        comm._World.comm.Allreduce(MPI.IN_PLACE, last.buffer, op=MPI.SUM)
        MPI.Request.Waitall([bucket.request for bucket in self._buckets[:-1]])
        self.wait_seconds += time.perf_counter() - start
        scale = 1.0 / comm.world_size()
        for bucket in self._buckets:
            bucket.unpack(scale)
            bucket.ready, bucket.request = 0, None
        self._started = 0


def _full(bucket: _Bucket) -> bool:
    return bucket.ready == len(bucket.params)


def _groups(params: Sequence[Tensor], cap: float | None) -> list[list[Tensor]]:
    """Consecutive parameters of one dtype, about ``cap`` bytes a group (None: one group)."""
    groups: list[list[Tensor]] = []
    size = 0.0
    for p in params:
        fits = groups and groups[-1][0].data.dtype == p.data.dtype
        if fits and (cap is None or size + p.data.nbytes <= cap):
            groups[-1].append(p)
            size += p.data.nbytes
        else:
            groups.append([p])
            size = p.data.nbytes
    return groups
