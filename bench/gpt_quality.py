"""The names GPT trained as ``chainrule train --model gpt`` trains it, on chainrule and on a
PyTorch twin from the same initial weights, on the same batches in the same order.

Everything is the names task's: the bundled surnames, the seeded 10% held out, the encoding,
SIZE, the recipe (Adam, cosine over every step) and the loop's batch size and shuffling. Both
are evaluated (test loss, nats per character, the end token included, as names.evaluate
computes it) ``--evals`` times an epoch; evaluation is left out of the wall times. PyTorch gets
two threads, as OpenBLAS does on a two-core machine. Prints both final test losses, both
training times, and PyTorch's training time until its test loss first reaches chainrule's
final one, to within ``--tolerance`` (at the resolution of the evaluations).

    python -m bench.gpt_quality [--epochs 2] [--limit N] [--evals 4] [--seed 0]
        [--tolerance 1e-4]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF

from chainrule import nn, optim
from chainrule.data import DataLoader
from chainrule.training import names
from chainrule.training.loop import TrainConfig, build_optimizer, resolve

from .gpt_step import TorchGPT


def torch_evaluate(model: torch.nn.Module, test: names.Encoded, batch_size: int = 1000) -> float:
    """names.evaluate for the PyTorch twin: summed cross-entropy over every test target."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(test.inputs), batch_size):
            targets = test.targets[start : start + batch_size]
            width = int((targets != names.IGNORE).any(axis=0).sum())
            logits = model(torch.from_numpy(test.inputs[start : start + batch_size, :width]))
            flat = logits.reshape(-1, logits.shape[-1])
            target = torch.from_numpy(np.ascontiguousarray(targets[:, :width]).reshape(-1))
            total += TF.cross_entropy(flat, target, reduction="sum").item()
    model.train()
    return total / int((test.targets != names.IGNORE).sum())


def eval_points(steps_per_epoch: int, epochs: int, evals: int) -> set[int]:
    """The steps after which both are evaluated: ``evals`` evenly spaced ones an epoch."""
    points = set()
    for epoch in range(epochs):
        for i in range(1, evals + 1):
            points.add(epoch * steps_per_epoch + round(i * steps_per_epoch / evals))
    return points


def run(
    step: Any, evaluate: Any, batches: list[tuple[np.ndarray, np.ndarray]], points: set[int]
) -> tuple[list[tuple[int, float, float]], float]:
    """Train on ``batches``; returns (step, training seconds so far, test loss) at ``points``
    and the total training seconds."""
    curve, seconds = [], 0.0
    for i, batch in enumerate(batches, start=1):
        start = time.perf_counter()
        step(batch)
        seconds += time.perf_counter() - start
        if i in points:
            curve.append((i, seconds, evaluate()))
    return curve, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's (2)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N items")
    parser.add_argument("--evals", type=int, default=4, help="test evaluations an epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tolerance", type=float, default=1e-4, help="reaching a loss: within this, in nats"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    config = resolve(TrainConfig(model="gpt", epochs=args.epochs, limit=args.limit, seed=args.seed))
    assert config.epochs is not None and config.lr is not None
    train_set, test = names.load_data(config)
    nn.init.manual_seed(config.seed)
    ours = names.build_model("gpt", **names.model_args(test))
    theirs = TorchGPT(test.block_size, **names.SIZE)
    assert ours.vocab_size == len(test.chars) + 1 == theirs.lm_head.out_features
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})

    # The loop's loader, epochs drawn up front: both train on exactly these batches.
    loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=True, seed=config.seed)
    batches = [batch for _ in range(config.epochs) for batch in loader]
    steps = len(batches)
    points = eval_points(len(loader), config.epochs, args.evals)

    ours_opt = build_optimizer(config, ours)  # Adam at the recipe's lr
    ours_schedule = optim.lr_scheduler.CosineAnnealingLR(ours_opt, T_max=steps)

    def chainrule_step(batch: tuple[np.ndarray, np.ndarray]) -> None:
        ours_opt.zero_grad()
        names.loss(ours, batch).backward()
        ours_opt.step()
        ours_schedule.step()

    assert config.optimizer == "adam"
    theirs_opt = torch.optim.Adam(theirs.parameters(), lr=config.lr)
    theirs_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(theirs_opt, T_max=steps)

    def pytorch_step(batch: tuple[np.ndarray, np.ndarray]) -> None:
        inputs, targets = (torch.from_numpy(a) for a in batch)
        theirs_opt.zero_grad()
        logits = theirs(inputs)
        TF.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)).backward()
        theirs_opt.step()
        theirs_schedule.step()

    initial = names.evaluate(ours, test), torch_evaluate(theirs, test)
    assert abs(initial[0] - initial[1]) < 1e-4, f"the twins disagree at the start: {initial}"
    print(
        f"names GPT {names.SIZE}, {len(train_set)} train items, {len(test.inputs)} test, "
        f"{config.epochs} epochs x {len(loader)} steps of {config.batch_size}, Adam lr "
        f"{config.lr:g} cosine; initial test loss {initial[0]:.4f}"
    )
    ours_curve, ours_s = run(chainrule_step, lambda: names.evaluate(ours, test), batches, points)
    theirs_eval = lambda: torch_evaluate(theirs, test)  # noqa: E731
    theirs_curve, theirs_s = run(pytorch_step, theirs_eval, batches, points)

    head = ("step", "chainrule s", "test loss", "pytorch s", "test loss")
    print("\n{:>6} {:>12} {:>10} {:>10} {:>10}".format(*head))
    for (i, a_s, a), (_, b_s, b) in zip(ours_curve, theirs_curve):
        print(f"{i:>6} {a_s:>12.1f} {a:>10.6f} {b_s:>10.1f} {b:>10.6f}")
    target = ours_curve[-1][2]
    reached = next(
        ((i, s) for i, s, value in theirs_curve if value <= target + args.tolerance), None
    )
    print(f"\n{'':<34} {'chainrule':>10} {'pytorch':>10}")
    print(f"{'final test loss (nats/char)':<34} {target:>10.6f} {theirs_curve[-1][2]:>10.6f}")
    print(f"{'training wall time (s)':<34} {ours_s:>10.1f} {theirs_s:>10.1f}")
    if reached is None:
        print(f"pytorch never came within {args.tolerance:g} of chainrule's final {target:.6f}")
    else:
        print(
            f"pytorch came within {args.tolerance:g} of chainrule's final test loss {target:.6f} "
            f"at step {reached[0]} of {steps} (the first evaluation there), after "
            f"{reached[1]:.1f} s of training ({reached[1] / ours_s:.2f}x chainrule's total)"
        )


if __name__ == "__main__":
    main()
