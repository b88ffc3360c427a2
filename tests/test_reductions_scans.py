"""Reductions and scans against PyTorch: var/std, prod, logsumexp, amax, max(dim), all/any,
norms, cumsum/cumprod/logcumsumexp, cummax, sort, topk, kthvalue, median and mode; values and
gradients in float32 and float64, negative and tuple dims, keepdim, empty and 0-d tensors,
integer results exactly, and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.backends import cpu, namespace
from helpers import check_vs_torch

torch = pytest.importorskip("torch")

DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-10}


def _compare(fn, fn_torch, x, dtype=np.float64, rtol=None, out_dtype=None):
    """Values and the input's gradient (for a seeded upstream gradient) against torch."""
    rtol = TOLERANCE[dtype] if rtol is None else rtol
    mine = cr.tensor(np.asarray(x, dtype=dtype), requires_grad=True)
    theirs = torch.tensor(np.asarray(x, dtype=dtype), requires_grad=True)
    out, expected = fn(mine), fn_torch(theirs)
    assert out.shape == tuple(expected.shape)
    assert out.dtype == (dtype if out_dtype is None else out_dtype)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=rtol)
    upstream = np.random.default_rng(0).standard_normal(out.shape).astype(out.dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    assert mine.grad.dtype == dtype
    np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=rtol, atol=rtol)


def _exact(mine, theirs):
    """An integer, bool or index result equal to torch's, dtype included."""
    expected = theirs.numpy()
    assert mine.dtype == expected.dtype, (mine.dtype, expected.dtype)
    assert mine.shape == expected.shape
    np.testing.assert_array_equal(mine.data, expected)


# ---------------------------------------------------------------------- reductions over dims
DIMS = [None, 0, -1, 2, (0, 2), (-1, 0), (0, 1, 2)]

REDUCTIONS = {
    "sum": lambda t, **kw: t.sum(**kw),
    "mean": lambda t, **kw: t.mean(**kw),
    "var": lambda t, **kw: t.var(**kw),
    "std": lambda t, **kw: t.std(**kw),
    "logsumexp": lambda t, **kw: t.logsumexp(**kw),
    "amax": lambda t, **kw: t.amax(**kw),
    "amin": lambda t, **kw: t.amin(**kw),
    "nansum": lambda t, **kw: t.nansum(**kw),
    "nanmean": lambda t, **kw: t.nanmean(**kw),
    "norm": lambda t, **kw: t.norm(**kw),
}


def _dim_kwargs(dim, keepdim):
    if dim is None:  # torch takes keepdim only beside a dim
        return {"keepdim": True} if keepdim else {}
    return {"dim": dim, "keepdim": keepdim}


REDUCTION_CASES = [  # torch.logsumexp needs a dim; torch.norm takes at most two dims
    (op, dim, keepdim)
    for op in REDUCTIONS
    for dim in DIMS
    for keepdim in [False, True]
    if not (op == "logsumexp" and dim is None)
    and not (op == "norm" and (dim == (0, 1, 2) or (dim is None and keepdim)))
]


@pytest.mark.parametrize("op, dim, keepdim", REDUCTION_CASES)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_reduction_matches_torch(rng, op, dim, keepdim, dtype):
    fn = REDUCTIONS[op]
    kwargs = _dim_kwargs(dim, keepdim)
    theirs = _dim_kwargs((0, 1, 2), keepdim) if dim is None and keepdim else kwargs
    x = rng.standard_normal((2, 3, 4))
    _compare(lambda t: fn(t, **kwargs), lambda t: fn(t, **theirs), x, dtype)


@pytest.mark.parametrize("dim", [None, 1, -2, (0, -1)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_prod_matches_torch(rng, dim, keepdim, dtype):
    x = rng.uniform(0.5, 1.5, (2, 3, 4))
    if dim is None:  # torch's prod takes one dim or none
        _compare(lambda t: t.prod(), lambda t: t.prod(), x, dtype)
    elif isinstance(dim, int):
        kwargs = _dim_kwargs(dim, keepdim)
        _compare(lambda t: t.prod(**kwargs), lambda t: t.prod(**kwargs), x, dtype)
    else:  # several dims, one after the other in torch
        _compare(
            lambda t: t.prod(dim=dim, keepdim=keepdim),
            lambda t: t.prod(-1, keepdim=keepdim).prod(0, keepdim=keepdim),
            x,
            dtype,
        )


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "nansum", "norm"])
def test_empty_dim_tuple_is_every_dim_as_in_torch(rng, op):
    x = rng.standard_normal((2, 3))
    fn = REDUCTIONS[op]
    _compare(lambda t: fn(t, dim=()), lambda t: fn(t, dim=()), x)
    # var too, whose gradient is torch's for dim=None (torch 2.13's for dim=() is inf)
    _compare(lambda t: t.var(dim=()), lambda t: t.var(), x)
    for op in ("all", "any"):  # except that there dim=() reduces nothing
        _exact(getattr(cr.tensor(x), op)(dim=()), getattr(torch.from_numpy(x), op)(dim=()))


