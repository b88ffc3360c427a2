"""A 2-3-1 sigmoid network, inputs 2 and 9, target 0.92, one SGD step of lr 0.5.

Built from ``nn.Linear`` layers this time (``chainrule explain`` works the same network one
scalar at a time). ``python examples/network_2_3_1.py drawing.svg`` also draws the graph with
one cluster per layer.
"""

from __future__ import annotations

import sys

import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim


def network() -> nn.Sequential:
    """Linear(2, 3), Sigmoid, Linear(3, 1), Sigmoid with fixed weights, in float64."""
    hidden, out = nn.Linear(2, 3), nn.Linear(3, 1)
    hidden.weight.data = np.array([[0.15, 0.23], [0.5, 0.8], [0.05, -0.05]])  # w0..w5
    hidden.bias.data = np.array([0.5, 0.5, 0.5])  # b0..b2
    out.weight.data = np.array([[0.9, -0.5, 0.08]])  # w6..w8
    out.bias.data = np.array([0.2])  # b3
    return nn.Sequential(hidden, nn.Sigmoid(), out, nn.Sigmoid())


def row(values: np.ndarray) -> str:
    return ", ".join(f"{v:.4f}" for v in np.ravel(values))


def main() -> None:
    model = network()
    x, target = cr.tensor([[2.0, 9.0]], dtype=np.float64), cr.tensor([[0.92]], dtype=np.float64)
    x.name, target.name = "x", "y"
    with cr.viz.capture(model) as modules:  # remember which layer made which node
        o3 = model(x)
        o3.name = "o3"
        # Half the squared error (y - o3)^2 = 0.0759, so that dcost/do3 = o3 - y.
        cost = 0.5 * F.mse_loss(o3, target, reduction="sum")
        cost.name = "cost"
    cost.backward(retain_graph=True)
    hidden, out = model[0], model[2]
    print(f"o3: {o3.item():.4f}")
    print(f"cost: {cost.item():.4f}  (0.5 (y - o3)^2; (y - o3)^2 = {2 * cost.item():.4f})")
    print(f"dcost/db3: {out.bias.grad.item():.4f}")
    print(f"dcost/dw6..w8: {row(out.weight.grad.data)}")
    print(f"dcost/dw0..w5: {row(hidden.weight.grad.data)}")
    if len(sys.argv) > 1:
        cr.viz.draw(cost, sys.argv[1], modules=modules)
        print(f"drawing: {sys.argv[1]}")
    optim.SGD(model.parameters(), lr=0.5).step()
    print(f"new w0..w5: {row(hidden.weight.data)}")
    print(f"new w6..w8: {row(out.weight.data)}")
    print(f"new b0..b3: {row(np.append(hidden.bias.data, out.bias.data))}")


if __name__ == "__main__":
    main()
