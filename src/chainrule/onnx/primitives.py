"""One converter per primitive: a traced node as ONNX nodes, as exactly as the rule computes it.

``CONVERTERS`` maps each covered ``Function`` class to a function of an ``Op`` (the node,
its output in both traces, the graph) returning the ONNX value of its output. A primitive
missing here makes the export fail with its name and module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import conv
from ..autograd import Function
from ..ops import (
    activations,
    attention,
    copies,
    elementwise,
    linalg,
    losses,
    movement,
    normalization,
    reduce,
    scan,
    structure,
)
from ..ops import math as cr_math
from ..tensor import Tensor
from .builder import Builder, onnx_dtype

_BIG = np.iinfo(np.int64).max


@dataclass
class Op:
    """What a converter sees: the node and its twin at batch N + 1, their outputs, the graph."""

    g: Builder
    node: Function
    out: Tensor
    twin: Tensor
    twin_node: Function
    buffers: dict[int, str]  # id(array) -> the module buffer's dotted name

    @property
    def inputs(self) -> list[str]:
        return [self.g.name(t) for t in self.node.inputs]

    def args(self) -> list[str]:
        """The inputs' values, each cast to the output's dtype (ONNX has no promotion)."""
        return [
            self.g.cast(n, t.dtype, self.out.dtype) for n, t in zip(self.inputs, self.node.inputs)
        ]

    def param(self, key: str, default: Any = None) -> Any:
        return self.node.params.get(key, default)

    def const(self, value: Any) -> str:
        """A number or array constant in the output's dtype."""
        return self.g.const(np.asarray(value, dtype=self.out.dtype))

    def data(self, key: str, what: str, hint: str = "") -> str:
        """An array argument (a mask, an index) as a constant; it must not depend on the input."""
        return self.g.data(self.param(key), self.twin_node.params.get(key), what, hint=hint)


def convert(op: Op) -> str:
    """The ONNX value of ``op``'s output, after checking its arguments match at both batches."""
    name = type(op.node).__name__
    converter = CONVERTERS.get(type(op.node))
    if converter is None:
        raise op.g.unmapped(name)
    for key, value in op.node.params.items():
        other = op.twin_node.params.get(key)
        if key != "shape" and not isinstance(value, np.ndarray) and not _equal(value, other):
            if not (key == "index" and _input_index(op) is not None):
                raise ValueError(
                    f"onnx.export: {name}'s {key}={value!r}{op.g.where()} changes with the "
                    f"batch size (it is {other!r} for a batch of {op.g.batch[1]})"
                )
    return converter(op)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and bool(a == b)


# ---------------------------------------------------------------------- elementwise
UNARY = {
    elementwise.Neg: "Neg",
    elementwise.Exp: "Exp",
    elementwise.Log: "Log",
    elementwise.Sqrt: "Sqrt",
    elementwise.Abs: "Abs",
    elementwise.Relu: "Relu",
    elementwise.Sigmoid: "Sigmoid",
    elementwise.Tanh: "Tanh",
    elementwise.Softplus: "Softplus",
    cr_math.Sin: "Sin",
    cr_math.Cos: "Cos",
    cr_math.Tan: "Tan",
    cr_math.Asin: "Asin",
    cr_math.Acos: "Acos",
    cr_math.Atan: "Atan",
    cr_math.Sinh: "Sinh",
    cr_math.Cosh: "Cosh",
    cr_math.Asinh: "Asinh",
    cr_math.Acosh: "Acosh",
    cr_math.Atanh: "Atanh",
    cr_math.Erf: "Erf",
    copies.Clone: "Identity",
}
BINARY = {
    elementwise.Add: "Add",
    elementwise.Sub: "Sub",
    elementwise.Mul: "Mul",
    elementwise.Div: "Div",
    elementwise.Pow: "Pow",
    cr_math.Maximum: "Max",
    cr_math.Minimum: "Min",
    linalg.MatMul: "MatMul",
}


