"""Elementwise math (ops/math.py) and PyTorch's type promotion (promotion.py), against torch:
values and gradients in float32 and float64, odd and empty shapes, broadcasting, integer ops
exactly, the ops without a gradient, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

SHAPES = [(), (1,), (7,), (2, 3, 5), (0,), (0, 3)]
TOLERANCE = {np.float32: dict(rtol=3e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}

# name -> (domain low, high): where the function and its derivative are finite
UNARY = {
    "sin": (-4, 4),
    "cos": (-4, 4),
    "tan": (-1.2, 1.2),
    "asin": (-0.95, 0.95),
    "acos": (-0.95, 0.95),
    "atan": (-4, 4),
    "sinh": (-4, 4),
    "cosh": (-4, 4),
    "asinh": (-4, 4),
    "acosh": (1.05, 5),
    "atanh": (-0.95, 0.95),
    "exp": (-4, 4),
    "exp2": (-4, 4),
    "expm1": (-4, 4),
    "log": (0.1, 5),
    "log2": (0.1, 5),
    "log10": (0.1, 5),
    "log1p": (-0.9, 4),
    "sqrt": (0.1, 5),
    "rsqrt": (0.1, 5),
    "reciprocal": (0.2, 5),
    "square": (-4, 4),
    "erf": (-4, 4),
    "erfc": (-4, 4),
    "abs": (0.1, 4),
    "neg": (-4, 4),
    "frac": (-4, 4),
}
BINARY = {
    "atan2": ((-3, 3), (-3, 3)),
    "hypot": ((-3, 3), (-3, 3)),
    "maximum": ((-3, 3), (-3, 3)),
    "minimum": ((-3, 3), (-3, 3)),
    "copysign": ((0.1, 3), (-3, 3)),
    "fmod": ((-5, 5), (0.5, 2)),
    "remainder": ((-5, 5), (0.5, 2)),
    "logaddexp": ((-3, 3), (-3, 3)),
    "logaddexp2": ((-3, 3), (-3, 3)),
}
PAIRS = [((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((5,), ()), ((0, 4), (4,))]


def _uniform(rng, low, high, shape, dtype):
    return np.asarray(rng.uniform(low, high, shape), dtype=dtype)


def _check(ours_fn, torch_fn, arrays, dtype, grads=True):
    """Forward values, dtype and (for one random upstream) every input's grad, against torch."""
    ours = [cr.tensor(a, requires_grad=grads) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grads) for a in arrays]
    out, expected = ours_fn(*ours), torch_fn(*theirs)
    assert out.shape == tuple(expected.shape)
    assert out.dtype == dtype, out.dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCE[dtype])
    if not grads:
        return
    upstream = np.random.default_rng(7).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for mine, reference in zip(ours, theirs):
        if mine.grad is None:  # an input the output does not depend on
            assert reference.grad is None or not reference.grad.any()
            continue
        assert mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), **TOLERANCE[dtype])


# ---------------------------------------------------------------------- one input
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_grads_match_torch(rng, name, shape, dtype):
    x = _uniform(rng, *UNARY[name], shape, dtype)
    _check(getattr(cr, name), getattr(torch, name), [x], dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_method_is_the_function(rng, name):
    x = cr.tensor(_uniform(rng, *UNARY[name], (4,), np.float64))
    np.testing.assert_array_equal(getattr(x, name)().data, getattr(cr, name)(x).data)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("name", ["sin", "exp", "log2", "sqrt", "erf", "rsqrt", "reciprocal"])
def test_float_functions_read_integers_as_float32(name, dtype):
    x = np.array([1, 2, 3, 1], dtype=dtype) if dtype != np.bool_ else np.array([True, True])
    out, expected = getattr(cr, name)(cr.tensor(x)), getattr(torch, name)(torch.from_numpy(x))
    assert out.dtype == np.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-6)


def test_square_keeps_integers_and_makes_bool_int64():
    assert cr.square(cr.tensor([2, -3])).tolist() == [4, 9]
    assert cr.square(cr.tensor([True, False])).dtype == np.int64


