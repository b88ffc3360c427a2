"""PyTorch's ``torch.backends.mps``: Apple's GPUs, which chainrule does not drive."""

from __future__ import annotations


def is_available() -> bool:
    """Always False: device-agnostic scripts take their CPU branch."""
    return False


def is_built() -> bool:
    """Always False, as a PyTorch build without MPS says."""
    return False