def _unary(op_type: str) -> Callable[[Op], str]:
    return lambda op: op.g.node(op_type, op.args())


def _log_base(base: float) -> Callable[[Op], str]:
    return lambda op: op.g.node("Div", [op.g.node("Log", op.args()), op.const(math.log(base))])


def _log1p(op: Op) -> str:
    return op.g.node("Log", [op.g.node("Add", [*op.args(), op.const(1)])])


def _expm1(op: Op) -> str:
    return op.g.node("Sub", [op.g.node("Exp", op.args()), op.const(1)])


def _erfc(op: Op) -> str:
    return op.g.node("Sub", [op.const(1), op.g.node("Erf", op.args())])


def _normal_cdf(op: Op) -> str:  # Phi(x) = (1 + erf(x / sqrt 2)) / 2
    g = op.g
    erf = g.node("Erf", [g.node("Mul", [*op.args(), op.const(1 / math.sqrt(2))])])
    return g.node("Mul", [g.node("Add", [erf, op.const(1)]), op.const(0.5)])


def _gelu_tanh(op: Op) -> str:  # as GeluTanh.forward: a (t / 2 + 1/2), t = tanh(a (c a^2 + s))
    g, (a,) = op.g, op.args()
    s = math.sqrt(2 / math.pi)
    inner = g.node(
        "Add", [g.node("Mul", [g.node("Mul", [a, a]), op.const(0.044715 * s)]), op.const(s)]
    )
    t = g.node("Tanh", [g.node("Mul", [a, inner])])
    return g.node("Mul", [a, g.node("Add", [g.node("Mul", [t, op.const(0.5)]), op.const(0.5)])])


def _hypot(op: Op) -> str:
    g, (a, b) = op.g, op.args()
    return g.node("Sqrt", [g.node("Add", [g.node("Mul", [a, a]), g.node("Mul", [b, b])])])


def _atan2(op: Op) -> str:  # atan(a / b), moved by pi to b's half-plane; +-pi/2 on b = 0
    g, (a, b) = op.g, op.args()
    zero = op.const(0)
    base = g.node("Atan", [g.node("Div", [a, b])])
    up = g.node("Where", [g.node("Less", [a, zero]), op.const(-math.pi), op.const(math.pi)])
    left = g.node("Add", [base, up])
    axis = g.node("Mul", [g.node("Sign", [a]), op.const(math.pi / 2)])
    right = g.node("Where", [g.node("Greater", [b, zero]), base, left])
    return g.node("Where", [g.node("Equal", [b, zero]), axis, right])


def _copysign(op: Op) -> str:
    g, (a, b) = op.g, op.args()
    size = g.node("Abs", [a])
    return g.node("Where", [g.node("Less", [b, op.const(0)]), g.node("Neg", [size]), size])


def _fmod(op: Op) -> str:
    return op.g.node("Mod", op.args(), fmod=1)


def _remainder(op: Op) -> str:  # fmod, moved by b where its sign differs from b's (Python's %)
    g, (a, b) = op.g, op.args()
    rest = g.node("Mod", [a, b], fmod=1)
    zero = op.const(0)
    differ = g.node("Xor", [g.node("Less", [rest, zero]), g.node("Less", [b, zero])])
    moved = g.node("And", [differ, g.node("Not", [g.node("Equal", [rest, zero])])])
    return g.node("Where", [moved, g.node("Add", [rest, b]), rest])


def _logaddexp(op: Op) -> str:  # max + log(1 + exp(-|a - b|))
    g, (a, b) = op.g, op.args()
    gap = g.node("Exp", [g.node("Neg", [g.node("Abs", [g.node("Sub", [a, b])])])])
    return g.node(
        "Add", [g.node("Max", [a, b]), g.node("Log", [g.node("Add", [gap, op.const(1)])])]
    )


