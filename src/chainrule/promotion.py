"""PyTorch's type promotion: the one rule that sets the dtype of every elementwise result.

NumPy's rule differs from PyTorch's in three ways, and chainrule follows PyTorch:
- an integer with a float takes the float's dtype (int64 + float32 is float32, where NumPy
  widens to float64), and a Python float beside an integer tensor is float32, the default;
- a 0-d tensor or a Python number only lifts the category (bool < integer < float <
  complex) of the tensors with dimensions: float32 * float64 0-d tensor is float32, and
  bool + 5 is int64;
- true division and the float functions (sin, sqrt, ...) of integers give float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_FLOAT = np.dtype(np.float32)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_SCALAR_DTYPES = (  # a Python (or NumPy) number's dtype, as PyTorch wraps it
    ((bool, np.bool_), np.dtype(np.bool_)),
    ((int, np.integer), np.dtype(np.int64)),
    ((float, np.floating), DEFAULT_FLOAT),
    ((complex, np.complexfloating), np.dtype(np.complex64)),
)


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """``torch.promote_types``: the smallest dtype both cast to; across categories the
    higher category's dtype (NumPy's rule within one, and for float with complex)."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca == cb or min(ca, cb) >= 2:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A higher tier's dtype, raised only to a lower tier's higher category."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    ch, cl = _CATEGORY[higher.kind], _CATEGORY[lower.kind]
    if ch >= cl:
        return higher
    if ch == 2 and cl == 3:  # a float tensor with a complex number keeps its precision
        return np.promote_types(higher, np.complex64)
    return promote_types(higher, lower)


def scalar_dtype(value: Any) -> np.dtype | None:
    """The dtype a Python or NumPy number stands for (None if ``value`` is not one)."""
    for types, dtype in _SCALAR_DTYPES:
        if isinstance(value, types):  # bool before int: True is an int too
            return dtype
    return None


def result_type(*operands: Any) -> np.dtype:
    """``torch.result_type`` of arrays, Tensors and Python numbers: tensors with dimensions
    decide, then 0-d ones, then numbers, each lower tier lifting only the category."""
    tiers: list[np.dtype | None] = [None, None, None]
    for x in operands:
        dtype, tier = scalar_dtype(x), 2
        if dtype is None:  # an array or a Tensor (lists are read as NumPy reads them)
            x = x if hasattr(x, "dtype") else np.asarray(x)
            dtype, tier = np.dtype(x.dtype), 0 if len(x.shape) else 1
        held = tiers[tier]
        tiers[tier] = dtype if held is None else promote_types(held, dtype)
    dtype = _combine(tiers[0], _combine(tiers[1], tiers[2]))
    assert dtype is not None, "result_type needs an operand"
    return dtype


def floating(dtype: np.dtype) -> np.dtype:
    """``dtype``, or float32 (the default float) for bool and integer dtypes."""
    return dtype if dtype.kind in "fc" else DEFAULT_FLOAT
