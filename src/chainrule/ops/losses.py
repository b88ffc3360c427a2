"""The fused softmax family (LogSoftmax, SoftmaxCrossEntropy) and SquaredError; no other losses."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..backends import namespace
from ._shared import Array, Grads


def _log_softmax(a: Array, axis: tuple[int]) -> Array:
    xp = namespace(a)  # axis is one non-negative axis, in a tuple, as Sum and Max take it
    # NOTE: subtract the max before exp, so logsumexp never overflows.
    shifted = a - xp.max(a, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


class LogSoftmax(Function, fresh_grads=True):
    """a - logsumexp(a) along axis"""

    __slots__ = ()

    def forward(self, a: Array, axis: int = -1) -> Array:
        if not -a.ndim <= axis < a.ndim:
            raise ValueError(f"log_softmax: axis {axis} is out of range for {a.ndim}-d input")
        axes = (axis % a.ndim,)
        out = _log_softmax(a, axes)
        self.saved = (out, axes)
        return out

    def backward(self, grad: Array) -> Grads:
        out, axes = self.saved
        xp = self.xp
        # dL/da = dL/dy - softmax(a) * sum(dL/dy)
        return (grad - xp.exp(out) * xp.sum(grad, axis=axes, keepdims=True),)


class SoftmaxCrossEntropy(Function, fresh_grads=True):
    """-log softmax(logits)[target] per row, reduced by mean, sum or none"""

    __slots__ = ()

    def forward(self, logits: Array, target: Array, reduction: str = "mean") -> Array:
        log_probs = _log_softmax(logits, (1,))
        xp = self.xp
        self.saved = (log_probs, target, reduction)
        return xp.reduce_loss(-xp.pick_rows(log_probs, target), reduction)

    def _row_scale(self, grad: Any) -> Any:
        _, target, reduction = self.saved
        if reduction == "none":
            return self.xp.reshape(grad, (-1, 1))
        return grad / target.shape[0] if reduction == "mean" else grad

    def backward(self, grad: Array) -> Grads:
        log_probs, target, _ = self.saved
        xp = self.xp
        # dL/dlogits = (softmax(logits) - one_hot(target)) * dL/dy
        return (xp.sub_one_hot(xp.exp(log_probs), target, self._row_scale(grad)),)


class SquaredError(Function, fresh_grads=True):
    """(a - b)^2 per element, reduced by mean, sum or none"""

    __slots__ = ()

    def forward(self, a: Array, b: Array, reduction: str = "mean") -> Array:
        diff = a - b
        self.saved = (diff, reduction)
        return self.xp.reduce_loss(diff, reduction, square=True)

    def backward(self, grad: Array) -> Grads:
        diff, reduction = self.saved
        # dL/da = 2 (a - b) dL/dy, / n for the mean
        if reduction == "none":
            grad_a = diff * (2 * grad)
        else:
            factor = 2 / diff.size if reduction == "mean" else 2
            grad_a = self.xp.mul_scalar(diff, grad, factor)
        return (
            grad_a if self.needs_grad[0] else None,
            -grad_a if self.needs_grad[1] else None,  # dL/db = -dL/da
        )
