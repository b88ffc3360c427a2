"""Activations and losses against PyTorch: values and gradients in float32 and float64, odd
and empty shapes, broadcast weights, negative dims, PyTorch's gradients at the kinks, the
modules' constructor arguments and reprs, and the error messages."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import ops
from chainrule.backends import cpu
from chainrule.backends.normal_cdf import normal_cdf_masked, normal_cdf_where
from chainrule.ops.activations import NormalCdf
from helpers import upstream_grad
from op_specs import SPECS

torch = pytest.importorskip("torch")
TF = pytest.importorskip("torch.nn.functional")

TOLERANCE = {np.float32: (2e-5, 2e-6), np.float64: (1e-10, 1e-12)}
DTYPES = [np.float32, np.float64]


def versus_torch(ours, theirs, *arrays, dtype=np.float64, needs_grad=None, rtol=None):
    """``ours`` and ``theirs`` on the same inputs (floats cast to ``dtype``, ints kept as
    class indices): the values, their dtype, and the gradient of every float input."""
    arrays = [np.asarray(a) for a in arrays]
    floats = [a.dtype.kind == "f" for a in arrays]
    needs_grad = floats if needs_grad is None else needs_grad
    mine = [
        cr.tensor(a.astype(dtype), requires_grad=g) if f else cr.tensor(a)
        for a, f, g in zip(arrays, floats, needs_grad)
    ]
    reference = [
        torch.tensor(a.astype(dtype), requires_grad=g) if f else torch.from_numpy(a)
        for a, f, g in zip(arrays, floats, needs_grad)
    ]
    out, expected = ours(*mine), theirs(*reference)
    rtol, atol = (TOLERANCE[dtype][0] if rtol is None else rtol), TOLERANCE[dtype][1]
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(
        out.data, expected.detach().numpy(), rtol=rtol, atol=atol, equal_nan=True
    )
    if not out.requires_grad:
        return out
    seed = upstream_grad(out.shape).astype(dtype)
    out.backward(seed)
    expected.backward(torch.from_numpy(seed))
    for i, (t, r) in enumerate(zip(mine, reference)):
        if t.requires_grad:
            assert t.grad.dtype == dtype, f"grad {i} dtype"
            np.testing.assert_allclose(
                t.grad.data, r.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}"
            )
    return out


# ---------------------------------------------------------------------- activations
ACTIVATIONS = {
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
    ),
    "silu": (F.silu, TF.silu),
    "mish": (F.mish, TF.mish),
    "elu": (lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    "selu": (F.selu, TF.selu),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    "relu6": (F.relu6, TF.relu6),
    "hardtanh": (lambda x: F.hardtanh(x, -2.0, 0.5), lambda x: TF.hardtanh(x, -2.0, 0.5)),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid),
    "hardswish": (F.hardswish, TF.hardswish),
    "softsign": (F.softsign, TF.softsign),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid),
    "softplus": (F.softplus, TF.softplus),
    "softplus_beta": (
        lambda x: F.softplus(x, beta=0.5, threshold=2.0),
        lambda x: TF.softplus(x, beta=0.5, threshold=2.0),
    ),
    "softmin": (lambda x: F.softmin(x, dim=-1), lambda x: TF.softmin(x, dim=-1)),
    "softmax_dim0": (lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), lambda x: TF.log_softmax(x, dim=-1)),
}
# torch's hardsigmoid gradient is x / 6 in float32 arithmetic, even for float64 input
LOOSER = {("hardsigmoid", np.float64): 1e-7}
ELEMENTWISE = [name for name in ACTIVATIONS if not name.startswith(("soft", "log_soft"))]
ELEMENTWISE += ["softsign", "softplus", "softplus_beta"]


ACTIVATION_CASES = [  # a 0-d softmax has no axis here: the softmax family gets no 0-d case
    (name, shape)
    for name in ACTIVATIONS
    for shape in [(), (7,), (3, 5, 2)]
    if shape or not name.startswith(("softmin", "softmax", "log_softmax"))
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, shape", ACTIVATION_CASES)
def test_activation_matches_torch(rng, name, shape, dtype):
    x = rng.standard_normal(shape) * 4  # both tails and every piece of the piecewise ones
    versus_torch(*ACTIVATIONS[name], x, dtype=dtype, rtol=LOOSER.get((name, dtype)))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_of_an_empty_tensor(name):
    out = versus_torch(*ACTIVATIONS[name], np.zeros((0, 3)))
    assert out.shape == (0, 3)


# Each piecewise activation exactly at its kinks: the gradients PyTorch takes there.
KINKS = {
    "elu": [0.0],
    "celu": [0.0],
    "selu": [0.0],
    "leaky_relu": [0.0],
    "relu6": [0.0, 6.0],
    "hardtanh": [-2.0, 0.5],
    "hardsigmoid": [-3.0, 3.0],
    "hardswish": [-3.0, 3.0],
    "softsign": [0.0],
    "softplus_beta": [4.0],  # beta x = threshold: still the curve
}


@pytest.mark.parametrize("name", list(KINKS))
def test_activation_gradient_at_its_kinks_is_pytorchs(name):
    versus_torch(*ACTIVATIONS[name], np.array(KINKS[name]))


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "logsigmoid", "softplus", "elu"])
def test_activation_of_huge_inputs_is_finite(name):
    x = np.array([-800.0, -50.0, 50.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        versus_torch(*ACTIVATIONS[name], x)


@pytest.mark.parametrize("kernel", [normal_cdf_masked, lambda x: normal_cdf_where(cpu, x)])
def test_normal_cdf_matches_erfc_in_both_tails(kernel):
    x = np.linspace(-37.0, 9.0, 20001)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    got = kernel(x)
    assert np.all(np.abs(got - exact) <= 5e-13 * exact)  # relative, even where Phi is 1e-300
    near = np.abs(x) < 10
    assert np.all(np.abs(got - exact)[near] <= 4e-14 * exact[near])
    x32 = x[x > -12.5].astype(np.float32)  # Phi(-13) is already a float32 subnormal
    single = kernel(x32)
    assert single.dtype == np.float32
    exact32 = [0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in x32]
    np.testing.assert_allclose(single, exact32, rtol=3e-5)  # x^2 rounds by 2e-5 at x = -12


def test_normal_cdf_special_values():
    out = NormalCdf.apply(cr.tensor([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=np.float64))
    np.testing.assert_array_equal(out.data, [np.nan, 1.0, 0.0, 0.5, 0.5])


def test_gelu_is_accurate_where_one_plus_erf_cancels():
    x = cr.tensor([-10.0, -20.0], dtype=np.float64)
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in (-10.0, -20.0)]
    np.testing.assert_allclose(F.gelu(x).data, expected, rtol=1e-13)


def test_gelu_double_backward_matches_torch(rng):
    x = rng.standard_normal(5)
    ours = cr.tensor(x, requires_grad=True)
    F.gelu(ours).sum().backward(create_graph=True)
    grad = ours.grad
    ours.grad = None
    (grad * grad).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(TF.gelu(theirs).sum(), theirs, create_graph=True)
    (h,) = torch.autograd.grad((g * g).sum(), theirs)
    np.testing.assert_allclose(grad.data, g.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.data, h.numpy(), rtol=1e-12)


def test_softmax_family_takes_dim_or_axis(rng):
    x = cr.tensor(rng.standard_normal((2, 3, 4)))
    for fn in (F.softmax, F.log_softmax, F.softmin):
        np.testing.assert_array_equal(fn(x, dim=-2).data, fn(x, axis=1).data)
        np.testing.assert_array_equal(fn(x).data, fn(x, 2).data)  # the last by default
        with pytest.raises(TypeError, match=re.escape("got both axis=1 and dim=1")):
            fn(x, 1, axis=1)
    with pytest.raises(ValueError, match="log_softmax: axis 3 is out of range for 3-d input"):
        F.softmax(x, dim=3)


def test_softplus_beyond_the_threshold_is_the_input():
    x = cr.tensor([25.0, 100.0], dtype=np.float64, requires_grad=True)
    out = F.softplus(x)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [25.0, 100.0])
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: F.gelu(cr.ones(2), approximate="erf"), ValueError, "gelu: approximate must be"),
        (
            lambda: F.hardtanh(cr.ones(2), 1.0, -1.0),
            ValueError,
            "hardtanh: min_val 1.0 is greater than max_val -1.0",
        ),
        (lambda: F.celu(cr.ones(2), alpha=0.0), ValueError, "celu: alpha must not be 0"),
        (
            lambda: F.silu(cr.tensor([1, 2])),
            TypeError,
            "silu: expected a floating-point tensor, got int64",
        ),
        (lambda: F.elu("x"), TypeError, "elu: expected a Tensor or array, got str"),
        (
            lambda: nn.Hardtanh(2.0, 1.0),
            ValueError,
            "Hardtanh: min_val 2.0 is greater than max_val 1.0",
        ),
    ],
    ids=["gelu", "hardtanh", "celu", "int", "str", "Hardtanh"],
)
def test_activation_errors_name_the_op(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# ---------------------------------------------------------------------- activation modules
MODULES = [
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("SiLU", {"inplace": True}),
    ("Mish", {}),
    ("ELU", {"alpha": 0.5}),
    ("CELU", {"alpha": 2.0, "inplace": True}),
    ("SELU", {}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("ReLU6", {}),
    ("Hardtanh", {"min_val": -2.0, "max_val": 0.5, "inplace": True}),
    ("Hardsigmoid", {}),
    ("Hardswish", {}),
    ("Softsign", {}),
    ("LogSigmoid", {}),
    ("Softplus", {"beta": 0.5, "threshold": 2.0}),
    ("Softmax", {"dim": 0}),
    ("LogSoftmax", {"dim": -1}),
    ("Softmin", {"dim": 1}),
]


@pytest.mark.parametrize("name,kwargs", MODULES, ids=[f"{n}{k}" for n, k in MODULES])
def test_activation_module_matches_torchs(rng, name, kwargs):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    x = rng.standard_normal((3, 4)) * 4
    rtol = LOOSER.get((name.lower(), np.float64))
    versus_torch(ours, lambda t: theirs(t.clone()), x, rtol=rtol)  # clone: torch's inplace


def test_activation_modules_take_positional_arguments_as_torch():
    assert repr(nn.LeakyReLU(0.3, True)) == "LeakyReLU(negative_slope=0.3, inplace=True)"
    assert repr(nn.Hardtanh(-3.0, 3.0)) == repr(torch.nn.Hardtanh(-3.0, 3.0))
    assert repr(nn.Softplus(2.0, 10.0)) == repr(torch.nn.Softplus(2.0, 10.0))
    assert repr(nn.Softmax()) == "Softmax(dim=None)"


# ---------------------------------------------------------------------- cross_entropy, nll_loss
def _labels(rng, shape, classes, ignored=(), ignore_index=-100):
    labels = rng.integers(0, classes, shape)
    labels.reshape(-1)[list(ignored)] = ignore_index
    return labels


CLASS_CASES = {
    "plain": {},
    "weight": {"weight": np.array([0.2, 1.0, 3.0, 0.5, 1.5])},
    "ignore_index": {"ignore_index": 2},
    "smoothing": {"label_smoothing": 0.15},
    "everything": {
        "weight": np.array([0.2, 1.0, 3.0, 0.5, 1.5]),
        "ignore_index": 1,
        "label_smoothing": 0.3,
    },
}


def _with_weight(kwargs, dtype):
    """kwargs for torch: the weight as a tensor of the input's dtype."""
    kwargs = dict(kwargs)
    if "weight" in kwargs:
        kwargs["weight"] = torch.from_numpy(kwargs["weight"].astype(dtype))
    return kwargs


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (3, 5, 2, 3)], ids=["NC", "C", "NCHW"])
@pytest.mark.parametrize("case", list(CLASS_CASES))
def test_cross_entropy_with_class_indices_matches_torch(rng, case, shape, reduction, dtype):
    logits = rng.standard_normal(shape) * 3
    target_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    kwargs = CLASS_CASES[case]
    ignored = [1] if target_shape else []
    target = _labels(rng, target_shape, 5, ignored, kwargs.get("ignore_index", -100))
    versus_torch(
        lambda x, t: F.cross_entropy(x, t, reduction=reduction, **kwargs),
        lambda x, t: TF.cross_entropy(x, t, reduction=reduction, **_with_weight(kwargs, dtype)),
        logits,
        target,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (3, 5, 2, 3)], ids=["NC", "C", "NCHW"])
