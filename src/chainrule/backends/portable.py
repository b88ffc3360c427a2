"""Any Array API namespace, with chainrule's kernels written with the standard alone.

``cpu`` holds NumPy fast paths of the same kernels; the tests check both agree.
"""

from __future__ import annotations

from typing import Any


class Portable:
    """``xp``'s own functions, plus ``sigmoid``, ``relu``, ``astype`` and ``scatter_add``."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def __getattr__(self, name: str) -> Any:
        return getattr(self.xp, name)

    def sigmoid(self, a: Any) -> Any:
        return self.xp.exp(-self.xp.logaddexp(self.xp.zeros_like(a), -a))

    def relu(self, a: Any) -> Any:
        return self.xp.where(a > 0, a, self.xp.zeros_like(a))

    def scatter_add(self, values: Any, shape: tuple[int, ...], index: Any) -> Any:
        """zeros(shape) with ``values`` added at ``index``: basic indices by assignment,
        an integer array on the first axis through a one-hot matrix product."""
        xp = self.xp
        out = xp.zeros(shape, dtype=values.dtype, device=values.device)
        if not hasattr(index, "shape"):
            out[index] = values
            return out
        rows = xp.reshape(index, (-1,))
        one_hot = xp.astype(rows[:, None] == xp.arange(shape[0])[None, :], values.dtype)
        flat = xp.reshape(values, (rows.shape[0], -1))
        return xp.reshape(xp.matmul(xp.matrix_transpose(one_hot), flat), shape)

    # ------------------------------------------------------------------ reduce and movement
    # (kernels the reduction and movement rules need)
    def broadcast_copy(self, x: Any, shape: tuple[int, ...]) -> Any:
        """``x`` broadcast to ``shape``, as a fresh array (the gradient of a reduction)."""
        return self.xp.asarray(self.xp.broadcast_to(x, shape), copy=True)

    # ------------------------------------------------------------------ linalg and losses
    # (kernels the matmul, linear and loss rules need)

    def dot(self, a: Any, b: Any) -> Any:
        return self.xp.matmul(a, b)

    def linear(self, x: Any, w: Any, b: Any) -> Any:
        out = self.xp.matmul(x, self.xp.matrix_transpose(w))
        return out if b is None else out + b

    def sum_rows(self, x: Any) -> Any:
        return self.xp.sum(x, axis=0)

    def _one_hot(self, index: Any, like: Any) -> Any:
        """index[i] == j at (i, j), for every column j of ``like``."""
        columns = self.xp.arange(like.shape[1], device=like.device)
        return self.xp.reshape(index, (-1, 1)) == columns

    def pick_rows(self, x: Any, index: Any) -> Any:
        return self.xp.sum(self.xp.where(self._one_hot(index, x), x, 0.0), axis=1)

    def sub_one_hot(self, x: Any, index: Any, scale: Any) -> Any:
        return (x - self.xp.astype(self._one_hot(index, x), x.dtype)) * scale

    def reduce_loss(self, x: Any, reduction: str, square: bool = False) -> Any:
        x = x * x if square else x
        if reduction == "none":
            return x
        total = self.xp.sum(x)
        return total / x.size if reduction == "mean" else total

    def mul_scalar(self, x: Any, scalar: Any, factor: float) -> Any:
        return x * self.xp.astype(scalar * factor, x.dtype)

    # ------------------------------------------------------------------ convolution
    # (kernels the convolution, pooling and batch-norm rules need)
