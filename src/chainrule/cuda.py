"""``cr.cuda``: whether GPU arrays (through CuPy) can be used here."""

from __future__ import annotations

from .devices import cuda_is_available


def is_available() -> bool:
    """True only with CuPy importable and a GPU it can see; never raises."""
    return cuda_is_available()
