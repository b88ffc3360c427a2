"""The NumPy namespace ops run in, with chainrule's tuned kernels; portable twins in portable.py.

The Array API names map to NumPy's fastest spelling, its methods where it has them
(python -m bench.choices method_sum); the kernels (``sigmoid``, ``relu``, ``scatter_add``)
are NumPy-only fast paths, tested against ``portable``'s versions.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numpy import (  # noqa: F401  (re-exported: the namespace's standard functions)
    abs,
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    broadcast_to,
    clip,
    concat,
    copysign,
    cos,
    cosh,
    cumulative_prod,
    cumulative_sum,
    exp,
    expm1,
    finfo,
    flip,
    floor_divide,
    fmod,
    hypot,
    isfinite,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    matmul,
    maximum,
    minimum,
    ones_like,
    remainder,
    sign,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
    trunc,
    where,
    zeros,
    zeros_like,
)


@functools.lru_cache(maxsize=256, typed=True)  # typed: 1, 1.0 and True are three keys
def constant(value: float, dtype: np.dtype) -> np.ndarray:
    """``value`` as a read-only 0-d array of ``dtype``, made once per pair.

    NOTE: NumPy converts a Python scalar operand on every ufunc call, much of an op's cost on
    a small array (python -m bench.choices scalar_constant); a 0-d array of the array's dtype
    skips that and keeps the result in that dtype. As keys 0.0 == -0.0: pass a zero that may
    be negative to ``signed_constant``.
    """
    array = np.array(value, dtype=dtype)
    array.flags.writeable = False
    return array


def signed_constant(value: float, dtype: np.dtype) -> np.ndarray:
    """``constant`` for any value: a zero, of either sign, is made anew."""
    return constant(value, dtype) if value else np.array(value, dtype=dtype)


# NOTE: NumPy reduces rows (the last axis) slowly when they are short: a sum over rows of
# 16-256 floats takes longer than a matrix-vector product with ones (cpu_conv.last_axis_sums),
# a max longer than a tree of np.maximum over halves (python -m bench.choices row_sums row_max).
# Softmax, layer norm and attention reduce such rows.
_TREE_MAX_ROWS = 64  # the longest rows the tree of maxima is used for


def _over_rows(x: np.ndarray, axis: Any) -> bool:
    """Whether ``axis`` is x's last axis alone, with x float32/64 rows, contiguous, non-empty."""
    if type(axis) is tuple:
        if len(axis) != 1:
            return False
        (axis,) = axis
    return (
        type(axis) is int
        and x.ndim >= 2
        and axis in (-1, x.ndim - 1)
        and x.dtype in _GEMV_DTYPES
        and x.size > 0
        and x.strides[-1] == x.itemsize
    )


_GEMV_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def sum(  # noqa: A001
    x: np.ndarray, axis: Any = None, keepdims: bool = False, dtype: Any = None
) -> np.ndarray:
    if dtype is None and _over_rows(x, axis):
        out = last_axis_sums(x)
        return out[..., None] if keepdims else out
    return np.asarray(x.sum(axis=axis, keepdims=keepdims, dtype=dtype))