def test_numpy_axis_spelling_matches_dim_spelling(rng):
    x = cr.tensor(rng.standard_normal((2, 3, 4)))
    for name in ("sum", "mean", "prod", "var", "std", "logsumexp", "amax", "nansum", "norm"):
        numpy_style = getattr(cr, name)(x, axis=(0, -1), keepdims=True)
        torch_style = getattr(cr, name)(x, dim=(0, -1), keepdim=True)
        np.testing.assert_array_equal(numpy_style.data, torch_style.data, err_msg=name)
    # NumPy's axis=() reduces nothing, PyTorch's dim=() everything
    assert x.sum(axis=()).shape == (2, 3, 4) and x.sum(dim=()).shape == ()


def test_top_level_functions_match_methods(rng):
    x = cr.tensor(rng.standard_normal((3, 4)))
    for name in ("sum", "mean", "prod", "var", "std", "logsumexp", "amax", "amin", "nansum"):
        np.testing.assert_array_equal(getattr(cr, name)(x, 1).data, getattr(x, name)(1).data)
    for name in ("cumsum", "cumprod", "logcumsumexp"):
        np.testing.assert_array_equal(getattr(cr, name)(x, 1).data, getattr(x, name)(1).data)


# ---------------------------------------------------------------------- var and std
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"unbiased": False},
        {"unbiased": True},
        {"correction": 0},
        {"correction": 2},
        {"correction": 0.5},
        {"dim": 1, "unbiased": False, "keepdim": True},
        {"dim": (0, -1), "correction": 3},
    ],
)
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_corrections(rng, op, kwargs):
    fn = REDUCTIONS[op]
    _compare(lambda t: fn(t, **kwargs), lambda t: fn(t, **kwargs), rng.standard_normal((3, 4, 2)))


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_positional_unbiased_as_torch(rng, op):
    x = rng.standard_normal((3, 4))
    _compare(lambda t: getattr(t, op)(False), lambda t: getattr(t, op)(False), x)
    _compare(lambda t: getattr(t, op)(1, False, True), lambda t: getattr(t, op)(1, False, True), x)


