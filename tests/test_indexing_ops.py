"""Indexing ops (ops/indexing.py) against PyTorch: values and gradients in float32 and float64,
odd shapes, negative dims, broadcasting, empty tensors, integer results exactly, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-11, "atol": 1e-12}}


def _check(fn, fn_torch, *arrays, dtype=np.float64, grad=True):
    """``fn`` on chainrule tensors and ``fn_torch`` on torch tensors agree: the value, its
    dtype and (with ``grad``) every float input's gradient for one seeded upstream gradient.
    Float arrays are cast to ``dtype``; integer and bool arrays are passed as they are."""
    arrays = [np.asarray(a) for a in arrays]
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    floats = [a.dtype.kind == "f" and grad for a in arrays]
    ours = [cr.tensor(a, requires_grad=g) for a, g in zip(arrays, floats)]
    theirs = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, floats)]
    out, expected = fn(*ours), fn_torch(*theirs)
    want = expected.detach().numpy()
    assert out.shape == want.shape and out.dtype == want.dtype, (out.shape, out.dtype, want.dtype)
    tolerance = TOLERANCE[dtype] if out.dtype.kind == "f" else {"rtol": 0, "atol": 0}
    np.testing.assert_allclose(out.data, want, **tolerance, err_msg="value")
    if not any(floats):
        return out
    seed = np.random.default_rng(7).standard_normal(out.shape).astype(out.dtype)
    out.backward(seed)
    expected.backward(torch.from_numpy(seed))
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        if mine.requires_grad:
            mine_grad = np.zeros_like(mine.data) if mine.grad is None else mine.grad.data
            torch_grad = np.zeros_like(mine.data) if reference.grad is None else reference.grad
            assert mine_grad.dtype == dtype
            np.testing.assert_allclose(
                mine_grad, torch_grad, **TOLERANCE[dtype], err_msg=f"grad {i}"
            )
    return out


def _normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _integers(*shape, seed=0):
    return np.random.default_rng(seed).integers(-50, 50, shape)


def _idx(array):
    return torch.tensor(np.asarray(array))


def _corner(src, index):
    """The part of ``src`` an index covers: PyTorch's backward fails for a larger src."""
    return src[tuple(slice(n) for n in np.shape(index))]


# ---------------------------------------------------------------------- gather, take_along_dim
GATHERS = [  # input shape, dim, index
    ((3, 4), 1, [[0, 3, 3, 1], [2, 2, 0, 0]]),
    ((3, 4), 0, [[2, 0, 2, 1]]),
    ((2, 3, 5), -1, np.random.default_rng(1).integers(0, 5, (2, 2, 7))),
    ((2, 3, 5), 1, np.random.default_rng(2).integers(0, 3, (1, 4, 5))),
    ((4,), 0, [3, 3, 0, 1, 3]),
    ((3, 4), 1, np.zeros((3, 0), dtype=np.int64)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dim", "index"), GATHERS)
def test_gather_matches_torch(dtype, shape, dim, index):
    fn = lambda x: x.gather(dim, index)  # noqa: E731
    _check(fn, lambda x: x.gather(dim, _idx(index)), _normal(*shape), dtype=dtype)
    _check(
        lambda x: cr.gather(x, dim, cr.tensor(index)),
        lambda x: torch.gather(x, dim, _idx(index)),
        _normal(*shape),
        dtype=dtype,
    )


def test_gather_of_integers_is_exact_and_accepts_int32_indices():
    x = _integers(3, 5)
    index = np.array([[4, 0], [1, 1], [0, 3]], dtype=np.int32)
    out = _check(lambda t: t.gather(1, index), lambda t: t.gather(1, _idx(index)), x)
    assert out.dtype == np.int64 and not out.requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "indices", "dim"),
    [
        ((3, 4), [[1, -1, 0]], 1),  # broadcast over rows, a negative index
        ((1, 4), [[0], [3], [-4]], 1),  # the input broadcast over rows
        ((2, 3, 4), np.array([[[2]], [[-1]]]), -1),
        ((3, 4), [5, 11, 0, 5], None),  # the flattened input
    ],
)
def test_take_along_dim_matches_torch(dtype, shape, indices, dim):
    _check(
        lambda x: cr.take_along_dim(x, indices, dim),
        lambda x: torch.take_along_dim(x, _idx(indices), dim),
        _normal(*shape),
        dtype=dtype,
    )


