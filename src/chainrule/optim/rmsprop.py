"""RMSprop: steps divided by a running root mean square of the gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_positive, state_buffer


class RMSprop(Optimizer):
    """RMSprop (Hinton), as PyTorch computes it.

    v = alpha v + (1 - alpha) g^2;  p <- p - lr g / (sqrt(v) + eps).
    ``centered`` subtracts the squared running mean of g from v (an estimate of the
    variance); ``momentum`` keeps b = momentum b + g / (sqrt(v) + eps) and steps by lr b.
    Weight decay adds ``weight_decay * p`` to g.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> w.grad = cr.tensor([2.0])
        >>> RMSprop([w], lr=0.01, alpha=0.75).step()  # v = 0.25 * 4: the step is lr g / 1
        >>> round(w.item(), 6)
        0.98
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "alpha": alpha,
                "eps": eps,
                "weight_decay": weight_decay,
                "momentum": momentum,
                "centered": centered,
            },
        )

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_positive("RMSprop", "learning rate", group["lr"])
        check_positive("RMSprop", "epsilon value", group["eps"])
        check_positive("RMSprop", "momentum value", group["momentum"])
        check_positive("RMSprop", "weight_decay value", group["weight_decay"])
        check_positive("RMSprop", "alpha value", group["alpha"])

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = state_buffer(param)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = state_buffer(param)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = state_buffer(param)
        state["step"] += 1
        square_avg = state["square_avg"]
        if type(param) is not np.ndarray:
            self._update_any(param, grad, state, group)
            return
        work, avg = self._scratch(param), self._scratch(param, "avg")
        if group["weight_decay"]:
            decayed = np.multiply(param, group["weight_decay"], out=self._scratch(param, "decay"))
            decayed += grad
            grad = decayed  # g + weight_decay p
        square_avg *= alpha
        np.multiply(grad, 1 - alpha, out=work)
        work *= grad
        square_avg += work  # v = alpha v + (1 - alpha) g^2
        if group["centered"]:
            grad_avg = state["grad_avg"]
            np.subtract(grad, grad_avg, out=work)
            work *= 1 - alpha
            grad_avg += work  # mean g: a lerp towards g, as PyTorch's
            np.multiply(grad_avg, grad_avg, out=avg)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(square_avg, out=avg)
        avg += group["eps"]
        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += np.divide(grad, avg, out=work)  # b = momentum b + g / avg
            np.multiply(buffer, -group["lr"], out=work)
        else:
            np.divide(grad, avg, out=work)
            work *= -group["lr"]
        param += work

    def _update_any(
        self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """The same step with operators alone, for arrays of any namespace."""
        xp = param.__array_namespace__()
        alpha, momentum = group["alpha"], group["momentum"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            avg = xp.sqrt(square_avg) + group["eps"]
        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += grad / avg
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * (grad / avg)