@pytest.mark.parametrize("pair", ["var_mean", "std_mean"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": (0, -1), "keepdim": True}])
def test_var_mean_std_mean_are_pairs_as_in_torch(rng, pair, kwargs):
    x = rng.standard_normal((3, 2, 4))
    mine = getattr(cr, pair)(cr.tensor(x), **kwargs)
    theirs = getattr(torch, pair)(torch.from_numpy(x), **kwargs)
    assert isinstance(mine, tuple) and len(mine) == 2
    for m, t in zip(mine, theirs):
        assert m.shape == tuple(t.shape)
        np.testing.assert_allclose(m.data, t.numpy(), rtol=1e-12)
    _compare(
        lambda t: getattr(cr, pair)(t, **kwargs)[0] * getattr(cr, pair)(t, **kwargs)[1],
        lambda t: getattr(torch, pair)(t, **kwargs)[0] * getattr(torch, pair)(t, **kwargs)[1],
        x,
    )


def test_var_without_degrees_of_freedom_is_inf_or_nan_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that the degrees of freedom are <= 0
        for values, kwargs in [([1.0], {}), ([1.0, 2.0], {"correction": 3}), ([], {})]:
            x = np.asarray(values)
            for op in ("var", "std"):
                mine = getattr(cr.tensor(x), op)(**kwargs)
                theirs = getattr(torch.from_numpy(x), op)(**kwargs)
                np.testing.assert_array_equal(mine.data, theirs.numpy())


def test_std_of_a_constant_has_a_zero_gradient_as_torch():
    _compare(lambda t: t.std(), lambda t: t.std(), np.full(4, 2.0))
    _compare(lambda t: t.std(dim=1), lambda t: t.std(dim=1), np.array([[2.0, 2.0], [1.0, 3.0]]))


# ---------------------------------------------------------------------- prod with zeros
ZERO_PATTERNS = [
    [1.5, 0.0, 2.0, -3.0],  # one zero
    [0.0, 2.0, 0.0, 3.0],  # two zeros
    [0.0, 0.0, 0.0, 0.0],  # all zeros
    [0.0],
    [2.0, -1.0, 0.5, 4.0],  # none
]


@pytest.mark.parametrize("values", ZERO_PATTERNS)
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_prod_gradient_with_zeros_matches_torch(values, dtype):
    _compare(lambda t: t.prod(), lambda t: t.prod(), np.array(values), dtype)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_prod_gradient_with_zeros_along_a_dim(dim):
    x = np.array([[1.5, 0.0, 2.0, -3.0], [0.0, 2.0, 0.0, 3.0], [2.0, -1.0, 0.5, 4.0]])
    _compare(lambda t: t.prod(dim), lambda t: t.prod(dim), x)
    _compare(lambda t: t.prod(dim, keepdim=True), lambda t: t.prod(dim, keepdim=True), x)


def test_prod_with_zeros_second_derivative_matches_torch():
    x = np.array([[1.5, 0.0, 2.0, -3.0], [0.0, 2.0, 0.0, 3.0], [2.0, -1.0, 0.5, 4.0]])
    mine = cr.tensor(x, requires_grad=True)
    mine.prod(1).sum().backward(create_graph=True)
    first = mine.grad
    mine.grad = None
    (first * first).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (grad,) = torch.autograd.grad(theirs.prod(1).sum(), theirs, create_graph=True)
    (grad * grad).sum().backward()
    np.testing.assert_allclose(first.data, grad.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------- dtypes
INTEGERS = [np.int32, np.int64, np.uint8, np.bool_]


@pytest.mark.parametrize("dtype", INTEGERS)
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_integer_sums_and_products_are_int64_as_torch(rng, dtype, dim):
    x = rng.integers(0, 4, (3, 4)).astype(dtype)
    kwargs = {} if dim is None else {"dim": dim}
    for op in ("sum", "prod", "nansum"):
        _exact(getattr(cr.tensor(x), op)(**kwargs), getattr(torch.from_numpy(x), op)(**kwargs))
    if dim is not None:
        for op in ("cumsum", "cumprod"):
            _exact(getattr(cr.tensor(x), op)(dim), getattr(torch.from_numpy(x), op)(dim))


def test_sum_and_mean_dtype_cast_the_gradient_back(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for op, torch_op in [(cr.sum, torch.sum), (cr.mean, torch.mean), (cr.prod, torch.prod)]:
        _compare(
            lambda t, op=op: op(t, dim=1, dtype=np.float64),
            lambda t, op=torch_op: op(t, dim=1, dtype=torch.float64),
            x,
            np.float32,
            rtol=1e-6,
            out_dtype=np.float64,
        )
        assert op(cr.tensor(x), dtype=np.float64).dtype == np.float64
    _exact(cr.tensor(x > 0).sum(dtype=np.int32), torch.from_numpy(x > 0).sum(dtype=torch.int32))
    cumulative = cr.tensor(x).cumsum(0, dtype=np.float64)
    np.testing.assert_allclose(cumulative.data, np.cumsum(x.astype(np.float64), axis=0))


def test_dtype_cast_is_differentiable_twice(rng):
    """sum(dtype=) on the graph with create_graph=True: the cast of the grad is recorded."""
    x = rng.standard_normal(5)
    mine = cr.tensor(x, requires_grad=True)
    (mine.sum(dtype=np.float32) ** 3).backward(create_graph=True)
    first = mine.grad
    mine.grad = None
    first.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (grad,) = torch.autograd.grad(theirs.sum(dtype=torch.float32) ** 3, theirs, create_graph=True)
    grad.sum().backward()
    assert first.dtype == np.float64 and mine.grad.dtype == np.float64
    np.testing.assert_allclose(first.data, grad.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------- all, any, count_nonzero
@pytest.mark.parametrize("op", ["all", "any"])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", [np.bool_, np.float64, np.int64, np.uint8])
def test_all_any_match_torch(op, dim, keepdim, dtype):
    x = np.array([[1, 0, 2], [3, 4, 5]]).astype(dtype)
    kwargs = {"keepdim": keepdim} if dim is None else {"dim": dim, "keepdim": keepdim}
    if dim is None and keepdim:
        kwargs = {"dim": (0, 1), "keepdim": True}
    out = getattr(cr.tensor(x), op)(**kwargs)
    _exact(out, getattr(torch.from_numpy(x), op)(**kwargs))
    assert not out.requires_grad


def test_all_any_of_empty_and_no_grad():
    assert cr.all(cr.zeros((0, 3))).item() is True and cr.any(cr.zeros((0, 3))).item() is False
    x = cr.tensor([1.0, 0.0], requires_grad=True)
    assert not x.any().requires_grad and not x.all().requires_grad


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1)])
def test_count_nonzero_matches_torch(dim):
    x = np.array([[0, 1, 2], [0, 0, 3]])
    _exact(cr.count_nonzero(cr.tensor(x), dim=dim), torch.count_nonzero(torch.from_numpy(x), dim))
    _exact(cr.tensor(x * 1.5).count_nonzero(dim), torch.from_numpy(x * 1.5).count_nonzero(dim))


# ---------------------------------------------------------------------- logsumexp
def test_logsumexp_is_stable_and_handles_infinities():
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, -np.inf]])
    mine = cr.tensor(x).logsumexp(1)
    np.testing.assert_allclose(mine.data, torch.from_numpy(x).logsumexp(1).numpy())
    _compare(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), x[:1])
    _compare(lambda t: t.logsumexp(0), lambda t: t.logsumexp(0), np.array([-800.0, -801.0]))