def test_erf_and_erfc_float64_to_a_few_ulps_of_torch():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, -0.0, 1e-300, -1e-12, 3e-8]])
    np.testing.assert_allclose(cr.erf(x).data, torch.erf(torch.from_numpy(x)), rtol=1e-15)
    tail = np.linspace(-6, 26, 20001)  # erfc(26) is 5.7e-296: relative accuracy throughout
    np.testing.assert_allclose(cr.erfc(tail).data, torch.erfc(torch.from_numpy(tail)), rtol=1e-15)
    special = cr.erf(np.array([np.inf, -np.inf, np.nan])).data
    assert special[0] == 1 and special[1] == -1 and np.isnan(special[2])


def test_portable_erf_agrees_with_the_numpy_kernel():
    """The Array API twin (series and continued fraction) against the C library's erf."""
    strict = pytest.importorskip("array_api_strict")
    from chainrule.backends import cpu, portable

    x = np.concatenate([np.linspace(-8, 8, 16001), [0.0, 1e-300, 2.0, -2.0, np.inf, -np.inf]])
    kernels = portable(strict)
    erf, erfc = (np.asarray(f(strict.asarray(x))) for f in (kernels.erf, kernels.erfc))
    np.testing.assert_allclose(erf, cpu.erf(x), rtol=2e-15, atol=0)
    np.testing.assert_allclose(erfc, cpu.erfc(x), rtol=3e-13, atol=0)  # 1 - erf below 2
    wide = np.linspace(2, 26, 4001)
    np.testing.assert_allclose(
        np.asarray(kernels.erfc(strict.asarray(wide))), cpu.erfc(wide), 2e-15
    )
    single = kernels.erf(strict.asarray(x[:100].astype(np.float32)))
    assert single.dtype == strict.float32


def test_logs_are_exact_at_powers_of_their_base():
    assert cr.log2(cr.tensor([1.0, 8.0, 1024.0])).tolist() == [0.0, 3.0, 10.0]
    assert cr.log10(cr.tensor([1.0, 1000.0, 1e-3], dtype=np.float64)).tolist() == [0, 3, -3]


def test_domain_edges_give_torch_values():
    x = np.array([-1.0, 1.0, 1.5, -1.5, 0.0])
    for name in ["asin", "acos", "atanh", "acosh", "log1p"]:
        with np.errstate(all="ignore"):
            ours = getattr(cr, name)(x).data
        np.testing.assert_array_equal(ours, getattr(torch, name)(torch.from_numpy(x)).numpy())


# ---------------------------------------------------------------------- no gradient
ROUNDING = ["floor", "ceil", "trunc", "round", "sign", "sgn"]
SPECIAL = [-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, 2.7, -2.7, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_matches_torch_and_records_nothing(name, dtype):
    x = cr.tensor(np.array(SPECIAL, dtype=dtype), requires_grad=True)
    out = getattr(cr, name)(x)
    expected = getattr(torch, name)(torch.tensor(np.array(SPECIAL, dtype=dtype)))
    assert not out.requires_grad and out.dtype == dtype
    np.testing.assert_array_equal(out.data, expected.numpy())
    assert np.array_equal(np.signbit(out.data), np.signbit(expected.numpy()))
    np.testing.assert_array_equal(getattr(x, name)().data, out.data)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign"])
@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8])
def test_rounding_keeps_integers(name, dtype):
    x = np.array([0, 1, 5, 7], dtype=dtype)
    out = getattr(cr, name)(cr.tensor(x))
    expected = getattr(torch, name)(torch.from_numpy(x))
    assert out.dtype == dtype and out.tolist() == expected.tolist()


def test_sign_of_bool_is_bool():
    assert cr.sign(cr.tensor([True, False])).tolist() == [True, False]