def test_take_along_dim_counts_negative_indices_from_the_end_as_numpy():
    x = np.arange(12.0).reshape(3, 4)
    for dim, index in [(1, np.array([[-1], [-4], [2]])), (None, np.array([-12, -1, 3]))]:
        expected = np.take_along_axis(x.reshape(-1) if dim is None else x, index, dim or 0)
        np.testing.assert_array_equal(cr.take_along_dim(x, index, dim).data, expected)


# ---------------------------------------------------------------------- scatter, scatter_add
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "dim", "index", "src_shape"),
    [
        ((3, 4), 1, [[0, 2, 1], [3, 1, 0]], (2, 3)),
        ((3, 4), 0, [[2, 0, 1, 1]], (2, 5)),  # src larger than the index
        ((2, 3, 4), -2, [[[2, 0]], [[1, 2]]], (2, 1, 2)),
        ((3, 4), 1, np.zeros((3, 0), dtype=np.int64), (3, 0)),
    ],
)
def test_scatter_matches_torch_for_unique_indices(dtype, shape, dim, index, src_shape):
    x, src = _normal(*shape), _normal(*src_shape, seed=1)
    _check(
        lambda t, s: t.scatter(dim, index, s),
        lambda t, s: t.scatter(dim, _idx(index), _corner(s, index)),
        x,
        src,
        dtype=dtype,
    )
    _check(
        lambda t: cr.scatter(t, dim, index, value=2.5),
        lambda t: torch.scatter(t, dim, _idx(index), value=2.5),
        x,
        dtype=dtype,
    )
    _check(
        lambda t: t.scatter(dim, index, -1.0),
        lambda t: t.scatter(dim, _idx(index), -1.0),
        x,
        dtype=dtype,
    )


def test_scatter_with_repeated_indices_keeps_the_last_write_and_its_gradient():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    src = cr.tensor([10.0, 20.0, 30.0], requires_grad=True)
    out = cr.scatter(x, 0, [2, 0, 2], src)
    np.testing.assert_array_equal(out.data, [20.0, 2.0, 30.0])
    out.backward(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0, 0.0])
    # The gradient of the value computed: only the winning write gets one (PyTorch's gives
    # every write to index 2 the gradient 3: [3, 1, 3]).
    np.testing.assert_array_equal(src.grad.data, [0.0, 1.0, 3.0])


def test_scatter_of_integers_is_exact():
    x, src = _integers(3, 4), _integers(3, 4, seed=1)
    index = [[3, 1], [0, 2], [1, 0]]
    _check(lambda t, s: t.scatter(1, index, s), lambda t, s: t.scatter(1, _idx(index), s), x, src)
    _check(lambda t: t.scatter(1, index, 7), lambda t: t.scatter(1, _idx(index), 7), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "dim", "index", "src_shape"),
    [
        ((3, 4), 1, [[0, 2, 0, 0], [3, 3, 1, 3]], (2, 4)),
        ((3, 4), 0, [[2, 2, 2, 0], [0, 2, 1, 0]], (3, 5)),  # src larger than the index
        ((2, 3, 4), -1, np.random.default_rng(3).integers(0, 4, (2, 3, 6)), (2, 3, 6)),
        ((5,), 0, [4, 4, 4, 4], (4,)),
        ((3, 4), 1, np.zeros((3, 0), dtype=np.int64), (3, 0)),
    ],
)
def test_scatter_add_matches_torch(dtype, shape, dim, index, src_shape):
    x, src = _normal(*shape), _normal(*src_shape, seed=1)
    _check(
        lambda t, s: cr.scatter_add(t, dim, index, s),
        lambda t, s: torch.scatter_add(t, dim, _idx(index), _corner(s, index)),
        x,
        src,
        dtype=dtype,
    )


def test_scatter_add_of_integers_is_exact():
    index = [[0, 0, 2], [1, 1, 1]]
    _check(
        lambda t, s: t.scatter_add(1, index, s),
        lambda t, s: t.scatter_add(1, _idx(index), s),
        _integers(2, 3),
        _integers(2, 3, seed=1),
    )


