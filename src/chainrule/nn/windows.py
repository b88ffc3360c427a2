"""Sliding-window composites: the convolutions and pooling that the tuned primitives do not
cover (groups, dilation, uneven padding, transposed convolution, ceil_mode, indices).

Each is built from ``conv.Unfold``/``conv.Fold`` (im2col and col2im), ``MatMul``, ``Where``
and reductions, so it needs no backward of its own and differentiates again
(``create_graph=True``). ``nn.functional`` checks the arguments and calls these.
"""

from __future__ import annotations

import math

import numpy as np

from .. import conv, ops
from ..tensor import Tensor

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]  # ((top, bottom), (left, right))


def window_count(
    op: str,
    shape: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: Pair,
    pads: Pads,
    dilation: Pair,
) -> Pair:
    """(OH, OW) of a sliding window over the padded (N, C, H, W) input; raises when it does
    not fit."""
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    room = [size + a + b for size, (a, b) in zip(shape[2:], pads)]
    if spans[0] > room[0] or spans[1] > room[1]:
        raise ValueError(
            f"{op}: kernel {kernel} with dilation {dilation} spans {tuple(spans)}, more than "
            f"the padded input {tuple(room)}, input {shape}"
        )
    return (room[0] - spans[0]) // stride[0] + 1, (room[1] - spans[1]) // stride[1] + 1


def pad_constant(x: Tensor, pads: Pads, value: float = 0.0) -> Tensor:
    """``x`` (…, H, W) with ``value`` borders of ((top, bottom), (left, right))."""
    (top, bottom), (left, right) = pads
    h, w = x.shape[-2:]
    shape = (*x.shape[:-2], h + top + bottom, w + left + right)
    inside = (Ellipsis, slice(top, top + h), slice(left, left + w))
    out = ops.ScatterAdd.apply(x, shape=shape, index=inside)  # zeros with x inside
    if value == 0:
        return out
    fill = np.full(shape, value, dtype=x.dtype)
    fill[inside] = 0
    return out + Tensor(fill)


def _border_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """The input position each padded position copies, for ``mode`` padding."""
    index = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(index, 0, size - 1)
    if mode == "circular":
        return index % size
    period = max(2 * (size - 1), 1)  # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    index = np.abs(index) % period
    return np.where(index < size, index, period - index)


def pad_mode(op: str, x: Tensor, pads: Pads, mode: str) -> Tensor:
    """``x`` (…, H, W) padded by copying its own elements: "reflect", "replicate" or "circular"."""
    for (before, after), size in zip(pads, x.shape[-2:]):
        limit = size - 1 if mode == "reflect" else size
        if mode != "replicate" and max(before, after) > limit:
            raise ValueError(
                f"{op}: {mode} padding {pads} must be at most {limit} for input {x.shape}"
            )
    rows = _border_index(x.shape[-2], *pads[0], mode)
    columns = _border_index(x.shape[-1], *pads[1], mode)
    return ops.GetItem.apply(x, index=(Ellipsis, rows[:, None], columns[None, :]))