@pytest.mark.parametrize("decimals", [1, 2, -1, -2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_decimals_matches_torch(rng, decimals, dtype):
    x = np.asarray(rng.uniform(-500, 500, 200), dtype=dtype)
    out = cr.round(cr.tensor(x), decimals=decimals)
    expected = torch.round(torch.from_numpy(x), decimals=decimals).numpy()
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(cr.tensor(x).round(decimals).data, expected)


def test_rounding_gives_a_zero_gradient_as_torch():
    x = cr.tensor([0.3, 1.7, -2.2], requires_grad=True)
    (cr.floor(x) * x + cr.sign(x) * x).sum().backward()
    t = torch.tensor([0.3, 1.7, -2.2], requires_grad=True)
    (torch.floor(t) * t + torch.sign(t) * t).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy())


def test_frac_has_gradient_one():
    x = cr.tensor([-2.75, 0.25, 3.5], requires_grad=True)
    y = cr.frac(x)
    assert y.tolist() == [-0.75, 0.25, 0.5]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------------- two inputs
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_and_grads_match_torch(rng, name, shapes, dtype):
    (low_a, high_a), (low_b, high_b) = BINARY[name]
    a = _uniform(rng, low_a, high_a, shapes[0], dtype)
    b = _uniform(rng, low_b, high_b, shapes[1], dtype)
    if name in ("fmod", "remainder"):  # divisors of both signs
        b = b * np.where(rng.random(shapes[1]) < 0.5, -1, 1).astype(dtype)
    torch_fn = getattr(torch, name)
    if name == "copysign":  # torch gives the sign's input a zero grad, chainrule none
        _check(
            lambda x, y: cr.copysign(x, y.detach()),
            lambda x, y: torch_fn(x, y.detach()),
            [a, b],
            dtype,
        )
        return
    _check(getattr(cr, name), torch_fn, [a, b], dtype)
    method = getattr(cr.tensor(a), name)(cr.tensor(b))
    np.testing.assert_array_equal(method.data, getattr(cr, name)(a, b).data)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_python_number_on_either_side(name):
    x = cr.tensor([0.5, 1.5, 2.5], requires_grad=True)
    t = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)
    ours = getattr(cr, name)(x, 0.75) + getattr(cr, name)(1.25, x)
    number, other = torch.tensor(0.75), torch.tensor(1.25)  # 0-d: torch takes no numbers here
    theirs = getattr(torch, name)(t, number) + getattr(torch, name)(other, t)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=2e-6)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_ties_and_propagate_nan(name):
    a = cr.tensor([1.0, 2.0, 3.0, np.nan], requires_grad=True)
    b = cr.tensor([1.0, 5.0, 0.0, 1.0], requires_grad=True)
    ta, tb = (torch.tensor(v.data, requires_grad=True) for v in (a, b))
    out, expected = getattr(cr, name)(a, b), getattr(torch, name)(ta, tb)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    out.backward(np.ones(4, dtype=np.float32))
    expected.backward(torch.ones(4))
    assert a.grad.tolist()[0] == b.grad.tolist()[0] == 0.5
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.data, tb.grad.numpy())


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
@pytest.mark.parametrize("name", ["remainder", "fmod", "floor_divide"])
def test_integer_division_ops_are_exact(name, dtype):
    a = np.array([7, -7, 7, -7, 0, 5, -128 if dtype == np.int8 else -1000], dtype=dtype)
    b = np.array([3, 3, -3, -3, 4, 1, 7], dtype=dtype)
    out = getattr(cr, name)(cr.tensor(a), cr.tensor(b))
    expected = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
    assert out.dtype == dtype and out.tolist() == expected.tolist()
    number = getattr(cr, name)(cr.tensor(a), -2)
    assert number.tolist() == getattr(torch, name)(torch.from_numpy(a), -2).tolist()


@pytest.mark.parametrize("name", ["remainder", "fmod", "floor_divide"])
def test_integer_division_by_zero_raises(name):
    with pytest.raises(ZeroDivisionError, match=f"{name}: integer division by zero"):
        getattr(cr, name)(cr.tensor([1, 2]), cr.tensor([1, 0]))
    with pytest.raises(ZeroDivisionError):
        cr.tensor([1, 2]) % 0
    with np.errstate(invalid="ignore"):  # floats give NaN, as in torch
        assert np.isnan(cr.remainder(cr.tensor([1.0]), 0.0).item())


