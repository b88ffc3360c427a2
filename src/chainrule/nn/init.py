"""Weight initialisers. Good starting scales are what made deep networks trainable.

Each fills a tensor in place and returns it. Randomness comes from a seedable module-level
generator (``manual_seed``) or an explicit ``rng``.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor

_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator; ``cr.manual_seed`` is this function.

    The initialisers, dropout without its own ``rng``, ``cr.randn`` without a ``seed`` and
    every ``DataLoader`` made without a ``seed`` draw from it, so a run repeats from here.
    Returns the generator (PyTorch returns its ``Generator`` too).

    Example:
        >>> import chainrule as cr
        >>> _ = cr.manual_seed(0); first = cr.randn(3)
        >>> _ = cr.manual_seed(0); bool((cr.randn(3) == first).data.all())
        True
    """
    global _rng
    _rng = seeded("manual_seed", seed)
    return _rng


def seeded(op: str, seed: int) -> np.random.Generator:
    """A NumPy generator from ``seed``, a non-negative int (``cr.Generator`` seeds by it too)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"{op}: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{op}: seed must be non-negative, got {seed}")
    return np.random.default_rng(seed)


def get_rng_state() -> dict:
    """The initialisers' (and default dropout's) generator state, JSON-serialisable."""
    return _rng.bit_generator.state  # type: ignore[return-value]  # a dict at runtime


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state`` (resumed runs draw the same numbers)."""
    _rng.bit_generator.state = state


def _fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ValueError(f"init: fan in and fan out need at least 2 dimensions, got {tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.data[...] = values
    return tensor


def uniform_(tensor: Tensor, low: float = 0.0, high: float = 1.0, rng=None) -> Tensor:
    """U(low, high)."""
    return _fill(tensor, (rng or _rng).uniform(low, high, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng=None) -> Tensor:
    """N(mean, std^2)."""
    return _fill(tensor, (rng or _rng).normal(mean, std, tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, np.zeros(tensor.shape))


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, np.ones(tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng=None) -> Tensor:
    """Glorot: U(±gain·sqrt(6 / (fan_in + fan_out))), variance-keeping for tanh/sigmoid."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng=None) -> Tensor:
    """Glorot: N(0, gain^2 · 2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, rng=None) -> Tensor:
    """He: U(±sqrt(6 / ((1 + a^2) fan_in))), for ReLU-family layers (``a`` = leaky slope)."""
    fan_in, _ = _fans(tensor)
    bound = math.sqrt(6.0 / ((1 + a * a) * fan_in))
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, rng=None) -> Tensor:
    """He: N(0, 2 / ((1 + a^2) fan_in)), for ReLU-family layers."""
    fan_in, _ = _fans(tensor)
    return normal_(tensor, 0.0, math.sqrt(2.0 / ((1 + a * a) * fan_in)), rng)
