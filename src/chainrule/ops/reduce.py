"""Reductions: the primitives (Sum, Mean, Max, Min, Prod, LogSumExp, VectorNorm) and the
functions over them with PyTorch's signatures (sum, var, max(dim), ...); the fused softmax
family is in losses.py, scans and sorting in scan.py.

NOTE: the functions sum, max, min, all and any shadow the builtins in this module; code here
calls ``builtins.max`` and the like.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ..arguments import axis_of, keepdims_of
from ..autograd import Function
from ..backends import dtype_kind
from ..return_types import ValuesIndices
from ..tensor import Tensor, _axes
from ._shared import Array, Grads
from .elementwise import where


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    return tuple([1 if i in axis else n for i, n in enumerate(shape)])


def _reduced_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has without ``keepdims``."""
    return tuple([n for i, n in enumerate(shape) if i not in axis])


class Sum(Function, fresh_grads=True):
    """sum of a over axis, accumulated in dtype if given (then the gradient is cast back)"""

    __slots__ = ()

    def forward(
        self,
        a: Array,
        axis: tuple[int, ...] | None = None,
        keepdims: bool = False,
        dtype: Any = None,
    ) -> Array:
        self.saved = (a.shape, _kept_shape(a.shape, axis), None if dtype is None else a.dtype)
        return self.xp.sum(a, axis=axis, keepdims=keepdims, dtype=dtype)

    def backward(self, grad: Array) -> Grads:
        shape, kept, dtype = self.saved
        xp = self.xp  # dL/da_i = dL/dy, copied to every summed position
        out = xp.broadcast_copy(xp.reshape(grad, kept), shape)
        return (out if dtype is None or out.dtype == dtype else xp.astype(out, dtype),)


