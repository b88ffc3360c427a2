"""PyTorch's tensor spellings against torch: the shape methods (view, permute, squeeze, expand,
flatten, ...), size(), max(dim)/argmax, comparisons, casts and dtype names, dim=/keepdim=,
and the Python conversions; values and gradients in float32 and float64, and the errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")
TF = pytest.importorskip("torch.nn.functional")

FLOATS = [np.float32, np.float64]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


def _leaves(array, dtype):
    return (
        cr.tensor(array.astype(dtype), requires_grad=True),
        torch.tensor(array.astype(dtype), requires_grad=True),
    )


def _check(fn, array, dtype, theirs=None, exact=True):
    """``fn`` on a chainrule and a torch leaf: shape, dtype and values, and the input grads
    for one seeded upstream gradient."""
    x, tx = _leaves(array, dtype)
    out, expected = fn(x), (theirs or fn)(tx)
    assert out.shape == tuple(expected.shape)
    assert str(expected.dtype) == f"torch.{out.dtype}"
    if exact:
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
    else:
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=TOLERANCE[dtype])
    seed = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(seed)
    expected.backward(torch.from_numpy(seed))
    assert x.grad.shape == x.shape
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=TOLERANCE[dtype], atol=1e-7)


def _draw(rng, shape):
    return np.asarray(rng.standard_normal(shape))


# ---------------------------------------------------------------------- shape methods
SHAPE_CASES = {
    "view_infer_last": ((2, 3, 5), lambda t: t.view(-1, 5)),
    "view_infer_middle": ((2, 3, 5), lambda t: t.view(5, -1, 2)),
    "view_tuple": ((2, 3, 5), lambda t: t.view((3, 10))),
    "view_flat": ((2, 3, 5), lambda t: t.view(-1)),
    "view_0d": ((), lambda t: t.view(1, 1)),
    "view_empty": ((0, 3), lambda t: t.view(3, 0)),
    "view_empty_infer": ((0, 3), lambda t: t.view(-1)),
    "reshape_infer": ((2, 3, 5), lambda t: t.reshape(-1, 3)),
    "permute": ((2, 3, 5), lambda t: t.permute(2, 0, 1)),
    "permute_negative": ((2, 3, 5), lambda t: t.permute(-1, -3, -2)),
    "permute_tuple": ((2, 3, 5), lambda t: t.permute((1, 2, 0))),
    "permute_empty": ((0, 3), lambda t: t.permute(1, 0)),
    "unsqueeze_front": ((2, 3, 5), lambda t: t.unsqueeze(0)),
    "unsqueeze_end": ((2, 3, 5), lambda t: t.unsqueeze(-1)),
    "unsqueeze_negative": ((2, 3, 5), lambda t: t.unsqueeze(-4)),
    "unsqueeze_0d": ((), lambda t: t.unsqueeze(-1)),
    "squeeze_all": ((1, 3, 1, 5), lambda t: t.squeeze()),
    "squeeze_dim": ((1, 3, 1, 5), lambda t: t.squeeze(-2)),
    "squeeze_other_size": ((1, 3, 1, 5), lambda t: t.squeeze(1)),
    "squeeze_tuple": ((1, 3, 1, 5), lambda t: t.squeeze((0, -1, 2))),
    "squeeze_0d": ((), lambda t: t.squeeze(0)),
    "squeeze_empty": ((0, 1, 3), lambda t: t.squeeze()),
    "expand": ((3, 1), lambda t: t.expand(2, -1, 4)),
    "expand_tuple": ((1,), lambda t: t.expand((5,))),
    "expand_0d": ((), lambda t: t.expand(2, 3)),
    "expand_empty": ((0, 1), lambda t: t.expand(0, 4)),
    "flatten": ((2, 3, 5), lambda t: t.flatten()),
    "flatten_start": ((2, 3, 5), lambda t: t.flatten(1)),
    "flatten_negative": ((2, 3, 5, 1), lambda t: t.flatten(-3, -2)),
    "flatten_keywords": ((2, 3, 5), lambda t: t.flatten(start_dim=0, end_dim=1)),
    "flatten_one_dim": ((2, 3, 5), lambda t: t.flatten(1, 1)),
    "flatten_0d": ((), lambda t: t.flatten()),
    "unflatten": ((2, 15), lambda t: t.unflatten(-1, (3, 5))),
    "unflatten_infer": ((2, 15), lambda t: t.unflatten(1, (-1, 5))),
    "unflatten_front": ((6, 5), lambda t: t.unflatten(0, [1, 2, 3])),
    "t": ((3, 5), lambda t: t.t()),
    "t_1d": ((5,), lambda t: t.t()),
    "mT": ((2, 3, 5), lambda t: t.mT),
    "transpose_swap": ((3, 5), lambda t: t.transpose(0, 1)),
    "transpose_swap_3d": ((2, 3, 5), lambda t: t.transpose(-1, 0)),
    "transpose_same_dim": ((3, 5), lambda t: t.transpose(1, 1)),
    "clone": ((2, 3, 5), lambda t: t.clone()),
    "contiguous": ((3, 5), lambda t: t.t().contiguous()),
    "view_as": ((2, 3, 5), lambda t: t.view_as(_ones_like(t, (15, 2)))),
    "expand_as": ((3, 1), lambda t: t.expand_as(_ones_like(t, (3, 4)))),
}


def _ones_like(t, shape):
    """Ones of ``shape`` from ``t``'s library."""
    return torch.ones(shape) if isinstance(t, torch.Tensor) else cr.ones(shape)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