# ---------------------------------------------------------------------- scatter_reduce
REDUCES = ["sum", "prod", "mean", "amax", "amin"]
REDUCE_CASES = [  # input shape, dim, index, src shape
    ((3, 4), 1, [[0, 2, 0, 0], [3, 3, 1, 3]], (2, 4)),
    ((4, 3), 0, [[1, 1, 1], [1, 0, 1], [3, 3, 1]], (3, 3)),
    ((2, 3, 4), -1, np.random.default_rng(4).integers(0, 4, (2, 2, 5)), (2, 3, 6)),
    ((3, 4), 1, np.zeros((3, 0), dtype=np.int64), (3, 0)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize(("shape", "dim", "index", "src_shape"), REDUCE_CASES)
def test_scatter_reduce_matches_torch(dtype, include_self, reduce, shape, dim, index, src_shape):
    x, src = _normal(*shape), _normal(*src_shape, seed=1)
    _check(
        lambda t, s: t.scatter_reduce(dim, index, s, reduce, include_self=include_self),
        lambda t, s: t.scatter_reduce(
            dim, _idx(index), _corner(s, index), reduce, include_self=include_self
        ),
        x,
        src,
        dtype=dtype,
    )


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros_matches_torch(include_self):
    x = np.array([[0.0, 2.0, 3.0, 0.0]])
    src = np.array([[0.0, 5.0, 0.0, 4.0, 0.5]])
    index = [[0, 0, 1, 2, 2]]
    _check(
        lambda t, s: cr.scatter_reduce(t, 1, index, s, "prod", include_self=include_self),
        lambda t, s: torch.scatter_reduce(t, 1, _idx(index), s, "prod", include_self=include_self),
        x,
        src,
    )


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_ties_share_the_gradient_as_torch(reduce):
    x = np.array([[2.0, 1.0, 5.0, -1.0]])
    src = np.array([[2.0, 2.0, 1.0, 1.0, 5.0, -1.0, 7.0]])
    index = [[0, 0, 0, 1, 1, 3, 2]]
    _check(
        lambda t, s: t.scatter_reduce(1, index, s, reduce),
        lambda t, s: t.scatter_reduce(1, _idx(index), s, reduce),
        x,
        src,
    )


def test_scatter_reduce_amax_without_self_shares_among_the_scattered_values():
    # PyTorch counts an input value equal to the maximum in the share even with
    # include_self=False, so its gradients sum to 2/3 of the upstream one; ours sum to it.
    x = cr.tensor([5.0, 7.0, 9.0], requires_grad=True)
    src = cr.tensor([5.0, 5.0, 1.0], requires_grad=True)
    out = cr.scatter_reduce(x, 0, [0, 0, 2], src, "amax", include_self=False)
    np.testing.assert_array_equal(out.data, [5.0, 7.0, 1.0])
    out.backward(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(src.grad.data, [0.5, 0.5, 3.0])


def test_scatter_reduce_amax_of_three_ties_is_exact():
    x = cr.tensor([0.1, 0.0], dtype=np.float64, requires_grad=True)
    src = cr.tensor([0.1, 0.1, -3.0], dtype=np.float64, requires_grad=True)
    out = cr.scatter_reduce(x, 0, [0, 0, 1], src, "amax")
    assert out.data[0] == 0.1 and out.data[1] == 0.0
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1 / 3, 1.0])
    np.testing.assert_allclose(src.grad.data, [1 / 3, 1 / 3, 0.0])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_of_integers_is_exact(include_self, reduce):
    x, src = _integers(3, 4) % 7 - 3, _integers(3, 5, seed=1) % 7 - 3
    index = [[0, 0, 2, 0, 0], [3, 1, 1, 3, 3], [1, 1, 1, 1, 2]]
    out = _check(
        lambda t, s: t.scatter_reduce(1, index, s, reduce, include_self=include_self),
        lambda t, s: t.scatter_reduce(1, _idx(index), s, reduce, include_self=include_self),
        x,
        src,
    )
    assert out.dtype == np.int64


def test_scatter_reduce_nan_wins_an_extremum_as_torch():
    x, src = np.array([1.0, 2.0]), np.array([np.nan, 0.5, 3.0])
    index = [0, 0, 1]
    _check(
        lambda t, s: t.scatter_reduce(0, index, s, "amax"),
        lambda t, s: t.scatter_reduce(0, _idx(index), s, "amax"),
        x,
        src,
        grad=False,
    )


# ---------------------------------------------------------------------- index_select
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "dim", "index"),
    [
        ((3, 4), 0, [2, 0, 2, 2]),
        ((3, 4), -1, [3]),
        ((2, 3, 4), 1, np.array(1)),  # a 0-d index keeps the dim, with size 1
        ((2, 3, 4), 2, np.zeros(0, dtype=np.int64)),
        ((5,), 0, [4, 0, 4]),
    ],
)
def test_index_select_matches_torch(dtype, shape, dim, index):
    _check(
        lambda x: x.index_select(dim, index),
        lambda x: x.index_select(dim, _idx(index)),
        _normal(*shape),
        dtype=dtype,
    )


