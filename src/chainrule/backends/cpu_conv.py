"""chainrule's tuned NumPy convolution, pooling and batch-norm kernels (the ``cpu`` namespace's).

The primitives in ``conv.py`` call them as ``xp.conv2d_forward`` and so on; ``portable.py``
holds the same kernels written with the Array API standard (tested to agree), and
``tensors.py`` runs those on Tensors for ``create_graph=True``.

Layout: the arrays these kernels return are stored channel-major, (C, N, H, W) in memory,
and exposed through a transposed view. That is the order the convolution GEMM writes, and
it keeps each channel's N*H*W values contiguous, so batch-norm statistics, broadcasts and
ReLU downstream run on long contiguous rows. Any input layout is accepted; layout changes
only cost a copy.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Grads = tuple[np.ndarray | None, ...]
Pair = tuple[int, int]

# Inputs with at least this many channels are unfolded channels-last, (N*OH*OW, KH*KW*C):
# each window row then copies runs of C contiguous values. Fewer channels (the image
# layer) unfold channel-major, (C*KH*KW, N*OH*OW), copying runs of OW values instead.
_CHANNELS_LAST_MIN = 4
# The batch is unfolded a few samples at a time, about this many bytes of columns each: they
# stay in cache for the GEMM that reads them (python -m bench.choices unfold_chunks).
_CHUNK_BYTES = 2 << 20
# Columns up to this size are kept from forward for the weight gradient; bigger ones are
# unfolded again in backward, chunk by chunk, so a large layer never holds KH*KW copies of
# its input. Unfolding again costs those layers no time, and keeping pays on smaller ones
# (python -m bench.choices unfold_large_again keep_columns).
_KEPT_COLUMNS_MAX_BYTES = 32 << 20
# Work arrays up to this size are kept, one per name and thread, and reused (at most
# 5 names: about 40 MB held per thread that ran a convolution).
_SCRATCH_MAX_BYTES = 8 << 20
# From this many bytes a sample, a channels-last to channel-major copy goes through
# sample-major memory (_reorder).
_REORDER_SAMPLE_MIN_BYTES = 32 << 10
_scratch = threading.local()


def _scratch_array(name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A work array that never leaves the primitive: reused across calls, never zeroed.

    NOTE: a fresh large array costs a page fault per page on first touch (more than the
    im2col copy itself); the per-thread buffers pay that once.
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes > _SCRATCH_MAX_BYTES:
        return np.empty(shape, dtype=dtype)
    buffers = _scratch.__dict__.setdefault("buffers", {})
    if name not in buffers or buffers[name].nbytes < nbytes:
        buffers[name] = np.empty(nbytes, dtype=np.uint8)
    return buffers[name][:nbytes].view(dtype).reshape(shape)


def _out_size(op: str, shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair) -> Pair:
    """(OH, OW) of a sliding window; raises when the window does not fit."""
    h, w = shape[2] + 2 * padding[0], shape[3] + 2 * padding[1]
    if kernel[0] > h or kernel[1] > w:
        raise ValueError(
            f"{op}: kernel {kernel} is larger than the padded input ({h}, {w}), "
            f"input {shape}, padding {padding}"
        )
    return (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1


def _window_slices(kernel: Pair, stride: Pair, out: Pair) -> list[tuple[Any, ...]]:
    """Per kernel offset (i, j), in row-major order, the index of x_pad[..., s*h + i, s*w + j]."""
    return [
        (
            Ellipsis,
            slice(i, i + stride[0] * (out[0] - 1) + 1, stride[0]),
            slice(j, j + stride[1] * (out[1] - 1) + 1, stride[1]),
        )
        for i in range(kernel[0])
        for j in range(kernel[1])
    ]


def _extent(kernel: Pair, dilation: Pair) -> Pair:
    """The span d*(k-1)+1 of a kernel whose taps lie ``dilation`` apart."""
    return dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1


def _dilated_slices(kernel: Pair, stride: Pair, out: Pair, dilation: Pair) -> list[tuple[Any, ...]]:
    """``_window_slices`` for taps ``dilation`` apart: x_pad[..., s*h + d*i, s*w + d*j]."""
    extent = _extent(kernel, dilation)
    every = _window_slices(extent, stride, out)  # one per offset of the span, row-major
    return [
        every[dilation[0] * i * extent[1] + dilation[1] * j]
        for i in range(kernel[0])
        for j in range(kernel[1])
    ]


def _pad(x: np.ndarray, padding: Pair, value: float) -> np.ndarray:
    """x with ``value`` borders on H and W, in x's memory layout (no copy without padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = np.empty_like(x, shape=(n, c, h + 2 * ph, w + 2 * pw))
    out.fill(value)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def _channel_major(x: np.ndarray) -> np.ndarray:
    """x (N, C, ...) stored as (C, N, ...) in memory, seen as (N, C, ...); copies if need be."""
    swap = (1, 0, *range(2, x.ndim))  # its own inverse
    return np.ascontiguousarray(x.transpose(swap)).transpose(swap)