class Mean(Function, fresh_grads=True):
    """mean of a over axis (one node rather than a sum and a division)"""

    __slots__ = ()

    def forward(
        self, a: Array, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Array:
        xp = self.xp
        kept = _kept_shape(a.shape, axis)
        # the product of the reduced lengths, which may be 0
        count = math.prod(a.shape) if axis is None else math.prod(a.shape[i] for i in axis)
        self.saved = (a.shape, kept, builtins.max(count, 1))  # an empty input gets an empty grad
        if count == 0:
            with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in NumPy
                return xp.asarray(xp.sum(a, axis=axis, keepdims=keepdims) / count)
        # NOTE: the sum over the count, not mean (python -m bench.choices mean_as_sum)
        return xp.asarray(xp.sum(a, axis=axis, keepdims=keepdims) / count)

    def backward(self, grad: Array) -> Grads:
        shape, kept, count = self.saved
        xp = self.xp  # dL/da_i = dL/dy / count
        return (xp.broadcast_copy(xp.reshape(grad, kept) / count, shape),)


class _Extremum(Function, fresh_grads=True):
    """Max and Min: the winners over axis, which share the gradient equally when tied"""

    __slots__ = ()
    _name: str  # the namespace function, and the op's name in messages

    def forward(
        self, a: Array, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Array:
        if a.size == 0:
            raise ValueError(f"{self._name}: cannot reduce an empty tensor of shape {a.shape}")
        xp = self.xp
        kept = getattr(xp, self._name)(a, axis=axis, keepdims=True)
        self.saved = (a, kept, axis)
        if keepdims:
            return kept
        return xp.reshape(kept, () if axis is None else _reduced_shape(a.shape, axis))

    def backward(self, grad: Array) -> Grads:
        a, kept, axis = self.saved
        xp = self.xp  # dL/da = dL/dy at the winners, each weighted 1/(number of ties)
        winners = xp.astype(a == kept, a.dtype)
        share = winners / xp.sum(winners, axis=axis, keepdims=True)
        return (xp.reshape(grad, kept.shape) * share,)


class Max(_Extremum, fresh_grads=True):
    """max of a over axis; tied maxima share the gradient equally"""

    __slots__ = ()
    _name = "max"


class Min(_Extremum, fresh_grads=True):
    """min of a over axis; tied minima share the gradient equally"""

    __slots__ = ()
    _name = "min"


class Prod(Function, fresh_grads=True):
    """product of a over axis; the gradient is the product of the others, exact with zeros"""

    __slots__ = ()

    def forward(
        self, a: Array, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Array:
        xp = self.xp
        kept = xp.prod(a, axis=axis, keepdims=True)
        self.saved = (a, kept, axis)
        if keepdims:
            return kept
        return xp.reshape(kept, () if axis is None else _reduced_shape(a.shape, axis))

    def backward(self, grad: Array) -> Grads:
        a, kept, axis = self.saved
        xp = self.xp
        grad = xp.reshape(grad, kept.shape)
        if not bool(xp.any(a == 0)):  # dL/da_i = dL/dy * y / a_i
            return (grad * kept / a,)
        return (grad * _product_of_others(xp, a, axis),)  # PyTorch's way with zeros


def _product_of_others(xp: Any, a: Array, axis: tuple[int, ...] | None) -> Array:
    """For every element, the product of the others it is reduced with: the exclusive
    products from the left times those from the right, with no division (so any number of
    zeros is exact). The reduced axes go last and are flattened into one."""
    axes = tuple(range(a.ndim)) if axis is None else axis
    order = tuple(i for i in range(a.ndim) if i not in axes) + axes
    moved = xp.permute_dims(a, order)
    flat = xp.reshape(moved, moved.shape[: a.ndim - len(axes)] + (-1,))
    ones = xp.ones_like(flat[..., :1])
    left = xp.cumulative_prod(xp.concat([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.concat([flat[..., 1:], ones], axis=-1)
    right = xp.flip(xp.cumulative_prod(xp.flip(right, axis=-1), axis=-1), axis=-1)
    others = xp.reshape(left * right, moved.shape)
    return xp.permute_dims(others, tuple(sorted(range(a.ndim), key=order.__getitem__)))


class LogSumExp(Function, fresh_grads=True):
    """log(sum(exp(a))) over axis, shifted by the largest value so that nothing overflows"""

    __slots__ = ()

    def forward(
        self, a: Array, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Array:
        xp = self.xp
        if math.prod(a.shape) == 0:  # the sum of nothing
            top = xp.zeros(_kept_shape(a.shape, axis), dtype=a.dtype)
        else:
            top = xp.max(a, axis=axis, keepdims=True)
            top = xp.where(xp.isfinite(top), top, 0)  # all -inf, or an inf: no shift
        with np.errstate(divide="ignore"):  # log 0 = -inf: only -inf, or nothing, was summed
            kept = xp.log(xp.sum(xp.exp(a - top), axis=axis, keepdims=True)) + top
        self.saved = (a, kept)
        if keepdims:
            return kept
        return xp.reshape(kept, () if axis is None else _reduced_shape(a.shape, axis))

    def backward(self, grad: Array) -> Grads:
        a, kept = self.saved
        xp = self.xp  # dL/da = dL/dy * softmax(a) = dL/dy * exp(a - y)
        return (xp.reshape(grad, kept.shape) * xp.exp(a - kept),)


class VectorNorm(Function, fresh_grads=True):
    """(sum |a|^ord)^(1/ord) over axis, for a finite ord other than 0; where the norm is 0
    the gradient is 0, as in PyTorch"""

    __slots__ = ()

    def forward(
        self,
        a: Array,
        ord: float = 2.0,
        axis: tuple[int, ...] | None = None,
        keepdims: bool = False,
    ) -> Array:
        xp = self.xp
        if ord == 2:
            kept = xp.sqrt(xp.sum(a * a, axis=axis, keepdims=True))
        else:
            with np.errstate(divide="ignore"):  # 0 ** (negative ord) is inf, as in PyTorch
                kept = xp.sum(xp.abs(a) ** ord, axis=axis, keepdims=True) ** (1 / ord)
        self.saved = (a, kept, ord)
        if keepdims:
            return kept
        return xp.reshape(kept, () if axis is None else _reduced_shape(a.shape, axis))

    def backward(self, grad: Array) -> Grads:
        a, kept, ord = self.saved
        xp = self.xp
        grad = xp.reshape(grad, kept.shape)
        zero = kept == 0
        if ord < 1:  # dL/da = dL/dy * sign(a) |a|^(ord-1) y^(1-ord), 0 where a = 0
            powered = xp.where(a == 0, 0, xp.where(a == 0, 1, xp.abs(a)) ** (ord - 1))
            return (xp.sign(a) * powered * (grad * kept ** (1 - ord)),)
        # dL/da = a |a|^(ord-2) * dL/dy / y^(ord-1), 0 where y = 0
        scale = xp.where(zero, 0, grad / xp.where(zero, 1, kept) ** (ord - 1))
        if ord == 2:
            return (a * scale,)
        if ord < 2:
            return (xp.sign(a) * xp.abs(a) ** (ord - 1) * scale,)
        return (a * xp.abs(a) ** (ord - 2) * scale,)


# ---------------------------------------------------------------------- arguments
def _as_tensor(op: str, x: Any) -> Tensor:
    """``x`` as a Tensor: arrays, lists and numbers are wrapped, anything else is an error."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float)):
        return Tensor(x)
    raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")


def _reduce_axes(op: str, x: Tensor, axis: Any, dim: Any) -> tuple[int, ...] | None:
    """The axes ``dim=`` (PyTorch) or ``axis=`` (NumPy) names, sorted and non-negative, or
    None for all of them. PyTorch's ``dim=()`` is every dim; NumPy's ``axis=()`` is none."""
    if dim is None and axis is None:
        return None
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return None
    given = axis_of(op, axis, dim)
    try:
        axes = _axes(given, x.ndim)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{op}: {error}") from None
    if axes is not None and len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dim {given!r} names a dimension twice")
    return axes


def _one_dim(op: str, x: Tensor, dim: Any) -> int:
    """The one non-negative dim an op works along (a 0-d tensor's is 0, as in PyTorch)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    ndim = builtins.max(x.ndim, 1)
    if not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of {x.ndim} dimensions")
    return int(dim) % ndim


def _floating(op: str, x: Tensor) -> Tensor:
    """``x``, checked to hold floating-point numbers (PyTorch's rule for var, norms, ...)."""
    if dtype_kind(x.dtype) != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {x.dtype}")
    return x


def accumulator(x: Tensor, dtype: Any) -> Any:
    """The dtype a sum or product is taken in: ``dtype``, or int64 for integers and bools
    (PyTorch's rule; NumPy would give uint64 for unsigned ones)."""
    if dtype is None and type(x.data) is np.ndarray and x.dtype.kind in "biu":
        return np.int64
    return None if dtype is None else np.dtype(dtype)


def _in_dtype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` cast to ``dtype`` on the graph (a sum over no axes: its gradient is cast back)."""
    if dtype is None or x.dtype == dtype:
        return x
    return Sum.apply(x, axis=(), dtype=np.dtype(dtype))


def _xp_of(array: Any) -> Any:
    """The whole array library of ``array`` (NumPy itself for ndarrays), for work on data."""
    return np if type(array) is np.ndarray else array.__array_namespace__()


def _take_along(x: Tensor, indices: Any, axis: int) -> Tensor:
    """``x``'s elements at ``indices`` (integers, of x's ndim) along ``axis``, on the graph:
    their gradient goes back to where they were taken from (repeats accumulate)."""
    index = tuple(
        indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (x.ndim - d - 1))
        for d, n in enumerate(x.shape)
    )
    return x[index]


def _select(x: Tensor, indices: Any, axis: int, keepdim: bool) -> ValuesIndices:
    """(values, indices) for ``indices`` of x's elements along ``axis``, as keepdim says."""
    values = _take_along(x, indices, axis)
    if not keepdim:
        shape = values.shape[:axis] + values.shape[axis + 1 :]
        values, indices = values.reshape(shape), _xp_of(indices).reshape(indices, shape)
    return ValuesIndices(values, Tensor(indices))


# ---------------------------------------------------------------------- the functions
def sum(  # noqa: A001
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    dtype: Any = None,
) -> Tensor:
    """The sum over ``dim`` (every dim by default), in ``dtype`` if given; integers and bools
    sum as int64, as in PyTorch.

    Example:
        >>> import chainrule as cr
        >>> cr.sum(cr.tensor([[1, 2], [3, 4]]), dim=0)
        tensor([4, 6])
    """
    x = _as_tensor("sum", input)
    axes = _reduce_axes("sum", x, axis, dim)
    keep = keepdims_of("sum", keepdims, keepdim)
    return Sum.apply(x, axis=axes, keepdims=keep, dtype=accumulator(x, dtype))


def mean(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    dtype: Any = None,
) -> Tensor:
    """The mean over ``dim`` (every dim by default), of ``input`` cast to ``dtype`` if given."""
    x = _in_dtype(_as_tensor("mean", input), dtype)
    axes = _reduce_axes("mean", x, axis, dim)
    return Mean.apply(x, axis=axes, keepdims=keepdims_of("mean", keepdims, keepdim))


def prod(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    dtype: Any = None,
) -> Tensor:
    """The product over ``dim`` (every dim by default); the gradient is exact with zeros.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.prod().backward()
        >>> x.grad
        tensor([0., 6., 0.])
    """
    x = _as_tensor("prod", input)
    x = _in_dtype(x, accumulator(x, dtype))
    axes = _reduce_axes("prod", x, axis, dim)
    return Prod.apply(x, axis=axes, keepdims=keepdims_of("prod", keepdims, keepdim))


def _spread(
    op: str,
    input: Any,
    dim: Any,
    unbiased: bool | None,
    keepdim: bool | None,
    correction: float | None,
    axis: Any,
    keepdims: bool | None,
) -> tuple[Tensor, Tensor]:
    """The variance (or for std and std_mean the standard deviation) and the mean.

    The sum of squares is divided by max(N - correction, 0), as in PyTorch (so 0 degrees of
    freedom give inf or nan); the standard deviation is the norm of the deviations over
    the divisor's root, so a constant input gets a zero gradient, as in PyTorch.
    """
    x = _floating(op, _as_tensor(op, input))
    if isinstance(dim, bool):  # var(x, False): PyTorch's unbiased in dim's place
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: got both unbiased={unbiased!r} and correction={correction!r}")
    if correction is None:
        correction = 0 if unbiased is False else 1
    axes = _reduce_axes(op, x, axis, dim)
    keep = keepdims_of(op, keepdims, keepdim)
    count = x.size if axes is None else math.prod(x.shape[i] for i in axes)
    divisor = builtins.max(count - correction, 0)
    mean = Mean.apply(x, axis=axes, keepdims=True)
    centred = x - mean
    with np.errstate(divide="ignore", invalid="ignore"):  # no degrees of freedom left
        if op.startswith("std"):
            norm = VectorNorm.apply(centred, ord=2.0, axis=axes, keepdims=keep)
            spread = norm / math.sqrt(divisor)
        else:
            spread = Sum.apply(centred * centred, axis=axes, keepdims=keep) / divisor
    reduced = () if axes is None else _reduced_shape(x.shape, axes)
    return spread, mean if keep else mean.reshape(reduced)


def var(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool | None = None,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """The variance over ``dim``: the sum of squared deviations over N - correction
    (correction=1 by default, Bessel's; ``unbiased=False`` is correction=0).

    Example:
        >>> import chainrule as cr
        >>> cr.var(cr.tensor([[1.0, 2.0, 3.0, 4.0]]), dim=1)
        tensor([1.6666666])
    """
    return _spread("var", input, dim, unbiased, keepdim, correction, axis, keepdims)[0]


def std(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool | None = None,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """The standard deviation over ``dim``, the square root of ``var``'s value."""
    return _spread("std", input, dim, unbiased, keepdim, correction, axis, keepdims)[0]


def var_mean(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool | None = None,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """(var, mean) over ``dim``, from one mean."""
    return _spread("var_mean", input, dim, unbiased, keepdim, correction, axis, keepdims)


def std_mean(
    input: Any,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool | None = None,
    *,
    correction: float | None = None,
    axis: Any = None,
    keepdims: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """(std, mean) over ``dim``, from one mean."""
    return _spread("std_mean", input, dim, unbiased, keepdim, correction, axis, keepdims)


def logsumexp(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """log(sum(exp(input))) over ``dim``, without overflow; integers give float32, as in
    PyTorch.

    Example:
        >>> import chainrule as cr
        >>> cr.logsumexp(cr.tensor([1000.0, 1000.0]), dim=0)
        tensor(1000.6932)
    """
    x = _as_tensor("logsumexp", input)
    if dtype_kind(x.dtype) != "f":
        xp = _xp_of(x.data)
        x = Tensor(xp.astype(x.data, xp.float32))
    axes = _reduce_axes("logsumexp", x, axis, dim)
    return LogSumExp.apply(x, axis=axes, keepdims=keepdims_of("logsumexp", keepdims, keepdim))


def amax(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """The largest value over ``dim`` (one or several, every dim by default); tied maxima
    share the gradient equally, as in PyTorch."""
    x = _as_tensor("amax", input)
    axes = _reduce_axes("amax", x, axis, dim)
    return Max.apply(x, axis=axes, keepdims=keepdims_of("amax", keepdims, keepdim))


def amin(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """The smallest value over ``dim``; tied minima share the gradient equally."""
    x = _as_tensor("amin", input)
    axes = _reduce_axes("amin", x, axis, dim)
    return Min.apply(x, axis=axes, keepdims=keepdims_of("amin", keepdims, keepdim))


def _extremum(
    op: str, input: Any, dim: Any, keepdim: bool | None, axis: Any, keepdims: bool | None
) -> Any:
    """max or min: one tensor over everything or ``axis=``, (values, indices) over ``dim``."""
    x = _as_tensor(op, input)
    keep = keepdims_of(op, keepdims, keepdim)
    if dim is None:
        cls = Max if op == "max" else Min
        return cls.apply(x, axis=_reduce_axes(op, x, axis, None), keepdims=keep)
    if axis is not None:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; pass one")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(
            f"{op}: dim must be an int to give (values, indices), got {dim!r}; "
            f"a{op} reduces several dims"
        )
    d = _one_dim(op, x, dim)
    if x.ndim == 0:
        return _select(x.reshape(1), np.zeros(1, dtype=np.int64), 0, False)
    index = _arg_extremum("arg" + op, x, d, True, name=op)
    return _select(x, index, d, keep)


def _arg_extremum(
    op: str, x: Tensor, axis: int | None, keepdims: bool, name: str | None = None
) -> Any:
    """argmax or argmin of x's data, the first of ties and of NaNs, as in PyTorch; errors
    name the op the user called (``name``, default ``op``)."""
    if (x.size == 0) if axis is None else (x.shape[axis] == 0):
        raise ValueError(f"{name or op}: cannot reduce an empty dim (tensor of shape {x.shape})")
    xp = _xp_of(x.data)
    return getattr(xp, op)(x.data, axis=axis, keepdims=keepdims)


def max(  # noqa: A001
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Any:
    """The largest value: of everything, or over ``axis=`` (NumPy's spelling, tied maxima
    sharing the gradient), as one tensor; over the int ``dim`` (PyTorch's), as (values,
    indices) with the first maximum's index, which gets the gradient.

    Example:
        >>> import chainrule as cr
        >>> cr.max(cr.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
        ValuesIndices(values=tensor([5., 7.]), indices=tensor([1, 0]))
    """
    return _extremum("max", input, dim, keepdim, axis, keepdims)


def min(  # noqa: A001
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Any:
    """The smallest value, as ``max`` gives the largest."""
    return _extremum("min", input, dim, keepdim, axis, keepdims)


def _arg(
    op: str, input: Any, dim: Any, keepdim: bool | None, axis: Any, keepdims: bool | None
) -> Tensor:
    x = _as_tensor(op, input)
    given = axis_of(op, axis, dim)
    keep = keepdims_of(op, keepdims, keepdim)
    if given is None:
        return Tensor(_arg_extremum(op, x, None, keep))
    d = _one_dim(op, x, given)
    if x.ndim == 0:
        return Tensor(np.zeros((), dtype=np.int64))
    return Tensor(_arg_extremum(op, x, d, keep))


def argmax(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """The index of the largest value over ``dim`` (of the flattened tensor by default), the
    first of ties; not differentiable."""
    return _arg("argmax", input, dim, keepdim, axis, keepdims)


def argmin(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """The index of the smallest value over ``dim``, the first of ties; not differentiable."""
    return _arg("argmin", input, dim, keepdim, axis, keepdims)


def _logical(
    op: str, input: Any, dim: Any, keepdim: bool | None, axis: Any, keepdims: bool | None
) -> Tensor:
    x = _as_tensor(op, input)
    # NOTE: here PyTorch's dim=() reduces nothing, as NumPy's axis=() does
    axes = () if isinstance(dim, (tuple, list)) and not dim else _reduce_axes(op, x, axis, dim)
    keep = keepdims_of(op, keepdims, keepdim)
    out = getattr(_xp_of(x.data), op)(x.data, axis=axes, keepdims=keep)
    if type(x.data) is np.ndarray and x.dtype == np.uint8:  # PyTorch's uint8 rule
        return Tensor(out.astype(np.uint8))
    return Tensor(out)


def all(  # noqa: A001
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Whether every element over ``dim`` is nonzero (bool; uint8 for uint8, as PyTorch)."""
    return _logical("all", input, dim, keepdim, axis, keepdims)


def any(  # noqa: A001
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Whether any element over ``dim`` is nonzero (bool; uint8 for uint8, as PyTorch)."""
    return _logical("any", input, dim, keepdim, axis, keepdims)


def count_nonzero(input: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """How many elements over ``dim`` are nonzero, as int64; not differentiable."""
    x = _as_tensor("count_nonzero", input)
    axes = _reduce_axes("count_nonzero", x, axis, dim)
    counts = _xp_of(x.data).count_nonzero(x.data, axis=axes)
    return Tensor(np.asarray(counts, dtype=np.int64))


def _nan_mask(x: Tensor) -> Any:
    """Where ``x`` is NaN (nowhere, for integers)."""
    if dtype_kind(x.dtype) != "f":
        return np.zeros(x.shape, dtype=bool)
    return _xp_of(x.data).isnan(x.data)


def nansum(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    dtype: Any = None,
) -> Tensor:
    """The sum over ``dim`` with NaNs counted as zero (which get a zero gradient)."""
    x = _as_tensor("nansum", input)
    if dtype_kind(x.dtype) == "f":
        x = where(_nan_mask(x), 0.0, x)
    return sum(x, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)


def nanmean(
    input: Any,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
    dtype: Any = None,
) -> Tensor:
    """The mean over ``dim`` of the elements that are not NaN (nan where all are)."""
    x = _in_dtype(_floating("nanmean", _as_tensor("nanmean", input)), dtype)
    axes = _reduce_axes("nanmean", x, axis, dim)
    keep = keepdims_of("nanmean", keepdims, keepdim)
    nan = _nan_mask(x)
    xp = _xp_of(nan)
    counts = xp.sum(xp.astype(~nan, x.dtype), axis=axes, keepdims=keep)
    with np.errstate(invalid="ignore"):  # nothing left to average: nan, as in PyTorch
        return Sum.apply(where(nan, 0.0, x), axis=axes, keepdims=keep) / Tensor(counts)


def vector_norm(
    x: Any,
    ord: float = 2,
    dim: Any = None,
    keepdim: bool | None = None,
    *,
    dtype: Any = None,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """The ``ord``-norm over ``dim`` (of all elements by default): (sum |x|^ord)^(1/ord),
    the largest or smallest |x| for inf and -inf, the count of nonzeros for 0.

    Example:
        >>> import chainrule as cr
        >>> cr.linalg.vector_norm(cr.tensor([3.0, 4.0]))
        tensor(5.)
    """
    x = _as_tensor("vector_norm", x)
    if dtype is None:
        _floating("vector_norm", x)
    x = _in_dtype(x, dtype)
    axes = _reduce_axes("vector_norm", x, axis, dim)
    keep = keepdims_of("vector_norm", keepdims, keepdim)
    if isinstance(ord, bool) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(f"vector_norm: ord must be a number, got {ord!r}")
    if ord == math.inf:
        return Max.apply(x.abs(), axis=axes, keepdims=keep)
    if ord == -math.inf:
        return Min.apply(x.abs(), axis=axes, keepdims=keep)
    if ord == 0:  # a count: no gradient
        xp = _xp_of(x.data)
        return Tensor(xp.sum(xp.astype(x.data != 0, x.dtype), axis=axes, keepdims=keep))
    return VectorNorm.apply(x, ord=float(ord), axis=axes, keepdims=keep)


def norm(
    input: Any,
    p: float | str = "fro",
    dim: Any = None,
    keepdim: bool | None = None,
    dtype: Any = None,
    *,
    axis: Any = None,
    keepdims: bool | None = None,
) -> Tensor:
    """PyTorch's ``torch.norm``: ``vector_norm`` of order ``p``, where "fro" is 2."""
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: p={p!r} is not supported; use 'fro' or a number")
        p = 2
    return vector_norm(input, p, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)
