"""create_graph=True through conv2d, pooling and batch norm: first grads equal the tuned
NumPy backward's, Hessian-vector products equal PyTorch's (float64); and the portable
kernels (Array API standard only) agree with the tuned NumPy ones on array-api-strict."""

from __future__ import annotations

import array_api_strict as xps
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.backends import cpu, namespace

# name -> (chainrule function, torch function, input shapes)
CASES = {
    f"conv2d_s{s}_p{p}_{'bias' if bias else 'nobias'}": (
        lambda x, w, *b, s=s, p=p: F.conv2d(x, w, *b, stride=s, padding=p),
        lambda x, w, *b, s=s, p=p: torch.nn.functional.conv2d(x, w, *b, stride=s, padding=p),
        [(2, c, 6, 6), (4, c, 3, 3), *([(4,)] if bias else [])],
    )
    for s in (1, 2)
    for p in (0, 1)
    for bias in (True, False)
    for c in ((5 if s == 1 else 2),)  # channels-last and channel-major NumPy paths
}
CASES["max_pool2d"] = (
    lambda x: F.max_pool2d(x * x, 2),
    lambda x: torch.nn.functional.max_pool2d(x * x, 2),
    [(2, 3, 6, 6)],
)
CASES["max_pool2d_overlapping_padded"] = (
    lambda x: F.max_pool2d(x * x, 3, stride=2, padding=1),
    lambda x: torch.nn.functional.max_pool2d(x * x, 3, stride=2, padding=1),
    [(2, 3, 7, 7)],
)
CASES["avg_pool2d"] = (
    lambda x: F.avg_pool2d(x * x, 3, stride=1, padding=1),
    lambda x: torch.nn.functional.avg_pool2d(x * x, 3, stride=1, padding=1),
    [(2, 3, 5, 5)],
)
CASES["batch_norm_training"] = (
    lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, training=True),
    [(4, 3, 3, 3), (3,), (3,)],
)
_MEAN, _VAR = np.array([0.9, 1.1, 1.0]), np.array([0.5, 2.0, 1.5])
CASES["batch_norm_eval"] = (
    lambda x, w, b: F.batch_norm(x * x, _MEAN.copy(), _VAR.copy(), w, b, training=False),
    lambda x, w, b: torch.nn.functional.batch_norm(
        x * x, torch.tensor(_MEAN), torch.tensor(_VAR), w, b, training=False
    ),
    [(4, 3, 3, 3), (3,), (3,)],
)


def _inputs(shapes):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape) for shape in shapes]


def _chainrule(fn, arrays, create_graph, direction=None):
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * out * weights).sum().backward(create_graph=create_graph)
    grads = [t.grad for t in tensors]
    if direction is None:
        return [g.data for g in grads]
    for t in tensors:
        t.grad = None
    sum((g * v).sum() for g, v in zip(grads, direction)).backward()
    return [t.grad.data for t in tensors]