def test_remainder_of_floats_follows_the_divisor_sign():
    a = np.array([5.5, -5.5, 5.5, -5.5, 0.0, -0.0, 3.0])
    b = np.array([2.0, 2.0, -2.0, -2.0, -1.0, 1.0, 1.5])
    for name, op in (("remainder", lambda x, y: x % y), ("fmod", None)):
        ours = getattr(cr, name)(a, b).data
        theirs = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b)).numpy()
        np.testing.assert_array_equal(ours, theirs)  # NOTE: a zero remainder's sign may differ
        if op is None:
            assert np.array_equal(np.signbit(ours), np.signbit(theirs))
        else:
            np.testing.assert_array_equal(op(cr.tensor(a), cr.tensor(b)).data, theirs)
    assert (7.5 % cr.tensor([2.0, -2.0])).tolist() == [1.5, -0.5]


def test_copysign_of_integers_is_float32_and_its_gradient_flips():
    assert cr.copysign(cr.tensor([1, -2]), -1).dtype == np.float32
    x = cr.tensor([2.0, -3.0, 0.0], requires_grad=True)
    cr.copysign(x, cr.tensor([-1.0, -1.0, 1.0])).sum().backward()
    assert x.grad.tolist() == [-1.0, 1.0, 0.0]


# ---------------------------------------------------------------------- clamp
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "bounds", [(-0.5, 0.5), (None, 0.3), (-0.2, None), (0.5, -0.5), (1.0, 1.0)], ids=str
)
def test_clamp_numbers_match_torch(rng, bounds, dtype):
    x = _uniform(rng, -2, 2, (3, 5), dtype)
    x[0, :3] = [-0.5, 0.5, 0.3]  # on the bounds: the gradient passes, as in torch
    low, high = bounds
    _check(lambda t: cr.clamp(t, low, high), lambda t: torch.clamp(t, low, high), [x], dtype)
    _check(lambda t: t.clip(min=low, max=high), lambda t: t.clip(low, high), [x], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shapes", [((3, 4), (4,), (3, 1)), ((3, 4), (), (4,)), ((2, 3), (2, 3), (2, 3))], ids=str
)
def test_clamp_tensor_bounds_match_torch(rng, shapes, dtype):
    x = _uniform(rng, -2, 2, shapes[0], dtype)
    low = _uniform(rng, -1.5, 0.5, shapes[1], dtype)
    high = _uniform(rng, -0.5, 1.5, shapes[2], dtype)  # low > high in places: max wins
    _check(cr.clamp, torch.clamp, [x, low, high], dtype)
    _check(lambda t, lo: cr.clamp(t, min=lo), lambda t, lo: torch.clamp(t, min=lo), [x, low], dtype)
    _check(lambda t, hi: t.clamp(max=hi), lambda t, hi: t.clamp(max=hi), [x, high], dtype)


def test_clamp_integers_and_bools_as_torch():
    ints = np.array([-5, 0, 3, 9])
    for low, high in [(0, 4), (0.5, None), (None, 2)]:
        ours, theirs = (
            cr.clamp(cr.tensor(ints), low, high),
            torch.clamp(torch.tensor(ints), low, high),
        )
        assert str(ours.dtype) == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert cr.clamp(cr.tensor([True, False]), min=0).dtype == np.int64


def test_clamp_in_place_still_works():
    x = cr.tensor([-2.0, 0.5, 3.0])
    assert x.clamp_(min=-1.0, max=1.0) is x and x.tolist() == [-1.0, 0.5, 1.0]
    assert x.clamp_(max=0.0).tolist() == [-1.0, 0.0, 0.0]


def test_clamp_errors_name_the_op():
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        cr.clamp(cr.tensor([1.0]))
    with pytest.raises(ValueError, match=r"clamp: input of shape \(3,\), min of shape \(2,\)"):
        cr.clamp(cr.tensor([1.0, 2.0, 3.0]), cr.tensor([0.0, 1.0]), 2.0)


# ---------------------------------------------------------------------- lerp, nan_to_num
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lerp_matches_torch(rng, dtype):
    start, end = _uniform(rng, -2, 2, (3, 4), dtype), _uniform(rng, -2, 2, (4,), dtype)
    weight = _uniform(rng, -1, 2, (3, 4), dtype)
    _check(cr.lerp, torch.lerp, [start, end, weight], dtype)
    for w in (0.25, 0.5, 1.0, -0.75):
        _check(lambda s, e, w=w: s.lerp(e, w), lambda s, e, w=w: s.lerp(e, w), [start, end], dtype)