def test_logsumexp_of_empty_and_of_integers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sum of nothing is -inf, without a warning
        out = cr.tensor(np.zeros((0, 3))).logsumexp(0)
    np.testing.assert_array_equal(out.data, torch.zeros(0, 3).logsumexp(0).numpy())
    ints = cr.tensor([1, 2, 3]).logsumexp(0)
    assert ints.dtype == np.float32
    np.testing.assert_allclose(ints.data, torch.tensor([1, 2, 3]).logsumexp(0).numpy())


# ---------------------------------------------------------------------- max and min
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1, -3])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_max_min_dim_values_and_indices_match_torch(rng, op, dim, keepdim, dtype):
    x = rng.standard_normal((2, 3, 4))
    mine = getattr(cr.tensor(x.astype(dtype)), op)(dim, keepdim)
    theirs = getattr(torch.from_numpy(x.astype(dtype)), op)(dim, keepdim)
    _exact(mine.indices, theirs.indices)
    assert mine.values is mine[0] and mine.indices is mine[1]
    _compare(
        lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values,
        lambda t: getattr(t, op)(dim=dim, keepdim=keepdim).values,
        x,
        dtype,
    )


TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [np.nan, 5.0, np.nan, 5.0]])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1])
def test_max_min_dim_ties_and_nans_as_torch(op, dim):
    """The first of ties and of NaNs, which alone gets the gradient (torch's rule, where
    max() over everything shares it)."""
    mine = getattr(cr.tensor(TIES), op)(dim)
    theirs = getattr(torch.from_numpy(TIES), op)(dim)
    _exact(mine.indices, theirs.indices)
    np.testing.assert_array_equal(mine.values.data, theirs.values.numpy())
    x = TIES[:2]
    _compare(lambda t: getattr(t, op)(dim).values, lambda t: getattr(t, op)(dim).values, x)
    _compare(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), x)


def test_max_axis_keyword_keeps_numpy_semantics(rng):
    x = cr.tensor(rng.standard_normal((2, 3, 4)))
    out = x.max(axis=(0, 2))
    assert isinstance(out, cr.Tensor) and out.shape == (3,)
    np.testing.assert_array_equal(out.data, x.data.max(axis=(0, 2)))
    assert isinstance(x.min(axis=1, keepdims=True), cr.Tensor)


def test_max_min_of_0d_and_module_functions():
    for op in ("max", "min"):
        mine = getattr(cr, op)(cr.tensor(2.5), 0)
        theirs = getattr(torch, op)(torch.tensor(2.5, dtype=torch.float32), 0)
        assert mine.values.shape == () and mine.values.item() == theirs.values.item()
        _exact(mine.indices, theirs.indices)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_match_torch(op, dim, keepdim):
    x = np.array([[1.0, 3.0, 3.0], [7.0, -2.0, 7.0]])
    _exact(getattr(cr.tensor(x), op)(dim, keepdim), getattr(torch.from_numpy(x), op)(dim, keepdim))
    ints = np.array([[4, 1, 4], [0, 9, 9]], dtype=np.int32)
    mine = getattr(cr, op)(cr.tensor(ints), dim=dim, keepdim=keepdim)
    _exact(mine, getattr(torch, op)(torch.from_numpy(ints), dim=dim, keepdim=keepdim))


