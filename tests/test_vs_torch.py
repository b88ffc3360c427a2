"""Every op and loss against PyTorch in float64: values and input gradients within 1e-6."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
TF = pytest.importorskip("torch.nn.functional")

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from helpers import (  # noqa: E402  (after the importorskip)
    BASIC_INDICES,
    BROADCAST_PAIRS,
    UNARY_SHAPES,
    check_vs_torch,
)
from op_specs import BINARY, SPECS, UNARY, params  # noqa: E402

REDUCTIONS = ["mean", "sum", "none"]


# ---------------------------------------------------------------------- every spec
@pytest.mark.parametrize("spec", params())
def test_spec_matches_torch(spec):
    """Each line of tests/op_specs.py at its own shapes: values and every input's grad."""
    check_vs_torch(spec.fn, spec.torch, *spec.draw())


# ---------------------------------------------------------------------- elementwise
@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape_a,shape_b", BROADCAST_PAIRS)
def test_binary_broadcast(op, shape_a, shape_b):
    spec = SPECS[op]
    check_vs_torch(spec.fn, spec.torch, *spec.draw([shape_a, shape_b]))


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape", [(), (3, 4)])
def test_binary_python_scalar_left(op, shape):
    spec = SPECS[op]
    x = spec.draw_beside_scalar("left", shape)
    check_vs_torch(lambda t: spec.fn(1.5, t), lambda t: spec.torch(1.5, t), x)


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("shape", [(), (3, 4)])
def test_binary_python_scalar_right(op, shape):
    spec = SPECS[op]
    x = spec.draw_beside_scalar("right", shape)
    check_vs_torch(lambda t: spec.fn(t, 1.5), lambda t: spec.torch(t, 1.5), x)


def test_pow_zero_base():
    spec = SPECS["pow"]
    a, b = np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 2.0, 3.0, 0.0])
    check_vs_torch(spec.fn, spec.torch, a, b)


@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_zero_exponent_at_infinite_base(create_graph):
    x = np.array([np.inf, -np.inf, 0.0, 2.0])
    check_vs_torch(lambda t: t**0, lambda t: t**0, x, create_graph=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_zero_base_negative_exponent(create_graph):
    y = np.array([-1.0, -2.5, -0.5, 0.0, 2.0])
    with np.errstate(divide="ignore"):  # 0 ** -1 is inf, as in torch
        check_vs_torch(lambda t: 0.0**t, lambda t: 0.0**t, y, create_graph=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_edge_bases_tensor_exponent(create_graph):
    a = np.array([np.inf, -np.inf, np.inf, 0.0, 0.0, 0.0, 0.0, 2.0])
    b = np.array([0.0, 0.0, 2.0, -1.0, -0.5, 0.0, 2.0, 0.0])
    spec = SPECS["pow"]
    with np.errstate(divide="ignore", invalid="ignore"):  # inf and nan where torch has them
        check_vs_torch(spec.fn, spec.torch, a, b, create_graph=create_graph)


def test_pow_integer_negative_exponent_raises_like_torch():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        torch.tensor([1, 2]) ** -2
    with pytest.raises(ValueError, match=r"pow: integers to negative .*, got int64 \*\* int64"):
        cr.tensor([1, 2]) ** -2


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("shape", UNARY_SHAPES)
def test_unary_shapes(op, shape):
    spec = SPECS[op]
    check_vs_torch(spec.fn, spec.torch, *spec.draw([shape]))


@pytest.mark.parametrize("op", ["sigmoid", "tanh", "softplus"])
def test_unary_large_inputs(op):
    x = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check_vs_torch(SPECS[op].fn, SPECS[op].torch, x)


WHERE_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 4), (4,), (3, 1)),
    ((1, 4), (3, 1), ()),
    ((2, 3, 4), (3, 4), (4,)),
]


@pytest.mark.parametrize("cond_shape,shape_a,shape_b", WHERE_SHAPES)
def test_where_broadcast(rng, cond_shape, shape_a, shape_b):
    cond = rng.random(cond_shape) < 0.5
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    check_vs_torch(cr.where, torch.where, cond, a, b)


