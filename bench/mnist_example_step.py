"""The training step of PyTorch's MNIST example (examples/pytorch_mnist.py) on chainrule and on
PyTorch, from the same weights and batch, interleaved in rounds.

A step is Adadelta on the example's conv net (two 3x3 convs, max pooling, two dropouts, 9216-128-10,
log_softmax + nll_loss) at its batch of 64. Dropout is switched off (eval mode) in both, so the
two do the same arithmetic; the result is the per-round ratio of mean step times, its median
and range. PyTorch gets two threads, as OpenBLAS does on a two-core machine.

``--memory STEPS`` instead trains each contender alone in a fresh process (dropout on, as in
training; PyTorch's process imports chainrule too, for the bundled MNIST: about 12 MiB) for
STEPS steps over consecutive batches and reports each process's peak resident memory.

    python -m bench.mnist_example_step [--rounds 10] [--steps 3] [--memory STEPS]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.data import load_mnist

from . import interleave, run_measured, spread

BATCH_SIZE = 64
PAUSE_S = 0.2


def example_net() -> cr.nn.Module:
    """The example's ``Net``, imported from examples/pytorch_mnist.py."""
    path = Path(__file__).resolve().parents[1] / "examples" / "pytorch_mnist.py"
    spec = importlib.util.spec_from_file_location("pytorch_mnist", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.Net()


def torch_net() -> Any:
    """The same network in PyTorch (torch is imported here: a chainrule process never loads it)."""
    import torch

    class TorchNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 32, 3, 1)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = torch.nn.Dropout(0.25)
            self.dropout2 = torch.nn.Dropout(0.5)
            self.fc1 = torch.nn.Linear(9216, 128)
            self.fc2 = torch.nn.Linear(128, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.nn.functional.relu(self.conv2(torch.nn.functional.relu(self.conv1(x))))
            x = self.dropout1(torch.flatten(torch.nn.functional.max_pool2d(x, 2), 1))
            x = self.fc2(self.dropout2(torch.nn.functional.relu(self.fc1(x))))
            return torch.nn.functional.log_softmax(x, dim=1)

    return TorchNet()


def _batches(steps: int) -> Any:
    """The first ``steps`` batches of the example's normalised training images."""
    images, labels = load_mnist(train=True)
    for start in range(0, steps * BATCH_SIZE, BATCH_SIZE):
        x = ((images[start : start + BATCH_SIZE] - 0.1307) / 0.3081).astype(np.float32)
        yield x, labels[start : start + BATCH_SIZE]


def train_alone(name: str, steps: int) -> None:
    """``steps`` training steps of one contender, in train mode (the --memory child)."""
    if name == "chainrule":
        model = example_net()
        opt = optim.Adadelta(model.parameters(), lr=1.0)
        for x, y in _batches(steps):
            opt.zero_grad()
            F.nll_loss(model(cr.tensor(x)), y).backward()
            opt.step()
        return
    import torch

    torch.set_num_threads(2)
    model = torch_net()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    for x, y in _batches(steps):
        opt.zero_grad()
        loss = torch.nn.functional.nll_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        opt.step()


def memory(steps: int) -> None:
    """Each contender's peak RSS over ``steps`` steps, each in a fresh process."""
    for name in ("chainrule", "pytorch"):
        command = [sys.executable, "-m", "bench.mnist_example_step", "--alone", name]
        peak = run_measured([*command, "--memory", str(steps)])["peak_rss_mib"]
        print(f"{name}: peak RSS {peak:.0f} MiB over {steps} training steps")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3, help="steps per timed block")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--memory", type=int, metavar="STEPS", help="peak RSS instead")
    parser.add_argument("--alone", choices=["chainrule", "pytorch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone:
        return train_alone(args.alone, args.memory)
    if args.memory:
        return memory(args.memory)
    import torch

    torch.set_num_threads(2)
    images, labels = load_mnist(train=True)
    x = ((images[:BATCH_SIZE] - 0.1307) / 0.3081).astype(np.float32)
    y = labels[:BATCH_SIZE]
    cr.manual_seed(1)
    ours = example_net().eval()
    theirs = torch_net().eval()
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    ours_opt = optim.Adadelta(ours.parameters(), lr=1.0)
    theirs_opt = torch.optim.Adadelta(theirs.parameters(), lr=1.0)
    x_ours, y_ours = cr.tensor(x), cr.tensor(y)
    x_theirs, y_theirs = torch.from_numpy(x), torch.from_numpy(y)

    def chainrule_step() -> float:
        ours_opt.zero_grad()
        loss = F.nll_loss(ours(x_ours), y_ours)
        loss.backward()
        ours_opt.step()
        return loss.item()

    def pytorch_step() -> float:
        theirs_opt.zero_grad()
        loss = torch.nn.functional.nll_loss(theirs(x_theirs), y_theirs)
        loss.backward()
        theirs_opt.step()
        return loss.item()

    first = chainrule_step(), pytorch_step()
    assert abs(first[0] - first[1]) < 1e-4, f"the twins disagree: losses {first}"
    contenders = {"chainrule": chainrule_step, "pytorch": pytorch_step}
    seconds = interleave(contenders, args.rounds, args.steps, PAUSE_S, args.warmup)
    ratios = [a / b for a, b in zip(seconds["chainrule"], seconds["pytorch"])]
    for name, times in seconds.items():
        print(f"{name}: {statistics.median(times) * 1e3:.1f} ms a step (median)")
    print(f"chainrule / pytorch: {spread(ratios)}, {args.rounds} rounds of {args.steps} steps")


if __name__ == "__main__":
    main()
