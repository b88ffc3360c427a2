"""The ONNX graph under construction: value names, initializers, nodes and batch-aware shapes.

Converters (``primitives.py``, ``modules.py``) call ``node``, ``const`` and ``shape``; the
walk in ``convert.py`` names the tensors. ``onnx`` is imported where it is used, so this
module (and its doctests' collection) loads without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..tensor import Tensor

if TYPE_CHECKING:
    import onnx


def _helper() -> Any:
    from onnx import helper

    return helper


def onnx_dtype(dtype: Any) -> int:
    """The ONNX element type of a NumPy dtype."""
    return int(_helper().np_dtype_to_tensor_dtype(np.dtype(dtype)))


class Builder:
    """Nodes and initializers of one graph, and which ONNX value each traced tensor is."""

    def __init__(self, opset: int, batch: tuple[int, int]) -> None:
        self.opset = opset
        self.batch = batch  # the two traces' batch sizes, N and N + 1
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, onnx.TensorProto] = {}
        self.values: dict[int, str] = {}  # id(tensor) -> ONNX value name
        self.scope = ""  # the module whose node is being converted (a dotted name)
        self._small: dict[tuple[Any, ...], str] = {}
        self._count = 0
        self._batch_value: str | None = None
        self.first_input = ""
        self.input_arrays: dict[int, Any] = {}  # id(input tensor) -> its array
        self.module_types: dict[str, str] = {}  # dotted name -> class name, for messages

    # ------------------------------------------------------------------ values
    def name(self, tensor: Tensor) -> str:
        """The ONNX value of a traced tensor (the walk names every one before it is read)."""
        return self.values[id(tensor)]

    def input_array(self, array: Any) -> str | None:
        """The graph input whose array ``array`` is (a model may index with its raw data)."""
        for tensor_id, data in self.input_arrays.items():
            if data is array:
                return self.values[tensor_id]
        return None

    def initializer(self, name: str, array: np.ndarray) -> str:
        """``array`` as an initializer called ``name`` (a parameter's dotted name)."""
        if name not in self.initializers:
            from onnx import numpy_helper

            self.initializers[name] = numpy_helper.from_array(np.array(array, order="C"), name)
        return name

    def const(self, array: Any, dtype: Any = None) -> str:
        """A constant initializer; small ones (scalars, shapes, axes) are shared."""
        array = np.asarray(array, dtype=dtype)
        key = None
        if array.size <= 16:
            key = (array.dtype.str, array.shape, array.tobytes())
            if key in self._small:
                return self._small[key]
        name = self._unique(f"{self.scope}.const" if self.scope else "const")
        self.initializer(name, array)
        if key is not None:
            self._small[key] = name
        return name

    def ints(self, values: Any) -> str:
        """A 1-D int64 constant (shapes, axes, starts and ends)."""
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1))

    # ------------------------------------------------------------------ nodes
    def node(self, op_type: str, inputs: list[str], outputs: int = 1, **attrs: Any) -> Any:
        """Add one node; returns its output name, or a list of them for ``outputs`` > 1."""
        name = self._unique(f"{self.scope}/{op_type}" if self.scope else op_type)
        names = [name] + [f"{name}:{i}" for i in range(1, outputs)]
        self.nodes.append(_helper().make_node(op_type, inputs, names, name=name, **attrs))
        return names[0] if outputs == 1 else names

    def cast(self, value: str, source: Any, target: Any) -> str:
        """``value`` as ``target`` dtype (itself when it already is)."""
        if np.dtype(source) == np.dtype(target):
            return value
        return self.node("Cast", [value], to=onnx_dtype(target))

    def reduce(self, op_type: str, value: str, axes: Any, keepdims: bool) -> str:
        """A Reduce* node over ``axes`` (None: all), axes as the opset wants them."""
        attrs: dict[str, Any] = {"keepdims": int(keepdims)}
        if axes is None:
            return self.node(op_type, [value], **attrs)
        axes = [int(a) for a in np.atleast_1d(axes)]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [value, self.ints(axes)], **attrs)
        return self.node(op_type, [value], axes=axes, **attrs)

    def data(self, first: Any, second: Any, what: str, expand: bool = False, hint: str = "") -> str:
        """An array the graph reads as data (a constant tensor, a mask, an index): the same
        in both traces, or, with ``expand`` (a constant tensor such as a zero state),
        uniform with a batch-sized shape, then expanded at run time."""
        first, second = np.asarray(first), np.asarray(second)
        nan = first.dtype.kind == "f"
        if first.shape == second.shape and np.array_equal(first, second, equal_nan=nan):
            return self.const(first)
        if expand and first.ndim == second.ndim and first.size and second.size:
            value = first.flat[0]
            if (first == value).all() and (second == value).all():
                return self.node(
                    "Expand", [self.const(value), self.shape(first.shape, second.shape)]
                )
        raise ValueError(
            f"onnx.export: {what} of shape {first.shape}{self.where()} changes with the input "
            f"(batch {self.batch[0]}: shape {first.shape}, batch {self.batch[1]}: shape "
            f"{second.shape}); it was computed outside the graph from the input's values or "
            f"shape, which ONNX cannot replay{hint}"
        )

    def unmapped(self, what: str, detail: str = "") -> NotImplementedError:
        """The error for an op no converter covers, naming it and the module it sits in."""
        return NotImplementedError(
            f"onnx.export: no ONNX mapping for {what}{self.where()}"
            + (f": {detail}" if detail else "")
        )

    def where(self) -> str:
        """ " in module 'fc1' (Linear)", the module being converted, for messages."""
        if not self.scope:
            return " in the model's own forward"
        return f" in module '{self.scope}' ({self.module_types.get(self.scope, 'Module')})"

    def _unique(self, name: str) -> str:
        self._count += 1
        return f"{name}_{self._count}"

    # ------------------------------------------------------------------ batch-aware shapes
    def batch_size(self) -> str:
        """The runtime batch size as a 1-element int64 value: Shape(first input)[:1]."""
        if self._batch_value is None:
            scope, self.scope = self.scope, ""
            shape = self.node("Shape", [self.first_input], start=0, end=1)
            self._batch_value, self.scope = shape, scope
        return self._batch_value

    def dim(self, a: int, b: int) -> str | int:
        """A dim that is ``a`` at batch N and ``b`` at N + 1: ``a`` itself when equal, else
        the value c * batch + d."""
        if a == b:
            return a
        c, d = b - a, a - (b - a) * self.batch[0]
        value = self.batch_size()
        if c != 1:
            value = self.node("Mul", [value, self.ints([c])])
        return value if d == 0 else self.node("Add", [value, self.ints([d])])

    def shape(self, first: tuple[int, ...], second: tuple[int, ...], reshape: bool = False) -> str:
        """An int64 shape that is ``first`` at batch N and ``second`` at N + 1. For Reshape
        one changing dim is written -1 (no Shape op needed)."""
        changing = [i for i, (a, b) in enumerate(zip(first, second)) if a != b]
        if not changing:
            return self.ints(first)
        if reshape and len(changing) == 1:
            return self.ints([-1 if i == changing[0] else n for i, n in enumerate(first)])
        dims = [self.dim(a, b) for a, b in zip(first, second)]
        parts = [d if isinstance(d, str) else self.ints([d]) for d in dims]
        return self.node("Concat", parts, axis=0)

    # ------------------------------------------------------------------ the model
    def value_info(self, name: str, tensor: Tensor, twin: Tensor) -> onnx.ValueInfoProto:
        """A graph input or output: its dtype and shape, "batch" where the dim is the batch."""
        dims: list[Any] = []
        for a, b in zip(tensor.shape, twin.shape):
            if a == b:
                dims.append(a)
            else:
                dims.append("batch" if (a, b) == self.batch else None)
        return _helper().make_tensor_value_info(name, onnx_dtype(tensor.dtype), dims)

    def model(self, inputs: list[Any], outputs: list[Any], name: str) -> onnx.ModelProto:
        helper = _helper()
        graph = helper.make_graph(
            self.nodes, name, inputs, outputs, initializer=list(self.initializers.values())
        )
        opsets = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="chainrule")
        model.ir_version = min(model.ir_version, _ir_version(self.opset))
        return model


def _ir_version(opset: int) -> int:
    """The newest IR version the runtimes that know ``opset`` read (onnx's own table)."""
    table = _helper().VERSION_TABLE
    for entry in table:
        if entry[2] == opset:
            return int(entry[1])
    return int(table[-1][1])
