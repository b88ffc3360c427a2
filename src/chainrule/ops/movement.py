"""Primitives that move elements without arithmetic, and ``concat``/``stack``; no reductions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backends import unbroadcast
from ..tensor import Tensor
from ._shared import Grads, TensorGrads
from .reduce import sum_to


class Reshape(Function, fresh_grads=True):
    """a with a new shape"""

    __slots__ = ()

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        try:
            out = a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {a.shape} into {tuple(shape)}"
            ) from None
        self.saved = (a.shape,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        return (grad.reshape(self.saved[0]),)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad.reshape(self.saved[0]),)


class Transpose(Function, fresh_grads=True):
    """a with its axes permuted"""

    __slots__ = ()

    def forward(self, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        if sorted(ax % max(a.ndim, 1) for ax in axes) != list(range(a.ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} do not permute shape {a.shape}")
        self.saved = (tuple(np.argsort([ax % a.ndim for ax in axes])),)
        return a.transpose(axes)

    def backward(self, grad: np.ndarray) -> Grads:
        return (grad.transpose(self.saved[0]),)  # the inverse permutation

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad.transpose(self.saved[0]),)


class BroadcastTo(Function, fresh_grads=True):
    """a broadcast to a larger shape"""

    __slots__ = ()

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        try:
            out = np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast {a.shape} to {shape}") from None
        self.saved = (a.shape,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        return (unbroadcast(grad, self.saved[0]),)  # sum over the copies

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (sum_to(grad, self.saved[0]),)


def _is_basic_index(index: Any) -> bool:
    """Ints, slices, None and Ellipsis select a view: no index repeats."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class GetItem(Function, fresh_grads=True):
    """a[index], basic or integer-array indexing; repeated indices accumulate"""

    __slots__ = ()

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        try:
            out = a[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {a.shape})") from None
        self.saved = (a.shape, index)
        return np.asarray(out)

    def backward(self, grad: np.ndarray) -> Grads:
        shape, index = self.saved
        return (_scatter_add(grad, shape, index),)  # dL/da = dL/dy put back where it came from

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        shape, index = self.saved
        return (ScatterAdd.apply(grad, shape=shape, index=index),)


def _scatter_add(grad: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    out = np.zeros(shape, dtype=grad.dtype)
    if _is_basic_index(index):
        out[index] = grad
    else:
        np.add.at(out, index, grad)
    return out


class ScatterAdd(Function, fresh_grads=True):
    """zeros(shape) with a added at index (the transpose of GetItem)"""

    __slots__ = ()

    def forward(self, a: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
        self.saved = (index,)
        return _scatter_add(a, shape, index)

    def backward(self, grad: np.ndarray) -> Grads:
        return (np.asarray(grad[self.saved[0]]),)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (GetItem.apply(grad, index=self.saved[0]),)


class Concat(Function, fresh_grads=True):
    """a_1, ..., a_n joined along axis"""

    __slots__ = ()

    def forward(self, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        try:
            out = np.concatenate(arrays, axis=axis)
        except (ValueError, np.exceptions.AxisError) as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"concat: cannot join shapes {shapes} on axis {axis} ({error})"
            ) from None
        axis = axis % out.ndim
        bounds = np.cumsum([a.shape[axis] for a in arrays])
        self.saved = (axis, bounds)
        return out

    def _slices(self) -> list[tuple[slice, ...]]:
        axis, bounds = self.saved
        starts = [0, *bounds[:-1]]
        return [(slice(None),) * axis + (slice(s, e),) for s, e in zip(starts, bounds)]

    def backward(self, grad: np.ndarray) -> Grads:
        return tuple(grad[s] for s in self._slices())  # each input gets its own block

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return tuple(grad[s] for s in self._slices())


def concat(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    Example:
        >>> import chainrule as cr
        >>> cr.concat([cr.ones((1, 2)), cr.zeros((1, 2))]).shape
        (2, 2)
    """
    if len(tensors) == 0:
        raise ValueError("concat: expected a non-empty sequence of tensors")
    return Concat.apply(*tensors, axis=axis)


def stack(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis.

    Example:
        >>> import chainrule as cr
        >>> cr.stack([cr.ones(3), cr.zeros(3)], axis=1).shape
        (3, 2)
    """
    if len(tensors) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {tuple(np.shape(t.data if isinstance(t, Tensor) else t)) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    (shape,) = shapes
    if not -(len(shape) + 1) <= axis <= len(shape):
        raise ValueError(f"stack: axis {axis} is out of range for {len(shape) + 1} dimensions")
    position = axis % (len(shape) + 1)
    expanded = shape[:position] + (1,) + shape[position:]
    return Concat.apply(
        *[
            t.reshape(expanded) if isinstance(t, Tensor) else np.reshape(t, expanded)
            for t in tensors
        ],
        axis=position,
    )
