"""Stateless neural-network functions and losses, composed from the primitives in ``ops``.

A composite here needs no backward of its own: the engine differentiates its pieces.
"""

from __future__ import annotations

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


def log_softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis`` (or PyTorch's ``dim``; the last by default), stable
    for large logits.

    Example:
        >>> import chainrule as cr
        >>> log_softmax(cr.tensor([0.0, 0.0])).exp()
        tensor([0.5, 0.5])
    """
    axis = axis_of("log_softmax", axis, dim)
    return ops.LogSoftmax.apply(x, axis=-1 if axis is None else axis)


def softmax(x: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (or ``dim``; the last by default), through the
    stable log-softmax."""
    axis = axis_of("softmax", axis, dim)
    return ops.LogSoftmax.apply(x, axis=-1 if axis is None else axis).exp()


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
    if reduction not in _REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    # NOTE: one fused node, not three (sub, mul, mean): a tiny net's step is mostly overhead.
    return ops.SquaredError.apply(input, target, reduction=reduction)


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
    kind = dtype_kind(target_data.dtype)
    if kind in "iu" and target_data.shape == (n,):
        xp = namespace(target_data)
        low, high = (int(xp.min(target_data)), int(xp.max(target_data))) if n else (0, 0)
        if low < 0 or high >= classes:
            raise ValueError(
                f"cross_entropy: target class indices must lie in [0, {classes}), "
                f"got values from {low} to {high}"
            )
        return ops.SoftmaxCrossEntropy.apply(logits, target=target_data, reduction=reduction)
    if kind == "f" and target_data.shape == logits.shape:
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
