"""The fused attention primitive: softmax(q k^T * scale + mask) v in one node.

One node in place of the composite's five (matmul, scale, mask, softmax, matmul) keeps only
q, k, v and the softmax probabilities P for backward (P is the size of the scores), and its
backward is four matrix products. The rule is written once against ``self.xp``, so
``create_graph=True`` replays it on Tensors and double backward works.
"""

from __future__ import annotations

from ..autograd import Function
from ..backends import unbroadcast
from ._shared import Array, Grads

_NEG_INF = float("-inf")


def _swap_last(xp: object, a: Array) -> Array:
    """``a`` with its last two axes swapped (a view on NumPy)."""
    axes = tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2)
    return xp.permute_dims(a, axes)  # type: ignore[attr-defined]


class ScaledDotProductAttention(Function, fresh_grads=True):
    """softmax(q k^T * scale + mask) v over the last axis of the scores, (..., L, E) layout.

    Inputs q (..., L, E), k (..., S, E), v (..., S, Ev) (leading dims broadcast) and an
    optional float ``mask`` broadcastable to (..., L, S), added to the scores; ``keep`` is a
    bool array (True = attend) broadcastable to (..., L, S), data, not an input. A row with
    nothing kept gives zeros (as PyTorch's), not NaN.
    """

    __slots__ = ()

    def forward(
        self, q: Array, k: Array, v: Array, mask: Array = None, keep: Array = None,
        scale: float = 1.0,
    ) -> Array:  # fmt: skip
        xp = self.xp
        scores = xp.matmul(q, _swap_last(xp, k)) * scale
        if mask is not None:
            scores = scores + mask
        if keep is not None:
            scores = xp.where(keep, scores, _NEG_INF)
        top = xp.max(scores, axis=-1, keepdims=True)
        top = xp.where(top == _NEG_INF, 0.0, top)  # a row with nothing kept: exp gives 0s
        weights = xp.exp(scores - top)
        total = xp.sum(weights, axis=-1, keepdims=True)
        probs = weights / xp.where(total == 0, 1.0, total)
        self.saved = (q, k, v, mask, probs, scale)
        return xp.matmul(probs, v)

    def backward(self, grad: Array) -> Grads:
        q, k, v, mask, probs, scale = self.saved
        xp = self.xp
        needs = self.needs_grad
        grad_v = None
        if needs[2]:  # dL/dv = P^T dL/dout
            grad_v = unbroadcast(xp.matmul(_swap_last(xp, probs), grad), v.shape)
        with_mask = len(needs) > 3
        if not (needs[0] or needs[1] or (with_mask and needs[3])):
            return (None, None, grad_v, None) if with_mask else (None, None, grad_v)
        # dL/dscores = P * (dL/dP - rowsum(dL/dP * P)), dL/dP = dL/dout v^T
        grad_p = xp.matmul(grad, _swap_last(xp, v))
        grad_s = probs * (grad_p - xp.sum(grad_p * probs, axis=-1, keepdims=True))
        grad_q = grad_k = grad_mask = None
        if needs[0]:  # dL/dq = dL/dscores k * scale
            grad_q = unbroadcast(xp.matmul(grad_s, k) * scale, q.shape)
        if needs[1]:  # dL/dk = dL/dscores^T q * scale
            grad_k = unbroadcast(xp.matmul(_swap_last(xp, grad_s), q) * scale, k.shape)
        if not with_mask:
            return grad_q, grad_k, grad_v
        if needs[3]:  # dL/dmask = dL/dscores, summed over the axes the mask broadcast along
            grad_mask = unbroadcast(grad_s, mask.shape)
        return grad_q, grad_k, grad_v, grad_mask