def test_index_select_of_integers_is_exact():
    _check(
        lambda x: cr.index_select(x, 1, [0, 0, 2]),
        lambda x: torch.index_select(x, 1, _idx([0, 0, 2])),
        _integers(2, 3),
    )


# ---------------------------------------------------------------------- masks, positions
MASKS = [  # input shape, mask
    ((3, 4), np.random.default_rng(5).random((3, 4)) > 0.5),
    ((3, 4), np.array([True, False, False, True])),
    ((2, 3, 4), np.array([[[True]], [[False]]])),
    ((0, 4), np.array([True, False, True, True])),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "mask"), MASKS)
def test_masked_fill_matches_torch(dtype, shape, mask):
    _check(
        lambda x: x.masked_fill(mask, -2.5),
        lambda x: x.masked_fill(torch.tensor(mask), -2.5),
        _normal(*shape),
        dtype=dtype,
    )
    _check(
        lambda x, v: cr.masked_fill(x, cr.tensor(mask), v),
        lambda x, v: torch.masked_fill(x, torch.tensor(mask), v),
        _normal(*shape),
        np.array(0.75),
        dtype=dtype,
    )  # the value differentiable


def test_masked_fill_of_integers_truncates_the_value_as_torch():
    mask = np.array([True, False, True])
    _check(
        lambda x: x.masked_fill(mask, 2.7),
        lambda x: x.masked_fill(torch.tensor(mask), 2.7),
        np.array([1, 2, 3]),
    )


def test_masked_fill_in_place_writes_self_and_follows_the_in_place_rules():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    view = x.data
    assert x.masked_fill_(cr.tensor([True, False]), 0.5) is x
    np.testing.assert_array_equal(view, [[0.5, 2.0], [0.5, 4.0]])
    counts = cr.tensor([1, 2, 3])
    counts.masked_fill_(np.array([False, True, False]), 9.9)
    np.testing.assert_array_equal(counts.data, [1, 9, 3])
    leaf = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="masked_fill_: a leaf tensor that requires grad"):
        leaf.masked_fill_(np.array([True, False]), 0.0)
    with cr.no_grad():
        leaf.masked_fill_(np.array([True, False]), 0.0)
    np.testing.assert_array_equal(leaf.data, [0.0, 2.0])
    with pytest.raises(ValueError, match=r"masked_fill_: mask of shape \(3,\) and the input"):
        x.masked_fill_(np.array([True, False, True]), 1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "mask"),
    [
        *MASKS,
        ((4,), np.array([[True], [False]])),  # the input broadcast to the mask
        ((3, 1), np.array([True, False, True, True])),  # both broadcast
    ],
)
def test_masked_select_matches_torch(dtype, shape, mask):
    _check(
        lambda x: x.masked_select(mask),
        lambda x: x.masked_select(torch.tensor(mask)),
        _normal(*shape),
        dtype=dtype,
    )


@pytest.mark.parametrize(
    "array",
    [
        np.array([[0, 3, 0], [4, 0, 5]]),
        np.array([0.0, -0.0, 2.5, np.nan]),
        np.array([[True, False], [True, True]]),
        np.zeros((2, 0, 3)),
        np.array(5),
        np.array(0),
    ],
    ids=["int", "float", "bool", "empty", "scalar", "zero_scalar"],
)
def test_nonzero_and_argwhere_match_torch(array):
    for ours, theirs in [
        (cr.nonzero(array), torch.nonzero(torch.tensor(array))),
        (cr.tensor(array).argwhere(), torch.argwhere(torch.tensor(array))),
    ]:
        assert ours.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert ours.shape == tuple(theirs.shape)
    tuples = cr.tensor(array).nonzero(as_tuple=True)
    expected = torch.nonzero(torch.tensor(array), as_tuple=True)
    assert len(tuples) == len(expected)
    for ours, theirs in zip(tuples, expected):
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize(
    ("labels", "num_classes"),
    [([2, 0, 1], -1), ([[1, 4], [0, 0]], -1), ([1, 2], 5), (np.zeros((0,), np.int64), 3), (3, 4)],
)
def test_one_hot_matches_torch(labels, num_classes):
    ours = F.one_hot(cr.tensor(labels), num_classes)
    theirs = TF.one_hot(torch.tensor(np.asarray(labels)), num_classes)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


