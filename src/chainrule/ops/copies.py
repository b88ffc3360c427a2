"""Primitives that copy values unchanged: ``Clone``, and ``Cast`` to another float dtype."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ._shared import Array, Grads


class Clone(Function, fresh_grads=True):
    """a copied into new (row-major) memory; the gradient passes through unchanged"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        return self.xp.clone(a)

    def backward(self, grad: Array) -> Grads:
        return (grad,)


class Cast(Function, fresh_grads=True):
    """a in another floating-point dtype; the gradient is cast back to a's dtype"""

    __slots__ = ()

    def forward(self, a: Array, dtype: Any) -> Array:
        self.saved = (a.dtype,)
        return self.xp.astype(a, dtype)

    def backward(self, grad: Array) -> Grads:
        return (self.xp.astype(grad, self.saved[0]),)