# ---------------------------------------------------------------------- norms
@pytest.mark.parametrize("ord", [2, 1, 3, 1.5, 0.5, -1, 0, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [None, 1, (0, -1)])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_vector_norm_matches_torch(rng, ord, dim, dtype):
    x = rng.standard_normal((3, 4, 2))
    if ord == 0:  # a count, not differentiable
        mine = cr.linalg.vector_norm(cr.tensor(x.astype(dtype)), ord, dim)
        theirs = torch.linalg.vector_norm(torch.from_numpy(x.astype(dtype)), ord, dim)
        np.testing.assert_array_equal(mine.data, theirs.numpy())
        return
    _compare(
        lambda t: cr.linalg.vector_norm(t, ord, dim, keepdim=True),
        lambda t: torch.linalg.vector_norm(t, ord, dim, keepdim=True),
        x,
        dtype,
    )


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, float("inf")])
def test_norm_matches_torch(rng, p):
    x = rng.standard_normal((3, 4))
    _compare(lambda t: t.norm(p), lambda t: t.norm(p), x)
    _compare(lambda t: cr.norm(t, p, dim=1), lambda t: torch.norm(t, p, dim=1), x)


@pytest.mark.parametrize("ord", [2, 1, 3, 1.5, 0.5])
def test_norm_of_zeros_has_a_zero_gradient_as_torch(ord):
    x = np.array([[0.0, 0.0, 0.0], [0.0, 3.0, -4.0]])
    _compare(
        lambda t: cr.linalg.vector_norm(t, ord, dim=1),
        lambda t: torch.linalg.vector_norm(t, ord, dim=1),
        x,
    )


def test_norm_dtype_and_empty():
    x = np.array([3.0, 4.0], dtype=np.float32)
    out = cr.linalg.vector_norm(cr.tensor(x), dtype=np.float64)
    assert out.dtype == np.float64 and out.item() == 5.0
    assert cr.linalg.vector_norm(cr.tensor([1, 2]), dtype=np.float32).dtype == np.float32
    assert cr.tensor(np.zeros((0, 2))).norm().item() == 0.0


# ---------------------------------------------------------------------- nansum and nanmean
def test_nansum_nanmean_skip_nans_with_zero_gradient():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan], [3.0, 4.0, -1.0]])
    for op in ("nansum", "nanmean"):
        for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
            mine = getattr(cr.tensor(x, requires_grad=True), op)(**kwargs)
            np.testing.assert_array_equal(
                mine.data, getattr(torch.from_numpy(x), op)(**kwargs).numpy()
            )
        _compare(lambda t, op=op: getattr(t, op)(0), lambda t, op=op: getattr(t, op)(0), x[[0, 2]])
        _compare(lambda t, op=op: getattr(t, op)(), lambda t, op=op: getattr(t, op)(), x[[0, 2]])


# ---------------------------------------------------------------------- scans
SCANS = {
    "cumsum": lambda t, d: t.cumsum(d),
    "cumprod": lambda t, d: t.cumprod(d),
    "logcumsumexp": lambda t, d: t.logcumsumexp(d),
    "cummax": lambda t, d: t.cummax(d).values,
    "cummin": lambda t, d: t.cummin(d).values,
}


@pytest.mark.parametrize("op", list(SCANS))
@pytest.mark.parametrize("dim", [0, 1, -1, -3])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_scans_match_torch(rng, op, dim, dtype):
    fn = SCANS[op]
    _compare(lambda t: fn(t, dim), lambda t: fn(t, dim), rng.standard_normal((2, 3, 5)), dtype)


@pytest.mark.parametrize("op", list(SCANS))
@pytest.mark.parametrize("shape,dim", [((), 0), ((), -1), ((1,), 0), ((0,), 0), ((2, 0), 1)])
def test_scans_of_0d_and_empty_tensors(rng, op, shape, dim):
    fn = SCANS[op]
    x = np.asarray(rng.standard_normal(shape))
    if x.size == 0:
        mine, theirs = fn(cr.tensor(x), dim), fn(torch.from_numpy(x), dim)
        assert mine.shape == tuple(theirs.shape)
        return
    _compare(lambda t: fn(t, dim), lambda t: fn(t, dim), x)


