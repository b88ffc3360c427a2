"""Inference latency of the CLI's models: exported to ONNX and run in ONNX Runtime, against
chainrule's own forward under ``no_grad``, at batch 1 and batch 128, in one run.

The models are ``chainrule train``'s MLP and CNN (on MNIST-shaped random images) and the
names GPT (``--model gpt``'s size, 14 random tokens per row), at their initial weights
(latency does not depend on the values). Each is exported once per batch with
``cr.onnx.export`` and checked against chainrule's output. ONNX Runtime gets two
intra-op threads, as OpenBLAS has on this two-core machine. The two contenders run
interleaved in rounds, in alternating order, each a block of back-to-back calls sized to
~50 ms (after 0.5 s of warm-up calls), with a short pause before each block (spinning
BLAS threads settle). The result is the per-round ratio of mean call times, chainrule /
ONNX Runtime: its median and min-max range, beside each contender's median (and range)
in ms per call. Results go to bench/results/onnx_latency.json and .md.

    python -m bench.onnx_latency [--rounds 15] [--model mlp cnn gpt] [--batch 1 128]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort

import chainrule as cr
from chainrule.training import build_model
from chainrule.training.names import build_model as build_gpt

from . import machine, save, spread, summary

PAUSE_S = 0.15
BLOCK_S = 0.05
WARMUP_S = 0.5  # first calls allocate (and chainrule's allocator fills its free lists)
BLOCK_SIZE = 14  # the names GPT's context: the longest surname (13) and its end token


def make_model(name: str) -> cr.nn.Module:
    cr.manual_seed(0)
    model = build_gpt("gpt", block_size=BLOCK_SIZE) if name == "gpt" else build_model(name)
    return model.eval()


def make_input(name: str, batch: int) -> np.ndarray:
    rng = np.random.default_rng(batch)
    if name == "gpt":
        return rng.integers(0, 27, (batch, BLOCK_SIZE))
    return rng.random((batch, 1, 28, 28), dtype=np.float32)


def contenders(name: str, batch: int, folder: Path) -> dict[str, Callable[[], object]]:
    """The two zero-argument calls, checked to agree to 1e-5."""
    model, x = make_model(name), make_input(name, batch)
    path = folder / f"{name}-{batch}.onnx"
    cr.onnx.export(model, x, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {"input": x}
    tensor = cr.tensor(x)

    def chainrule_forward() -> object:
        with cr.no_grad():
            return model(tensor)

    def onnxruntime_run() -> object:
        return session.run(None, feed)

    ours, theirs = chainrule_forward().data, onnxruntime_run()[0]  # type: ignore[attr-defined]
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)
    return {"chainrule": chainrule_forward, "onnxruntime": onnxruntime_run}


def block_size(call: Callable[[], object]) -> int:
    """Calls per block: about BLOCK_S seconds' worth, measured after WARMUP_S of calls."""
    start = time.perf_counter()
    while time.perf_counter() - start < WARMUP_S:
        call()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < BLOCK_S or count < 3:
        call()
        count += 1
    return max(1, round(count * BLOCK_S / (time.perf_counter() - start)))


def time_block(call: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - start) / count


def run(name: str, batch: int, rounds: int, folder: Path) -> dict:
    calls = contenders(name, batch, folder)
    sizes = {who: block_size(call) for who, call in calls.items()}
    times: dict[str, list[float]] = {who: [] for who in calls}
    names = list(calls)
    for round_ in range(rounds):
        for who in names if round_ % 2 == 0 else names[::-1]:
            time.sleep(PAUSE_S)
            times[who].append(time_block(calls[who], sizes[who]))
    ratios = [c / o for c, o in zip(times["chainrule"], times["onnxruntime"])]
    return {
        "model": name,
        "batch": batch,
        "calls_per_block": sizes,
        "ms": {who: summary(t, 1e3) for who, t in times.items()},
        "chainrule/onnxruntime": summary(ratios),
        "times_s": times,
    }


def markdown(results: list[dict]) -> str:
    lines = [
        "| model | batch | chainrule ms (min-max) | onnxruntime ms (min-max) "
        "| chainrule/onnxruntime median (min-max) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        ours, theirs, ratio = (
            r["ms"]["chainrule"],
            r["ms"]["onnxruntime"],
            r["chainrule/onnxruntime"],
        )
        lines.append(
            f"| {r['model']} | {r['batch']} "
            f"| {spread(ours, digits=3)} | {spread(theirs, digits=3)} | {spread(ratio)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--model", nargs="+", choices=["mlp", "cnn", "gpt"], default=["mlp", "cnn", "gpt"]
    )
    parser.add_argument("--batch", nargs="+", type=int, default=[1, 128])
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()
    cr.keep_freed_memory()  # as chainrule train does
    with tempfile.TemporaryDirectory() as folder:
        results = [
            run(name, batch, args.rounds, Path(folder))
            for name in args.model
            for batch in args.batch
        ]
    report = {"machine": machine(onnxruntime=ort.__version__), "rounds": args.rounds}
    save(args.out, "onnx_latency", {**report, "results": results}, markdown(results))


if __name__ == "__main__":
    main()
