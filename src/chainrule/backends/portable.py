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

    # ------------------------------------------------------------------ convolution
    # (kernels the convolution, pooling and batch-norm rules need)
