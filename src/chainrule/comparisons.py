"""``eq ne lt le gt ge`` as functions, as ``torch.eq`` and the rest: bool tensors, no grad."""

from __future__ import annotations

from typing import Any

from .tensor import Tensor


def _tensor(input: Any) -> Tensor:
    return input if isinstance(input, Tensor) else Tensor(input)


def eq(input: Any, other: Any) -> Tensor:
    """``input == other`` elementwise, broadcasting (``other`` a tensor or a scalar).

    Example:
        >>> import chainrule as cr
        >>> cr.eq(cr.tensor([1, 2, 3]), 2)
        tensor([False,  True, False])
    """
    return _tensor(input).eq(other)


def ne(input: Any, other: Any) -> Tensor:
    """``input != other`` elementwise, broadcasting."""
    return _tensor(input).ne(other)


def lt(input: Any, other: Any) -> Tensor:
    """``input < other`` elementwise, broadcasting."""
    return _tensor(input).lt(other)


def le(input: Any, other: Any) -> Tensor:
    """``input <= other`` elementwise, broadcasting."""
    return _tensor(input).le(other)


def gt(input: Any, other: Any) -> Tensor:
    """``input > other`` elementwise, broadcasting."""
    return _tensor(input).gt(other)


def ge(input: Any, other: Any) -> Tensor:
    """``input >= other`` elementwise, broadcasting."""
    return _tensor(input).ge(other)