# ---------------------------------------------------------------------- repeats
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "sizes"),
    [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), (3, 1, 2)), ((2, 3), (0, 2)), ((), (3, 2))],
)
def test_repeat_matches_torch(dtype, shape, sizes):
    _check(lambda x: x.repeat(*sizes), lambda x: x.repeat(*sizes), _normal(*shape), dtype=dtype)
    _check(lambda x: x.repeat(sizes), lambda x: x.repeat(sizes), _normal(*shape), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dims"), [((2, 3), (2,)), ((2, 3), (2, 1, 2)), ((4,), (1, 3))])
def test_tile_matches_torch(dtype, shape, dims):
    _check(lambda x: cr.tile(x, dims), lambda x: torch.tile(x, dims), _normal(*shape), dtype=dtype)
    _check(lambda x: x.tile(*dims), lambda x: x.tile(*dims), _normal(*shape), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "repeats", "dim"),
    [
        ((2, 3), 2, None),
        ((2, 3), 3, 1),
        ((2, 3), 0, -2),
        ((2, 3), [1, 0, 3], 1),
        ((2, 3), np.array([2]), 0),  # one count for all
        ((2, 3, 2), np.array([2, 1]), -1),
        ((4,), np.array(2), 0),
    ],
)
def test_repeat_interleave_matches_torch(dtype, shape, repeats, dim):
    theirs = repeats if isinstance(repeats, int) else _idx(repeats)
    _check(
        lambda x: x.repeat_interleave(repeats, dim),
        lambda x: x.repeat_interleave(theirs, dim),
        _normal(*shape),
        dtype=dtype,
    )