@pytest.mark.parametrize("case", ["plain", "weight", "ignore_index"])
def test_nll_loss_matches_torch(rng, case, shape, reduction, dtype):
    log_probs = rng.standard_normal(shape)
    target_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    kwargs = CLASS_CASES[case]
    ignored = [0] if target_shape else []
    target = _labels(rng, target_shape, 5, ignored, kwargs.get("ignore_index", -100))
    versus_torch(
        lambda x, t: F.nll_loss(x, t, reduction=reduction, **kwargs),
        lambda x, t: TF.nll_loss(x, t, reduction=reduction, **_with_weight(kwargs, dtype)),
        log_probs,
        target,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 3, 4)], ids=["NC", "C", "NCL"])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2, "weight": [0.5, 2.0, 1.0]}])
def test_cross_entropy_with_probabilities_matches_torch(rng, options, shape, reduction, dtype):
    logits = rng.standard_normal(shape)
    probs = np.exp(rng.standard_normal(shape))
    probs /= probs.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    theirs = dict(options)
    if "weight" in options:
        theirs["weight"] = torch.from_numpy(np.array(options["weight"], dtype=dtype))
    versus_torch(
        lambda x, p: F.cross_entropy(x, p, reduction=reduction, **options),
        lambda x, p: TF.cross_entropy(x, p, reduction=reduction, **theirs),
        logits,
        probs,
        dtype=dtype,
    )


