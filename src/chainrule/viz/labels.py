"""Labels and numbers shared by traces and drawings; their lines are trace.py's and dot.py's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .modules import ModuleMap

_MAX_VALUES = 6  # arrays with more elements are drawn by their shape only
_MAX_TRACE_VALUES = 16  # the same for the text traces


def _number(value: Any, digits: int) -> str:
    return f"{float(value) + 0.0:.{digits}g}"  # + 0.0 turns -0 into 0


def _fmt(array: Any, digits: int = 4, limit: int = _MAX_VALUES) -> str:
    """A scalar as a number, a small array on one line, a big one by its shape."""
    array = np.asarray(array)
    if array.size == 1:
        return _number(array.item(), digits)
    if array.size > limit:
        return f"{array.shape} array"
    text = np.array2string(array, separator=", ", formatter={"all": lambda v: _number(v, digits)})
    return " ".join(text.split())


def _text(array: Any, digits: int) -> str:
    """``_fmt`` with the trace's larger limit."""
    return _fmt(array, digits, limit=_MAX_TRACE_VALUES)


def _labels(order: list[Tensor], modules: ModuleMap | None, digits: int) -> dict[int, str]:
    """Each tensor's ``name``, else its parameter name, a constant's value, v1, v2, ... (L last)."""
    labels: dict[int, str] = {}
    count = 0
    if order[-1].name is None:
        labels[id(order[-1])] = "L"  # the result, unless it has a name
    for tensor in order:
        if id(tensor) in labels:
            continue
        label = tensor.name or (modules.parameter_names.get(id(tensor)) if modules else None)
        if label is None and tensor._ctx is None and not tensor.requires_grad and tensor.size == 1:
            label = _number(tensor.item(), digits)
        if label is None:
            count += 1
            label = f"v{count}"
        labels[id(tensor)] = label
    return labels