def _clamp(op: Op) -> str:  # clip(a, low, high) = min(max(a, low), high), bounds of any shape
    g, (a, low, high) = op.g, op.args()
    return g.node("Min", [g.node("Max", [a, low]), high])


def _where(op: Op) -> str:
    hint = (
        " (F.leaky_relu, F.elu, F.hardtanh, F.softplus and their kin pick a branch by "
        "x.data; their nn modules export)"
    )
    condition = op.data("condition", "where's condition", hint)
    return op.g.node("Where", [condition, *op.args()])


def _cast(op: Op) -> str:
    return op.g.node("Cast", op.inputs, to=onnx_dtype(op.out.dtype))


# ---------------------------------------------------------------------- movement
def _reshape(op: Op) -> str:
    shape = op.g.shape(op.out.shape, op.twin.shape, reshape=True)
    return op.g.node("Reshape", [op.inputs[0], shape])


def _transpose(op: Op) -> str:
    ndim = op.out.ndim
    return op.g.node("Transpose", op.inputs, perm=[a % ndim for a in op.param("axes")])


def _broadcast_to(op: Op) -> str:
    return op.g.node("Expand", [op.inputs[0], op.g.shape(op.out.shape, op.twin.shape)])


def _concat(op: Op) -> str:
    return op.g.node("Concat", op.args(), axis=op.param("axis", 0) % op.out.ndim)


def _input_index(op: Op) -> str | None:
    """The model input an index is (a functional embedding's lookup), or None."""
    return op.g.input_array(op.param("index"))


def _expanded(index: Any, ndim: int) -> list[Any]:
    """A NumPy index as a list, its Ellipsis (or the missing tail) spelt as full slices."""
    items = list(index) if isinstance(index, tuple) else [index]
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    at = items.index(Ellipsis) if any(i is Ellipsis for i in items) else len(items)
    items[at : at + (at < len(items) and items[at] is Ellipsis)] = [slice(None)] * (ndim - used)
    return items


def _getitem(op: Op) -> str:
    """Basic indexing as Slice, Gather (ints) and Unsqueeze; one integer array as Gather."""
    g, value = op.g, op.inputs[0]
    lookup = _input_index(op)
    if lookup is not None:
        return g.node("Gather", [value, lookup], axis=0)
    items = _expanded(op.param("index"), op.node.inputs[0].ndim)
    twins = _expanded(op.twin_node.params["index"], op.node.inputs[0].ndim)
    arrays = [i for i in items if isinstance(i, (np.ndarray, list))]
    ints = [i for i in items if isinstance(i, (int, np.integer))]
    if len(arrays) > 1 or (arrays and ints) or any(np.asarray(a).dtype == bool for a in arrays):
        raise g.unmapped("GetItem", "only basic indexing and one integer array are exported")
    axis = 0
    for item, twin in zip(items, twins):
        if item is None:
            value = g.node("Unsqueeze", [value, g.ints([axis])])
            axis += 1
        elif isinstance(item, slice):
            if item != slice(None):
                step = 1 if item.step is None else item.step
                start = item.start if item.start is not None else (0 if step > 0 else _BIG)
                stop = item.stop if item.stop is not None else (_BIG if step > 0 else -_BIG)
                bounds = [g.ints([start]), g.ints([stop]), g.ints([axis]), g.ints([step])]
                value = g.node("Slice", [value, *bounds])
            axis += 1
        elif isinstance(item, (int, np.integer)):
            value = g.node("Gather", [value, g.const(np.int64(item))], axis=axis)
        else:
            index = g.cast(g.data(item, twin, "an index array"), np.asarray(item).dtype, np.int64)
            value = g.node("Gather", [value, index], axis=axis)
            axis += np.asarray(item).ndim
    return value