def test_cross_entropy_plain_case_stays_one_fused_node(rng):
    logits = cr.tensor(rng.standard_normal((8, 10)), requires_grad=True)
    labels = rng.integers(0, 10, 8)
    assert type(F.cross_entropy(logits, labels)._ctx) is ops.SoftmaxCrossEntropy
    assert type(F.cross_entropy(logits, cr.tensor(labels), ignore_index=-1)._ctx) is (
        ops.SoftmaxCrossEntropy
    )
    one = F.cross_entropy(logits[0], labels[0], reduction="none")
    assert one.shape == () and type(one._ctx.inputs[0]._ctx) is ops.SoftmaxCrossEntropy
    labels[3] = -100  # an ignored sample takes the composite path
    assert type(F.cross_entropy(logits, labels)._ctx) is not ops.SoftmaxCrossEntropy


def test_cross_entropy_ignore_index_inside_the_classes_is_honoured(rng):
    logits, labels = rng.standard_normal((6, 4)), np.array([0, 1, 2, 3, 2, 2])
    versus_torch(
        lambda x, t: F.cross_entropy(x, t, ignore_index=2),
        lambda x, t: TF.cross_entropy(x, t, ignore_index=2),
        logits,
        labels,
    )


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_every_sample_ignored_gives_nan_mean_and_zero_sum(loss):
    x, labels = cr.tensor(np.zeros((2, 3)), requires_grad=True), np.array([-100, -100])
    ours, theirs = getattr(F, loss), getattr(TF, loss)
    assert math.isnan(ours(x, labels).item()) and math.isnan(
        theirs(torch.zeros(2, 3), torch.from_numpy(labels)).item()
    )
    total = ours(x, labels, reduction="sum")
    total.backward()
    assert total.item() == 0.0 and not x.grad.data.any()


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_cross_entropy_of_an_empty_batch(reduction):
    out = versus_torch(
        lambda x, t: F.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
        lambda x, t: TF.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
        np.zeros((0, 4)),
        np.zeros(0, dtype=np.int64),
    )
    assert out.shape == (() if reduction == "sum" else (0,))


