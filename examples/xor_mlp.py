"""XOR with a 2-4-1 tanh MLP: the problem one layer cannot solve and two layers can.

Binary cross-entropy on the logits, SGD with momentum 0.9, 500 full-batch steps, seeded.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim

INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = np.array([0.0, 1.0, 1.0, 0.0])


def mlp(seed: int = 0) -> nn.Sequential:
    """Linear(2, 4), Tanh, Linear(4, 1), in float64 with N(0, 1) weights and zero biases."""
    rng = np.random.default_rng(seed)
    hidden, out = nn.Linear(2, 4), nn.Linear(4, 1)
    for layer in (hidden, out):
        layer.weight.data = rng.normal(0, 1, layer.weight.shape)
        layer.bias.data = np.zeros(layer.bias.shape)
    return nn.Sequential(hidden, nn.Tanh(), out)


def main() -> None:
    model = mlp()
    x, y = cr.tensor(INPUTS), cr.tensor(TARGETS)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for step in range(500):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).reshape(4), y)
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")
    probs = model(x).sigmoid().data.reshape(4)
    for (a, b), p in zip(INPUTS, probs):
        print(f"xor({a:g}, {b:g}) = {p:.3f}")
    print(f"loss: {loss.item():.4f}")
    print(f"correct: {int(((probs > 0.5) == TARGETS.astype(bool)).sum())}/4")


if __name__ == "__main__":
    main()
