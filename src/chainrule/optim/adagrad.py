"""Adagrad: steps divided by the root of every squared gradient so far."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_positive, state_buffer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as PyTorch computes it.

    s = s + g^2;  p <- p - lr_t g / (sqrt(s) + eps), with lr_t = lr / (1 + (t - 1) lr_decay)
    at step t and s starting at ``initial_accumulator_value`` (each group's own, where
    PyTorch fills every group's with the constructor's). Weight decay adds
    ``weight_decay * p`` to g.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> w.grad = cr.tensor([3.0])
        >>> Adagrad([w], lr=0.5).step()  # s = 9: the first step is lr g / |g|
        >>> w.item()
        0.5
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "lr_decay": lr_decay,
                "weight_decay": weight_decay,
                "initial_accumulator_value": initial_accumulator_value,
                "eps": eps,
            },
        )

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_positive("Adagrad", "learning rate", group["lr"])
        check_positive("Adagrad", "lr_decay value", group["lr_decay"])
        check_positive("Adagrad", "weight_decay value", group["weight_decay"])
        check_positive(
            "Adagrad", "initial_accumulator_value value", group["initial_accumulator_value"]
        )
        check_positive("Adagrad", "epsilon value", group["eps"])

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = state_buffer(param, group["initial_accumulator_value"])
        state["step"] += 1
        total = state["sum"]
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        if type(param) is not np.ndarray:  # another Array API namespace: operators only
            if group["weight_decay"]:
                grad = grad + group["weight_decay"] * param
            total += grad * grad
            param -= lr * (grad / (param.__array_namespace__().sqrt(total) + group["eps"]))
            return
        work = self._scratch(param)
        if group["weight_decay"]:
            decayed = np.multiply(param, group["weight_decay"], out=self._scratch(param, "decay"))
            decayed += grad
            grad = decayed  # g + weight_decay p
        total += np.multiply(grad, grad, out=work)  # s = s + g^2
        np.sqrt(total, out=work)
        work += group["eps"]
        np.divide(grad, work, out=work)
        work *= -lr
        param += work  # p -= lr_t g / (sqrt(s) + eps)
