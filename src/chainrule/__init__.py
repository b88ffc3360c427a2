"""chainrule: backpropagation done right, on NumPy.

Every operation is a ``Function`` node with a forward and a backward; the graph is
recorded as the program runs and ``Tensor.backward()`` walks it in reverse, applying the
chain rule.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .tensor import Tensor  # noqa: I001  (tensor first: ops build on it)
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
from . import return_types  # noqa: E402
from .comparisons import eq, ge, gt, le, lt, ne  # noqa: E402
from .dtypes import (  # noqa: E402
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    is_tensor,
    long,
    uint8,
)

__all__ += [
    "bool",
    "double",
    "eq",
    "float",
    "float16",
    "float32",
    "float64",
    "ge",
    "get_default_dtype",
    "gt",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_floating_point",
    "is_tensor",
    "le",
    "long",
    "lt",
    "ne",
    "return_types",
    "uint8",
]

# -- creation and top-level functions
from . import backends, utils  # noqa: E402  (torch.backends.mps, torch.utils.data)
from .creation import (  # noqa: E402
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .ops import cat, chunk, einsum, flip, meshgrid, roll, split, tril, triu  # noqa: E402
from .ops.structure import flatten, permute, reshape, squeeze, transpose, unsqueeze  # noqa: E402
from .random import (  # noqa: E402
    Generator,
    bernoulli,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
)

__all__ += ["backends", "flatten", "permute", "reshape", "squeeze", "transpose", "unsqueeze"]
__all__ += ["utils"]
__all__ += [
    "Generator",
    "arange",
    "as_tensor",
    "bernoulli",
    "cat",
    "chunk",
    "einsum",
    "empty",
    "empty_like",
    "eye",
    "flip",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "meshgrid",
    "multinomial",
    "normal",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn_like",
    "randperm",
    "roll",
    "split",
    "tril",
    "triu",
    "zeros_like",
]

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
from . import linalg  # noqa: E402
from .ops import (  # noqa: E402
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    kthvalue,
    logcumsumexp,
    logsumexp,
    max,
    mean,
    median,
    min,
    mode,
    nanmean,
    nansum,
    norm,
    prod,
    sort,
    std,
    std_mean,
    sum,
    topk,
    var,
    var_mean,
)

__all__ += [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "count_nonzero",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "kthvalue",
    "linalg",
    "logcumsumexp",
    "logsumexp",
    "max",
    "mean",
    "median",
    "min",
    "mode",
    "nanmean",
    "nansum",
    "norm",
    "prod",
    "sort",
    "std",
    "std_mean",
    "sum",
    "topk",
    "var",
    "var_mean",
]

# -- indexing
from .ops.indexing import (  # noqa: E402
    argwhere,
    diag,
    diag_embed,
    diagonal,
    gather,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    repeat_interleave,
    scatter,
    scatter_add,
    scatter_reduce,
    take_along_dim,
    tile,
)

__all__ += [
    "argwhere",
    "diag",
    "diag_embed",
    "diagonal",
    "gather",
    "index_select",
    "masked_fill",
    "masked_select",
    "nonzero",
    "repeat_interleave",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "take_along_dim",
    "tile",
]

# -- activations and losses

# -- layers: embedding, normalisation, convolution, pooling, resizing


# -- export: chainrule.onnx is imported on first use (cr.onnx), so `import chainrule` stays light
__all__ += ["onnx"]


def __getattr__(name: str) -> object:
    if name == "onnx":
        import importlib

        return importlib.import_module(".onnx", __name__)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