@pytest.mark.parametrize(
    "values",
    [
        [1.5, 0.0, 2.0, -3.0, 0.5],
        [0.0, 2.0, 0.0, 3.0, 1.0],
        [2.0, 3.0, 4.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [2.0, -1.0, 0.5, 4.0, 0.0],
    ],
)
def test_cumprod_gradient_with_zeros_matches_torch(values):
    _compare(lambda t: t.cumprod(0), lambda t: t.cumprod(0), np.array(values))


def test_cumprod_with_random_zeros_along_every_dim(rng):
    x = rng.standard_normal((3, 4, 5)) * (rng.random((3, 4, 5)) > 0.3)
    for dim in (0, 1, 2):
        _compare(lambda t, d=dim: t.cumprod(d), lambda t, d=dim: t.cumprod(d), x)


def test_logcumsumexp_of_values_far_apart_is_exact():
    x = np.array([-1000.0, 0.0, 1000.0, -2000.0, 1000.0])
    mine = cr.tensor(x).logcumsumexp(0)
    np.testing.assert_allclose(mine.data, torch.from_numpy(x).logcumsumexp(0).numpy())
    assert mine.data[0] == -1000.0
    _compare(lambda t: t.logcumsumexp(0), lambda t: t.logcumsumexp(0), x)


@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize(
    "values",
    [
        [1.0, 3.0, 3.0, 2.0, 3.0],
        [3.0, 1.0, 1.0, 2.0, 1.0],
        [1.0, np.nan, 3.0, np.nan, 2.0],
        [2.0, 2.0, 2.0],
    ],
)
def test_cummax_cummin_indices_ties_and_nans_as_torch(op, values):
    x = np.array(values)
    mine = getattr(cr.tensor(x), op)(0)
    theirs = getattr(torch.from_numpy(x), op)(0)
    _exact(mine.indices, theirs.indices)
    np.testing.assert_array_equal(mine.values.data, theirs.values.numpy())
    if not np.isnan(x).any():  # repeated indices: their gradients add up
        _compare(lambda t: getattr(t, op)(0).values, lambda t: getattr(t, op)(0).values, x)


def test_cummax_of_integers_is_exact(rng):
    x = rng.integers(-5, 5, (3, 6))
    for op in ("cummax", "cummin"):
        mine, theirs = getattr(cr.tensor(x), op)(1), getattr(torch.from_numpy(x), op)(1)
        _exact(mine.values, theirs.values)
        _exact(mine.indices, theirs.indices)


# ---------------------------------------------------------------------- sort and topk
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_sort_matches_torch(rng, dim, descending, dtype):
    x = rng.standard_normal((3, 4, 5))
    mine = cr.tensor(x.astype(dtype)).sort(dim, descending)
    theirs = torch.from_numpy(x.astype(dtype)).sort(dim, descending)
    _exact(mine.indices, theirs.indices)
    _exact(cr.tensor(x).argsort(dim, descending), torch.from_numpy(x).argsort(dim, descending))
    _compare(
        lambda t: t.sort(dim=dim, descending=descending).values,
        lambda t: t.sort(dim=dim, descending=descending).values,
        x,
        dtype,
    )


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.uint8, np.bool_])
def test_sort_is_stable_with_nans_last_as_torch(descending, dtype):
    x = np.array([[1, 2, 1, 0, 2, 1, 0, 3], [5, 5, 5, 5, 1, 1, 1, 1]]).astype(dtype)
    if dtype == np.float64:
        x[0, 3] = x[1, 5] = np.nan
    mine = cr.sort(cr.tensor(x), -1, descending, stable=True)
    theirs = torch.sort(torch.from_numpy(x), dim=-1, descending=descending, stable=True)
    _exact(mine.indices, theirs.indices)
    np.testing.assert_array_equal(mine.values.data, theirs.values.numpy())
    order = cr.argsort(cr.tensor(x), descending=descending, stable=True)
    _exact(order, torch.argsort(torch.from_numpy(x), descending=descending, stable=True))


def test_sort_of_0d_and_empty():
    mine, theirs = cr.tensor(3.0).sort(), torch.tensor(3.0).sort()
    assert mine.values.shape == () and mine.values.item() == 3.0
    _exact(mine.indices, theirs.indices)
    empty = cr.tensor(np.zeros((2, 0))).sort()
    assert empty.values.shape == (2, 0) and empty.indices.dtype == np.int64


@pytest.mark.parametrize("k", [0, 1, 3, 5])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_topk_matches_torch(rng, k, largest, dim):
    x = rng.standard_normal((5, 5))
    mine = cr.tensor(x).topk(k, dim, largest)
    theirs = torch.from_numpy(x).topk(k, dim, largest)
    _exact(mine.indices, theirs.indices)
    if k:
        _compare(
            lambda t: t.topk(k, dim=dim, largest=largest).values,
            lambda t: t.topk(k, dim=dim, largest=largest).values,
            x,
        )
    unsorted = cr.topk(cr.tensor(x), k, dim, largest, sorted=False)
    np.testing.assert_array_equal(unsorted.values.data, mine.values.data)


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_matches_torch(rng, k, dim, keepdim):
    x = rng.standard_normal((4, 4))
    mine = cr.tensor(x).kthvalue(k, dim, keepdim)
    theirs = torch.from_numpy(x).kthvalue(k, dim, keepdim)
    _exact(mine.indices, theirs.indices)
    _compare(
        lambda t: t.kthvalue(k, dim, keepdim).values,
        lambda t: t.kthvalue(k, dim, keepdim).values,
        x,
    )


