"""The names task: a character-level GPT learns to spell items (surnames by default).

Each item becomes ``0, c1, ..., cn, 0``: token 0 both starts and ends it, the characters are
1..V in sorted order. Inputs are the first n + 1 tokens, targets the last n + 1 (the end token
included), padded to the longest item with ignored targets. The loss is the mean cross-entropy
per character in nats; 10% of the items (a seeded draw) are held out for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import nn
from ..data import TensorDataset, load_names
from ..grad_mode import no_grad
from ..nn import functional as F
from ..tensor import Tensor
from .task import Metric, Recipe, Task

if TYPE_CHECKING:
    from .loop import TrainConfig

IGNORE = -100  # cross_entropy's default ignore_index: padding targets count nothing
TEST_FRACTION = 0.1

RECIPES = {
    # 2 layers, 4 heads, 64 wide, Adam 3e-3 with cosine over every batch, 2 epochs
    "gpt": Recipe(epochs=2, optimizer="adam", lr=3e-3, per_step_schedule=True),
}
SIZE = {"n_layer": 2, "n_head": 4, "n_embd": 64}


@dataclass
class Encoded:
    """Items as padded (inputs, targets) rows, with the characters and context they need."""

    inputs: np.ndarray  # int64 (N, block_size)
    targets: np.ndarray  # int64 (N, block_size), IGNORE after each item's end token
    chars: str  # token i + 1 is chars[i]; token 0 starts and ends an item
    block_size: int


def encode(items: list[str], chars: str, block_size: int) -> Encoded:
    """Rows of token indices for ``items``; every character must be in ``chars``."""
    index = {c: i + 1 for i, c in enumerate(chars)}
    inputs = np.zeros((len(items), block_size), dtype=np.int64)
    targets = np.full((len(items), block_size), IGNORE, dtype=np.int64)
    for row, item in enumerate(items):
        tokens = [index[c] for c in item]
        inputs[row, 1 : len(tokens) + 1] = tokens
        targets[row, : len(tokens)] = tokens
        targets[row, len(tokens)] = 0
    return Encoded(inputs, targets, chars, block_size)


def read_items(path: str | None) -> list[str]:
    """The bundled surnames, or the non-empty lines (stripped) of a text file."""
    if path is None:
        return load_names("last")
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"train: --data {path} is not a text file (one item per line)")
    items = [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
    items = [item for item in items if item]
    if len(items) < 2:
        raise ValueError(f"train: --data {path} holds {len(items)} items; it needs at least 2")
    return items


def load_data(config: TrainConfig) -> tuple[TensorDataset, Encoded]:
    """The training rows (the first ``config.limit`` only) and the held-out 10%."""
    items = read_items(config.data)
    chars = "".join(sorted(set("".join(items))))
    block_size = max(map(len, items)) + 1
    order = np.random.default_rng(config.seed).permutation(len(items))
    n_test = max(1, round(TEST_FRACTION * len(items)))
    # Shortest first, so evaluate's batches drop the padding columns no item of theirs reaches.
    test = encode(sorted((items[i] for i in order[:n_test]), key=len), chars, block_size)
    train = encode([items[i] for i in order[n_test:]][: config.limit], chars, block_size)
    return TensorDataset(train.inputs, train.targets), test


def model_args(test: Encoded) -> dict[str, Any]:
    """What the model's shape depends on, saved with its weights."""
    return {"chars": test.chars, "block_size": test.block_size}


def build_model(name: str, chars: str = "abcdefghijklmnopqrstuvwxyz", block_size: int = 14):
    """The GPT for ``chars`` and items up to ``block_size - 1`` long; ``.chars`` keeps them."""
    if name != "gpt":
        raise ValueError(f"unknown model {name!r}; choose from: {', '.join(RECIPES)}")
    from ..models.gpt import GPT

    model = GPT(len(chars) + 1, block_size, **SIZE)
    model.chars = chars
    return model


def loss(model: nn.Module, batch: tuple[np.ndarray, ...]) -> Tensor:
    """Mean cross-entropy per target character of a batch, the end token included."""
    inputs, targets = batch
    logits = model(inputs)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def evaluate(model: nn.Module, test: Encoded, batch_size: int = 1000) -> float:
    """Mean cross-entropy per character (nats) over all of ``test``'s targets."""
    model.eval()
    total = 0.0
    with no_grad():
        for start in range(0, len(test.inputs), batch_size):
            targets = test.targets[start : start + batch_size]
            width = int((targets != IGNORE).any(axis=0).sum())  # causal: later columns unused
            logits = model(test.inputs[start : start + batch_size, :width])
            targets = targets[:, :width].reshape(-1)
            flat = logits.reshape(-1, logits.shape[-1])
            total += F.cross_entropy(flat, targets, reduction="sum").item()
    model.train()
    return total / int((test.targets != IGNORE).sum())


def bigram_loss(train: TensorDataset, test: Encoded, smoothing: float = 1.0) -> float:
    """The test loss of bigram counts (add-``smoothing``) on the training rows: a baseline."""
    inputs, targets = train.arrays
    vocab = len(test.chars) + 1
    counts = np.full((vocab, vocab), smoothing)
    keep = targets != IGNORE
    np.add.at(counts, (inputs[keep], targets[keep]), 1)
    log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))
    keep = test.targets != IGNORE
    return float(-log_probs[test.inputs[keep], test.targets[keep]].mean())


def sample(
    model: nn.Module, n: int, temperature: float = 1.0, seed: int | None = None
) -> list[str]:
    """``n`` new non-empty items drawn from ``model``, reproducible for a ``seed``."""
    from ..random import Generator

    generator = Generator()
    if seed is not None:
        generator.manual_seed(seed)
    else:
        generator.seed()
    chars, found = model.chars, []
    model.eval()
    # An item that ends at once, or not within block_size tokens (longer than any trained
    # on), is drawn again; after 100 rounds, fewer than n come back.
    for _ in range(100):
        start = np.zeros((n, 1), dtype=np.int64)
        rows = model.generate(start, model.block_size, temperature, generator=generator).data
        for row in rows[:, 1:]:
            ends = np.flatnonzero(row == 0)
            if len(ends) and ends[0] > 0:
                found.append("".join(chars[t - 1] for t in row[: ends[0]]))
        if len(found) >= n:
            break
    return found[:n]


def _test_loss(model: nn.Module, test: Encoded) -> float:
    return evaluate(model, test)


NAMES = Task(
    name="names",
    recipes=RECIPES,
    build_model=build_model,
    load_data=load_data,
    loss=loss,
    evaluate=_test_loss,
    metric=Metric("test_loss", short="test_loss", spec=".4f", plot_unit="nats per character"),
    model_args=model_args,
)
