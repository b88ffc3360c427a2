"""What tests/test_distributed.py runs under ``mpiexec -n 2``: ``mpi_worker.py JOB OUT``.

Each job writes what the test checks into OUT (npz files, never pickles). Nothing runs at
import, so pytest's doctest collection can import this file.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys

import numpy as np

BATCH, STEPS = 64, 20  # the global batch and the steps of the equivalence runs


def equivalence_data() -> tuple[np.ndarray, np.ndarray]:
    """A float64 regression set of exactly BATCH * STEPS samples."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH * STEPS, 6))
    y = np.sin(x @ rng.standard_normal((6, 2)))
    return x, y


def train_small(optimizer: str, world: int, rank: int, bucket_cap_mb: float | None):
    """STEPS steps of a 6-16-16-2 tanh MLP in float64 at global batch BATCH, as rank ``rank``
    of ``world``; on one process (world 1) without DataParallel. Returns the weights."""
    import chainrule as cr
    from chainrule import data, distributed, nn, optim
    from chainrule.nn import functional as F

    nn.init.manual_seed(rank)  # ranks start apart: DataParallel must broadcast rank 0's
    layers = [nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2)]
    model = nn.Sequential(*layers)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    net = distributed.DataParallel(model, bucket_cap_mb) if world > 1 else model
    params = list(model.parameters())
    started: list[int] = []  # how many of the step's gradients were final at each Iallreduce
    world_comm = distributed.comm._World.comm
    if world > 1:
        final = [0]
        for p in params:  # after DataParallel's own hook: counts the gradients made final
            p.register_post_accumulate_grad_hook(lambda _: final.__setitem__(0, final[0] + 1))
        distributed.comm._World.comm = _Noting(world_comm, started, final, len(params))
    opt = optim.SGD(params, 0.1, momentum=0.9) if optimizer == "sgd" else optim.Adam(params, 1e-2)
    x, y = equivalence_data()
    dataset = data.TensorDataset(x, y)
    if world > 1:
        sampler = data.DistributedSampler(dataset, world, rank, seed=7)
        loader = data.DataLoader(dataset, BATCH // world, sampler=sampler)
    else:
        loader = data.DataLoader(dataset, BATCH, shuffle=True, seed=7)
    for inputs, targets in loader:
        opt.zero_grad()
        F.mse_loss(net(cr.tensor(inputs)), cr.tensor(targets)).backward()
        opt.step()
    distributed.comm._World.comm = world_comm
    weights = {name: p.data.copy() for name, p in model.named_parameters()}
    weights["buckets"] = np.array(len(getattr(net, "_buckets", [])))
    weights["started"] = np.array(started, dtype=int)
    return weights


class _Noting:
    """The world's communicator, noting how many gradients were final at each Iallreduce."""

    def __init__(self, comm, notes: list[int], final: list[int], count: int) -> None:
        self.comm, self.notes, self.final, self.count = comm, notes, final, count

    def Iallreduce(self, *args, **kwargs):  # noqa: N802  (mpi4py's name)
        self.notes.append(self.final[0] % self.count)
        return self.comm.Iallreduce(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.comm, name)


def equivalence(out: str) -> None:
    from chainrule import distributed

    rank = distributed.rank()
    for optimizer in ("sgd", "adam"):
        for cap in (None, 0.0005):  # one bucket after backward; a bucket per parameter
            weights = train_small(optimizer, distributed.world_size(), rank, cap)
            np.savez(f"{out}/{optimizer}-{cap}-{rank}.npz", **weights)


def collectives(out: str) -> None:
    """all_reduce, broadcast and every rank's sampler shard for two epochs."""
    from chainrule import data, distributed

    rank = distributed.rank()
    summed = distributed.all_reduce(np.array([1.0, rank]))
    maximum = distributed.all_reduce(float(rank), op="max")
    sent = distributed.broadcast(np.full(3, 10.0 + rank))
    try:  # refused before any message, on every rank alike: no rank is left waiting
        distributed.all_reduce(np.array([1, 2]), op="mean")
        refused = ""
    except TypeError as error:
        refused = str(error)
    sampler = data.DistributedSampler(range(11), seed=3)
    shards = []
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        shards.append(list(sampler))
    distributed.barrier()
    np.savez(
        f"{out}/{rank}.npz",
        summed=summed,
        maximum=maximum,
        sent=sent,
        shards=shards,
        refused=refused,
    )


def killed(out: str) -> None:
    """``chainrule train --distributed``, with rank 1 killed (SIGKILL) in the second epoch."""
    from chainrule import cli, distributed
    from chainrule.training import loop
    from chainrule.training.mnist import MNIST

    steps = 0

    def loss(model, batch):
        nonlocal steps
        steps += 1
        if distributed.rank() == 1 and steps == int(os.environ["KILL_AT_STEP"]):
            os.kill(os.getpid(), signal.SIGKILL)
        return MNIST.loss(model, batch)

    loop.task_for = lambda name: dataclasses.replace(MNIST, loss=loss)  # type: ignore[assignment]
    args = ["train", "--distributed", "--limit", "512", "--batch-size", "64", "--epochs", "2"]
    sys.exit(cli.main([*args, "--out", out]))


def raises(out: str) -> None:
    """Rank 1 raises while rank 0 waits in a barrier: the job must end, naming rank 1."""
    from chainrule import distributed

    if distributed.rank() == 1:
        raise ValueError("boom on purpose")
    distributed.barrier()


if __name__ == "__main__":
    {"equivalence": equivalence, "collectives": collectives, "killed": killed, "raises": raises}[
        sys.argv[1]
    ](sys.argv[2])
