"""The fused attention primitive: softmax(q k^T * scale + mask) v in one node.

One node in place of the composite's five (matmul, scale, mask, softmax, matmul) keeps only
q, k, v and the softmax probabilities P for backward (P is the size of the scores), and its
backward is four matrix products. The kernels are the backends' ``attention`` and
``attention_backward``: portable's, written with the standard (also the Tensors
namespace's, so ``create_graph=True`` replays them and double backward works), and cpu's
NumPy fast path.
"""

from __future__ import annotations

from ..autograd import Function
from ..backends import unbroadcast
from ._shared import Array, Grads


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
        out, self.saved = self.xp.attention(q, k, v, mask, keep, scale)
        return out

    def backward(self, grad: Array) -> Grads:
        needs = (*self.needs_grad, False)[:4]  # no mask: nothing to send it
        grads = self.xp.attention_backward(self.saved, grad, needs)
        # each input's gradient summed over the dims it was broadcast along
        return tuple(
            None if g is None else unbroadcast(g, x.shape)
            for g, x in zip(grads, self.inputs)
        )
