"""nn.functional: activations, softmax family, linear and every loss, forward and backward."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from helpers import check_grad

REDUCTIONS = ["mean", "sum", "none"]


def np_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](losses)


def _probs(rng, shape):
    logits = rng.standard_normal(shape)
    return np.exp(np_log_softmax(logits, axis=-1))


# ---------------------------------------------------------------------- activations
ACTIVATIONS = {
    "relu": (F.relu, lambda a: np.maximum(a, 0)),
    "sigmoid": (F.sigmoid, lambda a: 1 / (1 + np.exp(-a))),
    "tanh": (F.tanh, np.tanh),
    "softplus": (F.softplus, lambda a: np.log1p(np.exp(a))),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_activation_forward(rng, name, shape):
    fn, reference = ACTIVATIONS[name]
    x = np.asarray(rng.standard_normal(shape))
    np.testing.assert_allclose(fn(cr.tensor(x)).data, reference(x), rtol=1e-12)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_activation_grad(rng, name, shape):
    x = np.asarray(rng.standard_normal(shape))
    x = np.where(np.abs(x) < 0.1, 0.5, x)  # away from relu's kink
    check_grad(ACTIVATIONS[name][0], x)


# ---------------------------------------------------------------------- softmax family
SOFTMAX_CASES = [((3, 4), 0), ((3, 4), -1), ((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), -1), ((5,), 0)]


@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES)
def test_log_softmax_forward(rng, shape, axis):
    x = rng.standard_normal(shape)
    out = F.log_softmax(cr.tensor(x), axis=axis)
    np.testing.assert_allclose(out.data, np_log_softmax(x, axis), rtol=1e-12)


@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES)
def test_log_softmax_grad(rng, shape, axis):
    check_grad(lambda t: F.log_softmax(t, axis=axis), rng.standard_normal(shape))


@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES)
def test_softmax_forward(rng, shape, axis):
    x = rng.standard_normal(shape)
    out = F.softmax(cr.tensor(x), axis=axis)
    np.testing.assert_allclose(out.data, np.exp(np_log_softmax(x, axis)), rtol=1e-12)
    np.testing.assert_allclose(out.data.sum(axis=axis), 1.0, rtol=1e-12)


@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES)
def test_softmax_grad(rng, shape, axis):
    check_grad(lambda t: F.softmax(t, axis=axis), rng.standard_normal(shape))


def test_softmax_default_axis_is_last(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(
        F.softmax(cr.tensor(x)).data, F.softmax(cr.tensor(x), axis=-1).data, rtol=0
    )


LARGE_LOGITS = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0], [-1000.0, -1000.0, 0.0]])


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_large_logits_finite(axis):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = F.softmax(cr.tensor(LARGE_LOGITS), axis=axis)
    np.testing.assert_allclose(out.data, np.exp(np_log_softmax(LARGE_LOGITS, axis)), atol=1e-15)
    np.testing.assert_allclose(out.data.sum(axis=axis), 1.0, rtol=1e-12)


@pytest.mark.parametrize("axis", [0, -1])
def test_log_softmax_large_logits_finite(axis):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = F.log_softmax(cr.tensor(LARGE_LOGITS), axis=axis)
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, np_log_softmax(LARGE_LOGITS, axis), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
def test_softmax_large_logits_grad(axis, fn):
    check_grad(lambda t: fn(t, axis=axis), LARGE_LOGITS)


def test_log_softmax_grad_values():
    x = cr.tensor([[0.0, 0.0]], dtype=np.float64, requires_grad=True)
    F.log_softmax(x)[:, 0].sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.5, -0.5]])


# ---------------------------------------------------------------------- linear
LINEAR_SHAPES = [(5, 3), (1, 3), (3,), (2, 5, 3)]  # (1, 3): the batch-1 path


@pytest.mark.parametrize("shape", LINEAR_SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward(rng, shape, bias):
    x, w, b = rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    out = F.linear(cr.tensor(x), cr.tensor(w), cr.tensor(b) if bias else None)
    np.testing.assert_allclose(out.data, x @ w.T + (b if bias else 0), rtol=1e-12)


@pytest.mark.parametrize("shape", LINEAR_SHAPES)
def test_linear_grad_with_bias(rng, shape):
    arrays = rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    check_grad(F.linear, *arrays)


@pytest.mark.parametrize("shape", LINEAR_SHAPES)
def test_linear_grad_without_bias(rng, shape):
    check_grad(F.linear, rng.standard_normal(shape), rng.standard_normal((4, 3)))


def test_linear_mismatched_shape_raises():
    with pytest.raises(ValueError, match=re.escape("linear: input of shape (5, 2)")):
        F.linear(cr.ones((5, 2)), cr.ones((4, 3)))


# ---------------------------------------------------------------------- mse_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_forward(rng, reduction):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out = F.mse_loss(cr.tensor(x), cr.tensor(y), reduction=reduction)
    np.testing.assert_allclose(out.data, np_reduce((x - y) ** 2, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_mse_loss_grad(rng, reduction, shape):
    x, y = np.asarray(rng.standard_normal(shape)), np.asarray(rng.standard_normal(shape))
    check_grad(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, y)


def test_mse_loss_shape_mismatch_raises():
    with pytest.raises(ValueError, match="mse_loss: input of shape"):
        F.mse_loss(cr.ones((3,)), cr.ones((4,)))


# ---------------------------------------------------------------------- cross_entropy
def _ce_case(rng, n=4, classes=3):
    return rng.standard_normal((n, classes)), rng.integers(0, classes, size=n)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices_forward(rng, reduction):
    logits, target = _ce_case(rng)
    out = F.cross_entropy(cr.tensor(logits), target, reduction=reduction)
    losses = -np_log_softmax(logits, 1)[np.arange(4), target]
    np.testing.assert_allclose(out.data, np_reduce(losses, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices_grad(rng, reduction):
    logits, target = _ce_case(rng)
    check_grad(lambda z: F.cross_entropy(z, target, reduction=reduction), logits)


def test_cross_entropy_indices_grad_is_softmax_minus_one_hot(rng):
    logits, target = _ce_case(rng)
    z = cr.tensor(logits, requires_grad=True)
    F.cross_entropy(z, target).backward()
    expected = np.exp(np_log_softmax(logits, 1))
    expected[np.arange(4), target] -= 1
    np.testing.assert_allclose(z.grad.data, expected / 4, rtol=1e-12)


def test_cross_entropy_indices_as_tensor(rng):
    logits, target = _ce_case(rng)
    expected = F.cross_entropy(cr.tensor(logits), target).item()
    assert F.cross_entropy(cr.tensor(logits), cr.tensor(target)).item() == expected


def test_cross_entropy_large_logits_finite():
    logits = np.array([[1000.0, -1000.0], [0.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = F.cross_entropy(cr.tensor(logits), np.array([1, 1]), reduction="none")
    np.testing.assert_allclose(out.data, [2000.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_forward(rng, reduction):
    logits, probs = rng.standard_normal((4, 3)), _probs(rng, (4, 3))
    out = F.cross_entropy(cr.tensor(logits), probs, reduction=reduction)
    losses = -(np_log_softmax(logits, 1) * probs).sum(axis=1)
    np.testing.assert_allclose(out.data, np_reduce(losses, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_grad(rng, reduction):
    logits, probs = rng.standard_normal((4, 3)), _probs(rng, (4, 3))
    check_grad(lambda z, p: F.cross_entropy(z, p, reduction=reduction), logits, probs)


def test_cross_entropy_one_hot_probabilities_match_indices(rng):
    logits, target = _ce_case(rng)
    one_hot = np.eye(3)[target]
    soft = F.cross_entropy(cr.tensor(logits), one_hot).item()
    hard = F.cross_entropy(cr.tensor(logits), target).item()
    np.testing.assert_allclose(soft, hard, rtol=1e-12)


@pytest.mark.parametrize("bad", [[0, 3], [-1, 0]], ids=["too_large", "negative"])
def test_cross_entropy_target_out_of_range_raises(bad):
    with pytest.raises(ValueError, match=re.escape("target class indices must lie in [0, 3)")):
        F.cross_entropy(cr.ones((2, 3)), np.array(bad))


def test_cross_entropy_target_wrong_dtype_raises():
    with pytest.raises(ValueError, match="cross_entropy: target must be int class indices"):
        F.cross_entropy(cr.ones((2, 3)), np.array([0.0, 1.0]))


def test_cross_entropy_target_wrong_length_raises():
    with pytest.raises(ValueError, match=re.escape("of shape (2,)")):
        F.cross_entropy(cr.ones((2, 3)), np.array([0, 1, 2]))


def test_cross_entropy_probabilities_wrong_shape_raises():
    with pytest.raises(ValueError, match="cross_entropy: target must be"):
        F.cross_entropy(cr.ones((2, 3)), np.full((2, 4), 0.25))


def test_cross_entropy_scalar_input_raises():
    with pytest.raises(ValueError, match=re.escape("input must have shape (C,), (N, C) or")):
        F.cross_entropy(cr.tensor(1.0), np.array(0))


@pytest.mark.parametrize(
    "loss",
    [
        lambda r: F.cross_entropy(cr.ones((2, 3)), np.array([0, 1]), reduction=r),
        lambda r: F.mse_loss(cr.ones(2), cr.ones(2), reduction=r),
        lambda r: F.binary_cross_entropy(cr.ones(2) * 0.5, cr.ones(2), reduction=r),
        lambda r: F.binary_cross_entropy_with_logits(cr.ones(2), cr.ones(2), reduction=r),
    ],
    ids=["cross_entropy", "mse_loss", "bce", "bce_with_logits"],
)
def test_loss_bad_reduction_raises(loss):
    with pytest.raises(ValueError, match="reduction must be one of"):
        loss("average")


@pytest.mark.parametrize("target_kind", ["indices", "probabilities"])
def test_cross_entropy_float32_stays_float32(rng, target_kind):
    logits = cr.tensor(rng.standard_normal((4, 3)), dtype=np.float32, requires_grad=True)
    target = rng.integers(0, 3, 4) if target_kind == "indices" else _probs(rng, (4, 3))
    target = target if target_kind == "indices" else target.astype(np.float32)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    assert loss.dtype == np.float32
    assert logits.grad.dtype == np.float32


# ---------------------------------------------------------------------- binary cross-entropy
def _bce_case(rng, shape=(3, 4)):
    return rng.uniform(0.05, 0.95, size=shape), rng.uniform(0.0, 1.0, size=shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_forward(rng, reduction):
    p, t = _bce_case(rng)
    out = F.binary_cross_entropy(cr.tensor(p), cr.tensor(t), reduction=reduction)
    losses = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(out.data, np_reduce(losses, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_bce_grad(rng, reduction, shape):
    check_grad(
        lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction), *_bce_case(rng, shape)
    )


def test_bce_shape_mismatch_raises():
    with pytest.raises(ValueError, match="binary_cross_entropy: input of shape"):
        F.binary_cross_entropy(cr.ones(3) * 0.5, cr.ones(4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_forward(rng, reduction):
    x, t = rng.standard_normal((3, 4)) * 3, rng.uniform(0.0, 1.0, size=(3, 4))
    out = F.binary_cross_entropy_with_logits(cr.tensor(x), cr.tensor(t), reduction=reduction)
    losses = np.logaddexp(0, x) - x * t
    np.testing.assert_allclose(out.data, np_reduce(losses, reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_bce_with_logits_grad(rng, reduction, shape):
    x, t = rng.standard_normal(shape) * 3, rng.uniform(0.0, 1.0, size=shape)
    check_grad(lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction=reduction), x, t)


EXTREME_LOGITS = np.array([-50.0, 0.0, 50.0, 0.0, 50.0, -50.0])
EXTREME_TARGETS = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0])


def test_bce_with_logits_extreme_values():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = F.binary_cross_entropy_with_logits(
            cr.tensor(EXTREME_LOGITS), cr.tensor(EXTREME_TARGETS), reduction="none"
        )
    tiny = np.exp(-50.0)
    expected = [tiny, np.log(2), tiny, np.log(2), 50.0, 50.0]
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)


def test_bce_with_logits_extreme_grads():
    x = cr.tensor(EXTREME_LOGITS, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        F.binary_cross_entropy_with_logits(
            x, cr.tensor(EXTREME_TARGETS), reduction="sum"
        ).backward()
    tiny = np.exp(-50.0)
    np.testing.assert_allclose(x.grad.data, [tiny, 0.5, -tiny, -0.5, 1.0, -1.0], atol=1e-15)


def test_bce_with_logits_zero_logit_mean_grad():
    x = cr.tensor(np.zeros(4), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, cr.tensor([0.0, 1.0, 1.0, 0.5]))
    loss.backward()
    np.testing.assert_allclose(loss.item(), np.log(2), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, [0.125, -0.125, -0.125, 0.0], rtol=1e-12)


def test_bce_with_logits_extreme_grad_check():
    check_grad(F.binary_cross_entropy_with_logits, EXTREME_LOGITS, EXTREME_TARGETS)


def test_bce_with_logits_huge_logits_no_overflow():
    x = cr.tensor([-1000.0, 1000.0], dtype=np.float64, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = F.binary_cross_entropy_with_logits(x, cr.tensor([1.0, 0.0]), reduction="sum")
        loss.backward()
    np.testing.assert_allclose(loss.item(), 2000.0)
    np.testing.assert_allclose(x.grad.data, [-1.0, 1.0])


def test_bce_with_logits_matches_bce_of_sigmoid(rng):
    x, t = rng.standard_normal(6), rng.uniform(0.0, 1.0, size=6)
    fused = F.binary_cross_entropy_with_logits(cr.tensor(x), cr.tensor(t)).item()
    plain = F.binary_cross_entropy(F.sigmoid(cr.tensor(x)), cr.tensor(t)).item()
    np.testing.assert_allclose(fused, plain, rtol=1e-12)


# ---------------------------------------------------------------------- what the loaders give
def _x(rng):
    return rng.standard_normal((4, 6))


def _nchw(rng):
    return rng.standard_normal((2, 3, 4, 4))


# name: (the array arguments, other keyword arguments)
FUNCTIONALS = {
    "relu": (lambda rng: [_x(rng)], {}),
    "sigmoid": (lambda rng: [_x(rng)], {}),
    "tanh": (lambda rng: [_x(rng)], {}),
    "softplus": (lambda rng: [_x(rng)], {}),
    "softmax": (lambda rng: [_x(rng)], {"axis": 0}),
    "log_softmax": (lambda rng: [_x(rng)], {}),
    "linear": (lambda rng: [_x(rng), rng.standard_normal((3, 6)), np.ones(3)], {}),
    "mse_loss": (lambda rng: [_x(rng), _x(rng)], {}),
    "cross_entropy": (lambda rng: [_x(rng), np.array([0, 5, 2, 2])], {}),
    "binary_cross_entropy": (lambda rng: [rng.uniform(0.1, 0.9, (4, 6)), _x(rng) > 0], {}),
    "binary_cross_entropy_with_logits": (lambda rng: [_x(rng), rng.uniform(size=(4, 6))], {}),
    "conv2d": (lambda rng: [_nchw(rng), rng.standard_normal((2, 3, 3, 3)), np.ones(2)], {}),
    "max_pool2d": (lambda rng: [_nchw(rng)], {"kernel_size": 2}),
    "avg_pool2d": (lambda rng: [_nchw(rng)], {"kernel_size": 2, "padding": 1}),
    "batch_norm": (lambda rng: [_nchw(rng), None, None], {"training": True}),
    "dropout": (lambda rng: [_x(rng)], {"p": 0.5}),
    # activations and losses
    **{
        name: (lambda rng: [_x(rng)], {})
        for name in (
            "gelu silu mish elu celu selu leaky_relu hardtanh relu6 hardsigmoid hardswish "
            "softsign logsigmoid softmin"
        ).split()
    },
    "nll_loss": (lambda rng: [_x(rng), np.array([0, 5, -100, 2])], {"weight": np.ones(6)}),
    "l1_loss": (lambda rng: [_x(rng), _x(rng)], {}),
    "smooth_l1_loss": (lambda rng: [_x(rng), _x(rng)], {"beta": 0.5}),
    "huber_loss": (lambda rng: [_x(rng), _x(rng)], {"delta": 0.5}),
    "kl_div": (lambda rng: [_x(rng), rng.uniform(size=(4, 6))], {"reduction": "batchmean"}),
    "conv1d": (lambda rng: [_x(rng)[None], rng.standard_normal((2, 4, 3))], {"padding": 1}),
    "conv_transpose1d": (lambda rng: [_x(rng)[None], rng.standard_normal((4, 2, 3))], {}),
    "conv_transpose2d": (lambda rng: [_nchw(rng), rng.standard_normal((3, 2, 3, 3))], {}),
    "unfold": (lambda rng: [_nchw(rng)], {"kernel_size": 2, "dilation": 2}),
    "fold": (lambda rng: [rng.standard_normal((2, 12, 9))], {"output_size": 4, "kernel_size": 2}),
    "max_pool1d": (lambda rng: [_x(rng)[None]], {"kernel_size": 2}),
    "avg_pool1d": (lambda rng: [_x(rng)[None]], {"kernel_size": 2}),
    "max_unpool1d": (
        lambda rng: [_x(rng)[None, :, :3], np.array([[0, 2, 5]] * 4)[None]],
        {"kernel_size": 2},
    ),
    "max_unpool2d": (
        lambda rng: [_nchw(rng)[:, :, :2, :2], np.array([[[[0, 2], [8, 11]]] * 3] * 2)],
        {"kernel_size": 2},
    ),
    "adaptive_avg_pool1d": (lambda rng: [_x(rng)[None]], {"output_size": 4}),
    "adaptive_avg_pool2d": (lambda rng: [_nchw(rng)], {"output_size": 3}),
    "adaptive_max_pool1d": (lambda rng: [_x(rng)[None]], {"output_size": 4}),
    "adaptive_max_pool2d": (lambda rng: [_nchw(rng)], {"output_size": 3}),
    "interpolate": (lambda rng: [_nchw(rng)], {"scale_factor": 1.5, "mode": "bicubic"}),
    "dropout1d": (lambda rng: [_x(rng)[None]], {"p": 0.5}),
    "dropout2d": (lambda rng: [_nchw(rng)], {"p": 0.5}),
    "dropout3d": (lambda rng: [_nchw(rng)], {"p": 0.5}),
    "alpha_dropout": (lambda rng: [_x(rng)], {"p": 0.5, "training": True}),
    "feature_alpha_dropout": (lambda rng: [_nchw(rng)], {"p": 0.5, "training": True}),
    "layer_norm": (lambda rng: [_x(rng)], {"normalized_shape": 6, "eps": 1e-3}),
    "group_norm": (lambda rng: [_nchw(rng)], {"num_groups": 3}),
    "normalize": (lambda rng: [_x(rng)], {"p": 3}),
    "embedding": (lambda rng: [np.array([[0, 2], [1, 1]]), _x(rng)], {"padding_idx": 1}),
    # -- sequence models: attention
    "scaled_dot_product_attention": (lambda rng: [_x(rng), _x(rng), _x(rng)], {"is_causal": True}),
}


def test_functional_table_covers_every_function():
    public = {
        name
        for name, value in vars(F).items()
        if callable(value) and getattr(value, "__module__", "") == F.__name__ and name[0] != "_"
    }
    assert public == set(FUNCTIONALS)


@pytest.mark.parametrize("kind", ["ndarray", "list"])
@pytest.mark.parametrize("name", list(FUNCTIONALS))
def test_functional_takes_arrays_as_tensors(name, kind, rng):
    from chainrule.nn import init

    function, (make, kwargs) = getattr(F, name), FUNCTIONALS[name]
    arrays = make(rng)
    if kind == "list":  # a list becomes the tensor cr.tensor makes of it (float32, int64)
        arrays = [None if a is None else cr.tensor(a.tolist()).data for a in arrays]
    init.manual_seed(0)  # dropout: the same mask for both calls
    expected = function(*[None if a is None else cr.Tensor(a) for a in arrays], **kwargs)
    init.manual_seed(0)
    given = [a.tolist() if kind == "list" and a is not None else a for a in arrays]
    out = function(*given, **kwargs)
    assert isinstance(out, cr.Tensor) and out.dtype == expected.dtype
    assert out.dtype == (np.float64 if kind == "ndarray" else np.float32)
    np.testing.assert_array_equal(out.data, expected.data)
