"""The floor of any eager engine written in Python, for the 2-3-1 step as a user writes it.

``bench.steps.chainrule_tiny_user``'s step on the leanest reverse-mode engine Python allows:
a node is a value, its parents and one closure; no grad mode, dtype rules, broadcasting
rules, checks, hooks, version counters or error messages, and each backward written for
exactly this step's shapes. Whatever an eager engine adds to NumPy's own calls, this one
adds least, so ``python -m bench --workload tiny_user`` reports it beside chainrule: its
ratio to the hand-written NumPy step is what no eager Python engine can beat on this step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Value:
    """An array, its gradient, the nodes it came from and how to send its gradient to them."""

    __slots__ = ("data", "grad", "parents", "send")

    def __init__(self, data: np.ndarray, parents: tuple = (), send: Callable | None = None):
        self.data, self.grad, self.parents, self.send = data, None, parents, send

    def __matmul__(self, other: Value) -> Value:
        a, b = self.data, other.data
        return Value(a @ b, (self, other), lambda g: (g @ b.T, a.T @ g))

    @property
    def T(self) -> Value:  # noqa: N802  (the spelling the step uses)
        return Value(self.data.T, (self,), lambda g: (g.T,))

    def __add__(self, bias: Value) -> Value:  # a row of biases, broadcast over the batch
        return Value(self.data + bias.data, (self, bias), lambda g: (g, g.sum(0)))

    def __sub__(self, other: Value) -> Value:
        return Value(self.data - other.data, (self, other), lambda g: (g, -g))

    def __pow__(self, power: int) -> Value:  # the step squares
        a = self.data
        return Value(a * a, (self,), lambda g: (2 * a * g,))

    def __rmul__(self, factor: float) -> Value:
        return Value(factor * self.data, (self,), lambda g: (factor * g,))

    def sigmoid(self) -> Value:
        y = 1 / (1 + np.exp(-self.data))
        return Value(y, (self,), lambda g: (g * y * (1 - y),))

    def sum(self) -> Value:
        shape = self.data.shape
        return Value(self.data.sum(), (self,), lambda g: (np.broadcast_to(g, shape),))

    def backward(self) -> None:
        """Reverse topological order by one depth-first walk, then each node's closure."""
        order: list[Value] = []
        seen: set[int] = set()

        def visit(node: Value) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = np.ones_like(self.data)
        for node in reversed(order):
            if node.send is not None:
                for parent, grad in zip(node.parents, node.send(node.grad)):
                    parent.grad = grad if parent.grad is None else parent.grad + grad


def eager_floor_tiny_user(data: dict[str, np.ndarray], lr: float = 0.5) -> Callable[[], None]:
    """``chainrule_tiny_user``'s step, line for line, on ``Value``."""
    w0, b0, w1, b1 = (Value(data[k].copy()) for k in ("w0", "b0", "w1", "b1"))
    params = (w0, b0, w1, b1)
    x, t = Value(data["x"]), Value(data["y"])

    def step() -> None:
        h = (x @ w0.T + b0).sigmoid()
        y = (h @ w1.T + b1).sigmoid()
        loss = 0.5 * ((y - t) ** 2).sum()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
            p.grad = None
        x.grad = t.grad = None  # the engine sends gradients to every leaf

    return step
