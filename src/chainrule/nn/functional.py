"""Stateless neural-network functions and losses, composed from the primitives in ``ops``.

A composite here needs no backward of its own: the engine differentiates its pieces.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import conv, ops
from ..arguments import axis_of
from ..backends import dtype_kind, namespace
from ..tensor import Tensor
from . import init, resampling, windows

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x: Any, op: str) -> Tensor:
    """``x`` as a Tensor where Tensor methods are called on it (ops coerce their own inputs).

    So layers and functions take what a DataLoader gives (ndarrays), lists and numbers.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic, list, tuple, float, int)):
        return Tensor(x)
    raise TypeError(f"{op}: expected a Tensor or array, got {type(x).__name__}")


def _target(target: Any, input: Tensor, op: str) -> Tensor:
    """A loss target as a Tensor of the input's float dtype (int labels are not promoted)."""
    target = _tensor(target, op)
    if target.dtype != input.dtype and target.dtype.kind != "f":
        return Tensor(target.data.astype(input.dtype))
    return target


def _check_reduction(op: str, reduction: str, allowed: tuple[str, ...] = _REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    """The mean, the sum or (reduction "none", each loss checks it first) all of ``losses``."""
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


# ---------------------------------------------------------------------- activations
def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return ops.Relu.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise and overflow-free."""
    return ops.Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return ops.Tanh.apply(x)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, elementwise and overflow-free; x itself where
    beta x > threshold, as PyTorch. Its derivative is sigmoid(beta x) (1 where linear).

    Example:
        >>> import chainrule as cr
        >>> softplus(cr.tensor([0.0, 30.0]), beta=2.0).tolist()  # log(2) / 2, then linear
        [0.3465735912322998, 30.0]
    """
    x = _floating(input, "softplus")
    scaled = x if beta == 1 else x * beta
    out = ops.Softplus.apply(scaled)
    return ops.where(scaled.data > threshold, x, out if beta == 1 else out / beta)


def _softmax_axis(op: str, axis: int | None, dim: int | None) -> int:
    """``dim=`` (PyTorch) or ``axis=``, the last axis when neither is given.

    NOTE: PyTorch's implicit choice without ``dim`` (deprecated there) is not copied.
    """
    chosen = axis_of(op, axis, dim)
    return -1 if chosen is None else chosen


def log_softmax(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``dim`` (the last by default), stable for large logits.

    Example:
        >>> import chainrule as cr
        >>> log_softmax(cr.tensor([0.0, 0.0])).exp()
        tensor([0.5, 0.5])
    """
    return ops.LogSoftmax.apply(input, axis=_softmax_axis("log_softmax", axis, dim))


def softmax(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (the last by default), through the stable log-softmax."""
    return ops.LogSoftmax.apply(input, axis=_softmax_axis("softmax", axis, dim)).exp()


def softmin(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """softmax(-x) along ``dim`` (the last by default): the smallest entries weigh most."""
    x = _floating(input, "softmin")
    return ops.LogSoftmax.apply(-x, axis=_softmax_axis("softmin", axis, dim)).exp()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight^T + bias.

    Shape:
        x (N, in_features), weight (out_features, in_features), bias (out_features,)
        -> (N, out_features)
    """
    if bias is None:
        return ops.Linear.apply(x, weight)
    return ops.Linear.apply(x, weight, bias)


# PyTorch's activations; ``inplace`` is accepted for its signatures, but the result is always
# a new tensor (autograd here keeps no version counters to make writing into inputs safe).
def _floating(x: Any, op: str) -> Tensor:
    """``x`` as a Tensor, which must hold floats (an activation of ints has no gradient)."""
    x = _tensor(x, op)
    if dtype_kind(x.dtype) != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {x.dtype}")
    return x


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; ``approximate="tanh"`` uses
    0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).

    Example:
        >>> import chainrule as cr
        >>> round(gelu(cr.tensor(1.0)).item(), 4)  # 1 * Phi(1)
        0.8413
    """
    x = _floating(input, "gelu")
    if approximate == "none":
        return x * ops.NormalCdf.apply(x)
    if approximate == "tanh":
        return ops.GeluTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Any, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x = _floating(input, "silu")
    return x * x.sigmoid()


def mish(input: Any, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    x = _floating(input, "mish")
    return x * ops.Softplus.apply(x).tanh()


def _exponential_linear(x: Tensor, alpha: float, inner: float) -> Tensor:
    """x where x > 0, else alpha (exp(inner x) - 1); exp sees only x <= 0, so never overflows
    (an overflow there would make the unused branch's gradient 0 * inf = nan)."""
    positive = x.data > 0
    negative = ops.where(positive, 0.0, x)
    return ops.where(
        positive, x, ((negative if inner == 1 else negative * inner).exp() - 1) * alpha
    )


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha (exp(x) - 1)."""
    return _exponential_linear(_floating(input, "elu"), alpha, 1.0)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha (exp(x / alpha) - 1): continuously differentiable in x."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return _exponential_linear(_floating(input, "celu"), alpha, 1 / alpha)


def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants (scale 1.0507, alpha 1.6733)."""
    return _exponential_linear(_floating(input, "selu"), _SELU_ALPHA, 1.0) * _SELU_SCALE


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    x = _floating(input, "leaky_relu")
    return ops.where(x.data > 0, x, x * negative_slope)


def hardtanh(
    input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 0 from the bounds on, as PyTorch's.

    Example:
        >>> import chainrule as cr
        >>> hardtanh(cr.tensor([-2.0, 0.5, 3.0]))
        tensor([-1. ,  0.5,  1. ])
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")
    x = _floating(input, "hardtanh")
    return ops.where(x.data <= min_val, min_val, ops.where(x.data >= max_val, max_val, x))


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(_floating(input, "relu6"), 0.0, 6.0)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between: a piecewise-linear sigmoid."""
    x = _floating(input, "hardsigmoid")
    return ops.where(x.data <= -3, 0.0, ops.where(x.data >= 3, 1.0, x / 6 + 0.5))


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x)."""
    x = _floating(input, "hardswish")
    return x * hardsigmoid(x)


def softsign(input: Any) -> Tensor:
    """x / (1 + |x|)."""
    x = _floating(input, "softsign")
    return x / (x.abs() + 1)


def logsigmoid(input: Any) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for any x."""
    x = _floating(input, "logsigmoid")
    return -ops.Softplus.apply(-x)


# ---------------------------------------------------------------------- losses
def _pointwise(op: str, input: Any, target: Any, reduction: str) -> tuple[Tensor, Tensor]:
    """An elementwise loss's input and target as Tensors of one shape, its reduction checked."""
    # NOTE: two Tensors of one dtype, the usual case, skip the converting calls.
    tensors = type(input) is Tensor and type(target) is Tensor
    if not tensors or target.data.dtype != input.data.dtype:
        input = _tensor(input, op)
        target = _target(target, input, op)
    if input.data.shape != target.data.shape:
        raise ValueError(
            f"{op}: input of shape {input.shape} and target of shape {target.shape} differ"
        )
    _check_reduction(op, reduction)
    return input, target


def _like(value: Any, like: Any) -> Any:
    """``value`` (a Tensor, array or list) as an array of ``like``'s namespace and dtype."""
    xp = like.__array_namespace__()
    data = value.data if isinstance(value, Tensor) else value
    return xp.astype(xp.asarray(data, device=like.device), like.dtype)


def _not_a_reduction(op: str, name: str, value: Any) -> None:
    """A string where a weight goes is a reduction passed by position (before PyTorch's
    signatures put weight third): name the fix."""
    if isinstance(value, str):
        raise TypeError(f"{op}: {name} must be a tensor, got {value!r}; pass reduction= by name")


def _weighted(op: str, name: str, losses: Tensor, weight: Any) -> Tensor:
    """``losses * weight`` for a weight that broadcasts to the losses' shape (None: no weight)."""
    if weight is None:
        return losses
    _not_a_reduction(op, name, weight)
    weight = weight if isinstance(weight, Tensor) else Tensor(_like(weight, losses.data))
    try:
        fits = np.broadcast_shapes(weight.shape, losses.shape) == losses.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {weight.shape} does not broadcast to input of shape "
            f"{losses.shape}"
        )
    return losses * weight


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (input - target)^2, averaged, summed or kept per element.

    Example:
        >>> import chainrule as cr
        >>> mse_loss(cr.tensor([1.0, 3.0]), cr.tensor([1.0, 1.0])).item()
        2.0
    """
    input, target = _pointwise("mse_loss", input, target, reduction)
    # NOTE: one fused node, not three (sub, mul, mean): a tiny net's step is mostly overhead.
    return ops.SquaredError.apply(input, target, reduction=reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Absolute error |input - target|, averaged, summed or kept per element."""
    input, target = _pointwise("l1_loss", input, target, reduction)
    return _reduce((input - target).abs(), reduction)


def _huber(diff: Tensor, delta: float) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2): quadratic near 0, linear beyond."""
    size = diff.abs()
    return ops.where(size.data < delta, diff * diff * 0.5, (size - delta * 0.5) * delta)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 (input - target)^2 where |input - target| < delta, else delta (|d| - delta / 2).

    Example:
        >>> import chainrule as cr
        >>> huber_loss(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0]), reduction="none")
        tensor([0.125, 2.5  ])
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pointwise("huber_loss", input, target, reduction)
    return _reduce(_huber(input - target, delta), reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """huber_loss / beta: 0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (d the error);
    beta = 0 is the L1 loss."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    input, target = _pointwise("smooth_l1_loss", input, target, reduction)
    diff = input - target
    losses = diff.abs() if beta == 0 else _huber(diff, beta) / beta
    return _reduce(losses, reduction)


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence terms target (log target - input), ``input`` holding log-probabilities
    (and ``target`` too with ``log_target``); 0 where target is 0. Shapes broadcast.

    ``reduction="batchmean"`` divides the sum by the batch size (the first dim): the KL
    divergence per sample. "mean" divides by every element, which PyTorch warns is not it;
    so does this.

    Example:
        >>> import chainrule as cr
        >>> round(kl_div(cr.tensor([[-1.0, -0.5]]), cr.tensor([[0.0, 1.0]]), "batchmean").item(), 4)
        0.5
    """
    op = "kl_div"
    input = _tensor(input, op)
    target = _target(target, input, op)
    _check_reduction(op, reduction, (*_REDUCTIONS, "batchmean"))
    try:
        np.broadcast_shapes(input.shape, target.shape)
    except ValueError:
        raise ValueError(
            f"{op}: input of shape {input.shape} and target of shape {target.shape} "
            "do not broadcast"
        ) from None
    if log_target:
        losses = target.exp() * (target - input)
    else:  # target log target is 0 at target = 0 (xlogy), so log sees 1 there
        losses = target * (ops.where(target.data == 0, 1.0, target).log() - input)
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides by the batch size only, as the KL divergence "
            "is defined",
            stacklevel=2,
        )
    return _reduce(losses, reduction)


def _classes(op: str, input: Tensor) -> tuple[int, int, tuple[int, ...]]:
    """The class axis of (C,), (N, C) or (N, C, d1, ...) input, its length, and the shape
    class-index targets have: (), (N,) or (N, d1, ...)."""
    if input.ndim == 0:
        raise ValueError(
            f"{op}: input must have shape (C,), (N, C) or (N, C, d1, ...), got {input.shape}"
        )
    if input.ndim == 1:
        return 0, input.shape[0], ()
    return 1, input.shape[1], (input.shape[0], *input.shape[2:])


def _class_weights(op: str, weight: Any, input: Tensor, classes: int) -> Any:
    """``weight``, one per class, as an array of the input's namespace and dtype (data: it
    gets no gradient, as in PyTorch), or None."""
    if weight is None:
        return None
    _not_a_reduction(op, "weight", weight)
    weight = _like(weight, input.data)
    if weight.shape != (classes,):
        raise ValueError(
            f"{op}: weight of shape {weight.shape} does not match the {classes} classes of "
            f"input {input.shape}"
        )
    return weight


def _along_classes(array: Any, axis: int, ndim: int) -> Any:
    """A (C,) array shaped to broadcast along the class axis of ``ndim``-d input."""
    xp = array.__array_namespace__()
    return xp.reshape(array, (array.shape[0],) + (1,) * (ndim - axis - 1))


def _class_index_losses(
    op: str,
    log_probs: Tensor,
    target: Any,
    weight: Any,
    ignore_index: int,
    label_smoothing: float,
    reduction: str,
) -> Tensor:
    """-sum_c m_c log p_c per sample, m the target's weights: w[t] (1 - eps) at class t plus
    w_c eps / C at every class c, 0 for samples whose target is ``ignore_index``.

    "mean" divides by the sum of w[t] over the samples kept, as PyTorch (nan if none is).
    """
    axis, classes, _ = _classes(op, log_probs)
    xp = target.__array_namespace__()
    keep = target != ignore_index
    if bool(xp.any(keep & ((target < 0) | (target >= classes)))):
        kept = target[keep]
        raise ValueError(
            f"{op}: target class indices must lie in [0, {classes}), got values from "
            f"{int(xp.min(kept))} to {int(xp.max(kept))} (ignore_index {ignore_index} aside)"
        )
    dtype, ndim = log_probs.dtype, log_probs.ndim
    columns = _along_classes(xp.arange(classes, device=log_probs.data.device), axis, ndim)
    per_class = xp.astype(xp.expand_dims(keep, axis=axis), dtype)
    if weight is not None:
        per_class = per_class * _along_classes(weight, axis, ndim)
    picked = xp.astype(xp.expand_dims(target, axis=axis) == columns, dtype) * per_class
    mask = picked
    if label_smoothing:
        mask = picked * (1 - label_smoothing) + per_class * (label_smoothing / classes)
    losses = -(log_probs * Tensor(mask)).sum(axis=axis)
    if reduction != "mean":
        return _reduce(losses, reduction)
    with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: 0 / 0 is nan
        return losses.sum() / Tensor(xp.sum(picked))


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """-input[n, target[n]] per sample, for log-probabilities ``input`` (C,), (N, C) or
    (N, C, d1, ...) and int class indices ``target`` (), (N,) or (N, d1, ...).

    ``weight`` (C,) scales each class's losses, and "mean" divides by the weights summed over
    the samples; samples whose target is ``ignore_index`` count nothing.

    Example:
        >>> import chainrule as cr
        >>> nll_loss(cr.tensor([[-1.0, -2.0], [-3.0, -4.0]]), [1, -100]).item()
        2.0
    """
    op = "nll_loss"
    input = _tensor(input, op)
    _check_reduction(op, reduction)
    _, classes, index_shape = _classes(op, input)
    weight = _class_weights(op, weight, input, classes)
    target_data = target.data if isinstance(target, Tensor) else np.asarray(target)
    if dtype_kind(target_data.dtype) not in "iu" or target_data.shape != index_shape:
        raise ValueError(
            f"{op}: target must be int class indices of shape {index_shape}, got "
            f"{target_data.dtype} {target_data.shape}"
        )
    return _class_index_losses(op, input, target_data, weight, ignore_index, 0.0, reduction)


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from raw scores: nll_loss(log_softmax(input), target).

    Args:
        input: unnormalised scores (C,), (N, C) or (N, C, d1, ...); classes on dim 1 (0 for
            a single sample).
        target: int class indices (), (N,) or (N, d1, ...) in [0, C), or class
            probabilities of the input's shape (soft labels; not checked, so mixing works).
        weight: one weight per class (C,), scaling each class's losses; "mean" then divides
            by the weights summed over the samples, as PyTorch.
        ignore_index: samples with this class index count nothing (class indices only).
        reduction: "mean" (default), "sum" or "none".
        label_smoothing: eps in [0, 1]: the target becomes (1 - eps) one_hot + eps / C.

    The plain case (N, C) or (C,) with class indices is one fused node whose gradient is
    softmax - one_hot; the options take composites.

    Example:
        >>> import chainrule as cr
        >>> round(cross_entropy(cr.tensor([[0.0, 0.0]]), [1]).item(), 4)
        0.6931
    """
    op = "cross_entropy"
    input = _tensor(input, op)
    _check_reduction(op, reduction)
    shape = input.shape
    target_data = target.data if isinstance(target, Tensor) else np.asarray(target)
    kind = dtype_kind(target_data.dtype)
    if (
        kind in "iu"
        and weight is None
        and not label_smoothing
        and len(shape) in (1, 2)
        and target_data.shape == shape[:-1]
    ):
        fused = _fused_cross_entropy(input, target_data, ignore_index, reduction)
        if fused is not None:
            return fused
    axis, classes, index_shape = _classes(op, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must lie in [0, 1], got {label_smoothing}")
    weight = _class_weights(op, weight, input, classes)
    log_probs = ops.LogSoftmax.apply(input, axis=axis)
    if kind in "iu" and target_data.shape == index_shape:
        return _class_index_losses(
            op, log_probs, target_data, weight, ignore_index, label_smoothing, reduction
        )
    if kind == "f" and target_data.shape == shape:
        if ignore_index >= 0:
            raise ValueError(f"{op}: ignore_index is not supported for probability targets")
        target = _target(target, input, op)
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        if weight is not None:
            target = target * Tensor(_along_classes(weight, axis, len(shape)))
        return _reduce(-(log_probs * target).sum(axis=axis), reduction)
    raise ValueError(
        f"{op}: target must be int class indices of shape {index_shape} or probabilities "
        f"of shape {shape}, got {target_data.dtype} {target_data.shape}"
    )


def _fused_cross_entropy(
    input: Tensor, target: Any, ignore_index: int, reduction: str
) -> Tensor | None:
    """The fused SoftmaxCrossEntropy node for (N, C) or (C,) input, or None where a target
    lies outside [0, C) or is ``ignore_index`` (the composite path handles, or names, it)."""
    classes = input.shape[-1]
    xp = namespace(target)
    low, high = (int(xp.min(target)), int(xp.max(target))) if target.size else (0, 0)
    if low < 0 or high >= classes:
        return None
    if low <= ignore_index <= high and bool(
        target.__array_namespace__().any(target == ignore_index)
    ):
        return None
    if input.ndim == 2:
        return ops.SoftmaxCrossEntropy.apply(input, target=target, reduction=reduction)
    one = ops.SoftmaxCrossEntropy.apply(
        input.reshape(1, classes), target=xp.reshape(target, (1,)), reduction=reduction
    )
    return one.reshape(()) if reduction == "none" else one


_LOG_FLOOR = math.exp(-100)


def _clamped_log(p: Tensor) -> Tensor:
    """log(p), at least -100 as in PyTorch's BCE: p = 0 costs 100 rather than inf, and the
    gradient stays finite (log sees 1 where the floor is taken)."""
    above = p.data > _LOG_FLOOR
    return ops.where(above, ops.where(above, p, 1.0).log(), -100.0)


def binary_cross_entropy(
    input: Any, target: Any, weight: Any = None, *, reduction: str = "mean"
) -> Tensor:
    """-w (t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1], each log at least
    -100 (as PyTorch); ``weight`` broadcasts to the input's shape.

    Prefer ``binary_cross_entropy_with_logits``: it is exact where p saturates at 0 or 1.
    """
    op = "binary_cross_entropy"
    input, target = _pointwise(op, input, target, reduction)
    data, xp = input.data, namespace(input.data)
    low, high = (float(xp.min(data)), float(xp.max(data))) if input.size else (0.0, 0.0)
    if not (low >= 0 and high <= 1):
        raise ValueError(
            f"{op}: input must hold probabilities in [0, 1], got values from {low} to {high}"
        )
    losses = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
    return _reduce(_weighted(op, "weight", losses, weight), reduction)


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(input), as softplus(x) - x t: stable for any x.

    ``pos_weight`` (broadcast along the last dims, one per class) scales the positive term:
    (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x). ``weight`` scales every element.
    """
    op = "binary_cross_entropy_with_logits"
    input, target = _pointwise(op, input, target, reduction)
    if pos_weight is None:
        losses = ops.Softplus.apply(input) - input * target
    else:
        log_weight = _weighted(op, "pos_weight", target, pos_weight) - target + 1
        losses = (1 - target) * input + log_weight * ops.Softplus.apply(-input)
    return _reduce(_weighted(op, "weight", losses, weight), reduction)


# ---------------------------------------------------------------------- convolution and pooling
def _pair(value: Any, op: str, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each at least ``minimum``, as a pair."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    valid = len(pair) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in pair
    )
    if not valid:
        raise ValueError(
            f"{op}: {name} must be an int >= {minimum} or a pair of them, got {value!r}"
        )
    return int(pair[0]), int(pair[1])


def _windowing(op: str, kernel_size: Any, stride: Any, padding: Any, ints: Any) -> Any:
    """A pooling's (kernel, stride, padding) read by ``ints`` (``_pair`` or ``_single``);
    the stride is the kernel's when not given."""
    kernel = ints(kernel_size, op, "kernel_size", 1)
    stride = kernel if stride is None else ints(stride, op, "stride", 1)
    return kernel, stride, ints(padding, op, "padding", 0)


def _single(value: Any, op: str, name: str, minimum: int) -> int:
    """An int or a 1-tuple of one, at least ``minimum``."""
    one = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if isinstance(one, (tuple, list)):
        raise ValueError(f"{op}: {name} must be an int >= {minimum} or a 1-tuple, got {value!r}")
    return _pair(one, op, name, minimum)[0]


def _batched(x: Tensor, op: str, dims: int) -> tuple[Tensor, bool]:
    """(N, C, *spatial) input as it is, unbatched (C, *spatial) input with N = 1 added."""
    if x.ndim == dims + 2:
        return x, False
    if x.ndim == dims + 1:
        return x.reshape(1, *x.shape), True
    raise ValueError(
        f"{op}: input must be {dims + 2}-D (N, C, ...) or {dims + 1}-D (C, ...), "
        f"got shape {x.shape}"
    )


def _unbatched(result: Any, squeeze: bool) -> Any:
    """The result of ``_batched`` input without the batch axis it added (tuples too)."""
    if not squeeze:
        return result
    if isinstance(result, tuple):
        return tuple(_unbatched(part, True) for part in result)
    return result.reshape(result.shape[1:])


def _as_2d(x: Tensor) -> Tensor:
    """(…, L) as (…, 1, L): the 1-D ops run as 2-D ones over a height-1 input."""
    return x.reshape(*x.shape[:-1], 1, x.shape[-1])


def _from_2d(result: Any) -> Any:
    """The inverse of ``_as_2d`` on a result (tuples too)."""
    if isinstance(result, tuple):
        return tuple(_from_2d(part) for part in result)
    return result.reshape(*result.shape[:-2], result.shape[-1])


def _conv_pads(op: str, padding: Any, kernel: Any, stride: Any, dilation: Any) -> windows.Pads:
    """((top, bottom), (left, right)) for an int, a pair, "valid" or "same" (the extra one
    of an odd total goes after, as PyTorch)."""
    if not isinstance(padding, str):
        ph, pw = _pair(padding, op, "padding", 0)
        return (ph, ph), (pw, pw)
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(
            f"{op}: padding must be 'valid', 'same', an int or a pair of ints, got {padding!r}"
        )
    if tuple(stride) != (1, 1):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
    rows, columns = (d * (k - 1) for d, k in zip(dilation, kernel))
    return (rows // 2, rows - rows // 2), (columns // 2, columns - columns // 2)


def _check_groups(op: str, x: Tensor, weight: Tensor, groups: Any, transposed: bool) -> int:
    """``groups`` checked against (N, C, H, W) input and 4-D weight; returns it."""
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D, got shape {weight.shape}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if x.shape[1] != expected or weight.shape[0] % groups:
        raise ValueError(
            f"{op}: input of shape {x.shape} does not match weight of shape {weight.shape} "
            f"with groups={groups}"
        )
    return int(groups)


def _shaped(op: str, value: Any, shape: tuple[int, ...], name: str) -> Tensor | None:
    """An optional weight or bias as a Tensor, checked to have ``shape``."""
    if value is None:
        return None
    value = _tensor(value, op)
    if value.shape != shape:
        raise ValueError(f"{op}: {name} of shape {value.shape}, expected {shape}")
    return value


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    Args:
        x: input (N, C_in, H, W), or unbatched (C_in, H, W).
        weight: filters (C_out, C_in / groups, kH, kW).
        bias: optional (C_out,).
        stride: step of the window, an int or (sH, sW).
        padding: zeros on both sides of H and W, an int or (pH, pW); or "valid" (none) or
            "same" (the output keeps the input's size; stride 1 only).
        dilation: spacing of the kernel's taps, an int or (dH, dW).
        groups: input and output channels split into this many independent groups.

    Shape:
        (N, C_in, H, W) -> (N, C_out, (H + 2pH - dH (kH - 1) - 1) // sH + 1, ...)

    Example:
        >>> import chainrule as cr
        >>> conv2d(cr.ones((1, 1, 3, 3)), cr.ones((2, 1, 2, 2)), padding=1).shape
        (1, 2, 4, 4)
    """
    x, weight = _tensor(x, "conv2d"), _tensor(weight, "conv2d")
    stride = _pair(stride, "conv2d", "stride", 1)
    if groups == 1 and dilation in (1, (1, 1)) and not isinstance(padding, str) and x.ndim == 4:
        padding = _pair(padding, "conv2d", "padding", 0)  # the tuned primitive
        if bias is None:
            return conv.Conv2d.apply(x, weight, stride=stride, padding=padding)
        return conv.Conv2d.apply(x, weight, bias, stride=stride, padding=padding)
    return _conv("conv2d", x, weight, bias, stride, padding, dilation, groups)


def _conv(
    op: str,
    x: Tensor,
    weight: Tensor,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
) -> Tensor:
    """conv2d with every option: the tuned primitive where it covers them, else im2col."""
    x, squeeze = _batched(x, op, 2)
    dilation = _pair(dilation, op, "dilation", 1)
    groups = _check_groups(op, x, weight, groups, transposed=False)
    bias = _shaped(op, bias, (weight.shape[0],), "bias")
    pads = _conv_pads(op, padding, weight.shape[2:], stride, dilation)
    windows.window_count(op, x.shape, weight.shape[2:], stride, pads, dilation)
    even = pads[0][0] == pads[0][1] and pads[1][0] == pads[1][1]
    if groups == 1 and dilation == (1, 1) and even:
        padding = (pads[0][0], pads[1][0])
        args = (x, weight) if bias is None else (x, weight, bias)
        out = conv.Conv2d.apply(*args, stride=stride, padding=padding)
    else:
        out = windows.conv2d(op, x, weight, bias, stride, pads, dilation, groups)
    return _unbatched(out, squeeze)


def conv1d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation over (N, C_in, L) or (C_in, L) input with (C_out, C_in / groups,
    k) weight, as ``torch.nn.functional.conv1d``: conv2d over a height-1 input.

    Example:
        >>> import chainrule as cr
        >>> conv1d(cr.ones((1, 2, 5)), cr.ones((3, 2, 3)), padding="same").shape
        (1, 3, 5)
    """
    x, weight = _tensor(x, "conv1d"), _tensor(weight, "conv1d")
    if weight.ndim != 3:
        raise ValueError(
            f"conv1d: weight must be 3-D (C_out, C_in / groups, k), got {weight.shape}"
        )
    _batched(x, "conv1d", 1)
    stride = (1, _single(stride, "conv1d", "stride", 1))
    if not isinstance(padding, str):
        padding = (0, _single(padding, "conv1d", "padding", 0))
    dilation = (1, _single(dilation, "conv1d", "dilation", 1))
    out = _conv("conv1d", _as_2d(x), _as_2d(weight), bias, stride, padding, dilation, groups)
    return _from_2d(out)


def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transposed convolution (conv2d's input gradient), as
    ``torch.nn.functional.conv_transpose2d``: im2col's transpose (fold) of weight^T @ x.

    Args:
        x: input (N, C_in, H, W), or unbatched (C_in, H, W).
        weight: (C_in, C_out / groups, kH, kW).
        padding: rows and columns cropped from each side of the full output.
        output_padding: extra rows and columns on the bottom and right (less than the
            stride or the dilation), to pick among the sizes a strided conv2d maps alike.

    Shape:
        (N, C_in, H, W) -> (N, C_out, (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1, ...)

    Example:
        >>> import chainrule as cr
        >>> conv_transpose2d(cr.ones((1, 2, 3, 3)), cr.ones((2, 4, 3, 3)), stride=2).shape
        (1, 4, 7, 7)
    """
    op = "conv_transpose2d"
    x, weight = _tensor(x, op), _tensor(weight, op)
    x, squeeze = _batched(x, op, 2)
    groups = _check_groups(op, x, weight, groups, transposed=True)
    bias = _shaped(op, bias, (weight.shape[1] * groups,), "bias")
    stride, padding = _pair(stride, op, "stride", 1), _pair(padding, op, "padding", 0)
    output_padding = _pair(output_padding, op, "output_padding", 0)
    dilation = _pair(dilation, op, "dilation", 1)
    for extra, s, d in zip(output_padding, stride, dilation):
        if extra >= s and extra >= d:
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than the stride "
                f"{stride} or the dilation {dilation}"
            )
    for size, s, p, d, k in zip(x.shape[2:], stride, padding, dilation, weight.shape[2:]):
        if (size - 1) * s - 2 * p + d * (k - 1) + 1 < 1:
            raise ValueError(
                f"{op}: padding {padding} leaves no output for input {x.shape} and weight "
                f"{weight.shape} (stride {stride}, dilation {dilation})"
            )
    out = windows.conv_transpose2d(
        x, weight, bias, stride, padding, output_padding, dilation, groups
    )
    return _unbatched(out, squeeze)


def conv_transpose1d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transposed 1-D convolution of (N, C_in, L) or (C_in, L) input with (C_in,
    C_out / groups, k) weight: conv_transpose2d over a height-1 input."""
    op = "conv_transpose1d"
    x, weight = _tensor(x, op), _tensor(weight, op)
    if weight.ndim != 3:
        raise ValueError(f"{op}: weight must be 3-D (C_in, C_out / groups, k), got {weight.shape}")
    _batched(x, op, 1)
    out = conv_transpose2d(
        _as_2d(x),
        _as_2d(weight),
        bias,
        (1, _single(stride, op, "stride", 1)),
        (0, _single(padding, op, "padding", 0)),
        (0, _single(output_padding, op, "output_padding", 0)),
        groups,
        (1, _single(dilation, op, "dilation", 1)),
    )
    return _from_2d(out)


def unfold(
    x: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """im2col, as ``torch.nn.functional.unfold``: every kH x kW window of (N, C, H, W) input
    as a column of (N, C * kH * kW, L), L windows in row-major order.

    Example:
        >>> import chainrule as cr
        >>> unfold(cr.ones((1, 2, 4, 4)), 3).shape
        (1, 18, 4)
    """
    op = "unfold"
    x, squeeze = _batched(_tensor(x, op), op, 2)
    kernel = _pair(kernel_size, op, "kernel_size", 1)
    dilation, padding = _pair(dilation, op, "dilation", 1), _pair(padding, op, "padding", 0)
    stride = _pair(stride, op, "stride", 1)
    windows.window_count(op, x.shape, kernel, stride, windows.even(padding), dilation)
    out = conv.Unfold.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    return _unbatched(out, squeeze)


def fold(
    x: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """col2im, as ``torch.nn.functional.fold``, the transpose of ``unfold``: the columns of
    (N, C * kH * kW, L) summed back into (N, C, *output_size) where their windows lie."""
    op = "fold"
    x = _tensor(x, op)
    if x.ndim not in (2, 3):
        raise ValueError(f"{op}: input must be 3-D (N, C * kH * kW, L) or 2-D, got {x.shape}")
    cols, squeeze = (x, False) if x.ndim == 3 else (x.reshape(1, *x.shape), True)
    size = _pair(output_size, op, "output_size", 1)
    kernel = _pair(kernel_size, op, "kernel_size", 1)
    dilation, padding = _pair(dilation, op, "dilation", 1), _pair(padding, op, "padding", 0)
    stride = _pair(stride, op, "stride", 1)
    n, rows, length = cols.shape
    shape = (n, rows // (kernel[0] * kernel[1]), *size)
    count = windows.window_count(op, shape, kernel, stride, windows.even(padding), dilation)
    if rows % (kernel[0] * kernel[1]) or length != count[0] * count[1]:
        raise ValueError(
            f"{op}: input of shape {x.shape} does not hold C * {kernel[0] * kernel[1]} rows of "
            f"{count[0] * count[1]} windows for output_size {size}, kernel {kernel}"
        )
    out = conv.Fold.apply(
        cols, shape=shape, kernel=kernel, stride=stride, padding=padding, dilation=dilation
    )
    return _unbatched(out, squeeze)


# pooling
def max_pool2d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Maximum over each kH x kW window; the gradient goes to the first maximum (as PyTorch).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the dilated kernel) is
    -inf. ``ceil_mode`` keeps a last, partial window that starts inside the input;
    ``return_indices`` also returns each maximum's flat index h * W + w (for
    ``max_unpool2d``).

    Example:
        >>> import chainrule as cr
        >>> max_pool2d(cr.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2)
        tensor([[[[4.]]]])
    """
    op = "max_pool2d"
    kernel, stride, padding = _windowing(op, kernel_size, stride, padding, _pair)
    x = _tensor(x, op)
    if dilation in (1, (1, 1)) and not ceil_mode and not return_indices and x.ndim == 4:
        return conv.MaxPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding)
    x, squeeze = _batched(x, op, 2)
    dilation = _pair(dilation, op, "dilation", 1)
    _check_pool_padding(op, kernel, padding, dilation)
    out = windows.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices)
    return _unbatched(out, squeeze)


def _check_pool_padding(op: str, kernel: Any, padding: Any, dilation: Any) -> None:
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise ValueError(
                f"{op}: padding {padding} must be at most half the kernel size {kernel}"
                + (f" with dilation {dilation}" if tuple(dilation) != (1, 1) else "")
            )


def avg_pool2d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each kH x kW window, as ``torch.nn.functional.avg_pool2d``: zero padding
    counts in the mean unless ``count_include_pad=False``; ``divisor_override`` replaces
    the count; ``ceil_mode`` keeps a last, partial window (its part past the padding never
    counts).

    Example:
        >>> import chainrule as cr
        >>> avg_pool2d(cr.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2)
        tensor([[[[2.5]]]])
    """
    op = "avg_pool2d"
    kernel, stride, padding = _windowing(op, kernel_size, stride, padding, _pair)
    x = _tensor(x, op)
    if not ceil_mode and count_include_pad and divisor_override is None and x.ndim == 4:
        return conv.AvgPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding)
    x, squeeze = _batched(x, op, 2)
    _check_pool_padding(op, kernel, padding, (1, 1))
    if divisor_override is not None and (
        not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0
    ):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}")
    out = windows.avg_pool2d(
        x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    return _unbatched(out, squeeze)


def max_pool1d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Maximum over windows of (N, C, L) or (C, L) input: max_pool2d over a height-1 input."""
    op = "max_pool1d"
    x = _tensor(x, op)
    _batched(x, op, 1)
    kernel, stride, padding = _windowing(op, kernel_size, stride, padding, _single)
    dilation = _single(dilation, op, "dilation", 1)
    out = max_pool2d(
        _as_2d(x), (1, kernel), (1, stride), (0, padding), (1, dilation), ceil_mode, return_indices
    )
    return _from_2d(out)


def avg_pool1d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of (N, C, L) or (C, L) input: avg_pool2d over a height-1 input."""
    op = "avg_pool1d"
    x = _tensor(x, op)
    _batched(x, op, 1)
    kernel, stride, padding = _windowing(op, kernel_size, stride, padding, _single)
    out = avg_pool2d(
        _as_2d(x), (1, kernel), (1, stride), (0, padding), ceil_mode, count_include_pad
    )
    return _from_2d(out)


def max_unpool2d(
    x: Tensor,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value put back at its index (from
    ``return_indices=True``), zeros elsewhere; the output is (H - 1) s - 2p + k high and
    wide, or ``output_size`` (its last two entries).

    Example:
        >>> import chainrule as cr
        >>> out, index = max_pool2d(cr.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2, return_indices=True)
        >>> max_unpool2d(out, index, 2)
        tensor([[[[0., 0.],
                  [4., 0.]]]])
    """
    op = "max_unpool2d"
    x, squeeze = _batched(_tensor(x, op), op, 2)
    index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    index = index.reshape(x.shape) if index.shape == x.shape[1:] and squeeze else index
    kernel, stride, padding = _windowing(op, kernel_size, stride, padding, _pair)
    if output_size is None:
        size = tuple(
            (n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[2:], stride, padding, kernel)
        )
    else:
        size = _pair(tuple(output_size)[-2:], op, "output_size", 1)
    if index.shape != x.shape or index.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: indices must be ints of the input's shape {x.shape}, "
            f"got {index.dtype} {index.shape}"
        )
    if index.size and (index.min() < 0 or index.max() >= size[0] * size[1]):
        raise ValueError(
            f"{op}: indices must lie in [0, {size[0] * size[1]}) for output size {size}, got "
            f"values from {index.min()} to {index.max()}"
        )
    return _unbatched(windows.max_unpool2d(x, index, size), squeeze)


def max_unpool1d(
    x: Tensor,
    indices: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The partial inverse of ``max_pool1d``: max_unpool2d over a height-1 input."""
    op = "max_unpool1d"
    x = _tensor(x, op)
    _batched(x, op, 1)
    index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    kernel = _single(kernel_size, op, "kernel_size", 1)
    stride = kernel if stride is None else _single(stride, op, "stride", 1)
    size = None if output_size is None else (1, tuple(output_size)[-1])
    out = max_unpool2d(
        _as_2d(x),
        index.reshape(*index.shape[:-1], 1, index.shape[-1]),
        (1, kernel),
        (1, stride),
        (0, _single(padding, op, "padding", 0)),
        size,
    )
    return _from_2d(out)


def _output_size(op: str, output_size: Any, sizes: tuple[int, ...]) -> tuple[int, ...]:
    """An int or a tuple per spatial axis (None keeps that axis's size), each at least 1."""
    given = (
        tuple(output_size)
        if isinstance(output_size, (tuple, list))
        else (output_size,) * len(sizes)
    )
    if len(given) != len(sizes):
        raise ValueError(
            f"{op}: output_size must be an int or {len(sizes)} of them, got {output_size!r}"
        )
    out = tuple(size if g is None else g for g, size in zip(given, sizes))
    for g in out:
        if not isinstance(g, (int, np.integer)) or isinstance(g, bool) or g < 1:
            raise ValueError(
                f"{op}: output_size must hold ints >= 1 (or None), got {output_size!r}"
            )
    return tuple(int(g) for g in out)


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Mean over the windows that split H and W into ``output_size`` parts, as PyTorch's:
    window i spans [floor(i H / oh), ceil((i + 1) H / oh)), so windows may overlap when oh
    does not divide H. Two products with (oh, H) and (ow, W) averaging matrices.

    Example:
        >>> import chainrule as cr
        >>> adaptive_avg_pool2d(cr.ones((2, 3, 7, 5)), (2, 1)).shape
        (2, 3, 2, 1)
    """
    op = "adaptive_avg_pool2d"
    x = _tensor(x, op)
    _batched(x, op, 2)
    return _adaptive_mean(x, _output_size(op, output_size, x.shape[-2:]))


def adaptive_avg_pool1d(x: Tensor, output_size: Any) -> Tensor:
    """Mean over the windows that split L into ``output_size`` parts (adaptive_avg_pool2d)."""
    op = "adaptive_avg_pool1d"
    x = _tensor(x, op)
    _batched(x, op, 1)
    (target,) = _output_size(op, output_size, x.shape[-1:])
    return _from_2d(adaptive_avg_pool2d(_as_2d(x), (1, target)))


def adaptive_max_pool2d(x: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over adaptive_avg_pool2d's windows; the gradient goes to the first maximum.
    With ``return_indices`` also each maximum's flat index h * W + w."""
    op = "adaptive_max_pool2d"
    x = _tensor(x, op)
    _batched(x, op, 2)
    (h, w), (oh, ow) = x.shape[-2:], _output_size(op, output_size, x.shape[-2:])
    rows, columns = resampling.adaptive_windows(h, oh), resampling.adaptive_windows(w, ow)
    # (..., oh, kh, ow, kw): window (a, b)'s element (i, j) is x[..., rows[a, i], columns[b, j]]
    cells = ops.GetItem.apply(x, index=(Ellipsis, rows[:, :, None, None], columns[None, None]))
    kh, kw = rows.shape[1], columns.shape[1]
    flat = np.moveaxis(cells.data, -3, -2).reshape(*cells.shape[:-4], oh, ow, kh * kw)
    i, j = np.divmod(flat.argmax(axis=-1), kw)  # the first maximum, in row-major order
    hit = (i[..., :, None, :, None] == np.arange(kh)[:, None, None]) & (
        j[..., :, None, :, None] == np.arange(kw)
    )
    out = ops.where(hit, cells, 0.0).sum(axis=(-3, -1))
    if not return_indices:
        return out
    index = rows[np.arange(oh)[:, None], i] * w + columns[np.arange(ow), j]
    return out, Tensor(index.astype(np.int64))


def adaptive_max_pool1d(x: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over adaptive windows of L (adaptive_max_pool2d over a height-1 input)."""
    op = "adaptive_max_pool1d"
    x = _tensor(x, op)
    _batched(x, op, 1)
    (target,) = _output_size(op, output_size, x.shape[-1:])
    return _from_2d(adaptive_max_pool2d(_as_2d(x), (1, target), return_indices))


# resizing
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "area", *_LINEAR_MODES)


def interpolate(
    x: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, *spatial) input with 1 to 3 spatial axes, as
    ``torch.nn.functional.interpolate``, to ``size`` or ``scale_factor`` times its size.

    Modes: "nearest" (PyTorch's floor(dst * in / out)), "nearest-exact" (pixel centres),
    "linear"/"bilinear"/"trilinear" (for 1/2/3 spatial axes), "bicubic" (2) and "area"
    (adaptive averaging). ``align_corners=True`` maps the corner pixels' centres onto each
    other (linear modes only). A given ``scale_factor`` sets the sampling step, as in
    PyTorch, unless ``recompute_scale_factor=True``. Each axis is one product with a
    weight matrix (or a gather, for nearest), so gradients need nothing more.

    Example:
        >>> import chainrule as cr
        >>> interpolate(cr.tensor([[[1.0, 3.0]]]), scale_factor=2, mode="linear")
        tensor([[[1. , 1.5, 2.5, 3. ]]])
    """
    op = "interpolate"
    x = _tensor(x, op)
    spatial = x.ndim - 2
    if not 1 <= spatial <= 3:
        raise ValueError(f"{op}: input must be 3-D, 4-D or 5-D (N, C, ...), got shape {x.shape}")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be one of {_MODES}, got {mode!r}")
    if _LINEAR_MODES.get(mode, spatial) != spatial:
        raise ValueError(
            f"{op}: mode {mode!r} needs {_LINEAR_MODES[mode] + 2}-D input, got shape {x.shape}"
        )
    if align_corners is not None and mode not in _LINEAR_MODES:
        raise ValueError(
            f"{op}: align_corners can only be set with the interpolating modes linear, "
            f"bilinear, bicubic and trilinear, not {mode!r}"
        )
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported")
    if mode not in ("nearest", "nearest-exact") and x.dtype.kind != "f":
        raise ValueError(f"{op}: mode {mode!r} needs floating-point input, got {x.dtype}")
    sizes, scales = _resize_plan(op, x.shape[2:], size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return _adaptive_mean(x, sizes)
    out = x
    for axis, (n_in, n_out, scale) in enumerate(zip(x.shape[2:], sizes, scales), start=2):
        if mode.startswith("nearest"):
            index = resampling.nearest_index(n_in, n_out, scale, exact=mode == "nearest-exact")
            out = resampling.take(out, index, axis)
        elif n_in != n_out or scale not in (None, 1.0):
            build = resampling.cubic_matrix if mode == "bicubic" else resampling.linear_matrix
            out = resampling.along(
                out, build(n_in, n_out, bool(align_corners), scale, x.dtype), axis
            )
    return out


def _adaptive_mean(x: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """Adaptive average pooling of the last ``len(sizes)`` axes of ``x`` to ``sizes``."""
    first = x.ndim - len(sizes)
    for axis, (size, target) in enumerate(zip(x.shape[first:], sizes), start=first):
        if size != target:
            x = resampling.along(x, resampling.area_matrix(size, target, x.dtype), axis)
    return x


def _resize_plan(
    op: str, sizes: tuple[int, ...], size: Any, scale_factor: Any, recompute: bool | None
) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """The output sizes, and the scale factors the kernels sample with (None: in / out)."""
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    spatial = len(sizes)
    if size is not None:
        return _output_size(op, size, sizes), (None,) * spatial
    factors = (
        tuple(scale_factor)
        if isinstance(scale_factor, (tuple, list))
        else (scale_factor,) * spatial
    )
    if len(factors) != spatial or not all(
        isinstance(f, (int, float, np.number)) and not isinstance(f, bool) and f > 0
        for f in factors
    ):
        raise ValueError(
            f"{op}: scale_factor must be a positive number or {spatial} of them, "
            f"got {scale_factor!r}"
        )
    out = tuple(math.floor(float(n) * float(f)) for n, f in zip(sizes, factors))
    if min(out) < 1:
        raise ValueError(f"{op}: scale_factor {scale_factor!r} leaves no output for sizes {sizes}")
    return out, (None,) * spatial if recompute else tuple(float(f) for f in factors)


# ---------------------------------------------------------------------- normalisation
def batch_norm(
    x: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) of (N, C) or (N, C, ...) input, then scale and shift.

    In training the batch's mean and biased variance normalise, and the running statistics
    (arrays or Tensors, or None) are updated in place:
    ``running = (1 - momentum) * running + momentum * batch``, with the unbiased variance,
    as PyTorch. In evaluation the running statistics normalise.

    Example:
        >>> import chainrule as cr
        >>> batch_norm(cr.tensor([[1.0], [3.0]]), None, None, training=True, eps=0.0)
        tensor([[-1.],
                [ 1.]])
    """
    x = _tensor(x, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, ...), got shape {x.shape}")
    channels = x.shape[1]
    arrays = {}
    for name, value in [
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ]:
        array = value.data if isinstance(value, Tensor) else value
        if array is not None and np.shape(array) != (channels,):
            raise ValueError(
                f"batch_norm: {name} of shape {np.shape(array)} does not match the "
                f"{channels} channels of input {x.shape}"
            )
        arrays[name] = array
    if not training and (running_mean is None or running_var is None):
        raise ValueError(
            "batch_norm: evaluation (training=False) needs running_mean and running_var"
        )
    if training and x.size == channels:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input {x.shape}"
        )
    if weight is None:
        weight = Tensor(np.ones(channels, dtype=x.dtype))
    if bias is None:
        bias = Tensor(np.zeros(channels, dtype=x.dtype))
    return conv.BatchNorm.apply(
        x,
        weight,
        bias,
        running_mean=arrays["running_mean"],
        running_var=arrays["running_var"],
        training=training,
        momentum=momentum,
        eps=eps,
    )


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None
) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by 1 / (1 - p); identity in eval.

    ``rng`` defaults to the generator ``nn.init.manual_seed`` seeds, so seeded runs repeat.

    Example:
        >>> import chainrule as cr
        >>> import numpy as np
        >>> dropout(cr.ones((1, 4)), 0.5, rng=np.random.default_rng(0))
        tensor([[2., 2., 2., 0.]])
    """
    x = _tensor(x, "dropout")
    _check_p("dropout", p)
    if not training or p == 0.0:
        return x
    return x * Tensor(_kept(x, p, x.shape, rng, scaled=True))


def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: p must lie in [0, 1], got {p!r}")


def _kept(x: Tensor, p: float, shape: tuple[int, ...], rng: Any, scaled: bool) -> np.ndarray:
    """A dropout mask of ``shape`` in x's float dtype (float64 for other dtypes): each
    element 1 with probability 1 - p, else 0; with ``scaled`` 1 / (1 - p) for 1."""
    generator = rng if rng is not None else init._rng
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    keep = generator.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
    scale = (0.0 if p == 1.0 else 1.0 / (1.0 - p)) if scaled else 1.0
    return np.multiply(keep, scale, dtype=dtype)


def _channel_dropout(
    op: str, x: Any, p: float, training: bool, rng: Any, dims: int, unbatched: bool = True
) -> Tensor:
    """Dropout of whole channels of (N, C, *spatial) input (or (C, *spatial) when
    ``unbatched``), ``dims`` spatial axes: one draw per (sample, channel)."""
    x = _tensor(x, op)
    _check_p(op, p)
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(
            f"{op}: input must be {dims + 2}-D (N, C, ...) or {dims + 1}-D, got shape {x.shape}"
        )
    if not training or p == 0.0:
        return x
    lead = 1 if unbatched and x.ndim == dims + 1 else 2
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    return x * Tensor(_kept(x, p, shape, rng, scaled=True))


def dropout1d(
    x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, rng: Any = None
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``, scaling the
    rest by 1 / (1 - p); identity in eval. ``inplace`` is accepted and ignored (the
    result is a new tensor); ``rng`` as for ``dropout``."""
    return _channel_dropout("dropout1d", x, p, training, rng, 1)


def dropout2d(
    x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, rng: Any = None
) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability ``p`` (``dropout1d``'s
    rules); 3-D input is taken as (N, C, L), as PyTorch does today."""
    return _channel_dropout("dropout2d", x, p, training, rng, 2, unbatched=False)


def dropout3d(
    x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, rng: Any = None
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input (``dropout1d``'s rules)."""
    return _channel_dropout("dropout3d", x, p, training, rng, 3)


_SELU_ALPHA_SCALE = 1.7580993408473766  # SELU's scale * alpha: the value a dropped unit takes


def _alpha_dropout(op: str, x: Any, p: float, training: bool, rng: Any, channels: bool) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: dropped units take SELU's
    negative saturation, then an affine map a x + b restores the statistics (PyTorch's)."""
    x = _tensor(x, op)
    _check_p(op, p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if channels else x.shape
    keep = _kept(x, p, shape, rng, scaled=False)
    a = 1.0 / math.sqrt((_SELU_ALPHA_SCALE**2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_ALPHA_SCALE * a) + _SELU_ALPHA_SCALE * a * p
    return x * Tensor(keep * a) + Tensor(shift.astype(keep.dtype))


def alpha_dropout(
    x: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, rng: Any = None
) -> Tensor:
    """Alpha dropout for SELU networks, as ``torch.nn.functional.alpha_dropout`` (note its
    default ``training=False``)."""
    return _alpha_dropout("alpha_dropout", x, p, training, rng, channels=False)


def feature_alpha_dropout(
    x: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False, rng: Any = None
) -> Tensor:
    """Alpha dropout of whole channels of (N, C, ...) input."""
    return _alpha_dropout("feature_alpha_dropout", x, p, training, rng, channels=True)


def _standardise(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) over ``axes`` (``ops.Standardise``, one node)."""
    return ops.Standardise.apply(x, axes=axes, eps=eps)


def layer_norm(
    x: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes (each sample on its own), then
    scale by ``weight`` and shift by ``bias`` (both of ``normalized_shape``), as PyTorch.

    Example:
        >>> import chainrule as cr
        >>> layer_norm(cr.tensor([[1.0, 3.0]]), 2, eps=0.0)
        tensor([[-1.,  1.]])
    """
    op = "layer_norm"
    x = _tensor(x, op)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or len(shape) > x.ndim or x.shape[x.ndim - len(shape) :] != shape:
        raise ValueError(
            f"{op}: normalized_shape {shape} does not match the last dimensions of input {x.shape}"
        )
    weight = _shaped(op, weight, shape, "weight")
    bias = _shaped(op, bias, shape, "bias")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    if weight is not None and bias is not None:  # the affine in the same node
        return ops.Standardise.apply(x, weight, bias, axes=axes, eps=eps)
    out = _standardise(x, axes, eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def group_norm(
    x: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample's channels (axis 1) in ``num_groups`` groups, over each group's
    channels and positions, then scale and shift per channel, as PyTorch.

    Example:
        >>> import chainrule as cr
        >>> group_norm(cr.tensor([[1.0, 3.0, 5.0, 9.0]]), 2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    op = "group_norm"
    x = _tensor(x, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: input must be (N, C, ...), got shape {x.shape}")
    n, channels = x.shape[:2]
    if not isinstance(num_groups, (int, np.integer)) or num_groups < 1 or channels % num_groups:
        raise ValueError(
            f"{op}: {channels} channels of input {x.shape} do not split into "
            f"num_groups={num_groups!r} groups"
        )
    weight = _shaped(op, weight, (channels,), "weight")
    bias = _shaped(op, bias, (channels,), "bias")
    grouped = x.reshape(n, num_groups, x.size // max(n * num_groups, 1))
    out = _standardise(grouped, (2,), eps).reshape(x.shape)
    per_channel = (channels,) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    return out if bias is None else out + bias.reshape(per_channel)


def normalize(x: Tensor, p: float = 2.0, dim: Any = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``, as ``torch.nn.functional.normalize``; a norm
    below ``eps`` is held constant, so the gradient at zero is finite.

    Example:
        >>> import chainrule as cr
        >>> normalize(cr.tensor([[3.0, 4.0]]))
        tensor([[0.6, 0.8]])
    """
    x = _tensor(x, "normalize")
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p <= 0:
        raise ValueError(f"normalize: p must be a positive number or inf, got {p!r}")
    if p == math.inf:
        total, floor = x.abs().max(axis=dim, keepdims=True), eps
    elif p == 1:
        total, floor = x.abs().sum(axis=dim, keepdims=True), eps
    elif p == 2:
        total, floor = (x * x).sum(axis=dim, keepdims=True), eps * eps
    else:
        total, floor = (x.abs() ** p).sum(axis=dim, keepdims=True), eps**p
    # NOTE: clamping the sum before the root, not the norm after it: the root's derivative
    # at a zero sum is infinite, and the clamp's zero gradient would make it NaN.
    total = ops.where(total.data > floor, total, floor)
    norm = total if p in (1, math.inf) else total.sqrt() if p == 2 else total ** (1 / p)
    return x / norm


# embedding
def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of ``weight`` (num_embeddings, dim) that the int ``input`` picks, shape
    input.shape + (dim,), as ``torch.nn.functional.embedding``.

    The gradient is added into the picked rows (repeats accumulate); the ``padding_idx``
    row gets none. ``max_norm`` first rescales, in place, each picked row whose
    ``norm_type``-norm exceeds it; ``scale_grad_by_freq`` divides each row's gradient by
    how often the input picks it.

    Example:
        >>> import chainrule as cr
        >>> embedding([[0, 2]], cr.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]))
        tensor([[[0., 1.],
                 [4., 5.]]])
    """
    op = "embedding"
    weight = _tensor(weight, op)
    index = np.asarray(input.data if isinstance(input, Tensor) else input)
    if index.dtype.kind not in "iu":
        raise ValueError(f"{op}: input must hold int indices, got {index.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, dim), got {weight.shape}")
    rows = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= rows):
        raise IndexError(
            f"{op}: indices must lie in [0, {rows}), got values from {index.min()} to {index.max()}"
        )
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"{op}: padding_idx {padding_idx} is out of range for {rows} rows")
        padding_idx %= rows
    if sparse:
        raise ValueError(f"{op}: sparse gradients are not supported (sparse=True)")
    if max_norm is not None:
        _renorm_rows(weight.data, np.unique(index), max_norm, norm_type)
    picked = ops.GetItem.apply(weight, index=index)
    if scale_grad_by_freq:  # the value stays exact: picked - picked = 0; the gradient is scaled
        counts = np.bincount(index.reshape(-1), minlength=rows)[index]
        share = (1 / counts) * (1 if padding_idx is None else index != padding_idx)
        factor = Tensor(share[..., None].astype(weight.dtype))
        scaled = picked * factor
        return Tensor(picked.data) + (scaled - Tensor(scaled.data))
    if padding_idx is not None and (index == padding_idx).any():
        return ops.where((index != padding_idx)[..., None], picked, Tensor(picked.data))
    return picked


def _renorm_rows(weight: Any, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale ``weight[rows]`` in place to norm ``max_norm`` where larger (PyTorch's
    ``embedding_renorm_``, with its 1e-7)."""
    norms = np.linalg.norm(weight[rows], ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    weight[rows] *= scale[:, None].astype(weight.dtype)


# ---------------------------------------------------------------------- indexing
from ..ops.indexing import one_hot, pad  # noqa: E402, F401  (F.one_hot, F.pad, as PyTorch's)


# ---------------------------------------------------------------------- attention
def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    rng: np.random.Generator | None = None,
) -> Tensor:
    """softmax(query key^T * scale + mask) value, as PyTorch's: query (..., L, E), key
    (..., S, E), value (..., S, Ev) -> (..., L, Ev), leading dims broadcast; ``scale``
    defaults to 1 / sqrt(E).

    ``attn_mask`` is bool (True = attend) or float (added to the scores), broadcastable to
    (..., L, S); ``is_causal`` keeps key j for query i where j <= i (top-left aligned, as
    PyTorch's). A query row with nothing to attend to gives zeros. Without dropout this is one
    fused node (``ops.ScaledDotProductAttention``, which keeps q, k, v and the softmax
    probabilities for backward); ``dropout_p > 0`` drops probabilities (a composite, with
    ``rng`` as ``dropout``).

    Example:
        >>> import chainrule as cr
        >>> q = k = v = cr.ones((1, 2, 4))
        >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
        (1, 2, 4)
    """
    op = "scaled_dot_product_attention"
    q, k, v = (_floating(x, op) for x in (query, key, value))
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(
            f"{op}: query, key and value must be at least 2-d (..., L, E), got shapes "
            f"{q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{op}: query of shape {q.shape}, key of shape {k.shape} and value of shape "
            f"{v.shape} do not match (query and key need one E, key and value one S)"
        )
    if q.dtype != k.dtype or q.dtype != v.dtype:
        raise TypeError(f"{op}: query, key and value must share a dtype, got "
                        f"{q.dtype}, {k.dtype}, {v.dtype}")  # fmt: skip
    try:
        lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: the batch dims of query {q.shape}, key {k.shape} and value {v.shape} "
            "do not broadcast"
        ) from None
    _check_p(op, dropout_p)
    length, source = q.shape[-2], k.shape[-2]
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: pass attn_mask or is_causal=True, not both")
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    mask = keep = None
    if is_causal:
        keep = _causal_keep(q.data, length, source)
    elif attn_mask is not None:
        attn_mask = attn_mask if isinstance(attn_mask, Tensor) else _tensor(attn_mask, op)
        try:
            np.broadcast_shapes(attn_mask.shape, lead + (length, source))
        except ValueError:
            raise ValueError(
                f"{op}: attn_mask of shape {attn_mask.shape} does not broadcast to the scores' "
                f"shape {lead + (length, source)}"
            ) from None
        kind = dtype_kind(attn_mask.dtype)
        if kind == "b":
            keep = attn_mask.data
        elif kind == "f":
            mask = attn_mask if attn_mask.dtype == q.dtype else attn_mask.to(q.dtype)
        else:
            raise TypeError(f"{op}: attn_mask must be bool or float, got {attn_mask.dtype}")
    if dropout_p == 0.0:
        inputs = (q, k, v) if mask is None else (q, k, v, mask)
        return ops.ScaledDotProductAttention.apply(*inputs, keep=keep, scale=scale)
    scores = (q @ k.transpose(-2, -1)) * scale
    if mask is not None:
        scores = scores + mask
    if keep is not None:
        scores = scores.masked_fill(~Tensor(keep), float("-inf"))
    return dropout(softmax(scores, dim=-1), dropout_p, rng=rng) @ v


def _causal_keep(like: Any, length: int, source: int) -> Any:
    """The (length, source) bool mask j <= i, in the namespace (and device) of ``like``."""
    if isinstance(like, np.ndarray):
        return np.tri(length, source, dtype=bool)
    xp = namespace(like)
    rows = xp.reshape(xp.arange(length, device=like.device), (length, 1))
    return rows >= xp.reshape(xp.arange(source, device=like.device), (1, source))