def test_where_python_scalar(rng):
    x = rng.standard_normal((3, 4))
    check_vs_torch(lambda t: cr.where(t > 0, t, 0.0), lambda t: torch.where(t > 0, t, 0.0), x)


# ---------------------------------------------------------------------- reductions
def _dims(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


TORCH_REDUCE = {
    "sum": lambda t, axis, keepdims: t.sum(dim=_dims(axis, t.ndim), keepdim=keepdims),
    "mean": lambda t, axis, keepdims: t.mean(dim=_dims(axis, t.ndim), keepdim=keepdims),
    "max": lambda t, axis, keepdims: torch.amax(t, dim=_dims(axis, t.ndim), keepdim=keepdims),
    "min": lambda t, axis, keepdims: torch.amin(t, dim=_dims(axis, t.ndim), keepdim=keepdims),
}

AXES = [None, 0, 1, -1, -2, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize("op", list(TORCH_REDUCE))
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_axes(rng, op, axis, keepdims):
    check_vs_torch(
        lambda t: getattr(t, op)(axis=axis, keepdims=keepdims),
        lambda t: TORCH_REDUCE[op](t, axis, keepdims),
        rng.standard_normal((2, 3, 4)),
    )


@pytest.mark.parametrize("op", list(TORCH_REDUCE))
@pytest.mark.parametrize(
    "shape,axis", [((), None), ((1,), 0), ((1, 4), 0), ((3, 1), 1), ((2, 1, 3), (0, 1))]
)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_size_one_axes(rng, op, shape, axis, keepdims):
    check_vs_torch(
        lambda t: getattr(t, op)(axis=axis, keepdims=keepdims),
        lambda t: TORCH_REDUCE[op](t, axis, keepdims),
        np.asarray(rng.standard_normal(shape)),
    )


@pytest.mark.parametrize("op", list(TORCH_REDUCE))
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_zero_dim_axis(op, axis, keepdims):
    check_vs_torch(
        lambda t: getattr(t, op)(axis=axis, keepdims=keepdims),
        lambda t: TORCH_REDUCE[op](t, axis, keepdims),
        np.asarray(1.5),
    )


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_mean_empty_axis_is_nan(axis, keepdims):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the mean of nothing is nan, without NumPy's warning
        check_vs_torch(
            lambda t: t.mean(axis=axis, keepdims=keepdims),
            lambda t: TORCH_REDUCE["mean"](t, axis, keepdims),
            np.zeros((0, 3)),
        )


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_min_int32_most_negative(axis):
    x = np.array([[-(2**31), 5], [7, 2**31 - 1]], dtype=np.int32)
    out = cr.Tensor(x).min(axis=axis)
    expected = TORCH_REDUCE["min"](torch.from_numpy(x), axis, False).numpy()
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.data, expected)


TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 5.0, -1.0, 5.0]])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_min_ties(op, axis, keepdims):
    check_vs_torch(
        lambda t: getattr(t, op)(axis=axis, keepdims=keepdims),
        lambda t: TORCH_REDUCE[op](t, axis, keepdims),
        TIES,
    )


# ---------------------------------------------------------------------- movement
@pytest.mark.parametrize(
    "shape,new_shape",
    [((2, 3, 4), (6, 4)), ((2, 3, 4), (4, -1)), ((2, 3, 4), (24,)), ((), (1, 1)), ((1,), ())],
)
def test_reshape_shapes(rng, shape, new_shape):
    check_vs_torch(
        lambda t: t.reshape(new_shape),
        lambda t: t.reshape(new_shape),
        np.asarray(rng.standard_normal(shape)),
    )


@pytest.mark.parametrize(
    "shape,axes",
    [((3, 4), (1, 0)), ((2, 3, 4), (1, 0, 2)), ((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (-1, 0, 1))],
)
def test_transpose_axes(rng, shape, axes):
    check_vs_torch(
        lambda t: t.transpose(*axes), lambda t: t.permute(*axes), rng.standard_normal(shape)
    )


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (2, 3, 4)])
def test_T_shapes(rng, shape):
    check_vs_torch(
        lambda t: t.T,
        lambda t: t.permute(tuple(reversed(range(t.ndim)))),
        np.asarray(rng.standard_normal(shape)),
    )


