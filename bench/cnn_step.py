"""One CNN training step: chainrule against PyTorch CPU and bare GEMMs, interleaved.

Both contenders run the architecture of ``chainrule train --model cnn`` (PyTorch's copy is
built layer by layer from it and starts from the same weights) on the same 128 MNIST
images: forward, cross-entropy, backward and an SGD step with momentum 0.9. PyTorch gets
two threads, as OpenBLAS does on a two-core machine. Each round times a block of steps of
each, back to back as in training, in alternating order, with a short sleep before every
block (spinning BLAS threads of the previous contender settle). The result is the
per-round ratio of mean step times, chainrule / PyTorch: its median and range, and the
ratio of the two fastest blocks. A third contender, ``gemm_floor``, runs only the step's
matrix products, the arithmetic no framework can skip. chainrule's optimiser calls
``keep_freed_memory`` when it is made, which applies to every contender of the process.

    python -m bench.cnn_step [--rounds 20] [--steps 5] [--warmup 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import chainrule as cr
import chainrule.nn as nn
from chainrule import optim
from chainrule.data import load_mnist
from chainrule.nn import functional as F
from chainrule.training import build_model

from . import interleave, summary

BATCH_SIZE = 128
PAUSE_S = 0.2


def torch_twin(model: nn.Sequential) -> torch.nn.Sequential:
    """The same layers in PyTorch, holding copies of ``model``'s weights."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, nn.Conv2d):
            twin = torch.nn.Conv2d(
                layer.in_channels,
                layer.out_channels,
                layer.kernel_size,
                layer.stride,
                layer.padding,
                bias=layer.bias is not None,
            )
        elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            kind = getattr(torch.nn, type(layer).__name__)
            twin = kind(layer.num_features, layer.eps, layer.momentum)
        elif isinstance(layer, nn.MaxPool2d):
            twin = torch.nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, nn.Linear):
            twin = torch.nn.Linear(layer.in_features, layer.out_features)
        elif isinstance(layer, nn.ReLU):
            twin = torch.nn.ReLU()
        elif isinstance(layer, nn.Flatten):
            twin = torch.nn.Flatten()
        else:
            raise TypeError(f"torch_twin: no PyTorch twin for {type(layer).__name__}")
        layers.append(twin)
    twin_model = torch.nn.Sequential(*layers)
    twin_model.load_state_dict(
        {key: torch.from_numpy(np.array(value)) for key, value in _torch_keys(model).items()},
        strict=False,
    )
    return twin_model


def gemm_floor(model: nn.Sequential, images: np.ndarray) -> Callable[[], None]:
    """Only the matrix products of the step, each as one GEMM with the fewest FLOPs: the
    forward, the weight gradients and the input gradients (not the first layer's) of every
    convolution (as im2col GEMMs) and Linear layer. No framework does less arithmetic."""
    rng = np.random.default_rng(0)
    shapes = []  # (M, K, N) of each product
    x = cr.Tensor(images)
    for index, layer in enumerate(model.layers):
        out = layer(x)
        if isinstance(layer, nn.Conv2d):
            m = out.shape[0] * out.shape[2] * out.shape[3]
            k, o = x.shape[1] * layer.kernel_size[0] * layer.kernel_size[1], layer.out_channels
        elif isinstance(layer, nn.Linear):
            m, k, o = x.shape[0], layer.in_features, layer.out_features
        else:  # no matrix product in this layer
            x = out
            continue
        # forward, weight gradient, and input gradient (the image needs none)
        shapes += [(m, k, o), (o, m, k)] + ([(m, o, k)] if index > 0 else [])
        x = out
    pairs = [
        (
            rng.standard_normal((m, k), dtype=np.float32),
            rng.standard_normal((k, n), dtype=np.float32),
        )
        for m, k, n in shapes
    ]

    def step() -> None:
        for a, b in pairs:
            a @ b

    return step


def _torch_keys(model: nn.Sequential) -> dict[str, np.ndarray]:
    """chainrule's "layers.3.weight" is PyTorch's "3.weight"."""
    return {key.removeprefix("layers."): value for key, value in model.state_dict().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=5, help="steps per timed block")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="bench/results/cnn_step.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    images, labels = load_mnist(train=True)
    images, labels = images[:BATCH_SIZE], labels[:BATCH_SIZE]
    nn.init.manual_seed(0)
    model = build_model("cnn")
    twin = torch_twin(model)
    ours_opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    torch_opt = torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.9)
    torch_images, torch_labels = torch.from_numpy(images), torch.from_numpy(labels)

    def chainrule_step() -> float:
        ours_opt.zero_grad()
        loss = F.cross_entropy(model(cr.Tensor(images)), labels)
        loss.backward()
        ours_opt.step()
        return loss.item()

    def pytorch_step() -> float:
        torch_opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(twin(torch_images), torch_labels)
        loss.backward()
        torch_opt.step()
        return loss.item()

    first = chainrule_step(), pytorch_step()  # same weights, same batch: same loss
    assert abs(first[0] - first[1]) < 1e-4, f"the twins disagree: losses {first}"
    with cr.no_grad():
        floor = gemm_floor(model, images)
    contenders = {"chainrule": chainrule_step, "pytorch": pytorch_step, "gemm_floor": floor}
    seconds = interleave(contenders, args.rounds, args.steps, PAUSE_S, args.warmup)

    ratios = [a / b for a, b in zip(seconds["chainrule"], seconds["pytorch"])]
    over_floor = {
        name: round(
            statistics.median(t / f for t, f in zip(seconds[name], seconds["gemm_floor"])), 3
        )
        for name in ("chainrule", "pytorch")
    }
    report = {
        "benchmark": "one training step of `chainrule train --model cnn`, batch 128",
        "architecture": repr(model),
        "rounds": args.rounds,
        "steps_per_block": args.steps,
        "threads": args.threads,
        "versions": {"numpy": np.__version__, "torch": torch.__version__},
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
        "ratio": {key: round(value, 3) for key, value in summary(ratios).items()},
        # The fastest block of each: less sensitive to other load on a shared machine.
        "ratio_of_fastest": round(min(seconds["chainrule"]) / min(seconds["pytorch"]), 3),
        "ms": {
            name: {key: round(value, 2) for key, value in summary(values, 1e3).items()}
            for name, values in seconds.items()
        },
        "ratios": [round(r, 3) for r in ratios],
        "median_ratio_to_gemm_floor": over_floor,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print("| contender | median ms | min ms | max ms |")
    print("|---|---|---|---|")
    for name, row in report["ms"].items():
        print(f"| {name} | {row['median']} | {row['min']} | {row['max']} |")
    ratio = report["ratio"]
    print(
        f"\nchainrule / pytorch per round: median {ratio['median']}x "
        f"(min {ratio['min']}, max {ratio['max']}) over {args.rounds} rounds; "
        f"fastest block / fastest block: {report['ratio_of_fastest']}x\n"
        f"over the bare GEMMs of the step: chainrule {over_floor['chainrule']}x, "
        f"pytorch {over_floor['pytorch']}x"
    )


if __name__ == "__main__":
    main()
