"""The export itself: trace twice, name every tensor, convert every step, check and save.
``onnx`` is imported where it is used."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import Function
from ..nn.module import Module
from ..tensor import Tensor
from . import modules, primitives
from .builder import Builder
from .tracing import Call, Trace, pair, run

if TYPE_CHECKING:
    import onnx


def export_model(model: Module, example_input: Any, path: str | Path, opset: int) -> None:
    """See ``chainrule.onnx.export``."""
    import onnx

    if not isinstance(model, Module):
        raise TypeError(f"onnx.export: model must be an nn.Module, got {type(model).__name__}")
    if not 17 <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(
            f"onnx.export: opset must lie in [17, {onnx.defs.onnx_opset_version()}], got {opset}"
        )
    examples = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    arrays = [np.asarray(x.data if isinstance(x, Tensor) else x) for x in examples]
    for a in arrays:
        if a.ndim == 0 or a.shape[0] == 0:
            raise ValueError(
                f"onnx.export: every example input needs a batch dim (axis 0), got shape {a.shape}"
            )
    grown = [np.concatenate([a, a[:1]]) for a in arrays]  # one more row: the batch is dim 0
    training = model.training
    model.eval()
    try:
        first = run(model, arrays, modules.WHOLE)
        second = run(model, grown, modules.WHOLE)
        with np.errstate(all="ignore"):  # other values may leave an op's domain: no matter
            moved = run(model, [_other_values(a) for a in arrays], modules.WHOLE)
    finally:
        model.train(training)
    _check_constants(model, first, moved)
    onnx_model = convert(model, first, second, opset)
    onnx.checker.check_model(onnx_model, full_check=True)
    onnx.save(onnx_model, str(path))


def _other_values(a: np.ndarray) -> np.ndarray:
    """The example with other values, its shape and dtype kept: floats random at 3 times
    their scale, signs alternating (so comparisons with 0 change too), integers (indices)
    with their rows rotated."""
    if a.dtype.kind != "f":
        return np.roll(a, 1, axis=0)
    magnitude = np.abs(np.random.default_rng(0).standard_normal(a.shape)).reshape(-1)
    magnitude[::2] *= -1
    return (3 * (float(np.abs(a).mean()) or 1.0) * magnitude.reshape(a.shape)).astype(a.dtype)


def _check_constants(model: Module, first: Trace, moved: Trace) -> None:
    """Every array the graph reads besides the parameters must stay when the input's values
    change: one that moves was computed from them outside the graph (by an op the engine
    does not record, such as floor, sign or a comparison), and would be frozen into the file."""
    try:
        twins = pair(first, moved)
    except ValueError:
        raise ValueError(
            "onnx.export: the model records different ops when the input's values change, "
            "so no single ONNX graph serves every input"
        ) from None
    parameters = {id(p) for p in model.parameters()}
    for leaf in first.leaves:
        other = twins[id(leaf)].data
        same = leaf.data.shape == other.shape and np.array_equal(
            leaf.data, other, equal_nan=leaf.data.dtype.kind == "f"
        )
        if id(leaf) not in parameters and not same:
            raise ValueError(
                f"onnx.export: {_reader(first, leaf)} reads an array computed from the input's "
                "values outside the graph (by an op the engine does not record, such as floor, "
                "sign or a comparison), which ONNX cannot replay; compute it with recorded ops"
            )


def _reader(trace: Trace, leaf: Tensor) -> str:
    """The first step that reads ``leaf``, named with its module."""
    for step, made in trace.steps:
        if any(x is leaf for x in step.inputs):
            if isinstance(step, Call):
                return f"{type(step.module).__name__} '{step.name}'"
            owner = trace.modules.owner(made[0])
            return f"{type(step).__name__} in " + (f"module '{owner}'" if owner else "the model")
    return "the model"


def convert(model: Module, first: Trace, second: Trace, opset: int) -> onnx.ModelProto:
    """The ONNX model of ``first``, its batch dims found by comparing with ``second``."""
    from onnx import helper

    twins = pair(first, second)
    g = Builder(opset, (first.inputs[0].shape[0], second.inputs[0].shape[0]))
    names = ["input"] if len(first.inputs) == 1 else [f"input{i}" for i in range(len(first.inputs))]
    inputs = []
    for name, tensor in zip(names, first.inputs):
        g.values[id(tensor)] = name
        g.input_arrays[id(tensor)] = tensor.data
        inputs.append(g.value_info(name, tensor, twins[id(tensor)]))
    g.first_input = names[0]
    g.module_types = {name: type(m).__name__ for name, m in first.modules.modules.items()}
    parameter_names = {id(p): name for name, p in model.named_parameters()}
    for leaf in first.leaves:
        g.scope = first.modules.owner(leaf) or ""
        parameter = parameter_names.get(id(leaf))
        if parameter is not None:
            g.values[id(leaf)] = g.initializer(parameter, leaf.data)
        else:
            g.values[id(leaf)] = g.data(leaf.data, twins[id(leaf)].data, "a constant", expand=True)
    buffers = {id(b): name for name, b in model.named_buffers() if b is not None}
    for (step, made), (twin_step, _) in zip(first.steps, second.steps):
        if isinstance(step, Call):
            assert isinstance(twin_step, Call)  # pair() has checked the steps' kinds
            g.scope = step.name
            results = modules.convert(g, step, twin_step)
        else:
            assert isinstance(twin_step, Function)
            g.scope = first.modules.owner(made[0]) or ""
            op = primitives.Op(g, step, made[0], twins[id(made[0])], twin_step, buffers)
            results = [primitives.convert(op)]
        for tensor, value in zip(made, results):
            g.values[id(tensor)] = value
    outputs = []
    names = (
        ["output"] if len(first.outputs) == 1 else [f"output{i}" for i in range(len(first.outputs))]
    )
    for name, tensor in zip(names, first.outputs):
        g.scope = ""
        g.nodes.append(helper.make_node("Identity", [g.name(tensor)], [name], name=name))
        outputs.append(g.value_info(name, tensor, twins[id(tensor)]))
    return g.model(inputs, outputs, type(model).__name__)
