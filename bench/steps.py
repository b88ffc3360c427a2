"""One training step of each workload, written four ways: chainrule, PyTorch, lean NumPy, GEMMs.

Every contender is a zero-argument callable doing one full step (forward, backward, update)
on the same data and initial weights, so their times compare the frameworks, not the maths.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import numpy as np

Step = Callable[[], None]


def mlp_data(batch: int = 128, dtype=np.float32) -> dict[str, np.ndarray]:
    """Inputs, labels and PyTorch-style initial weights for 784-256-256-10."""
    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 10]
    data = {"x": rng.random((batch, 784)).astype(dtype), "y": rng.integers(0, 10, batch)}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1 / np.sqrt(n_in)
        data[f"w{i}"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype)
        data[f"b{i}"] = rng.uniform(-bound, bound, n_out).astype(dtype)
    return data


def tiny_data(dtype=np.float32) -> dict[str, np.ndarray]:
    """``chainrule explain``'s 2-3-1 sigmoid network at batch 1: inputs 2 and 9, target 0.92."""
    return {
        "x": np.array([[2.0, 9.0]], dtype=dtype),
        "y": np.array([[0.92]], dtype=dtype),
        "w0": np.array([[0.15, 0.23], [0.5, 0.8], [0.05, -0.05]], dtype=dtype),
        "b0": np.full(3, 0.5, dtype=dtype),
        "w1": np.array([[0.9, -0.5, 0.08]], dtype=dtype),
        "b1": np.array([0.2], dtype=dtype),
    }


# ---------------------------------------------------------------------- chainrule
def chainrule_mlp(data: dict[str, np.ndarray], lr: float = 0.01) -> Step:
    import chainrule as cr
    import chainrule.nn as nn
    import chainrule.nn.functional as F
    import chainrule.optim as optim

    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    _load(model, data, layers=(0, 2, 4))
    opt = optim.SGD(model.parameters(), lr=lr)
    x, y = cr.Tensor(data["x"]), data["y"]

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def chainrule_modules(package: ModuleType | None, *names: str) -> list[ModuleType]:
    """chainrule (or ``package``, another tree of it: ``bench.ab``) and its submodules ``names``."""
    cr = package or importlib.import_module("chainrule")
    return [cr, *(importlib.import_module(f"{cr.__name__}.{name}") for name in names)]


def chainrule_tiny(
    data: dict[str, np.ndarray], lr: float = 0.5, package: ModuleType | None = None
) -> Step:
    cr, nn, F, optim = chainrule_modules(package, "nn", "nn.functional", "optim")
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
    _load(model, data, layers=(0, 2))
    opt = optim.SGD(model.parameters(), lr=lr)
    x, y = cr.Tensor(data["x"]), cr.Tensor(data["y"])

    def step() -> None:
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()

    return step


def chainrule_tiny_user(
    data: dict[str, np.ndarray], lr: float = 0.5, package: ModuleType | None = None
) -> Step:
    """The 2-3-1 step as a user writes it: cr.tensor weights, operators, a hand-made update."""
    (cr,) = chainrule_modules(package)
    w0, b0, w1, b1 = (cr.tensor(data[k], requires_grad=True) for k in ("w0", "b0", "w1", "b1"))
    params = (w0, b0, w1, b1)
    x, t = cr.tensor(data["x"]), cr.tensor(data["y"])

    def step() -> None:
        h = (x @ w0.T + b0).sigmoid()
        y = (h @ w1.T + b1).sigmoid()
        loss = 0.5 * ((y - t) ** 2).sum()
        loss.backward()
        with cr.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None

    return step


def _load(model, data: dict[str, np.ndarray], layers: tuple[int, ...]) -> None:
    for i, layer in enumerate(layers):
        model[layer].weight.data[...] = data[f"w{i}"]
        model[layer].bias.data[...] = data[f"b{i}"]


# ---------------------------------------------------------------------- PyTorch
def torch_mlp(data: dict[str, np.ndarray], lr: float = 0.01) -> Step:
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    _torch_load(model, data, layers=(0, 2, 4))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])

    def step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def torch_tiny(data: dict[str, np.ndarray], lr: float = 0.5) -> Step:
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1), torch.nn.Sigmoid()
    )
    _torch_load(model, data, layers=(0, 2))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])

    def step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()

    return step


def _torch_load(model, data: dict[str, np.ndarray], layers: tuple[int, ...]) -> None:
    import torch

    with torch.no_grad():
        for i, layer in enumerate(layers):
            model[layer].weight.copy_(torch.from_numpy(data[f"w{i}"]))
            model[layer].bias.copy_(torch.from_numpy(data[f"b{i}"]))