@pytest.mark.parametrize(
    "shape,start_axis", [((2, 3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((), 0)]
)
def test_flatten_start_axis(rng, shape, start_axis):
    check_vs_torch(
        lambda t: t.flatten(start_axis),
        lambda t: t.flatten(start_axis),
        np.asarray(rng.standard_normal(shape)),
    )


@pytest.mark.parametrize("shape,target", [((4,), (3, 4)), ((3, 1), (2, 3, 4)), ((), (2, 2))])
def test_broadcast_to_shapes(rng, shape, target):
    check_vs_torch(
        lambda t: t.broadcast_to(target),
        lambda t: t.broadcast_to(target),
        np.asarray(rng.standard_normal(shape)),
    )


# torch has no negative slice steps
TORCH_BASIC_INDICES = [name for name in BASIC_INDICES if name != "reverse"]


@pytest.mark.parametrize("name", TORCH_BASIC_INDICES)
def test_getitem_basic(rng, name):
    index = BASIC_INDICES[name]
    check_vs_torch(lambda t: t[index], lambda t: t[index], rng.standard_normal((2, 3, 4)))


ADVANCED_INDICES = {
    "repeated": ([0, 0, 2],),
    "pairs": ([0, 0, 1], [2, 2, 0]),
    "with_slice": ([0, 1, 0], slice(1, 3)),
    "negative": ([-1, 0, -1],),
}


def _torch_index(index):
    return tuple(torch.tensor(i) if isinstance(i, list) else i for i in index)


@pytest.mark.parametrize("name", list(ADVANCED_INDICES))
def test_getitem_integer_array(rng, name):
    index = ADVANCED_INDICES[name]
    check_vs_torch(
        lambda t: t[tuple(np.array(i) if isinstance(i, list) else i for i in index)],
        lambda t: t[_torch_index(index)],
        rng.standard_normal((3, 3, 4)),
    )


def test_getitem_bool_mask(rng):
    x = rng.standard_normal((3, 4))
    mask = x > 0
    check_vs_torch(lambda t, m: t[m], lambda t, m: t[m], x, mask)


def test_getitem_bool_row_mask(rng):
    mask = np.array([True, False, True])
    check_vs_torch(lambda t, m: t[m], lambda t, m: t[m], rng.standard_normal((3, 4)), mask)


CONCATS = [
    ([(2, 3), (4, 3)], 0),
    ([(2, 3), (2, 1), (2, 5)], 1),
    ([(2, 3), (2, 2)], -1),
    ([(2, 3, 4), (2, 3, 1)], 2),
]


@pytest.mark.parametrize("shapes,axis", CONCATS)
def test_concat_axes(rng, shapes, axis):
    check_vs_torch(
        lambda *ts: cr.concat(list(ts), axis=axis),
        lambda *ts: torch.cat(ts, dim=axis),
        *[rng.standard_normal(s) for s in shapes],
    )


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_axes(rng, axis):
    check_vs_torch(
        lambda *ts: cr.stack(list(ts), axis=axis),
        lambda *ts: torch.stack(ts, dim=axis),
        *[rng.standard_normal((3, 4)) for _ in range(3)],
    )


# ---------------------------------------------------------------------- matmul
MATMUL_SHAPES = {
    "1d_1d": ((4,), (4,)),
    "1d_2d": ((4,), (4, 5)),
    "2d_1d": ((3, 4), (4,)),
    "2d_2d": ((3, 4), (4, 5)),
    "batched_2d": ((2, 3, 4), (4, 5)),
    "batched_batched": ((2, 3, 4), (2, 4, 5)),
    "broadcast_batch": ((2, 1, 3, 4), (5, 4, 2)),
    "1d_batched": ((4,), (2, 4, 5)),
    "batched_1d": ((2, 3, 4), (4,)),
}


@pytest.mark.parametrize("name", list(MATMUL_SHAPES))
def test_matmul_shapes(rng, name):
    shape_a, shape_b = MATMUL_SHAPES[name]
    fn = lambda a, b: a @ b  # noqa: E731
    check_vs_torch(fn, fn, rng.standard_normal(shape_a), rng.standard_normal(shape_b))


# ---------------------------------------------------------------------- softmax family, linear
LARGE_LOGITS = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0], [-1000.0, -1000.0, 0.0]])


