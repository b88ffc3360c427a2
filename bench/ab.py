"""Before and after in one process: the same training steps on chainrule trees of other revisions.

Each REV's ``src/chainrule`` is exported (``git archive``) into a temporary folder under a
package name of its own (``chainrule_<rev>``), and so is the working tree (``chainrule_work``,
uncommitted changes included), so the trees import side by side. Every workload's step is
built on each tree and timed in interleaved rounds (``bench.interleave``): the report gives
each tree's median step time and its paired ratio against the first REV, median and
min-max. ``--control`` adds a second copy of the first REV, whose ratio shows the run's
noise: this machine drifts by more than the changes a hot-path commit makes.

    python -m bench.ab REV [REV ...] [--workload tiny user mlp cnn gpt example]
                       [--rounds 15] [--control]
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import interleave, machine, save, spread, steps, summary

ROOT = Path(__file__).resolve().parents[1]
PAUSE_SECONDS = 0.05
_IMPORT = re.compile(r"\b(from|import) chainrule\b")
_trees = tempfile.TemporaryDirectory(prefix="chainrule-ab-")  # lives as long as the process
sys.path.insert(0, _trees.name)


def _renamed(folder: Path, name: str) -> ModuleType:
    """Import the package in ``folder`` as ``name``, its absolute imports rewritten to match."""
    for path in folder.rglob("*.py"):
        text = path.read_text()
        path.write_text(_IMPORT.sub(rf"\1 {name}", text).replace('"chainrule.', f'"{name}.'))
    folder.rename(Path(_trees.name) / name)
    return importlib.import_module(name)


def tree(rev: str | None, name: str) -> ModuleType:
    """chainrule at git revision ``rev`` (None: the working tree) as the package ``name``."""
    staging = Path(tempfile.mkdtemp(dir=_trees.name))
    if rev is None:
        shutil.copytree(
            ROOT / "src" / "chainrule",
            staging / "src" / "chainrule",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    else:
        archive = subprocess.run(
            ["git", "archive", rev, "src/chainrule"], cwd=ROOT, capture_output=True
        )
        if archive.returncode:
            raise SystemExit(f"bench.ab: no chainrule tree at {rev!r}: {archive.stderr.decode()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
            files.extractall(staging, filter="data")
    return _renamed(staging / "src" / "chainrule", name)


# ---------------------------------------------------------------------- the steps
def _training_step(opt: Any, loss: Callable[[], Any]) -> Callable[[], None]:
    """One step: zero the grads, backward through ``loss()``, update."""

    def step() -> None:
        opt.zero_grad()
        loss().backward()
        opt.step()

    return step


def tiny(cr: ModuleType) -> Callable[[], None]:
    """The 2-3-1 sigmoid net, batch 1, nn.Linear, mse_loss and SGD (python -m bench's tiny)."""
    return steps.chainrule_tiny(steps.tiny_data(), package=cr)


def user(cr: ModuleType) -> Callable[[], None]:
    """The same net as a user writes it (python -m bench's tiny_user)."""
    return steps.chainrule_tiny_user(steps.tiny_data(), package=cr)


def _recipe_step(cr: ModuleType, model: str, x_shape: tuple[int, ...], momentum: float) -> Any:
    _, F, optim, init, training = steps.chainrule_modules(
        cr, "nn.functional", "optim", "nn.init", "training"
    )
    init.manual_seed(0)
    net = training.build_model(model)
    opt = optim.SGD(net.parameters(), lr=0.01, momentum=momentum)
    rng = np.random.default_rng(0)
    x = cr.Tensor(rng.random((128, *x_shape)).astype(np.float32))
    y = rng.integers(0, 10, 128)
    return _training_step(opt, lambda: F.cross_entropy(net(x), y))


def mlp(cr: ModuleType) -> Callable[[], None]:
    """chainrule train's MLP, batch 128, cross-entropy and SGD."""
    return _recipe_step(cr, "mlp", (784,), 0.0)


def cnn(cr: ModuleType) -> Callable[[], None]:
    """chainrule train --model cnn's network, batch 128, SGD with momentum."""
    return _recipe_step(cr, "cnn", (1, 28, 28), 0.9)


def gpt(cr: ModuleType) -> Callable[[], None]:
    """The names GPT (4 layers, 4 heads, 64 wide), batch 32 x 16, AdamW."""
    _, F, optim, gpt_models = steps.chainrule_modules(cr, "nn.functional", "optim", "models.gpt")
    cr.manual_seed(0)
    model = gpt_models.GPT(27, 16, n_layer=4, n_head=4, n_embd=64)
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    idx, targets = rng.integers(0, 27, (32, 16)), rng.integers(0, 27, (32, 16))
    return _training_step(
        opt, lambda: F.cross_entropy(model(idx).reshape(-1, 27), targets.reshape(-1))
    )


def example(cr: ModuleType) -> Callable[[], None]:
    """PyTorch's MNIST example network, batch 64, Adadelta, dropout left out (as in
    python -m bench.mnist_example_step)."""
    _, nn, F, optim, init = steps.chainrule_modules(cr, "nn", "nn.functional", "optim", "nn.init")
    init.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10), nn.LogSoftmax(dim=1),
    )  # fmt: skip
    opt = optim.Adadelta(model.parameters(), lr=1.0)
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = rng.integers(0, 10, 64)
    return _training_step(opt, lambda: F.nll_loss(model(x), y))


