"""``Standardise``: (x - mean) / sqrt(var + eps) over trailing axes, the core of layer and group
norm, fused into one node (the composite is seven, on a transformer's every residual)."""

from __future__ import annotations

from ..autograd import Function
from ..backends import unbroadcast
from ._shared import Array, Grads


class Standardise(Function, fresh_grads=True):
    """(x - mean) / sqrt(var + eps) over ``axes``, the variance biased and taken of the centred
    values (two passes: no cancellation when the mean is large); then ``* weight + bias``
    when both are given (layer norm's affine, in the same node)"""

    __slots__ = ()

    def forward(
        self, x: Array, weight: Array = None, bias: Array = None, *, axes: tuple[int, ...],
        eps: float,
    ) -> Array:  # fmt: skip
        xp = self.xp
        centred = x - xp.mean(x, axis=axes, keepdims=True)
        rstd = 1 / xp.sqrt(xp.mean(centred * centred, axis=axes, keepdims=True) + eps)
        out = centred * rstd
        self.saved = (out, rstd, axes, weight)
        return out if weight is None else out * weight + bias

    def backward(self, grad: Array) -> Grads:
        out, rstd, axes, weight = self.saved
        xp = self.xp
        # dL/dx = rstd (h - mean(h) - xhat mean(h xhat)), h = dL/dxhat, the means over ``axes``
        grad_hat = grad if weight is None else grad * weight
        mean_grad = xp.mean(grad_hat, axis=axes, keepdims=True)
        mean_projection = xp.mean(grad_hat * out, axis=axes, keepdims=True)
        grad_x = (grad_hat - mean_grad - out * mean_projection) * rstd
        if weight is None:
            return (grad_x,)
        needs = self.needs_grad  # dL/dweight = sum dL/dy xhat, dL/dbias = sum dL/dy
        grad_weight = unbroadcast(grad * out, weight.shape) if needs[1] else None
        grad_bias = unbroadcast(grad, weight.shape) if needs[2] else None
        return grad_x, grad_weight, grad_bias