def _scatter_add(op: Op) -> str:
    """zeros with the input in a block of step-1 slices: a zero Pad."""
    items, shape = _expanded(op.param("index"), len(op.param("shape"))), op.param("shape")
    before, after = [], []
    for item, size, twin_size in zip(items, shape, op.twin_node.params["shape"]):
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise op.g.unmapped("ScatterAdd", "only a block of step-1 slices is exported")
        start, stop, _ = item.indices(size)
        if item != slice(None) and size != twin_size:
            raise op.g.unmapped("ScatterAdd", "a block cut along the batch dim")
        before.append(start)
        after.append(size - stop)
    return op.g.node("Pad", [op.inputs[0], op.g.ints(before + after)])


# ---------------------------------------------------------------------- reductions
def _reduction(op_type: str) -> Callable[[Op], str]:
    def convert(op: Op) -> str:
        value = op.inputs[0]
        if op.param("dtype") is not None:
            value = op.g.cast(value, op.node.inputs[0].dtype, op.param("dtype"))
        return op.g.reduce(op_type, value, op.param("axis"), op.param("keepdims", False))

    return convert


def _vector_norm(op: Op) -> str:
    g, order = op.g, op.param("ord", 2.0)
    axis, keepdims = op.param("axis"), op.param("keepdims", False)
    if order in (1, 2):
        return g.reduce(f"ReduceL{int(order)}", op.inputs[0], axis, keepdims)
    powered = g.node("Pow", [g.node("Abs", op.inputs), op.const(order)])
    return g.node("Pow", [g.reduce("ReduceSum", powered, axis, keepdims), op.const(1 / order)])


def _cumsum(op: Op) -> str:
    return op.g.node("CumSum", [op.inputs[0], op.g.const(np.int64(op.param("axis")))])


def _einsum(op: Op) -> str:
    return op.g.node("Einsum", op.args(), equation=op.param("equation"))


def _log_softmax(op: Op) -> str:
    return op.g.node("LogSoftmax", op.inputs, axis=op.param("axis", -1))


def _standardise(op: Op) -> str:
    """LayerNormalization over trailing axes (with the node's weight and bias, else scale 1),
    else the rule's two passes."""
    g, (x, *affine) = op.g, op.inputs
    ndim, eps = op.out.ndim, op.param("eps")
    axes = sorted(a % ndim for a in op.param("axes"))
    if axes == list(range(axes[0], ndim)):
        scale = affine or [op.const(np.ones(op.out.shape[axes[0] :]))]
        return g.node("LayerNormalization", [x, *scale], axis=axes[0], epsilon=eps)
    centred = g.node("Sub", [x, g.reduce("ReduceMean", x, axes, True)])
    variance = g.reduce("ReduceMean", g.node("Mul", [centred, centred]), axes, True)
    std = g.node("Sqrt", [g.node("Add", [variance, op.const(eps)])])
    return g.node("Div", [centred, std])


# ---------------------------------------------------------------------- layers
def _linear(op: Op) -> str:
    g, names = op.g, op.args()
    if op.node.inputs[0].ndim == 2:
        return g.node("Gemm", names, transB=1)
    out = g.node("MatMul", [names[0], g.node("Transpose", [names[1]], perm=[1, 0])])
    return out if len(names) == 2 else g.node("Add", [out, names[2]])


def _pads(padding: Any) -> list[int]:
    return [int(padding[0]), int(padding[1])] * 2


def _conv2d(op: Op) -> str:
    kernel = list(op.node.inputs[1].shape[2:])
    return op.g.node(
        "Conv",
        op.args(),
        kernel_shape=kernel,
        strides=list(op.param("stride")),
        pads=_pads(op.param("padding")),
    )


def _pool(op_type: str, **attrs: Any) -> Callable[[Op], str]:
    def convert(op: Op) -> str:
        return op.g.node(
            op_type,
            op.inputs,
            kernel_shape=list(op.param("kernel_size")),
            strides=list(op.param("stride")),
            pads=_pads(op.param("padding", (0, 0))),
            **attrs,
        )

    return convert


