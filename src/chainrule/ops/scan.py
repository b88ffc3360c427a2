"""Scans and sorting: the running primitives (CumSum, CumProd, LogCumSumExp) and the ops
that pick elements by index (cummax, sort, topk, kthvalue, median, mode).

The picking ops find their indices on the data, then gather the values on the graph
(``reduce._select``), so the gradient goes back through the indices, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arguments import axis_of, keepdims_of
from ..autograd import Function
from ..backends import namespace
from ..tensor import Tensor
from ._shared import Array, Grads
from .reduce import (
    ValuesIndices,
    _as_tensor,
    _floating,
    _in_dtype,
    _one_dim,
    _select,
    accumulator,
)


def _reverse_cumsum(xp: Any, x: Array, axis: int) -> Array:
    """The running sum from the end of ``axis``: sum_{j >= i} x_j."""
    return xp.flip(xp.cumulative_sum(xp.flip(x, axis=axis), axis=axis), axis=axis)


class CumSum(Function, fresh_grads=True):
    """the running sum of a along axis"""

    __slots__ = ()

    def forward(self, a: Array, axis: int) -> Array:
        axis %= a.ndim
        self.saved = (axis,)
        return self.xp.cumulative_sum(a, axis=axis)

    def backward(self, grad: Array) -> Grads:
        # dL/da_i = sum_{j >= i} dL/dy_j
        return (_reverse_cumsum(self.xp, grad, self.saved[0]),)


class CumProd(Function, fresh_grads=True):
    """the running product of a along axis; the gradient is exact with zeros (PyTorch's)"""

    __slots__ = ()

    def forward(self, a: Array, axis: int) -> Array:
        axis %= a.ndim
        out = self.xp.cumulative_prod(a, axis=axis)
        self.saved = (a, out, axis)
        return out

    def backward(self, grad: Array) -> Grads:
        a, out, axis = self.saved
        xp = self.xp
        if not bool(xp.any(a == 0)):  # dL/da_i = sum_{j >= i} dL/dy_j y_j / a_i
            return (_reverse_cumsum(xp, grad * out, axis) / a,)
        # With zeros: before a slice's first zero z that formula holds (y_j = 0 from z on);
        # dL/da_z = sum_{j >= z} dL/dy_j * (the running product with a_z taken as 1); past z, 0.
        zero = a == 0
        seen = xp.cumulative_sum(xp.astype(zero, a.dtype), axis=axis)
        before, first = seen == 0, zero & (seen == 1)
        grad_before = _reverse_cumsum(xp, grad * out, axis) / xp.where(before, a, 1)
        skipped = xp.cumulative_prod(xp.where(first, 1, a), axis=axis)
        grad_first = _reverse_cumsum(xp, grad * skipped, axis)
        return (xp.where(before, grad_before, xp.where(first, grad_first, 0)),)


class LogCumSumExp(Function, fresh_grads=True):
    """log(cumsum(exp(a))) along axis, without overflow or underflow"""

    __slots__ = ()

    def forward(self, a: Array, axis: int) -> Array:
        axis %= a.ndim
        out = self.xp.logcumsumexp(a, axis)
        self.saved = (a, out, axis)
        return out

    def backward(self, grad: Array) -> Grads:
        a, out, axis = self.saved
        xp = self.xp
        # dL/da_i = sum_{j >= i} dL/dy_j exp(a_i - y_j), summed in log space, the positive
        # and negative parts of dL/dy apart (PyTorch's way); the lowest float stands for
        # log 0, so that the rule can be differentiated again.
        lowest = xp.finfo(a.dtype).min
        parts = []
        for part in (grad > 0, grad < 0):
            log_part = xp.where(part, xp.log(xp.where(part, xp.abs(grad), 1)), lowest)
            summed = xp.flip(xp.logcumsumexp(xp.flip(log_part - out, axis=axis), axis), axis=axis)
            with np.errstate(over="ignore"):  # log 0 + a may pass the lowest float: -inf
                parts.append(xp.exp(summed + a))
        return (parts[0] - parts[1],)


# ---------------------------------------------------------------------- the functions
def _scan_dim(op: str, x: Tensor, dim: Any, axis: Any) -> int:
    """The dim a scan runs along, which PyTorch requires."""
    given = axis_of(op, axis, dim)
    if given is None:
        raise TypeError(f"{op}: missing the dim to run along")
    return _one_dim(op, x, given)


def _scan(cls: type[Function], x: Tensor, axis: int) -> Tensor:
    """``cls`` along ``axis``; a 0-d tensor is scanned as one element."""
    if x.ndim == 0:
        return cls.apply(x.reshape(1), axis=0).reshape(())
    return cls.apply(x, axis=axis)


def cumsum(input: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """The running sum along ``dim``; integers and bools sum as int64, as in PyTorch.

    Example:
        >>> import chainrule as cr
        >>> cr.cumsum(cr.tensor([1, 2, 3]), dim=0)
        tensor([1, 3, 6])
    """
    x = _as_tensor("cumsum", input)
    d = _scan_dim("cumsum", x, dim, axis)
    return _scan(CumSum, _in_dtype(x, accumulator(x, dtype)), d)


def cumprod(input: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """The running product along ``dim``; the gradient is exact with zeros.

    Example:
        >>> import chainrule as cr
        >>> cr.cumprod(cr.tensor([2.0, 3.0, 0.0, 4.0]), dim=0)
        tensor([2., 6., 0., 0.])
    """
    x = _as_tensor("cumprod", input)
    d = _scan_dim("cumprod", x, dim, axis)
    return _scan(CumProd, _in_dtype(x, accumulator(x, dtype)), d)


def logcumsumexp(input: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """log(cumsum(exp(input))) along ``dim``, stable for inputs far apart.

    Example:
        >>> import chainrule as cr
        >>> cr.logcumsumexp(cr.tensor([-1000.0, 0.0]), dim=0)
        tensor([-1000.,     0.])
    """
    x = _floating("logcumsumexp", _as_tensor("logcumsumexp", input))
    return _scan(LogCumSumExp, x, _scan_dim("logcumsumexp", x, dim, axis))


def _one_d(x: Tensor) -> Tensor:
    """A 0-d tensor as one element, which ops along a dim work on (1-d tensors stay)."""
    return x.reshape(1) if x.ndim == 0 else x


def _as_scalar_if(scalar: bool, picked: ValuesIndices) -> ValuesIndices:
    """The (values, indices) of a 0-d input back as 0-d, as PyTorch gives them."""
    if not scalar:
        return picked
    return ValuesIndices(picked.values.reshape(()), Tensor(picked.indices.data.reshape(())))


def _cumulative_extremum(op: str, input: Any, dim: Any, axis: Any) -> ValuesIndices:
    x = _as_tensor(op, input)
    d = _scan_dim(op, x, dim, axis)
    flat = _one_d(x)
    data = flat.data
    running = (np.maximum if op == "cummax" else np.minimum).accumulate(data, axis=d)
    hit = data == running  # reaching the running extreme, ties included: the later index
    if data.dtype.kind == "f":
        hit |= np.isnan(data)  # a NaN holds on, and each NaN takes its own index
    n = data.shape[d]
    positions = np.arange(n).reshape((1,) * d + (n,) + (1,) * (data.ndim - d - 1))
    indices = np.maximum.accumulate(np.where(hit, positions, 0), axis=d)
    return _as_scalar_if(x.ndim == 0, _select(flat, indices, d, True))


def cummax(input: Any, dim: Any = None, *, axis: Any = None) -> ValuesIndices:
    """(values, indices) of the running maximum along ``dim``; ties and NaNs take the later
    index, as in PyTorch, and the gradient goes to those elements.

    Example:
        >>> import chainrule as cr
        >>> cr.cummax(cr.tensor([1.0, 3.0, 2.0]), dim=0)
        ValuesIndices(values=tensor([1., 3., 3.]), indices=tensor([0, 1, 1]))
    """
    return _cumulative_extremum("cummax", input, dim, axis)


def cummin(input: Any, dim: Any = None, *, axis: Any = None) -> ValuesIndices:
    """(values, indices) of the running minimum along ``dim``, as ``cummax``."""
    return _cumulative_extremum("cummin", input, dim, axis)


def _order(x: Tensor, d: int, descending: bool) -> Any:
    """The stable sorting order of x's data along ``d`` (NaN as the largest value)."""
    return namespace(x.data).argsort(x.data, axis=d, descending=descending, stable=True)


def _sort_dim(op: str, x: Tensor, dim: Any, axis: Any) -> int:
    given = axis_of(op, axis, dim)
    return _one_dim(op, x, -1 if given is None else given)


def sort(
    input: Any,
    dim: Any = None,
    descending: bool = False,
    stable: bool = False,
    *,
    axis: Any = None,
) -> ValuesIndices:
    """(values, indices) sorted along ``dim`` (the last by default); NaN sorts as the
    largest value. The sort is always stable, which ``stable=False`` allows.

    Example:
        >>> import chainrule as cr
        >>> cr.sort(cr.tensor([3.0, 1.0, 2.0]), descending=True)
        ValuesIndices(values=tensor([3., 2., 1.]), indices=tensor([0, 2, 1]))
    """
    x = _as_tensor("sort", input)
    d = _sort_dim("sort", x, dim, axis)
    flat = _one_d(x)
    order = _order(flat, d, descending)
    return _as_scalar_if(x.ndim == 0, _select(flat, order, d, True))


def argsort(
    input: Any,
    dim: Any = None,
    descending: bool = False,
    stable: bool = False,
    *,
    axis: Any = None,
) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable; NaN last ascending)."""
    x = _as_tensor("argsort", input)
    d = _sort_dim("argsort", x, dim, axis)
    order = _order(_one_d(x), d, descending)
    return Tensor(order.reshape(()) if x.ndim == 0 else order)


def _count(op: str, name: str, k: Any, low: int, n: int, d: int) -> int:
    """``k``, checked to be an int in [low, n] (n elements along dim d)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {k!r}")
    if not low <= k <= n:
        raise ValueError(f"{op}: {name}={k} is out of range for {n} elements along dim {d}")
    return int(k)


def topk(
    input: Any,
    k: int,
    dim: Any = None,
    largest: bool = True,
    sorted: bool = True,
    *,
    axis: Any = None,
) -> ValuesIndices:
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, always in sorted order (which ``sorted=False`` allows); which of tied values
    is picked is not specified, as in PyTorch.

    Example:
        >>> import chainrule as cr
        >>> cr.topk(cr.tensor([1.0, 5.0, 3.0]), 2)
        ValuesIndices(values=tensor([5., 3.]), indices=tensor([1, 2]))
    """
    x = _as_tensor("topk", input)
    d = _sort_dim("topk", x, dim, axis)
    flat = _one_d(x)
    k = _count("topk", "k", k, 0, flat.shape[d], d)
    order = _order(flat, d, largest)[(slice(None),) * d + (slice(0, k),)]
    return _as_scalar_if(x.ndim == 0 and k == 1, _select(flat, order, d, True))


def kthvalue(
    input: Any,
    k: int,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> ValuesIndices:
    """(values, indices) of the ``k``-th smallest element (from 1) along ``dim``.

    Example:
        >>> import chainrule as cr
        >>> cr.kthvalue(cr.tensor([3.0, 1.0, 2.0]), 2)
        ValuesIndices(values=tensor(2.), indices=tensor(2))
    """
    x = _as_tensor("kthvalue", input)
    d = _sort_dim("kthvalue", x, dim, axis)
    flat = _one_d(x)
    k = _count("kthvalue", "k", k, 1, flat.shape[d], d)
    picked = _order(flat, d, False)[(slice(None),) * d + (slice(k - 1, k),)]
    keep = keepdims_of("kthvalue", keepdims, keepdim)
    return _as_scalar_if(x.ndim == 0, _select(flat, picked, d, keep))


def _nonempty(op: str, x: Tensor, d: int) -> None:
    if x.shape[d] == 0:
        raise ValueError(f"{op}: dim {d} is empty (tensor of shape {x.shape})")


def median(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Any:
    """The lower median (NaN if there is one), as in PyTorch: of every element as one
    tensor, whose gradient tied elements share equally; along ``dim`` as (values, indices).

    Example:
        >>> import chainrule as cr
        >>> cr.median(cr.tensor([4.0, 1.0, 3.0, 2.0]))
        tensor(2.)
    """
    x = _as_tensor("median", input)
    given = axis_of("median", axis, dim)
    if given is None:
        data = x.data.reshape(-1)
        if data.size == 0:
            raise ValueError("median: cannot take the median of an empty tensor")
        if data.dtype.kind == "f" and np.isnan(data).any():  # NaN wins
            return x[np.isnan(x.data)].max()
        middle = np.sort(data)[(data.size - 1) // 2]
        return x[x.data == middle].max()  # Max shares the gradient among the ties
    d = _one_dim("median", x, given)
    flat = _one_d(x)
    _nonempty("median", flat, d)
    order = _order(flat, d, False)
    n = flat.shape[d]
    nans = np.isnan(flat.data).sum(axis=d, keepdims=True) if x.dtype.kind == "f" else 0
    position = np.where(nans > 0, n - nans, (n - 1) // 2)  # the first NaN, else the middle
    picked = np.take_along_axis(order, np.broadcast_to(position, _kept(order.shape, d)), axis=d)
    keep = keepdims_of("median", keepdims, keepdim)
    return _as_scalar_if(x.ndim == 0, _select(flat, picked, d, keep))


def _kept(shape: tuple[int, ...], d: int) -> tuple[int, ...]:
    return shape[:d] + (1,) + shape[d + 1 :]


def mode(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> ValuesIndices:
    """(values, indices) of the most frequent value along ``dim`` (the smallest of those
    tied) and the index of its last occurrence, as in PyTorch.

    Example:
        >>> import chainrule as cr
        >>> cr.mode(cr.tensor([2.0, 1.0, 2.0, 1.0, 3.0]))
        ValuesIndices(values=tensor(1.), indices=tensor(3))
    """
    x = _as_tensor("mode", input)
    d = _sort_dim("mode", x, dim, axis)
    flat = _one_d(x)
    _nonempty("mode", flat, d)
    rows = np.moveaxis(flat.data, d, -1)
    ordered = np.sort(rows, axis=-1)
    n = rows.shape[-1]
    positions = np.arange(n)
    starts = np.ones(rows.shape, dtype=bool)  # where a run of equal sorted values starts
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    ends = np.ones(rows.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    run_start = np.maximum.accumulate(np.where(starts, positions, 0), axis=-1)
    run_end = np.flip(np.minimum.accumulate(np.flip(np.where(ends, positions, n), -1), -1), -1)
    longest = np.argmax(run_end - run_start, axis=-1, keepdims=True)  # the first: smallest
    value = np.take_along_axis(ordered, longest, axis=-1)
    matches = rows == value
    if rows.dtype.kind == "f":
        matches |= np.isnan(rows) & np.isnan(value)
    last = np.max(np.where(matches, positions, -1), axis=-1, keepdims=True)
    keep = keepdims_of("mode", keepdims, keepdim)
    return _as_scalar_if(x.ndim == 0, _select(flat, np.moveaxis(last, -1, d), d, keep))
