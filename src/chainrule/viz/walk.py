"""The backprop re-walk: the engine's walk, each backward called again and recorded; no text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import Function, backprop
from ..tensor import Tensor


def _call_backward(ctx: Function, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """``ctx.backward`` on a copy of ``grad``: one array (or None) per input that needs one."""
    grads = ctx.backward(grad.copy())
    if not isinstance(grads, tuple):
        grads = (grads,)
    grads += (None,) * (len(ctx.needs_grad) - len(grads))  # Linear without bias returns two
    return tuple(
        None if g is None or not needs else np.asarray(g) for g, needs in zip(grads, ctx.needs_grad)
    )


@dataclass
class _Step:
    """One node of the backward walk: the grad that came in and the grads it sent out."""

    output: Tensor
    node: Function  # output._ctx, or its replay when backward has released it
    upstream: np.ndarray
    grads: tuple[np.ndarray | None, ...]


@dataclass
class _Backprop:
    """The chain rule, node by node: the steps in order and every tensor's grad parts."""

    steps: list[_Step] = field(default_factory=list)
    parts: dict[int, list[np.ndarray]] = field(default_factory=dict)

    def grad(self, tensor: Tensor) -> np.ndarray | None:
        parts = self.parts.get(id(tensor))
        return None if parts is None else sum(parts[1:], parts[0])


def _seed(root: Tensor, grad: Any) -> np.ndarray:
    if not root.requires_grad:
        raise RuntimeError("viz: the tensor does not require grad, so it has no backward")
    if grad is not None:
        return np.broadcast_to(np.asarray(grad, dtype=root.dtype), root.shape).copy()
    if root.size != 1:
        raise RuntimeError(f"viz: grad can be implicit only for scalar outputs, got {root.shape}")
    return np.ones_like(root.data)


def _backprop(root: Tensor, order: list[Tensor], grad: Any = None) -> _Backprop:
    """The engine's walk from ``root`` once more, recording each backward call on the way."""
    result = _Backprop(parts={id(root): [_seed(root, grad)]})
    made_by = {id(tensor._ctx): tensor for tensor in order if tensor._ctx is not None}

    def visit(ctx: Function, upstream: np.ndarray) -> tuple[np.ndarray | None, ...]:
        live = ctx.replay() if ctx.released else ctx
        grads = _call_backward(live, upstream)
        result.steps.append(_Step(made_by[id(ctx)], live, upstream, grads))
        for parent, parent_grad in zip(ctx.inputs, grads):
            if parent_grad is not None:
                result.parts.setdefault(id(parent), []).append(parent_grad)
        return grads

    backprop(root, result.parts[id(root)][0], visit=visit)
    return result
