"""Stateless neural-network functions and losses, composed from the primitives in ``ops``.

A composite here needs no backward of its own: the engine differentiates its pieces.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x: Any, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, list, tuple, float, int)):
        return Tensor(x)
    raise TypeError(f"{op}: expected a Tensor or array, got {type(x).__name__}")


def _target(target: Any, input: Tensor, op: str) -> Tensor:
    """A loss target as a Tensor of the input's float dtype (int labels are not promoted)."""
    target = _tensor(target, op)
    if target.dtype != input.dtype and target.dtype.kind != "f":
        return Tensor(target.data.astype(input.dtype))
    return target


def _reduce(losses: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


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


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), elementwise and overflow-free; its derivative is sigmoid(x)."""
    return ops.Softplus.apply(x)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``, stable for large logits.

    Example:
        >>> import chainrule as cr
        >>> log_softmax(cr.tensor([0.0, 0.0])).exp()
        tensor([0.5, 0.5])
    """
    return ops.LogSoftmax.apply(x, axis=axis)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, through the stable log-softmax."""
    return ops.LogSoftmax.apply(x, axis=axis).exp()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight^T + bias.

    Shape:
        x (N, in_features), weight (out_features, in_features), bias (out_features,)
        -> (N, out_features)
    """
    if bias is None:
        return ops.Linear.apply(x, weight)
    return ops.Linear.apply(x, weight, bias)


# ---------------------------------------------------------------------- losses
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (input - target)^2, averaged, summed or kept per element.

    Example:
        >>> import chainrule as cr
        >>> mse_loss(cr.tensor([1.0, 3.0]), cr.tensor([1.0, 1.0])).item()
        2.0
    """
    input = _tensor(input, "mse_loss")
    target = _target(target, input, "mse_loss")
    if input.shape != target.shape:
        raise ValueError(
            f"mse_loss: input of shape {input.shape} and target of shape {target.shape} differ"
        )
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from raw scores, fused so its gradient is softmax - target.

    Args:
        logits: unnormalised scores (N, C).
        target: int class indices (N,) in [0, C), or class probabilities (N, C) whose rows
            sum to 1 (soft labels; not checked, so label smoothing and mixing work).
        reduction: "mean" (default), "sum" or "none".

    Example:
        >>> import chainrule as cr
        >>> round(cross_entropy(cr.tensor([[0.0, 0.0]]), [1]).item(), 4)
        0.6931
    """
    logits = _tensor(logits, "cross_entropy")
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    n, classes = logits.shape
    target_data = target.data if isinstance(target, Tensor) else np.asarray(target)
    if target_data.dtype.kind in "iu" and target_data.shape == (n,):
        if n and (target_data.min() < 0 or target_data.max() >= classes):
            raise ValueError(
                f"cross_entropy: target class indices must lie in [0, {classes}), "
                f"got values from {target_data.min()} to {target_data.max()}"
            )
        return ops.SoftmaxCrossEntropy.apply(logits, target=target_data, reduction=reduction)
    if target_data.dtype.kind == "f" and target_data.shape == logits.shape:
        losses = -(ops.LogSoftmax.apply(logits, axis=1) * target).sum(axis=1)
        return _reduce(losses, reduction, "cross_entropy")
    raise ValueError(
        f"cross_entropy: target must be int class indices of shape ({n},) or probabilities "
        f"of shape {logits.shape}, got {target_data.dtype} {target_data.shape}"
    )


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in (0, 1).

    Prefer ``binary_cross_entropy_with_logits``: it is exact where p saturates at 0 or 1.
    """
    input = _tensor(input, "binary_cross_entropy")
    target = _target(target, input, "binary_cross_entropy")
    if input.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy: input of shape {input.shape} and target of shape "
            f"{target.shape} differ"
        )
    losses = -(target * input.log() + (1 - target) * (1 - input).log())
    return _reduce(losses, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of sigmoid(logits), as softplus(x) - x t: stable for any x."""
    op = "binary_cross_entropy_with_logits"
    logits = _tensor(logits, op)
    target = _target(target, logits, op)
    if logits.shape != target.shape:
        raise ValueError(
            f"{op}: logits of shape {logits.shape} and target of shape {target.shape} differ"
        )
    return _reduce(softplus(logits) - logits * target, reduction, op)