def last_axis_sums(a: np.ndarray) -> np.ndarray:
    """The sums over a's last axis, as one matrix-vector product with ones.

    NOTE: a GEMV, faster than ``a.sum(axis=-1)`` on float rows, which NumPy reduces slowly
    (python -m bench.choices row_sums); batch norm, softmax and layer norm sum such rows.
    """
    return a @ _ones(a.shape[-1], a.dtype)


@functools.lru_cache(maxsize=64)
def _ones(length: int, dtype: np.dtype) -> np.ndarray:
    ones = np.ones(length, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _row_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_j a[i, j] * b[i, j] for each row i.

    NOTE: one BLAS dot per row, faster than einsum("ij,ij->i") on a batch's activations
    (python -m bench.choices row_dots), and more accurate in float32.
    """
    return np.matmul(a[:, None, :], b[:, :, None]).reshape(-1)


# ---------------------------------------------------------------------- convolution
def _unfold_source(x: np.ndarray, padding: Pair, channels_last: bool) -> np.ndarray:
    """The padded input in the order im2col reads, (N, Hp, Wp, C) or (C, N, Hp, Wp): a
    scratch array, or a view of x when that is already the order."""
    (n, c, h, w), (ph, pw) = x.shape, padding
    if not channels_last and ph == pw == 0:
        return x.transpose(1, 0, 2, 3)
    shape = (n, h + 2 * ph, w + 2 * pw, c) if channels_last else (c, n, h + 2 * ph, w + 2 * pw)
    xs = _scratch_array("source", shape, x.dtype)
    if ph or pw:
        xs.fill(0)
    if channels_last:
        _reorder(x, xs[:, ph : ph + h, pw : pw + w].transpose(0, 3, 1, 2))
    else:
        xs[:, :, ph : ph + h, pw : pw + w] = x.transpose(1, 0, 2, 3)
    return xs


def _reorder(x: np.ndarray, into: np.ndarray) -> None:
    """``into[...] = x`` for (N, C, H, W) views of different memory orders: from channels-last
    into channel-major memory through a sample-major scratch copy, when samples are large.

    NOTE: that copy, made directly, scatters each sample's C-long runs C pages apart; through
    sample-major memory one copy transposes each sample within the cache and the other moves
    H*W-long runs (python -m bench.choices reorder_samples). Small samples, and every other
    pair of orders, copy directly
    (python -m bench.choices reorder_small reorder_to_channels_last).
    """
    channels_last, channel_major = x.strides[1] < x.strides[3], into.strides[1] > into.strides[0]
    if not (channels_last and channel_major) or x[0].nbytes < _REORDER_SAMPLE_MIN_BYTES:
        np.copyto(into, x)
        return
    sample_major = _scratch_array("samples", x.shape, x.dtype)
    np.copyto(sample_major, x)
    np.copyto(into, sample_major)


def _windows(xs: np.ndarray, kernel: Pair, stride: Pair, channels_last: bool) -> np.ndarray:
    """Every window of the unfolded source as one view: (N, OH, OW, KH, KW, C) channels-last,
    else (C, KH, KW, N, OH, OW). Built once per call; each batch chunk slices it."""
    (sh, sw) = stride
    if channels_last:
        windows = sliding_window_view(xs, kernel, axis=(1, 2))[:, ::sh, ::sw]
        return windows.transpose(0, 1, 2, 4, 5, 3)
    windows = sliding_window_view(xs, kernel, axis=(2, 3))[:, :, ::sh, ::sw]
    return windows.transpose(0, 4, 5, 1, 2, 3)


def _im2col(windows: np.ndarray, channels_last: bool, batch: slice, into: Any) -> np.ndarray:
    """The windows of samples ``batch`` as columns, (KH*KW*C or C*KH*KW, n*OH*OW), copied
    into ``into`` (this batch's part of a columns array), or if None a scratch array."""
    if channels_last:  # rows (n*OH*OW, KH*KW*C), returned transposed (a view)
        windows = windows[batch]
    else:
        windows = windows[:, :, :, batch]
    if into is None:
        cols = _scratch_array("cols", windows.shape, windows.dtype)
    else:
        cols = into.reshape(windows.shape)
        assert np.may_share_memory(cols, into), "im2col: the columns must land in `into`"
    np.copyto(cols, windows)
    if channels_last:
        return cols.reshape(-1, math.prod(windows.shape[3:])).T  # (KH*KW*C, n*OH*OW)
    return cols.reshape(math.prod(windows.shape[:3]), -1)


def _part(cols: np.ndarray | None, part: slice, channels_last: bool) -> np.ndarray | None:
    """The rows (channels-last) or columns of ``cols`` that one batch slice fills."""
    if cols is None:
        return None
    return cols[part] if channels_last else cols[:, part]


def _batches(n: int, sample_bytes: int) -> list[slice]:
    """Slices of the batch whose unfolded columns take about ``_CHUNK_BYTES``."""
    step = max(1, _CHUNK_BYTES // max(sample_bytes, 1))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def conv2d_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Pair, padding: Pair, keep: bool
) -> tuple[np.ndarray, tuple[Any, ...]]:
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    oh, ow = _out_size("conv2d", x.shape, (kh, kw), stride, padding)
    dtype = np.result_type(x.dtype, w.dtype)
    channels_last = c >= _CHANNELS_LAST_MIN
    xs = _unfold_source(x, padding, channels_last)
    windows = _windows(xs, (kh, kw), stride, channels_last)
    # NOTE: backward's weight gradient reads the same columns: up to _KEPT_COLUMNS_MAX_BYTES
    # they are unfolded once and kept (KH*KW times the input).
    cols = None
    shape = (n * oh * ow, c * kh * kw) if channels_last else (c * kh * kw, n * oh * ow)
    if keep and shape[0] * shape[1] * x.itemsize <= _KEPT_COLUMNS_MAX_BYTES:
        cols = np.empty(shape, dtype=x.dtype)
    # im2col and one GEMM, a few samples at a time so the columns stay in cache for it.
    # NOTE: the channel-major GEMM (few input channels) reads each column once: columns
    # it keeps are unfolded in one piece, for one GEMM.
    chunks = _batches(n, oh * ow * c * kh * kw * x.itemsize)
    if cols is not None and not channels_last:
        chunks = [slice(0, n)]
    if channels_last:
        w_mat = w.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)
        # NOTE: BLAS runs (M, K) @ (K, O) faster than (O, K) @ (K, M), then the result is
        # copied to channel-major (python -m bench.choices gemm_orientation).
        out = np.empty((o, n * oh * ow), dtype=dtype)  # channel-major
        out_rows = _scratch_array("rows", (chunks[0].stop * oh * ow, o), dtype)
        for batch in chunks:
            part = slice(batch.start * oh * ow, batch.stop * oh * ow)
            cols_t = _im2col(windows, True, batch, _part(cols, part, True))
            rows = out_rows[: cols_t.shape[1]]
            np.matmul(cols_t.T, w_mat.T, out=rows)
            if b is not None:
                rows += b
            out[:, part] = rows.T
    else:
        w_mat = w.reshape(o, c * kh * kw)
        out = np.empty((o, n * oh * ow), dtype=dtype)  # channel-major
        for batch in chunks:
            part = slice(batch.start * oh * ow, batch.stop * oh * ow)
            cols_t = _im2col(windows, False, batch, _part(cols, part, False))
            out_chunk = out[:, part]
            np.matmul(w_mat, cols_t, out=out_chunk)
            if b is not None:
                out_chunk += b[:, None]
    saved = (x, cols, w_mat, w.shape, stride, padding, channels_last)
    return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3), saved


