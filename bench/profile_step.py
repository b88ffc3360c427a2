"""Where a training step's time goes: each primitive's forward and backward, the optimiser,
and the rest (the engine's walk, node making and the model's Python), step by step.

Every primitive's ``forward`` and ``backward`` and every optimiser's ``step`` is wrapped in a
timer (exclusive: time spent in a nested wrapped call counts once, for the inner one), then
the workload's step runs ``--steps`` times after a warm-up. The wrappers cost about a
microsecond a call, which the "engine and glue" row absorbs: read it as an upper bound. The
report is one table per workload, biggest rows first, also written to
bench/results/profile_<workload>.md.

    python -m bench.profile_step [--workload cnn example mlp gpt tiny_user] [--steps 10]
"""

from __future__ import annotations

import argparse
import collections
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.data import load_mnist

from . import steps

Step = Callable[[], None]


def cnn_step() -> Step:
    """The README's CNN (``chainrule train --model cnn``), batch 128, Adam, as a user writes it."""
    from chainrule.training import build_model

    images, labels = load_mnist(train=True)
    cr.nn.init.manual_seed(0)
    model = build_model("cnn")
    opt = optim.Adam(model.parameters(), lr=5e-3)
    x, y = cr.tensor(images[:128]), labels[:128]

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def example_step() -> Step:
    """PyTorch's MNIST example network (bench.mnist_example_step), batch 64, Adadelta."""
    from .mnist_example_step import BATCH_SIZE, example_net

    images, labels = load_mnist(train=True)
    model = example_net()
    model.eval()  # dropout off, as bench.mnist_example_step times it
    opt = optim.Adadelta(model.parameters(), lr=1.0)
    x = cr.tensor(((images[:BATCH_SIZE] - 0.1307) / 0.3081).astype(np.float32))
    y = labels[:BATCH_SIZE]

    def step() -> None:
        opt.zero_grad()
        F.nll_loss(model(x), y).backward()
        opt.step()

    return step


def gpt_step() -> Step:
    """The names GPT of bench.gpt_step (4 layers, 4 heads, 64 wide, block 16), batch 32, AdamW."""
    from chainrule.models.gpt import GPT

    from .gpt_step import VOCAB

    cr.manual_seed(0)
    model = GPT(VOCAB, 16, n_layer=4, n_head=4, n_embd=64)
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    idx, targets = rng.integers(0, VOCAB, (32, 16)), rng.integers(0, VOCAB, (32, 16))

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(idx).reshape(-1, VOCAB), targets.reshape(-1)).backward()
        opt.step()

    return step


WORKLOADS: dict[str, Callable[[], Step]] = {
    "cnn": cnn_step,
    "example": example_step,
    "mlp": lambda: steps.chainrule_mlp(steps.mlp_data()),
    "gpt": gpt_step,
    "tiny_user": lambda: steps.chainrule_tiny_user(steps.tiny_data()),
}


class Timings:
    """Exclusive seconds and calls per (name, phase), from nested timers."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, str], float] = collections.defaultdict(float)
        self.calls: dict[tuple[str, str], int] = collections.defaultdict(int)
        self._inner: list[float] = []  # time of wrapped calls nested in each open one

    def wrap(self, method: Callable[..., Any], key: tuple[str, str]) -> Callable[..., Any]:
        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._inner.append(0.0)
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                self.seconds[key] += spent - self._inner.pop()
                self.calls[key] += 1
                if self._inner:
                    self._inner[-1] += spent

        return timed

    def clear(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def _classes(cls: type) -> Iterator[type]:
    """``cls`` and all its subclasses."""
    yield cls
    for sub in cls.__subclasses__():
        yield from _classes(sub)


@contextmanager
def instrumented(timings: Timings) -> Iterator[None]:
    """Time every primitive's forward and backward and every optimiser's step, then undo it."""
    patched = []
    for cls, methods in [(cr.Function, ("forward", "backward")), (optim.Optimizer, ("step",))]:
        for sub in set(_classes(cls)):
            for name in methods:
                if name in vars(sub):
                    phase = "optimiser" if cls is optim.Optimizer else name
                    patched.append((sub, name, vars(sub)[name]))
                    setattr(sub, name, timings.wrap(vars(sub)[name], (sub.__name__, phase)))
    try:
        yield
    finally:
        for sub, name, method in patched:
            setattr(sub, name, method)


def profile(workload: str, count: int) -> str:
    """The markdown table of one workload's step."""
    step = WORKLOADS[workload]()
    timings = Timings()
    with instrumented(timings):
        for _ in range(3):
            step()
        timings.clear()
        start = time.perf_counter()
        for _ in range(count):
            step()
        total = (time.perf_counter() - start) / count
    rows: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    calls: dict[str, float] = collections.defaultdict(float)
    column = {"forward": 0, "backward": 1, "optimiser": 2}
    for (name, phase), seconds in timings.seconds.items():
        rows[name][column[phase]] += seconds / count
        calls[name] = max(calls[name], timings.calls[name, phase] / count)
    measured = sum(sum(row) for row in rows.values())
    rows["(engine and glue)"] = [0.0, 0.0, 0.0, total - measured]
    lines = [
        f"### {workload}: {1e3 * total:.2f} ms a step ({count} steps)",
        "",
        "| op | calls/step | forward ms | backward ms | optimiser ms | other ms | share |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in sorted(rows.items(), key=lambda item: -sum(item[1])):
        share = sum(row) / total
        if share < 0.005:
            continue
        cells = " | ".join(f"{1e3 * value:.3f}" if value else "" for value in row)
        count_cell = f"{calls[name]:g}" if name in calls else ""
        lines.append(f"| {name} | {count_cell} | {cells} | {share:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()
    for workload in args.workload:
        report = profile(workload, args.steps)
        print(report)
        path = Path(args.out) / f"profile_{workload}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report)


if __name__ == "__main__":
    main()