def test_shape_methods_match_torch(rng, name, dtype):
    shape, fn = SHAPE_CASES[name]
    _check(fn, _draw(rng, shape), dtype)


def test_transpose_two_dims_swaps_them_as_torch_and_more_permute_as_numpy():
    x = cr.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose(0, 2).shape == (4, 3, 2)
    assert x.transpose(2, 0, 1).shape == (4, 2, 3)  # NumPy's permutation
    assert x.transpose().shape == (4, 3, 2)
    square = cr.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(square.transpose(0, 1).data, [[1, 3], [2, 4]])


def test_view_shares_memory_where_numpy_can():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(x.view(3, 2).data, x.data)
    assert np.shares_memory(x.unsqueeze(0).squeeze(0).flatten().data, x.data)
    transposed = x.t()
    assert np.shares_memory(transposed.view(3, 2).data, x.data)
    # PyTorch's view would refuse this layout; NumPy copies instead
    assert not np.shares_memory(transposed.view(6).data, x.data)
    np.testing.assert_array_equal(transposed.view(6).data, [0, 3, 1, 4, 2, 5])


def test_expand_shares_memory_and_grad_sums_over_copies():
    x = cr.tensor([[1.0], [2.0]], requires_grad=True)
    y = x.expand(3, -1, 4)
    assert np.shares_memory(y.data, x.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[12.0], [12.0]])


def test_clone_is_a_copy_on_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(y.data, x.data) and y._ctx is not None and not y.is_leaf
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_contiguous_is_self_when_row_major_else_a_row_major_copy():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.contiguous() is x
    transposed = x.t()
    assert not transposed.data.flags.c_contiguous
    fixed = transposed.contiguous()
    assert fixed.data.flags.c_contiguous and fixed is not transposed
    np.testing.assert_array_equal(fixed.data, x.data.T)
    (fixed * cr.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.arange(6.0).reshape(3, 2).T)


def test_clone_of_a_transposed_view_is_row_major():
    x = cr.tensor(np.arange(6.0).reshape(2, 3)).t()
    assert x.clone().data.flags.c_contiguous


def test_numel_dim_match_torch():
    for shape in [(), (0, 3), (2, 3, 5)]:
        x, tx = cr.zeros(shape), torch.zeros(shape)
        assert x.numel() == tx.numel() and x.dim() == tx.dim()
        assert type(x.numel()) is int and type(x.dim()) is int


