"""AdamW: Adam with weight decay decoupled from the gradient's moments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .adam import Adam


class AdamW(Adam):
    """Adam whose weight decay shrinks the weights directly (Loshchilov & Hutter).

    p <- p (1 - lr weight_decay), then Adam's step with the plain gradient, so the decay is
    not rescaled by the second moment; the default weight_decay is PyTorch's 0.01.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> w.grad = cr.tensor([0.0])
        >>> AdamW([w], lr=0.1, weight_decay=0.5).step()
        >>> round(w.item(), 6)  # only the decay moved it: 1 - 0.1 * 0.5
        0.95
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)
