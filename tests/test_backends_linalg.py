"""The matmul, linear and loss kernels: cpu's NumPy fast paths agree with portable's
standard-only versions, run on array-api-strict arrays; so do the rules themselves."""

from __future__ import annotations

import array_api_strict as xps
import numpy as np
import pytest

from chainrule import ops
from chainrule.backends import cpu, namespace

rng = np.random.default_rng(0)
A23, W43, B4 = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
A13, TARGET = rng.standard_normal((1, 3)), np.array([1, 3])
A24 = rng.standard_normal((2, 4))
# big enough for cpu's matmul call (>= 8192 outputs), and an outer product it leaves to dot
BIG, W_BIG, B_BIG = (rng.standard_normal(s) for s in ((128, 8), (72, 8), (72,)))
COLUMN, ROW = rng.standard_normal((128, 1)), rng.standard_normal((1, 72))


def _both(name, *args, **kwargs):
    strict = [xps.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    got = getattr(namespace(strict[0]), name)(*strict, **kwargs)
    want = getattr(cpu, name)(*[a.copy() if isinstance(a, np.ndarray) else a for a in args],
                              **kwargs)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("dot", (A23, W43.T), {}),
        ("dot", (BIG, W_BIG.T), {}),
        ("dot", (COLUMN, ROW), {}),
        ("linear", (BIG, W_BIG, B_BIG), {}),
        ("linear", (A23, W43, B4), {}),
        ("linear", (A13, W43, B4), {}),  # batch 1: cpu's out[0] += b
        ("linear", (A13, W43, None), {}),
        ("sum_rows", (A23,), {}),
        ("sum_rows", (A13,), {}),  # one row: cpu's copy
        ("sum_rows", (BIG,), {}),  # float rows: cpu's ones @ x
        ("sum_rows", (np.arange(12).reshape(4, 3),), {}),  # integers: cpu's x.sum(axis=0)
        ("pick_rows", (A24, TARGET), {}),
        ("sub_one_hot", (A24, TARGET, np.asarray(0.5)), {}),
        ("sub_one_hot", (A24, TARGET, rng.standard_normal((2, 1))), {}),
        ("reduce_loss", (A23, "mean"), {}),
        ("reduce_loss", (A23, "sum"), {"square": True}),
        ("reduce_loss", (A23, "none"), {"square": True}),
        ("mul_scalar", (A23, np.asarray(0.3), 2 / 6), {}),
    ],
)
def test_cpu_kernel_matches_portable(name, args, kwargs):
    _both(name, *args, **kwargs)


@pytest.mark.parametrize(
    "op, arrays, params",
    [
        (ops.MatMul, (A23, W43.T), {}),
        (ops.MatMul, (A23[0], rng.standard_normal((2, 3, 4))), {}),
        (ops.Linear, (A13, W43, B4), {}),
        (ops.Linear, (rng.standard_normal((2, 2, 3)), W43), {}),
        (ops.LogSoftmax, (A24,), {"axis": 0}),
        (ops.SoftmaxCrossEntropy, (A24,), {"target": TARGET}),
        (ops.SoftmaxCrossEntropy, (A24,), {"target": TARGET, "reduction": "none"}),
        (ops.SquaredError, (A23, rng.standard_normal((2, 3))), {"reduction": "sum"}),
    ],
)
def test_rule_runs_on_a_strict_namespace(op, arrays, params):
    results = []
    for wrap in (np.asarray, xps.asarray):
        node = op()
        node.needs_grad, node.xp = (True,) * len(arrays), namespace(wrap(arrays[0]))
        args = {k: wrap(v) if isinstance(v, np.ndarray) else v for k, v in params.items()}
        out = node.forward(*[wrap(a) for a in arrays], **args)
        grads = node.backward(wrap(np.ones(np.asarray(out).shape)))
        results.append([np.asarray(out), *[np.asarray(g) for g in grads]])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
