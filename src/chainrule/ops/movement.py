"""Primitives that move elements without arithmetic, and ``concat``/``stack``; no reductions."""

from __future__ import annotations

import functools
import itertools
from typing import Any

from ..arguments import axis_of
from ..autograd import Function, _as_tensors
from ..backends import unbroadcast
from ..tensor import Tensor
from ._shared import Array, Grads


class Reshape(Function, fresh_grads=True):
    """a with a new shape"""

    __slots__ = ()

    def forward(self, a: Array, shape: tuple[int, ...]) -> Array:
        try:
            out = self.xp.reshape(a, shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {a.shape} into {tuple(shape)}"
            ) from None
        self.saved = (a.shape,)
        return out

    def backward(self, grad: Array) -> Grads:
        return (self.xp.reshape(grad, self.saved[0]),)


class Transpose(Function, fresh_grads=True):
    """a with its axes permuted"""

    __slots__ = ()

    def forward(self, a: Array, axes: tuple[int, ...]) -> Array:
        inverse = _inverse_permutation(tuple(axes), a.ndim)
        if inverse is None:
            raise ValueError(f"transpose: axes {tuple(axes)} do not permute shape {a.shape}")
        self.saved = (inverse,)
        return self.xp.permute_dims(a, axes)

    def backward(self, grad: Array) -> Grads:
        return (self.xp.permute_dims(grad, self.saved[0]),)


@functools.lru_cache(maxsize=64)
def _inverse_permutation(axes: tuple[int, ...], ndim: int) -> tuple[int, ...] | None:
    """The axes that undo ``axes`` (negative ones allowed), or None if they permute nothing.

    NOTE: cached, since a transpose is often ``w.T``, and checking costs more than the op
    (python -m bench.choices inverse_permutation_cache).
    """
    perm = [ax % max(ndim, 1) for ax in axes]
    if sorted(perm) != list(range(ndim)):
        return None
    return tuple(sorted(range(ndim), key=perm.__getitem__))


class BroadcastTo(Function, fresh_grads=True):
    """a broadcast to a larger shape"""

    __slots__ = ()

    def forward(self, a: Array, shape: tuple[int, ...]) -> Array:
        try:
            out = self.xp.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast {a.shape} to {shape}") from None
        self.saved = (a.shape,)
        return out

    def backward(self, grad: Array) -> Grads:
        return (unbroadcast(grad, self.saved[0]),)  # sum over the copies


class GetItem(Function, fresh_grads=True):
    """a[index], basic or integer-array indexing; repeated indices accumulate"""

    __slots__ = ()

    def forward(self, a: Array, index: Any) -> Array:
        try:
            out = a[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {a.shape})") from None
        self.saved = (a.shape, index)
        return self.xp.asarray(out)  # NumPy gives a scalar for a single element

    def backward(self, grad: Array) -> Grads:
        shape, index = self.saved  # dL/da = dL/dy put back where it came from
        return (self.xp.scatter_add(grad, shape, index),)


class ScatterAdd(Function, fresh_grads=True):
    """zeros(shape) with a added at index (the transpose of GetItem)"""

    __slots__ = ()

    def forward(self, a: Array, shape: tuple[int, ...], index: Any) -> Array:
        self.saved = (index,)
        return self.xp.scatter_add(a, shape, index)

    def backward(self, grad: Array) -> Grads:
        return (self.xp.asarray(grad[self.saved[0]]),)  # dL/da = dL/dy at index


class Concat(Function, fresh_grads=True):
    """a_1, ..., a_n joined along axis"""

    __slots__ = ()

    def forward(self, *arrays: Array, axis: int = 0) -> Array:
        try:
            out = self.xp.concat(arrays, axis=axis)
        except ValueError as error:  # NumPy's AxisError is a ValueError
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"concat: cannot join shapes {shapes} on axis {axis} ({error})"
            ) from None
        axis = axis % out.ndim
        self.saved = (axis, list(itertools.accumulate(a.shape[axis] for a in arrays)))
        return out

    def backward(self, grad: Array) -> Grads:
        axis, bounds = self.saved  # each input gets its own block
        starts = [0, *bounds[:-1]]
        before = (slice(None),) * axis  # and the Ellipsis, which strict namespaces want
        return tuple(grad[before + (slice(s, e), Ellipsis)] for s, e in zip(starts, bounds))


def concat(tensors: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``axis=`` or ``dim=``, 0 by default); ``cr.cat``.

    Example:
        >>> import chainrule as cr
        >>> cr.concat([cr.ones((1, 2)), cr.zeros((1, 2))]).shape
        (2, 2)
    """
    axis = axis_of("concat", axis, dim) or 0
    if len(tensors) == 0:
        raise ValueError("concat: expected a non-empty sequence of tensors")
    return Concat.apply(*tensors, axis=0 if axis is None else axis)


def stack(tensors: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis (``axis=`` or ``dim=``, 0 by default).

    Example:
        >>> import chainrule as cr
        >>> cr.stack([cr.ones(3), cr.zeros(3)], dim=1).shape
        (3, 2)
    """
    axis = axis_of("stack", axis, dim) or 0
    if len(tensors) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    tensors = _as_tensors(tuple(tensors))
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    (shape,) = shapes
    if not -(len(shape) + 1) <= axis <= len(shape):
        raise ValueError(f"stack: axis {axis} is out of range for {len(shape) + 1} dimensions")
    position = axis % (len(shape) + 1)
    expanded = shape[:position] + (1,) + shape[position:]
    return Concat.apply(*[t.reshape(expanded) for t in tensors], axis=position)
