"""PyTorch's ``max(dim)``/``min(dim)`` (values and indices) and ``argmax``/``argmin``.

The values are gathered at the indices (GetItem), so their gradient goes to the chosen
element alone, the first of tied ones, as in PyTorch (``max()`` of all elements shares it
among ties: the Max primitive).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .arguments import axis_of, keepdims_of
from .return_types import ValuesIndices
from .tensor import Tensor, _axes
from .views import dim_of

_PRIMITIVES = {"max": ops.Max, "min": ops.Min}


def _namespace(data: Any) -> Any:
    return np if type(data) is np.ndarray else data.__array_namespace__()


def _check_not_empty(op: str, x: Tensor, axis: int | None) -> None:
    if (x.numel() if axis is None else x.shape[axis]) == 0:
        where = "" if axis is None else f" along dim {axis}"
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {x.shape}{where}")


def extremum(
    op: str, x: Tensor, dim: Any, keepdim: Any, axis: Any, keepdims: Any
) -> Tensor | ValuesIndices:
    """``Tensor.max``/``min``: ``(values, indices)`` along ``dim`` (PyTorch), else the Max or
    Min primitive over ``axis`` (NumPy: one or several axes, or all)."""
    axis, keep = axis_of(op, axis, dim), keepdims_of(op, keepdims, keepdim)
    if dim is not None:
        return values_indices(op, x, dim, keep)
    return _PRIMITIVES[op].apply(x, axis=_axes(axis, x.ndim), keepdims=keep)


def arg_extremum(op: str, x: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """``argmax``/``argmin``: int64 indices along ``dim``, or into the flattened tensor."""
    axis = None if dim is None else dim_of(op, dim, x.ndim)
    if x.ndim == 0:
        axis = None
    _check_not_empty(op, x, axis)
    xp = _namespace(x.data)
    found = getattr(xp, op)(x.data, axis=axis, keepdims=keepdim)
    return Tensor(xp.astype(xp.asarray(found), xp.int64))


def values_indices(op: str, x: Tensor, dim: Any, keepdim: bool) -> ValuesIndices:
    """``max(dim)``/``min(dim)``: the extreme values along ``dim`` and their indices."""
    axis = dim_of(op, dim, x.ndim)
    if x.ndim == 0:
        return ValuesIndices(ops.GetItem.apply(x, index=()), arg_extremum("arg" + op, x, 0, False))
    _check_not_empty(op, x, axis)
    indices = arg_extremum("arg" + op, x, axis, keepdim)
    xp = _namespace(x.data)
    out_ndim = indices.ndim
    index = []
    for i, n in enumerate(x.shape):
        if i == axis:
            index.append(indices.data)
            continue
        position = i if keepdim or i < axis else i - 1
        shape = [1] * out_ndim
        shape[position] = n
        index.append(xp.reshape(xp.arange(n), tuple(shape)))
    return ValuesIndices(ops.GetItem.apply(x, index=tuple(index)), indices)
