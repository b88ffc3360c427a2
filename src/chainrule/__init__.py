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

# -- activations and losses

# -- layers: embedding, normalisation, convolution, pooling, resizing