def conv2d_backward(
    saved: tuple[Any, ...], grad: np.ndarray, needs_grad: tuple[bool, ...]
) -> Grads:
    x, cols, w_mat, w_shape, stride, padding, channels_last = saved
    n, c, h, w = x.shape
    o, _, kh, kw = w_shape
    oh, ow = grad.shape[2:]
    grad_mat = _channel_major(grad).transpose(1, 0, 2, 3).reshape(o, n * oh * ow)
    grad_x = grad_w = None
    if needs_grad[1]:
        if cols is not None:
            grad_w = _weight_grad(grad_mat, cols, channels_last)
        else:  # the columns were too big to keep: unfold x again, chunk by chunk
            xs = _unfold_source(x, padding, channels_last)
            windows = _windows(xs, (kh, kw), stride, channels_last)
            grad_w = np.zeros(w_mat.shape, dtype=np.result_type(grad, w_mat))
            for batch in _batches(n, oh * ow * c * kh * kw * x.itemsize):
                cols_t = _im2col(windows, channels_last, batch, None)
                part = slice(batch.start * oh * ow, batch.stop * oh * ow)
                rows = cols_t.T if channels_last else cols_t
                grad_w += _weight_grad(grad_mat[:, part], rows, channels_last)
        if channels_last:
            grad_w = np.ascontiguousarray(grad_w.reshape(o, kh, kw, c).transpose(0, 3, 1, 2))
        else:
            grad_w = grad_w.reshape(w_shape)
    if needs_grad[0]:
        # col2im: dL/dcols = w^T g, each kernel offset's slab added back where it was read
        ph, pw = padding
        slices = _window_slices((kh, kw), stride, (oh, ow))
        if channels_last:
            # NOTE: one (M, C) GEMM per offset, added at once: the adds then run over
            # contiguous OW*C rows instead of C-long runs of one (M, KH*KW*C) product.
            w_offsets = w_mat.reshape(o, kh * kw, c)
            grad_rows = _scratch_array("rows", (n * oh * ow, c), np.result_type(grad, w_mat))
            grad_xs = _scratch_array("grad", (n, h + 2 * ph, w + 2 * pw, c), grad_rows.dtype)
            grad_xs.fill(0)
            for k, (_, rows, columns) in enumerate(slices):
                np.matmul(grad_mat.T, w_offsets[:, k], out=grad_rows)
                grad_xs[:, rows, columns] += grad_rows.reshape(n, oh, ow, c)
            grad_x = np.empty((c, n, h, w), grad_xs.dtype).transpose(1, 0, 2, 3)
            interior = grad_xs[:, ph : ph + h, pw : pw + w]
            _reorder(interior.transpose(0, 3, 1, 2), grad_x)  # channel-major, fresh
        else:
            grad_cols = (w_mat.T @ grad_mat).reshape(c, kh * kw, n, oh, ow)
            grad_xs = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=grad_cols.dtype)
            for k, index in enumerate(slices):
                grad_xs[index] += grad_cols[:, k]
            grad_x = grad_xs.transpose(1, 0, 2, 3)  # fresh, channel-major
            if ph or pw:
                grad_x = _channel_major(_crop(grad_x, padding))  # compact
    if len(needs_grad) == 2:
        return grad_x, grad_w
    grad_b = last_axis_sums(grad_mat) if needs_grad[2] else None  # dL/db = sum_nhw g
    return grad_x, grad_w, grad_b


