"""create_graph=True: every spec's differentiable backward gives the same gradient as its
ndarray backward, and differentiating that gradient again matches central differences."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from op_specs import params


def first_grads(fn, arrays, create_graph):
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward(create_graph=create_graph)
    return tensors, [t.grad for t in tensors]


@pytest.mark.parametrize("spec", params(create_graph=True))
def test_double_backward_first_grads_match_plain_backward(spec):
    arrays = spec.draw()
    _, plain = first_grads(spec.fn, arrays, create_graph=False)
    _, graphed = first_grads(spec.fn, arrays, create_graph=True)
    for p, g in zip(plain, graphed):
        if p is None:  # an input the op sends no gradient (copysign's sign source)
            assert g is None
            continue
        np.testing.assert_allclose(g.data, p.data, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("spec", params(create_graph=True))
def test_double_backward_matches_numerical_second_derivative(spec):
    direction = [np.random.default_rng(2).standard_normal(s) for s in spec.shapes]

    def grad_dot_direction(*tensors):
        out = spec.fn(*tensors)
        weights = np.random.default_rng(1).standard_normal(out.shape)
        (out * weights).sum().backward(create_graph=True)
        total = sum((t.grad * v).sum() for t, v in zip(tensors, direction) if t.grad is not None)
        for t in tensors:
            t.grad = None  # gradcheck's own backward must find second derivatives only
        return total

    assert cr.gradcheck(grad_dot_direction, spec.draw(), atol=1e-5, rtol=1e-4)
