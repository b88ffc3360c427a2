"""``chainrule.linalg``, PyTorch's ``torch.linalg`` spelling: for now the vector norm."""

from __future__ import annotations

from .ops.reduce import vector_norm

__all__ = ["vector_norm"]