def test_cross_entropy_weight_takes_lists_and_tensors(rng):
    logits, labels = cr.tensor(rng.standard_normal((4, 3))), rng.integers(0, 3, 4)
    expected = F.cross_entropy(logits, labels, np.array([1.0, 2.0, 0.5])).item()
    assert F.cross_entropy(logits, labels, [1.0, 2.0, 0.5]).item() == expected
    assert F.cross_entropy(logits, labels, cr.tensor([1.0, 2.0, 0.5])).item() == expected


CLASS_ERRORS = [
    (
        lambda: F.cross_entropy(cr.ones((2, 3)), [0, 1], [1.0, 2.0]),
        ValueError,
        "cross_entropy: weight of shape (2,) does not match the 3 classes of input (2, 3)",
    ),
    (
        lambda: F.cross_entropy(cr.ones((2, 3)), [0, 1], "sum"),
        TypeError,
        "cross_entropy: weight must be a tensor, got 'sum'; pass reduction= by name",
    ),
    (
        lambda: F.cross_entropy(cr.ones((2, 3)), [0, 1], label_smoothing=1.5),
        ValueError,
        "cross_entropy: label_smoothing must lie in [0, 1], got 1.5",
    ),
    (
        lambda: F.cross_entropy(cr.ones((2, 3)), [0, 5], ignore_index=0),
        ValueError,
        "cross_entropy: target class indices must lie in [0, 3), got values from 5 to 5 "
        "(ignore_index 0 aside)",
    ),
    (
        lambda: F.cross_entropy(cr.ones((2, 3)), np.full((2, 3), 1 / 3), ignore_index=1),
        ValueError,
        "cross_entropy: ignore_index is not supported for probability targets",
    ),
    (
        lambda: F.cross_entropy(cr.ones((2, 3, 4)), [0, 1]),
        ValueError,
        "cross_entropy: target must be int class indices of shape (2, 4) or probabilities of "
        "shape (2, 3, 4), got int64 (2,)",
    ),
    (
        lambda: F.cross_entropy(cr.ones((2, 3)), [0, 1], reduction="batchmean"),
        ValueError,
        "cross_entropy: reduction must be one of ('mean', 'sum', 'none'), got 'batchmean'",
    ),
    (
        lambda: F.nll_loss(cr.ones((2, 3)), [0.0, 1.0]),
        ValueError,
        "nll_loss: target must be int class indices of shape (2,), got float64 (2,)",
    ),
    (
        lambda: F.nll_loss(cr.ones(3), [1]),
        ValueError,
        "nll_loss: target must be int class indices of shape (), got int64 (1,)",
    ),
    (
        lambda: F.nll_loss(cr.ones((2, 3)), [-1, 1]),
        ValueError,
        "nll_loss: target class indices must lie in [0, 3), got values from -1 to 1",
    ),
    (
        lambda: F.nll_loss(cr.tensor(1.0), 0),
        ValueError,
        "nll_loss: input must have shape (C,), (N, C) or (N, C, d1, ...), got ()",
    ),
]