def mean(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    if _over_rows(x, axis):
        out = last_axis_sums(x) / x.shape[-1]
        return out[..., None] if keepdims else out
    return np.asarray(x.mean(axis=axis, keepdims=keepdims))


def max(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001
    if _over_rows(x, axis) and 1 < x.shape[-1] <= _TREE_MAX_ROWS:  # a fresh array, as NumPy's
        out = _tree_max(x)
        return out if keepdims else out[..., 0]
    return np.asarray(x.max(axis=axis, keepdims=keepdims))


def _tree_max(x: np.ndarray) -> np.ndarray:
    """The max over the last axis (kept, length 1): maxima of halves until one is left."""
    while x.shape[-1] > 1:
        half = x.shape[-1] // 2
        top = np.maximum(x[..., :half], x[..., half : 2 * half])
        if x.shape[-1] % 2:  # the odd one out joins the first column
            np.maximum(top[..., :1], x[..., 2 * half :], out=top[..., :1])
        x = top
    return x


def min(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001
    return np.asarray(x.min(axis=axis, keepdims=keepdims))


def prod(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.asarray(x.prod(axis=axis, keepdims=keepdims))


def any(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:  # noqa: A001
    return np.asarray(x.any(axis=axis, keepdims=keepdims))


def reshape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return x.reshape(shape)


def astype(x: np.ndarray, dtype: Any) -> np.ndarray:
    return x.astype(dtype, copy=False)


def asarray(x: Any, dtype: Any = None, like: Any = None) -> np.ndarray:
    return np.asarray(x, dtype=dtype)


def clone(x: np.ndarray) -> np.ndarray:
    """A copy of ``x`` in new row-major memory (``Tensor.clone`` and ``contiguous``)."""
    return np.array(x, order="C")


def sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) as exp(-softplus(-a)): no overflow, one buffer for all four passes."""
    out = np.asarray(np.negative(a))  # asarray: a 0-d input's result is a scalar
    np.logaddexp(constant(0, out.dtype), out, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    return out


# NumPy has no erf: the C library's, one element at a time (exact, but a call an element).
_erf, _erfc = np.frompyfunc(math.erf, 1, 1), np.frompyfunc(math.erfc, 1, 1)


def erf(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erf(x), dtype=x.dtype)


def erfc(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erfc(x), dtype=x.dtype)


def relu(a: np.ndarray) -> np.ndarray:
    """max(a, 0) against a 0-d zero of a's dtype (NOTE: faster than a maximum against a
    zeros array; python -m bench.choices relu_zero)."""
    return np.maximum(a, constant(0, a.dtype))


from .normal_cdf import normal_cdf_masked as normal_cdf  # noqa: E402, F401
from .portable import GELU_CUBIC, GELU_LINEAR, Portable  # noqa: E402


def mask(x: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``x`` where the bool array ``keep`` holds, else 0: the product with the bool array.

    NOTE: faster than ``where(keep, x, 0)`` (python -m bench.choices mask_multiply), and a
    bool factor needs no float copy of the mask.
    """
    return x * keep


def sigmoid_backward(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Portable's ``sigmoid_backward`` in one buffer, against a 1 of out's dtype
    (python -m bench.choices sigmoid_backward_buffer)."""
    if grad.dtype != out.dtype:  # the product's dtype is wider than the buffer's
        return _on_numpy.sigmoid_backward(out, grad)
    slope = constant(1, out.dtype) - out
    slope *= out
    slope *= grad
    return slope


def tanh_backward(out: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Portable's ``tanh_backward`` in two buffers, against a 1 of out's dtype
    (python -m bench.choices tanh_backward_buffer)."""
    if grad.dtype != out.dtype:
        return _on_numpy.tanh_backward(out, grad)
    slope = constant(1, out.dtype) - out * out
    slope *= grad
    return slope


def gelu_tanh(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Portable's ``gelu_tanh`` in two buffers, each pass in place
    (python -m bench.choices gelu_tanh_buffers)."""
    t = np.multiply(a, a, out=np.empty_like(a, dtype=np.result_type(a, 0.5)))  # 0-d too
    t *= GELU_CUBIC
    t += GELU_LINEAR
    t *= a
    np.tanh(t, out=t)
    out = np.multiply(t, 0.5, out=np.empty_like(t))
    out += 0.5
    out *= a
    return out, t


def gelu_tanh_backward(a: np.ndarray, t: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Portable's ``gelu_tanh_backward`` in two buffers, each pass in place
    (python -m bench.choices gelu_tanh_backward_buffers)."""
    out = np.multiply(t, t, out=np.empty_like(t, dtype=np.result_type(t, grad)))
    np.subtract(1, out, out=out)  # 1 - t^2
    slope = np.multiply(a, a, out=np.empty_like(t))
    slope *= 3 * GELU_CUBIC
    slope += GELU_LINEAR
    out *= slope
    out *= a
    np.add(t, 1, out=slope)
    out += slope
    out *= 0.5
    out *= grad
    return out


_on_numpy = Portable(np)  # the standard-only kernels, for the cases a fast path leaves


def standardise(
    x: np.ndarray, weight: Any, bias: Any, axes: tuple[int, ...], eps: float
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Portable's ``standardise`` over the trailing axes of a contiguous float array, seen as
    rows: sums as matrix-vector products, fewer passes
    (python -m bench.choices standardise_rows)."""
    first = x.ndim - len(axes)
    if not (
        x.dtype in _GEMV_DTYPES
        and x.size
        and x.flags.c_contiguous
        and sorted(a % x.ndim for a in axes) == list(range(first, x.ndim))
        and (weight is None or weight.dtype == bias.dtype == x.dtype)
    ):
        out, saved = _on_numpy.standardise(x, weight, bias, axes, eps)
        return out, ("portable", saved)
    rows = x.reshape(-1, math.prod(x.shape[first:]))
    scale = 1 / rows.shape[1]
    xhat = rows - (last_axis_sums(rows) * scale)[:, None]
    rstd = 1 / np.sqrt(_row_dots(xhat, xhat) * scale + eps)
    xhat *= rstd[:, None]
    out = xhat
    if weight is not None:
        out = xhat * weight.reshape(-1)
        out += bias.reshape(-1)
    return out.reshape(x.shape), ("rows", xhat, rstd, weight)


def standardise_backward(
    saved: tuple[Any, ...], grad: np.ndarray, needs_grad: Any
) -> tuple[np.ndarray | None, ...]:
    """``standardise``'s backward, on its rows.

    NOTE: one product P = dL/dy * xhat gives both dL/dweight (P's column sums) and
    mean(h xhat) = (P @ weight) / width, with h = dL/dy * weight never made.
    """
    kind, *state = saved
    if kind == "portable":
        return _on_numpy.standardise_backward(state[0], grad, needs_grad)
    xhat, rstd, weight = state
    g = grad.reshape(xhat.shape)
    scale = 1 / xhat.shape[1]
    if weight is None:
        mean_grad, projection = last_axis_sums(g) * scale, _row_dots(g, xhat) * scale
        correction = xhat * projection[:, None]
        grad_x = g - correction
    else:
        w = weight.reshape(-1)
        correction = g * xhat
        shape = weight.shape
        grad_weight = last_axis_sums(correction.T).reshape(shape) if needs_grad[1] else None
        grad_bias = last_axis_sums(g.T).reshape(shape) if needs_grad[2] else None
        mean_grad, projection = (g @ w) * scale, (correction @ w) * scale
        np.multiply(xhat, projection[:, None], out=correction)
        grad_x = g * w
        grad_x -= correction
    # dL/dx = rstd (h - mean(h) - xhat mean(h xhat))
    grad_x -= mean_grad[:, None]
    grad_x *= rstd[:, None]
    grad_x = grad_x.reshape(grad.shape)
    return (grad_x,) if weight is None else (grad_x, grad_weight, grad_bias)


def attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Any, keep: Any, scale: float
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Portable's ``attention``, the scores kept key-major: a (S, ..., L) array, so softmax's
    reductions over the keys run along its first axis, in long vectorised passes.

    NOTE: NumPy reduces short last axes one row at a time (python -m bench.choices row_max).
    This path takes no float mask, a 2-d or no ``keep`` and unbroadcast batch dims
    (python -m bench.choices attention_keys).
    """
    lead = q.shape[:-2]
    if not (
        mask is None
        and (keep is None or keep.ndim == 2)
        and q.ndim > 2
        and lead == k.shape[:-2] == v.shape[:-2]
        and q.dtype in _GEMV_DTYPES
    ):
        out, saved = _on_numpy.attention(q, k, v, mask, keep, scale)
        return out, ("portable", saved)
    length, keys = q.shape[-2], k.shape[-2]
    scores = np.empty((keys, *lead, length), q.dtype)
    np.copyto(_key_major(scores), np.matmul(k, q.swapaxes(-1, -2)))  # (..., S, L) products
    flat = scores.reshape(keys, -1)
    flat *= scale
    if keep is not None:  # -inf where a key is not kept, (S, 1, ..., L)
        bias = np.where(np.broadcast_to(keep, (length, keys)).T, 0, -np.inf).astype(q.dtype)
        scores += bias.reshape(keys, *(1,) * len(lead), length)
    top = flat.max(axis=0)
    top[top == -np.inf] = 0  # a row with nothing kept: exp gives 0s
    flat -= top
    np.exp(flat, out=flat)
    total = flat.sum(axis=0)
    total[total == 0] = 1
    flat /= total
    return np.matmul(_key_major(scores).swapaxes(-1, -2), v), ("keys", q, k, v, scores, scale)


def attention_backward(saved: tuple[Any, ...], grad: np.ndarray, needs: Any) -> tuple[Any, ...]:
    """``attention``'s backward, on its key-major probabilities."""
    kind, *state = saved
    if kind == "portable":
        return _on_numpy.attention_backward(state[0], grad, needs)
    q, k, v, probs, scale = state
    by_key = _key_major(probs)  # (..., S, L): P^T
    grad_v = np.matmul(by_key, grad) if needs[2] else None
    if not (needs[0] or needs[1]):
        return None, None, grad_v, None
    grad_s = np.empty_like(probs)  # dL/dscores = P * (dL/dP - rowsum(dL/dP * P))
    np.copyto(_key_major(grad_s), np.matmul(v, grad.swapaxes(-1, -2)))  # (dL/dP)^T
    flat, flat_probs = grad_s.reshape(len(probs), -1), probs.reshape(len(probs), -1)
    flat *= flat_probs
    flat -= flat_probs * flat.sum(axis=0)
    grad_q = grad_k = None
    if needs[0]:
        grad_q = np.matmul(_key_major(grad_s).swapaxes(-1, -2), k)
        grad_q *= scale
    if needs[1]:
        grad_k = np.matmul(_key_major(grad_s), q)
        grad_k *= scale
    return grad_q, grad_k, grad_v, None


def _key_major(scores: np.ndarray) -> np.ndarray:
    """A key-major (S, ..., L) array seen as (..., S, L)."""
    return np.moveaxis(scores, 0, -2)


def scatter_add(values: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """zeros(shape) with ``values`` added at ``index``; repeated indices accumulate."""
    out = np.zeros(shape, dtype=values.dtype)
    if _is_basic_index(index):
        out[index] = values
    else:
        np.add.at(out, index, values)
    return out


def _is_basic_index(index: Any) -> bool:
    """Ints, slices, None and Ellipsis select a view: no index repeats."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


# ---------------------------------------------------------------------- reduce and movement
# (functions the reduction and movement rules need)
def permute_dims(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return x.transpose(axes)  # NOTE: not np.permute_dims (bench.choices transpose_method)


def matrix_transpose(x: np.ndarray) -> np.ndarray:
    return x.swapaxes(-1, -2)


def broadcast_copy(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` broadcast to ``shape``, as a fresh array (the gradient of a reduction)."""
    out = np.empty(shape, dtype=x.dtype)  # NOTE: python -m bench.choices broadcast_copy
    out[...] = x
    return out


# (reductions and scans)
def logcumsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """log(cumsum(exp(x))) along axis, one logaddexp per step: no overflow, no underflow."""
    return np.logaddexp.accumulate(x, axis=axis)


def argsort(x: np.ndarray, axis: int = -1, descending: bool = False, stable: bool = True) -> Any:
    """The standard's argsort: stable, NaN last ascending and first descending (as PyTorch).

    NOTE: descending is the stable ascending order of the reversed axis, reversed, so that
    ties keep their order without negating (which unsigned and bool dtypes cannot).
    """
    if not descending:
        return np.argsort(x, axis=axis, stable=True)
    order = np.flip(np.argsort(np.flip(x, axis), axis=axis, stable=True), axis)
    return x.shape[axis] - 1 - order


# ---------------------------------------------------------------------- linalg and losses
# (functions the matmul, linear and loss rules need)

# From this many output elements up, np.matmul runs the GEMM faster than ndarray.dot, whose
# call costs less on small matrices (a transformer's Linear layers are the former, the 2-3-1
# net the latter; python -m bench.choices matmul_large dot_small).
_MATMUL_MIN_OUT = 8192


def dot(
    a: np.ndarray, b: np.ndarray, _dot: Any = np.ndarray.dot, _matmul: Any = np.matmul
) -> np.ndarray:
    """a @ b for matrices, through whichever NumPy call is faster at their size.

    NOTE: an outer product (inner size 1) stays with dot, where matmul is much slower
    (python -m bench.choices outer_product).
    The defaults are the fastest names to read: this runs on every step of small nets.
    """
    if len(a) * b.shape[-1] < _MATMUL_MIN_OUT or a.shape[-1] == 1:
        return _dot(a, b)
    return _matmul(a, b)


def einsum(equation: str, *operands: np.ndarray) -> np.ndarray:
    """np.einsum as an array; two operands or more through BLAS where it can (``optimize``)."""
    return np.asarray(np.einsum(equation, *operands, optimize=len(operands) > 1))


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """x @ w.T + b for a matrix x (``dot``'s choice of NumPy call, made inline: a Python call
    fewer on every batch-1 step)."""
    if len(x) * len(w) < _MATMUL_MIN_OUT or x.shape[-1] == 1:
        out = x.dot(w.T)
    else:
        out = np.matmul(x, w.T)
    if b is not None and len(out) == 1:
        out[0] += b  # NOTE: batch 1, a same-shape add (bench.choices bias_add_batch1)
    elif b is not None:
        out += b
    return out


def sum_rows(x: np.ndarray) -> np.ndarray:
    """x.sum(axis=0) of a matrix (a Linear layer's bias gradient): of one row a copy, of
    float rows a vector-matrix product with ones, both cheaper than a sum
    (python -m bench.choices sum_rows_one sum_rows_gemv)."""
    if len(x) == 1:
        return x[0].copy()
    return last_axis_sums(x.T) if x.dtype in _GEMV_DTYPES else x.sum(axis=0)


def pick_rows(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """x[i, index[i]] for every row i."""
    return x[np.arange(len(index)), index]


def sub_one_hot(x: np.ndarray, index: np.ndarray, scale: Any) -> np.ndarray:
    """(x - one_hot(index)) * scale, in place: pass an x nothing else holds."""
    x[np.arange(len(index)), index] -= 1
    x *= scale
    return x


def reduce_loss(x: np.ndarray, reduction: str, square: bool = False) -> np.ndarray:
    """The mean, the sum or (reduction "none") all of x, or of x * x with ``square``."""
    if reduction == "none":
        return x * x if square else x
    total = np.vdot(x, x) if square else x.sum()  # vdot: a sum of squares in one pass
    return np.asarray(total / x.size if reduction == "mean" else total)


def mul_scalar(x: np.ndarray, scalar: np.ndarray, factor: float) -> np.ndarray:
    """x * (scalar * factor) for a 0-d scalar, as a constant() of x's dtype."""
    return x * signed_constant(scalar.item() * factor, x.dtype)


# ---------------------------------------------------------------------- convolution
# (functions the convolution, pooling and batch-norm rules need)
from .cpu_conv import (  # noqa: E402, F401  (the tuned kernels, in a module of their own)
    _row_dots,
    avg_pool2d_backward,
    avg_pool2d_forward,
    batch_norm_backward,
    batch_norm_forward,
    conv2d_backward,
    conv2d_forward,
    fold,
    last_axis_sums,
    max_pool2d_backward,
    max_pool2d_forward,
    unfold,
)
