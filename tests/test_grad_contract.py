"""The contract the engine trusts chainrule's primitives to keep (``Function._fresh_grads``):
backward hands each input the upstream grad itself, a view, or a fresh array returned once
that shares memory with nothing the node keeps, so a leaf may own it and add into it."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import conv, ops
from chainrule.autograd import Function
from op_specs import graph_nodes
from test_double_backward import CASES, draw
from test_tensor import Square

EXTRA_CASES = {
    "scatter_add": (
        lambda a: ops.ScatterAdd.apply(a * a, shape=(5,), index=np.array([0, 2, 0])),
        [(3,)],
    ),
    "conv2d_image": (lambda x, w: F.conv2d(x, w, padding=1), [(2, 1, 5, 5), (3, 1, 3, 3)]),
    "conv2d_channels": (
        lambda x, w, b: F.conv2d(x, w, b, stride=2),
        [(2, 4, 6, 6), (3, 4, 3, 3), (3,)],
    ),
    "conv2d_one_pixel": (lambda x, w: F.conv2d(x, w), [(1, 4, 1, 1), (2, 4, 1, 1)]),
    "max_pool2d": (lambda x: F.max_pool2d(x * x, 2), [(2, 3, 4, 4)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x * x, 3, stride=1, padding=1), [(2, 3, 4, 4)]),
    "batch_norm": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(4, 3, 2, 2), (3,), (3,)],
    ),
    "unfold": (
        lambda x: conv.Unfold.apply(x * x, kernel=(2, 2), stride=(1, 1), padding=(1, 1)),
        [(2, 3, 4, 4)],
    ),
    "fold": (
        lambda c: conv.Fold.apply(
            c * c, shape=(2, 3, 4, 4), kernel=(2, 2), stride=(1, 1), padding=(1, 1)
        ),
        [(2, 12, 25)],
    ),
    "gelu": (lambda x: F.gelu(3 * x - 3), [(6,)]),
}


ALL_CASES = {**CASES, **EXTRA_CASES}


def test_every_primitive_has_a_case():
    covered = set()
    for fn, shapes in ALL_CASES.values():
        out = fn(*[cr.tensor(a, requires_grad=True) for a in draw(shapes)])
        covered |= {type(ctx) for ctx in graph_nodes(out)}
    # a private base (ops.reduce._Extremum, shared by Max and Min) is never applied itself
    primitives = {
        cls for cls in _subclasses(Function) if cls._fresh_grads and cls.__name__[0] != "_"
    }
    assert primitives - covered == set()


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_primitives_hand_out_unshared_grads(name):
    fn, shapes = ALL_CASES[name]
    out = fn(*[cr.tensor(a, requires_grad=True) for a in draw(shapes)])
    nodes = graph_nodes(out)
    assert nodes and all(ctx._fresh_grads for ctx in nodes)
    for ctx in nodes:
        shape = _output_shape(ctx, out, nodes)
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


def _output_shape(ctx: Function, root: cr.Tensor, nodes: list[Function]) -> tuple[int, ...]:
    """The shape of the tensor ``ctx`` made: the root's, or that of a consumer's input."""
    if root._ctx is ctx:
        return root.shape
    for node in nodes:
        for tensor in node.inputs:
            if tensor._ctx is ctx:
                return tensor.shape
    raise AssertionError(f"{type(ctx).__name__} made no tensor of this graph")


def test_user_functions_are_not_trusted():
    assert not Square._fresh_grads


def test_trust_is_declared_per_class_not_inherited():
    class MyMul(cr.ops.Mul):  # its own backward could share arrays: checked again
        def backward(self, grad):
            return grad, grad

    class Trusted(cr.Function, fresh_grads=True):
        pass

    assert cr.ops.Mul._fresh_grads and not MyMul._fresh_grads and Trusted._fresh_grads