def torch_tiny_user(data: dict[str, np.ndarray], lr: float = 0.5) -> Step:
    """``chainrule_tiny_user`` in PyTorch, line for line."""
    import torch

    w0, b0, w1, b1 = (torch.tensor(data[k], requires_grad=True) for k in ("w0", "b0", "w1", "b1"))
    params = (w0, b0, w1, b1)
    x, t = torch.tensor(data["x"]), torch.tensor(data["y"])

    def step() -> None:
        h = (x @ w0.T + b0).sigmoid()
        y = (h @ w1.T + b1).sigmoid()
        loss = 0.5 * ((y - t) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None

    return step


# ---------------------------------------------------------------------- lean NumPy
def numpy_mlp(data: dict[str, np.ndarray], lr: float = 0.01) -> Step:
    """The step written by hand: no graph, no objects, just the arrays."""
    w = [data[f"w{i}"].copy() for i in range(3)]
    b = [data[f"b{i}"].copy() for i in range(3)]
    x, y = data["x"], data["y"]
    rows = np.arange(len(y))

    def step() -> None:
        h1 = x @ w[0].T + b[0]
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w[1].T + b[1]
        a2 = np.maximum(h2, 0)
        logits = a2 @ w[2].T + b[2]
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        probs[rows, y] -= 1
        g3 = probs / len(y)
        g2 = (g3 @ w[2]) * (h2 > 0)
        g1 = (g2 @ w[1]) * (h1 > 0)
        for param, grad in (
            (w[2], g3.T @ a2),
            (b[2], g3.sum(0)),
            (w[1], g2.T @ a1),
            (b[1], g2.sum(0)),
            (w[0], g1.T @ x),
            (b[0], g1.sum(0)),
        ):
            param -= lr * grad

    return step


def numpy_tiny(data: dict[str, np.ndarray], lr: float = 0.5) -> Step:
    w0, b0, w1, b1 = (data[k].copy() for k in ("w0", "b0", "w1", "b1"))
    x, y = data["x"], data["y"]

    def step() -> None:
        h = 1 / (1 + np.exp(-(x @ w0.T + b0)))
        o = 1 / (1 + np.exp(-(h @ w1.T + b1)))
        g_out = 2 * (o - y) * o * (1 - o) / o.size  # d mean((o - y)^2) / dz
        g_hidden = (g_out @ w1) * h * (1 - h)
        for param, grad in (
            (w1, g_out.T @ h),
            (b1, g_out.sum(0)),
            (w0, g_hidden.T @ x),
            (b0, g_hidden.sum(0)),
        ):
            param -= lr * grad

    return step


def numpy_tiny_user(data: dict[str, np.ndarray], lr: float = 0.5) -> Step:
    """``chainrule_tiny_user`` by hand: the loss 0.5 sum (y - t)^2 and its gradients."""
    w0, b0, w1, b1 = (data[k].copy() for k in ("w0", "b0", "w1", "b1"))
    x, t = data["x"], data["y"]

    def step() -> None:
        h = 1 / (1 + np.exp(-(x @ w0.T + b0)))
        y = 1 / (1 + np.exp(-(h @ w1.T + b1)))
        g_out = (y - t) * y * (1 - y)  # d loss / d (h @ w1.T + b1)
        g_hidden = (g_out @ w1) * h * (1 - h)
        for param, grad in (
            (w1, g_out.T @ h),
            (b1, g_out.sum(0)),
            (w0, g_hidden.T @ x),
            (b0, g_hidden.sum(0)),
        ):
            param -= lr * grad

    return step


def micrograd_tiny(data: dict[str, np.ndarray], lr: float = 0.5) -> Step:
    """The same net on micrograd's scalar Values (sigmoid added as micrograd adds ops)."""
    import math

    from micrograd.engine import Value

    def sigmoid(v: Value) -> Value:
        s = 1 / (1 + math.exp(-v.data))
        out = Value(s, (v,), "sigmoid")

        def _backward() -> None:
            v.grad += s * (1 - s) * out.grad

        out._backward = _backward
        return out

    w0 = [[Value(float(w)) for w in row] for row in data["w0"]]
    b0 = [Value(float(b)) for b in data["b0"]]
    w1 = [Value(float(w)) for w in data["w1"][0]]
    b1 = Value(float(data["b1"][0]))
    params = [w for row in w0 for w in row] + b0 + w1 + [b1]
    x = [float(v) for v in data["x"][0]]
    y = float(data["y"][0, 0])

    def step() -> None:
        hidden = [sigmoid(sum((w * xi for w, xi in zip(row, x)), b)) for row, b in zip(w0, b0)]
        out = sigmoid(sum((w * h for w, h in zip(w1, hidden)), b1))
        loss = (out - y) ** 2
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad

    return step


def gemm_floor_mlp(data: dict[str, np.ndarray]) -> Step:
    """Only the eight matrix products of the MLP step: the floor any framework sits on."""
    w = [data[f"w{i}"] for i in range(3)]
    x = data["x"]
    a1 = np.maximum(x @ w[0].T, 0)
    a2 = np.maximum(a1 @ w[1].T, 0)
    g3 = np.ones((len(x), 10), dtype=x.dtype)
    g2 = np.ones((len(x), 256), dtype=x.dtype)
    g1 = np.ones((len(x), 256), dtype=x.dtype)

    def step() -> None:
        x @ w[0].T, a1 @ w[1].T, a2 @ w[2].T  # forward
        g3 @ w[2], g2 @ w[1]  # input grads (the first layer's is not needed)
        g3.T @ a2, g2.T @ a1, g1.T @ x  # weight grads

    return step
