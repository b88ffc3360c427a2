"""Indexing in PyTorch's spelling: gather and scatter, index_select, masks, nonzero, one_hot,
repeat and tile, pad, sliding windows and diagonals.

Every differentiable op here is a composite of ``GetItem``, ``ScatterAdd``, ``Where`` and
reshapes, so it has no rule of its own and differentiates twice; the index arithmetic is
NumPy on index arrays (data, never on the graph). Index arguments (Tensors, ndarrays or
lists of integers) are checked here, where the error can name the op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import _as_tensors
from ..tensor import Tensor
from .elementwise import Where
from .movement import Concat, ScatterAdd

REDUCES = ("sum", "prod", "mean", "amax", "amin")
PAD_MODES = ("constant", "reflect", "replicate", "circular")
Positions = tuple[Any, ...]


# ---------------------------------------------------------------------- argument checks
def _tensor(x: Any) -> Tensor:
    return _as_tensors((x,))[0]


def _dim(op: str, dim: Any, ndim: int, name: str = "dim") -> int:
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor (at least 1-D)."""
    if not ndim:
        raise ValueError(f"{op}: expected a tensor of at least one dimension, got a 0-d tensor")
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: {name} must be an int, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: {name} {dim} is out of range for a tensor of {ndim} dimensions")
    return int(dim) % ndim


def _integers(op: str, index: Any, name: str = "index") -> np.ndarray:
    """An index argument as an integer ndarray: a Tensor's data, an ndarray or a list."""
    array = np.asarray(index.data if isinstance(index, Tensor) else index)
    if array.size == 0 and not isinstance(index, (Tensor, np.ndarray)):
        array = array.astype(np.int64)  # [] is a float list to NumPy
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be an integer (int64) tensor, got {array.dtype}")
    return array


def _in_range(
    op: str, index: np.ndarray, size: int, dim: int, name: str = "index", wrap: bool = False
) -> np.ndarray:
    """Check ``index`` lies in [0, size) (in [-size, size) with ``wrap``, made non-negative)."""
    low = -size if wrap else 0
    bad = (index < low) | (index >= size)
    if bad.any():
        raise IndexError(
            f"{op}: {name} {index[bad].flat[0]} is out of bounds for dim {dim} of size {size}"
        )
    return np.where(index < 0, index + size, index) if wrap else index