def test_lerp_at_weight_one_is_the_end_exactly():
    start, end = cr.tensor([0.1, 1e8, -3.3]), cr.tensor([0.7, 1.0, 2.9])
    assert cr.lerp(start, end, 1.0).tolist() == end.tolist()
    assert cr.lerp(start, end, cr.ones(3)).tolist() == end.tolist()
    with pytest.raises(TypeError, match="lerp: float tensors only, got int64"):
        cr.lerp(cr.tensor([1]), cr.tensor([2]), 0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("replace", [{}, {"nan": 1.5, "posinf": 9.0, "neginf": -9.0}], ids=str)
def test_nan_to_num_matches_torch_with_grad_where_finite(dtype, replace):
    values = np.array([1.0, np.nan, np.inf, -np.inf, -2.0], dtype=dtype)
    x = cr.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    out, expected = cr.nan_to_num(x, **replace), torch.nan_to_num(t, **replace)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
    assert x.nan_to_num(**replace).tolist() == out.tolist()
    assert cr.nan_to_num(cr.tensor([1, 2])).tolist() == [1, 2]


# ---------------------------------------------------------------------- predicates
PREDICATES = ["isnan", "isinf", "isfinite", "isposinf", "isneginf"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("name", PREDICATES)
def test_predicates_match_torch(name, dtype):
    values = [1.0, np.nan, np.inf, -np.inf, -0.0] if dtype != np.int64 else [1, -2, 0]
    x = np.array(values, dtype=dtype)
    out = getattr(cr, name)(cr.tensor(x, requires_grad=dtype != np.int64))
    assert out.dtype == np.bool_ and not out.requires_grad
    assert out.tolist() == getattr(torch, name)(torch.from_numpy(x)).tolist()
    assert getattr(cr.tensor(x), name)().tolist() == out.tolist()


@pytest.mark.parametrize("equal_nan", [False, True])
@pytest.mark.parametrize("tolerances", [{}, {"rtol": 0.0, "atol": 0.0}, {"rtol": 0.1, "atol": 0.5}])
def test_isclose_matches_torch(equal_nan, tolerances):
    a = np.array([1.0, 1.0, np.inf, -np.inf, np.nan, 1e10, 0.0, 2.0])
    b = np.array([1.0 + 1e-6, 1.2, np.inf, np.inf, np.nan, 1.00001e10, 1e-9, -2.0])
    ours = cr.isclose(cr.tensor(a), cr.tensor(b), equal_nan=equal_nan, **tolerances)
    theirs = torch.isclose(
        torch.from_numpy(a), torch.from_numpy(b), equal_nan=equal_nan, **tolerances
    )
    assert ours.tolist() == theirs.tolist()
    allclose = cr.allclose(cr.tensor(a), cr.tensor(b), equal_nan=equal_nan, **tolerances)
    assert allclose is torch.allclose(
        torch.from_numpy(a), torch.from_numpy(b), equal_nan=equal_nan, **tolerances
    )
    assert (
        cr.tensor(a).isclose(cr.tensor(b), equal_nan=equal_nan, **tolerances).tolist()
        == ours.tolist()
    )


def test_isclose_broadcasts_takes_numbers_and_checks_dtypes():
    x = cr.tensor([[1.0, 2.0], [3.0, 1.0]])
    assert cr.isclose(x, cr.tensor([1.0, 2.0])).tolist() == [[True, True], [False, False]]
    assert cr.isclose(x, 1.0).tolist() == [[True, False], [False, True]]
    assert cr.allclose(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0 + 1e-7])) is True
    with pytest.raises(TypeError, match="isclose: input is int64 but other is float32"):
        cr.isclose(cr.tensor([1]), cr.tensor([1.0]))
    with pytest.raises(ValueError, match="isclose: shapes"):
        cr.isclose(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="isclose: rtol and atol must be >= 0"):
        cr.isclose(x, x, rtol=-1.0)


