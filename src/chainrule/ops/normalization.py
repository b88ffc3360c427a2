"""``Standardise``: (x - mean) / sqrt(var + eps) over trailing axes, the core of layer and group
norm, fused into one node (the composite is seven, on a transformer's every residual)."""

from __future__ import annotations

from ..autograd import Function
from ._shared import Array, Grads


class Standardise(Function, fresh_grads=True):
    """(x - mean) / sqrt(var + eps) over ``axes``, the variance biased and taken of the centred
    values (two passes: no cancellation when the mean is large)"""

    __slots__ = ()

    def forward(self, x: Array, axes: tuple[int, ...], eps: float) -> Array:
        xp = self.xp
        centred = x - xp.mean(x, axis=axes, keepdims=True)
        rstd = 1 / xp.sqrt(xp.mean(centred * centred, axis=axes, keepdims=True) + eps)
        out = centred * rstd
        self.saved = (out, rstd, axes)
        return out

    def backward(self, grad: Array) -> Grads:
        out, rstd, axes = self.saved
        xp = self.xp
        # dL/dx = rstd (g - mean(g) - xhat mean(g xhat)), the means over ``axes``
        mean_grad = xp.mean(grad, axis=axes, keepdims=True)
        mean_projection = xp.mean(grad * out, axis=axes, keepdims=True)
        return ((grad - mean_grad - out * mean_projection) * rstd,)