def _weight_grad(grad_mat: np.ndarray, cols: np.ndarray, channels_last: bool) -> np.ndarray:
    """dL/dw = dL/dy @ cols^T, for columns stored as rows (M, K) or channel-major (K, M)."""
    if channels_last:
        return grad_mat @ cols
    # NOTE: the same product, in the order BLAS runs faster (bench.choices weight_grad_order)
    return (cols @ grad_mat.T).T


# ---------------------------------------------------------------------- pooling
# NOTE: pooling reduces over the KH*KW strided slices of x, one NumPy call per kernel
# offset. For 2x2 windows that is 3 np.maximum calls on quarter-size views, faster than a
# reshape to (N, C, OH, 2, OW, 2) and .max(axis=(3, 5)), so there is no separate reshape
# path for non-overlapping windows (python -m bench.choices pool_max_views).
def max_pool2d_forward(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, keep: bool
) -> tuple[np.ndarray, tuple[Any, ...]]:
    xp, slices = _pool_windows("max_pool2d", x, kernel_size, stride, padding, -np.inf)
    windows = [xp[index] for index in slices]  # per kernel offset, a strided view
    if keep and not _overlapping(kernel_size, stride):
        # NOTE: disjoint windows: a contiguous copy of each offset's slice (together at
        # most the input's size) makes backward's compares faster than on strided views
        # (python -m bench.choices pool_contiguous_windows).
        windows = [np.copy(window) for window in windows]  # np.copy keeps the layout
    if len(windows) == 1:  # a 1x1 kernel
        out = np.copy(windows[0])
    else:  # NOTE: the first maximum allocates out, in the windows' layout (no extra copy)
        out = np.maximum(windows[0], windows[1])
    for window in windows[2:]:
        np.maximum(out, window, out=out)
    return out, (xp, windows, out, kernel_size, stride, padding)


