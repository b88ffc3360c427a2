"""Time to a trained MNIST model: ``chainrule train`` against a PyTorch CPU MLP.

Each contender runs in its own process, timed from process start: chainrule's default
``chainrule train`` to its final line, and PyTorch's 784-256-256-10 MLP (Adam 1e-3,
batch 128) until its test accuracy first reaches 98%. Peak resident memory comes from
``getrusage`` of each finished child. Runs alternate, so both see the same machine.

    python -m bench.mnist_time [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from . import run_measured

TORCH_SCRIPT = r"""
import time, sys
import numpy as np
import torch
from chainrule.data import load_mnist

torch.manual_seed(0)
train_x, train_y = load_mnist(train=True)
test_x, test_y = load_mnist(train=False)
train_x, train_y = torch.from_numpy(train_x.reshape(-1, 784)), torch.from_numpy(train_y)
test_x, test_y = torch.from_numpy(test_x.reshape(-1, 784)), torch.from_numpy(test_y)
model = torch.nn.Sequential(
    torch.nn.Linear(784, 256), torch.nn.ReLU(),
    torch.nn.Linear(256, 256), torch.nn.ReLU(),
    torch.nn.Linear(256, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
generator = torch.Generator().manual_seed(0)
for epoch in range(1, 31):
    order = torch.randperm(len(train_x), generator=generator)
    model.train()
    for start in range(0, len(order), 128):
        index = order[start:start + 128]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(train_x[index]), train_y[index])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    print(f"epoch {epoch} test_acc {accuracy:.4f}", flush=True)
    if accuracy >= 0.98:
        break
print(f"test accuracy: {accuracy:.4f}", flush=True)
"""


def measure(command: list[str]) -> dict[str, float | str]:
    """One run of ``command`` (bench.run_measured): seconds, peak RSS, epochs, final line."""
    run = run_measured(command)
    lines = run["stdout"].splitlines()
    return {
        "seconds": round(run["seconds"], 2),
        "peak_rss_mib": round(run["peak_rss_mib"], 1),
        "epochs": sum(line.startswith("epoch") for line in lines),
        "final": [line for line in lines if line.startswith("test accuracy")][-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="bench/results/mnist_time.json")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float | str]]] = {"chainrule": [], "pytorch": []}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            run_dir = os.path.join(folder, f"run{round_}")
            results["chainrule"].append(
                measure([sys.executable, "-m", "chainrule", "train", "--out", run_dir])
            )
            results["pytorch"].append(measure([sys.executable, "-c", TORCH_SCRIPT]))
            for name in results:
                print(name, results[name][-1], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print("\n| contender | seconds to final line (each round) | peak RSS MiB | final |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        seconds = ", ".join(str(r["seconds"]) for r in rows)
        peak = max(r["peak_rss_mib"] for r in rows)
        print(f"| {name} | {seconds} | {peak} | {rows[-1]['final']} |")


if __name__ == "__main__":
    main()
