"""bench.eager_floor, the leanest eager engine the tiny_user benchmark times beside chainrule,
computes the step chainrule computes: the same loss and the same gradients."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from helpers import bench_module

eager_floor = bench_module("eager_floor")


def _data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = {"w0": (3, 2), "b0": (3,), "w1": (1, 3), "b1": (1,), "x": (1, 2), "y": (1, 1)}
    return {k: rng.standard_normal(s) for k, s in shapes.items()}


def _loss(x, t, w0, b0, w1, b1):
    h = (x @ w0.T + b0).sigmoid()
    y = (h @ w1.T + b1).sigmoid()
    return 0.5 * ((y - t) ** 2).sum()


def test_eager_floor_gradients_equal_chainrule_gradients():
    data = _data()
    names = ("w0", "b0", "w1", "b1")
    values = [eager_floor.Value(data[k]) for k in names]
    tensors = [cr.tensor(data[k], requires_grad=True) for k in names]
    floor_loss = _loss(eager_floor.Value(data["x"]), eager_floor.Value(data["y"]), *values)
    loss = _loss(cr.tensor(data["x"]), cr.tensor(data["y"]), *tensors)
    floor_loss.backward()
    loss.backward()
    np.testing.assert_allclose(floor_loss.data, loss.item(), rtol=1e-14)
    for value, tensor in zip(values, tensors):
        assert value.grad.shape == tensor.shape
        np.testing.assert_allclose(value.grad, tensor.grad.data, rtol=1e-12, atol=1e-15)
        assert np.abs(value.grad).max() > 0

