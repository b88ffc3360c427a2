"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..backends.cpu import constant
from .optimizer import Optimizer, check_positive

# Parameters from this size on update through kept work arrays (see Optimizer._scratch).
_KEPT_WORK_MIN_BYTES = 64 << 10


class SGD(Optimizer):
    """p <- p - lr * v, where v is the gradient or its momentum buffer.

    Momentum follows PyTorch: the buffer starts as the first gradient, then
    ``v = momentum * v + g``; Nesterov uses ``g + momentum * v``. Weight decay adds
    ``weight_decay * p`` to the gradient.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        tensor([0.8], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params,
            {"lr": lr, "momentum": momentum, "nesterov": nesterov, "weight_decay": weight_decay},
        )

    def _check_hyper(self, group: dict[str, Any]) -> None:
        check_positive("SGD", "learning rate", group["lr"])
        check_positive("SGD", "momentum value", group["momentum"])
        check_positive("SGD", "weight_decay value", group["weight_decay"])
        if group["nesterov"] and group["momentum"] == 0:
            raise ValueError("SGD: nesterov momentum needs momentum > 0")

    def _step_group(self, group: dict[str, Any]) -> None:
        if group["momentum"] or group["weight_decay"]:
            super()._step_group(group)
            return
        # NOTE: plain SGD on small NumPy parameters in one loop, not each through _update
        # (python -m bench.choices sgd_small_loop).
        lr = group["lr"]
        for p in group["params"]:
            if p.grad is None:
                continue
            param, grad = p.data, p.grad.data
            if type(param) is np.ndarray and param.nbytes < _KEPT_WORK_MIN_BYTES:
                param -= grad * constant(lr, param.dtype)  # p -= lr g
            else:
                self._update(param, grad, self.state[id(p)], group)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if type(param) is not np.ndarray:  # another Array API namespace: operators only
            self._update_any(param, grad, state, group)
            return
        lr = constant(group["lr"], param.dtype)
        # NOTE: a small parameter's temporaries cost less than looking up its kept work arrays.
        large = param.nbytes >= _KEPT_WORK_MIN_BYTES
        step = self._scratch(param) if large else None
        if weight_decay:  # g = g + weight_decay * p
            decayed = self._scratch(param, "decayed") if large else None
            decayed = np.multiply(param, weight_decay, out=decayed)
            decayed += grad
            grad = decayed
        if not momentum:
            param -= np.multiply(grad, lr, out=step)  # p -= lr g
            return
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)
        else:
            buffer *= momentum
            buffer += grad  # v = momentum v + g
        if group["nesterov"]:
            param -= np.multiply(grad, lr, out=step)
            nesterov_lr = constant(group["lr"] * momentum, param.dtype)
            param -= np.multiply(buffer, nesterov_lr, out=step)  # p -= lr (g + momentum v)
        else:
            param -= np.multiply(buffer, lr, out=step)  # p -= lr v

    def _update_any(
        self, param: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """The same step with operators alone, for arrays of any namespace."""
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if weight_decay:
            grad = grad + weight_decay * param
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad + 0  # a copy
            else:
                buffer *= momentum
                buffer += grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= group["lr"] * grad