def test_repeat_interleave_of_counts_alone_and_output_size():
    ours = cr.repeat_interleave(cr.tensor([2, 0, 3]))
    np.testing.assert_array_equal(ours.data, torch.repeat_interleave(torch.tensor([2, 0, 3])))
    assert ours.dtype == np.int64
    out = cr.repeat_interleave(cr.tensor([[1, 2]]), 2, dim=1, output_size=4)
    np.testing.assert_array_equal(out.data, [[1, 1, 2, 2]])
    with pytest.raises(ValueError, match="repeat_interleave: output_size 3 does not match the 4"):
        cr.repeat_interleave(cr.tensor([[1, 2]]), 2, dim=1, output_size=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_expand_as_matches_torch(dtype):
    other = cr.zeros((2, 3, 4))
    _check(
        lambda x: x.expand_as(other),
        lambda x: x.expand_as(torch.zeros(2, 3, 4)),
        _normal(3, 1),
        dtype=dtype,
    )


# ---------------------------------------------------------------------- pad
CONSTANT_PADS = [
    ((5,), (2, 1)),
    ((2, 3), (0, 2, 1, 0)),
    ((2, 3), (1, -1, -1, 2)),  # negative widths crop
    ((2, 3, 4), (1, 1, 2, 2, 1, 0)),
    ((1, 2, 2, 3), (3, 0, 0, 1, 1, 1, 1, 0)),  # every dim
    ((2, 0, 3), (1, 1, 1, 1)),  # an empty dim
    ((2, 3), ()),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [None, 0.0, -1.5])
@pytest.mark.parametrize(("shape", "widths"), CONSTANT_PADS)
def test_pad_constant_matches_torch(dtype, value, shape, widths):
    _check(
        lambda x: F.pad(x, widths, value=value),
        lambda x: TF.pad(x, widths, value=value),
        _normal(*shape),
        dtype=dtype,
    )


def test_pad_constant_of_integers_is_exact():
    _check(
        lambda x: F.pad(x, (1, 2), value=7), lambda x: TF.pad(x, (1, 2), value=7), _integers(2, 3)
    )


MODE_PADS = [  # shapes and widths PyTorch allows for its non-constant modes
    ((2, 5), (2, 3)),
    ((2, 3, 5), (4, 1)),
    ((2, 3, 5), (1, 2, 2, 0)),
    ((1, 2, 3, 5), (2, 2, 0, 2)),
    ((2, 2, 3, 4), (1, 0, 2, 1, 1, 1)),
    ((1, 2, 3, 3, 4), (3, 1, 2, 0, 1, 1)),
    ((2, 3, 5), (-1, 2)),  # crop, then pad
    ((2, 3, 5), (2, -2, 0, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "widths"), MODE_PADS)
def test_pad_modes_match_torch(dtype, mode, shape, widths):
    _check(
        lambda x: F.pad(x, widths, mode=mode),
        lambda x: TF.pad(x, widths, mode=mode),
        _normal(*shape),
        dtype=dtype,
    )


def test_pad_modes_go_beyond_torchs_last_three_dims():
    x = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)
    out = F.pad(cr.tensor(x), (1, 0, 0, 1, 1, 1, 1, 0), mode="replicate")
    np.testing.assert_array_equal(out.data, np.pad(x, ((1, 0), (1, 1), (0, 1), (1, 0)), "edge"))


# ---------------------------------------------------------------------- windows, diagonals
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "dimension", "size", "step"),
    [
        ((10,), 0, 3, 2),
        ((3, 7), 1, 3, 1),
        ((3, 7), -1, 7, 3),
        ((6, 2, 3), 0, 2, 3),
        ((2, 6, 3), -2, 4, 1),
        ((2, 3), 1, 0, 1),
        ((2, 0), 1, 0, 2),
    ],
)
def test_unfold_matches_torch(dtype, shape, dimension, size, step):
    _check(
        lambda x: x.unfold(dimension, size, step),
        lambda x: x.unfold(dimension, size, step),
        _normal(*shape),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "offset", "dim1", "dim2"),
    [
        ((3, 4), 0, 0, 1),
        ((3, 4), 2, 0, 1),
        ((3, 4), -2, 0, 1),
        ((3, 4), 5, 0, 1),  # past the matrix: empty
        ((3, 4), 1, 1, 0),  # reversed dims
        ((2, 3, 4), -1, -1, 0),
        ((2, 3, 4, 5), 1, 1, 3),
    ],
)
def test_diagonal_matches_torch(dtype, shape, offset, dim1, dim2):
    _check(
        lambda x: x.diagonal(offset, dim1, dim2),
        lambda x: x.diagonal(offset, dim1, dim2),
        _normal(*shape),
        dtype=dtype,
    )
    _check(
        lambda x: cr.diagonal(x, offset, dim1=dim1, dim2=dim2),
        lambda x: torch.diagonal(x, offset, dim1=dim1, dim2=dim2),
        _normal(*shape),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "diagonal"), [((4,), 0), ((4,), 2), ((4,), -1), ((3, 4), 1), ((3, 4), -2), ((0,), 1)]
)
def test_diag_matches_torch(dtype, shape, diagonal):
    _check(
        lambda x: cr.diag(x, diagonal),
        lambda x: torch.diag(x, diagonal),
        _normal(*shape),
        dtype=dtype,
    )
    _check(lambda x: x.diag(diagonal), lambda x: x.diag(diagonal), _normal(*shape), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "offset", "dim1", "dim2"),
    [
        ((3,), 0, -2, -1),
        ((2, 3), 1, -2, -1),
        ((2, 3), -1, 0, 2),
        ((2, 3), 2, 2, 0),
        ((2, 3, 2), 0, 1, 3),
    ],
)
def test_diag_embed_matches_torch(dtype, shape, offset, dim1, dim2):
    _check(
        lambda x: x.diag_embed(offset, dim1, dim2),
        lambda x: torch.diag_embed(x, offset, dim1, dim2),
        _normal(*shape),
        dtype=dtype,
    )


def test_integer_windows_and_diagonals_are_exact():
    x = _integers(4, 5)
    _check(lambda t: t.unfold(1, 2, 2), lambda t: t.unfold(1, 2, 2), x)
    _check(lambda t: t.diagonal(1), lambda t: t.diagonal(1), x)
    _check(lambda t: cr.diag(t[0]), lambda t: torch.diag(t[0]), x)
    _check(
        lambda t: F.pad(t, (2, 1), mode="reflect"),
        lambda t: TF.pad(t[None], (2, 1), mode="reflect")[0],
        x,
    )