def conv2d(
    op: str,
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Pair,
    pads: Pads,
    dilation: Pair,
    groups: int,
) -> Tensor:
    """Grouped, dilated convolution of checked (N, C, H, W) input: im2col, then one batched
    product per group, (G, O/G, C/G*KH*KW) @ (N, G, C/G*KH*KW, OH*OW)."""
    padding = (pads[0][0], pads[1][0])
    if pads[0][0] != pads[0][1] or pads[1][0] != pads[1][1]:  # uneven: pad first
        x, padding = pad_constant(x, pads), (0, 0)
    n, o, kernel = x.shape[0], weight.shape[0], weight.shape[2:]
    out_size = window_count(op, x.shape, kernel, stride, even(padding), dilation)
    cols = conv.Unfold.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    cols = cols.reshape(n, groups, cols.shape[1] // groups, cols.shape[2])
    out = weight.reshape(groups, o // groups, math.prod(weight.shape[1:])) @ cols
    out = out.reshape(n, o, *out_size)
    return out if bias is None else out + bias.reshape(o, 1, 1)


def even(padding: Pair) -> Pads:
    """Symmetric (pH, pW) padding as ((pH, pH), (pW, pW))."""
    return (padding[0], padding[0]), (padding[1], padding[1])


def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Pair,
    padding: Pair,
    output_padding: Pair,
    dilation: Pair,
    groups: int,
) -> Tensor:
    """The transpose (input gradient) of conv2d, for checked (N, C_in, H, W) input and
    (C_in, C_out/G, KH, KW) weight: one product per group to columns, then col2im (Fold)."""
    n, c_in, h, w = x.shape
    c_out, kernel = weight.shape[1] * groups, weight.shape[2:]
    per_group = weight.reshape(groups, c_in // groups, math.prod(weight.shape[1:]))
    cols = per_group.transpose(0, 2, 1) @ x.reshape(n, groups, c_in // groups, h * w)
    cols = cols.reshape(n, c_out * kernel[0] * kernel[1], h * w)
    # every window's sum, uncropped, then the output's rows [p, full - p + output_padding)
    full = [(i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip((h, w), stride, dilation, kernel)]
    out = conv.Fold.apply(
        cols,
        shape=(n, c_out, *full),
        kernel=kernel,
        stride=stride,
        padding=(0, 0),
        dilation=dilation,
    )
    beyond = [max(0, e - p) for e, p in zip(output_padding, padding)]
    if beyond != [0, 0]:  # rows and columns past every window: zeros (then the bias)
        out = pad_constant(out, ((0, beyond[0]), (0, beyond[1])))
    rows, columns = (slice(p, size - p + e) for p, size, e in zip(padding, full, output_padding))
    if out.shape[2:] != (rows.stop - rows.start, columns.stop - columns.start):
        out = out[:, :, rows, columns]
    return out if bias is None else out + bias.reshape(c_out, 1, 1)


# ---------------------------------------------------------------------- pooling
def pool_count(
    op: str, size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """Windows along one axis, as PyTorch's ``pooling_output_shape``: with ``ceil_mode`` a last
    window that starts inside the input or its left padding is kept."""
    span = dilation * (kernel - 1) + 1
    count = (size + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    if count < 1:
        raise ValueError(
            f"{op}: kernel {kernel} (dilation {dilation}, padding {padding}) leaves no window "
            f"over an axis of size {size}"
        )
    return count


def pool_windows(
    op: str,
    x: Tensor,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    fill: float,
) -> tuple[Tensor, Pair]:
    """Every window of (N, C, H, W) input as (N, C, KH*KW, OH, OW), ``fill`` in the padding
    (and past the end, where ``ceil_mode`` lets the last windows run over), and (OH, OW)."""
    n, c = x.shape[:2]
    out_size = tuple(
        pool_count(op, *args, ceil_mode)
        for args in zip(x.shape[2:], kernel, stride, padding, dilation)
    )
    ends = [
        max(p, (o - 1) * s + d * (k - 1) + 1 - size - p)
        for o, s, d, k, size, p in zip(out_size, stride, dilation, kernel, x.shape[2:], padding)
    ]
    if ends != list(padding):  # the ceil_mode windows run past the padding: pad unevenly
        x = pad_constant(x, ((padding[0], ends[0]), (padding[1], ends[1])), fill)
        padding = (0, 0)
    cols = conv.Unfold.apply(
        x, kernel=kernel, stride=stride, padding=padding, fill=fill, dilation=dilation
    )
    return cols.reshape(n, c, kernel[0] * kernel[1], *out_size), out_size  # type: ignore[return-value]


def first_max(windows: Tensor, axis: int) -> tuple[Tensor, np.ndarray]:
    """The maximum of each window along ``axis`` and the position of its first maximum; the
    gradient goes to that one element, as PyTorch's max pooling."""
    first = windows.data.argmax(axis=axis)
    positions = np.arange(windows.shape[axis]).reshape(-1, *(1,) * (windows.ndim - axis - 1))
    hit = np.expand_dims(first, axis) == positions
    return ops.where(hit, windows, 0.0).sum(axis=axis), first


def max_pool2d(
    x: Tensor,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    return_indices: bool,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, H, W) input, and with ``return_indices`` the flat index
    h * W + w of each maximum."""
    windows, (oh, ow) = pool_windows(
        "max_pool2d", x, kernel, stride, padding, dilation, ceil_mode, -math.inf
    )
    out, first = first_max(windows, 2)
    if not return_indices:
        return out
    i, j = np.divmod(first, kernel[1])
    rows = np.arange(oh)[:, None] * stride[0] - padding[0] + i * dilation[0]
    columns = np.arange(ow) * stride[1] - padding[1] + j * dilation[1]
    return out, Tensor((rows * x.shape[3] + columns).astype(np.int64))


def _counts(
    size: int, kernel: int, stride: int, padding: int, count: int, include_pad: bool
) -> np.ndarray:
    """Elements per window along one axis: padding counted or not, never the part past the
    padding that ``ceil_mode`` adds (PyTorch's divisor)."""
    start = np.arange(count) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(
    x: Tensor,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    """Average pooling of (N, C, H, W) input: window sums over PyTorch's divisors."""
    windows, out_size = pool_windows(
        "avg_pool2d", x, kernel, stride, padding, (1, 1), ceil_mode, 0.0
    )
    if divisor_override is not None:
        divisor = np.asarray(divisor_override, dtype=x.dtype)
    else:
        h, w = (
            _counts(*args, count_include_pad)
            for args in zip(x.shape[2:], kernel, stride, padding, out_size)
        )
        divisor = np.outer(h, w).astype(x.dtype)
    return windows.sum(axis=2) / Tensor(divisor)


def max_unpool2d(x: Tensor, indices: np.ndarray, size: Pair) -> Tensor:
    """Each element of (N, C, H, W) ``x`` put at its flat index of an (N, C, *size) zeros; an
    index given twice takes the value once (PyTorch writes, it does not add)."""
    n, c = x.shape[:2]
    area = size[0] * size[1]
    keys = (np.arange(n * c).reshape(n, c, 1, 1) * area + indices).reshape(-1)
    values = x.reshape(-1)
    _, first = np.unique(keys, return_index=True)
    if len(first) < keys.size:
        keep = np.zeros(keys.size, dtype=bool)
        keep[first] = True
        values = ops.where(keep, values, 0.0)
    out = ops.ScatterAdd.apply(values, shape=(n * c * area,), index=keys)
    return out.reshape(n, c, *size)
