"""The contract the engine trusts chainrule's primitives to keep (``Function._fresh_grads``):
backward hands each input the upstream grad itself, a view, or a fresh array returned once
that shares memory with nothing the node keeps, so a leaf may own it and add into it."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import graph
from op_specs import params
from test_tensor import Square


@pytest.mark.parametrize("spec", params())
def test_primitives_hand_out_unshared_grads(spec):
    out = spec.fn(*[cr.tensor(a, requires_grad=True) for a in spec.draw()])
    made = {t._ctx: t for t in graph(out) if t._ctx is not None}  # node -> the tensor it made
    assert made and all(ctx._fresh_grads for ctx in made)
    for ctx, made_tensor in made.items():
        shape = made_tensor.shape
        upstream = np.random.default_rng(2).standard_normal(shape)
        grads = _as_tuple(ctx.backward(upstream))
        before = [None if g is None else g.copy() for g in grads]
        _as_tuple(ctx.backward(np.random.default_rng(3).standard_normal(shape)))
        for grad, copy in zip(grads, before):  # no scratch memory handed out
            np.testing.assert_array_equal(grad, copy, err_msg=type(ctx).__name__)
        saved = getattr(ctx, "saved", ())
        kept = [a for a in (*saved, *(t.data for t in ctx.inputs)) if isinstance(a, np.ndarray)]
        for grad, tensor in zip(grads, ctx.inputs):
            if grad is None or grad is upstream or grad.base is not None:
                continue
            assert grad.shape == tensor.shape, type(ctx).__name__
            assert sum(other is grad for other in grads) == 1, type(ctx).__name__
            assert not any(np.shares_memory(grad, a) for a in kept), type(ctx).__name__


def _as_tuple(grads):
    return grads if isinstance(grads, tuple) else (grads,)


def test_user_functions_are_not_trusted():
    assert not Square._fresh_grads


def test_trust_is_declared_per_class_not_inherited():
    class MyMul(cr.ops.Mul):  # its own backward could share arrays: checked again
        def backward(self, grad):
            return grad, grad

    class Trusted(cr.Function, fresh_grads=True):
        pass

    assert cr.ops.Mul._fresh_grads and not MyMul._fresh_grads and Trusted._fresh_grads