@pytest.mark.parametrize("call,error,message", CLASS_ERRORS)
def test_class_index_loss_errors_name_the_op_and_shapes(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# ---------------------------------------------------------------------- the elementwise losses
POINTWISE = {
    "l1_loss": (F.l1_loss, TF.l1_loss, {}),
    "smooth_l1_loss": (F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.7}),
    "smooth_l1_loss_beta0": (F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.0}),
    "huber_loss": (F.huber_loss, TF.huber_loss, {"delta": 0.7}),
    "mse_loss": (F.mse_loss, TF.mse_loss, {}),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 1, 4)])
@pytest.mark.parametrize("name", list(POINTWISE))
def test_pointwise_loss_matches_torch(rng, name, shape, reduction, dtype):
    ours, theirs, kwargs = POINTWISE[name]
    a, b = rng.standard_normal(shape) * 2, rng.standard_normal(shape)
    versus_torch(
        lambda x, y: ours(x, y, reduction=reduction, **kwargs),
        lambda x, y: theirs(x, y, reduction=reduction, **kwargs),
        a,
        b,
        dtype=dtype,
    )


@pytest.mark.parametrize("name", list(POINTWISE))
def test_pointwise_loss_of_empty_tensors(name):
    ours, theirs, kwargs = POINTWISE[name]
    empty = np.zeros((0, 2))
    for reduction in ("sum", "none"):
        versus_torch(
            lambda x, y, r=reduction: ours(x, y, reduction=r, **kwargs),
            lambda x, y, r=reduction: theirs(x, y, reduction=r, **kwargs),
            empty,
            empty,
        )


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(rng, log_target, reduction, dtype):
    log_probs = np.log(np.exp(rng.standard_normal((4, 5))) / 3)
    target = np.exp(rng.standard_normal((4, 5))) / 4
    target[0, 1] = 0.0  # xlogy: 0 log 0 is 0 (the target's gradient there: torch's is nan)
    if log_target:
        target = np.log(target + 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn that 'mean' is not the KL divergence
        versus_torch(
            lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
            lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target),
            log_probs,
            target,
            dtype=dtype,
            needs_grad=[True, False],
        )


