"""The graph walk and the backprop re-walk (each backward called again); no text here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor


def _inputs(tensor: Tensor) -> tuple[Tensor, ...]:
    ctx = tensor._ctx
    return () if ctx is None else ctx.inputs


def _walk(root: Tensor) -> list[Tensor]:
    """Every tensor of ``root``'s graph once, each after the inputs it was made from."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
        elif id(tensor) not in seen:
            seen.add(id(tensor))
            stack.append((tensor, True))
            stack.extend((parent, False) for parent in reversed(_inputs(tensor)))
    return order


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
    """Kahn's walk from ``root``, taking the first input first, as one works it by hand."""
    pending: dict[int, int] = {}
    for tensor in order:
        for parent in _inputs(tensor):
            if parent._ctx is not None:
                pending[id(parent)] = pending.get(id(parent), 0) + 1
    result = _Backprop(parts={id(root): [_seed(root, grad)]})
    ready = [root] if root._ctx is not None else []
    while ready:
        node = ready.pop()
        ctx = node._ctx
        assert ctx is not None  # only non-leaves are made ready
        inputs = ctx.inputs
        grads: tuple[np.ndarray | None, ...] = (None,) * len(inputs)
        upstream = result.grad(node)
        if upstream is not None:  # None only where a backward returned no grad for it
            live = ctx.replay() if ctx.released else ctx
            grads = _call_backward(live, upstream)
            result.steps.append(_Step(node, live, upstream, grads))
        now_ready = []
        for parent, parent_grad in zip(inputs, grads):
            if parent_grad is not None:
                result.parts.setdefault(id(parent), []).append(parent_grad)
            if parent._ctx is not None:
                pending[id(parent)] -= 1
                if pending[id(parent)] == 0:
                    now_ready.append(parent)
        ready.extend(reversed(now_ready))  # the first input is taken next
    return result
