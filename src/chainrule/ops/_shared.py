"""Type aliases and errors the primitive modules share; no primitive lives here."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

Grads = tuple[np.ndarray | None, ...]
TensorGrads = tuple[Tensor | None, ...]


def _broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast")