def _torch(fn, arrays, direction):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    weights = torch.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)))
    grads = torch.autograd.grad((out * out * weights).sum(), tensors, create_graph=True)
    hv = sum((g * torch.tensor(v)).sum() for g, v in zip(grads, direction))
    return [g.detach().numpy() for g in grads], [
        h.numpy() for h in torch.autograd.grad(hv, tensors)
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_grads_with_create_graph_match_plain_backward(name):
    fn, _, shapes = CASES[name]
    arrays = _inputs(shapes)
    plain = _chainrule(fn, arrays, create_graph=False)
    graphed = _chainrule(fn, arrays, create_graph=True)
    for p, g in zip(plain, graphed):
        np.testing.assert_allclose(g, p, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hessian_vector_products_match_torch(name):
    fn, torch_fn, shapes = CASES[name]
    arrays = _inputs(shapes)
    direction = [np.random.default_rng(2).standard_normal(s) for s in shapes]
    first, second = _torch(torch_fn, arrays, direction)
    for ours, theirs in zip(_chainrule(fn, arrays, create_graph=False), first):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)
    for ours, theirs in zip(_chainrule(fn, arrays, True, direction), second):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------- portable == cpu
def _agree(name, arrays, *args, needs=None):
    """The cpu and portable forward kernels (and backward, given ``needs``) agree."""
    strict = [None if a is None else xps.asarray(a) for a in arrays]
    portable = namespace(strict[0])
    out, saved = getattr(cpu, f"{name}_forward")(*arrays, *args)
    out_s, saved_s = getattr(portable, f"{name}_forward")(*strict, *args)
    np.testing.assert_allclose(np.asarray(out_s), out, rtol=1e-12, atol=1e-12)
    grad = np.random.default_rng(3).standard_normal(out.shape)
    extra = () if needs is None else (needs,)
    grads = getattr(cpu, f"{name}_backward")(saved, grad, *extra)
    grads_s = getattr(portable, f"{name}_backward")(saved_s, xps.asarray(grad), *extra)
    for g, g_s in zip(grads, grads_s):
        assert (g is None) == (g_s is None)
        if g is not None:
            np.testing.assert_allclose(np.asarray(g_s), g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride, padding, channels", [(1, 0, 5), (2, 1, 2), (1, 1, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_portable_conv2d_agrees_with_cpu(stride, padding, channels, bias):
    x, w, b = _inputs([(2, channels, 7, 6), (3, channels, 3, 2), (3,)])
    needs = (True, True, True) if bias else (True, True)
    _agree("conv2d", [x, w, b if bias else None], (stride,) * 2, (padding,) * 2, True, needs=needs)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_portable_pooling_agrees_with_cpu(kernel, stride, padding):
    (x,) = _inputs([(2, 3, 7, 7)])
    args = ((kernel,) * 2, (stride,) * 2, (padding,) * 2)
    _agree("max_pool2d", [x], *args, True)
    _agree("avg_pool2d", [x], *args)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3, 2, 5), (6, 3)])
def test_portable_batch_norm_agrees_with_cpu(training, shape):
    x, w, b, grad = _inputs([shape, (3,), (3,), shape])
    stats = [np.array([0.1, -0.2, 0.3]), np.array([0.5, 2.0, 1.5])]
    strict_stats = [xps.asarray(np.copy(a)) for a in stats]
    args, needs = (training, 0.1, 1e-5), (True, True, True)
    portable = namespace(strict_stats[0])
    out, saved = cpu.batch_norm_forward(x, w, b, *stats, *args)
    out_s, saved_s = portable.batch_norm_forward(*map(xps.asarray, (x, w, b)), *strict_stats, *args)
    np.testing.assert_allclose(np.asarray(out_s), out, rtol=1e-12, atol=1e-12)
    for a, a_s in zip(stats, strict_stats):  # the running statistics move the same way
        np.testing.assert_allclose(np.asarray(a_s), a, rtol=1e-12)
    grads = cpu.batch_norm_backward(saved, grad, needs)
    for g, g_s in zip(grads, portable.batch_norm_backward(saved_s, xps.asarray(grad), needs)):
        np.testing.assert_allclose(np.asarray(g_s), g, rtol=1e-10, atol=1e-12)


def test_portable_unfold_and_fold_agree_with_cpu():
    (x,) = _inputs([(2, 3, 6, 5)])
    args = ((3, 2), (2, 1), (1, 1))
    cols = cpu.unfold(x, *args, 0.0)
    portable = namespace(xps.asarray(x))
    np.testing.assert_array_equal(np.asarray(portable.unfold(xps.asarray(x), *args, 0.0)), cols)
    folded = portable.fold(xps.asarray(cols), x.shape, *args)
    np.testing.assert_allclose(np.asarray(folded), cpu.fold(cols, x.shape, *args), rtol=1e-12)
