"""``Standardise``: (x - mean) / sqrt(var + eps) over trailing axes, the core of layer and group
norm, fused into one node (the composite is seven, on a transformer's every residual)."""

from __future__ import annotations

from ..autograd import Function
from ._shared import Array, Grads


class Standardise(Function, fresh_grads=True):
    """(x - mean) / sqrt(var + eps) over ``axes``, the variance biased and taken of the centred
    values (two passes: no cancellation when the mean is large); then ``* weight + bias``
    when both are given (layer norm's affine, in the same node, over trailing ``axes``)"""

    __slots__ = ()

    def forward(
        self, x: Array, weight: Array = None, bias: Array = None, *, axes: tuple[int, ...],
        eps: float,
    ) -> Array:  # fmt: skip
        if weight is not None:
            _check_affine(x, weight, bias, axes)
        out, self.saved = self.xp.standardise(x, weight, bias, axes, eps)
        return out

    def backward(self, grad: Array) -> Grads:
        return self.xp.standardise_backward(self.saved, grad, self.needs_grad)


def _check_affine(x: Array, weight: Array, bias: Array, axes: tuple[int, ...]) -> None:
    """The affine's weight and bias span exactly the normalised axes, and they trail x."""
    first = x.ndim - weight.ndim
    if sorted(a % x.ndim for a in axes) != list(range(first, x.ndim)) or (
        weight.shape != x.shape[first:] or bias is None or bias.shape != weight.shape
    ):
        raise ValueError(
            f"standardise: weight {weight.shape} and bias "
            f"{None if bias is None else bias.shape} must both have the shape of the "
            f"normalised trailing axes {axes} of input {x.shape}"
        )