def check_mask(op: str, mask: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``mask`` as a bool ndarray; with ``shape``, one that broadcasts to it."""
    keep = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if keep.dtype != np.bool_:
        raise TypeError(f"{op}: mask must be a bool tensor, got {keep.dtype}")
    if shape is not None and _broadcast(op, keep.shape, shape, "mask", "the input") != shape:
        raise ValueError(f"{op}: mask of shape {keep.shape} does not broadcast to {shape}")
    return keep


def _broadcast(op: str, a: tuple[int, ...], b: tuple[int, ...], *names: str) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(
            f"{op}: {names[0]} of shape {a} and {names[1]} of shape {b} do not broadcast"
        ) from None


def _scatter_index(op: str, x: Tensor, dim: Any, index: Any, src: Tensor | None) -> Positions:
    """The positions of ``x`` that ``index`` names along ``dim`` (each other axis its own
    coordinate), after PyTorch's checks on the shapes of index, input and src."""
    d = _dim(op, dim, x.ndim)
    index = _integers(op, index)
    if index.ndim != x.ndim:
        raise ValueError(
            f"{op}: index of shape {index.shape} needs as many dimensions as the input of "
            f"shape {x.shape}"
        )
    if any(i > n for k, (i, n) in enumerate(zip(index.shape, x.shape)) if k != d):
        raise ValueError(
            f"{op}: index of shape {index.shape} is larger than the input of shape {x.shape} "
            f"outside dim {d}"
        )
    if src is not None:
        if src.ndim != x.ndim or any(i > n for i, n in zip(index.shape, src.shape)):
            raise ValueError(
                f"{op}: index of shape {index.shape} is larger than src of shape {src.shape}"
            )
        if src.dtype != x.dtype:
            raise TypeError(f"{op}: src is {src.dtype} but the input is {x.dtype}")
    _in_range(op, index, x.shape[d], d)
    grid = list(np.ix_(*[np.arange(n) for n in index.shape]))
    grid[d] = index
    return tuple(grid)


def _read(src: Tensor, at: Positions) -> Tensor:
    """The corner of ``src`` the index covers (the index may be smaller than src)."""
    shape = np.broadcast_shapes(*(a.shape for a in at))
    return src if src.shape == shape else src[tuple(slice(n) for n in shape)]


# ---------------------------------------------------------------------- gather and scatter
def gather(input: Any, dim: int, index: Any) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1`` (any rank); differentiable in input,
    repeated indices accumulating their gradients.

    Example:
        >>> import chainrule as cr
        >>> cr.gather(cr.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, [[1, 1], [0, 1]])
        tensor([[2., 2.],
                [3., 4.]])
    """
    x = _tensor(input)
    return x[_scatter_index("gather", x, dim, index, None)]


def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Tensor:
    """``gather`` with the indices broadcast against the input outside ``dim`` and negative
    indices counted from the end; with ``dim=None``, of the flattened input."""
    x, op = _tensor(input), "take_along_dim"
    index = _integers(op, indices, "indices")
    if dim is None:
        return x.reshape(-1)[_in_range(op, index.reshape(-1), x.size, 0, "indices", wrap=True)]
    d = _dim(op, dim, x.ndim)
    if index.ndim != x.ndim:
        raise ValueError(
            f"{op}: indices of shape {index.shape} and input of shape {x.shape} differ in rank"
        )
    common = _broadcast(op, _with(x.shape, d, 1), _with(index.shape, d, 1), "input", "indices")
    index = np.broadcast_to(index, _with(common, d, index.shape[d]))
    index = _in_range(op, index, x.shape[d], d, "indices", wrap=True)
    shape = _with(common, d, x.shape[d])
    return gather(x if x.shape == shape else x.broadcast_to(shape), d, index)


def _with(shape: tuple[int, ...], d: int, n: int) -> tuple[int, ...]:
    """``shape`` with ``n`` at axis ``d``."""
    return (*shape[:d], n, *shape[d + 1 :])


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:
    """``input`` with ``src`` added at the positions ``index`` names along ``dim``; repeated
    indices add up. The transpose of ``gather``.

    Example:
        >>> import chainrule as cr
        >>> cr.scatter_add(cr.zeros(3), 0, [0, 2, 0], cr.tensor([1.0, 2.0, 3.0]))
        tensor([4., 0., 2.])
    """
    x, src = _as_tensors((input, src))
    at = _scatter_index("scatter_add", x, dim, index, src)
    return x + ScatterAdd.apply(_read(src, at), shape=x.shape, index=at)


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """``input`` with ``src`` (or the number ``value``) written at the positions ``index``
    names along ``dim``.

    Where indices repeat, the last write in index order wins (PyTorch leaves it undefined),
    and only that element of src gets a gradient: the derivative of the value computed
    (PyTorch's gradient gives one to every repeat).

    Example:
        >>> import chainrule as cr
        >>> cr.scatter(cr.zeros(3), 0, [2, 0], cr.tensor([1.0, 2.0]))
        tensor([2., 0., 1.])
    """
    if value is None and isinstance(src, (int, float)):  # scatter(x, dim, index, 2.0)
        src, value = None, src
    if (src is None) == (value is None):
        raise TypeError("scatter: pass one of src and value")
    x, op = _tensor(input), "scatter"
    source = None if src is None else _as_tensors((src, x))[0]
    at = _scatter_index(op, x, dim, index, source)
    shape = np.broadcast_shapes(*(a.shape for a in at))  # the index's
    writer = np.full(x.shape, -1, dtype=np.intp)  # the last element of the index writing each
    np.maximum.at(writer, at, np.arange(np.prod(shape, dtype=np.intp)).reshape(shape))
    taken = writer >= 0
    if source is None:
        return Where.apply(Tensor(np.asarray(value, dtype=x.dtype)), x, condition=taken)
    targets = np.nonzero(taken)
    read = np.unravel_index(writer[targets], shape)  # only the winners are read
    written = ScatterAdd.apply(source[read], shape=x.shape, index=targets)
    return Where.apply(written, x, condition=taken)


def scatter_reduce(
    input: Any, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce ``src`` into ``input`` at the positions ``index`` names along ``dim``:
    ``reduce`` is "sum", "prod", "mean", "amax" or "amin"; ``include_self=False`` leaves the
    input's own values out where anything is scattered. Gradients as PyTorch's, ties of
    amax/amin sharing theirs evenly; integer means round down, as PyTorch's.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 5.0])
        >>> cr.scatter_reduce(x, 0, [0, 0, 1], cr.tensor([3.0, 2.0, 4.0]), "amax")
        tensor([3., 5.])
    """
    op = "scatter_reduce"
    if reduce not in REDUCES:
        raise ValueError(f"{op}: reduce must be one of {REDUCES}, got {reduce!r}")
    x, src = _as_tensors((input, src))
    at = _scatter_index(op, x, dim, index, src)
    part = _read(src, at)
    hits = np.zeros(x.shape, dtype=np.intp)
    np.add.at(hits, at, 1)
    taken = hits > 0
    if reduce == "prod":
        return _scatter_prod(x, part, at, taken, include_self)
    if reduce in ("amax", "amin"):
        return _scatter_extremum(x, part, at, taken, include_self, reduce == "amax")
    total = ScatterAdd.apply(part, shape=x.shape, index=at)
    if include_self:
        total = x + total
    if reduce == "mean":
        count = np.maximum(hits + include_self, 1)
        if x.dtype.kind == "f":
            total = total / Tensor(count.astype(x.dtype))
        else:  # no gradient for integers: PyTorch's floor division
            total = Tensor(np.floor_divide(total.data, count).astype(x.dtype))
    return total if include_self else Where.apply(total, x, condition=taken)


def _scatter_extremum(
    x: Tensor, part: Tensor, at: Positions, taken: np.ndarray, include_self: bool, top: bool
) -> Tensor:
    """amax/amin: the extreme's value, its gradient shared evenly by all that equal it."""
    result = x.data.copy()
    if not include_self:
        result[at] = part.data  # each scattered spot starts from one of its own values
    with np.errstate(invalid="ignore"):  # a NaN wins, as in PyTorch, without a warning
        (np.maximum if top else np.minimum).at(result, at, part.data)
    if not (x.requires_grad or part.requires_grad):
        return Tensor(result)
    own = (x.data == result) & (include_self | ~taken)
    theirs = part.data == result[at]
    count = own.astype(np.intp)
    np.add.at(count, at, theirs)
    share = (1 / np.maximum(count, 1)).astype(x.dtype)
    out = Where.apply(x * share, 0, condition=own) + ScatterAdd.apply(
        Where.apply(part * share[at], 0, condition=theirs), shape=x.shape, index=at
    )
    # NOTE: a mean of three or more equal values can round off the value by an ulp; a
    # constant correction (zero elsewhere; NaN where a NaN won) makes it exact.
    error = np.where(out.data == result, 0, result - out.data)
    return out + Tensor(error) if error.any() else out


def _scatter_prod(
    x: Tensor, part: Tensor, at: Positions, taken: np.ndarray, include_self: bool
) -> Tensor:
    """prod: each spot's factors gathered into a row (padded with ones), the columns
    multiplied pairwise, so zeros get PyTorch's gradient (the product of the others)."""
    targets = np.ravel_multi_index(np.broadcast_arrays(*at), x.shape).reshape(-1)
    order = np.argsort(targets, kind="stable")
    spots, first, counts = np.unique(targets[order], return_index=True, return_counts=True)
    width = int(counts.max(initial=0)) + include_self
    width = 1 << max(width - 1, 0).bit_length()  # a power of two, halved below
    one = targets.size + x.size  # the position of the 1 in the values below
    table = np.full((spots.size, width), one)
    rows = np.repeat(np.arange(spots.size), counts)
    table[rows, np.arange(order.size) - first[rows] + include_self] = order
    if include_self:
        table[:, 0] = targets.size + spots
    ones = Tensor(np.ones(1, dtype=x.dtype))
    factors = Concat.apply(part.reshape(-1), x.reshape(-1), ones, axis=0)[table]
    while factors.shape[1] > 1:
        half = factors.shape[1] // 2
        factors = factors[:, :half] * factors[:, half:]
    product = ScatterAdd.apply(factors.reshape(-1), shape=(x.size,), index=spots)
    return Where.apply(product.reshape(x.shape), x, condition=taken)


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    """The entries of ``input`` at ``index`` (0-d or 1-D) along ``dim``.

    Example:
        >>> import chainrule as cr
        >>> cr.index_select(cr.tensor([[1, 2], [3, 4]]), 0, [1, 1])
        tensor([[3, 4],
                [3, 4]])
    """
    x, op = _tensor(input), "index_select"
    d = _dim(op, dim, x.ndim)
    index = _integers(op, index)
    if index.ndim > 1:
        raise ValueError(f"{op}: index must be 0-d or 1-D, got shape {index.shape}")
    _in_range(op, index, x.shape[d], d)
    return x[(slice(None),) * d + (index.reshape(-1),)]


# ---------------------------------------------------------------------- masks and positions
def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor, differentiable) where the bool
    ``mask``, broadcast to the input's shape, holds."""
    x = _tensor(input)
    keep = check_mask("masked_fill", mask, x.shape)
    if isinstance(value, Tensor) and value.ndim:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got {value.shape}")
    if not (isinstance(value, Tensor) and value.requires_grad):  # a constant of x's dtype
        value = Tensor(np.asarray(value.data if isinstance(value, Tensor) else value, x.dtype))
    return Where.apply(value, x, condition=keep)


def masked_select(input: Any, mask: Any) -> Tensor:
    """The entries of ``input`` where the bool ``mask`` holds (both broadcast), as 1-D."""
    x = _tensor(input)
    keep = check_mask("masked_select", mask)
    shape = _broadcast("masked_select", keep.shape, x.shape, "mask", "input")
    return (x if x.shape == shape else x.broadcast_to(shape))[np.broadcast_to(keep, shape)]


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The int64 coordinates of the nonzero entries, one row each (or one tensor per axis
    with ``as_tuple``); not differentiable.

    Example:
        >>> import chainrule as cr
        >>> cr.nonzero(cr.tensor([[0, 3], [4, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    data = np.asarray(_tensor(input).data)
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(data)))
    return Tensor(np.argwhere(data).astype(np.int64))


def argwhere(input: Any) -> Tensor:
    """``nonzero(input)``: the coordinates of the nonzero entries, one row each."""
    return nonzero(input)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 ``(..., num_classes)``: 1 at each label, 0 elsewhere; ``num_classes=-1`` takes
    the largest label + 1.

    Example:
        >>> import chainrule as cr
        >>> cr.nn.functional.one_hot(cr.tensor([2, 0]))
        tensor([[0, 0, 1],
                [1, 0, 0]])
    """
    op = "one_hot"
    labels = _integers(op, tensor, "tensor")
    if num_classes == -1:
        if not labels.size:
            raise ValueError(f"{op}: cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(labels.max()) + 1
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
        raise ValueError(f"{op}: num_classes must be a non-negative int or -1, got {num_classes!r}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{op}: class values must be non-negative, got {labels.min()}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"{op}: class value {labels.max()} is not smaller than num_classes {num_classes}"
        )
    return Tensor((labels[..., None] == np.arange(num_classes)).astype(np.int64))


# ---------------------------------------------------------------------- repeats
def _sizes(op: str, sizes: Sequence[Any], name: str) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` as a tuple of non-negative ints."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(isinstance(s, (int, np.integer)) and s >= 0 for s in sizes):
        raise ValueError(f"{op}: {name} must be non-negative ints, got {tuple(sizes)}")
    return tuple(int(s) for s in sizes)


def repeat(input: Any, *sizes: Any) -> Tensor:
    """``input`` tiled ``sizes[i]`` times along each axis (PyTorch's ``Tensor.repeat``; more
    sizes than axes add leading axes). A broadcast and a reshape: the gradient sums the copies.
    """
    x, op = _tensor(input), "repeat"
    sizes = _sizes(op, sizes, "sizes")
    if len(sizes) < x.ndim:
        raise ValueError(
            f"{op}: {len(sizes)} sizes for a tensor of {x.ndim} dimensions; give at least {x.ndim}"
        )
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    spread = x.reshape(tuple(v for n in shape for v in (1, n)))
    copies = spread.broadcast_to(tuple(v for r, n in zip(sizes, shape) for v in (r, n)))
    return copies.reshape(tuple(r * n for r, n in zip(sizes, shape)))


def tile(input: Any, dims: Sequence[int]) -> Tensor:
    """``repeat`` with ``dims`` padded with leading ones to the input's rank (``torch.tile``)."""
    x = _tensor(input)
    dims = _sizes("tile", (dims,), "dims")
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def repeat_interleave(
    input: Any, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each entry along ``dim`` (of the flattened input if None) repeated ``repeats`` times (an
    int, or one count per entry); ``repeat_interleave(counts)`` alone repeats 0, 1, 2, ...

    Example:
        >>> import chainrule as cr
        >>> cr.repeat_interleave(cr.tensor([1, 2]), 2)
        tensor([1, 1, 2, 2])
    """
    op = "repeat_interleave"
    if repeats is None:  # torch.repeat_interleave(repeats)
        counts = _integers(op, input, "repeats")
        return repeat_interleave(Tensor(np.arange(counts.size)), counts, output_size=output_size)
    x = _tensor(input)
    if dim is None:
        x, dim = x.reshape(-1), 0
    d = _dim(op, dim, x.ndim)
    n, before, after = x.shape[d], x.shape[:d], x.shape[d + 1 :]
    if isinstance(repeats, (int, np.integer)):
        (times,) = _sizes(op, (repeats,), "repeats")
        out = x.reshape((*before, n, 1, *after)).broadcast_to((*before, n, times, *after))
        out = out.reshape((*before, n * times, *after))
    else:
        counts = _integers(op, repeats, "repeats").reshape(-1)
        if counts.size not in (1, n) or (counts < 0).any():
            raise ValueError(
                f"{op}: repeats must be non-negative, one per entry ({n}) or one in all, "
                f"got {counts.tolist()}"
            )
        out = x[(slice(None),) * d + (np.repeat(np.arange(n), np.broadcast_to(counts, (n,))),)]
    if output_size is not None and out.shape[d] != output_size:
        raise ValueError(
            f"{op}: output_size {output_size} does not match the {out.shape[d]} entries made"
        )
    return out


# ---------------------------------------------------------------------- padding
def _positions(mode: str, i: np.ndarray, n: int) -> np.ndarray:
    """The source of each padded position ``i`` (from -left to n + right) along a dim of n."""
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i > n - 1, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return i % n  # circular


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: Any = None) -> Tensor:
    """Pad (or, where negative, crop) the last ``len(pad) // 2`` dims of ``input``:
    ``pad = (left, right)`` for the last dim, then the one before, ... (PyTorch's order).
    ``mode``: "constant" (``value``, 0 by default), "reflect", "replicate" or "circular";
    the non-constant modes pad any number of dims, not only PyTorch's last 1-3.

    Example:
        >>> import chainrule as cr
        >>> cr.nn.functional.pad(cr.tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
        tensor([3., 2., 1., 2., 3., 2.])
    """
    x, op = _tensor(input), "pad"
    if mode not in PAD_MODES:
        raise ValueError(f"{op}: mode must be one of {PAD_MODES}, got {mode!r}")
    if mode != "constant" and value:
        raise ValueError(f'{op}: mode "{mode}" takes no value, got {value!r}')
    widths = list(pad)
    if not all(isinstance(p, (int, np.integer)) for p in widths) or len(widths) % 2:
        raise ValueError(f"{op}: pad must be pairs of ints (left, right), got {tuple(pad)}")
    if len(widths) // 2 > x.ndim:
        raise ValueError(
            f"{op}: {len(widths) // 2} pairs of padding for a tensor of {x.ndim} dimensions"
        )
    pairs = [
        (x.ndim - 1 - k, int(widths[2 * k]), int(widths[2 * k + 1]))
        for k in range(len(widths) // 2)
    ]
    crop = [slice(None)] * x.ndim
    for d, left, right in pairs:
        n = x.shape[d]
        if n - max(-left, 0) - max(-right, 0) < 0:
            raise ValueError(
                f"{op}: padding ({left}, {right}) crops dim {d} of size {n} below zero"
            )
        crop[d] = slice(max(-left, 0), n - max(-right, 0))
    if any(left < 0 or right < 0 for _, left, right in pairs):
        x = x[tuple(crop)]
    pairs = [(d, max(left, 0), max(right, 0)) for d, left, right in pairs]
    if mode == "constant":
        return _pad_constant(x, pairs, 0 if value is None else value)
    for d, left, right in pairs:
        n = x.shape[d]
        if mode == "reflect" and max(left, right) >= n and (left or right):
            raise ValueError(
                f"{op}: reflect padding ({left}, {right}) needs less than the size {n} of dim {d}"
            )
        if mode == "replicate" and n == 0 and (left or right):
            raise ValueError(f"{op}: replicate padding needs a non-empty dim {d}")
        if mode == "circular" and max(left, right) > n:
            raise ValueError(
                f"{op}: circular padding ({left}, {right}) wraps more than once around dim {d} "
                f"of size {n}"
            )
        if left or right:
            x = x[(slice(None),) * d + (_positions(mode, np.arange(-left, n + right), n),)]
    return x


def _pad_constant(x: Tensor, pairs: list[tuple[int, int, int]], value: Any) -> Tensor:
    """``x`` put inside a tensor of ``value``: the transpose of slicing it back out."""
    shape, inside = list(x.shape), [slice(None)] * x.ndim
    for d, left, right in pairs:
        shape[d] += left + right
        inside[d] = slice(left, left + x.shape[d])
    if tuple(shape) == x.shape:
        return x
    out = ScatterAdd.apply(x, shape=tuple(shape), index=tuple(inside))
    if not value:
        return out
    keep = np.zeros(shape, dtype=bool)
    keep[tuple(inside)] = True
    return Where.apply(out, Tensor(np.asarray(value, dtype=x.dtype)), condition=keep)


# ---------------------------------------------------------------------- windows and diagonals
def unfold(input: Any, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` entries along ``dimension``, ``step`` apart: that dim becomes
    the window count and a last dim of ``size`` is added (``Tensor.unfold``; windows may
    overlap, their gradients adding up)."""
    x, op = _tensor(input), "unfold"
    d = _dim(op, dimension, x.ndim, "dimension")
    n = x.shape[d]
    if not 0 <= size <= n:
        raise ValueError(f"{op}: size {size} does not fit dim {d} of size {n}")
    if step <= 0:
        raise ValueError(f"{op}: step must be positive, got {step}")
    windows = np.arange((n - size) // step + 1)[:, None] * step + np.arange(size)
    out = x[(slice(None),) * d + (windows,)]  # (..., count, size, rest)
    axes = list(range(out.ndim))
    axes.append(axes.pop(d + 1))
    return out if d == x.ndim - 1 else out.transpose(axes)


def _diagonal_positions(length: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    steps = np.arange(length)
    return steps + max(-offset, 0), steps + max(offset, 0)


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The entries ``[i, i + offset]`` of the matrices on ``dim1`` and ``dim2``, as a last dim.

    Example:
        >>> import chainrule as cr
        >>> cr.diagonal(cr.tensor([[1, 2], [3, 4]]), 1)
        tensor([2])
    """
    x, op = _tensor(input), "diagonal"
    d1, d2 = _dim(op, dim1, x.ndim, "dim1"), _dim(op, dim2, x.ndim, "dim2")
    if d1 == d2:
        raise ValueError(f"{op}: dim1 and dim2 must differ, both are {d1}")
    rows, cols = x.shape[d1], x.shape[d2]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    rest = [k for k in range(x.ndim) if k not in (d1, d2)]
    rows_at, cols_at = _diagonal_positions(length, offset)
    return x.permute(*rest, d1, d2)[..., rows_at, cols_at]


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal, on dims ``dim1``
    and ``dim2`` of the result; zeros elsewhere."""
    x, op = _tensor(input), "diag_embed"
    if not x.ndim:
        raise ValueError(f"{op}: expected a tensor of at least one dimension, got a 0-d tensor")
    ndim = x.ndim + 1
    d1, d2 = _dim(op, dim1, ndim, "dim1"), _dim(op, dim2, ndim, "dim2")
    if d1 == d2:
        raise ValueError(f"{op}: dim1 and dim2 must differ, both are {d1}")
    n = x.shape[-1]
    m = n + abs(offset)
    at = (Ellipsis, *_diagonal_positions(n, offset))
    matrices = ScatterAdd.apply(x, shape=(*x.shape[:-1], m, m), index=at)
    batch = iter(range(ndim - 2))
    axes = [ndim - 2 if k == d1 else ndim - 1 if k == d2 else next(batch) for k in range(ndim)]
    return matrices.permute(*axes)


def diag(input: Any, diagonal: int = 0) -> Tensor:
    """A 1-D input on the ``diagonal`` of a square matrix, or a matrix's ``diagonal``.

    Example:
        >>> import chainrule as cr
        >>> cr.diag(cr.tensor([1, 2]), 1)
        tensor([[0, 1, 0],
                [0, 0, 2],
                [0, 0, 0]])
    """
    x = _tensor(input)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return x.diagonal(diagonal)
    raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")