# ---------------------------------------------------------------------- median and mode
@pytest.mark.parametrize("shape", [(5,), (4,), (3, 4), (2, 3, 5)])
@pytest.mark.parametrize("dtype", list(DTYPES))
def test_median_matches_torch(rng, shape, dtype):
    x = rng.standard_normal(shape)
    _compare(lambda t: t.median(), lambda t: t.median(), x, dtype)
    for dim in range(-len(shape), len(shape)):
        mine = cr.tensor(x.astype(dtype)).median(dim)
        _exact(mine.indices, torch.from_numpy(x.astype(dtype)).median(dim).indices)
        _compare(
            lambda t, d=dim: t.median(d, keepdim=True).values,
            lambda t, d=dim: t.median(d, keepdim=True).values,
            x,
            dtype,
        )


def test_median_ties_share_the_gradient_and_nans_win_as_torch():
    _compare(lambda t: t.median(), lambda t: t.median(), np.array([2.0, 1.0, 2.0, 5.0]))
    x = np.array([[1.0, np.nan, 3.0, 4.0], [4.0, 1.0, 3.0, 2.0]])
    mine, theirs = cr.tensor(x).median(1), torch.from_numpy(x).median(1)
    _exact(mine.indices, theirs.indices)
    np.testing.assert_array_equal(mine.values.data, theirs.values.numpy())
    assert np.isnan(cr.tensor(x).median().item())
    _exact(cr.tensor([3, 1, 2, 2]).median(), torch.tensor([3, 1, 2, 2]).median())


@pytest.mark.parametrize(
    "values",
    [
        [[1.0, 2.0, 2.0, 1.0, 3.0]],
        [[3.0, 1.0, 3.0, 1.0, 5.0, 5.0]],
        [[5.0, 4.0, 3.0]],
        [[2.0, 2.0, 1.0, 1.0], [7.0, 7.0, 7.0, 0.0]],
    ],
)
def test_mode_matches_torch(values):
    x = np.array(values)
    mine, theirs = cr.tensor(x).mode(1), torch.from_numpy(x).mode(1)
    _exact(mine.indices, theirs.indices)
    np.testing.assert_array_equal(mine.values.data, theirs.values.numpy())
    _compare(lambda t: t.mode(-1, True).values, lambda t: t.mode(-1, True).values, x)
    ints = x.astype(np.int64)
    mine, theirs = cr.mode(cr.tensor(ints.T), 0), torch.mode(torch.from_numpy(ints.T), 0)
    _exact(mine.values, theirs.values)
    _exact(mine.indices, theirs.indices)


# ---------------------------------------------------------------------- kernels
def test_logcumsumexp_cpu_and_portable_agree(rng):
    xps = pytest.importorskip("array_api_strict")
    x = rng.standard_normal((3, 7)) * 300
    for axis in (0, 1, -1):
        fast = cpu.logcumsumexp(x, axis)
        portable = namespace(xps.asarray(x)).logcumsumexp(xps.asarray(x), axis)
        np.testing.assert_allclose(fast, np.asarray(portable), rtol=1e-12)