# ---------------------------------------------------------------------- double backward
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: cr.gather(x * x, 1, [[0, 0, 2]]),
        lambda x: cr.scatter_reduce(x * x, 1, [[0, 0, 2]], x.exp(), "prod"),
        lambda x: F.pad(x * x, (2, 1), mode="reflect").unfold(1, 3, 2),
    ],
)
def test_second_derivatives_match_central_differences(fn):
    x = np.random.default_rng(0).uniform(0.5, 1.5, (2, 3))

    def grad_sum(t):
        (g,) = [_first_grad(fn, t)]
        return (g * g).sum()

    assert cr.gradcheck(grad_sum, [x], atol=1e-5, rtol=1e-4)


def _first_grad(fn, t):
    out = fn(t)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward(create_graph=True)
    grad, t.grad = t.grad, None
    return grad


# ---------------------------------------------------------------------- errors
X = cr.tensor(np.arange(12.0).reshape(3, 4))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: X.gather(1, [[0.5]]),
            TypeError,
            "gather: index must be an integer .* got float64",
        ),
        (lambda: X.gather(1, np.array([[True]])), TypeError, "gather: index must be an integer"),
        (lambda: X.gather(1, [0, 1]), ValueError, r"gather: index of shape \(2,\) needs as many"),
        (
            lambda: X.gather(1, [[4]]),
            IndexError,
            "gather: index 4 is out of bounds for dim 1 of size 4",
        ),
        (lambda: X.gather(1, [[-1]]), IndexError, "gather: index -1 is out of bounds"),
        (lambda: X.gather(2, [[0]]), IndexError, "gather: dim 2 is out of range for a tensor of 2"),
        (
            lambda: X.gather(1, np.zeros((4, 1), int)),
            ValueError,
            r"gather: index of shape \(4, 1\) is larger than the input .* outside dim 1",
        ),
        (
            lambda: cr.gather(cr.tensor(1.0), 0, 0),
            ValueError,
            "gather: expected a tensor of at least one dimension",
        ),
        (
            lambda: X.take_along_dim([[5]], 1),
            IndexError,
            "take_along_dim: indices 5 is out of bounds",
        ),
        (
            lambda: X.take_along_dim(np.zeros((2, 1), int), 1),
            ValueError,
            r"take_along_dim: input of shape \(3, 1\) and indices of shape \(2, 1\) do not",
        ),
        (
            lambda: X.scatter(1, [[0]], cr.zeros((1, 1))),
            TypeError,
            "scatter: src is float32 but the input is float64",
        ),
        (
            lambda: X.scatter(1, [[0, 1]], cr.zeros((1, 1), dtype=np.float64)),
            ValueError,
            r"scatter: index of shape \(1, 2\) is larger than src of shape \(1, 1\)",
        ),
        (lambda: X.scatter(1, [[0]]), TypeError, "scatter: pass one of src and value"),
        (lambda: X.scatter_add(1, [[9]], X), IndexError, "scatter_add: index 9 is out of bounds"),
        (
            lambda: X.scatter_reduce(1, [[0]], X, "max"),
            ValueError,
            "scatter_reduce: reduce must be one of .*'max'",
        ),
        (
            lambda: X.index_select(0, [[0]]),
            ValueError,
            r"index_select: index must be 0-d or 1-D, got shape \(1, 1\)",
        ),
        (
            lambda: X.index_select(0, [3]),
            IndexError,
            "index_select: index 3 is out of bounds for dim 0 of size 3",
        ),
        (lambda: X.index_select(-3, [0]), IndexError, "index_select: dim -3 is out of range"),
        (
            lambda: X.masked_fill(np.array([1, 0, 1, 0]), 0.0),
            TypeError,
            "masked_fill: mask must be a bool tensor, got int64",
        ),
        (
            lambda: X.masked_fill(np.ones((2, 4), bool), 0.0),
            ValueError,
            r"masked_fill: mask of shape \(2, 4\) and the input of shape \(3, 4\) do not broadcast",
        ),
        (
            lambda: X.masked_fill(np.ones((2, 3, 4), bool), 0.0),
            ValueError,
            r"masked_fill: mask of shape \(2, 3, 4\) does not broadcast to \(3, 4\)",
        ),
        (
            lambda: X.masked_fill(np.ones(4, bool), cr.zeros(2)),
            ValueError,
            "masked_fill: value must be a number or a 0-d tensor",
        ),
        (
            lambda: X.masked_select(np.ones(3, bool)),
            ValueError,
            r"masked_select: mask of shape \(3,\) and input of shape \(3, 4\) do not broadcast",
        ),
        (lambda: F.one_hot(cr.tensor([1.0])), TypeError, "one_hot: tensor must be an integer"),
        (
            lambda: F.one_hot(cr.tensor([-1, 0])),
            ValueError,
            "one_hot: class values must be non-negative",
        ),
        (
            lambda: F.one_hot(cr.tensor([3]), 3),
            ValueError,
            "one_hot: class value 3 is not smaller than num_classes 3",
        ),
        (
            lambda: F.one_hot(cr.tensor(np.zeros(0, int))),
            ValueError,
            "one_hot: cannot infer num_classes",
        ),
        (lambda: X.repeat(2), ValueError, "repeat: 1 sizes for a tensor of 2 dimensions"),
        (
            lambda: X.repeat(2, -1),
            ValueError,
            r"repeat: sizes must be non-negative ints, got \(2, -1\)",
        ),
        (
            lambda: X.repeat_interleave([1, 2], 0),
            ValueError,
            r"repeat_interleave: repeats must be non-negative, one per entry \(3\)",
        ),
        (
            lambda: X.repeat_interleave([1.0], 0),
            TypeError,
            "repeat_interleave: repeats must be an integer",
        ),
        (
            lambda: F.pad(X, (1, 1, 1)),
            ValueError,
            r"pad: pad must be pairs of ints \(left, right\)",
        ),
        (
            lambda: F.pad(X, (1,) * 6),
            ValueError,
            "pad: 3 pairs of padding for a tensor of 2 dimensions",
        ),
        (lambda: F.pad(X, (1, 1), mode="wrap"), ValueError, "pad: mode must be one of"),
        (
            lambda: F.pad(X, (1, 1), mode="reflect", value=2.0),
            ValueError,
            'pad: mode "reflect" takes no value',
        ),
        (
            lambda: F.pad(X, (4, 0), mode="reflect"),
            ValueError,
            r"pad: reflect padding \(4, 0\) needs less than the size 4 of dim 1",
        ),
        (
            lambda: F.pad(X, (5, 0), mode="circular"),
            ValueError,
            r"pad: circular padding \(5, 0\) wraps more than once around dim 1",
        ),
        (
            lambda: F.pad(X, (-3, -2)),
            ValueError,
            r"pad: padding \(-3, -2\) crops dim 1 of size 4 below zero",
        ),
        (
            lambda: F.pad(cr.zeros((2, 0)), (1, 1), mode="replicate"),
            ValueError,
            "pad: replicate padding needs a non-empty dim 1",
        ),
        (lambda: X.unfold(1, 5, 1), ValueError, "unfold: size 5 does not fit dim 1 of size 4"),
        (lambda: X.unfold(1, 2, 0), ValueError, "unfold: step must be positive, got 0"),
        (lambda: X.unfold(2, 2, 1), IndexError, "unfold: dimension 2 is out of range"),
        (
            lambda: X.diagonal(0, 1, -1),
            ValueError,
            "diagonal: dim1 and dim2 must differ, both are 1",
        ),
        (
            lambda: cr.diag(cr.zeros((2, 2, 2))),
            ValueError,
            r"diag: expected a 1-D or 2-D tensor, got shape \(2, 2, 2\)",
        ),
        (
            lambda: cr.diag_embed(cr.tensor(1.0)),
            ValueError,
            "diag_embed: expected a tensor of at least one dimension",
        ),
        (
            lambda: cr.diag_embed(cr.zeros(3), 0, 0, -2),
            ValueError,
            "diag_embed: dim1 and dim2 must differ, both are 0",
        ),
    ],
)
def test_errors_name_the_op_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_results_of_index_data_need_no_grad():
    x = cr.tensor([[0.0, 1.5], [2.0, 0.0]], requires_grad=True)
    assert not x.nonzero().requires_grad and not x.argwhere().requires_grad
    assert not F.one_hot(cr.tensor([1, 0])).requires_grad
    assert (
        x.gather(1, [[1]]).requires_grad and x.masked_fill(np.array([True, False]), 0).requires_grad
    )
