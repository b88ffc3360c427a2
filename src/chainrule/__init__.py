"""chainrule: backpropagation done right, on NumPy.

Every operation is a ``Function`` node with a forward and a backward; the graph is
recorded as the program runs and ``Tensor.backward()`` walks it in reverse, applying the
chain rule.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .tensor import Tensor, ones, randn, tensor, zeros  # noqa: I001  (tensor first: ops build on it)
from .autograd import Function
from .grad_mode import detect_anomaly, enable_grad, grad_enabled, no_grad
from .ops import concat, stack, where
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .serialization import load, save
from .allocator import keep_freed_memory
from .devices import device
from . import cuda  # noqa: E402
from . import nn, optim, data  # noqa: E402
from . import viz  # noqa: E402
from .nn.init import manual_seed  # noqa: E402

__all__ = [
    "Function",
    "GradcheckError",
    "Tensor",
    "__version__",
    "concat",
    "cuda",
    "device",
    "data",
    "detect_anomaly",
    "enable_grad",
    "grad_enabled",
    "keep_freed_memory",
    "load",
    "gradcheck",
    "manual_seed",
    "nn",
    "no_grad",
    "numerical_grad",
    "ones",
    "optim",
    "randn",
    "save",
    "stack",
    "tensor",
    "viz",
    "where",
    "zeros",
]

# -- tensor spelling (views, casts, comparisons)

# -- creation and top-level functions

# -- elementwise math
from .ops.math import (  # noqa: E402, A004  (PyTorch's names: abs, round)
    abs,
    acos,
    acosh,
    allclose,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ceil,
    clamp,
    clip,
    copysign,
    cos,
    cosh,
    erf,
    erfc,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    fmod,
    frac,
    hypot,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    lerp,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    nan_to_num,
    neg,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sgn,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    trunc,
)
from .promotion import promote_types, result_type  # noqa: E402

__all__ += [
    "abs",
    "acos",
    "acosh",
    "allclose",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "ceil",
    "clamp",
    "clip",
    "copysign",
    "cos",
    "cosh",
    "erf",
    "erfc",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "hypot",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "lerp",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "nan_to_num",
    "neg",
    "promote_types",
    "reciprocal",
    "remainder",
    "result_type",
    "round",
    "rsqrt",
    "sgn",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "tan",
    "trunc",
]

# -- reductions and scans

# -- indexing

# -- activations and losses

# -- layers: embedding, normalisation, convolution, pooling, resizing