# ---------------------------------------------------------------------- size
def test_size_is_numpys_int_and_torchs_call():
    x, tx = cr.zeros((2, 3, 5)), torch.zeros(2, 3, 5)
    assert x.size == 30 and isinstance(x.size, int) and x.size == x.numel()
    assert x.size + 1 == 31 and range(x.size)[-1] == 29 and np.zeros(x.size).shape == (30,)
    assert repr(x.size) == "30" and f"{x.size:>4}" == "  30"
    assert x.size() == tuple(tx.size()) == (2, 3, 5)
    for dim in (0, 1, 2, -1, -3):
        assert x.size(dim) == tx.size(dim)
        assert x.size(dim=dim) == tx.size(dim=dim)
    assert cr.zeros(()).size == 1 and cr.zeros(()).size() == ()
    assert cr.zeros((0, 4)).size == 0 and cr.zeros((0, 4)).size(1) == 4


def test_size_pickles_and_copies():
    size = cr.zeros((2, 3)).size
    back = pickle.loads(pickle.dumps(size))
    assert back == 6 and back() == (2, 3)


def test_size_dim_errors():
    with pytest.raises(ValueError, match=r"size: dim 3 is out of range .* 3 dimensions"):
        cr.zeros((2, 3, 5)).size(3)
    with pytest.raises(ValueError, match="size: got dim 0, but a 0-d tensor has no dims"):
        cr.zeros(()).size(0)
    with pytest.raises(TypeError, match="size: dim must be an int"):
        cr.zeros((2, 3)).size(1.0)


# ---------------------------------------------------------------------- max(dim), argmax
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_values_and_indices_match_torch(rng, op, dim, keepdim, dtype):
    array = _draw(rng, (3, 5))
    x, tx = _leaves(array, dtype)
    mine = getattr(x, op)(dim, keepdim=keepdim)
    theirs = getattr(tx, op)(dim, keepdim=keepdim)
    np.testing.assert_array_equal(mine.values.data, theirs.values.detach().numpy())
    np.testing.assert_array_equal(mine.indices.data, theirs.indices.numpy())
    assert mine.indices.dtype == np.int64 and not mine.indices.requires_grad
    _check(lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values, array, dtype)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_dim_ties_take_the_first_index_and_its_gradient(op):
    array = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    x, tx = _leaves(array, np.float64)
    values, indices = getattr(x, op)(1)
    expected = getattr(tx, op)(1)
    np.testing.assert_array_equal(indices.data, expected.indices.numpy())
    values.sum().backward()
    expected.values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_max_min_without_dim_share_ties_as_torch():
    array = np.array([[1.0, 3.0], [3.0, 0.0]])
    _check(lambda t: t.max(), array, np.float64)
    _check(lambda t: t.min(), array, np.float64)


def test_max_axis_keeps_numpys_values_alone():
    x = cr.tensor([[1.0, 5.0], [7.0, 2.0]])
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 7.0])
    np.testing.assert_array_equal(x.min(axis=(0, 1), keepdims=True).data, [[1.0]])
    result = x.max(1)
    assert isinstance(result, tuple) and isinstance(result, cr.return_types.ValuesIndices)
    assert result._fields == ("values", "indices")


