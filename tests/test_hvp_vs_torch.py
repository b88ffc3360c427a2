"""Hessian-vector products against PyTorch, in float64, for every spec of tests/op_specs.py:
g = d sum(w * f(x)) / dx with create_graph=True, then d(g . v)/dx, in chainrule and with
torch.autograd.grad(..., create_graph=True)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from op_specs import covered_primitives, params, primitives

torch = pytest.importorskip("torch")


def _chainrule_hvp(spec, arrays, weights, direction):
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    (spec.fn(*tensors) * weights).sum().backward(create_graph=True)
    grads = [t.grad for t in tensors]
    total = sum((g * v).sum() for g, v in zip(grads, direction) if g is not None)
    for t in tensors:
        t.grad = None
    if isinstance(total, cr.Tensor) and total.requires_grad:
        total.backward()
    first = [np.zeros_like(a) if g is None else g.data for a, g in zip(arrays, grads)]
    hvp = [np.zeros_like(a) if t.grad is None else t.grad.data for a, t in zip(arrays, tensors)]
    return first, hvp


def _torch_hvp(spec, arrays, weights, direction):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = (spec.torch(*tensors) * torch.from_numpy(weights)).sum()
    grads = torch.autograd.grad(out, tensors, create_graph=True, allow_unused=True)
    total = sum((g * torch.from_numpy(v)).sum() for g, v in zip(grads, direction) if g is not None)
    hvp = [None] * len(tensors)
    if isinstance(total, torch.Tensor) and total.requires_grad:
        hvp = torch.autograd.grad(total, tensors, create_graph=True, allow_unused=True)
    first = [
        np.zeros_like(a) if g is None else g.detach().numpy(force=True)
        for a, g in zip(arrays, grads)
    ]
    return first, [
        np.zeros_like(a) if h is None else h.detach().numpy(force=True) for a, h in zip(arrays, hvp)
    ]


@pytest.mark.parametrize("spec", params(create_graph=True))
def test_hvp_matches_torch(spec):
    arrays = spec.draw()
    out_shape = np.shape(spec.numpy(*arrays))
    weights = np.random.default_rng(1).standard_normal(out_shape)
    direction = [
        np.random.default_rng(2 + i).standard_normal(a.shape) for i, a in enumerate(arrays)
    ]
    first, hvp = _chainrule_hvp(spec, arrays, weights, direction)
    first_torch, hvp_torch = _torch_hvp(spec, arrays, weights, direction)
    for i, (mine, theirs) in enumerate(zip(first, first_torch)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-10, err_msg=f"grad {i}")
    for i, (mine, theirs) in enumerate(zip(hvp, hvp_torch)):
        assert mine.shape == arrays[i].shape, f"hvp {i}: shape {mine.shape}"
        np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-10, err_msg=f"hvp {i}")


def test_every_primitive_has_a_spec():
    """A new primitive needs a line in tests/op_specs.py, so its HVP is checked here."""
    assert primitives() - covered_primitives() == set()
