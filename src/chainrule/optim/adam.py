"""Adam: per-parameter step sizes from running moments of the gradient."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_positive


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected, with L2 weight decay added to the gradient.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        check_positive("Adam", "learning rate", lr)
        check_positive("Adam", "epsilon value", eps)
        check_positive("Adam", "weight_decay value", weight_decay)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Adam: invalid beta parameter at index {i}: {beta}")
        super().__init__(
            params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay}
        )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.defaults["betas"]
        if self.defaults["weight_decay"]:
            grad = grad + self.defaults["weight_decay"] * param
        xp = np if type(param) is np.ndarray else param.__array_namespace__()
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if xp is not np:  # another Array API namespace: the same step with operators
            exp_avg *= beta1
            exp_avg += (1 - beta1) * grad
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad
            denom = xp.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**step) + self.defaults["eps"]
            param -= (self.lr / (1 - beta1**step)) * exp_avg / denom
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
        np.sqrt(exp_avg_sq, out=scratch)
        scratch *= 1 / math.sqrt(1 - beta2**step)
        scratch += self.defaults["eps"]  # sqrt(v_hat) + eps
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= self.lr / (1 - beta1**step)
        param -= scratch  # p -= lr m_hat / (sqrt(v_hat) + eps)
