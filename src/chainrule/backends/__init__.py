"""Array namespaces: which library an array lives in, so every op runs in that library.

An op's forward and backward reach arrays only through ``xp = namespace(array)``:
- NumPy arrays get ``cpu``, NumPy with chainrule's tuned kernels;
- Tensors get ``tensors``, the same names as differentiable chainrule ops, which is how
  ``create_graph=True`` runs a rule a second time, on the graph;
- any other Array API array (array-api-strict, CuPy, ...) gets ``portable(xp)``, its own
  namespace plus chainrule's kernels written with the standard alone.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from . import cpu, mps  # noqa: F401  (mps: torch.backends.mps, always unavailable)
from .portable import Portable  # NOTE: first, so the function below, not the module, is `portable`


def namespace(array: Any, _ndarray: type = np.ndarray, _cpu: Any = cpu) -> Any:
    """The namespace whose functions ``array`` takes: ``cpu``, ``tensors`` or ``portable``."""
    if type(array) is _ndarray:  # the hot path (NOTE: defaults are the fastest names to read)
        return _cpu
    from ..tensor import Tensor

    if isinstance(array, Tensor):
        from . import tensors

        return tensors
    if isinstance(array, (np.generic, bool, int, float)):
        return cpu
    get = getattr(array, "__array_namespace__", None)
    if get is None:
        raise TypeError(f"namespace: {type(array).__name__} is not an array")
    return _portable(get())


@functools.lru_cache(maxsize=8)
def portable(xp: Any) -> Any:
    """``xp`` with chainrule's kernels added, written with the Array API standard only."""
    return Portable(xp)


# NOTE: importing the submodule backends.portable rebinds the package's name ``portable``
# to that module, so namespace() calls the function by this second name.
_portable = portable


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``, undoing broadcasting (leading and size-1 dims).

    The one place broadcasting is undone, for arrays of any namespace and for Tensors.
    """
    if grad.shape == shape:
        return grad
    lead = len(grad.shape) - len(shape)
    xp = namespace(grad)
    if lead and grad.shape[lead:] == shape:  # NOTE: a bias's case, one fresh array, no reshape
        if lead == 1 and len(shape) == 1:  # rows: sum_rows takes one row as a copy, not a sum
            return xp.sum_rows(grad)
        return xp.sum(grad, axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return xp.reshape(xp.sum(grad, axis=axes, keepdims=True), shape)


def dtype_kind(dtype: Any) -> str:
    """NumPy's one-letter kind ("f", "i", "u", "b", ...) of any namespace's dtype."""
    if isinstance(dtype, np.dtype):
        return dtype.kind
    return np.dtype(str(dtype).rsplit(".", 1)[-1]).kind  # array_api_strict.float32 -> float32
