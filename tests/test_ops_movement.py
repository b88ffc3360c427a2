"""Movement ops: reshape, transpose, flatten, broadcast_to, indexing, concat and stack."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
from helpers import BASIC_INDICES, check_grad


def _x(rng, shape=(2, 3, 4)):
    return np.asarray(rng.standard_normal(shape))


# ---------------------------------------------------------------------- reshape
RESHAPES = [
    ((2, 3, 4), (6, 4)),
    ((2, 3, 4), (4, -1)),
    ((2, 3, 4), (24,)),
    ((2, 3, 4), (1, 2, 3, 4)),
    ((2, 3, 4), (-1,)),
    ((), (1, 1)),
    ((1,), ()),
    ((3, 1), (1, 3)),
]


@pytest.mark.parametrize("shape,new_shape", RESHAPES)
def test_reshape_forward(rng, shape, new_shape):
    x = _x(rng, shape)
    out = cr.tensor(x).reshape(new_shape)
    np.testing.assert_array_equal(out.data, x.reshape(new_shape))


@pytest.mark.parametrize("shape,new_shape", RESHAPES)
def test_reshape_grad(rng, shape, new_shape):
    check_grad(lambda t: t.reshape(new_shape), _x(rng, shape))


def test_reshape_varargs_equals_tuple(rng):
    x = cr.tensor(_x(rng))
    np.testing.assert_array_equal(x.reshape(6, 4).data, x.reshape((6, 4)).data)


def test_reshape_bad_shape_raises():
    with pytest.raises(
        ValueError, match=re.escape("reshape: cannot reshape a tensor of shape (2, 3)")
    ):
        cr.ones((2, 3)).reshape(4)


def test_reshape_two_unknown_dims_raises():
    with pytest.raises(ValueError, match="reshape"):
        cr.ones((2, 3)).reshape(-1, -1)


# ---------------------------------------------------------------------- transpose
TRANSPOSES = [
    ((3, 4), ()),
    ((3, 4), (1, 0)),
    ((2, 3, 4), ()),
    ((2, 3, 4), (1, 0, 2)),
    ((2, 3, 4), (2, 0, 1)),
    ((2, 3, 4), (-1, 0, 1)),
    ((2, 1, 3), (0, 2, 1)),
    ((), ()),
]


@pytest.mark.parametrize("shape,axes", TRANSPOSES)
def test_transpose_forward(rng, shape, axes):
    x = _x(rng, shape)
    out = cr.tensor(x).transpose(*axes)
    np.testing.assert_array_equal(out.data, x.transpose(*axes))


@pytest.mark.parametrize("shape,axes", TRANSPOSES)
def test_transpose_grad(rng, shape, axes):
    check_grad(lambda t: t.transpose(*axes), _x(rng, shape))


def test_transpose_tuple_argument(rng):
    x = _x(rng)
    np.testing.assert_array_equal(cr.tensor(x).transpose((2, 0, 1)).data, x.transpose(2, 0, 1))


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (2, 3, 4)])
def test_T_forward(rng, shape):
    x = _x(rng, shape)
    np.testing.assert_array_equal(cr.tensor(x).T.data, x.T)


@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (2, 3, 4)])
def test_T_grad(rng, shape):
    check_grad(lambda t: t.T, _x(rng, shape))


def test_transpose_bad_axes_raises():
    with pytest.raises(ValueError, match="transpose: axes"):
        cr.ones((2, 3, 4)).transpose(0, 0, 1)  # two dims would be PyTorch's swap


# ---------------------------------------------------------------------- flatten
@pytest.mark.parametrize(
    "start_axis,expected",
    [(0, (24,)), (1, (2, 12)), (2, (2, 3, 4)), (-1, (2, 3, 4)), (-2, (2, 12))],
)
def test_flatten_shape(rng, start_axis, expected):
    assert cr.tensor(_x(rng)).flatten(start_axis).shape == expected


@pytest.mark.parametrize("start_axis", [0, 1, -1])
def test_flatten_grad(rng, start_axis):
    check_grad(lambda t: t.flatten(start_axis), _x(rng))


@pytest.mark.parametrize("shape,start_axis", [((2, 3, 4), 3), ((2, 3, 4), -4), ((3,), 1)])
def test_flatten_start_axis_out_of_range_raises(shape, start_axis):
    # NOTE: like torch.flatten (IndexError) and NumPy's AxisError, not a silent wrap-around.
    with pytest.raises((ValueError, IndexError)):
        cr.ones(shape).flatten(start_axis)


def test_flatten_values(rng):
    x = _x(rng)
    np.testing.assert_array_equal(cr.tensor(x).flatten(1).data, x.reshape(2, 12))


# ---------------------------------------------------------------------- broadcast_to
BROADCASTS = [((4,), (3, 4)), ((3, 1), (2, 3, 4)), ((), (2, 2)), ((1, 4), (3, 4)), ((2,), (2,))]


@pytest.mark.parametrize("shape,target", BROADCASTS)
def test_broadcast_to_forward(rng, shape, target):
    x = _x(rng, shape)
    np.testing.assert_array_equal(
        cr.tensor(x).broadcast_to(target).data, np.broadcast_to(x, target)
    )


@pytest.mark.parametrize("shape,target", BROADCASTS)
def test_broadcast_to_grad(rng, shape, target):
    check_grad(lambda t: t.broadcast_to(target), _x(rng, shape))


def test_broadcast_to_bad_shape_raises():
    with pytest.raises(ValueError, match="broadcast_to: cannot broadcast"):
        cr.ones(3).broadcast_to((2, 4))


# ---------------------------------------------------------------------- basic indexing


@pytest.mark.parametrize("name", list(BASIC_INDICES))
def test_getitem_basic_forward(rng, name):
    index = BASIC_INDICES[name]
    x = _x(rng)
    np.testing.assert_array_equal(cr.tensor(x)[index].data, x[index])


@pytest.mark.parametrize("name", list(BASIC_INDICES))
def test_getitem_basic_grad(rng, name):
    index = BASIC_INDICES[name]
    check_grad(lambda t: t[index], _x(rng))


def test_getitem_slice_grad_values():
    x = cr.tensor(np.zeros((2, 3)), requires_grad=True)
    x[:, 1:].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])


# ---------------------------------------------------------------------- integer-array indexing
ADVANCED_INDICES = {
    "repeated_rows": [0, 0, 2],
    "repeated_array": np.array([1, 1, 1, 0]),
    "pairs": ([0, 0, 1], [2, 2, 0]),
    "with_slice": ([0, 1, 0], slice(1, 3)),
    "negative": np.array([-1, 0, -1]),
    "2d_index": np.array([[0, 1], [1, 1]]),
}


@pytest.mark.parametrize("name", list(ADVANCED_INDICES))
def test_getitem_integer_array_forward(rng, name):
    index = ADVANCED_INDICES[name]
    x = _x(rng, (3, 3, 4))
    np.testing.assert_array_equal(cr.tensor(x)[index].data, x[index])


@pytest.mark.parametrize("name", list(ADVANCED_INDICES))
def test_getitem_integer_array_grad(rng, name):
    index = ADVANCED_INDICES[name]
    check_grad(lambda t: t[index], _x(rng, (3, 3, 4)))


def test_getitem_repeated_indices_accumulate():
    x = cr.tensor(np.zeros(4), requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0, 0.0])


def test_getitem_repeated_rows_accumulate_weighted():
    x = cr.tensor(np.zeros((3, 2)), requires_grad=True)
    x[np.array([2, 2])].backward(np.array([[1.0, 2.0], [10.0, 20.0]]))
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0], [0.0, 0.0], [11.0, 22.0]])


def test_getitem_tensor_index():
    x = cr.tensor(np.zeros(3), requires_grad=True)
    x[cr.tensor([1, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0, 0.0])


def test_getitem_out_of_range_raises():
    with pytest.raises(IndexError, match="getitem"):
        cr.ones((2, 3))[5]


# ---------------------------------------------------------------------- boolean masks
def test_getitem_bool_mask_forward(rng):
    x = _x(rng, (3, 4))
    mask = x > 0
    np.testing.assert_array_equal(cr.tensor(x)[mask].data, x[mask])


def test_getitem_bool_mask_grad(rng):
    x = _x(rng, (3, 4))
    mask = x > 0
    check_grad(lambda t: t[mask], x)


def test_getitem_bool_row_mask_grad(rng):
    mask = np.array([True, False, True])
    check_grad(lambda t: t[mask], _x(rng, (3, 4)))


def test_getitem_tensor_bool_mask_grad_values():
    x = cr.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0, 1.0])


# ---------------------------------------------------------------------- concat and stack
CONCATS = [
    ([(2, 3), (4, 3)], 0),
    ([(2, 3), (2, 1), (2, 5)], 1),
    ([(2, 3), (2, 2)], -1),
    ([(2, 3, 4), (2, 3, 1)], 2),
    ([(2, 3, 4), (2, 1, 4)], -2),
    ([(3,), (1,), (2,)], 0),
]


@pytest.mark.parametrize("shapes,axis", CONCATS)
def test_concat_forward(rng, shapes, axis):
    arrays = [_x(rng, s) for s in shapes]
    out = cr.concat([cr.tensor(a) for a in arrays], axis=axis)
    np.testing.assert_array_equal(out.data, np.concatenate(arrays, axis=axis))


@pytest.mark.parametrize("shapes,axis", CONCATS)
def test_concat_grad(rng, shapes, axis):
    check_grad(lambda *ts: cr.concat(list(ts), axis=axis), *[_x(rng, s) for s in shapes])


def test_concat_with_constant_input(rng):
    constant = cr.tensor(_x(rng, (1, 3)))
    check_grad(lambda t: cr.concat([constant, t, constant], axis=0), _x(rng, (2, 3)))


def test_concat_mismatched_shapes_raises():
    with pytest.raises(ValueError, match="concat: cannot join shapes"):
        cr.concat([cr.ones((2, 3)), cr.ones((2, 4))], axis=0)


def test_concat_empty_raises():
    with pytest.raises(ValueError, match="concat: expected a non-empty"):
        cr.concat([])


STACK_AXES = [0, 1, 2, -1, -3]


@pytest.mark.parametrize("axis", STACK_AXES)
def test_stack_forward(rng, axis):
    arrays = [_x(rng, (3, 4)) for _ in range(3)]
    out = cr.stack([cr.tensor(a) for a in arrays], axis=axis)
    np.testing.assert_array_equal(out.data, np.stack(arrays, axis=axis))


@pytest.mark.parametrize("axis", STACK_AXES)
def test_stack_grad(rng, axis):
    check_grad(lambda *ts: cr.stack(list(ts), axis=axis), *[_x(rng, (3, 4)) for _ in range(3)])


def test_stack_scalars_grad(rng):
    check_grad(lambda a, b: cr.stack([a, b]), _x(rng, ()), _x(rng, ()))


@pytest.mark.parametrize("axis", [3, -4])
def test_stack_axis_out_of_range_raises(axis):
    # NOTE: np.stack raises AxisError here; (3, 4) inputs allow axes -3..2 only.
    with pytest.raises((ValueError, IndexError)):
        cr.stack([cr.ones((3, 4)), cr.ones((3, 4))], axis=axis)


def test_stack_different_shapes_raises():
    with pytest.raises(ValueError, match="stack: all tensors need the same shape"):
        cr.stack([cr.ones(3), cr.ones(4)])


# ---------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.reshape(-1),
        lambda t: t.T,
        lambda t: t[[0, 0]],
        lambda t: t[:, 1:],
        lambda t: cr.concat([t, t], axis=1),
        lambda t: cr.stack([t, t]),
        lambda t: t.broadcast_to((4, 2, 3)),
    ],
    ids=["reshape", "T", "int_index", "slice", "concat", "stack", "broadcast_to"],
)
def test_movement_float32_stays_float32(fn):
    x = cr.tensor(np.ones((2, 3)), dtype=np.float32, requires_grad=True)
    out = fn(x)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad.dtype == np.float32
