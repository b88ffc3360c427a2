"""MatMul: every 1-D, 2-D and batched case of NumPy's matmul, forward and backward."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
from helpers import check_grad

MATMUL_SHAPES = {
    "1d_1d": ((4,), (4,)),
    "1d_2d": ((4,), (4, 5)),
    "2d_1d": ((3, 4), (4,)),
    "2d_2d": ((3, 4), (4, 5)),
    "1x1": ((1, 1), (1, 1)),
    "batched_2d": ((2, 3, 4), (4, 5)),
    "2d_batched": ((3, 4), (2, 4, 5)),
    "batched_batched": ((2, 3, 4), (2, 4, 5)),
    "broadcast_batch": ((2, 1, 3, 4), (5, 4, 2)),
    "1d_batched": ((4,), (2, 4, 5)),
    "batched_1d": ((2, 3, 4), (4,)),
}


def _operands(rng, name):
    shape_a, shape_b = MATMUL_SHAPES[name]
    return np.asarray(rng.standard_normal(shape_a)), np.asarray(rng.standard_normal(shape_b))


@pytest.mark.parametrize("name", list(MATMUL_SHAPES))
def test_matmul_forward(rng, name):
    a, b = _operands(rng, name)
    out = cr.tensor(a) @ cr.tensor(b)
    expected = np.matmul(a, b)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(MATMUL_SHAPES))
def test_matmul_grad(rng, name):
    check_grad(lambda x, y: x @ y, *_operands(rng, name))


@pytest.mark.parametrize("name", ["1d_2d", "2d_2d", "broadcast_batch"])
def test_matmul_grad_left_only(rng, name):
    a, b = _operands(rng, name)
    constant = cr.tensor(b)
    check_grad(lambda x: x @ constant, a)


@pytest.mark.parametrize("name", ["2d_1d", "2d_2d", "broadcast_batch"])
def test_matmul_grad_right_only(rng, name):
    a, b = _operands(rng, name)
    constant = cr.tensor(a)
    check_grad(lambda y: constant @ y, b)


def test_matmul_2d_grad_values():
    a = cr.tensor([[1.0, 2.0]], dtype=np.float64, requires_grad=True)
    b = cr.tensor([[3.0], [4.0]], dtype=np.float64, requires_grad=True)
    (a @ b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[3.0, 4.0]])
    np.testing.assert_array_equal(b.grad.data, [[1.0], [2.0]])


def test_matmul_1d_1d_is_dot():
    a = cr.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    b = cr.tensor([4.0, 5.0, 6.0], dtype=np.float64, requires_grad=True)
    out = a @ b
    out.backward()
    assert out.shape == ()
    assert out.item() == 32.0
    np.testing.assert_array_equal(a.grad.data, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0, 3.0])


def test_rmatmul_ndarray_left(rng):
    a = rng.standard_normal((3, 4))
    check_grad(lambda y: a @ y, rng.standard_normal((4, 2)))


def test_matmul_float32_stays_float32():
    a = cr.tensor(np.ones((2, 3)), dtype=np.float32, requires_grad=True)
    b = cr.tensor(np.ones((3,)), dtype=np.float32, requires_grad=True)
    out = a @ b
    out.sum().backward()
    assert out.dtype == np.float32
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


# ---------------------------------------------------------------------- error paths
def test_matmul_misaligned_raises():
    message = re.escape("matmul: shapes (2, 3) and (4, 5) are not aligned")
    with pytest.raises(ValueError, match=message):
        cr.ones((2, 3)) @ cr.ones((4, 5))


def test_matmul_misaligned_1d_raises():
    with pytest.raises(ValueError, match=re.escape("matmul: shapes (3,) and (4,) are not aligned")):
        cr.ones(3) @ cr.ones(4)


def test_matmul_scalar_operand_raises():
    with pytest.raises(ValueError, match="matmul: operands must be at least 1-D"):
        cr.ones(()) @ cr.ones((2, 2))


def test_matmul_batch_not_broadcastable_raises():
    with pytest.raises(ValueError, match="matmul: batch dimensions"):
        cr.ones((2, 3, 4)) @ cr.ones((3, 4, 5))
