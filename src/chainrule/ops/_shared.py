"""Type aliases and errors the primitive modules share; no primitive lives here."""

from __future__ import annotations

from typing import Any

import numpy as np

# An array of any namespace (NumPy, array-api-strict, CuPy), or a Tensor when a rule runs
# on the graph for create_graph=True: rules are written once for all of them.
Array = Any
Grads = tuple[Array | None, ...]


def _broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast")