@pytest.mark.parametrize("shape,axis", [((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((5,), 0)])
def test_softmax_axes(rng, shape, axis):
    check_vs_torch(
        lambda t: F.softmax(t, axis=axis),
        lambda t: torch.softmax(t, dim=axis),
        rng.standard_normal(shape),
    )


@pytest.mark.parametrize("shape,axis", [((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((5,), 0)])
def test_log_softmax_axes(rng, shape, axis):
    check_vs_torch(
        lambda t: F.log_softmax(t, axis=axis),
        lambda t: torch.log_softmax(t, dim=axis),
        rng.standard_normal(shape),
    )


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_large_logits(axis):
    check_vs_torch(
        lambda t: F.softmax(t, axis=axis), lambda t: torch.softmax(t, dim=axis), LARGE_LOGITS
    )


@pytest.mark.parametrize("axis", [0, -1])
def test_log_softmax_large_logits(axis):
    check_vs_torch(
        lambda t: F.log_softmax(t, axis=axis),
        lambda t: torch.log_softmax(t, dim=axis),
        LARGE_LOGITS,
    )


@pytest.mark.parametrize("shape", [(5, 3), (1, 3), (3,), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_shapes(rng, shape, bias):
    arrays = [rng.standard_normal(shape), rng.standard_normal((4, 3))]
    if bias:
        arrays.append(rng.standard_normal(4))
    check_vs_torch(F.linear, TF.linear, *arrays)


# ---------------------------------------------------------------------- losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_reductions(rng, reduction):
    check_vs_torch(
        lambda a, b: F.mse_loss(a, b, reduction=reduction),
        lambda a, b: TF.mse_loss(a, b, reduction=reduction),
        rng.standard_normal((3, 4)),
        rng.standard_normal((3, 4)),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n,classes", [(4, 3), (1, 5), (6, 2)])
def test_cross_entropy_indices(rng, reduction, n, classes):
    check_vs_torch(
        lambda z, t: F.cross_entropy(z, t, reduction=reduction),
        lambda z, t: TF.cross_entropy(z, t, reduction=reduction),
        rng.standard_normal((n, classes)),
        rng.integers(0, classes, size=n),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices_large_logits(reduction):
    check_vs_torch(
        lambda z, t: F.cross_entropy(z, t, reduction=reduction),
        lambda z, t: TF.cross_entropy(z, t, reduction=reduction),
        LARGE_LOGITS,
        np.array([2, 0, 1]),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(rng, reduction):
    logits = rng.standard_normal((4, 3))
    probs = np.exp(rng.standard_normal((4, 3)))
    probs /= probs.sum(axis=1, keepdims=True)
    check_vs_torch(
        lambda z, p: F.cross_entropy(z, p, reduction=reduction),
        lambda z, p: TF.cross_entropy(z, p, reduction=reduction),
        logits,
        probs,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_constant_target(rng, reduction):
    logits = rng.standard_normal((4, 3))
    probs = np.eye(3)[[0, 2, 1, 1]] * 0.9 + 0.1 / 3  # label smoothing
    check_vs_torch(
        lambda z, p: F.cross_entropy(z, p, reduction=reduction),
        lambda z, p: TF.cross_entropy(z, p, reduction=reduction),
        logits,
        probs,
        requires_grad=[True, False],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_binary_cross_entropy_reductions(rng, reduction, shape):
    check_vs_torch(
        lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
        lambda p, t: TF.binary_cross_entropy(p, t, reduction=reduction),
        rng.uniform(0.05, 0.95, size=shape),
        rng.uniform(0.0, 1.0, size=shape),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_binary_cross_entropy_with_logits_reductions(rng, reduction, shape):
    check_vs_torch(
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
        lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction),
        rng.standard_normal(shape) * 3,
        rng.uniform(0.0, 1.0, size=shape),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_extremes(reduction):
    logits = np.array([-50.0, 0.0, 50.0, 0.0, 50.0, -50.0, 0.0])
    targets = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check_vs_torch(
            lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
            lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction),
            logits,
            targets,
        )
