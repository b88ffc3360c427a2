"""Differentiable primitives, one module per kind, re-exported; composites are in nn/functional.py.

Each primitive's forward and backward are written once, against ``backends.namespace`` of
their arrays: the ordinary backward runs them on arrays, ``create_graph=True`` runs them
again on Tensors (``Function.backward_graph``). Adding an op means its rule in the module of
its kind, one spec line in the tests (tests/op_specs.py) and its export here.
"""

from __future__ import annotations

from ._shared import Grads
from .elementwise import (
    Abs,
    Add,
    Div,
    Exp,
    Log,
    Mul,
    Neg,
    Pow,
    Relu,
    Sigmoid,
    Softplus,
    Sqrt,
    Sub,
    Tanh,
    Where,
    where,
)
from .linalg import Linear, MatMul
from .losses import LogSoftmax, SoftmaxCrossEntropy, SquaredError
from .movement import BroadcastTo, Concat, GetItem, Reshape, ScatterAdd, Transpose, concat, stack
from .reduce import Max, Mean, Min, Sum, accumulator

__all__ = [
    "Abs",
    "Add",
    "BroadcastTo",
    "Concat",
    "Div",
    "Exp",
    "GetItem",
    "Grads",
    "Linear",
    "Log",
    "LogSoftmax",
    "MatMul",
    "Max",
    "Mean",
    "Min",
    "Mul",
    "Neg",
    "Pow",
    "Relu",
    "Reshape",
    "ScatterAdd",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Softplus",
    "SquaredError",
    "Sqrt",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
    "Where",
    "accumulator",
    "concat",
    "stack",
    "where",
]

# -- tensor spelling (views, casts, comparisons)
from .copies import Cast, Clone  # noqa: E402

__all__ += ["Cast", "Clone"]

# -- creation and top-level functions
from .movement import concat as cat  # noqa: E402
from .structure import (  # noqa: E402
    Einsum,
    chunk,
    einsum,
    flip,
    meshgrid,
    roll,
    split,
    tril,
    triu,
)

__all__ += ["Einsum", "cat", "chunk", "einsum", "flip", "meshgrid", "roll", "split", "tril", "triu"]

# -- elementwise math
from .math import (  # noqa: E402
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    Clamp,
    Copysign,
    Cos,
    Cosh,
    Erf,
    Erfc,
    Expm1,
    Fmod,
    Hypot,
    Log1p,
    Log2,
    Log10,
    LogAddExp,
    Maximum,
    Minimum,
    Remainder,
    Sin,
    Sinh,
    Tan,
)

__all__ += [
    "Acos",
    "Acosh",
    "Asin",
    "Asinh",
    "Atan",
    "Atan2",
    "Atanh",
    "Clamp",
    "Copysign",
    "Cos",
    "Cosh",
    "Erf",
    "Erfc",
    "Expm1",
    "Fmod",
    "Hypot",
    "Log10",
    "Log1p",
    "Log2",
    "LogAddExp",
    "Maximum",
    "Minimum",
    "Remainder",
    "Sin",
    "Sinh",
    "Tan",
]

# -- reductions and scans
from .reduce import (  # noqa: E402
    LogSumExp,
    Prod,
    ValuesIndices,
    VectorNorm,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    logsumexp,
    max,
    mean,
    min,
    nanmean,
    nansum,
    norm,
    prod,
    std,
    std_mean,
    sum,
    var,
    var_mean,
    vector_norm,
)
from .scan import (  # noqa: E402
    CumProd,
    CumSum,
    LogCumSumExp,
    argsort,
    cummax,
    cummin,
    cumprod,
    cumsum,
    kthvalue,
    logcumsumexp,
    median,
    mode,
    sort,
    topk,
)

__all__ += [
    "CumProd",
    "CumSum",
    "LogCumSumExp",
    "LogSumExp",
    "Prod",
    "ValuesIndices",
    "VectorNorm",
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
    "vector_norm",
]

# -- indexing
from . import indexing  # noqa: E402  (composites: ops.indexing.gather, ...)

__all__ += ["indexing"]

# -- activations and losses
from .activations import GeluTanh, NormalCdf  # noqa: E402
from .normalization import Standardise  # noqa: E402

__all__ += ["GeluTanh", "NormalCdf", "Standardise"]

# -- layers: embedding, normalisation, convolution, pooling, resizing

# -- sequence models: attention
from .attention import ScaledDotProductAttention  # noqa: E402

__all__ += ["ScaledDotProductAttention"]
