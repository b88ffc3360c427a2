"""Constructors as in ``torch.*``: tensors from data, filled shapes, ranges and ``*_like``.

Floats default to float32 and integers to int64, as in PyTorch; each takes ``dtype=``,
``device=`` and ``requires_grad=`` (keywords). None is recorded on a graph.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from . import devices
from .tensor import DEFAULT_DTYPE, Tensor, _to_array, _xp


def shape_of(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """A shape given as ints, ``zeros(2, 3)``, or as one sequence, ``zeros((2, 3))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        shape = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(f"{op}: size must be ints or one sequence of ints, got {size!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: sizes must be non-negative, got {shape}")
    return shape


def float_default(dtype: Any) -> np.dtype:
    """``dtype`` as an ``np.dtype``, float32 when it is None."""
    return np.dtype(DEFAULT_DTYPE if dtype is None else dtype)


def new_tensor(array: Any, device: Any, requires_grad: bool) -> Tensor:
    """A leaf holding ``array``, moved to ``device`` when one is given."""
    if device is not None:
        array = devices.move(array, device)
    return Tensor(array, requires_grad=requires_grad)


# ---------------------------------------------------------------------- from data
def tensor(
    data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data`` (Python floats become float32).

    ``Tensor(array)`` and ``as_tensor`` wrap an ndarray without copying; ``tensor`` never
    shares memory.

    Example:
        >>> import chainrule as cr
        >>> cr.tensor([[1, 2], [3, 4]]).dtype
        dtype('int64')
        >>> cr.tensor(0.5).dtype
        dtype('float32')
    """
    array = _to_array(data, dtype)
    if type(array) is np.ndarray:
        array = np.array(array)
    else:  # another namespace's array: copied there
        array = _xp(array).asarray(array, copy=True)
    return new_tensor(array, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing its memory where it can: a Tensor that needs no
    conversion is returned itself, an ndarray of the dtype is wrapped, anything else copied.

    Example:
        >>> import chainrule as cr
        >>> import numpy as np
        >>> a = np.zeros(2)
        >>> cr.as_tensor(a).data is a
        True
    """
    if isinstance(data, Tensor) and device is None and dtype in (None, data.dtype):
        return data
    return new_tensor(_to_array(data, dtype), device, requires_grad=False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype: a write to one shows in the other.

    Example:
        >>> import chainrule as cr
        >>> import numpy as np
        >>> a = np.zeros(2)
        >>> t = cr.from_numpy(a); a[0] = 5.0
        >>> t
        tensor([5., 0.], dtype=float64)
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    return Tensor(np.asarray(array))


# ---------------------------------------------------------------------- filled shapes
def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, ``zeros(2, 3)`` or ``zeros((2, 3))`` (float32 unless told otherwise)."""
    array = np.zeros(shape_of("zeros", size), dtype=float_default(dtype))
    return new_tensor(array, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones, ``ones(2, 3)`` or ``ones((2, 3))`` (float32 unless told otherwise)."""
    array = np.ones(shape_of("ones", size), dtype=float_default(dtype))
    return new_tensor(array, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are whatever the memory held (float32 unless told otherwise)."""
    array = np.empty(shape_of("empty", size), dtype=float_default(dtype))
    return new_tensor(array, device, requires_grad)


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``fill_value``, whose type sets the dtype: bool, int64 or float32.

    Example:
        >>> import chainrule as cr
        >>> cr.full((2,), 7)
        tensor([7, 7])
    """
    dtype = _to_array(fill_value).dtype if dtype is None else dtype
    array = np.full(shape_of("full", (size,)), fill_value, dtype=dtype)
    return new_tensor(array, device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The ``n`` x ``m`` identity (``m`` defaults to ``n``)."""
    rows, cols = shape_of("eye", (n, n if m is None else m))
    return new_tensor(np.eye(rows, cols, dtype=float_default(dtype)), device, requires_grad)


# ---------------------------------------------------------------------- ranges
def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` up to ``end`` (excluded); ``arange(end)`` starts at 0.

    Integer arguments give int64, any float float32; values are computed in float64 and
    then cast, as PyTorch does (which truncates the arguments first for an integer dtype).

    Example:
        >>> import chainrule as cr
        >>> cr.arange(3), cr.arange(0, 1, 0.25)
        (tensor([0, 1, 2]), tensor([0.  , 0.25, 0.5 , 0.75]))
    """
    if end is None:
        start, end = 0, start
    bounds = [_number("arange", x) for x in (start, end, step)]
    exact = all(isinstance(x, int) for x in bounds)
    if dtype is not None and np.dtype(dtype).kind in "biu":  # PyTorch casts them first
        bounds, exact = [int(x) for x in bounds], True
    start, end, step = bounds
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if not all(math.isfinite(x) for x in bounds):
        raise ValueError(f"arange: start, end and step must be finite, got {start}, {end}, {step}")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: end {end} lies the other way from start {start} than step {step} goes"
        )
    default = np.int64 if exact else DEFAULT_DTYPE
    array = np.arange(start, end, step, dtype=np.int64 if exact else np.float64)
    return new_tensor(array.astype(default if dtype is None else dtype), device, requires_grad)


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    As PyTorch: the first half steps up from ``start``, the second half down from ``end``
    (so both ends are exact), in the dtype itself for floats.

    Example:
        >>> import chainrule as cr
        >>> cr.linspace(0, 1, 5)
        tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    (steps,) = shape_of("linspace", (steps,))
    dtype = float_default(dtype)
    work = dtype.type if dtype.kind in "fc" else np.float64
    first, last = work(_number("linspace", start)), work(_number("linspace", end))
    index = np.arange(steps)
    if steps == 1:
        array = np.full(1, first)
    else:
        step = (last - first) / work(max(steps - 1, 1))
        up = first + index.astype(work) * step
        down = last - (steps - 1 - index).astype(work) * step
        array = np.where(index < steps // 2, up, down)
    return new_tensor(array.astype(dtype), device, requires_grad)


def _number(op: str, value: Any) -> Any:
    """A Python int or float from a number or a one-element tensor."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{op}: expected a number, got {type(value).__name__}")
    return value.item() if isinstance(value, np.number) else value


# ---------------------------------------------------------------------- *_like
def zeros_like(
    input: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    """Zeros of ``input``'s shape and dtype (and namespace)."""
    return _like("zeros_like", input, (), dtype, device, requires_grad)


def ones_like(
    input: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    """Ones of ``input``'s shape and dtype (and namespace)."""
    return _like("ones_like", input, (), dtype, device, requires_grad)


def empty_like(
    input: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    """Uninitialised values of ``input``'s shape and dtype (and namespace)."""
    return _like("empty_like", input, (), dtype, device, requires_grad)


def full_like(
    input: Any,  # noqa: A002  (PyTorch's name)
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype (and namespace).

    Example:
        >>> import chainrule as cr
        >>> cr.full_like(cr.zeros(2, dtype="int32"), 3)
        tensor([3, 3], dtype=int32)
    """
    return _like("full_like", input, (fill_value,), dtype, device, requires_grad)


def _like(
    op: str,
    input: Any,
    fill: tuple[Any, ...],
    dtype: Any,
    device: Any,
    requires_grad: bool,  # noqa: A002
) -> Tensor:
    """``xp.<op>(data, *fill)`` in the namespace of ``input``'s array."""
    data = input.data if isinstance(input, Tensor) else _to_array(input)
    xp = np if type(data) is np.ndarray else _xp(data)
    if dtype is not None:
        dtype = dtype if xp is np else getattr(xp, np.dtype(dtype).name)
    return new_tensor(getattr(xp, op)(data, *fill, dtype=dtype), device, requires_grad)
