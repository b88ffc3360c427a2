"""PyTorch's ``torch.utils.data`` spelling: ``chainrule.utils.data`` is ``chainrule.data``."""

from __future__ import annotations

from . import data  # noqa: F401
