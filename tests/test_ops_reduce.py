"""Reductions: sum, mean, max, min over every kind of axis, with and without keepdims."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from helpers import check_grad

REDUCE = {
    "sum": (lambda x, **kw: x.sum(**kw), np.sum),
    "mean": (lambda x, **kw: x.mean(**kw), np.mean),
    "max": (lambda x, **kw: x.max(**kw), np.max),
    "min": (lambda x, **kw: x.min(**kw), np.min),
}

AXES = [None, 0, 1, 2, -1, -2, (0, 2), (-1, 0), (0, 1, 2), (1,)]

# (shape, axis): size-1 axes, 0-d and 1-D inputs.
SMALL_CASES = [
    ((), None),
    ((1,), None),
    ((1,), 0),
    ((5,), 0),
    ((5,), -1),
    ((1, 4), 0),
    ((1, 4), 1),
    ((3, 1), 1),
    ((3, 1), (0, 1)),
    ((1, 1, 3), 1),
    ((2, 1, 3), (0, 1)),
]


def _x(rng, shape):
    return np.asarray(rng.standard_normal(shape))  # distinct values: max/min are smooth


@pytest.mark.parametrize("op", list(REDUCE))
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_forward(rng, op, axis, keepdims):
    fn, reference = REDUCE[op]
    x = _x(rng, (2, 3, 4))
    out = fn(cr.tensor(x), axis=axis, keepdims=keepdims)
    expected = reference(x, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("op", list(REDUCE))
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_grad(rng, op, axis, keepdims):
    fn = REDUCE[op][0]
    check_grad(lambda t: fn(t, axis=axis, keepdims=keepdims), _x(rng, (2, 3, 4)))


@pytest.mark.parametrize("op", list(REDUCE))
@pytest.mark.parametrize("shape,axis", SMALL_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_small_shapes_forward(rng, op, shape, axis, keepdims):
    fn, reference = REDUCE[op]
    x = _x(rng, shape)
    out = fn(cr.tensor(x), axis=axis, keepdims=keepdims)
    expected = reference(x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("op", list(REDUCE))
@pytest.mark.parametrize("shape,axis", SMALL_CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_small_shapes_grad(rng, op, shape, axis, keepdims):
    fn = REDUCE[op][0]
    check_grad(lambda t: fn(t, axis=axis, keepdims=keepdims), _x(rng, shape))


def test_sum_grad_is_ones():
    x = cr.tensor(np.zeros((2, 3)), requires_grad=True)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


def test_mean_grad_is_one_over_count():
    x = cr.tensor(np.zeros((2, 3, 4)), requires_grad=True)
    x.mean(axis=(0, 2)).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((2, 3, 4), 1 / 8))


def test_sum_grad_read_only_broadcast_is_writable():
    """Sum's grad is a broadcast view; the leaf must own a writable copy to accumulate into."""
    x = cr.tensor(np.zeros(3), requires_grad=True)
    x.sum().backward()
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])


# ---------------------------------------------------------------------- ties
def test_max_ties_share_gradient_along_axis():
    x = cr.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=np.float64, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_max_ties_share_gradient_axis_none():
    x = cr.tensor([[3.0, 1.0], [3.0, 3.0]], dtype=np.float64, requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [[1 / 3, 0.0], [1 / 3, 1 / 3]])


def test_max_ties_share_gradient_keepdims():
    x = cr.tensor([[5.0, 5.0], [1.0, 0.0]], dtype=np.float64, requires_grad=True)
    out = x.max(axis=0, keepdims=True)
    assert out.shape == (1, 2)
    out.backward(np.array([[2.0, 4.0]]))
    np.testing.assert_allclose(x.grad.data, [[2.0, 4.0], [0.0, 0.0]])


def test_max_ties_share_gradient_tuple_axis():
    x = cr.tensor(np.ones((2, 2, 2)), dtype=np.float64, requires_grad=True)
    x.max(axis=(0, 2)).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((2, 2, 2), 0.25))


def test_min_ties_share_gradient():
    x = cr.tensor([[0.0, 0.0, 1.0]], dtype=np.float64, requires_grad=True)
    x.min(axis=-1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.5, 0.5, 0.0]])


def test_max_grad_goes_to_argmax():
    x = cr.tensor([[1.0, 4.0, 2.0], [7.0, 0.0, 3.0]], dtype=np.float64, requires_grad=True)
    x.max(axis=1).backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad.data, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])


# ---------------------------------------------------------------------- dtypes and errors
@pytest.mark.parametrize("op", list(REDUCE))
def test_reduce_float32_stays_float32(op):
    x = cr.tensor(np.arange(6.0).reshape(2, 3), dtype=np.float32, requires_grad=True)
    out = REDUCE[op][0](x, axis=1)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("op", list(REDUCE))
def test_reduce_axis_out_of_range_raises(op):
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        REDUCE[op][0](cr.ones((2, 3)), axis=3)


def test_max_of_empty_raises():
    with pytest.raises(ValueError, match="max: cannot reduce an empty tensor"):
        cr.zeros((0, 3)).max()


def test_min_of_empty_raises():
    with pytest.raises(ValueError, match="min: cannot reduce an empty tensor"):
        cr.zeros((0, 3)).min()
