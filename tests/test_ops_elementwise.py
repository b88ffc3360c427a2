"""Elementwise ops: forward against NumPy, backward against finite differences, dtypes, errors."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.backends.cpu import constant
from helpers import BROADCAST_PAIRS, UNARY_SHAPES, check_grad
from op_specs import BINARY, SPECS, UNARY


def _tensors(*arrays: np.ndarray) -> list[cr.Tensor]:
    return [cr.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape_a,shape_b", BROADCAST_PAIRS)
def test_binary_forward_broadcast(op, shape_a, shape_b):
    spec = SPECS[op]
    a, b = spec.draw([shape_a, shape_b])
    out = spec.fn(*_tensors(a, b))
    assert out.shape == np.broadcast_shapes(shape_a, shape_b)
    np.testing.assert_allclose(out.data, spec.numpy(a, b), rtol=1e-12)


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape_a,shape_b", BROADCAST_PAIRS)
def test_binary_grad_broadcast(op, shape_a, shape_b):
    spec = SPECS[op]
    check_grad(spec.fn, *spec.draw([shape_a, shape_b]))


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape", [(), (3, 4)])
@pytest.mark.parametrize("side", ["left", "right"])
def test_binary_python_scalar_operand(op, shape, side):
    spec = SPECS[op]
    x = spec.draw_beside_scalar(side, shape)
    scalar = 1.5
    if side == "left":
        out = spec.fn(scalar, cr.tensor(x, dtype=np.float64))
        expected = spec.numpy(scalar, x)
    else:
        out = spec.fn(cr.tensor(x, dtype=np.float64), scalar)
        expected = spec.numpy(x, scalar)
    assert out.shape == shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape", [(), (3, 4)])
@pytest.mark.parametrize("side", ["left", "right"])
def test_binary_python_scalar_grad(op, shape, side):
    fn = SPECS[op].fn
    x = SPECS[op].draw_beside_scalar(side, shape)
    if side == "left":
        check_grad(lambda t: fn(1.5, t), x)
    else:
        check_grad(lambda t: fn(t, 1.5), x)


@pytest.mark.parametrize("op", BINARY)
def test_binary_only_one_operand_needs_grad(op):
    spec = SPECS[op]
    a, b = spec.draw([(3, 4), (4,)])
    constant = cr.tensor(b, dtype=np.float64)
    check_grad(lambda t: spec.fn(t, constant), a)


def test_mul_same_tensor_twice_accumulates():
    x = cr.tensor([1.0, -2.0, 3.0], dtype=np.float64, requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, -4.0, 6.0])


def test_add_broadcast_grad_sums_over_copies():
    a = cr.tensor(np.ones((3, 4)), requires_grad=True)
    b = cr.tensor(np.ones((1, 4)), requires_grad=True)
    (a + b).sum().backward()
    np.testing.assert_allclose(b.grad.data, np.full((1, 4), 3.0))
    np.testing.assert_allclose(a.grad.data, np.ones((3, 4)))


def test_pow_grad_exponent_values():
    base = cr.tensor([2.0, 3.0], dtype=np.float64, requires_grad=True)
    exponent = cr.tensor([3.0, 2.0], dtype=np.float64, requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(base.grad.data, [12.0, 6.0])
    np.testing.assert_allclose(exponent.grad.data, [8 * np.log(2), 9 * np.log(3)])


def test_pow_grad_zero_exponent_at_zero_base():
    """d(x**0)/dx is 0 everywhere, x = 0 included (torch gives 0)."""
    x = cr.tensor([0.0, 2.0], dtype=np.float64, requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_pow_grad_exponent_at_zero_base():
    """d(0**b)/db is 0 for b > 0 (0**b is constant there; torch gives 0)."""
    base = cr.tensor([0.0, 1.0], dtype=np.float64, requires_grad=True)
    exponent = cr.tensor([2.0, 2.0], dtype=np.float64, requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_array_equal(base.grad.data, [0.0, 2.0])
    np.testing.assert_array_equal(exponent.grad.data, [0.0, 0.0])


def test_div_grad_values():
    a = cr.tensor([3.0], dtype=np.float64, requires_grad=True)
    b = cr.tensor([2.0], dtype=np.float64, requires_grad=True)
    (a / b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.5])
    np.testing.assert_allclose(b.grad.data, [-0.75])


# ---------------------------------------------------------------------- unary ops
@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("shape", UNARY_SHAPES)
def test_unary_forward(op, shape):
    spec = SPECS[op]
    (x,) = spec.draw([shape])
    out = spec.fn(cr.tensor(x, dtype=np.float64))
    assert out.shape == shape
    np.testing.assert_allclose(out.data, spec.numpy(x), rtol=1e-12)


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("shape", UNARY_SHAPES)
def test_unary_grad(op, shape):
    spec = SPECS[op]
    check_grad(spec.fn, *spec.draw([shape]))


@pytest.mark.parametrize("op", ["abs", "relu"])
def test_kink_grad_at_zero_is_zero(op):
    x = cr.tensor([0.0], dtype=np.float64, requires_grad=True)
    SPECS[op].fn(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0])


def test_relu_grad_masks_negatives():
    x = cr.tensor([-1.0, 2.0, -3.0, 4.0], dtype=np.float64, requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0, 1.0])


@pytest.mark.parametrize("size", [5, 6000])  # both sides of the zeros-array path
def test_relu_matches_numpy_on_special_values_and_keeps_layout(rng, size):
    values = rng.standard_normal(size).astype(np.float32)
    values[:5] = [np.nan, -np.inf, np.inf, -0.0, 0.0]
    x = values.reshape(1, -1, 1).transpose(1, 0, 2)  # a non-contiguous view
    out = cr.Tensor(x).relu().data
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    assert out.dtype == np.float32 and out.strides == np.maximum(x, 0).strides


LARGE = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])


def test_sigmoid_large_inputs_no_overflow():
    x = cr.tensor(LARGE, dtype=np.float64, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = x.sigmoid()
        out.sum().backward()
    np.testing.assert_allclose(out.data, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, [0.0, np.exp(-50.0), 0.25, 0.0, 0.0], atol=1e-20)


def test_sigmoid_large_inputs_float32_no_overflow():
    x = cr.tensor(LARGE.astype(np.float32), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = x.sigmoid()
        out.sum().backward()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-7)
    assert np.all(np.isfinite(x.grad.data))


def test_tanh_large_inputs_saturate():
    x = cr.tensor(LARGE, dtype=np.float64, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = x.tanh()
        out.sum().backward()
    np.testing.assert_allclose(out.data, [-1.0, -1.0, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, 0.0, 0.0], atol=1e-30)


def test_softplus_large_inputs_no_overflow():
    x = cr.tensor(LARGE, dtype=np.float64, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = cr.ops.Softplus.apply(x)
        out.sum().backward()
    np.testing.assert_allclose(out.data, [0.0, np.exp(-50.0), np.log(2), 50.0, 1000.0])
    np.testing.assert_allclose(x.grad.data, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], atol=1e-20)


# ---------------------------------------------------------------------- where
WHERE_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 4), (4,), (3, 1)),
    ((1, 4), (3, 1), ()),
    ((3, 1), (), (4,)),
    ((2, 3, 4), (3, 4), (4,)),
    ((), (3, 4), (3, 4)),
]


@pytest.mark.parametrize("cond_shape,shape_a,shape_b", WHERE_SHAPES)
def test_where_forward_broadcast(rng, cond_shape, shape_a, shape_b):
    cond = rng.random(cond_shape) < 0.5
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    out = cr.where(cond, *_tensors(a, b))
    np.testing.assert_array_equal(out.data, np.where(cond, a, b))


@pytest.mark.parametrize("cond_shape,shape_a,shape_b", WHERE_SHAPES)
def test_where_grad_broadcast(rng, cond_shape, shape_a, shape_b):
    cond = rng.random(cond_shape) < 0.5
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    check_grad(lambda x, y: cr.where(cond, x, y), a, b)


def test_where_grad_values_route_by_condition():
    a = cr.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    b = cr.tensor(5.0, dtype=np.float64, requires_grad=True)
    cr.where(np.array([True, False, True]), a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, 1.0)


def test_where_tensor_condition_and_python_scalar(rng):
    x = rng.standard_normal((3, 4))
    check_grad(lambda t: cr.where(t > 0, t, 0.0), x)


# ---------------------------------------------------------------------- comparisons
@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_comparison_returns_bool_without_grad(op):
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = getattr(x, f"__{op}__")(2.0)
    expected = getattr(np.array([1.0, 2.0, 3.0]), f"__{op}__")(2.0)
    assert out.dtype == np.bool_
    assert not out.requires_grad
    np.testing.assert_array_equal(out.data, expected)


# ---------------------------------------------------------------------- dtypes
def _f32(shape=(3,)):
    return cr.tensor(np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape), dtype=np.float32)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 0.5,
        lambda x: 0.5 * x,
        lambda x: x + np.float64(1),
        lambda x: np.float64(1) + x,
        lambda x: x - 1,
        lambda x: x / 3.0,
        lambda x: 3.0 / x,
        lambda x: x**2.0,
        lambda x: 2.0**x,
        lambda x: (x * np.float64(0.1) + 1) / np.float64(2),
    ],
    ids=["mul", "rmul", "add_np64", "radd_np64", "sub_int", "div", "rdiv", "pow", "rpow", "chain"],
)
def test_float32_scalar_operand_stays_float32(fn):
    out = fn(_f32())
    assert out.dtype == np.float32


@pytest.mark.parametrize("op", UNARY)
def test_float32_unary_stays_float32(op):
    assert SPECS[op].fn(_f32()).dtype == np.float32


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 0.5 + np.float64(1),
        lambda x: 2.0**x,
        lambda x: (x / 3.0).sigmoid(),
        lambda x: cr.nn.functional.mse_loss(x, cr.zeros(x.shape, dtype=np.float32)),
    ],
    ids=["mul_add", "rpow", "div_sigmoid", "mse_loss"],
)
def test_float32_leaf_grad_is_float32(fn):
    x = _f32()
    x.requires_grad_()
    fn(x).sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_is_a_shared_read_only_0d_array(dtype):
    one = constant(1.0, np.dtype(dtype))
    assert one.shape == () and one.dtype == dtype and one == 1
    assert constant(1.0, np.dtype(dtype)) is one  # made once
    with pytest.raises(ValueError, match="read-only"):
        one[...] = 2


def test_float32_rpow_values():
    x = cr.tensor([0.0, 1.0, 3.0], dtype=np.float32, requires_grad=True)
    (2.0**x).sum().backward()
    np.testing.assert_allclose((2.0**x).data, [1.0, 2.0, 8.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, np.log(2) * np.array([1.0, 2.0, 8.0]), rtol=1e-6)


@pytest.mark.parametrize(
    "fn", [lambda x: x * 0.5, lambda x: x + np.float64(1), lambda x: 2.0**x, lambda x: x.exp()]
)
def test_float64_stays_float64(fn):
    x = cr.tensor([0.5, 1.0], dtype=np.float64, requires_grad=True)
    out = fn(x)
    out.sum().backward()
    assert out.dtype == np.float64
    assert x.grad.dtype == np.float64


def test_python_float_tensor_defaults_to_float32():
    assert cr.tensor([0.5, 1.5]).dtype == np.float32


# ---------------------------------------------------------------------- error paths
@pytest.mark.parametrize("op", ["add", "mul"])
def test_binary_non_broadcastable_raises(op):
    a, b = cr.tensor(np.ones(3)), cr.tensor(np.ones(4))
    with pytest.raises(ValueError, match=re.escape(f"{op}: shapes (3,) and (4,)")):
        SPECS[op].fn(a, b)


def test_add_non_broadcastable_2d_names_both_shapes():
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(3, 2\)"):
        cr.ones((2, 3)) + cr.ones((3, 2))


def test_pow_integer_non_broadcastable_keeps_broadcast_error():
    with pytest.raises(ValueError, match=re.escape("pow: shapes (2,) and (3,) do not broadcast")):
        cr.tensor([1, 2]) ** cr.tensor([-1, 2, 3])


def test_integer_tensor_requires_grad_raises():
    with pytest.raises(ValueError, match="floating-point"):
        cr.tensor([1, 2, 3], requires_grad=True)


def test_backward_non_scalar_without_grad_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (cr.tensor([1.0]) * 2).sum().backward()


def test_backward_grad_of_wrong_shape_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="grad has shape"):
        (x * 2).backward(np.ones(3))


def test_backward_explicit_grad_non_scalar():
    x = cr.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (x * 3.0).backward(np.array([1.0, -2.0]))
    np.testing.assert_allclose(x.grad.data, [3.0, -6.0])
