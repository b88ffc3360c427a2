"""The namespace of Tensors: the Array API names as differentiable chainrule ops.

A rule written against ``xp`` runs here when ``create_graph=True``: each call records a
node, so the gradient it returns can be differentiated again. Masks and signs are data:
they come back as Tensors that need no grad.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .. import conv, ops
from ..ops.math import (  # noqa: F401  (ops/math.py's functions, each recording its primitive)
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    clip,
    copysign,
    cos,
    cosh,
    erf,
    erfc,
    expm1,
    floor_divide,
    fmod,
    hypot,
    log1p,
    log2,
    log10,
    minimum,
    remainder,
    sin,
    sinh,
    tan,
    trunc,
)
from ..tensor import Tensor, _data
from . import namespace
from .portable import Portable


def exp(x: Tensor) -> Tensor:
    return ops.Exp.apply(x)


def log(x: Tensor) -> Tensor:
    return ops.Log.apply(x)


def sqrt(x: Tensor) -> Tensor:
    return ops.Sqrt.apply(x)


def tanh(x: Tensor) -> Tensor:
    return ops.Tanh.apply(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return ops.Abs.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    return ops.Sigmoid.apply(x)


def relu(x: Tensor) -> Tensor:
    return ops.Relu.apply(x)


def normal_cdf(x: Tensor) -> Tensor:
    return ops.NormalCdf.apply(x)


def mask(x: Tensor, keep: Any) -> Tensor:
    keep = _data(keep)  # the mask is data: it needs no grad
    return x * Tensor(namespace(keep).astype(keep, x.dtype))


def logaddexp(a: Any, b: Any) -> Tensor:
    """log(exp(a) + exp(b)) = m + log(exp(a - m) + exp(b - m)), m = max(a, b) held constant."""
    top = np.maximum(_data(a), _data(b))
    return top + log(exp(a - top) + exp(b - top))


def sign(x: Any) -> Tensor:
    return Tensor(np.sign(_data(x)))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    return ops.Where.apply(a, b, condition=_data(condition))


def maximum(a: Any, b: Any) -> Tensor:
    return where(_data(a) >= _data(b), a, b)


def zeros_like(x: Any) -> Tensor:
    return Tensor(np.zeros_like(_data(x)))


def ones_like(x: Any) -> Tensor:
    return Tensor(np.ones_like(_data(x)))


def zeros(shape: tuple[int, ...], dtype: Any = None) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype))


def asarray(x: Any, dtype: Any = None, like: Any = None) -> Any:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=dtype))


def astype(x: Tensor, dtype: Any) -> Tensor:
    return x if x.dtype == dtype else x.to(dtype)  # float to float: differentiable


def clone(x: Tensor) -> Tensor:
    return ops.Clone.apply(x)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001
    return x.sum(axis=axis, keepdims=keepdims, dtype=dtype)  # the method normalises axis


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return x.mean(axis=axis, keepdims=keepdims)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return x.max(axis=axis, keepdims=keepdims)  # the method normalises axis


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return x.min(axis=axis, keepdims=keepdims)  # the method normalises axis


def reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return ops.Reshape.apply(x, shape=tuple(shape))


def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return ops.BroadcastTo.apply(x, shape=tuple(shape))


def permute_dims(x: Tensor, axes: tuple[int, ...]) -> Tensor:
    return ops.Transpose.apply(x, axes=tuple(axes))


def matrix_transpose(x: Tensor) -> Tensor:
    return permute_dims(x, (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))


def concat(arrays: Any, axis: int = 0) -> Tensor:
    return ops.Concat.apply(*arrays, axis=axis)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return ops.MatMul.apply(a, b)


def scatter_add(values: Tensor, shape: tuple[int, ...], index: Any) -> Tensor:
    return ops.ScatterAdd.apply(values, shape=shape, index=index)


# ---------------------------------------------------------------------- reduce and movement
# (functions the reduction and movement rules need)
def broadcast_copy(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return broadcast_to(x, shape)  # no copy: the graph never writes into it


# (reductions and scans)
def prod(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return ops.Prod.apply(x, axis=axis, keepdims=keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Tensor(np.any(_data(x), axis=axis, keepdims=keepdims))


def isfinite(x: Any) -> Tensor:
    return Tensor(np.isfinite(_data(x)))


def finfo(dtype: Any) -> Any:
    return np.finfo(dtype)


def flip(x: Tensor, axis: int) -> Tensor:
    return x[(slice(None),) * (axis % x.ndim) + (slice(None, None, -1),)]


def cumulative_sum(x: Tensor, axis: int) -> Tensor:
    return ops.CumSum.apply(x, axis=axis)


def cumulative_prod(x: Tensor, axis: int) -> Tensor:
    return ops.CumProd.apply(x, axis=axis)


def logcumsumexp(x: Tensor, axis: int) -> Tensor:
    return ops.LogCumSumExp.apply(x, axis=axis)


# ---------------------------------------------------------------------- linalg and losses
# (functions the matmul, linear and loss rules need)


def dot(a: Tensor, b: Tensor) -> Tensor:
    return ops.MatMul.apply(a, b)


def einsum(equation: str, *operands: Tensor) -> Tensor:
    return ops.Einsum.apply(*operands, equation=equation)


def linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    return ops.Linear.apply(x, w) if b is None else ops.Linear.apply(x, w, b)


def sum_rows(x: Tensor) -> Tensor:
    return sum(x, axis=(0,))


def pick_rows(x: Tensor, index: Any) -> Tensor:
    index = _data(index)
    return x[np.arange(len(index)), index]


def sub_one_hot(x: Tensor, index: Any, scale: Any) -> Tensor:
    index = _data(index)
    one_hot = np.zeros(x.shape, dtype=x.dtype)
    one_hot[np.arange(len(index)), index] = 1
    return (x - Tensor(one_hot)) * scale


def reduce_loss(x: Tensor, reduction: str, square: bool = False) -> Tensor:
    x = x * x if square else x
    if reduction == "none":
        return x
    total = sum(x)
    return total / x.size if reduction == "mean" else total


def mul_scalar(x: Tensor, scalar: Any, factor: float) -> Tensor:
    return x * (scalar * factor)


# ---------------------------------------------------------------------- convolution
# (functions the convolution, pooling and batch-norm rules need)
# NOTE: the rules run Portable's kernels on this module, with Unfold and Fold as primitives,
# so each kernel's result is differentiable again.
def unfold(
    x: Tensor, kernel: Any, stride: Any, padding: Any, fill: float, dilation: Any = (1, 1)
) -> Tensor:
    return conv.Unfold.apply(
        x, kernel=kernel, stride=stride, padding=padding, fill=fill, dilation=dilation
    )


def fold(
    cols: Tensor,
    shape: tuple[int, ...],
    kernel: Any,
    stride: Any,
    padding: Any,
    dilation: Any = (1, 1),
) -> Tensor:
    return conv.Fold.apply(
        cols, shape=tuple(shape), kernel=kernel, stride=stride, padding=padding, dilation=dilation
    )


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return Tensor(np.argmax(_data(x), axis=axis, keepdims=keepdims))


def arange(*args: Any, **kwargs: Any) -> Tensor:
    return Tensor(np.arange(*args, **kwargs))


class _OnTensors(Portable):
    unfold, fold = staticmethod(unfold), staticmethod(fold)


_rules = _OnTensors(sys.modules[__name__])
conv2d_forward, conv2d_backward = _rules.conv2d_forward, _rules.conv2d_backward
max_pool2d_forward, max_pool2d_backward = _rules.max_pool2d_forward, _rules.max_pool2d_backward
avg_pool2d_forward, avg_pool2d_backward = _rules.avg_pool2d_forward, _rules.avg_pool2d_backward
batch_norm_forward, batch_norm_backward = _rules.batch_norm_forward, _rules.batch_norm_backward
gelu_tanh, gelu_tanh_backward = _rules.gelu_tanh, _rules.gelu_tanh_backward
sigmoid_backward, tanh_backward = _rules.sigmoid_backward, _rules.tanh_backward
standardise, standardise_backward = _rules.standardise, _rules.standardise_backward
attention, attention_backward = _rules.attention, _rules.attention_backward
