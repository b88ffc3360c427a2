"""The reduction and movement kernels: cpu's NumPy fast paths agree with portable's
standard-only twins, and the rules run on a non-NumPy Array API namespace."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import ops
from chainrule.backends import cpu, namespace

xps = pytest.importorskip("array_api_strict")


def test_broadcast_copy_cpu_and_portable_agree():
    x = np.random.default_rng(0).standard_normal((3, 1))
    fast = cpu.broadcast_copy(x, (2, 3, 4))
    portable = namespace(xps.asarray(x)).broadcast_copy(xps.asarray(x), (2, 3, 4))
    np.testing.assert_array_equal(fast, np.asarray(portable))
    assert fast.flags.owndata and fast.flags.writeable  # fresh, as fresh_grads promises


def test_permute_dims_cpu_and_portable_agree():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    fast = cpu.permute_dims(x, (2, 0, 1))
    portable = namespace(xps.asarray(x)).permute_dims(xps.asarray(x), (2, 0, 1))
    np.testing.assert_array_equal(fast, np.asarray(portable))


RULES = {
    "sum": (ops.Sum, {"axis": (1,)}),
    "mean": (ops.Mean, {"axis": (0,), "keepdims": True}),
    "max": (ops.Max, {"axis": (1,)}),
    "min": (ops.Min, {}),
    "reshape": (ops.Reshape, {"shape": (4, 3)}),
    "transpose": (ops.Transpose, {"axes": (1, 0)}),
    "broadcast_to": (ops.BroadcastTo, {"shape": (2, 3, 4)}),
    "getitem": (ops.GetItem, {"index": (slice(1, None), slice(None, None, 2))}),
    "scatter_add": (ops.ScatterAdd, {"shape": (5, 4), "index": (slice(1, 4), slice(None))}),
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_on_array_api_strict_matches_numpy(name):
    cls, params = RULES[name]
    x = np.random.default_rng(0).standard_normal((3, 4))
    x[0, 1] = x[0, 2] = x.max() + 1  # a tie for max
    results = []
    for array in (x, xps.asarray(x)):
        node = cls()
        node.xp = namespace(array)
        out = node.forward(array, **params)
        grad = namespace(out).ones_like(out)
        results.append((out, node.backward(grad)[0]))
    (out_np, grad_np), (out_strict, grad_strict) = results
    np.testing.assert_allclose(np.asarray(out_strict), out_np)
    np.testing.assert_allclose(np.asarray(grad_strict), grad_np)


def test_concat_on_array_api_strict_matches_numpy():
    a, b = np.ones((2, 3)), np.arange(4.0).reshape(2, 2)
    node, twin = ops.Concat(), ops.Concat()
    node.xp, twin.xp = namespace(a), namespace(xps.asarray(a))
    out = node.forward(a, b, axis=1)
    out_strict = twin.forward(xps.asarray(a), xps.asarray(b), axis=1)
    np.testing.assert_array_equal(np.asarray(out_strict), out)
    grad = np.arange(10.0).reshape(2, 5)
    for g, g_strict in zip(node.backward(grad), twin.backward(xps.asarray(grad))):
        np.testing.assert_array_equal(np.asarray(g_strict), g)


def test_tensor_namespace_reductions_take_int_and_negative_axes():
    from chainrule.backends import tensors

    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert tensors.sum(x, axis=-1).tolist() == [3.0, 12.0]
    assert tensors.max(x, axis=0, keepdims=True).tolist() == [[3.0, 4.0, 5.0]]
    assert tensors.min(x, axis=1).tolist() == [0.0, 3.0]


@pytest.mark.parametrize("shape", [(3, 1), (5, 7), (2, 3, 16), (4, 65), (2, 0), (0, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64])
@pytest.mark.parametrize("axis", [-1, (-1,), 0])
@pytest.mark.parametrize("keepdims", [False, True])
def test_row_reductions_of_cpu_match_numpy(shape, dtype, axis, keepdims):
    """cpu's sums and means over rows are matrix-vector products, its maxima trees of halves."""
    x = (np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype)
    tolerance = {np.float32: 1e-4, np.float16: 1.0}.get(dtype, 1e-12)
    for name in ("sum", "mean", "max"):
        if x.size == 0 and name != "sum" or dtype == np.int64 and name == "mean":
            continue
        got = getattr(cpu, name)(x, axis, keepdims)
        want = getattr(np, name)(x, axis=axis, keepdims=keepdims)
        assert got.shape == want.shape and got.dtype == want.dtype, name
        assert not np.shares_memory(got, x), name  # fresh, as NumPy's: callers may write it
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=tolerance, err_msg=name)


def test_row_reductions_of_cpu_keep_nan_and_inf():
    x = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 0.0], [1.0, 2.0, np.inf]], np.float32)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(cpu.sum(x, -1), [np.nan, np.nan, np.inf])
    np.testing.assert_array_equal(cpu.max(x, -1), [np.nan, np.inf, np.inf])