def test_kl_div_broadcasts_and_warns_about_mean(rng):
    x, t = rng.standard_normal((3, 4)) - 2, rng.uniform(size=4)
    versus_torch(
        lambda a, b: F.kl_div(a, b, reduction="batchmean"),
        lambda a, b: TF.kl_div(a, b, reduction="batchmean"),
        x,
        t,
    )
    with pytest.warns(UserWarning, match="kl_div: reduction='mean' divides"):
        F.kl_div(cr.tensor(x), cr.tensor(t))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape", [None, (4,), (3, 1), (3, 4)])
def test_binary_cross_entropy_matches_torch(rng, weight_shape, reduction, dtype):
    p, t = rng.uniform(0.02, 0.98, (3, 4)), rng.uniform(size=(3, 4))
    w = None if weight_shape is None else rng.uniform(0.5, 2.0, weight_shape).astype(dtype)
    versus_torch(
        lambda x, y: F.binary_cross_entropy(x, y, w, reduction=reduction),
        lambda x, y: TF.binary_cross_entropy(
            x, y, None if w is None else torch.from_numpy(w), reduction=reduction
        ),
        p,
        t,
        dtype=dtype,
    )


def test_binary_cross_entropy_clamps_its_logs_at_minus_100_as_torch():
    p, t = np.array([0.0, 1.0, 0.0, 1.0, 1e-50]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    out = F.binary_cross_entropy(cr.tensor(p), cr.tensor(t), reduction="none")
    expected = TF.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(t), reduction="none")
    np.testing.assert_array_equal(out.data, expected.numpy())
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 100.0, 100.0, 100.0])
    x = cr.tensor(p[2:4], requires_grad=True)
    with np.errstate(invalid="raise", divide="raise"):
        F.binary_cross_entropy(x, cr.tensor(t[2:4]), reduction="sum").backward()
    assert np.isfinite(x.grad.data).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "weight_shape,pos_weight_shape",
    [(None, None), ((4,), None), (None, (4,)), ((3, 1), (4,)), ((3, 4), (1, 4))],
)
def test_binary_cross_entropy_with_logits_matches_torch(
    rng, weight_shape, pos_weight_shape, reduction, dtype
):
    x, t = rng.standard_normal((3, 4)) * 5, rng.uniform(size=(3, 4))
    w = None if weight_shape is None else rng.uniform(0.5, 2.0, weight_shape).astype(dtype)
    pw = None if pos_weight_shape is None else rng.uniform(0.5, 3, pos_weight_shape).astype(dtype)
    versus_torch(
        lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, w, reduction=reduction, pos_weight=pw
        ),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            a,
            b,
            None if w is None else torch.from_numpy(w),
            reduction=reduction,
            pos_weight=None if pw is None else torch.from_numpy(pw),
        ),
        x,
        t,
        dtype=dtype,
    )