# ---------------------------------------------------------------------- logical and bitwise
INTEGERS = [np.bool_, np.uint8, np.int8, np.int32, np.int64]
BITWISE = {
    "bitwise_and": lambda a, b: a & b,
    "bitwise_or": lambda a, b: a | b,
    "bitwise_xor": lambda a, b: a ^ b,
    "bitwise_left_shift": lambda a, b: a << b,
    "bitwise_right_shift": lambda a, b: a >> b,
}


def _integers(dtype, rng, shape):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -100), min(info.max, 100), shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype_b", INTEGERS)
@pytest.mark.parametrize("dtype_a", INTEGERS)
@pytest.mark.parametrize("name", sorted(BITWISE))
def test_bitwise_ops_and_operators_match_torch(rng, name, dtype_a, dtype_b):
    a, b = _integers(dtype_a, rng, (3, 4)), _integers(dtype_b, rng, (4,))
    if "shift" in name:
        b = np.abs(b) % 9
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    expected = getattr(torch, name)(ta, tb)
    for ours in (getattr(cr, name)(cr.tensor(a), cr.tensor(b)), BITWISE[name](cr.tensor(a), b)):
        assert str(ours.dtype) == str(expected.dtype).split(".")[1].replace("bool", "bool")
        np.testing.assert_array_equal(ours.data, expected.numpy())
    assert getattr(cr.tensor(a), name)(cr.tensor(b)).tolist() == expected.tolist()


@pytest.mark.parametrize("name", sorted(BITWISE))
def test_bitwise_reflected_operators_and_python_ints(name):
    x = np.array([1, 6, -3], dtype=np.int32)
    other = 2
    ours = BITWISE[name](other, cr.tensor(x))
    expected = BITWISE[name](other, torch.from_numpy(x))
    assert ours.dtype == np.int32 and ours.tolist() == expected.tolist()
    ours = BITWISE[name](cr.tensor(x), other)
    assert (
        ours.dtype == np.int32 and ours.tolist() == BITWISE[name](torch.from_numpy(x), 2).tolist()
    )


def test_shifts_past_the_width_match_torch():
    x = np.array([1, -8, 3], dtype=np.int64)
    for shift in (63, 64, 70):
        assert (cr.tensor(x) << shift).tolist() == (torch.from_numpy(x) << shift).tolist()
        assert (cr.tensor(x) >> shift).tolist() == (torch.from_numpy(x) >> shift).tolist()


@pytest.mark.parametrize("dtype", INTEGERS)
def test_bitwise_not_and_invert(dtype, rng):
    x = _integers(dtype, rng, (6,))
    expected = torch.bitwise_not(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(cr.bitwise_not(cr.tensor(x)).data, expected)
    np.testing.assert_array_equal((~cr.tensor(x)).data, expected)
    np.testing.assert_array_equal(cr.tensor(x).bitwise_not().data, expected)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_match_torch_on_any_dtype(name):
    a = np.array([0.0, 1.5, -2.0, 0.0, np.nan])
    b = np.array([0, 0, 3, 7, 0])
    ours = getattr(cr, name)(cr.tensor(a, requires_grad=True), cr.tensor(b))
    expected = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
    assert ours.dtype == np.bool_ and not ours.requires_grad
    assert ours.tolist() == expected.tolist()
    assert getattr(cr.tensor(a), name)(cr.tensor(b)).tolist() == expected.tolist()
    assert (
        getattr(cr, name)(cr.tensor(a), 1).tolist()
        == getattr(torch, name)(torch.from_numpy(a), torch.tensor(1)).tolist()
    )


def test_logical_not_matches_torch():
    x = np.array([0, 2, -1, 0])
    assert cr.logical_not(cr.tensor(x)).tolist() == torch.logical_not(torch.from_numpy(x)).tolist()
    assert cr.tensor(x).logical_not().tolist() == [True, False, False, True]


@pytest.mark.parametrize(
    "call",
    [
        lambda: cr.tensor([1.5]) ^ 1,
        lambda: 1 << cr.tensor([1.0]),
        lambda: cr.bitwise_and(cr.tensor([1]), 2.5),
        lambda: cr.bitwise_not(cr.tensor([1.0])),
        lambda: 3 | cr.tensor([1.0]),
    ],
)
def test_bitwise_ops_reject_floats_naming_the_op(call):
    with pytest.raises(TypeError, match=r"bitwise_\w+: integer or bool tensors only, got"):
        call()


# ---------------------------------------------------------------------- errors
def test_binary_broadcast_errors_name_the_op():
    a, b = cr.tensor([1.0, 2.0, 3.0]), cr.tensor([1.0, 2.0])
    for name in sorted(BINARY):
        with pytest.raises(ValueError, match=r"\w+: shapes \(3,\) and \(2,\) do not broadcast"):
            getattr(cr, name)(a, b)
    with pytest.raises(ValueError, match=r"bitwise_and: shapes \(3,\) and \(2,\) do not broadcast"):
        cr.bitwise_and(cr.tensor([1, 2, 3]), cr.tensor([1, 2]))


def test_integer_only_errors_name_the_op():
    with pytest.raises(TypeError, match="frac: float tensors only, got int64"):
        cr.frac(cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="round: decimals=2 needs a float tensor, got int64"):
        cr.round(cr.tensor([1, 2]), decimals=2)


# ---------------------------------------------------------------------- type promotion
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, 3, -2, 2.5, 1j]


