"""Devices: where a tensor's array lives (NumPy's "cpu", CuPy's "cuda:N", or any Array API
namespace), and moving arrays between them (``Tensor.to``, ``Module.to``)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np


class device(str):  # noqa: N801  (PyTorch's name)
    """A device name: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, or an Array API namespace module.

    It is the string itself (``cr.device("cpu") == "cpu"``) with ``type``, ``index`` and
    ``namespace`` (the module, for a namespace; None otherwise).

    Example:
        >>> import chainrule as cr
        >>> d = cr.device("cuda:1")
        >>> d, d.type, d.index
        ('cuda:1', 'cuda', 1)
    """

    type: str
    index: int | None  # type: ignore[assignment]  # PyTorch's name, shadowing str.index
    namespace: ModuleType | None

    def __new__(cls, spec: Any = "cpu") -> device:
        if isinstance(spec, device):
            return spec
        if isinstance(spec, ModuleType) and spec is not np:
            self = super().__new__(cls, spec.__name__)
            self.type, self.index, self.namespace = spec.__name__, None, spec
            return self
        name = "cpu" if spec is np else spec
        kind, _, index = name.partition(":") if isinstance(name, str) else ("", "", "")
        if kind not in ("cpu", "cuda") or (index and (kind == "cpu" or not index.isdigit())):
            raise ValueError(
                f"device: expected 'cpu', 'cuda', 'cuda:N' or an Array API namespace module, "
                f"got {spec!r}"
            )
        self = super().__new__(cls, name)
        self.type, self.index, self.namespace = kind, int(index) if index else None, None
        return self


CPU = device("cpu")


def device_of(array: Any) -> Any:
    """``"cpu"`` for NumPy, ``"cuda:N"`` for CuPy, else the array's own ``.device``."""
    if type(array) is np.ndarray or isinstance(array, np.generic):
        return CPU
    own = array.device
    if type(own).__module__.startswith("cupy"):
        return device(f"cuda:{own.id}")
    return own


def _cupy(op: str) -> Any:
    try:
        import cupy
    except ImportError:
        raise RuntimeError(
            f"{op}: device 'cuda' needs CuPy, which is not installed; install it with "
            "`pip install cupy-cuda12x` (or the build matching your CUDA)"
        ) from None
    return cupy


def to_numpy(array: Any) -> np.ndarray:
    """The array's values as a NumPy array (copied off a GPU; shared where possible)."""
    if type(array) is np.ndarray:
        return array
    if hasattr(array, "get") and type(array).__module__.startswith("cupy"):
        return array.get()
    try:
        return np.from_dlpack(array)
    except (TypeError, RuntimeError, BufferError, AttributeError):
        return np.asarray(array)


def move(array: Any, target: Any, op: str = "to") -> Any:
    """``array`` on ``target`` (a device spec); the array itself if it is there already."""
    target = device(target)
    if target.namespace is not None:
        xp = target.namespace
        if type(array) is not np.ndarray and array.__array_namespace__() is xp:
            return array
        return xp.asarray(to_numpy(array))
    if target.type == "cpu":
        return to_numpy(array)
    cupy = _cupy(op)
    with cupy.cuda.Device(target.index or 0):
        if type(array).__module__.startswith("cupy"):
            return array if array.device.id == (target.index or 0) else cupy.array(array)
        return cupy.asarray(to_numpy(array))


def same_place(op: str, arrays: Any) -> None:
    """Raise a TypeError naming ``op`` if ``arrays`` mix namespaces or devices."""
    first = None
    for array in arrays:
        if not hasattr(array, "__array_namespace__"):
            continue
        place = (_namespace_name(array), str(device_of(array)))
        if first is None:
            first = place
        elif place != first:
            raise TypeError(
                f"{op}: inputs live in different places, {first[0]} on {first[1]} and "
                f"{place[0]} on {place[1]}; move them to one with .to(device)"
            )


def _namespace_name(array: Any) -> str:
    if type(array) is np.ndarray:
        return "numpy"
    return str(getattr(array.__array_namespace__(), "__name__", type(array).__module__))


def cuda_is_available() -> bool:
    """Whether CuPy is installed and sees at least one GPU."""
    try:
        import cupy

        return bool(cupy.cuda.runtime.getDeviceCount() > 0)
    except Exception:  # noqa: BLE001  (no CuPy, no driver, no GPU: all mean "no")
        return False
