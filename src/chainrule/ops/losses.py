"""The fused softmax family (LogSoftmax, SoftmaxCrossEntropy) and SquaredError; no other losses."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backends.cpu import constant
from ..tensor import Tensor
from ._shared import Grads, TensorGrads


def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    # NOTE: subtract the max before exp, so logsumexp never overflows.
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class LogSoftmax(Function, fresh_grads=True):
    """a - logsumexp(a) along axis"""

    __slots__ = ()

    def forward(self, a: np.ndarray, axis: int = -1) -> np.ndarray:
        out = _log_softmax(a, axis)
        self.saved = (out, axis)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        out, axis = self.saved
        # dL/da = dL/dy - softmax(a) * sum(dL/dy)
        return (grad - np.exp(out) * grad.sum(axis=axis, keepdims=True),)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        _, axis = self.saved
        probs = LogSoftmax.apply(self.inputs[0], axis=axis).exp()
        return (grad - probs * grad.sum(axis=axis, keepdims=True),)


class SoftmaxCrossEntropy(Function, fresh_grads=True):
    """-log softmax(logits)[target] per row, reduced by mean, sum or none"""

    __slots__ = ()

    def forward(
        self, logits: np.ndarray, target: np.ndarray, reduction: str = "mean"
    ) -> np.ndarray:
        log_probs = _log_softmax(logits, axis=1)
        losses = -log_probs[np.arange(len(target)), target]
        self.saved = (log_probs, target, reduction)
        if reduction == "none":
            return losses
        total = losses.sum()
        return np.asarray(total / len(target) if reduction == "mean" else total)

    def _one_hot(self, like: np.ndarray) -> np.ndarray:
        _, target, _ = self.saved
        one_hot = np.zeros_like(like)
        one_hot[np.arange(len(target)), target] = 1
        return one_hot

    def _row_scale(self, grad: Any) -> Any:
        _, target, reduction = self.saved
        if reduction == "none":
            return grad.reshape(-1, 1)
        return grad / len(target) if reduction == "mean" else grad

    def backward(self, grad: np.ndarray) -> Grads:
        log_probs, target, _ = self.saved
        grad_logits = np.exp(log_probs)  # dL/dlogits = softmax(logits) - one_hot(target)
        grad_logits[np.arange(len(target)), target] -= 1
        grad_logits *= self._row_scale(grad)
        return (grad_logits,)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        probs = LogSoftmax.apply(self.inputs[0], axis=1).exp()
        return ((probs - self._one_hot(probs.data)) * self._row_scale(grad),)


class SquaredError(Function, fresh_grads=True):
    """(a - b)^2 per element, reduced by mean, sum or none"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray, reduction: str = "mean") -> np.ndarray:
        diff = a - b
        self.saved = (diff, reduction)
        if reduction == "none":
            return diff * diff
        total = np.vdot(diff, diff)  # the sum of squares in one pass, with no temporary
        return np.asarray(total / diff.size if reduction == "mean" else total)

    def backward(self, grad: np.ndarray) -> Grads:
        diff, reduction = self.saved
        # dL/da = 2 (a - b) dL/dy, / n for the mean; a reduced loss's 0-d grad is a float
        if reduction == "none":
            grad_a = diff * (2 * grad)
        else:
            scale = grad.item() * (2 / diff.size if reduction == "mean" else 2)
            grad_a = diff * constant(scale, diff.dtype)
        return (
            grad_a if self.needs_grad[0] else None,
            -grad_a if self.needs_grad[1] else None,  # dL/db = -dL/da
        )

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        _, reduction = self.saved
        scale = 2 / a.size if reduction == "mean" else 2
        grad_a = (a - b) * (grad * scale)
        return grad_a, -grad_a
