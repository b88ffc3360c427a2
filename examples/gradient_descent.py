"""Gradient descent on f(x0, x1) = x0^2 + x1^2 from (-3, 4), lr 0.1, 100 steps.

Each step is x <- x - lr * df/dx with df/dx = 2x, so x shrinks by 0.8 a step: after 100
steps it is 0.8^100 (-3, 4), about 1e-10. Backprop and the numerical gradient agree.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr


def f(x: cr.Tensor | np.ndarray) -> cr.Tensor | float:
    return x[0] ** 2 + x[1] ** 2


def descend_backprop(start: np.ndarray, lr: float = 0.1, steps: int = 100) -> np.ndarray:
    x = cr.tensor(start, requires_grad=True)
    for _ in range(steps):
        x.grad = None
        f(x).backward()  # df/dx by the chain rule
        with cr.no_grad():
            x -= lr * x.grad  # in place: x stays the same leaf
    return x.data


def descend_numerical(start: np.ndarray, lr: float = 0.1, steps: int = 100) -> np.ndarray:
    x = start.copy()
    for _ in range(steps):
        x -= lr * cr.numerical_grad(f, x, eps=1e-4)  # central differences
    return x


def point(x: np.ndarray) -> str:
    return f"({x[0]:.6e}, {x[1]:.6e})"


def main() -> None:
    start = np.array([-3.0, 4.0])
    print(f"f(start): {f(start):g}")
    print(f"backprop: x = {point(descend_backprop(start))}")
    print(f"numerical: x = {point(descend_numerical(start))}")
    print(f"exact: x = {point(0.8**100 * start)}")


if __name__ == "__main__":
    main()
