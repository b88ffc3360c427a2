"""Resampling along one axis: where each output position reads, as PyTorch computes it.

Interpolation and adaptive pooling are separable: along each spatial axis an output position
reads a few input positions, with weights. NumPy builders give that as an index array
(nearest, adaptive max windows) or an (out, in) weight matrix (linear, cubic, area); ``take``
and ``along`` apply them with ``GetItem`` or ``MatMul``, so no primitive of its own is needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor

_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) bicubic convolution constant


def nearest_index(size_in: int, size_out: int, scale: float | None, exact: bool) -> np.ndarray:
    """The input position each output position copies: floor(dst * in / out), or with
    ``exact`` floor((dst + 0.5) * in / out); ``scale`` (the user's scale factor) replaces
    out / in when given. In float32, as PyTorch's kernels."""
    dst = np.arange(size_out)
    if not exact and size_out == size_in:
        return dst
    if not exact and size_out == 2 * size_in:
        return dst >> 1
    step = np.float32(1.0 / scale) if scale else np.float32(size_in) / np.float32(size_out)
    if exact:  # NOTE: (dst + 0.5) * step is computed in double, then floored as a float
        src = np.floor(((dst + 0.5) * np.float64(step)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * step)
    return np.minimum(src.astype(np.int64), size_in - 1)


def _source_positions(
    size_in: int, size_out: int, align_corners: bool, scale: float | None, dtype: Any, cubic: bool
) -> np.ndarray:
    """The real-valued input position of each output position (PyTorch's
    ``area_pixel_compute_source_index``)."""
    dtype = np.dtype(dtype)
    dst = np.arange(size_out).astype(dtype)
    if align_corners:
        step = dtype.type((size_in - 1) / (size_out - 1) if size_out > 1 else 0.0)
        return step * dst
    if scale:
        step = dtype.type(1.0 / scale)
    else:
        step = dtype.type(size_in) / dtype.type(size_out)
    src = step * (dst + dtype.type(0.5)) - dtype.type(0.5)
    return src if cubic else np.maximum(src, dtype.type(0))


def linear_matrix(
    size_in: int, size_out: int, align_corners: bool, scale: float | None, dtype: Any
) -> np.ndarray:
    """(out, in) weights of linear interpolation: the two neighbours of each source position."""
    src = _source_positions(size_in, size_out, align_corners, scale, dtype, cubic=False)
    low = src.astype(np.int64)
    high = low + (low < size_in - 1)
    weight_high = np.clip(src - low.astype(src.dtype), 0, 1)
    matrix = np.zeros((size_out, size_in), dtype=dtype)
    rows = np.arange(size_out)
    np.add.at(matrix, (rows, low), 1 - weight_high)
    np.add.at(matrix, (rows, high), weight_high)
    return matrix


def cubic_matrix(
    size_in: int, size_out: int, align_corners: bool, scale: float | None, dtype: Any
) -> np.ndarray:
    """(out, in) weights of bicubic convolution (A = -0.75) over four neighbours, positions
    past the border clamped to it, as PyTorch's ``upsample_bicubic2d``."""
    src = _source_positions(size_in, size_out, align_corners, scale, dtype, cubic=True)
    base = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), size_in - 1)
    t = np.clip(src - base.astype(src.dtype), 0, 1)
    a = src.dtype.type(_CUBIC_A)

    def near(x: np.ndarray) -> np.ndarray:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: np.ndarray) -> np.ndarray:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    matrix = np.zeros((size_out, size_in), dtype=dtype)
    rows = np.arange(size_out)
    for offset, weight in zip(range(-1, 3), weights):
        np.add.at(matrix, (rows, np.clip(base + offset, 0, size_in - 1)), weight)
    return matrix


def _adaptive_bounds(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive pooling's windows: [floor(i * in / out), ceil((i + 1) * in / out))."""
    i = np.arange(size_out)
    return (i * size_in) // size_out, -((-(i + 1) * size_in) // size_out)


def area_matrix(size_in: int, size_out: int, dtype: Any) -> np.ndarray:
    """(out, in) weights of adaptive average pooling: the mean of each window."""
    start, end = _adaptive_bounds(size_in, size_out)
    columns = np.arange(size_in)
    inside = (columns >= start[:, None]) & (columns < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_windows(size_in: int, size_out: int) -> np.ndarray:
    """(out, longest window) input positions of adaptive max pooling's windows, the shorter
    ones padded by repeating their last position (a repeat leaves a maximum unchanged)."""
    start, end = _adaptive_bounds(size_in, size_out)
    longest = int((end - start).max()) if size_out else 0
    return np.minimum(start[:, None] + np.arange(longest), end[:, None] - 1)


def along(x: Tensor, matrix: np.ndarray, axis: int) -> Tensor:
    """``x`` with its ``axis`` mapped through the (out, in) ``matrix``: out = matrix @ x there."""
    weights = matrix.astype(x.dtype, copy=False)
    if axis == x.ndim - 1:
        return x @ Tensor(weights.T)
    if axis == x.ndim - 2:
        return Tensor(weights) @ x
    axes = list(range(x.ndim))
    axes[axis], axes[-1] = axes[-1], axes[axis]
    return (x.transpose(axes) @ Tensor(weights.T)).transpose(axes)


def take(x: Tensor, index: np.ndarray, axis: int) -> Tensor:
    """``x`` at positions ``index`` along ``axis``; a whole-number upsampling (each position
    repeated k times) is a broadcast instead, whose gradient is a sum."""
    size = x.shape[axis]
    if len(index) == size and np.array_equal(index, np.arange(size)):
        return x
    repeats = len(index) // size if size else 0
    if repeats and np.array_equal(index, np.arange(len(index)) // repeats):
        head, tail = x.shape[: axis + 1], x.shape[axis + 1 :]
        spread = x.reshape(*head, 1, *tail).broadcast_to((*head, repeats, *tail))
        return spread.reshape(*x.shape[:axis], len(index), *tail)
    return ops.GetItem.apply(x, index=(slice(None),) * axis + (index,))
