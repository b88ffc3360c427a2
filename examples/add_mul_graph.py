"""Y = X1 * X2 + C, a MUL node then an ADD node, walked back by the chain rule.

Run it: ``python examples/add_mul_graph.py [drawing.svg]``. The same graph can be explained
step by step with ``chainrule explain --graph examples/add_mul_graph.py:graph``.
"""

from __future__ import annotations

import sys

import chainrule as cr


def named(value: cr.Tensor, name: str) -> cr.Tensor:
    value.name = name  # names label the trace and the drawing
    return value


def build() -> tuple[cr.Tensor, cr.Tensor, cr.Tensor, cr.Tensor]:
    """X1 = 2, X2 = 5, C = 3 (leaves that need gradients) and Y = X1 * X2 + C."""
    x1 = named(cr.tensor(2.0, requires_grad=True), "x1")
    x2 = named(cr.tensor(5.0, requires_grad=True), "x2")
    c = named(cr.tensor(3.0, requires_grad=True), "c")
    s1 = named(x1 * x2, "s1")  # the MUL node: dS1/dX1 = X2, dS1/dX2 = X1
    y = named(s1 + c, "y")  # the ADD node: passes dY/dY = 1 to both inputs
    return x1, x2, c, y


def graph() -> cr.Tensor:
    """Y alone, for ``chainrule explain --graph``."""
    return build()[-1]


def main() -> None:
    x1, x2, c, y = build()
    y.backward(retain_graph=True)  # keep the graph: the trace re-walks it
    print(f"Y: {y.item():g}")
    print(f"dY/dX1: {x1.grad.item():g}")  # = X2
    print(f"dY/dX2: {x2.grad.item():g}")  # = X1
    print(f"dY/dC: {c.grad.item():g}")  # = 1
    print(cr.viz.trace(y))
    if len(sys.argv) > 1:
        cr.viz.draw(y, sys.argv[1])
        print(f"drawing: {sys.argv[1]}")


if __name__ == "__main__":
    main()
