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
from .reduce import Max, Mean, Min, Sum

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
    "concat",
    "stack",
    "where",
]

# -- tensor spelling (views, casts, comparisons)

# -- creation and top-level functions

# -- elementwise math

# -- reductions and scans

# -- indexing

# -- activations and losses
from .activations import NormalCdf  # noqa: E402

__all__ += ["NormalCdf"]

# -- layers: embedding, normalisation, convolution, pooling, resizing
