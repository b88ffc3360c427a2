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
from . import init

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


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
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
        half = x * 0.5
        return half + half * (x * (x * x * (0.044715 * _SQRT_2_OVER_PI) + _SQRT_2_OVER_PI)).tanh()
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
    input = _tensor(input, op)
    target = _target(target, input, op)
    if input.shape != target.shape:
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


def conv2d(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0
) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d`` (no groups or dilation).

    Args:
        x: input (N, C_in, H, W).
        weight: filters (C_out, C_in, kH, kW).
        bias: optional (C_out,).
        stride: step of the window, an int or (sH, sW).
        padding: zeros added on both sides of H and W, an int or (pH, pW).

    Shape:
        (N, C_in, H, W) -> (N, C_out, (H + 2pH - kH) // sH + 1, (W + 2pW - kW) // sW + 1)

    Example:
        >>> import chainrule as cr
        >>> conv2d(cr.ones((1, 1, 3, 3)), cr.ones((2, 1, 2, 2)), padding=1).shape
        (1, 2, 4, 4)
    """
    x, weight = _tensor(x, "conv2d"), _tensor(weight, "conv2d")
    stride = _pair(stride, "conv2d", "stride", 1)
    padding = _pair(padding, "conv2d", "padding", 0)
    if bias is None:
        return conv.Conv2d.apply(x, weight, stride=stride, padding=padding)
    return conv.Conv2d.apply(x, weight, bias, stride=stride, padding=padding)


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Maximum over each kH x kW window; the gradient goes to the first maximum (as PyTorch).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) is -inf.

    Example:
        >>> import chainrule as cr
        >>> max_pool2d(cr.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2)
        tensor([[[[4.]]]])
    """
    kernel = _pair(kernel_size, "max_pool2d", "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "max_pool2d", "stride", 1)
    padding = _pair(padding, "max_pool2d", "padding", 0)
    x = _tensor(x, "max_pool2d")
    return conv.MaxPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Mean over each kH x kW window; zero padding counts in the mean (PyTorch's default).

    Example:
        >>> import chainrule as cr
        >>> avg_pool2d(cr.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2)
        tensor([[[[2.5]]]])
    """
    kernel = _pair(kernel_size, "avg_pool2d", "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "avg_pool2d", "stride", 1)
    padding = _pair(padding, "avg_pool2d", "padding", 0)
    x = _tensor(x, "avg_pool2d")
    return conv.AvgPool2d.apply(x, kernel_size=kernel, stride=stride, padding=padding)


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
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must lie in [0, 1], got {p!r}")
    if not training or p == 0.0:
        return x
    generator = rng if rng is not None else init._rng
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    keep = generator.random(x.shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return x * Tensor(np.multiply(keep, scale, dtype=dtype))


# ---------------------------------------------------------------------- indexing
from ..ops.indexing import one_hot, pad  # noqa: E402, F401  (F.one_hot, F.pad, as PyTorch's)
