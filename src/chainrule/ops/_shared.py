"""Type aliases, errors and dtype promotion for the primitive modules; no primitive lives here."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..promotion import floating, result_type
from ..tensor import Tensor

# An array of any namespace (NumPy, array-api-strict, CuPy), or a Tensor when a rule runs
# on the graph for create_graph=True: rules are written once for all of them.
Array = Any
Grads = tuple[Array | None, ...]


def _broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast")


def promoted(*arrays: Array, to_float: bool = False) -> tuple[Array, ...]:
    """The arrays in PyTorch's result dtype (``promotion.result_type``), a float one with
    ``to_float`` (true division, sin of an int tensor): a forward calls it where dtypes differ.

    Tensors (a rule replayed for create_graph=True) stay as they are: the Tensor ops they
    meet promote their arrays again, on the graph. Namespaces whose dtypes are not NumPy's
    (array-api-strict) keep their own rules.
    """
    if any(isinstance(x, Tensor) or not isinstance(x.dtype, np.dtype) for x in arrays):
        return arrays
    dtype = result_type(*arrays)
    dtype = floating(dtype) if to_float else dtype
    return tuple(x if x.dtype == dtype else x.astype(dtype) for x in arrays)