def _batch_norm(op: Op) -> str:
    if op.param("training", True):
        raise op.g.unmapped("BatchNorm in training mode", "call model.eval() first")
    g, dtype = op.g, op.out.dtype
    stats = []
    for key in ("running_mean", "running_var"):
        array = op.param(key)
        name = op.buffers.get(id(array))
        value = g.initializer(name, array) if name else g.const(array)
        stats.append(g.cast(value, array.dtype, dtype))
    return g.node("BatchNormalization", [*op.args(), *stats], epsilon=op.param("eps", 1e-5))


def _attention(op: Op) -> str:
    """softmax(q k^T * scale + mask, kept entries only) v; rows with nothing kept give 0."""
    g = op.g
    q, k, v, *mask = op.args()
    ndim = op.node.inputs[1].ndim
    perm = [*range(ndim - 2), ndim - 1, ndim - 2]
    scores = g.node("MatMul", [q, g.node("Transpose", [k], perm=perm)])
    scores = g.node("Mul", [scores, op.const(op.param("scale", 1.0))])
    if mask:
        scores = g.node("Add", [scores, mask[0]])
    keep = op.param("keep")
    if keep is not None:
        scores = g.node("Where", [op.data("keep", "attention's mask"), scores, op.const(-np.inf)])
    if not mask and (keep is None or np.asarray(keep).any(axis=-1).all()):
        probs = g.node("Softmax", [scores], axis=-1)
    else:  # as the rule: shift by the row max (0 for an all -inf row), divide by sum or 1
        top = g.reduce("ReduceMax", scores, [-1], True)
        top = g.node("Where", [g.node("IsInf", [top], detect_positive=0), op.const(0), top])
        weights = g.node("Exp", [g.node("Sub", [scores, top])])
        total = g.reduce("ReduceSum", weights, [-1], True)
        total = g.node("Where", [g.node("Equal", [total, op.const(0)]), op.const(1), total])
        probs = g.node("Div", [weights, total])
    return g.node("MatMul", [probs, v])


CONVERTERS: dict[type, Callable[[Op], str]] = {
    **{cls: _unary(name) for cls, name in UNARY.items()},
    **{cls: _unary(name) for cls, name in BINARY.items()},
    cr_math.Log2: _log_base(2),
    cr_math.Log10: _log_base(10),
    cr_math.Log1p: _log1p,
    cr_math.Expm1: _expm1,
    cr_math.Erfc: _erfc,
    cr_math.Atan2: _atan2,
    cr_math.Hypot: _hypot,
    cr_math.Copysign: _copysign,
    cr_math.Fmod: _fmod,
    cr_math.Remainder: _remainder,
    cr_math.LogAddExp: _logaddexp,
    cr_math.Clamp: _clamp,
    activations.NormalCdf: _normal_cdf,
    activations.GeluTanh: _gelu_tanh,
    elementwise.Where: _where,
    copies.Cast: _cast,
    movement.Reshape: _reshape,
    movement.Transpose: _transpose,
    movement.BroadcastTo: _broadcast_to,
    movement.GetItem: _getitem,
    movement.ScatterAdd: _scatter_add,
    movement.Concat: _concat,
    reduce.Sum: _reduction("ReduceSum"),
    reduce.Mean: _reduction("ReduceMean"),
    reduce.Max: _reduction("ReduceMax"),
    reduce.Min: _reduction("ReduceMin"),
    reduce.Prod: _reduction("ReduceProd"),
    reduce.LogSumExp: _reduction("ReduceLogSumExp"),
    reduce.VectorNorm: _vector_norm,
    scan.CumSum: _cumsum,
    structure.Einsum: _einsum,
    losses.LogSoftmax: _log_softmax,
    normalization.Standardise: _standardise,
    linalg.Linear: _linear,
    conv.Conv2d: _conv2d,
    conv.MaxPool2d: _pool("MaxPool"),
    conv.AvgPool2d: _pool("AveragePool", count_include_pad=1),
    conv.BatchNorm: _batch_norm,
    attention.ScaledDotProductAttention: _attention,
}
