"""Matrix products (MatMul, the fused Linear); convolutions live in conv.py."""

from __future__ import annotations

from ..autograd import Function
from ..backends import unbroadcast
from ._shared import Array, Grads


class MatMul(Function, fresh_grads=True):
    """a @ b with NumPy semantics: 1-D operands are promoted, batch dims broadcast"""

    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        try:
            out = self.xp.matmul(a, b)
        except ValueError:  # NOTE: the shapes are checked only once NumPy has refused them
            raise _matmul_error(a, b) from None
        self.saved = (a, b)
        return out

    def backward(self, grad: Array) -> Grads:
        a, b = self.saved
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshapes
            xp = self.xp
            grad_a = xp.dot(grad, b.T) if self.needs_grad[0] else None  # dL/da = dL/dy @ b^T
            grad_b = xp.dot(a.T, grad) if self.needs_grad[1] else None  # dL/db = a^T @ dL/dy
            return grad_a, grad_b
        # Promote 1-D operands to matrices so one rule covers every case:
        # (k,) @ (..., k, n) is (1, k) @ (..., k, n) with the inserted axis squeezed away.
        xp = self.xp
        a2 = xp.reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
        b2 = xp.reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
        g2 = xp.reshape(grad, (*grad.shape, 1)) if b.ndim == 1 else grad
        g2 = xp.reshape(g2, (*g2.shape[:-1], 1, g2.shape[-1])) if a.ndim == 1 else g2
        grad_a = grad_b = None
        if self.needs_grad[0]:  # dL/da = dL/dy @ b^T, summed over broadcast batch dims
            grad_a = xp.reshape(unbroadcast(g2 @ xp.matrix_transpose(b2), a2.shape), a.shape)
        if self.needs_grad[1]:  # dL/db = a^T @ dL/dy
            grad_b = xp.reshape(unbroadcast(xp.matrix_transpose(a2) @ g2, b2.shape), b.shape)
        return grad_a, grad_b


def _matmul_error(a: Array, b: Array) -> ValueError:
    """Why ``a @ b`` is refused: a 0-d operand, unaligned inner dims or batch dims."""
    if a.ndim == 0 or b.ndim == 0:
        return ValueError(
            f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}"
        )
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != k_b:
        return ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned ({a.shape[-1]} != {k_b})"
        )
    return ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast")


class Linear(Function, fresh_grads=True):
    """x @ w^T + b, fused: one node, and every gradient a fresh contiguous array"""

    __slots__ = ()

    def forward(self, x: Array, w: Array, b: Array | None = None) -> Array:
        if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"linear: input of shape {x.shape} does not match weight of shape {w.shape}"
            )
        if b is not None and b.shape != (w.shape[0],):
            raise ValueError(f"linear: bias of shape {b.shape}, expected ({w.shape[0]},)")
        xp = self.xp
        x2 = x if x.ndim == 2 else xp.reshape(x, (-1, x.shape[-1]))
        out = xp.linear(x2, w, b)
        self.saved = (x2, w, x.shape)
        return out if x.ndim == 2 else xp.reshape(out, (*x.shape[:-1], w.shape[0]))

    def backward(self, grad: Array) -> Grads:
        x2, w, x_shape = self.saved
        xp = self.xp
        grad2 = grad if grad.ndim == 2 else xp.reshape(grad, (-1, w.shape[0]))
        grad_x = None
        if self.needs_grad[0]:
            grad_x = xp.dot(grad2, w)  # dL/dx = g @ w
            grad_x = grad_x if len(x_shape) == 2 else xp.reshape(grad_x, x_shape)
        grad_w = xp.dot(grad2.T, x2) if self.needs_grad[1] else None  # dL/dw = g^T @ x
        if len(self.needs_grad) == 2:
            return grad_x, grad_w
        grad_b = xp.sum_rows(grad2) if self.needs_grad[2] else None  # dL/db = sum_n g
        return grad_x, grad_w, grad_b
