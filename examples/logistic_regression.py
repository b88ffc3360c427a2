"""Logistic regression, a = sigmoid(x @ w + b), trained by gradient descent.

Two Gaussian blobs (seeded), binary cross-entropy, full-batch steps of lr 0.5. The chain
rule gives dL/dz = a - y (averaged over the batch); the engine finds it on its own.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F


def blobs(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points around (2, 2) (label 1) or (-2, -2) (label 0)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    centers = np.where(labels[:, None] == 1, [2.0, 2.0], [-2.0, -2.0])
    return centers + 0.7 * rng.standard_normal((n, 2)), labels.astype(np.float64)


def pair(values: np.ndarray) -> str:
    return f"({values[0]:.4f}, {values[1]:.4f})"


def main() -> None:
    features, labels = blobs()
    x, y = cr.tensor(features), cr.tensor(labels)
    w = cr.tensor(np.zeros(2), requires_grad=True)
    b = cr.tensor(np.float64(0.0), requires_grad=True)
    for step in range(300):
        probs = (x @ w + b).sigmoid()
        loss = F.binary_cross_entropy(probs, y)
        w.grad = b.grad = None
        loss.backward()
        if step == 0:  # the first step, checked against the formula dL/dz = a - y
            by_hand = features.T @ (probs.data - labels) / len(labels)
            print(f"first step dL/dw: backprop {pair(w.grad.data)}, by hand {pair(by_hand)}")
        with cr.no_grad():
            w -= 0.5 * w.grad
            b -= 0.5 * b.grad
    accuracy = (((x @ w + b).data > 0) == labels.astype(bool)).mean()
    print(f"loss: {loss.item():.4f}")
    print(f"accuracy: {accuracy:.2f}")
    print(f"w: {pair(w.data)}  b: {b.item():.4f}")


if __name__ == "__main__":
    main()
