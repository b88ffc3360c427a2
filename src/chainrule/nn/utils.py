"""Gradient clipping and flat parameter vectors, as ``torch.nn.utils``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..ops.movement import concat
from ..tensor import Tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _tensors(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is that of all gradients concatenated (``norm_type`` 2, 1, ``inf``, ...); every
    gradient is multiplied by ``max_norm / (norm + 1e-6)`` when that is below 1. Returns the
    norm before clipping, as a 0-d Tensor. A non-finite norm raises with
    ``error_if_nonfinite``, and otherwise scales the gradients by it, as PyTorch does.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([0.0, 0.0], requires_grad=True)
        >>> w.grad = cr.tensor([3.0, 4.0])
        >>> clip_grad_norm_([w], max_norm=1.0).item()
        5.0
        >>> [round(g, 4) for g in w.grad.tolist()]
        [0.6, 0.8]
    """
    grads = [p.grad.data for p in _tensors(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.zeros((), dtype=np.float32))
    xp = grads[0].__array_namespace__()
    norms = [xp.linalg.vector_norm(g, ord=norm_type) for g in grads]
    total = xp.linalg.vector_norm(xp.stack(norms), ord=norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"non-finite ({float(total)}), so they cannot be clipped; pass "
            "error_if_nonfinite=False to scale them by it anyway"
        )
    coef = float(max_norm / (total + 1e-6))
    if not coef >= 1.0:  # below 1, or NaN (which PyTorch spreads to every gradient too)
        for g in grads:
            g *= coef
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient in place to ``[-clip_value, clip_value]``.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([0.0, 0.0], requires_grad=True)
        >>> w.grad = cr.tensor([-3.0, 0.5])
        >>> clip_grad_value_(w, 1.0); w.grad
        tensor([-1. ,  0.5])
    """
    clip_value = float(clip_value)
    for p in _tensors(parameters):
        if p.grad is None:
            continue
        grad = p.grad.data
        if type(grad) is np.ndarray:
            np.clip(grad, -clip_value, clip_value, out=grad)
        else:
            grad[...] = grad.__array_namespace__().clip(grad, -clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D Tensor, on the graph.

    Example:
        >>> import chainrule as cr
        >>> parameters_to_vector([cr.ones((2, 2)), cr.zeros(3)]).shape
        (7,)
    """
    tensors = _tensors(parameters)
    if not tensors:
        raise ValueError("parameters_to_vector: got no parameters")
    return concat([p.reshape(-1) for p in tensors])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place.

    The inverse of ``parameters_to_vector``. Unlike PyTorch, which rebinds each
    ``param.data`` to a view of ``vec``, the values are copied into each parameter's own
    array (cast to its dtype), so optimisers and views holding it see them.

    Example:
        >>> import chainrule as cr
        >>> w, b = cr.zeros((2, 2)), cr.zeros(1)
        >>> vector_to_parameters(cr.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), [w, b])
        >>> w.tolist(), b.tolist()
        ([[1.0, 2.0], [3.0, 4.0]], [5.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}")
    tensors = _tensors(parameters)
    total = sum(p.size for p in tensors)
    if vec.ndim != 1 or vec.size != total:
        raise ValueError(
            f"vector_to_parameters: vec of shape {vec.shape} does not match the parameters, "
            f"which need a 1-D vector of {total} elements"
        )
    xp = vec.data.__array_namespace__()
    start = 0
    for p in tensors:
        p.data[...] = xp.reshape(vec.data[start : start + p.size], p.shape)
        start += p.size