def test_max_dim_integer_nan_0d_and_empty_match_torch():
    ints = np.array([[4, -2, 9], [9, 0, -7]])
    for op in ("max", "min"):
        mine, theirs = getattr(cr.tensor(ints), op)(-1), getattr(torch.tensor(ints), op)(-1)
        np.testing.assert_array_equal(mine.values.data, theirs.values.numpy())
        np.testing.assert_array_equal(mine.indices.data, theirs.indices.numpy())
        with_nan = np.array([[1.0, np.nan, 3.0], [2.0, 2.0, 1.0]])
        mine, theirs = getattr(cr.tensor(with_nan), op)(1), getattr(torch.tensor(with_nan), op)(1)
        np.testing.assert_array_equal(mine.values.data, theirs.values.numpy())
        np.testing.assert_array_equal(mine.indices.data, theirs.indices.numpy())
        scalar = getattr(cr.tensor(3.0), op)(0)
        assert scalar.values.item() == 3.0 and scalar.indices.item() == 0
        assert scalar.values.shape == scalar.indices.shape == ()
        empty = getattr(cr.zeros((0, 3)), op)(1)
        assert empty.values.shape == empty.indices.shape == (0,)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"keepdim": True}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"dim": 1}],
)
def test_argmax_argmin_match_torch(rng, op, kwargs):
    array = np.round(_draw(rng, (4, 5)), 1)  # rounded: ties too
    for data in (array, (array * 10).astype(np.int64)):
        mine = getattr(cr.tensor(data), op)(**kwargs)
        theirs = getattr(torch.tensor(data), op)(**kwargs)
        assert mine.dtype == np.int64 and mine.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(mine.data, theirs.numpy())


def test_argmax_positional_axis_and_0d():
    x = cr.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    np.testing.assert_array_equal(x.argmax(1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=0, keepdims=True).data, [[0, 1]])
    assert not x.argmax().requires_grad and x.argmax().item() == 2
    assert cr.tensor(4.0).argmax().item() == 0 and cr.tensor(4.0).argmin(0).item() == 0


def test_max_argmax_errors():
    with pytest.raises(ValueError, match=r"^max: cannot reduce an empty dim .*shape \(0, 3\)"):
        cr.zeros((0, 3)).max(0)
    with pytest.raises(ValueError, match=r"argmax: cannot reduce an empty dim"):
        cr.zeros((0, 3)).argmax()
    with pytest.raises(ValueError, match="argmin: dim 2 is out of range"):
        cr.zeros((2, 3)).argmin(2)
    with pytest.raises(TypeError, match="max: got both axis=1 and dim=1"):
        cr.zeros((2, 3)).max(1, axis=1)
    with pytest.raises(TypeError, match=r"min: dim must be an int to give .*, got \(0, 1\)"):
        cr.zeros((2, 3)).min(dim=(0, 1))


# ---------------------------------------------------------------------- dim= and keepdim=
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dim", [0, -1, (0, -1), None])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_take_dim_and_keepdim(rng, op, dim, keepdim, dtype):
    array = _draw(rng, (3, 4, 5))
    torch_dim = (0, 1, 2) if dim is None else dim
    _check(
        lambda t: getattr(t, op)(dim=dim, keepdim=keepdim),
        array,
        dtype,
        theirs=lambda t: getattr(t, op)(dim=torch_dim, keepdim=keepdim),
        exact=False,
    )


def test_reductions_positional_and_mixed_spellings():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.sum(1, True).data, [[3.0], [12.0]])
    np.testing.assert_array_equal(x.mean(dim=0, keepdims=True).data, [[1.5, 2.5, 3.5]])
    np.testing.assert_array_equal(x.sum(axis=1, keepdim=True).data, [[3.0], [12.0]])
    np.testing.assert_array_equal(x.max(axis=0, keepdim=True).data, [[3.0, 4.0, 5.0]])
    assert x.sum(keepdim=True).shape == (1, 1)


