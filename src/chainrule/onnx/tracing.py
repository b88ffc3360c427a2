"""Tracing for export: run the forward with grad recording, twice, and list the graph's steps.

The model runs on the example (batch N) and on the example with one more row (batch N + 1),
under the engine's own recording, so the graph is what ``backward`` would walk. Walking both
graphs in the same order pairs every tensor with its twin: a dim that differs is the batch
(``c * N + d``), every other shape and argument must stay the same. Modules that ONNX has
one op for (``modules.CONVERTERS``) are recorded by a forward hook and stand in the walk
for everything inside them. No ONNX here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import Function
from ..grad_mode import enable_grad
from ..nn.module import Module
from ..tensor import Tensor
from ..viz.modules import ModuleMap, _tensors, capture


@dataclass
class Call:
    """One call of a module the export converts as a whole (an LSTM, a Conv2d)."""

    name: str
    module: Module
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Any
    inputs: list[Tensor] = field(default_factory=list)  # the Tensors among args and kwargs
    twin: Any = None  # the same call at batch N + 1, set when it is converted


@dataclass
class Trace:
    """One run of the forward: its inputs, outputs, the module calls converted whole, the
    owners of nodes, and every step (a node or a Call) after the steps it reads."""

    inputs: list[Tensor]
    outputs: list[Tensor]
    output: Any
    calls: dict[int, Call]  # id(output tensor) -> the call that made it
    modules: ModuleMap
    steps: list[tuple[Function | Call, list[Tensor]]] = field(default_factory=list)
    leaves: list[Tensor] = field(default_factory=list)


def run(model: Module, arrays: list[np.ndarray], whole: Collection[type]) -> Trace:
    """The forward of ``model`` on ``arrays``, recorded: every float parameter requires grad
    while it runs (so frozen layers are on the graph too), float inputs as well."""
    inputs = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    calls: dict[int, Call] = {}

    def record(name: str) -> Any:
        def hook(module: Module, args: Any, kwargs: Any, output: Any) -> None:
            call = Call(name, module, args, kwargs, output, list(_tensors((args, kwargs))))
            for tensor in _tensors(output):
                calls.setdefault(id(tensor), call)

        return hook

    frozen = [p for p in model.parameters() if not p.requires_grad and p.dtype.kind == "f"]
    handles = [
        module.register_forward_hook(record(name), with_kwargs=True)
        for name, module in model.named_modules()
        if type(module) in whole
    ]
    try:
        for p in frozen:
            p.requires_grad = True
        with enable_grad(), capture(model) as modules:
            output = model(*inputs)
    finally:
        for p in frozen:
            p.requires_grad = False
        for handle in handles:
            handle.remove()
    outputs = list(_tensors(output))
    if not outputs:
        raise ValueError(f"onnx.export: the model returned no tensors, got {type(output).__name__}")
    trace = Trace(inputs, outputs, output, calls, modules)
    _walk(trace)
    return trace


def _parents(trace: Trace, tensor: Tensor) -> list[Tensor]:
    call = trace.calls.get(id(tensor))
    if call is not None:
        return call.inputs
    return [] if tensor._ctx is None else list(tensor._ctx.inputs)


def _walk(trace: Trace) -> None:
    """Every step and leaf once, each after what it reads (iterative post-order, as
    ``autograd.graph``), a Call's insides left out."""
    seen: set[int] = {id(t) for t in trace.inputs}
    done: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(t, False) for t in reversed(trace.outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            call = trace.calls.get(id(tensor))
            step: Any = call if call is not None else tensor._ctx
            if step is None:
                trace.leaves.append(tensor)
            elif id(step) not in done:
                done.add(id(step))
                made = list(_tensors(call.output)) if call is not None else [tensor]
                trace.steps.append((step, made))
        elif id(tensor) not in seen:
            seen.add(id(tensor))
            stack.append((tensor, True))
            stack.extend((parent, False) for parent in reversed(_parents(trace, tensor)))


def pair(first: Trace, second: Trace) -> dict[int, Tensor]:
    """id(tensor of ``first``) -> its twin in ``second``: the two graphs walked in one order."""
    kinds = [_kind(s) for s, _ in first.steps]
    if kinds != [_kind(s) for s, _ in second.steps] or len(first.leaves) != len(second.leaves):
        raise ValueError(
            "onnx.export: the model's graph changes with the batch size (a batch of "
            f"{first.inputs[0].shape[0]} and one of {second.inputs[0].shape[0]} record "
            "different ops), so no single ONNX graph serves every batch"
        )
    twins: dict[int, Tensor] = {}
    for a, b in zip(first.inputs + first.leaves, second.inputs + second.leaves):
        twins[id(a)] = b
    for (_, made_a), (_, made_b) in zip(first.steps, second.steps):
        for x, y in zip(made_a, made_b):
            twins[id(x)] = y
    return twins


def _kind(step: Function | Call) -> str:
    return step.name if isinstance(step, Call) else type(step).__name__
