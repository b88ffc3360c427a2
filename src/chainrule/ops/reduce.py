"""Reductions (Sum, Mean, Max, Min); the fused softmax family is in losses.py."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ._shared import Array, Grads


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    return tuple([1 if i in axis else n for i, n in enumerate(shape)])


def _reduced_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has without ``keepdims``."""
    return tuple([n for i, n in enumerate(shape) if i not in axis])


class Sum(Function, fresh_grads=True):
    """sum of a over axis"""

    __slots__ = ()

    def forward(
        self, a: Array, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Array:
        self.saved = (a.shape, _kept_shape(a.shape, axis))
        return self.xp.sum(a, axis=axis, keepdims=keepdims)

    def backward(self, grad: Array) -> Grads:
        shape, kept = self.saved
        xp = self.xp  # dL/da_i = dL/dy, copied to every summed position
        return (xp.broadcast_copy(xp.reshape(grad, kept), shape),)


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
        self.saved = (a.shape, kept, max(count, 1))  # an empty input gets an empty grad
        if count == 0:
            with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in NumPy
                return xp.asarray(xp.sum(a, axis=axis, keepdims=keepdims) / count)
        return xp.asarray(xp.sum(a, axis=axis, keepdims=keepdims) / count)  # mean is slower

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