def test_reductions_refuse_both_spellings():
    x = cr.zeros((2, 3))
    with pytest.raises(TypeError, match="sum: got both axis=0 and dim=1"):
        x.sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="multiple values for argument 'dim'"):
        x.sum(0, dim=1)  # the first positional argument is dim, as in PyTorch
    with pytest.raises(TypeError, match="mean: got both keepdims=True and keepdim=True"):
        x.mean(keepdims=True, keepdim=True)
    with pytest.raises(TypeError, match="argmax: got both axis=0 and dim=0"):
        x.argmax(0, axis=0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_concat_stack_softmax_take_dim(rng, dtype):
    a, b = _draw(rng, (2, 3)).astype(dtype), _draw(rng, (2, 3)).astype(dtype)
    ta, tb = torch.tensor(a), torch.tensor(b)
    pairs = [
        (cr.concat([cr.tensor(a), cr.tensor(b)], dim=-1), torch.cat([ta, tb], dim=-1)),
        (cr.concat([cr.tensor(a), cr.tensor(b)], 1), torch.cat([ta, tb], 1)),
        (cr.stack([cr.tensor(a), cr.tensor(b)], dim=-1), torch.stack([ta, tb], dim=-1)),
        (cr.stack([cr.tensor(a), cr.tensor(b)]), torch.stack([ta, tb])),
        (F.log_softmax(cr.tensor(a), dim=0), TF.log_softmax(ta, dim=0)),
        (F.softmax(cr.tensor(a), dim=-1), TF.softmax(ta, dim=-1)),
        (F.softmax(cr.tensor(a), 0), TF.softmax(ta, 0)),
    ]
    for mine, theirs in pairs:
        assert mine.shape == tuple(theirs.shape)
        np.testing.assert_allclose(mine.data, theirs.numpy(), rtol=TOLERANCE[dtype])
    with pytest.raises(TypeError, match="softmax: got both axis=0 and dim=1"):
        F.softmax(cr.tensor(a), axis=0, dim=1)
    with pytest.raises(TypeError, match="stack: got both axis=0 and dim=0"):
        cr.stack([cr.tensor(a)], axis=0, dim=0)


# ---------------------------------------------------------------------- comparisons
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_match_torch(op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    others = [np.array([2.0, 2.0, 1.0]), np.array([[2.0], [3.0]]), 2.0, 2, np.array(2.0)]
    for other in others:
        mine_other = cr.tensor(other) if isinstance(other, np.ndarray) else other
        torch_other = torch.tensor(other) if isinstance(other, np.ndarray) else other
        x = cr.tensor(a, requires_grad=True)
        for mine in (getattr(x, op)(mine_other), getattr(cr, op)(x, mine_other)):
            theirs = getattr(torch.tensor(a), op)(torch_other)
            assert mine.dtype == np.bool_ and not mine.requires_grad and mine.is_leaf
            np.testing.assert_array_equal(mine.data, theirs.numpy())
    ints = cr.tensor([1, 2, 3])
    np.testing.assert_array_equal(
        getattr(ints, op)(cr.tensor([1.0, 0.0, 3.0])).data,
        getattr(torch.tensor([1, 2, 3]), op)(torch.tensor([1.0, 0.0, 3.0])).numpy(),
    )


def test_comparison_operators_are_the_methods():
    x = cr.tensor([1, 2, 3])
    np.testing.assert_array_equal((x == 2).data, x.eq(2).data)
    np.testing.assert_array_equal((x >= 2).data, cr.ge(x, 2).data)
    assert cr.Tensor.eq is cr.Tensor.__eq__ and cr.Tensor.lt is cr.Tensor.__lt__


def test_comparisons_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"eq: shapes \(2, 3\) and \(4,\) do not broadcast"):
        cr.ones((2, 3)).eq(cr.ones(4))
    with pytest.raises(ValueError, match=r"lt: shapes \(2, 3\) and \(2,\) do not broadcast"):
        assert cr.ones((2, 3)) < cr.ones(2)
    with pytest.raises(ValueError, match=r"ge: shapes \(3,\) and \(2,\)"):
        cr.ge(cr.ones(3), np.ones(2))


# ---------------------------------------------------------------------- casts
CASTS = {
    "float": np.float32,
    "double": np.float64,
    "half": np.float16,
    "long": np.int64,
    "int": np.int32,
    "bool": np.bool_,
}


@pytest.mark.parametrize("method", sorted(CASTS))
def test_cast_methods_match_torch(method):
    values = np.array([[-1.7, 2.5, 0.0], [3.99, -0.2, 7.0]])
    for data in (values, values.astype(np.float32), np.array([[-2, 0, 5]]), np.array([True])):
        mine, theirs = getattr(cr.tensor(data), method)(), getattr(torch.tensor(data), method)()
        assert mine.dtype == np.dtype(CASTS[method])
        assert str(theirs.dtype) == f"torch.{mine.dtype}"
        np.testing.assert_array_equal(mine.data, theirs.numpy())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("method", ["float", "double", "half"])
def test_float_casts_are_differentiable_like_torch(rng, method, dtype):
    array = _draw(rng, (3, 5))
    def fn(t):
        return (getattr(t, method)() * getattr(t, method)()).type_as(t)

    _check(fn, array, dtype, exact=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_casts_keep_the_grad_in_the_inputs_dtype(dtype):
    x = cr.tensor(np.array([1.0, 2.0], dtype=dtype), requires_grad=True)
    y = x.half() if dtype == np.float32 else x.float()
    assert y._ctx is not None and type(y._ctx).__name__ == "Cast"
    (y * 3).sum().backward()
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_float32_round_trip_hessian_vector_product_matches_torch(rng):
    array, direction = _draw(rng, (4, 3)), _draw(rng, (4, 3))
    x, tx = _leaves(array, np.float64)
    ((x.float() ** 3).double() * x).sum().backward(create_graph=True)
    grad, x.grad = x.grad, None
    (grad * cr.tensor(direction)).sum().backward()
    out = ((tx.float() ** 3).double() * tx).sum()
    (grad,) = torch.autograd.grad(out, tx, create_graph=True)
    (hvp,) = torch.autograd.grad((grad * torch.tensor(direction)).sum(), tx)
    np.testing.assert_allclose(x.grad.data, hvp.numpy(), rtol=1e-6)


def test_casts_to_integers_and_bools_leave_the_graph():
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    for cast in (x.long(), x.int(), x.bool(), x.to(cr.uint8)):
        assert not cast.requires_grad and cast._ctx is None
    ints = cr.tensor([1, 2])
    assert not ints.float().requires_grad and ints.float().dtype == np.float32


def test_a_cast_to_the_same_dtype_is_self_as_in_torch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.float() is x and x.to(cr.float32) is x and x.type_as(cr.ones(1)) is x
    assert x.to(cr.float32, copy=True) is not x
    assert cr.tensor([1, 2]).long() is not None and cr.tensor([True]).bool().dtype == np.bool_


def test_to_takes_a_dtype_a_device_both_or_a_tensor():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    assert x.to(cr.float64).dtype == np.float64 and x.to(cr.float64)._ctx is not None
    assert x.to(dtype=np.float16).dtype == np.float16
    assert x.to(float).dtype == np.float64 and x.to(int).dtype == np.int64
    moved = x.to("cpu")
    assert moved is not x and moved.is_leaf and moved.requires_grad
    both = x.to("cpu", cr.float64)
    assert both.dtype == np.float64 and both.device == "cpu"
    assert x.to(device=cr.device("cpu"), dtype=cr.half).dtype == np.float16
    assert x.to(cr.zeros(1, dtype=cr.int32)).dtype == np.int32
    assert x.to("cpu", non_blocking=True).device == "cpu"
    assert x.to() is x


def test_type_as_matches_torch():
    mine = cr.tensor([1.7, -2.2]).type_as(cr.tensor([1], dtype=cr.int16))
    theirs = torch.tensor([1.7, -2.2]).type_as(torch.tensor([1], dtype=torch.int16))
    assert mine.dtype == np.int16
    np.testing.assert_array_equal(mine.data, theirs.numpy())


def test_to_errors_name_the_op():
    x = cr.tensor([1.0])
    with pytest.raises(TypeError, match="to: takes at most a device and a dtype, got 3"):
        x.to("cpu", cr.float64, cr.float32)
    with pytest.raises(TypeError, match="to: dtype must be a dtype such as cr.float32"):
        x.to(dtype="cpu")
    with pytest.raises(ValueError, match="device: expected 'cpu'"):
        x.to("float32")  # strings are devices, as in PyTorch


# ---------------------------------------------------------------------- dtype names
def test_dtype_names_are_numpy_dtypes_with_torchs_aliases():
    pairs = {
        cr.float16: torch.float16,
        cr.float32: torch.float32,
        cr.float64: torch.float64,
        cr.half: torch.half,
        cr.float: torch.float,
        cr.double: torch.double,
        cr.int8: torch.int8,
        cr.int16: torch.int16,
        cr.int32: torch.int32,
        cr.int64: torch.int64,
        cr.long: torch.long,
        cr.int: torch.int,
        cr.uint8: torch.uint8,
        cr.bool: torch.bool,
    }
    for mine, theirs in pairs.items():
        assert isinstance(mine, np.dtype)
        assert torch.zeros(1, dtype=theirs).numpy().dtype == mine
    x = cr.zeros((2,), dtype=cr.float64)
    assert x.dtype == cr.float64 and x.dtype == np.float64 and x.dtype is cr.double
    assert cr.tensor([1.0]).dtype == cr.float32 and cr.tensor([1]).dtype == cr.long
    assert {cr.float32: "f"}[cr.tensor([1.0]).dtype] == "f"


def test_default_dtype_is_float32_as_torchs():
    assert cr.get_default_dtype() == cr.float32
    assert str(torch.get_default_dtype()) == f"torch.{cr.get_default_dtype()}"
    assert cr.tensor(0.5).dtype == cr.get_default_dtype()


def test_is_tensor_and_is_floating_point_match_torch():
    assert cr.is_tensor(cr.ones(1)) and not cr.is_tensor(np.ones(1)) and not cr.is_tensor(1.0)
    for dtype in ("float16", "float32", "float64", "int32", "int64", "bool", "complex64"):
        mine, theirs = cr.zeros(2, dtype=dtype), torch.zeros(2, dtype=getattr(torch, dtype))
        assert mine.is_floating_point() == theirs.is_floating_point()
        assert cr.is_floating_point(mine) == torch.is_floating_point(theirs)
    with pytest.raises(TypeError, match="is_floating_point: expected a Tensor, got float"):
        cr.is_floating_point(1.0)


# ---------------------------------------------------------------------- Python values
def test_item_matches_torch():
    for value in (2.5, [[2.5]], 3, [True], -7):
        mine, theirs = cr.tensor(value).item(), torch.tensor(value).item()
        assert mine == theirs and type(mine) is type(theirs)


@pytest.mark.parametrize(
    "data", [[[1.5, 2.0], [3.0, 4.25]], 2.5, [1, 2, 3], 7, [[True, False]], [[], []]]
)
def test_tolist_matches_torch(data):
    mine, theirs = cr.tensor(data).tolist(), torch.tensor(data).tolist()
    assert mine == theirs and type(mine) is type(theirs)
    mine = cr.tensor(data, dtype=np.float64).tolist()
    assert mine == torch.tensor(data, dtype=torch.float64).tolist()


def test_numpy_shares_the_array_and_accepts_force():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.numpy() is x.data and x.numpy(force=True) is x.data


def test_detach_shares_data_off_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf and y.grad is None
    assert x.detach().data is x.data


def test_requires_grad_like_torch():
    x = cr.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad
    y = cr.tensor([1.0], requires_grad=True) * 2
    assert y.requires_grad_() is y  # a no-op on a tensor on the graph, as in PyTorch
    with pytest.raises(RuntimeError, match=r"requires_grad_: only a leaf's flag .* \(by Mul\)"):
        y.requires_grad_(False)
    with pytest.raises(ValueError, match="only floating-point tensors can require grad"):
        cr.tensor([1]).requires_grad_()


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "fn,error,message",
    [
        (lambda x: x.view(4, 5), ValueError, r"view: shape \(4, 5\) is invalid .* \(2, 3, 5\)"),
        (lambda x: x.view(-1, -1), ValueError, "view: invalid shape .* only one size can be -1"),
        (lambda x: x.view(2.0, 15), TypeError, "view: sizes must be ints"),
        (lambda x: x.reshape(4, 5), ValueError, r"reshape: cannot reshape .* \(2, 3, 5\)"),
        (lambda x: x.permute(0, 1), ValueError, r"permute: dims \(0, 1\) do not match .* 3 dim"),
        (lambda x: x.permute(0, 1, -3), ValueError, r"permute: dims \(0, 1, -3\) repeat a dim"),
        (lambda x: x.permute(0, 1, 3), ValueError, "permute: dim 3 is out of range"),
        (lambda x: x.unsqueeze(4), ValueError, r"unsqueeze: dim 4 is out of range .* -4 to 3"),
        (lambda x: x.squeeze(3), ValueError, "squeeze: dim 3 is out of range"),
        (lambda x: x.squeeze((0, -3)), ValueError, r"squeeze: dims \(0, -3\) repeat a dim"),
        (lambda x: x.expand(2, 4, 5), ValueError, "expand: size 4 must match the existing size 3"),
        (lambda x: x.expand(-1, 2, 3, 5), ValueError, "expand: size -1 is not allowed in new"),
        (lambda x: x.expand(3, 5), ValueError, "expand: sizes .* fewer dims than"),
        (lambda x: x.flatten(2, 1), ValueError, "flatten: start_dim 2 comes after end_dim 1"),
        (lambda x: x.flatten(3), ValueError, "flatten: dim 3 is out of range"),
        (lambda x: x.unflatten(1, (2, 2)), ValueError, r"unflatten: shape \(2, 2\) is invalid"),
        (lambda x: x.unflatten(1, ()), ValueError, "unflatten: sizes must name at least one"),
        (lambda x: x.unflatten(1, (-1, -1)), ValueError, "unflatten: invalid shape"),
        (lambda x: x.t(), ValueError, r"t: expects a tensor of at most 2 dims, got shape"),
        (lambda x: x.transpose(0, 3), ValueError, "transpose: dim 3 is out of range"),
        (lambda x: x.sum(dim=3), ValueError, "axis 3 is out of range"),
    ],
)
def test_errors_name_the_op_and_shapes(fn, error, message):
    with pytest.raises(error, match=message):
        fn(cr.zeros((2, 3, 5)))


def test_errors_of_small_tensors():
    with pytest.raises(ValueError, match=r"mT: expects a tensor of at least 2 dims, got shape"):
        assert cr.zeros(3).mT
    with pytest.raises(ValueError, match="unflatten: a 0-d tensor has no dim"):
        cr.zeros(()).unflatten(0, (1,))
    with pytest.raises(ValueError, match=r"unsqueeze: dim 1 is out of range .* -1 to 0"):
        cr.zeros(()).unsqueeze(1)


def test_spellings_on_another_array_api_namespace():
    xp = pytest.importorskip("array_api_strict")
    x = cr.Tensor(xp.asarray([1.5, -2.5, 3.0], dtype=xp.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == xp.float64 and y._ctx is not None
    (y * y).sum().backward()
    assert x.grad.dtype == xp.float32 and x.grad.tolist() == [3.0, -5.0, 6.0]
    assert x.long().tolist() == [1, -2, 3] and x.long().dtype == xp.int64
    assert x.type_as(cr.Tensor(xp.asarray([True]))).tolist() == [True, True, True]
    assert x.eq(1.5).tolist() == [True, False, False] and x.size() == (3,)
    assert x.clone().tolist() == x.tolist() and x.contiguous() is x
    assert x.max(0).indices.tolist() == 2 and x.argmin().tolist() == 1
    assert x.view(3, 1).unsqueeze(0).shape == (1, 3, 1) and x.is_floating_point()
