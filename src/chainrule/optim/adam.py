"""Adam: per-parameter step sizes from running moments of the gradient."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_positive


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected, with L2 weight decay added to the gradient.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    ``amsgrad`` divides by the running maximum of v instead; ``decoupled_weight_decay``
    shrinks p by ``lr * weight_decay`` before the step rather than adding to g (AdamW).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "amsgrad": amsgrad,
                "decoupled_weight_decay": decoupled_weight_decay,
            },
        )

    def _check_hyper(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        check_positive(name, "learning rate", group["lr"])
        check_positive(name, "epsilon value", group["eps"])
        check_positive(name, "weight_decay value", group["weight_decay"])
        for i, beta in enumerate(group["betas"]):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {i}: {beta}")

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        beta1, beta2 = group["betas"]
        lr, weight_decay, eps = group["lr"], group["weight_decay"], group["eps"]
        if weight_decay and group["decoupled_weight_decay"]:
            param *= 1 - lr * weight_decay
        elif weight_decay:
            grad = grad + weight_decay * param
        xp = np if type(param) is np.ndarray else param.__array_namespace__()
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        # the divisor's second moment: v, or its running maximum (amsgrad)
        second = state["max_exp_avg_sq"] if group["amsgrad"] else exp_avg_sq
        if xp is not np:  # another Array API namespace: the same step with operators
            exp_avg *= beta1
            exp_avg += (1 - beta1) * grad
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad
            if second is not exp_avg_sq:
                second[...] = xp.maximum(second, exp_avg_sq)
            denom = xp.sqrt(second) / math.sqrt(1 - beta2**step) + eps
            param -= (lr / (1 - beta1**step)) * exp_avg / denom
            return
        # NOTE: every pass writes into an existing buffer; one scratch array serves them all.
        scratch = self._scratch(param)
        exp_avg *= beta1
        np.multiply(grad, 1 - beta1, out=scratch)
        exp_avg += scratch  # m = b1 m + (1 - b1) g
        exp_avg_sq *= beta2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - beta2
        exp_avg_sq += scratch  # v = b2 v + (1 - b2) g^2
        if second is not exp_avg_sq:
            np.maximum(second, exp_avg_sq, out=second)  # amsgrad: max(v) so far
        np.sqrt(second, out=scratch)
        scratch *= 1 / math.sqrt(1 - beta2**step)
        scratch += eps  # sqrt(v_hat) + eps
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= lr / (1 - beta1**step)
        param -= scratch  # p -= lr m_hat / (sqrt(v_hat) + eps)
