"""Two apples at 100, three oranges at 150, 10% tax, built from hand-written nodes.

``MulNode`` and ``AddNode`` are hand-written multiply and add layers as ``cr.Function``s: a
forward on arrays that remembers what its backward needs, and a backward from the upstream
gradient.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr


class MulNode(cr.Function):
    """z = x * y; the gradient of each input is the upstream times the other input."""

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self.x, self.y = x, y
        return x * y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad * self.y, grad * self.x


class AddNode(cr.Function):
    """z = x + y; the upstream gradient passes to both inputs unchanged."""

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x + y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, grad


def leaf(value: float, name: str) -> cr.Tensor:
    t = cr.tensor(np.float64(value), requires_grad=True)
    t.name = name
    return t


def build() -> tuple[cr.Tensor, dict[str, cr.Tensor]]:
    """price = (apple * apple_num + orange * orange_num) * tax, and the leaves by name."""
    leaves = {
        name: leaf(value, name)
        for name, value in [
            ("apple", 100),
            ("apple_num", 2),
            ("orange", 150),
            ("orange_num", 3),
            ("tax", 1.1),
        ]
    }
    apple_price = MulNode()(leaves["apple"], leaves["apple_num"])
    orange_price = MulNode()(leaves["orange"], leaves["orange_num"])
    apple_price.name, orange_price.name = "apple_price", "orange_price"
    all_price = AddNode()(apple_price, orange_price)
    all_price.name = "all_price"
    price = MulNode()(all_price, leaves["tax"])
    price.name = "price"
    return price, leaves


def graph() -> cr.Tensor:
    """The price alone, for ``chainrule explain --graph``."""
    return build()[0]


def main() -> None:
    price, leaves = build()
    price.backward(retain_graph=True)
    print(f"price: {price.item():.4g}")
    for name, value in leaves.items():
        print(f"dprice/d{name}: {value.grad.item():.4g}")
    print(cr.viz.trace(price))  # step 1 shows dprice/dall_price = 1.1


if __name__ == "__main__":
    main()
