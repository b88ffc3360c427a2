"""Grad modes: whether operations are recorded (per thread), and NaN/Inf detection."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterator


class _GradMode(threading.local):
    enabled = True  # a class attribute is every thread's starting value


class _Anomaly:
    """Whether ``detect_anomaly`` is on: one switch for all threads, as in PyTorch."""

    enabled = False


_state = _GradMode()


def grad_enabled() -> bool:
    """Whether operations are currently recorded on the graph."""
    return _state.enabled


class _SetGradEnabled:
    """Record the graph or not inside a ``with`` block; the previous mode comes back after.

    NOTE: a class, not a @contextmanager generator (python -m bench.choices no_grad_block):
    every optimiser step written as ``with cr.no_grad(): p -= lr * p.grad`` pays for one.
    """

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        self.previous = _state.enabled
        _state.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        _state.enabled = self.previous


def no_grad() -> Any:
    """Context manager under which no graph is recorded (evaluation, optimiser updates).

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> with cr.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """
    return _SetGradEnabled(False)


def enable_grad() -> Any:
    """Context manager that records the graph again inside a ``no_grad`` block."""
    return _SetGradEnabled(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager that names the first op whose forward or backward makes NaN or Inf.

    Every op's output and every gradient is checked while it is active, so it costs time:
    use it to find where a loss went non-finite, not for training.

    Example:
        >>> import chainrule as cr
        >>> import numpy as np
        >>> x = cr.tensor([0.0, 1.0], requires_grad=True)
        >>> with cr.detect_anomaly(), np.errstate(divide="ignore"):
        ...     x.log()
        Traceback (most recent call last):
        ...
        FloatingPointError: Log: forward produced non-finite values (1 NaN/Inf of 2); ...
    """
    previous = _Anomaly.enabled
    _Anomaly.enabled = True
    try:
        yield
    finally:
        _Anomaly.enabled = previous


def check_finite(array: np.ndarray, op: str, where: str) -> None:
    """Raise ``FloatingPointError`` naming ``op`` if ``array`` holds NaN or Inf."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = int(array.size - np.isfinite(array).sum())
        raise FloatingPointError(
            f"{op}: {where} produced non-finite values ({bad} NaN/Inf of {array.size}); "
            "a lower learning rate, or inputs in the op's domain, usually fix this"
        )
