"""Numerical gradients by central differences, and ``gradcheck`` of backprop against them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tensor import Tensor

# Inputs with more elements than this are checked along random directions, not per element.
_FULL_CHECK_LIMIT = 1000


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message names where and by how much."""


def numerical_grad(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """d f / d x by central differences, ``(f(x + eps) - f(x - eps)) / 2 eps`` per element.

    ``x`` is perturbed in place and restored, so ``f`` sees one array throughout.

    Example:
        >>> import numpy as np
        >>> numerical_grad(lambda x: float((x ** 2).sum()), np.array([-3.0, 4.0])).round(6)
        array([-6.,  8.])
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"numerical_grad: x must be floating point, got {x.dtype}")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writes reach x
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        f_plus = float(f(x))
        flat[i] = original - eps
        f_minus = float(f(x))
        flat[i] = original
        grad.reshape(-1)[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def gradcheck(
    f: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check backprop through ``f`` against central differences, in float64.

    A non-scalar output is reduced with fixed random weights ``u`` so one backward checks
    ``J^T u``. Inputs of up to 1000 elements are checked element by element, larger ones
    along three random directions.

    Args:
        f: takes one Tensor per input and returns a Tensor.
        inputs: arrays or Tensors; floating-point ones are checked, others passed as data.

    Returns:
        True when every gradient matches within ``atol + rtol * |numeric|``.

    Raises:
        GradcheckError: naming the input, element index, analytic and numeric values of the
            worst mismatch.

    Example:
        >>> import chainrule as cr
        >>> cr.gradcheck(lambda x: (x * x).sum(), [[1.0, 2.0]])
        True
    """
    arrays = [np.asarray(x.data if isinstance(x, Tensor) else x) for x in inputs]
    arrays = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    rng = np.random.default_rng(seed)
    weights: list[np.ndarray] = []

    def objective(*values: np.ndarray) -> tuple[Tensor, list[Tensor]]:
        tensors = [Tensor(v, requires_grad=v.dtype.kind == "f") for v in values]
        out = f(*tensors)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
        if not weights:
            weights.append(rng.standard_normal(out.shape))
        return (out * weights[0]).sum(), tensors

    loss, tensors = objective(*arrays)
    if loss.requires_grad:
        loss.backward()

    def numeric_value(values: list[np.ndarray]) -> float:
        return float(objective(*values)[0].data)

    for i, (array, tensor) in enumerate(zip(arrays, tensors)):
        if array.dtype.kind != "f":
            continue
        analytic = np.zeros_like(array) if tensor.grad is None else tensor.grad.data
        if array.size <= _FULL_CHECK_LIMIT:
            numeric = _numeric_for_input(numeric_value, arrays, i, eps)
            _compare(analytic, numeric, i, atol, rtol)
        else:
            for _ in range(3):
                direction = rng.standard_normal(array.shape)
                plus = [a + eps * direction if j == i else a for j, a in enumerate(arrays)]
                minus = [a - eps * direction if j == i else a for j, a in enumerate(arrays)]
                slope = (numeric_value(plus) - numeric_value(minus)) / (2 * eps)
                # np.sum gives a NumPy scalar, which _compare indexes like a 0-d array
                _compare(np.sum(analytic * direction), np.asarray(slope), i, atol, rtol)  # type: ignore[arg-type]
    return True


def _numeric_for_input(
    value: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray], i: int, eps: float
) -> np.ndarray:
    perturbed = [a.copy() for a in arrays]
    return numerical_grad(lambda _: value(perturbed), perturbed[i], eps)


def _compare(analytic: np.ndarray, numeric: np.ndarray, i: int, atol: float, rtol: float) -> None:
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if error.size and error.max() > 0:
        worst = np.unravel_index(int(np.argmax(error)), error.shape) if error.ndim else ()
        raise GradcheckError(
            f"gradcheck: input {i}, index {tuple(int(j) for j in worst)}: "
            f"analytic {float(analytic[worst]):.8g} vs numeric {float(numeric[worst]):.8g} "
            f"(atol={atol}, rtol={rtol})"
        )
