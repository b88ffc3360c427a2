"""Layers beyond the MNIST set, against PyTorch: grouped, dilated and transposed convolutions,
pooling options, adaptive pooling, interpolation, layer/group norm, normalize, embedding,
channel and alpha dropout, containers and the Module API.

Values and input gradients are compared with torch in float64 (tight) and float32; the
double-backward checks of each functional op are the spec lines in tests/op_specs.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import conv
from chainrule.autograd import graph
from chainrule.backends import cpu, namespace

torch = pytest.importorskip("torch")
TF = pytest.importorskip("torch.nn.functional")

# torch warns that it copies the input for "same" padding with even kernels
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

TOLERANCES = {np.float64: (1e-10, 1e-12), np.float32: (2e-5, 2e-5)}


def compare(ours, theirs, *arrays, dtype=np.float64, grads=True):
    """``ours`` on chainrule tensors and ``theirs`` on torch tensors of the same ``arrays``
    (float ones cast to ``dtype`` and requiring grad): outputs (and indices) equal, and the
    gradients for one random upstream gradient."""
    rtol, atol = TOLERANCES[dtype]
    cast = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    mine = [cr.tensor(a, requires_grad=grads and a.dtype.kind == "f") for a in cast]
    reference = [torch.tensor(a, requires_grad=grads and a.dtype.kind == "f") for a in cast]
    out, expected = ours(*mine), theirs(*reference)
    if isinstance(expected, tuple):
        np.testing.assert_array_equal(out[1].data, expected[1].numpy(), err_msg="indices")
        assert out[1].data.dtype == np.int64 and not out[1].requires_grad
        out, expected = out[0], expected[0]
    assert out.shape == tuple(expected.shape)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    if not grads:
        return out
    upstream = np.random.default_rng(7).standard_normal(out.shape).astype(dtype)
    (out * cr.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    for i, (a, b) in enumerate(zip(mine, reference)):
        if b.requires_grad:
            assert a.grad is not None and a.grad.dtype == dtype, f"grad {i}"
            np.testing.assert_allclose(
                a.grad.data, b.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad {i}"
            )
    return out


def _normal(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


DTYPES = [np.float64, np.float32]


# ---------------------------------------------------------------------- convolution
CONV2D = [
    ((2, 4, 7, 6), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
    ((1, 6, 5, 5), (6, 1, 3, 3), dict(padding=1, groups=6)),  # depthwise
    ((2, 3, 6, 5), (4, 3, 4, 2), dict(padding="same")),  # even kernels: uneven padding
    ((2, 3, 6, 5), (4, 3, 3, 3), dict(padding="same", dilation=2)),
    ((2, 3, 6, 5), (4, 3, 3, 3), dict(padding="valid", stride=2)),
    ((1, 2, 4, 4), (3, 2, 1, 1), dict(dilation=3)),
    ((3, 5, 5), (2, 3, 3, 3), dict(padding=1)),  # unbatched, tuned path
    ((4, 5, 5), (2, 2, 3, 3), dict(groups=2, stride=2)),  # unbatched, general path
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, options", CONV2D)
def test_conv2d_options_match_torch(dtype, x_shape, w_shape, options):
    x, w, b = _normal(*x_shape), _normal(*w_shape, seed=1), _normal(w_shape[0], seed=2)
    compare(
        lambda x, w, b: F.conv2d(x, w, b, **options),
        lambda x, w, b: TF.conv2d(x, w, b, **options),
        x,
        w,
        b,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "x_shape, w_shape, options",
    [
        ((2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
        ((2, 3, 8), (4, 3, 4), dict(padding="same")),
        ((3, 7), (2, 3, 2), dict(stride=(3,), padding=(1,))),  # unbatched, 1-tuples
    ],
)
def test_conv1d_matches_torch(dtype, x_shape, w_shape, options):
    x, w, b = _normal(*x_shape), _normal(*w_shape, seed=1), _normal(w_shape[0], seed=2)
    compare(
        lambda x, w, b: F.conv1d(x, w, b, **options),
        lambda x, w, b: TF.conv1d(x, w, b, **options),
        x,
        w,
        b,
        dtype=dtype,
    )


CONV_TRANSPOSE2D = [
    (
        (2, 4, 3, 4),
        (4, 3, 3, 2),
        dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2)),
    ),
    ((1, 2, 3, 3), (2, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 2, 3, 3), (2, 3, 3, 3), dict(stride=2, padding=2, output_padding=1)),
    ((1, 2, 4, 4), (2, 3, 2, 2), dict()),
    ((2, 3, 3), (2, 2, 2, 2), dict(stride=2)),  # unbatched
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, options", CONV_TRANSPOSE2D)
def test_conv_transpose2d_matches_torch(dtype, x_shape, w_shape, options):
    groups = options.get("groups", 1)
    x, w = _normal(*x_shape), _normal(*w_shape, seed=1)
    b = _normal(w_shape[1] * groups, seed=2)
    compare(
        lambda x, w, b: F.conv_transpose2d(x, w, b, **options),
        lambda x, w, b: TF.conv_transpose2d(x, w, b, **options),
        x,
        w,
        b,
        dtype=dtype,
    )


def test_conv_transpose2d_is_the_input_gradient_of_conv2d(rng):
    x, w = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3))
    g = rng.standard_normal((2, 4, 4, 4))
    t = cr.tensor(x, requires_grad=True)
    (F.conv2d(t, cr.tensor(w), stride=2, padding=1) * cr.tensor(g)).sum().backward()
    np.testing.assert_allclose(
        F.conv_transpose2d(cr.tensor(g), cr.tensor(w), stride=2, padding=1).data,
        t.grad.data,
        rtol=1e-12,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose1d_matches_torch(dtype):
    x, w, b = _normal(2, 4, 5), _normal(4, 3, 3, seed=1), _normal(6, seed=2)
    options = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    compare(
        lambda x, w, b: F.conv_transpose1d(x, w, b, **options),
        lambda x, w, b: TF.conv_transpose1d(x, w, b, **options),
        x,
        w,
        b,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_unfold_and_fold_with_dilation_match_torch(dtype):
    options = dict(dilation=(2, 1), padding=1, stride=(1, 2))
    compare(
        lambda x: F.unfold(x, (2, 3), **options),
        lambda x: TF.unfold(x, (2, 3), **options),
        _normal(2, 3, 7, 8),
        dtype=dtype,
    )
    blocks = TF.unfold(torch.zeros(1, 3, 7, 8), (2, 3), **options).shape[-1]
    compare(
        lambda c: F.fold(c, (7, 8), (2, 3), **options),
        lambda c: TF.fold(c, (7, 8), (2, 3), **options),
        _normal(2, 18, blocks),
        dtype=dtype,
    )


def test_portable_unfold_and_fold_with_dilation_agree_with_cpu():
    xps = pytest.importorskip("array_api_strict")
    x = _normal(2, 3, 7, 6)
    args = ((2, 3), (1, 2), (1, 1), 0.0, (2, 2))
    cols = cpu.unfold(x, *args)
    portable = namespace(xps.asarray(x))
    np.testing.assert_array_equal(np.asarray(portable.unfold(xps.asarray(x), *args)), cols)
    fold_args = ((2, 3), (1, 2), (1, 1), (2, 2))
    folded = portable.fold(xps.asarray(cols), x.shape, *fold_args)
    np.testing.assert_allclose(np.asarray(folded), cpu.fold(cols, x.shape, *fold_args), rtol=1e-12)


def test_the_tuned_primitives_still_run_the_default_options():
    """The MNIST CNN's convolution, pooling and batch norm keep their tuned primitives; the
    new options go through the im2col composites."""
    x = cr.tensor(_normal(2, 3, 8, 8), requires_grad=True)
    w = cr.tensor(_normal(4, 3, 3, 3), requires_grad=True)
    assert type(F.conv2d(x, w, padding=1)._ctx) is conv.Conv2d
    assert type(nn.Conv2d(3, 4, 3, padding=1)(x)._ctx) is conv.Conv2d
    assert type(F.max_pool2d(x, 2)._ctx) is conv.MaxPool2d
    assert type(nn.MaxPool2d(2)(x)._ctx) is conv.MaxPool2d
    assert type(nn.AvgPool2d(2)(x)._ctx) is conv.AvgPool2d
    general = {type(t._ctx) for t in graph(F.conv2d(x, w, dilation=2))}
    assert conv.Unfold in general and conv.Conv2d not in general
    general = {type(t._ctx) for t in graph(F.max_pool2d(x, 2, ceil_mode=True))}
    assert conv.Unfold in general and conv.MaxPool2d not in general


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.conv2d(cr.zeros((1, 4, 5, 5)), cr.zeros((4, 3, 3, 3)), groups=2),
            r"conv2d: input of shape \(1, 4, 5, 5\) does not match weight of shape "
            r"\(4, 3, 3, 3\) with groups=2",
        ),
        (
            lambda: F.conv2d(cr.zeros((1, 4, 5, 5)), cr.zeros((3, 2, 3, 3)), groups=2),
            r"conv2d: input of shape .* with groups=2",
        ),
        (
            lambda: F.conv2d(cr.zeros((1, 4, 5, 5)), cr.zeros((4, 4, 3, 3)), groups=0),
            "conv2d: groups must be a positive int",
        ),
        (
            lambda: F.conv2d(cr.zeros((1, 1, 5, 5)), cr.zeros((1, 1, 3, 3)), padding="full"),
            "conv2d: padding must be 'valid', 'same'",
        ),
        (
            lambda: F.conv2d(
                cr.zeros((1, 1, 5, 5)), cr.zeros((1, 1, 3, 3)), stride=2, padding="same"
            ),
            "conv2d: padding='same' is not supported for strided convolutions",
        ),
        (
            lambda: F.conv2d(cr.zeros((1, 1, 5, 5)), cr.zeros((1, 1, 3, 3)), dilation=3),
            r"conv2d: kernel \(3, 3\) with dilation \(3, 3\) spans \(7, 7\), more than the "
            r"padded input \(5, 5\)",
        ),
        (
            lambda: F.conv2d(cr.zeros((1, 1, 5, 5)), cr.zeros((1, 1, 3, 3)), dilation=0),
            "conv2d: dilation must be an int >= 1",
        ),
        (
            lambda: F.conv1d(cr.zeros((1, 2, 5)), cr.zeros((1, 2, 3, 3))),
            r"conv1d: weight must be 3-D",
        ),
        (
            lambda: F.conv1d(cr.zeros((5,)), cr.zeros((1, 1, 3))),
            r"conv1d: input must be 3-D \(N, C, ...\) or 2-D",
        ),
        (
            lambda: F.conv1d(cr.zeros((1, 2, 5)), cr.zeros((1, 2, 3)), stride=(1, 2)),
            "conv1d: stride must be an int >= 1 or a 1-tuple",
        ),
        (
            lambda: F.conv_transpose2d(cr.zeros((1, 2, 3, 3)), cr.zeros((3, 2, 3, 3))),
            r"conv_transpose2d: input of shape \(1, 2, 3, 3\) does not match weight",
        ),
        (
            lambda: F.conv_transpose2d(
                cr.zeros((1, 2, 3, 3)), cr.zeros((2, 2, 3, 3)), output_padding=1
            ),
            r"conv_transpose2d: output_padding \(1, 1\) must be smaller than the stride",
        ),
        (
            lambda: F.conv_transpose2d(cr.zeros((1, 2, 1, 1)), cr.zeros((2, 2, 1, 1)), padding=1),
            "conv_transpose2d: padding .* leaves no output",
        ),
        (
            lambda: F.conv_transpose2d(cr.zeros((1, 2, 3, 3)), cr.zeros((2, 2, 3, 3)), cr.zeros(3)),
            r"conv_transpose2d: bias of shape \(3,\), expected \(2,\)",
        ),
        (
            lambda: F.fold(cr.zeros((1, 7, 4)), (3, 3), 2),
            r"fold: input of shape \(1, 7, 4\) does not hold C \* 4 rows of 4 windows",
        ),
        (
            lambda: F.unfold(cr.zeros((1, 1, 2, 2)), 3),
            r"unfold: kernel \(3, 3\) with dilation \(1, 1\) spans",
        ),
    ],
)
def test_convolution_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------- pooling
MAX_POOL = [
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=2, padding=1, dilation=(2, 1)),
    dict(kernel_size=2, ceil_mode=True, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, dilation=2, stride=1),
    dict(kernel_size=2),  # the tuned path, with indices
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", MAX_POOL)
def test_max_pool2d_options_and_indices_match_torch(dtype, options):
    x = np.random.default_rng(3).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 9.0
    compare(
        lambda x: F.max_pool2d(x, return_indices=True, **options),
        lambda x: TF.max_pool2d(x, return_indices=True, **options),
        x,
        dtype=dtype,
    )


def test_max_pool2d_general_path_sends_tied_gradients_to_the_first_maximum():
    x = cr.tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)
    reference = torch.zeros((1, 1, 3, 3), dtype=torch.float64, requires_grad=True)
    F.max_pool2d(x, 2, ceil_mode=True).sum().backward()
    TF.max_pool2d(reference, 2, ceil_mode=True).sum().backward()
    np.testing.assert_array_equal(x.grad.data, reference.grad.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        dict(kernel_size=3, stride=2, ceil_mode=True),
        dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=2, divisor_override=3),
        dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), count_include_pad=False),
    ],
)
def test_avg_pool2d_options_match_torch(dtype, options):
    compare(
        lambda x: F.avg_pool2d(x, **options),
        lambda x: TF.avg_pool2d(x, **options),
        _normal(2, 3, 7, 8),
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_pool1d_matches_torch(dtype):
    x = np.random.default_rng(4).permutation(2 * 3 * 9).reshape(2, 3, 9) / 5.0
    compare(
        lambda x: F.max_pool1d(x, 3, 2, 1, dilation=1, ceil_mode=True, return_indices=True),
        lambda x: TF.max_pool1d(x, 3, 2, 1, dilation=1, ceil_mode=True, return_indices=True),
        x,
        dtype=dtype,
    )
    compare(
        lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda x: TF.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        x,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, options, grads",
    [
        ((2, 3, 6, 7), dict(kernel_size=2), True),
        ((3, 4, 4), dict(kernel_size=2), True),  # unbatched
        # overlapping windows repeat indices: torch's backward hands each repeat the whole
        # gradient, chainrule's (that of its forward) the first one; the values agree
        ((2, 3, 5, 5), dict(kernel_size=3, stride=2, padding=1), False),
    ],
)
def test_max_unpool2d_inverts_max_pool2d_as_torch(dtype, shape, options, grads):
    def ours(x):
        pooled, index = F.max_pool2d(x, return_indices=True, **options)
        return F.max_unpool2d(pooled * 2, index, output_size=x.shape[-2:], **options)

    def theirs(x):
        pooled, index = TF.max_pool2d(x, return_indices=True, **options)
        return TF.max_unpool2d(pooled * 2, index, output_size=x.shape[-2:], **options)

    compare(ours, theirs, _normal(*shape), dtype=dtype, grads=grads)


def test_max_unpool2d_takes_a_repeated_index_once():
    # overlapping windows pick the same maximum twice: PyTorch writes it once, not twice
    x = np.array([[[[1.0, 9.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]]])
    pooled, index = F.max_pool2d(cr.tensor(x), 2, stride=1, return_indices=True)
    expected = TF.max_unpool2d(*TF.max_pool2d(torch.tensor(x), 2, 1, return_indices=True), 2, 1)
    out = F.max_unpool2d(pooled, index, 2, stride=1)
    np.testing.assert_array_equal(out.data, expected.numpy())


def test_max_unpool1d_matches_torch():
    x = _normal(2, 3, 8)
    compare(
        lambda x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2),
        lambda x: TF.max_unpool1d(*TF.max_pool1d(x, 2, return_indices=True), 2),
        x,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("output_size", [(3, 4), 5, (None, 3), (7, 8), 1, (2, 1)])
def test_adaptive_pool2d_matches_torch(dtype, output_size):
    x = np.random.default_rng(5).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 11.0
    compare(
        lambda x: F.adaptive_avg_pool2d(x, output_size),
        lambda x: TF.adaptive_avg_pool2d(x, output_size),
        x,
        dtype=dtype,
    )
    compare(
        lambda x: F.adaptive_max_pool2d(x, output_size, return_indices=True),
        lambda x: TF.adaptive_max_pool2d(x, output_size, return_indices=True),
        x,
        dtype=dtype,
    )


def test_adaptive_pool1d_and_unbatched_match_torch():
    x = _normal(2, 3, 10)
    compare(lambda x: F.adaptive_avg_pool1d(x, 4), lambda x: TF.adaptive_avg_pool1d(x, 4), x)
    compare(
        lambda x: F.adaptive_max_pool1d(x, 4, return_indices=True),
        lambda x: TF.adaptive_max_pool1d(x, 4, return_indices=True),
        x,
    )
    compare(
        lambda x: F.adaptive_max_pool2d(x[0], 3),
        lambda x: TF.adaptive_max_pool2d(x[0], 3),
        _normal(1, 2, 5, 5),
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.max_pool2d(cr.zeros((1, 1, 4, 4)), 2, padding=2, ceil_mode=True),
            r"max_pool2d: padding \(2, 2\) must be at most half the kernel size \(2, 2\)",
        ),
        (
            lambda: F.max_pool2d(cr.zeros((1, 1, 4, 4)), 2, dilation=4),
            r"max_pool2d: kernel 2 \(dilation 4, padding 0\) leaves no window",
        ),
        (
            lambda: F.max_pool2d(cr.zeros((4, 4)), 2, ceil_mode=True),
            r"max_pool2d: input must be 4-D",
        ),
        (
            lambda: F.avg_pool2d(cr.zeros((1, 1, 4, 4)), 2, divisor_override=0),
            "avg_pool2d: divisor_override must be a non-zero int",
        ),
        (
            lambda: F.max_unpool2d(cr.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 1), np.int64), 2),
            r"max_unpool2d: indices must be ints of the input's shape \(1, 1, 2, 2\)",
        ),
        (
            lambda: F.max_unpool2d(cr.zeros((1, 1, 1, 1)), np.array([[[[4]]]]), 2),
            r"max_unpool2d: indices must lie in \[0, 4\) for output size \(2, 2\)",
        ),
        (
            lambda: F.adaptive_avg_pool2d(cr.zeros((1, 1, 4, 4)), (2, 0)),
            "adaptive_avg_pool2d: output_size must hold ints >= 1",
        ),
        (
            lambda: F.adaptive_max_pool2d(cr.zeros((1, 1, 4, 4)), (2, 2, 2)),
            "adaptive_max_pool2d: output_size must be an int or 2 of them",
        ),
    ],
)
def test_pooling_errors_name_the_op(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------- resizing
INTERPOLATE_4D = [
    ("nearest", dict(size=(5, 13))),
    ("nearest", dict(scale_factor=2)),
    ("nearest", dict(scale_factor=(1.7, 0.5))),
    ("nearest", dict(scale_factor=1.7, recompute_scale_factor=True)),
    ("nearest-exact", dict(size=(3, 11))),
    ("nearest-exact", dict(scale_factor=1.5)),
    ("bilinear", dict(size=(5, 13))),
    ("bilinear", dict(size=(5, 13), align_corners=True)),
    ("bilinear", dict(size=(1, 1), align_corners=True)),
    ("bilinear", dict(scale_factor=(1.5, 0.6))),
    ("bilinear", dict(scale_factor=1.5, recompute_scale_factor=True)),
    ("bicubic", dict(size=(9, 4))),
    ("bicubic", dict(size=(9, 4), align_corners=True)),
    ("bicubic", dict(scale_factor=2.5)),
    ("area", dict(size=(3, 5))),
    ("area", dict(scale_factor=0.5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode, options", INTERPOLATE_4D)
def test_interpolate_matches_torch(dtype, mode, options):
    compare(
        lambda x: F.interpolate(x, mode=mode, **options),
        lambda x: TF.interpolate(x, mode=mode, **options),
        _normal(2, 3, 4, 6),
        dtype=dtype,
    )


@pytest.mark.parametrize(
    "mode, shape, options",
    [
        ("linear", (2, 3, 5), dict(scale_factor=2.5)),
        ("linear", (2, 3, 5), dict(size=8, align_corners=True)),
        ("nearest", (2, 3, 5), dict(size=12)),
        ("trilinear", (1, 2, 3, 4, 5), dict(size=(4, 3, 7))),
        ("trilinear", (1, 2, 3, 4, 5), dict(scale_factor=1.5, align_corners=True)),
        ("nearest", (1, 2, 3, 4, 5), dict(scale_factor=2)),
        ("area", (1, 2, 6, 4, 5), dict(size=(2, 3, 4))),
    ],
)
def test_interpolate_1d_and_3d_match_torch(mode, shape, options):
    compare(
        lambda x: F.interpolate(x, mode=mode, **options),
        lambda x: TF.interpolate(x, mode=mode, **options),
        _normal(*shape),
    )


def test_interpolate_nearest_keeps_integer_dtypes():
    x = np.arange(12).reshape(1, 1, 3, 4)
    out = F.interpolate(cr.tensor(x), scale_factor=(2, 1.5))
    expected = TF.interpolate(torch.tensor(x, dtype=torch.uint8), scale_factor=(2, 1.5))
    np.testing.assert_array_equal(out.data, expected.numpy())
    assert out.dtype == np.int64


def test_upsample_modules_match_torch():
    x = _normal(1, 2, 3, 4)
    for mine, theirs in [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (nn.Upsample(size=(5, 7), mode="bicubic"), torch.nn.Upsample(size=(5, 7), mode="bicubic")),
        (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (nn.UpsamplingBilinear2d(size=(6, 6)), torch.nn.UpsamplingBilinear2d(size=(6, 6))),
    ]:
        compare(mine, theirs, x)
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2, mode='nearest')"


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), size=3, scale_factor=2),
            "interpolate: give exactly one of size and scale_factor",
        ),
        (lambda: F.interpolate(cr.zeros((1, 1, 4, 4))), "exactly one of size and scale_factor"),
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), size=3, mode="linear"),
            r"interpolate: mode 'linear' needs 3-D input, got shape \(1, 1, 4, 4\)",
        ),
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), size=3, mode="cubic"),
            "interpolate: mode must be one of",
        ),
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), size=3, align_corners=True),
            "interpolate: align_corners can only be set with the interpolating modes",
        ),
        (lambda: F.interpolate(cr.zeros((4, 4)), size=3), r"interpolate: input must be 3-D"),
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), size=(3, 3, 3)),
            "interpolate: output_size must be an int or 2 of them",
        ),
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), scale_factor=-1.0),
            "interpolate: scale_factor must be a positive number",
        ),
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), scale_factor=0.1),
            "interpolate: scale_factor 0.1 leaves no output",
        ),
        (
            lambda: F.interpolate(
                cr.tensor(np.zeros((1, 1, 2, 2), np.int64)), size=3, mode="bilinear"
            ),
            "interpolate: mode 'bilinear' needs floating-point input",
        ),
        (
            lambda: F.interpolate(cr.zeros((1, 1, 4, 4)), size=3, antialias=True),
            "antialias=True is not supported",
        ),
    ],
)
def test_interpolate_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, normalized, affine",
    [((2, 3, 4, 5), (4, 5), True), ((6, 5), 5, False), ((2, 3, 4), [3, 4], True)],
)
def test_layer_norm_matches_torch(dtype, shape, normalized, affine):
    size = (normalized,) if isinstance(normalized, int) else tuple(normalized)
    x = _normal(*shape) * 3 + 40  # a large mean: the two-pass variance keeps float32 exact
    args = [x] + ([_normal(*size, seed=1), _normal(*size, seed=2)] if affine else [])
    compare(
        lambda x, *wb: F.layer_norm(x, normalized, *wb),
        lambda x, *wb: TF.layer_norm(x, size, *wb),
        *args,
        dtype=dtype,
    )


@pytest.mark.parametrize(
    "shape, axes, affine, path",
    [
        ((4, 5, 6), (2,), True, "rows"),
        ((4, 5, 6), (-2, -1), True, "rows"),
        ((3, 4), (1,), False, "rows"),
        ((4, 5, 6), (1,), False, "portable"),  # not trailing
        ((6, 5), (0,), False, "portable"),  # trailing, but of a transposed (strided) view
    ],
)
def test_standardise_kernels_of_cpu_and_portable_agree(shape, axes, affine, path):
    import array_api_strict as xps

    rng = np.random.default_rng(0)
    x, grad = rng.standard_normal(shape) * 3 + 5, rng.standard_normal(shape)
    if path == "portable" and axes == (0,):
        x, grad, axes = x.T, grad.T, (1,)
    size = tuple(x.shape[a] for a in axes)
    w, b = (rng.standard_normal(size), rng.standard_normal(size)) if affine else (None, None)
    strict = [None if a is None else xps.asarray(a) for a in (x, w, b, grad)]
    portable = namespace(strict[0])
    out, saved = cpu.standardise(x, w, b, axes, 1e-5)
    want_out, want_saved = portable.standardise(*strict[:3], axes, 1e-5)
    assert saved[0] == path
    np.testing.assert_allclose(out, np.asarray(want_out), rtol=1e-12, atol=1e-13)
    got = cpu.standardise_backward(saved, grad, (True, True, True))
    want = portable.standardise_backward(want_saved, strict[3], (True, True, True))
    assert len(got) == len(want) == (3 if affine else 1)
    for a, b_ in zip(got, want):
        assert a.shape == tuple(b_.shape)
        np.testing.assert_allclose(a, np.asarray(b_), rtol=1e-11, atol=1e-12)


def test_standardise_affine_must_span_the_trailing_axes():
    x, w = cr.zeros((2, 3)), cr.ones(3)
    with pytest.raises(ValueError, match=r"standardise: weight \(3,\) and bias \(3,\) must"):
        cr.ops.Standardise.apply(x, w, cr.zeros(3), axes=(0,), eps=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, groups", [((2, 6, 3, 2), 3), ((3, 4), 2), ((2, 4, 5), 4)])
def test_group_norm_matches_torch(dtype, shape, groups):
    x, w, b = _normal(*shape), _normal(shape[1], seed=1), _normal(shape[1], seed=2)
    compare(
        lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-4),
        lambda x, w, b: TF.group_norm(x, groups, w, b, eps=1e-4),
        x,
        w,
        b,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, dim", [(2, 1), (1, -1), (3, 0), (math.inf, 1), (2, (0, 1))])
def test_normalize_matches_torch_including_zero_rows(dtype, p, dim):
    x = _normal(3, 4)
    x[1] = 0  # a zero vector: the eps floor keeps the gradient finite, as torch's
    compare(
        lambda x: F.normalize(x, p=p, dim=dim),
        lambda x: TF.normalize(x, p=p, dim=dim),
        x,
        dtype=dtype,
    )


def test_layer_and_group_norm_modules_match_torch():
    x = _normal(2, 4, 3, 3)
    mine, theirs = nn.LayerNorm((3, 3)), torch.nn.LayerNorm((3, 3), dtype=torch.float64)
    compare(mine, theirs, x)
    assert {n for n, _ in mine.named_parameters()} == {"weight", "bias"}
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None
    assert nn.LayerNorm(3, bias=False).bias is None
    mine, theirs = nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4, dtype=torch.float64)
    compare(mine, theirs, x)
    assert repr(mine) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert repr(nn.LayerNorm(5)) == "LayerNorm((5,), eps=1e-05, elementwise_affine=True)"


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.layer_norm(cr.zeros((2, 3)), (2,)),
            r"layer_norm: normalized_shape \(2,\) does not match the last dimensions of input",
        ),
        (
            lambda: F.layer_norm(cr.zeros((2, 3)), 3, cr.zeros(2)),
            r"layer_norm: weight of shape \(2,\), expected \(3,\)",
        ),
        (
            lambda: F.group_norm(cr.zeros((2, 6, 3)), 4),
            r"group_norm: 6 channels of input \(2, 6, 3\) do not split into num_groups=4",
        ),
        (
            lambda: F.group_norm(cr.zeros((2, 6)), 3, None, cr.zeros(3)),
            r"group_norm: bias of shape \(3,\), expected \(6,\)",
        ),
        (lambda: F.normalize(cr.zeros((2, 3)), p=0), "normalize: p must be a positive number"),
        (lambda: nn.GroupNorm(4, 6), "GroupNorm: num_channels=6 must be divisible by"),
        (lambda: nn.GroupNorm(2, 4)(cr.zeros((2, 6))), r"GroupNorm: expected input \(N, 4"),
    ],
)
def test_normalisation_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------- embedding
INDEX = np.array([[0, 2, 4], [2, 2, 1]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(padding_idx=2),
        dict(padding_idx=-1, scale_grad_by_freq=True),
        dict(scale_grad_by_freq=True),
    ],
)
def test_embedding_matches_torch(dtype, options):
    out = compare(
        lambda w: F.embedding(INDEX, w, **options),
        lambda w: TF.embedding(torch.from_numpy(INDEX), w, **options),
        _normal(5, 3),
        dtype=dtype,
    )
    assert out.shape == (2, 3, 3)


def test_embedding_gradient_is_a_scatter_add_and_skips_the_padding_row():
    weight = cr.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
    out = F.embedding(cr.tensor(np.array([1, 3, 1, 0])), weight, padding_idx=0)
    np.testing.assert_array_equal(out.data, [[2, 3], [6, 7], [2, 3], [0, 1]])
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.data[:, 0], [0, 2, 0, 1, 0])


def test_embedding_max_norm_renormalises_the_picked_rows_in_place():
    rows = _normal(5, 3) * 3
    mine, theirs = cr.tensor(rows.copy()), torch.tensor(rows.copy())
    out = F.embedding(INDEX, mine, max_norm=1.5, norm_type=1.0)
    expected = TF.embedding(torch.from_numpy(INDEX), theirs, max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mine.data, theirs.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(mine.data[3], rows[3])  # not picked: untouched


def test_embedding_of_an_empty_index():
    out = F.embedding(np.zeros((0, 4), np.int64), cr.tensor(_normal(3, 2)))
    assert out.shape == (0, 4, 2)


def test_embedding_module_init_and_from_pretrained():
    cr.manual_seed(0)
    table = nn.Embedding(2000, 16, padding_idx=3)
    weights = table.weight.data
    assert weights.dtype == np.float32 and weights.shape == (2000, 16)
    assert not weights[3].any()
    assert abs(weights.mean()) < 0.02 and abs(weights.std() - 1) < 0.02  # N(0, 1)
    assert repr(table) == "Embedding(2000, 16, padding_idx=3)"
    out = table(np.array([[3, 5]]))
    out.sum().backward()
    assert not table.weight.grad.data[3].any() and table.weight.grad.data[5].all()
    frozen = nn.Embedding.from_pretrained(np.eye(3, dtype=np.float32))
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(np.array([2])).data, [[0, 0, 1]])
    assert nn.Embedding.from_pretrained(np.eye(3), freeze=False).weight.requires_grad


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.embedding(np.array([0.5]), cr.zeros((3, 2))),
            ValueError,
            "embedding: input must hold int indices, got float64",
        ),
        (
            lambda: F.embedding(np.array([3]), cr.zeros((3, 2))),
            IndexError,
            r"embedding: indices must lie in \[0, 3\), got values from 3 to 3",
        ),
        (
            lambda: F.embedding(np.array([0]), cr.zeros(3)),
            ValueError,
            "embedding: weight must be 2-D",
        ),
        (
            lambda: F.embedding(np.array([0]), cr.zeros((3, 2)), padding_idx=3),
            ValueError,
            "embedding: padding_idx 3 is out of range for 3 rows",
        ),
        (
            lambda: F.embedding(np.array([0]), cr.zeros((3, 2)), sparse=True),
            ValueError,
            "embedding: sparse gradients are not supported",
        ),
        (lambda: nn.Embedding(0, 2), ValueError, "Embedding: sizes must be positive"),
    ],
)
def test_embedding_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------- dropout
@pytest.mark.parametrize(
    "function, shape, mask_axes",
    [
        (F.dropout1d, (40, 30, 7), (2,)),
        (F.dropout1d, (30, 7), (1,)),  # unbatched (C, L)
        (F.dropout2d, (40, 30, 3, 3), (2, 3)),
        (F.dropout2d, (40, 30, 7), (2,)),  # 3-D: taken as (N, C, L), as PyTorch today
        (F.dropout3d, (40, 30, 2, 2, 2), (2, 3, 4)),
        (F.dropout3d, (30, 2, 2, 2), (1, 2, 3)),  # unbatched
    ],
)
def test_channel_dropout_zeroes_whole_channels(function, shape, mask_axes):
    x = cr.tensor(np.ones(shape))
    out = function(x, 0.25, rng=np.random.default_rng(0)).data
    assert set(np.unique(out)) <= {0.0, 1 / 0.75}
    per_channel = np.broadcast_to(out.max(axis=mask_axes, keepdims=True), out.shape)
    np.testing.assert_array_equal(out, per_channel)
    kept = (out.max(axis=mask_axes) > 0).mean()
    assert 0.7 < kept < 0.8
    assert function(x, 0.25, training=False) is x
    x = cr.tensor(np.ones(shape), requires_grad=True)
    out = function(x, 0.5, rng=np.random.default_rng(1))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)  # d out / dx is the mask


def test_channel_dropout_modules_and_errors():
    layer = nn.Dropout2d(0.5, seed=0)
    out = layer(cr.tensor(np.ones((4, 6, 2, 2)))).data
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert repr(layer) == "Dropout2d(p=0.5)"
    assert layer.eval()(cr.ones((4, 6, 2, 2))).data.min() == 1.0
    assert nn.Dropout1d(0.3, inplace=True).p == 0.3
    with pytest.raises(ValueError, match="dropout1d: input must be 3-D"):
        F.dropout1d(cr.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"dropout2d: p must lie in \[0, 1\]"):
        F.dropout2d(cr.ones((2, 3, 4, 5)), p=1.5)
    with pytest.raises(ValueError, match=r"Dropout3d: p must lie in \[0, 1\]"):
        nn.Dropout3d(-0.1)


def test_alpha_dropout_keeps_selu_statistics():
    x = cr.tensor(np.random.default_rng(0).standard_normal(200_000))
    out = F.alpha_dropout(x, 0.2, training=True, rng=np.random.default_rng(1)).data
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01
    dropped = -1.7580993408473766 / math.sqrt((1.7580993408473766**2 * 0.2 + 1) * 0.8) * 0.8
    assert np.isclose(np.sort(out)[0], out.min()) and np.isclose(
        np.median(out[np.isclose(out, dropped)]), dropped
    )
    assert F.alpha_dropout(x, 0.2) is x  # training=False by default, as in PyTorch
    assert not F.alpha_dropout(x, 1.0, training=True).data.any()
    features = F.feature_alpha_dropout(
        cr.ones((50, 40, 3)), 0.5, training=True, rng=np.random.default_rng(2)
    ).data
    np.testing.assert_array_equal(features, features[:, :, :1].repeat(3, axis=2))
    assert len(np.unique(features)) == 2
    layer = nn.AlphaDropout(0.5, seed=0)
    assert layer(cr.ones((4, 4))).data.std() > 0 and layer.eval()(cr.ones((4, 4))).data.min() == 1


def test_dropout_keeps_its_seeded_values():
    out = F.dropout(cr.ones((1, 4)), 0.5, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out.data, [[2.0, 2.0, 2.0, 0.0]])


# ---------------------------------------------------------------------- modules
def _copy_to_torch(mine, theirs):
    with torch.no_grad():
        for name, value in mine.state_dict().items():
            theirs.get_parameter(name).copy_(torch.from_numpy(np.asarray(value)))
    return theirs.double()


@pytest.mark.parametrize(
    "make, make_torch, shape",
    [
        (
            lambda: nn.Conv2d(4, 6, 3, 2, 1, dilation=1, groups=2),
            lambda: torch.nn.Conv2d(4, 6, 3, 2, 1, dilation=1, groups=2),
            (2, 4, 7, 7),
        ),
        (
            lambda: nn.Conv2d(2, 3, (3, 2), padding="same", dilation=2, padding_mode="reflect"),
            lambda: torch.nn.Conv2d(
                2, 3, (3, 2), padding="same", dilation=2, padding_mode="reflect"
            ),
            (2, 2, 6, 5),
        ),
        (
            lambda: nn.Conv2d(2, 3, 3, padding=2, padding_mode="circular"),
            lambda: torch.nn.Conv2d(2, 3, 3, padding=2, padding_mode="circular"),
            (1, 2, 4, 5),
        ),
        (
            lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate", bias=False),
            lambda: torch.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate", bias=False),
            (1, 2, 4, 5),
        ),
        (
            lambda: nn.Conv1d(4, 2, 3, stride=2, groups=2, padding_mode="reflect", padding=1),
            lambda: torch.nn.Conv1d(4, 2, 3, stride=2, groups=2, padding_mode="reflect", padding=1),
            (2, 4, 9),
        ),
        (
            lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
            lambda: torch.nn.ConvTranspose2d(
                4, 6, 3, stride=2, padding=1, output_padding=1, groups=2
            ),
            (2, 4, 3, 3),
        ),
        (
            lambda: nn.ConvTranspose1d(3, 2, 4, stride=3, dilation=2),
            lambda: torch.nn.ConvTranspose1d(3, 2, 4, stride=3, dilation=2),
            (2, 3, 5),
        ),
    ],
)
def test_conv_modules_match_torch(make, make_torch, shape):
    cr.manual_seed(0)
    mine = make()
    theirs = _copy_to_torch(mine, make_torch())
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    compare(mine, theirs, _normal(*shape))


def test_conv_transpose_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = cr.tensor(_normal(1, 2, 4, 4))
    assert layer(x).shape == (1, 3, 7, 7)
    assert layer(x, output_size=(8, 7)).shape == (1, 3, 8, 7)
    assert layer(x, output_size=(1, 3, 8, 8)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match=r"output_size \(9, 9\) is not reachable.*\[7, 9\)"):
        layer(x, output_size=(9, 9))


def test_conv_module_init_draws_as_torch():
    """U(±1/sqrt(fan_in)) for weight and bias, fan_in = weight.shape[1] * prod(kernel)."""
    cr.manual_seed(0)
    for layer, fan_in in [
        (nn.Conv2d(8, 16, 3, groups=4), 2 * 9),
        (nn.Conv1d(4, 6, 5), 4 * 5),
        (nn.ConvTranspose2d(8, 12, 3, groups=2), 6 * 9),
    ]:
        bound = 1 / math.sqrt(fan_in)
        for values in (layer.weight.data, layer.bias.data):
            assert values.dtype == np.float32 and np.abs(values).max() <= bound
    assert nn.ConvTranspose2d(8, 12, 3, groups=2).weight.shape == (8, 6, 3, 3)
    assert nn.Conv1d(4, 6, 5, groups=2).weight.shape == (6, 2, 5)


def test_conv_module_reprs_and_errors():
    assert repr(nn.Conv2d(4, 8, 3, padding="same", groups=2, padding_mode="reflect")) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2, "
        "padding_mode='reflect', bias=True)"
    )
    assert "dilation=(2,)" in repr(nn.Conv1d(1, 1, 3, dilation=2))
    assert "output_padding=(1, 1)" in repr(nn.ConvTranspose2d(1, 1, 3, 2, output_padding=1))
    with pytest.raises(ValueError, match="Conv2d: in_channels=4 and out_channels=6 must both"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="Conv2d: padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose2d: padding_mode must be one of"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="Conv1d: padding='same' is not supported for strided"):
        nn.Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv2d: reflect padding .* must be at most 2"):
        nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(cr.zeros((1, 1, 3, 3)))


@pytest.mark.parametrize(
    "make, make_torch, shape",
    [
        (
            lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True, return_indices=True),
            lambda: torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True, return_indices=True),
            (2, 3, 7, 7),
        ),
        (lambda: nn.MaxPool1d(2, dilation=2), lambda: torch.nn.MaxPool1d(2, dilation=2), (2, 3, 9)),
        (
            lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
            lambda: torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
            (2, 3, 7, 7),
        ),
        (
            lambda: nn.AvgPool2d(2, divisor_override=5),
            lambda: torch.nn.AvgPool2d(2, divisor_override=5),
            (2, 3, 6, 6),
        ),
        (lambda: nn.AvgPool1d(3, 2, 1), lambda: torch.nn.AvgPool1d(3, 2, 1), (2, 3, 9)),
        (
            lambda: nn.AdaptiveAvgPool2d((3, None)),
            lambda: torch.nn.AdaptiveAvgPool2d((3, None)),
            (2, 3, 7, 5),
        ),
        (lambda: nn.AdaptiveAvgPool1d(4), lambda: torch.nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
        (
            lambda: nn.AdaptiveMaxPool2d(3, return_indices=True),
            lambda: torch.nn.AdaptiveMaxPool2d(3, return_indices=True),
            (2, 3, 7, 5),
        ),
        (lambda: nn.AdaptiveMaxPool1d(4), lambda: torch.nn.AdaptiveMaxPool1d(4), (2, 3, 9)),
        (lambda: nn.Unfold(2, padding=1), lambda: torch.nn.Unfold(2, padding=1), (2, 3, 4, 4)),
        (lambda: nn.Fold((4, 4), 2), lambda: torch.nn.Fold((4, 4), 2), (2, 12, 9)),
    ],
)
def test_pool_modules_match_torch(make, make_torch, shape):
    x = np.random.default_rng(6).permutation(math.prod(shape)).reshape(shape) / 13.0
    compare(make(), make_torch(), x)


def test_max_unpool_modules_match_torch():
    x = _normal(2, 3, 6, 6)
    pooled, index = nn.MaxPool2d(2, return_indices=True)(cr.tensor(x))
    expected = torch.nn.MaxUnpool2d(2)(*torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x)))
    np.testing.assert_array_equal(nn.MaxUnpool2d(2)(pooled, index).data, expected.numpy())
    pooled, index = nn.MaxPool1d(2, return_indices=True)(cr.tensor(x[0]))
    expected = torch.nn.MaxUnpool1d(2)(
        *torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x[0]))
    )
    out = nn.MaxUnpool1d(2)(pooled, index, output_size=(7,))
    expected = torch.nn.MaxUnpool1d(2)(
        *torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x[0])), output_size=(7,)
    )
    np.testing.assert_array_equal(out.data, expected.numpy())


def test_pool_module_reprs():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.MaxPool2d(3, 1, dilation=2, ceil_mode=True)) == (
        "MaxPool2d(kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(2, 2), "
        "ceil_mode=True)"
    )
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"


# ---------------------------------------------------------------------- containers
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)])
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 4)})
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.heads["a"](self.norm(x))


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)]
        )
        self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 1), "b": torch.nn.Linear(2, 4)})
        self.norm = torch.nn.BatchNorm1d(2)


def test_container_state_dict_keys_and_names_are_torchs():
    ours, theirs = Net(), TorchNet()
    torch_keys = [k for k in theirs.state_dict() if not k.endswith("num_batches_tracked")]
    assert list(ours.state_dict()) == torch_keys
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_buffers()] == ["norm.running_mean", "norm.running_var"]
    assert len(list(ours.buffers())) == 2 and list(ours.buffers(recurse=False)) == []
    assert [n for n, _ in ours.layers.named_parameters()] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]
    assert list(ours.parameters(recurse=False)) == []
    assert [n for n, _ in ours.named_parameters(prefix="net")][0] == "net.layers.0.weight"
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items() if k in torch_keys})
    np.testing.assert_array_equal(ours.heads.b.weight.data, theirs.heads.b.weight.detach())
    assert ours(cr.ones((3, 2))).shape == (3, 1)


def test_module_list_behaves_as_a_list():
    blocks = nn.ModuleList()
    blocks.append(nn.Linear(1, 2)).extend([nn.ReLU(), nn.Linear(2, 3)])
    blocks.insert(0, nn.Identity())
    assert len(blocks) == 4 and isinstance(blocks[-1], nn.Linear)
    assert isinstance(blocks[1:3], nn.ModuleList) and len(blocks[1:3]) == 2
    blocks[0] = nn.Tanh()
    del blocks[1]
    assert [type(b).__name__ for b in blocks] == ["Tanh", "ReLU", "Linear"]
    blocks += [nn.Sigmoid()]
    assert len(blocks + nn.ModuleList([nn.ReLU()])) == 5
    assert type(blocks.pop()).__name__ == "Sigmoid"
    assert [n for n, _ in blocks.named_parameters()] == ["2.weight", "2.bias"]
    assert repr(nn.ModuleList([nn.ReLU()])) == "ModuleList(\n  (0): ReLU()\n)"
    with pytest.raises(TypeError, match="ModuleList.append: function is not a Module"):
        blocks.append(lambda x: x)
    with pytest.raises(IndexError, match="ModuleList: index 3 is out of range for 3 modules"):
        blocks[3]
    with pytest.raises(NotImplementedError, match="ModuleList: forward is not implemented"):
        blocks(cr.ones(1))


def test_module_dict_behaves_as_a_dict():
    heads = nn.ModuleDict([("x", nn.Linear(1, 1))])
    heads["y"] = nn.ReLU()
    heads.update({"z": nn.Tanh()})
    assert list(heads) == ["x", "y", "z"] and list(heads.keys()) == ["x", "y", "z"]
    assert "y" in heads and len(heads) == 3 and heads.x is heads["x"]
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "ReLU", "Tanh"]
    assert type(heads.pop("z")).__name__ == "Tanh"
    del heads["y"]
    assert [k for k, _ in heads.items()] == ["x"]
    with pytest.raises(KeyError, match="ModuleDict: a key must be a non-empty str without"):
        heads["a.b"] = nn.ReLU()
    with pytest.raises(TypeError, match="ModuleDict: int is not a Module"):
        heads["w"] = 3
    heads.clear()
    assert len(heads) == 0
    with pytest.raises(AttributeError):
        heads.missing  # noqa: B018


def test_identity_flatten_unflatten():
    x = cr.tensor(_normal(2, 3, 4, 5))
    assert nn.Identity(54, unused=True)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)
    assert nn.Flatten()(np.zeros((0, 1, 2, 2))).shape == (0, 4)
    assert nn.Unflatten(1, (3, -1))(cr.zeros((2, 12))).shape == (2, 3, 4)
    assert nn.Unflatten(-1, (2, 2))(cr.zeros((2, 12, 4))).shape == (2, 12, 2, 2)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    with pytest.raises(ValueError, match=r"Unflatten: cannot split axis 1 of input \(2, 12\)"):
        nn.Unflatten(1, (5, 2))(cr.zeros((2, 12)))
    with pytest.raises(ValueError, match="Flatten: start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(x)
    with pytest.raises(ValueError, match="Flatten: start_dim 4 or end_dim -1 is out of range"):
        nn.Flatten(4)(x)


# ---------------------------------------------------------------------- the Module API
def test_apply_children_first_and_add_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def init_linear(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)

    model.apply(init_linear)
    assert all(not p.data.any() for n, p in model.named_parameters() if n.endswith("weight"))
    holder = nn.Module()
    holder.add_module("extra", nn.Linear(1, 1))
    holder.register_module("other", nn.ReLU())
    assert [n for n, _ in holder.named_children()] == ["extra", "other"]
    assert list(holder.children())[1] is holder.other
    with pytest.raises(KeyError, match="add_module: a module name must be"):
        holder.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="add_module: int is not a Module"):
        holder.add_module("c", 3)


def test_named_modules_lists_a_shared_module_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_modules()] == ["", "layers.0", "layers.1"]
    names = [n for n, _ in model.named_modules(remove_duplicate=False)]
    assert names == ["", "layers.0", "layers.1", "layers.2"]
    assert [n for n, _ in model.named_modules(prefix="m")][1] == "m.layers.0"
    assert len(list(model.parameters())) == 2


def test_zero_grad_and_requires_grad():
    model = Net()
    model(cr.ones((4, 2))).sum().backward()
    model.zero_grad(set_to_none=False)
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and not g.data.any() for g in grads[:4])
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    out = model(cr.ones((4, 2)))
    assert not out.requires_grad
    model.layers.requires_grad_()
    model(cr.ones((4, 2))).sum().backward()
    assert model.layers[0].weight.grad is not None and model.heads.a.weight.grad is None


def test_zero_grad_set_to_none_false_after_create_graph():
    layer = nn.Linear(2, 1)
    (layer(cr.ones((1, 2))) ** 2).sum().backward(create_graph=True)
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad._ctx is None and not layer.weight.grad.data.any()


@pytest.mark.parametrize("kind", ["ndarray", "list"])
def test_index_taking_layers_take_arrays_and_lists(kind):
    """Embedding and MaxUnpool take int indices as a loader gives them (test_nn's table
    covers the layers of float input)."""

    def given(a):
        return a if kind == "ndarray" else a.tolist()

    index = np.array([[0, 3], [3, 1]])
    table = nn.Embedding(4, 2)
    expected = table(cr.tensor(index))
    np.testing.assert_array_equal(table(given(index)).data, expected.data)
    values, where = np.arange(8.0).reshape(1, 2, 2, 2), np.array([[[[0, 3], [9, 14]]] * 2])
    out = nn.MaxUnpool2d(2)(given(values), given(where))
    assert out.shape == (1, 2, 4, 4) and out.data[0, 1, 3, 2] == 7.0
    np.testing.assert_array_equal(out.data, F.max_unpool2d(cr.tensor(values), where, 2).data)
    out = nn.MaxUnpool1d(2)(given(values[0]), given(where[0] % 4))
    assert out.shape == (2, 2, 4) and out.data[1, 1, 2] == 7.0
    assert isinstance(nn.Identity()(given(values)), cr.Tensor)
