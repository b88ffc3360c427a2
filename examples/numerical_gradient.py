"""A gradient check: the numerical gradient, (f(x + h) - f(x - h)) / 2h, against backprop.

The numerical gradient needs two evaluations of f per input and is only approximate;
backprop gets every gradient in one backward pass. When both agree, the backward is right.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr


def cost(weights: np.ndarray) -> cr.Tensor:
    """network_2_3_1.py's cost as a function of its 13 weights (w0..w8, b0..b3)."""
    w = weights if isinstance(weights, cr.Tensor) else cr.tensor(weights)
    x = cr.tensor(np.array([2.0, 9.0]))
    hidden = (w[0:6].reshape(3, 2) @ x + w[9:12]).sigmoid()
    o3 = (w[6:9] @ hidden + w[12]).sigmoid()
    return 0.5 * (0.92 - o3) ** 2


def main() -> None:
    weights = np.array([0.15, 0.23, 0.5, 0.8, 0.05, -0.05, 0.9, -0.5, 0.08, 0.5, 0.5, 0.5, 0.2])
    w = cr.tensor(weights, requires_grad=True)
    cost(w).backward()
    numeric = cr.numerical_grad(lambda v: cost(v).item(), weights.copy(), eps=1e-6)
    names = [f"w{i}" for i in range(9)] + [f"b{i}" for i in range(4)]
    for name, analytic, approximate in zip(names, w.grad.data, numeric):
        print(f"dcost/d{name}  backprop {analytic: .8f}  numerical {approximate: .8f}")
    print(f"max difference: {np.abs(w.grad.data - numeric).max():.2e}")
    print(f"gradcheck: {cr.gradcheck(cost, [weights])}")


if __name__ == "__main__":
    main()
