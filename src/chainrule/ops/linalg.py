"""Matrix products (MatMul, the fused Linear); convolutions live in conv.py."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backends import unbroadcast
from ..tensor import Tensor
from ._shared import Grads, TensorGrads
from .reduce import sum_to


class MatMul(Function, fresh_grads=True):
    """a @ b with NumPy semantics: 1-D operands are promoted, batch dims broadcast"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}"
            )
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if a.shape[-1] != k_b:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned ({a.shape[-1]} != {k_b})"
            )
        try:
            out = np.matmul(a, b)
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast"
            ) from None
        self.saved = (a, b)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        a, b = self.saved
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshapes
            grad_a = grad @ b.T if self.needs_grad[0] else None  # dL/da = dL/dy @ b^T
            grad_b = a.T @ grad if self.needs_grad[1] else None  # dL/db = a^T @ dL/dy
            return grad_a, grad_b
        # Promote 1-D operands to matrices so one rule covers every case:
        # (k,) @ (..., k, n) is (1, k) @ (..., k, n) with the inserted axis squeezed away.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        grad_a = grad_b = None
        if self.needs_grad[0]:  # dL/da = dL/dy @ b^T, summed over broadcast batch dims
            grad_a = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_grad[1]:  # dL/db = a^T @ dL/dy
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        g2 = grad.reshape(*grad.shape, 1) if b.ndim == 1 else grad
        g2 = g2.reshape(*g2.shape[:-1], 1, g2.shape[-1]) if a.ndim == 1 else g2
        grad_a = sum_to(g2 @ _swap_last(b2), a2.shape).reshape(a.shape)
        grad_b = sum_to(_swap_last(a2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Function, fresh_grads=True):
    """x @ w^T + b, fused: one node, and every gradient a fresh contiguous array"""

    __slots__ = ()

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"linear: input of shape {x.shape} does not match weight of shape {w.shape}"
            )
        if b is not None and b.shape != (w.shape[0],):
            raise ValueError(f"linear: bias of shape {b.shape}, expected ({w.shape[0]},)")
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        # NOTE: ndarray.dot, not @: the same GEMM, a third of the call cost on small arrays.
        out = x2.dot(w.T)
        if b is not None and len(out) == 1:
            out[0] += b  # NOTE: batch 1: a same-shape add costs a third of a broadcast one
        elif b is not None:
            out += b
        self.saved = (x2, w, x.shape)
        return out if x.ndim == 2 else out.reshape(*x.shape[:-1], w.shape[0])

    def backward(self, grad: np.ndarray) -> Grads:
        x2, w, x_shape = self.saved
        grad2 = grad if grad.ndim == 2 else grad.reshape(-1, w.shape[0])
        grad_x = None
        if self.needs_grad[0]:
            grad_x = grad2.dot(w)  # dL/dx = g @ w
            grad_x = grad_x if len(x_shape) == 2 else grad_x.reshape(x_shape)
        grad_w = grad2.T.dot(x2) if self.needs_grad[1] else None  # dL/dw = g^T @ x
        if len(self.needs_grad) == 2:
            return grad_x, grad_w
        grad_b = None
        if self.needs_grad[2]:  # dL/db = sum_n g; at batch 1 a copy, 5x cheaper than a sum
            grad_b = grad2[0].copy() if len(grad2) == 1 else grad2.sum(axis=0)
        return grad_x, grad_w, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        x, w = self.inputs[:2]
        grad2 = grad.reshape(-1, w.shape[0])
        grad_x = (grad2 @ w).reshape(x.shape)
        grad_w = grad2.T @ x.reshape(-1, x.shape[-1])
        return (grad_x, grad_w) + ((grad2.sum(axis=0),) if len(self.inputs) == 3 else ())


def _swap_last(x: Tensor) -> Tensor:
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(*axes)
