"""``Optimizer``: the parameter list, per-parameter state, ``zero_grad`` and ``step``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Base class: ``step()`` calls ``_update(param, grad, state)`` for each param with a grad.

    Subclasses update ``param.data`` in place and keep their per-parameter arrays in
    ``state`` (a dict per parameter, saved by ``state_dict``).
    """

    def __init__(self, params: Iterable[Tensor], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self.params: list[Tensor] = []
        seen: set[int] = set()
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params must be Tensors, got {type(p).__name__}")
            if id(p) not in seen:
                seen.add(id(p))
                self.params.append(p)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        self.defaults = defaults
        self.lr: float = defaults["lr"]
        self.state: dict[int, dict[str, Any]] = {id(p): {} for p in self.params}
        self._scratch_buffers: dict[tuple[Any, ...], np.ndarray] = {}

    def zero_grad(self) -> None:
        """Forget the gradients (set to None, so the next backward writes fresh ones)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        for p in self.params:
            if p.grad is not None:
                self._update(p.data, p.grad.data, self.state[id(p)])

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def _scratch(self, param: np.ndarray, role: str = "work") -> np.ndarray:
        """A reusable work array of ``param``'s shape and dtype.

        NOTE: fresh arrays of a large layer's size cost page faults on every step (an 800 KB
        temporary made SGD with Nesterov momentum 8x slower); updates write into these.
        """
        key = (param.shape, param.dtype, role)
        if key not in self._scratch_buffers:
            self._scratch_buffers[key] = np.empty_like(param)
        return self._scratch_buffers[key]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and per-parameter state, keyed by parameter position."""
        state = {
            i: {k: (np.copy(v) if isinstance(v, np.ndarray) else v) for k, v in saved.items()}
            for i, p in enumerate(self.params)
            for saved in [self.state.get(id(p), {})]
            if saved
        }
        return {"lr": self.lr, "defaults": dict(self.defaults), "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` saved, onto the same parameters in the same order."""
        name = type(self).__name__
        state = state_dict["state"]
        for i, saved in state.items():
            i = int(i)
            if not 0 <= i < len(self.params):
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {i}, have {len(self.params)}"
                )
            p = self.params[i]
            for key, value in saved.items():
                if isinstance(value, np.ndarray) and value.shape != p.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: {key} of parameter {i} has shape {value.shape}, "
                        f"the parameter {p.shape}"
                    )
        self.lr = float(state_dict["lr"])
        self.defaults.update(state_dict.get("defaults", {}))
        self.state = {id(p): {} for p in self.params}
        self.state |= {
            id(self.params[int(i)]): {
                k: (
                    np.array(v, dtype=self.params[int(i)].dtype) if isinstance(v, np.ndarray) else v
                )
                for k, v in saved.items()
            }
            for i, saved in state.items()
        }


def check_positive(name: str, what: str, value: float, allow_zero: bool = True) -> None:
    """Hyper-parameters are checked at construction, as PyTorch does: fail before training."""
    if not (value >= 0 if allow_zero else value > 0):
        raise ValueError(f"{name}: invalid {what}: {value}")
