"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``step`` and state dicts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..allocator import keep_freed_memory
from ..grad_mode import enable_grad
from ..tensor import Tensor


class Optimizer:
    """Base class, as ``torch.optim.Optimizer``: ``step()`` calls ``_update`` for each parameter.

    ``params`` is an iterable of Tensors, or of dicts each holding ``"params"`` and the
    hyper-parameters that differ for that group (``[{"params": a}, {"params": b, "lr": 0.1}]``);
    ``param_groups`` is the list of those dicts, completed from ``defaults``, and what
    schedulers change. Subclasses update ``param.data`` in place and keep their
    per-parameter arrays in ``state`` (a dict per parameter, saved by ``state_dict``).
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts, got a Tensor"
            )
        self._check_hyper(defaults)
        keep_freed_memory()  # a training loop frees and allocates the same arrays every step
        self.defaults = defaults
        self.state: dict[int, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._scratch_buffers: dict[tuple[Any, ...], np.ndarray] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        for group in groups if isinstance(groups[0], dict) else [{"params": groups}]:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with ``"params"``); hyper-parameters it lacks come from defaults.

        A parameter given twice in one group is stepped once; one already in another group
        is an error, as in PyTorch.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}.add_param_group: a param group must be a dict, got "
                f"{type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: the group has no 'params'")
        given = param_group["params"]
        if isinstance(given, set):
            raise TypeError(
                f"{name}: params must be an ordered collection (a set's order changes from run "
                "to run); use a list"
            )
        params: list[Tensor] = []
        seen: set[int] = set()
        for p in [given] if isinstance(given, Tensor) else given:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params must be Tensors, got {type(p).__name__}")
            if id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        if not params:
            raise ValueError(f"{name}: got an empty parameter list")
        if any(id(p) in self.state for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self._check_hyper(group)
        for p in params:
            self.state[id(p)] = {}
        self.param_groups.append(group)

    def _check_hyper(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` for an invalid hyper-parameter of ``group`` (or of defaults)."""

    @property
    def params(self) -> list[Tensor]:
        """Every parameter of every group, in order."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (the next backward writes fresh ones), or,
        with ``set_to_none=False``, fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    if p.grad._ctx is not None:  # a grad made with create_graph: off the graph
                        p.grad = p.grad.detach()
                    p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient.

        ``closure``, if given, re-evaluates the model and returns the loss (with gradients
        enabled, as in PyTorch); ``step`` returns what it returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        state = self.state
        for p in group["params"]:
            if p.grad is not None:
                self._update(p.data, p.grad.data, state[id(p)], group)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def _scratch(self, param: np.ndarray, role: str = "work") -> np.ndarray:
        """A reusable work array of ``param``'s shape and dtype.

        NOTE: fresh arrays of a large layer's size cost page faults on every step where
        ``keep_freed_memory`` does not apply; where it does, kept and fresh arrays run even
        (python -m bench.choices kept_work_arrays). Updates write into these.
        """
        key = (param.shape, param.dtype, role)
        if key not in self._scratch_buffers:
            self._scratch_buffers[key] = np.empty_like(param)
        return self._scratch_buffers[key]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``{"state": {index: {...}}, "param_groups": [{..., "params":
        [index, ...]}]}``, parameters numbered across groups in order; arrays are copies."""
        groups, state = [], {}
        index = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            groups.append(packed)
            for p in group["params"]:
                saved = self.state[id(p)]
                if saved:
                    state[index] = {
                        k: (np.copy(v) if isinstance(v, np.ndarray) else v)
                        for k, v in saved.items()
                    }
                index += 1
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` saved onto the same parameters, grouped the same way.

        A dict of the format before parameter groups (``{"lr", "defaults", "state"}``, as
        older checkpoints hold) sets those values in every group.
        """
        name = type(self).__name__
        params = self.params
        saved_groups = state_dict.get("param_groups")
        if saved_groups is None:
            legacy = {**state_dict.get("defaults", {}), "lr": state_dict["lr"]}
            saved_groups = [{**group, **legacy} for group in self.param_groups]
        else:
            if len(saved_groups) != len(self.param_groups):
                raise ValueError(
                    f"{name}.load_state_dict: the state has {len(saved_groups)} parameter "
                    f"groups, the optimizer {len(self.param_groups)}"
                )
            for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
                if len(saved["params"]) != len(group["params"]):
                    raise ValueError(
                        f"{name}.load_state_dict: parameter group {i} has "
                        f"{len(saved['params'])} parameters in the state, "
                        f"{len(group['params'])} in the optimizer"
                    )
        state = {int(i): saved for i, saved in state_dict["state"].items()}
        for i, saved in state.items():
            if not 0 <= i < len(params):
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {i}, have {len(params)}"
                )
            for key, value in saved.items():
                if isinstance(value, np.ndarray) and value.shape != params[i].shape:
                    raise ValueError(
                        f"{name}.load_state_dict: {key} of parameter {i} has shape "
                        f"{value.shape}, the parameter {params[i].shape}"
                    )
        for saved, group in zip(saved_groups, self.param_groups):
            own = group["params"]
            group.clear()
            group.update({k: v for k, v in saved.items() if k != "params"}, params=own)
        for i, p in enumerate(params):
            self.state[id(p)] = {
                k: (np.array(v, dtype=p.dtype) if isinstance(v, np.ndarray) else v)
                for k, v in state.get(i, {}).items()
            }


def check_positive(name: str, what: str, value: float, allow_zero: bool = True) -> None:
    """Hyper-parameters are checked at construction, as PyTorch does: fail before training."""
    if not (value >= 0 if allow_zero else value > 0):
        raise ValueError(f"{name}: invalid {what}: {value}")


def state_buffer(param: Any, value: float = 0.0) -> Any:
    """A state array: ``value`` in ``param``'s shape, dtype and namespace."""
    xp = np if type(param) is np.ndarray else param.__array_namespace__()
    return xp.full_like(param, value) if value else xp.zeros_like(param)
