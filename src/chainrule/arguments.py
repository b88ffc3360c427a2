"""PyTorch's spellings beside NumPy's: ``dim=``/``keepdim=`` for ``axis=``/``keepdims=``."""

from __future__ import annotations

from typing import Any


def axis_of(op: str, axis: Any, dim: Any) -> Any:
    """The axis an op was given as ``axis=`` (NumPy) or ``dim=`` (PyTorch); both is an error."""
    if dim is None:
        return axis
    if axis is not None:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; pass one")
    return dim


def keepdims_of(op: str, keepdims: bool | None, keepdim: bool | None) -> bool:
    """``keepdims=`` (NumPy) or ``keepdim=`` (PyTorch), False when neither is given."""
    if keepdim is None:
        return bool(keepdims)
    if keepdims is not None:
        raise TypeError(f"{op}: got both keepdims={keepdims!r} and keepdim={keepdim!r}; pass one")
    return keepdim