def test_binary_cross_entropy_with_logits_pos_weight_is_stable_for_huge_logits():
    x = np.array([-1000.0, 1000.0, -40.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        versus_torch(
            lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=np.array(3.0)),
            lambda a, b: TF.binary_cross_entropy_with_logits(
                a, b, pos_weight=torch.tensor(3.0, dtype=torch.float64)
            ),
            x,
            np.array([1.0, 0.0, 1.0]),
        )


POINTWISE_ERRORS = [
    (
        lambda: F.l1_loss(cr.ones(3), cr.ones((2, 3))),
        ValueError,
        "l1_loss: input of shape (3,) and target of shape (2, 3) differ",
    ),
    (
        lambda: F.huber_loss(cr.ones(3), cr.ones(3), delta=0.0),
        ValueError,
        "huber_loss: delta must be positive, got 0.0",
    ),
    (
        lambda: F.smooth_l1_loss(cr.ones(3), cr.ones(3), beta=-1.0),
        ValueError,
        "smooth_l1_loss: beta must be >= 0, got -1.0",
    ),
    (
        lambda: F.smooth_l1_loss(cr.ones(3), cr.ones(3), reduction="avg"),
        ValueError,
        "smooth_l1_loss: reduction must be one of ('mean', 'sum', 'none'), got 'avg'",
    ),
    (
        lambda: F.kl_div(cr.ones(3), cr.ones(4), reduction="sum"),
        ValueError,
        "kl_div: input of shape (3,) and target of shape (4,) do not broadcast",
    ),
    (
        lambda: F.kl_div(cr.ones(3), cr.ones(3), reduction="max"),
        ValueError,
        "kl_div: reduction must be one of ('mean', 'sum', 'none', 'batchmean'), got 'max'",
    ),
    (
        lambda: F.binary_cross_entropy(cr.tensor([0.5, 1.5]), cr.ones(2)),
        ValueError,
        "binary_cross_entropy: input must hold probabilities in [0, 1], got values from 0.5 to 1.5",
    ),
    (
        lambda: F.binary_cross_entropy(cr.tensor([0.5, 0.5]), cr.ones(2), cr.ones(3)),
        ValueError,
        "binary_cross_entropy: weight of shape (3,) does not broadcast to input of shape (2,)",
    ),
    (
        lambda: F.binary_cross_entropy(cr.tensor([0.5, 0.5]), cr.ones(2), "sum"),
        TypeError,
        "binary_cross_entropy: weight must be a tensor, got 'sum'; pass reduction= by name",
    ),
    (
        lambda: F.binary_cross_entropy_with_logits(
            cr.ones((2, 3)), cr.ones((2, 3)), pos_weight=cr.ones(2)
        ),
        ValueError,
        "binary_cross_entropy_with_logits: pos_weight of shape (2,) does not broadcast to "
        "input of shape (2, 3)",
    ),
]


@pytest.mark.parametrize("call,error,message", POINTWISE_ERRORS)
def test_pointwise_loss_errors_name_the_op_and_shapes(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# ---------------------------------------------------------------------- loss modules
def _loss_case(rng, name):
    """(chainrule kwargs, torch kwargs, input, target) for one loss module."""
    x = rng.standard_normal((4, 3))
    labels, soft = rng.integers(0, 3, 4), rng.uniform(size=(4, 3))
    weight = np.array([0.5, 2.0, 1.0])
    return {
        "CrossEntropyLoss": (
            {"weight": weight, "label_smoothing": 0.1, "ignore_index": 0},
            x,
            labels,
        ),
        "NLLLoss": ({"weight": weight, "reduction": "sum"}, x, labels),
        "MSELoss": ({"reduction": "none"}, x, soft),
        "L1Loss": ({}, x, soft),
        "BCELoss": ({"weight": weight}, soft * 0.9 + 0.05, rng.uniform(size=(4, 3))),
        "BCEWithLogitsLoss": ({"pos_weight": weight, "reduction": "sum"}, x, soft),
        "HuberLoss": ({"delta": 0.3}, x, soft),
        "SmoothL1Loss": ({"beta": 0.3}, x, soft),
        "KLDivLoss": ({"reduction": "batchmean", "log_target": True}, x, soft),
    }[name]


LOSS_MODULES = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss",
                "BCEWithLogitsLoss", "HuberLoss", "SmoothL1Loss", "KLDivLoss"]  # fmt: skip


@pytest.mark.parametrize("name", LOSS_MODULES)
def test_loss_module_matches_torchs(rng, name):
    kwargs, x, target = _loss_case(rng, name)
    theirs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours_module, torch_module = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**theirs)
    assert repr(ours_module) == repr(torch_module)
    versus_torch(ours_module, torch_module, x, target, needs_grad=[True, False])
    expected_state = set(torch_module.state_dict())
    assert set(ours_module.state_dict()) == expected_state
    for key in expected_state:
        np.testing.assert_array_equal(ours_module.state_dict()[key], kwargs[key])


@pytest.mark.parametrize("name", LOSS_MODULES)
@pytest.mark.parametrize("kind", ["ndarray", "list"])
def test_loss_module_takes_arrays_as_tensors(rng, name, kind):
    kwargs, x, target = _loss_case(rng, name)
    module = getattr(nn, name)(**kwargs)
    expected = module(cr.Tensor(x), cr.Tensor(target))
    given = (x, target) if kind == "ndarray" else (x.tolist(), target.tolist())
    out = module(*given)
    rtol = 0 if kind == "ndarray" else 1e-6  # a list becomes float32
    np.testing.assert_allclose(out.data, expected.data, rtol=rtol, atol=1e-7)


