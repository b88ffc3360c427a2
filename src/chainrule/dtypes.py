"""PyTorch's dtype names as NumPy dtypes, and casting a tensor to one.

``cr.float32`` is ``np.dtype("float32")``, so ``x.dtype == cr.float32`` holds and any NumPy
call takes it; ``cr.float``, ``cr.int``, ``cr.long``, ... are PyTorch's aliases. Casts
between floating-point dtypes are differentiable (the ``Cast`` primitive); casts to or from
integers and bools are not, as in PyTorch.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import devices, ops
from .backends import dtype_kind
from .tensor import DEFAULT_DTYPE, Tensor, _is_floating

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")

_PYTHON_TYPES = (builtins.bool, builtins.int, builtins.float, builtins.complex)


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become in ``cr.tensor`` and that ``zeros``/``ones`` make."""
    return np.dtype(DEFAULT_DTYPE)


def is_tensor(obj: Any) -> builtins.bool:
    """Whether ``obj`` is a chainrule Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> builtins.bool:
    """Whether the tensor's dtype is a (real) floating-point one, as ``torch.is_floating_point``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_floating_point: expected a Tensor, got {type(input).__name__}")
    return dtype_kind(input.dtype) == "f"


def is_dtype(value: Any) -> builtins.bool:
    """Whether ``value`` names a dtype: a NumPy dtype or scalar type, or float, int, bool."""
    if isinstance(value, np.dtype):
        return True
    return isinstance(value, type) and (issubclass(value, np.generic) or value in _PYTHON_TYPES)


def _numpy_dtype(dtype: Any) -> np.dtype:
    """Any namespace's dtype as NumPy's (``array_api_strict.float32`` -> float32)."""
    if is_dtype(dtype):
        return np.dtype(dtype)
    return np.dtype(str(dtype).rsplit(".", 1)[-1])


def cast(x: Tensor, dtype: Any) -> Tensor:
    """``x`` in ``dtype`` (any namespace's): ``x`` itself if it has it, differentiably
    between floating-point dtypes."""
    target = _numpy_dtype(dtype)
    if _numpy_dtype(x.dtype) == target:
        return x
    data = x.data
    xp_dtype: Any = target
    if type(data) is not np.ndarray:  # another namespace: its own dtype object
        xp_dtype = getattr(data.__array_namespace__(), target.name)
    if _is_floating(data) and target.kind in "fc":
        return ops.Cast.apply(x, dtype=xp_dtype)
    if type(data) is np.ndarray:
        return Tensor(data.astype(target))
    return Tensor(data.__array_namespace__().astype(data, xp_dtype))


def to_arguments(op: str, args: tuple[Any, ...], device: Any, dtype: Any) -> tuple[Any, Any]:
    """``to``'s positional arguments sorted into (device, dtype), as PyTorch's ``to``:
    a dtype, a device (a string, ``cr.device`` or namespace), both, or another tensor."""
    if len(args) > 2:
        raise TypeError(f"{op}: takes at most a device and a dtype, got {len(args)} arguments")
    for arg in args:
        if isinstance(arg, Tensor):
            device = devices.device_of(arg.data)
            if not isinstance(device, str):  # another namespace's device: its module
                device = arg.data.__array_namespace__()
            dtype = _numpy_dtype(arg.dtype)
        elif is_dtype(arg):
            dtype = arg
        elif arg is not None:
            device = arg
    if dtype is not None and not is_dtype(dtype):
        raise TypeError(f"{op}: dtype must be a dtype such as cr.float32, got {dtype!r}")
    return device, dtype


# PyTorch's aliases, last: from here on the names float, int and bool are these dtypes.
half = float16
float = float32  # noqa: A001
double = float64
int = int32  # noqa: A001
long = int64
bool = np.dtype("bool")  # noqa: A001