def _torch_dtype(name):
    return getattr(torch, name)


@pytest.mark.parametrize("shape_b", [(2,), ()], ids=["dim", "0d"])
@pytest.mark.parametrize("shape_a", [(2,), ()], ids=["dim", "0d"])
@pytest.mark.parametrize("dtype_b", DTYPES)
@pytest.mark.parametrize("dtype_a", DTYPES)
def test_result_type_of_tensor_pairs_is_torchs(dtype_a, dtype_b, shape_a, shape_b):
    a, b = np.ones(shape_a, dtype=dtype_a), np.ones(shape_b, dtype=dtype_b)
    expected = torch.result_type(torch.from_numpy(a), torch.from_numpy(b))
    assert str(cr.result_type(a, b)) == str(expected).split(".")[1]
    assert str(cr.result_type(cr.tensor(a), cr.tensor(b))) == str(expected).split(".")[1]
    if shape_a and shape_b:
        promoted = torch.promote_types(_torch_dtype(dtype_a), _torch_dtype(dtype_b))
        assert str(cr.promote_types(a.dtype, b.dtype)) == str(promoted).split(".")[1]


@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("shape", [(2,), ()], ids=["dim", "0d"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_result_type_with_python_numbers_is_torchs(dtype, shape, number):
    expected = str(torch.result_type(torch.ones(shape, dtype=_torch_dtype(dtype)), number))
    expected = expected.replace("complex32", "complex64")  # NumPy has no complex32
    assert str(cr.result_type(np.ones(shape, dtype=dtype), number)) == expected.split(".")[1]


OPERATORS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": lambda a, b: a.maximum(b),
    "atan2": lambda a, b: a.atan2(b),
    "remainder": lambda a, b: a % b,
}


def _operands(dtype, shape):
    return np.full(shape, 2, dtype=dtype)


@pytest.mark.parametrize("shape_b", [(3,), ()], ids=["dim", "0d"])
@pytest.mark.parametrize(
    "dtype_b", ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
)
@pytest.mark.parametrize(
    "dtype_a", ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
)
@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_ops_on_tensor_pairs_promote_as_torch(op, dtype_a, dtype_b, shape_b):
    a, b = _operands(dtype_a, (3,)), _operands(dtype_b, shape_b)
    try:
        expected = OPERATORS[op](torch.from_numpy(a), torch.from_numpy(b))
    except RuntimeError:  # torch refuses bool - x, bool ** bool, bool % bool; NumPy need not
        return
    ours = OPERATORS[op](cr.tensor(a), cr.tensor(b))
    assert str(ours.dtype) == str(expected.dtype).split(".")[1]
    np.testing.assert_allclose(ours.data.astype(np.float64), expected.double().numpy(), rtol=1e-3)


NUMBER_CASES = [  # not bool ** True: torch keeps bool, NumPy's power gives int8
    (op, dtype, number)
    for op in ["add", "sub", "mul", "div", "pow", "remainder"]
    for dtype in ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
    for number in [True, 3, 2.5]
    if not (op == "pow" and dtype == "bool" and number is True)
]


@pytest.mark.parametrize("op, dtype, number", NUMBER_CASES)
def test_ops_with_python_numbers_promote_as_torch(op, dtype, number):
    for shape in [(3,), ()]:
        a = _operands(dtype, shape)
        for fn in (OPERATORS[op], lambda x, y: OPERATORS[op](y, x)):  # number on either side
            try:
                expected = fn(torch.from_numpy(a), number)
            except RuntimeError:  # torch refuses bool - x and others NumPy computes
                continue
            ours = fn(cr.tensor(a), number)
            assert str(ours.dtype) == str(expected.dtype).split(".")[1], (shape, number)
            np.testing.assert_allclose(ours.data.astype(np.float64), expected.double().numpy())


def test_promotion_rules_named_in_the_brief():
    ints = cr.tensor([1, 2, 3])
    assert (ints + 0.5).dtype == np.float32 and (ints / ints).dtype == np.float32
    assert (ints / 2).tolist() == [0.5, 1.0, 1.5]
    assert (cr.tensor([1.0], dtype=np.float32) * 3).dtype == np.float32
    assert (cr.tensor([True, False]) + 5).tolist() == [6, 5]
    assert (cr.tensor([1.0, 2.0]) * cr.tensor(2.0, dtype=np.float64)).dtype == np.float32
    assert (ints * cr.tensor([0.5, 0.5, 0.5])).dtype == np.float32  # NumPy: float64
    with pytest.raises(ValueError, match="pow: integers to negative integer powers"):
        ints**-1  # noqa: B018


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    x = cr.tensor([1.0, 2.0], requires_grad=True)  # float32
    scale = cr.tensor(3.0, dtype=np.float64, requires_grad=True)  # 0-d: x's dtype wins
    y = x * scale
    assert y.dtype == np.float32
    (y * y).sum().backward(retain_graph=True)
    assert x.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    np.testing.assert_allclose(scale.grad.data, 2 * 3 * (1 + 4))
    x.grad = scale.grad = None
    (y * y).sum().backward(create_graph=True)  # NOTE: these grads stay in the op's float32
    np.testing.assert_allclose(x.grad.data, 2 * 9 * x.data)
    np.testing.assert_allclose(scale.grad.data, 2 * 3 * (1 + 4))
    x.grad.sum().backward()  # d/dscale of sum(18 x) = sum(4 scale x) -> a second-order path
    np.testing.assert_allclose(scale.grad.data, 30 + 4 * 3 * 3)


# ---------------------------------------------------------------------- other namespaces
def test_math_runs_on_array_api_strict_arrays():
    strict = pytest.importorskip("array_api_strict")
    x = cr.Tensor(strict.asarray([0.25, 0.5, 2.0]), requires_grad=True)
    y = cr.sin(x) * cr.erf(x) + cr.fmod(x, 0.3) + cr.log2(x) + cr.maximum(x, 0.4)
    y = y + cr.clamp(x, 0.3, 1.0) * cr.atan2(x, 0.7) + x % 0.2 + cr.erfc(x)
    y.sum().backward()
    values = np.array([0.25, 0.5, 2.0])
    t = torch.tensor(values, dtype=torch.float32, requires_grad=True)
    expected = torch.sin(t) * torch.erf(t) + torch.fmod(t, 0.3) + torch.log2(t)
    expected = expected + torch.maximum(t, torch.tensor(0.4))
    expected = expected + torch.clamp(t, 0.3, 1.0) * torch.atan2(t, torch.tensor(0.7))
    expected = expected + t % 0.2 + torch.erfc(t)
    expected.sum().backward()
    np.testing.assert_allclose(np.asarray(y.data), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(x.grad.data), t.grad.numpy(), rtol=1e-6)
    assert not np.asarray(cr.isnan(x).data).any()
    assert np.asarray(cr.floor(x).data).tolist() == [0.0, 0.0, 2.0]