def max_pool2d_backward(saved: tuple[Any, ...], grad: np.ndarray) -> Grads:
    xp, windows, out, kernel_size, stride, padding = saved
    grad = _in_layout_of(grad, out)
    slices = _window_slices(kernel_size, stride, out.shape[2:])
    overlap = _overlapping(kernel_size, stride)
    tiled = not overlap and all(
        size == k * o for size, k, o in zip(xp.shape[2:], kernel_size, out.shape[2:])
    )  # every element lies in exactly one window, so each is written below
    grad_xp = (np.empty_like if tiled else np.zeros_like)(xp, dtype=grad.dtype)
    taken = None
    for k, index in enumerate(slices):  # dL/dx = dL/dy at the first max (as PyTorch)
        if taken is None:
            hit = taken = windows[k] == out
        elif k == len(slices) - 1:
            hit = ~taken  # the last offset holds the maximum of every window not yet taken
        else:
            hit = windows[k] == out
            np.greater(hit, taken, out=hit)  # hit and not taken by an earlier offset
            taken |= hit
        if overlap:
            grad_xp[index] += grad * hit
        else:  # NOTE: disjoint windows: a product (python -m bench.choices pool_grad_multiply)
            np.multiply(grad, hit, out=grad_xp[index])
    return (_crop(grad_xp, padding),)


def avg_pool2d_forward(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair
) -> tuple[np.ndarray, tuple[Any, ...]]:
    xp, slices = _pool_windows("avg_pool2d", x, kernel_size, stride, padding, 0.0)
    out = np.copy(xp[slices[0]])
    for index in slices[1:]:
        out += xp[index]
    out *= 1 / len(slices)
    return out, (xp.shape, kernel_size, stride, padding)


def avg_pool2d_backward(saved: tuple[Any, ...], grad: np.ndarray) -> Grads:
    xp_shape, kernel_size, stride, padding = saved
    slices = _window_slices(kernel_size, stride, grad.shape[2:])
    share = grad * (1 / len(slices))  # dL/dx = dL/dy / (kH*kW) per window
    grad_xp = np.zeros_like(grad, shape=xp_shape)
    for index in slices:
        grad_xp[index] += share
    return (_crop(grad_xp, padding),)


def _pool_windows(
    op: str, x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, fill: float
) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """The padded input and, per kernel offset, the index of its strided slice."""
    out_size = _out_size(op, x.shape, kernel_size, stride, padding)
    return _pad(x, padding, fill), _window_slices(kernel_size, stride, out_size)


def _overlapping(kernel_size: Pair, stride: Pair) -> bool:
    """Whether neighbouring windows share elements (a stride shorter than the kernel)."""
    return stride[0] < kernel_size[0] or stride[1] < kernel_size[1]


