"""One primitive's forward and backward on chainrule and on PyTorch, at the shapes of the
benchmarked steps: where each step's distance from PyTorch comes from, op by op.

Each case builds its inputs as the layer before makes them in a step (a convolution's
output for pooling, batch norm and ReLU: channel-major in chainrule, NCHW in PyTorch), then
times forward + backward of the one op, interleaved in rounds with a pause between
contenders; "numpy GEMMs" is the op's matrix products alone, as chainrule's im2col
convolution or Linear runs them. The report gives medians and the paired ratio's median
and min-max, in bench/results/kernels.md.

    python -m bench.kernels [--rounds 9] [--case conv2_example ln_gpt ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as F

from . import interleave, machine, save, spread

PAUSE_S = 0.1
Case = dict[str, Callable[[], None]]


def _pair(shape: tuple[int, ...], rng: np.random.Generator) -> tuple[cr.Tensor, torch.Tensor]:
    data = rng.standard_normal(shape).astype(np.float32)
    return cr.tensor(data, requires_grad=True), torch.from_numpy(data).requires_grad_()


def _forward_backward(ours: Callable, theirs: Callable, *inputs: tuple) -> Case:
    """forward + backward (against a fixed upstream gradient) of each contender."""
    rng = np.random.default_rng(1)
    mine, yours = zip(*inputs)
    out = ours(*mine)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    seed_ours, seed_theirs = cr.tensor(grad), torch.from_numpy(grad)

    def chainrule_step() -> None:
        ours(*mine).backward(seed_ours)
        for t in mine:
            t.grad = None

    def pytorch_step() -> None:
        theirs(*yours).backward(seed_theirs)
        for t in yours:
            t.grad = None

    return {"chainrule": chainrule_step, "pytorch": pytorch_step}


def _after_conv(batch: int, channels: int, size: int, rng: np.random.Generator) -> tuple:
    """An activation as a convolution leaves it: chainrule's channel-major, PyTorch's NCHW."""
    data = rng.standard_normal((batch, channels, size, size)).astype(np.float32)
    ones = np.ones((channels, channels, 1, 1), np.float32) / channels
    with cr.no_grad():
        ours = F.conv2d(cr.tensor(data), cr.tensor(ones))  # channel-major, as in a step
    ours = cr.tensor(ours.data, requires_grad=True)
    theirs = TF.conv2d(torch.from_numpy(data), torch.from_numpy(ones)).requires_grad_()
    return ours, theirs


def conv(batch: int, channels: int, size: int, out: int, kernel: int) -> Callable[[], Case]:
    def case() -> Case:
        rng = np.random.default_rng(0)
        x = _pair((batch, channels, size, size), rng)
        w = _pair((out, channels, kernel, kernel), rng)
        timed = _forward_backward(F.conv2d, TF.conv2d, x, w)
        rows = batch * (size - kernel + 1) ** 2
        cols = rng.standard_normal((rows, channels * kernel * kernel)).astype(np.float32)
        w_mat = rng.standard_normal((channels * kernel * kernel, out)).astype(np.float32)
        g = rng.standard_normal((rows, out)).astype(np.float32)
        timed["numpy GEMMs"] = lambda: (cols @ w_mat, g @ w_mat.T, cols.T @ g)
        return timed

    return case


def after_conv(op: str, batch: int, channels: int, size: int) -> Callable[[], Case]:
    def case() -> Case:
        rng = np.random.default_rng(0)
        x = _after_conv(batch, channels, size, rng)
        if op == "max_pool2d":
            return _forward_backward(lambda a: F.max_pool2d(a, 2), lambda a: TF.max_pool2d(a, 2), x)
        if op == "relu":
            return _forward_backward(F.relu, TF.relu, x)
        w, b = _pair((channels,), rng), _pair((channels,), rng)
        return _forward_backward(
            lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True),
            lambda a, w, b: TF.batch_norm(a, None, None, w, b, training=True),
            x, w, b,
        )  # fmt: skip

    return case


def gpt_op(op: str) -> Callable[[], Case]:
    """The names GPT's ops (bench.gpt_step: batch 32, block 16, 64 wide, 4 heads)."""

    def case() -> Case:
        rng = np.random.default_rng(0)
        if op == "layer_norm":
            x, w, b = _pair((32, 16, 64), rng), _pair((64,), rng), _pair((64,), rng)
            return _forward_backward(
                lambda a, w, b: F.layer_norm(a, (64,), w, b),
                lambda a, w, b: TF.layer_norm(a, (64,), w, b),
                x, w, b,
            )  # fmt: skip
        if op == "gelu":
            x = _pair((32, 16, 256), rng)
            return _forward_backward(
                lambda a: F.gelu(a, approximate="tanh"),
                lambda a: TF.gelu(a, approximate="tanh"),
                x,
            )
        if op == "attention":
            q, k, v = (_pair((32, 4, 16, 16), rng) for _ in range(3))
            return _forward_backward(
                lambda *a: F.scaled_dot_product_attention(*a, is_causal=True),
                lambda *a: TF.scaled_dot_product_attention(*a, is_causal=True),
                q, k, v,
            )  # fmt: skip
        x, w, b = _pair((32, 16, 64), rng), _pair((192, 64), rng), _pair((192,), rng)
        timed = _forward_backward(F.linear, TF.linear, x, w, b)
        x2, g = x[0].data.reshape(-1, 64), rng.standard_normal((512, 192)).astype(np.float32)
        w_data = w[0].data
        timed["numpy GEMMs"] = lambda: (x2 @ w_data.T, g @ w_data, g.T @ x2)
        return timed

    return case


