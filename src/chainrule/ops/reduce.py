"""Reductions (Sum, Mean, Max, Min) and ``sum_to``; the fused softmax family is in losses.py."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ._shared import Grads, TensorGrads


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``unbroadcast`` as Tensor ops: sum ``x`` down to ``shape``."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    return Sum.apply(x, axis=axes, keepdims=True).reshape(shape)


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


class Sum(Function, fresh_grads=True):
    """sum of a over axis"""

    __slots__ = ()

    def forward(
        self, a: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        self.saved = (a.shape, _kept_shape(a.shape, axis))
        return np.asarray(a.sum(axis=axis, keepdims=keepdims))

    def backward(self, grad: np.ndarray) -> Grads:
        shape, kept = self.saved
        grad_a = np.empty(shape, dtype=grad.dtype)
        grad_a[...] = grad.reshape(kept)  # dL/da_i = dL/dy, copied to every summed position
        return (grad_a,)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        shape, kept = self.saved
        return (grad.reshape(kept).broadcast_to(shape),)


class Mean(Function, fresh_grads=True):
    """mean of a over axis (one node rather than a sum and a division)"""

    __slots__ = ()

    def forward(
        self, a: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        kept = _kept_shape(a.shape, axis)
        if a.size:
            count = a.size // int(np.prod(kept))
        else:  # the product of the reduced lengths, which may be 0
            count = 0 if axis is None else int(np.prod([a.shape[i] for i in axis]))
        self.saved = (a.shape, kept, max(count, 1))  # an empty input gets an empty grad
        if count == 0:
            with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in NumPy
                return np.asarray(a.sum(axis=axis, keepdims=keepdims) / count)
        return np.asarray(a.sum(axis=axis, keepdims=keepdims) / count)  # ndarray.mean is slower

    def backward(self, grad: np.ndarray) -> Grads:
        shape, kept, count = self.saved
        grad_a = np.empty(shape, dtype=grad.dtype)
        grad_a[...] = grad.reshape(kept) / count  # dL/da_i = dL/dy / count
        return (grad_a,)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        shape, kept, count = self.saved
        return ((grad.reshape(kept) / count).broadcast_to(shape),)


class _Extremum(Function, fresh_grads=True):
    """Max and Min: the winners over axis, which share the gradient equally when tied"""

    __slots__ = ()
    _name: str  # the ndarray method, and the op's name in messages

    def forward(
        self, a: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        if a.size == 0:
            raise ValueError(f"{self._name}: cannot reduce an empty tensor of shape {a.shape}")
        kept = getattr(a, self._name)(axis=axis, keepdims=True)
        self.saved = (a, kept, axis)
        return kept if keepdims else np.asarray(np.squeeze(kept, axis=axis))

    def _share(self) -> np.ndarray:
        """Which inputs won, each weighted 1/(number of ties)."""
        a, kept, axis = self.saved
        winners = (a == kept).astype(a.dtype)
        return winners / winners.sum(axis=axis, keepdims=True)

    def backward(self, grad: np.ndarray) -> Grads:
        kept = self.saved[1]
        return (grad.reshape(kept.shape) * self._share(),)  # dL/da = dL/dy at the winners

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        kept = self.saved[1]
        return (grad.reshape(kept.shape) * self._share(),)


class Max(_Extremum, fresh_grads=True):
    """max of a over axis; tied maxima share the gradient equally"""

    __slots__ = ()
    _name = "max"


class Min(_Extremum, fresh_grads=True):
    """min of a over axis; tied minima share the gradient equally"""

    __slots__ = ()
    _name = "min"