def _in_layout_of(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``a`` stored in ``like``'s memory order (a copy only when it differs).

    NOTE: elementwise ops on operands of different layouts run slower
    (python -m bench.choices layout_match); a gradient
    reshaped from a Linear layer arrives (N, C, H, W) while pooling saved channel-major.
    """
    if a.strides == like.strides:
        return a
    copy = np.empty_like(like, dtype=a.dtype)
    copy[...] = a
    return copy


def _crop(x: np.ndarray, padding: Pair) -> np.ndarray:
    ph, pw = padding
    return x[:, :, ph : x.shape[2] - ph, pw : x.shape[3] - pw]


# ---------------------------------------------------------------------- normalisation
def _channel_rows(x: np.ndarray) -> np.ndarray:
    """x (N, C, ...) as a (C, N*...) matrix of rows, a view when x is channel-major."""
    return _channel_major(x).transpose(1, 0, *range(2, x.ndim)).reshape(x.shape[1], -1)


def batch_norm_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Batch statistics (updating the running ones in place) in training, else the
    running statistics."""
    rows = _channel_rows(x)  # (C, M): statistics are row reductions
    count = rows.shape[1]
    if training:
        mean = last_axis_sums(rows) / count
        out = rows - mean[:, None]
        var = _row_dots(out, out) / count  # biased, for normalising
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:  # NOTE: unbiased, as PyTorch's running estimate
            running_var *= 1 - momentum
            running_var += momentum * count / (count - 1) * var
    else:
        # batch_norm has checked that evaluation gets both running statistics
        assert running_mean is not None and running_var is not None
        mean = running_mean.astype(x.dtype)
        out = rows - mean[:, None]
        var = running_var.astype(x.dtype, copy=False)
    inv_std = 1 / np.sqrt(var + eps)
    out *= (weight * inv_std)[:, None]
    out += bias[:, None]
    # NOTE: x - mean is recomputed in backward: x is kept alive by the graph anyway.
    return _from_rows(out, x.shape), (rows, mean, inv_std, weight, training)


def batch_norm_backward(
    saved: tuple[Any, ...], grad: np.ndarray, needs_grad: tuple[bool, ...]
) -> Grads:
    rows, mean, inv_std, weight, training = saved
    centred = np.subtract(rows, mean[:, None], out=_scratch_array("rows", rows.shape, rows.dtype))
    grad_rows = _channel_rows(grad)
    count = rows.shape[1]
    grad_bias: np.ndarray | None = last_axis_sums(grad_rows)  # dL/dbias = sum dL/dy
    # dL/dweight = sum dL/dy * x_hat, with x_hat = (x - mean) * inv_std
    grad_weight: np.ndarray | None = _row_dots(grad_rows, centred) * inv_std
    grad_x = None
    if needs_grad[0]:
        scale = weight * inv_std
        if training:
            # dL/dx = weight * inv_std * (dL/dy - mean(dL/dy) - x_hat * mean(dL/dy * x_hat))
            centred *= (scale * inv_std * grad_weight / count)[:, None]
            grad_x = grad_rows * scale[:, None]
            grad_x -= centred
            grad_x -= (scale * grad_bias / count)[:, None]
        else:
            grad_x = grad_rows * scale[:, None]  # the statistics are constants here
        grad_x = _from_rows(grad_x, grad.shape)
    grad_weight = grad_weight if needs_grad[1] else None
    grad_bias = grad_bias if needs_grad[2] else None
    return grad_x, grad_weight, grad_bias


def _from_rows(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of ``_channel_rows``: (C, M) back to ``shape`` (N, C, ...), channel-major."""
    axes = (1, 0, *range(2, len(shape)))
    return rows.reshape(tuple(shape[a] for a in axes)).transpose(axes)


# ---------------------------------------------------------------------- unfold and fold
# (the Unfold and Fold primitives' kernels: the general convolutions and pooling of
# nn/functional.py are built on them; the tuned paths above do not use them)
def unfold(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, fill: float, dilation: Pair = (1, 1)
) -> np.ndarray:
    """im2col: (N, C, H, W) -> (N, C*KH*KW, OH*OW), x_pad[n, c, s*h + d*i, s*w + d*j] at
    [n, (c*KH + i)*KW + j, h*OW + w]; the padding holds ``fill``."""
    n, c = x.shape[:2]
    extent = _extent(kernel, dilation)
    oh, ow = _out_size("unfold", x.shape, extent, stride, padding)
    windows = sliding_window_view(_pad(x, padding, fill), extent, axis=(2, 3))
    windows = windows[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]
    windows = windows.transpose(0, 1, 4, 5, 2, 3)
    return windows.reshape(n, c * kernel[0] * kernel[1], oh * ow)


def fold(
    cols: np.ndarray,
    shape: tuple[int, ...],
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair = (1, 1),
) -> np.ndarray:
    """col2im, the transpose of ``unfold``: each column value added back where it was read."""
    (n, c, h, w), (ph, pw) = shape, padding
    oh, ow = _out_size("fold", shape, _extent(kernel, dilation), stride, padding)
    slabs = cols.reshape(n, c, kernel[0] * kernel[1], oh, ow)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for k, index in enumerate(_dilated_slices(kernel, stride, (oh, ow), dilation)):
        out[index] += slabs[:, :, k]
    return _crop(out, padding)