def test_argsort_cpu_matches_the_standard(rng):
    xps = pytest.importorskip("array_api_strict")
    x = rng.integers(0, 3, (4, 6)).astype(np.float64)
    for descending in (False, True):
        fast = cpu.argsort(x, axis=1, descending=descending)
        standard = xps.argsort(xps.asarray(x), axis=1, descending=descending, stable=True)
        np.testing.assert_array_equal(fast, np.asarray(standard))


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda x: x.sum(dim=3), ValueError, "sum: axis 3 is out of range"),
        (lambda x: x.var(dim=(0, -2)), ValueError, "var: dim (0, -2) names a dimension twice"),
        (lambda x: x.sum(axis=0, dim=1), TypeError, "sum: got both axis=0 and dim=1"),
        (lambda x: x.mean(keepdims=True, keepdim=True), TypeError, "mean: got both keepdims"),
        (lambda x: x.var(unbiased=True, correction=0), TypeError, "var: got both unbiased"),
        (lambda x: cr.tensor([1, 2]).var(), TypeError, "var: expected a floating-point tensor"),
        (lambda x: cr.tensor([1, 2]).norm(), TypeError, "vector_norm: expected a floating-point"),
        (lambda x: x.norm("nuc"), ValueError, "norm: p='nuc' is not supported"),
        (lambda x: cr.linalg.vector_norm(x, "2"), TypeError, "vector_norm: ord must be a number"),
        (
            lambda x: x.max(dim=(0, 1)),
            TypeError,
            "max: dim must be an int to give (values, indices)",
        ),
        (lambda x: x.min(dim=5), ValueError, "min: dim 5 is out of range for a tensor of 2"),
        (lambda x: x.cumsum(), TypeError, "cumsum: missing the dim to run along"),
        (lambda x: x.cumprod(dim=1.0), TypeError, "cumprod: dim must be an int, got 1.0"),
        (lambda x: x.topk(4), ValueError, "topk: k=4 is out of range for 3 elements along dim 1"),
        (lambda x: x.topk(-1), ValueError, "topk: k=-1 is out of range"),
        (lambda x: x.kthvalue(0), ValueError, "kthvalue: k=0 is out of range"),
        (lambda x: x.kthvalue(1.5), TypeError, "kthvalue: k must be an int, got 1.5"),
        (lambda x: x.sort(dim=2), ValueError, "sort: dim 2 is out of range"),
        (lambda x: cr.tensor([1, 2]).logcumsumexp(0), TypeError, "logcumsumexp: expected a"),
        (lambda x: cr.zeros((2, 0)).max(dim=1), ValueError, "max: cannot reduce an empty dim"),
        (lambda x: cr.zeros((2, 0)).argmin(1), ValueError, "argmin: cannot reduce an empty dim"),
        (lambda x: cr.zeros(0).median(), ValueError, "median: cannot take the median of an empty"),
        (lambda x: cr.zeros((2, 0)).mode(), ValueError, "mode: dim 1 is empty"),
        (lambda x: cr.sum("x"), TypeError, "sum: expected a Tensor, got str"),
    ],
)
def test_errors_name_the_op_and_the_argument(call, error, message):
    x = cr.tensor(np.ones((2, 3)))
    with pytest.raises(error) as caught:
        call(x)
    assert message in str(caught.value)


def test_values_indices_is_a_named_pair():
    out = cr.tensor([[1.0, 5.0]]).max(1)
    values, indices = out
    assert out._fields == ("values", "indices")
    assert values is out.values and indices is out.indices
    assert not indices.requires_grad and indices.dtype == np.int64


def test_checked_against_torch_in_float64_by_the_shared_helper(rng):
    check_vs_torch(
        lambda t: t.var(1) + t.prod(0).sum(),
        lambda t: t.var(1) + t.prod(0).sum(),
        rng.uniform(0.5, 1.5, (3, 3)),
    )


# ---------------------------------------------------------------------- other array libraries
ON_STRICT_ARRAYS = {
    "prod_zeros": lambda t: t.prod(1),
    "prod": lambda t: (t + 1).prod(),
    "cumsum": lambda t: t.cumsum(1),
    "cumprod_zeros": lambda t: t.cumprod(1),
    "logsumexp": lambda t: t.logsumexp(1),
    "logcumsumexp": lambda t: t.logcumsumexp(-1),
    "var": lambda t: t.var(0),
    "std_mean": lambda t: cr.std_mean(t, 1)[0] * cr.std_mean(t, 1)[1],
    "norm": lambda t: t.norm(dim=1) + cr.linalg.vector_norm(t, 3),
    "nanmean": lambda t: t.nanmean(1),
    "amax": lambda t: t.amax((0, 1)),
}


@pytest.mark.parametrize("name", sorted(ON_STRICT_ARRAYS))
def test_rules_on_array_api_strict_match_numpy(name):
    xps = pytest.importorskip("array_api_strict")
    fn = ON_STRICT_ARRAYS[name]
    x = np.array([[1.0, 2.0, 0.0], [3.0, -4.0, 5.0]], dtype=np.float32)
    plain = cr.tensor(x, requires_grad=True)
    strict = cr.tensor(x).to(xps).requires_grad_()
    out, out_strict = fn(plain), fn(strict)
    assert type(out_strict.data) is not np.ndarray
    np.testing.assert_allclose(out_strict.numpy(), out.numpy(), rtol=1e-6)
    seed = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    out.backward(seed)
    out_strict.backward(cr.tensor(seed).to(xps))
    np.testing.assert_allclose(strict.grad.numpy(), plain.grad.numpy(), rtol=1e-5, atol=1e-6)