@pytest.mark.parametrize(
    "size_average,reduce", [(None, False), (False, None), (True, True), (False, False)]
)
def test_loss_modules_read_the_deprecated_flags_as_torch(size_average, reduce):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = nn.MSELoss(size_average, reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.MSELoss(size_average, reduce)
    assert ours.reduction == theirs.reduction
    with pytest.warns(UserWarning, match="size_average and reduce"):
        weighted = nn.CrossEntropyLoss(None, size_average, -100, reduce)
    assert weighted.reduction == theirs.reduction


def test_loss_module_weights_move_with_the_module():
    xp = pytest.importorskip("array_api_strict")
    loss = nn.CrossEntropyLoss(weight=cr.tensor([1.0, 2.0]))
    loss.to(xp)
    assert type(loss.weight) is not np.ndarray
    assert nn.BCEWithLogitsLoss().pos_weight is None


# ---------------------------------------------------------------------- other namespaces
def test_activations_and_losses_on_array_api_strict_match_numpy(rng):
    xp = pytest.importorskip("array_api_strict")
    x = rng.standard_normal((4, 3)).astype(np.float32)
    labels = np.array([0, 2, -100, 1])
    results = []
    for move in (False, True):
        t = cr.tensor(x, requires_grad=True)
        target = cr.tensor(labels)
        if move:
            t, target = t.to(xp).requires_grad_(True), target.to(xp)
        loss = (
            F.gelu(t).sum()
            + F.elu(t).sum()
            + F.hardswish(t).sum()
            + F.softplus(t, beta=2.0).sum()
            + F.cross_entropy(t, target, [1.0, 2.0, 0.5], label_smoothing=0.1)
        )
        loss.backward()
        results.append((loss.numpy(), t.grad.numpy()))
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- the spec lines
MY_SPECS = [
    name
    for name in SPECS
    if name.split("_")[0]
    in {"gelu", "silu", "mish", "elu", "celu", "selu", "leaky", "hardtanh", "relu6", "hardsigmoid",
        "hardswish", "softsign", "logsigmoid", "softmin", "nll", "l1", "smooth", "huber", "kl",
        "binary"}
    or name in {"softplus_beta_threshold", "softmax_dim", "cross_entropy_options",
                "cross_entropy_one_sample", "cross_entropy_spatial_none",
                "cross_entropy_soft_smoothed"}
]  # fmt: skip


@pytest.mark.parametrize("name", MY_SPECS)
def test_spec_line_agrees_with_its_references(name):
    spec = SPECS[name]
    arrays = spec.draw()
    out = spec.fn(*[cr.tensor(a) for a in arrays])
    np.testing.assert_allclose(out.data, spec.numpy(*arrays), rtol=1e-12, atol=1e-14)
    versus_torch(spec.fn, spec.torch, *arrays)


@pytest.mark.parametrize("shape", [(), (3,), (4, 5)])
def test_gelu_tanh_kernels_of_cpu_and_portable_agree(shape):
    import array_api_strict as xps

    from chainrule.backends import namespace

    rng = np.random.default_rng(0)
    a, grad = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    portable = namespace(xps.asarray(a))
    out, t = cpu.gelu_tanh(a)
    want_out, want_t = portable.gelu_tanh(xps.asarray(a))
    np.testing.assert_allclose(out, np.asarray(want_out), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(t, np.asarray(want_t), rtol=1e-13, atol=1e-15)
    got = cpu.gelu_tanh_backward(a, t, grad)
    want = portable.gelu_tanh_backward(xps.asarray(a), xps.asarray(t), xps.asarray(grad))
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12, atol=1e-15)
    assert out.shape == t.shape == got.shape == shape


@pytest.mark.parametrize("kernel", ["sigmoid_backward", "tanh_backward"])
@pytest.mark.parametrize(
    "shape, grad_dtype", [((), "float64"), ((4, 5), "float64"), ((4, 5), "float32")]
)
def test_sigmoid_and_tanh_backward_kernels_of_cpu_and_portable_agree(kernel, shape, grad_dtype):
    import array_api_strict as xps

    from chainrule.backends import namespace

    rng = np.random.default_rng(0)
    out = np.tanh(rng.standard_normal(shape))  # in (-1, 1), as both functions' values are
    grad = rng.standard_normal(shape).astype(grad_dtype)
    got = getattr(cpu, kernel)(out, grad)
    portable = namespace(xps.asarray(out))
    want = getattr(portable, kernel)(xps.asarray(out), xps.asarray(grad))
    assert np.shape(got) == shape and np.asarray(got).dtype == np.result_type(out, grad)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-15, atol=1e-15)