CASES = {
    "conv1_cnn": conv(128, 1, 28, 16, 5),  # chainrule train --model cnn
    "conv2_cnn": conv(128, 16, 12, 32, 5),
    "pool_cnn": after_conv("max_pool2d", 128, 16, 24),
    "bn_cnn": after_conv("batch_norm", 128, 16, 24),
    "conv1_example": conv(64, 1, 28, 32, 3),  # PyTorch's MNIST example
    "conv2_example": conv(64, 32, 26, 64, 3),
    "pool_example": after_conv("max_pool2d", 64, 64, 24),
    "relu_example": after_conv("relu", 64, 64, 24),
    "linear_gpt": gpt_op("linear"),  # the names GPT
    "ln_gpt": gpt_op("layer_norm"),
    "gelu_gpt": gpt_op("gelu"),
    "attention_gpt": gpt_op("attention"),
}


def time_case(case: Case, rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each contender, one block of calls a round, in rotating order."""
    for run in case.values():  # warm up, and size a block to about 50 ms
        run()
    start = time.perf_counter()
    case["chainrule"]()
    calls = max(3, int(0.05 / max(time.perf_counter() - start, 1e-6)))
    return interleave(case, rounds, calls, PAUSE_S)


def markdown(results: dict[str, dict[str, list[float]]]) -> str:
    lines = [
        "| op (forward + backward) | chainrule ms | PyTorch ms | numpy GEMMs ms "
        "| chainrule / PyTorch |",
        "|---|---|---|---|---|",
    ]
    for name, times in results.items():
        ratios = [a / b for a, b in zip(times["chainrule"], times["pytorch"])]
        gemm = times.get("numpy GEMMs")
        lines.append(
            f"| {name} | {1e3 * statistics.median(times['chainrule']):.3f} "
            f"| {1e3 * statistics.median(times['pytorch']):.3f} "
            f"| {'-' if gemm is None else f'{1e3 * statistics.median(gemm):.3f}'} "
            f"| {spread(ratios)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--case", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()
    torch.set_num_threads(2)  # this machine's cores; PyTorch and OpenBLAS get the same
    cr.keep_freed_memory()  # as every chainrule optimiser does in a step
    results = {name: time_case(CASES[name](), args.rounds) for name in args.case}
    report = {"machine": machine(torch=torch.__version__), "rounds": args.rounds,
              "seconds": results}  # fmt: skip
    save(args.out, "kernels", report, markdown(results))


if __name__ == "__main__":
    main()
