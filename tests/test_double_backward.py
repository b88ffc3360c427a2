"""create_graph=True: every primitive's differentiable backward gives the same gradient as its
ndarray backward, and differentiating that gradient again matches central differences."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

# name -> (function of Tensors, input shapes); inputs are drawn in [0.5, 1.5] so log, sqrt,
# pow and div stay smooth, then shifted where an op needs both signs.
CASES = {
    "add_broadcast": (lambda a, b: a + b, [(3, 4), (4,)]),
    "sub_broadcast": (lambda a, b: a - b, [(3, 1), (1, 4)]),
    "mul_broadcast": (lambda a, b: a * b * a, [(3, 4), (3, 1)]),
    "div": (lambda a, b: a / b, [(3, 4), (3, 4)]),
    "pow_both": (lambda a, b: a**b, [(3, 4), (3, 4)]),
    "neg_exp": (lambda a: (-a).exp(), [(5,)]),
    "log": (lambda a: a.log() * a, [(5,)]),
    "sqrt": (lambda a: a.sqrt() * a, [(5,)]),
    "abs": (lambda a: (a - 1).abs() * a, [(5,)]),
    "relu": (lambda a: (a - 1).relu() * a, [(6,)]),
    "sigmoid": (lambda a: (3 * a - 3).sigmoid(), [(6,)]),
    "tanh": (lambda a: (3 * a - 3).tanh(), [(6,)]),
    "softplus": (lambda a: F.softplus(3 * a - 3), [(6,)]),
    "where": (lambda a, b: cr.where(a.data > 1, a * a, b * b), [(3, 4), (4,)]),
    "sum_axis": (lambda a: (a * a).sum(axis=1, keepdims=True) * a, [(3, 4)]),
    "mean_axis": (lambda a: (a * a).mean(axis=0) * a, [(3, 4)]),
    "max_axis": (lambda a: (a * a).max(axis=1) * a[:, 0], [(3, 4)]),
    "min_axis": (lambda a: (a * a).min(axis=0) * a[0], [(3, 4)]),
    "reshape_transpose": (lambda a: (a * a).reshape(4, 3).T * a, [(3, 4)]),
    "broadcast_to": (lambda a: (a * a).broadcast_to((2, 3, 4)) * a, [(3, 4)]),
    "getitem_repeated": (lambda a: (a * a)[np.array([0, 2, 0])] * a[:3], [(4,)]),
    "getitem_slice": (lambda a: (a * a)[1:, ::2] * a[1:, ::2], [(3, 4)]),
    "concat_stack": (
        lambda a, b: cr.concat([a * a, b], axis=1).sum(0) * cr.stack([a, a]).sum(),
        [(2, 3), (2, 2)],
    ),
    "matmul_2d": (lambda a, b: (a @ b) * (a @ b), [(2, 3), (3, 4)]),
    "matmul_1d": (lambda a, b: (a @ b) * (a @ b), [(3,), (3, 4)]),
    "matmul_batched": (lambda a, b: (a @ b) * (a @ b), [(2, 2, 3), (3, 2)]),
    "linear": (lambda x, w, b: F.linear(x, w, b) * F.linear(x, w, b), [(2, 3), (4, 3), (4,)]),
    "log_softmax": (lambda a: F.log_softmax(a * a, axis=1), [(2, 4)]),
    "cross_entropy": (lambda a: F.cross_entropy(a * a, np.array([1, 3])), [(2, 4)]),
    "cross_entropy_none": (
        lambda a: F.cross_entropy(a * a, np.array([0, 2]), reduction="none"),
        [(2, 4)],
    ),
    "mse_loss": (lambda a, b: F.mse_loss(a * a, b), [(2, 3), (2, 3)]),
    "conv2d": (
        lambda x, w, b: F.conv2d(x * x, w, b, stride=2, padding=1) * x[:, :1, :2, :2],
        [(2, 2, 4, 4), (3, 2, 3, 3), (3,)],
    ),
    "max_pool2d": (lambda x: F.max_pool2d((x - 1) ** 3, 2) * x[:, :, :2, :2], [(2, 2, 4, 4)]),
    "avg_pool2d": (
        lambda x: F.avg_pool2d(x * x, 2, stride=1, padding=1) * x[:, :, :1, :1],
        [(2, 2, 3, 3)],
    ),
    "batch_norm": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True) * x,
        [(3, 2, 2, 2), (2,), (2,)],
    ),
}


def draw(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, shape) for shape in shapes]


def first_grads(fn, arrays, create_graph):
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward(create_graph=create_graph)
    return tensors, [t.grad for t in tensors]


@pytest.mark.parametrize("name", sorted(CASES))
def test_double_backward_first_grads_match_plain_backward(name):
    fn, shapes = CASES[name]
    arrays = draw(shapes)
    _, plain = first_grads(fn, arrays, create_graph=False)
    _, graphed = first_grads(fn, arrays, create_graph=True)
    for p, g in zip(plain, graphed):
        np.testing.assert_allclose(g.data, p.data, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_double_backward_matches_numerical_second_derivative(name):
    fn, shapes = CASES[name]
    direction = [np.random.default_rng(2).standard_normal(s) for s in shapes]

    def grad_dot_direction(*tensors):
        out = fn(*tensors)
        weights = np.random.default_rng(1).standard_normal(out.shape)
        (out * weights).sum().backward(create_graph=True)
        total = sum((t.grad * v).sum() for t, v in zip(tensors, direction))
        for t in tensors:
            t.grad = None  # gradcheck's own backward must find second derivatives only
        return total

    assert cr.gradcheck(grad_dot_direction, draw(shapes), atol=1e-5, rtol=1e-4)