# Each workload, and how many steps one timed block of it runs.
WORKLOADS: dict[str, tuple[Callable[[ModuleType], Callable[[], None]], int]] = {
    "tiny": (tiny, 2000),
    "user": (user, 1000),
    "mlp": (mlp, 40),
    "cnn": (cnn, 3),
    "gpt": (gpt, 6),
    "example": (example, 2),
}


def compare(
    trees: dict[str, ModuleType], workload: str, rounds: int, scale: float = 1.0
) -> dict[str, Any]:
    """Median seconds a step on each tree, and each tree's paired ratio against the first."""
    make, calls = WORKLOADS[workload]
    built = {}
    for label, cr in trees.items():
        try:
            built[label] = make(cr)
        except (AttributeError, ImportError) as error:  # an older tree without the feature
            print(f"{workload}: {label} left out ({error})")
    calls = max(1, int(calls * scale))
    times = interleave(built, rounds, calls, PAUSE_SECONDS, warmup=1)
    first = next(iter(trees))
    ratios = {
        label: [b / a for a, b in zip(times[first], times[label])]
        for label in times
        if label != first and first in times
    }
    return {
        "median_ms": {label: 1e3 * statistics.median(t) for label, t in times.items()},
        "ratios": {f"{label}/{first}": summary(r) for label, r in ratios.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revs", nargs="+", help="git revisions, the first the reference")
    parser.add_argument("--workload", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--control", action="store_true", help="a second copy of the first REV")
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()
    labels = list(args.revs)
    trees = {rev: tree(rev, f"chainrule_{i}") for i, rev in enumerate(labels)}
    if args.control:
        trees[f"{labels[0]} (control)"] = tree(labels[0], "chainrule_control")
    trees["work"] = tree(None, "chainrule_work")
    results = {name: compare(trees, name, args.rounds) for name in args.workload}
    lines = [f"medians of {args.rounds} paired rounds (min-max), against {labels[0]}", ""]
    for name, result in results.items():
        ratios = ", ".join(f"{key} {spread(r, digits=3)}" for key, r in result["ratios"].items())
        times = ", ".join(f"{label} {ms:.3g} ms" for label, ms in result["median_ms"].items())
        lines.append(f"- {name}: {ratios}; {times}")
    save(
        args.out,
        "ab",
        {"machine": machine(), "revs": labels, "workloads": results},
        "\n".join(lines),
    )


if __name__ == "__main__":
    main()
