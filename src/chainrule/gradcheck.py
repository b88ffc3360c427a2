"""Numerical gradients by central differences, and ``gradcheck`` of backprop against them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tensor import Tensor

# Inputs with more elements than this are checked along random directions, not per element;
# a failure's Jacobian entry is then found by halving, as it is among more outputs than this.
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

    A one-element output is checked as it is; a larger one is reduced with fixed random
    weights ``u`` so one backward checks ``J^T u``. Inputs of up to 1000 elements are checked
    element by element, larger ones along three random directions.

    Args:
        f: takes one Tensor per input and returns a Tensor.
        inputs: arrays or Tensors; floating-point ones are checked, others passed as data.

    Returns:
        True when every gradient matches within ``atol + rtol * |numeric|``.

    Raises:
        GradcheckError: naming the input, and for one disagreeing pair of an output element
            ``j`` and an input element ``i`` the unweighted analytic and numeric
            ``d out[j] / d in[i]`` (the worst pair where there are up to 1000 of each).

    Example:
        >>> import chainrule as cr
        >>> cr.gradcheck(lambda x: (x * x).sum(), [[1.0, 2.0]])
        True
    """
    arrays = [np.asarray(x.data if isinstance(x, Tensor) else x) for x in inputs]
    arrays = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    rng = np.random.default_rng(seed)
    check = _Check(f, arrays, eps, rng)
    for k, array in enumerate(arrays):
        if array.dtype.kind != "f":
            continue
        analytic = check.analytic[k]
        if array.size <= _FULL_CHECK_LIMIT:
            numeric = numerical_grad(functools.partial(check.loss, k), array.copy(), eps)
            excess = _excess(analytic, numeric, atol, rtol)
            if excess.max(initial=0) > 0:
                raise check.error(k, int(np.argmax(excess)), atol, rtol)
            continue
        for _ in range(3):
            direction = rng.standard_normal(array.shape)
            slope = np.asarray(np.sum(analytic * direction))
            if _excess(slope, np.asarray(check.slope(k, direction)), atol, rtol) > 0:
                raise check.error(k, check.find_input(k, direction), atol, rtol)
    return True


class _Check:
    """One gradcheck run: ``f``, its float64 inputs, the output weights ``u`` and ``J^T u``."""

    def __init__(
        self, f: Callable[..., Tensor], arrays: list[np.ndarray], eps: float, rng: Any
    ) -> None:
        self.f, self.arrays, self.eps = f, arrays, eps
        run = self.output(arrays)
        size = run[0].size  # NOTE: weight 1 for one element, so its numbers are true ones
        self.weights = np.ones(run[0].shape) if size == 1 else rng.standard_normal(run[0].shape)
        self.analytic = self.vjp(self.weights, run)

    def output(self, values: list[np.ndarray]) -> tuple[Tensor, list[Tensor]]:
        tensors = [Tensor(v, requires_grad=v.dtype.kind == "f") for v in values]
        out = self.f(*tensors)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
        return out, tensors

    def vjp(self, weights: np.ndarray, run: Any = None) -> list[np.ndarray]:
        """``J^T weights`` for every input, by one backward."""
        out, tensors = run or self.output(self.arrays)
        if out.requires_grad:
            out.backward(weights.reshape(out.shape))
        return [np.zeros(t.shape) if t.grad is None else t.grad.data for t in tensors]

    def value(self, k: int, x: np.ndarray) -> np.ndarray:
        """``f``'s output with input ``k`` set to ``x``."""
        return self.output([x if j == k else a for j, a in enumerate(self.arrays)])[0].data

    def loss(self, k: int, x: np.ndarray) -> float:
        return float(np.sum(self.value(k, x) * self.weights))

    def slope(self, k: int, direction: np.ndarray) -> float:
        """d/dh of ``u . f`` at input ``k`` + h ``direction``, by central differences."""
        x, step = self.arrays[k], self.eps * direction
        return (self.loss(k, x + step) - self.loss(k, x - step)) / (2 * self.eps)

    def find_input(self, k: int, direction: np.ndarray) -> int:
        """A flat index of input ``k`` whose part of a failing ``direction`` still fails."""
        analytic, flat = self.analytic[k], direction.reshape(-1)

        def mismatch(indices: np.ndarray) -> float:
            part = np.zeros(flat.size)
            part[indices] = flat[indices]
            return float(analytic.reshape(-1) @ part) - self.slope(k, part.reshape(direction.shape))

        return _bisect(flat.size, mismatch)

    def error(self, k: int, i: int, atol: float, rtol: float) -> GradcheckError:
        """The message for input ``k``'s flat element ``i``, from unweighted Jacobian entries."""
        x = self.arrays[k]
        step = _one_hot(x.size, i, self.eps).reshape(x.shape)
        numeric = (self.value(k, x + step) - self.value(k, x - step)).reshape(-1) / (2 * self.eps)

        def entry(weights: np.ndarray) -> float:  # sum_j weights[j] d out[j] / d in[i]
            return float(self.vjp(weights)[k].reshape(-1)[i])

        size = numeric.size
        if size <= _FULL_CHECK_LIMIT:  # every entry by its own backward, to name the worst
            analytic = np.array([entry(_one_hot(size, j)) for j in range(size)])
            j = int(np.argmax(_excess(analytic, numeric, atol, rtol)))
        else:  # a disagreeing entry in 2 log2(size) backwards, halving the weighted outputs
            u = self.weights.reshape(-1)

            def mismatch(indices: np.ndarray) -> float:
                part = np.zeros(size)
                part[indices] = u[indices]
                return entry(part) - float(part @ numeric)

            j = _bisect(size, mismatch)
        return GradcheckError(
            f"gradcheck: input {k}, d {_element('out', self.weights.shape, j)} / "
            f"d {_element('in', x.shape, i)}: analytic {entry(_one_hot(size, j)):.8g} "
            f"vs numeric {numeric[j]:.8g} (atol={atol}, rtol={rtol})"
        )


def _excess(analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    """How far past the tolerance each analytic value is (positive: a mismatch).

    A NaN on one side only is infinitely far: ``nan > 0`` is False and would pass.
    """
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    return np.where(np.isnan(analytic) != np.isnan(numeric), np.inf, excess)


def _bisect(size: int, mismatch: Callable[[np.ndarray], float]) -> int:
    """An index in ``range(size)`` that carries ``mismatch``: keep the larger half, halving."""
    indices = np.arange(size)
    while indices.size > 1:
        low, high = np.array_split(indices, 2)
        indices = low if abs(mismatch(low)) >= abs(mismatch(high)) else high
    return int(indices[0])


def _one_hot(size: int, index: int, value: float = 1.0) -> np.ndarray:
    array = np.zeros(size)
    array[index] = value
    return array


def _element(name: str, shape: tuple[int, ...], flat: int) -> str:
    """``out[1, 2]`` for flat index 6 of shape (2, 4); the bare name for a 0-d array."""
    if not shape:
        return name
    return f"{name}[{', '.join(str(int(n)) for n in np.unravel_index(flat, shape))}]"
