"""Adadelta: steps scaled by running averages of squared gradients and squared steps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_positive, state_buffer


class Adadelta(Optimizer):
    """Adadelta (Zeiler), as PyTorch computes it.

    v = rho v + (1 - rho) g^2;  d = sqrt(u + eps) / sqrt(v + eps) g;
    u = rho u + (1 - rho) d^2;  p <- p - lr d. Weight decay adds ``weight_decay * p`` to g.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> w.grad = cr.tensor([1.0])
        >>> Adadelta([w], rho=0.0, eps=1.0).step()  # d = sqrt(1) / sqrt(2)
        >>> round(w.item(), 6)
        0.292893
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay})

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_positive("Adadelta", "learning rate", group["lr"])
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: invalid rho value: {group['rho']}")
        check_positive("Adadelta", "epsilon value", group["eps"])
        check_positive("Adadelta", "weight_decay value", group["weight_decay"])

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = state_buffer(param)
            state["acc_delta"] = state_buffer(param)
        state["step"] += 1
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        if type(param) is not np.ndarray:  # another Array API namespace: operators only
            xp = param.__array_namespace__()
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * param
            square_avg *= rho
            square_avg += (1 - rho) * grad * grad
            delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            param -= group["lr"] * delta
            return
        work, delta = self._scratch(param), self._scratch(param, "delta")
        if group["weight_decay"]:
            decayed = np.multiply(param, group["weight_decay"], out=self._scratch(param, "decay"))
            decayed += grad
            grad = decayed  # g + weight_decay p
        square_avg *= rho
        np.multiply(grad, 1 - rho, out=work)
        work *= grad
        square_avg += work  # v = rho v + (1 - rho) g^2
        np.add(square_avg, eps, out=work)
        np.sqrt(work, out=work)  # sqrt(v + eps)
        np.add(acc_delta, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= work
        delta *= grad  # d = sqrt(u + eps) / sqrt(v + eps) g
        acc_delta *= rho
        np.multiply(delta, 1 - rho, out=work)
        work *= delta
        acc_delta += work  # u = rho u + (1 - rho) d^2
        delta *= -group["lr"]
        param += delta
