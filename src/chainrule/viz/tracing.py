"""Forward and backward traces as text, with local derivatives; the walk is the engine's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import graph
from ..tensor import Tensor
from .labels import _MAX_TRACE_VALUES, _fmt, _labels, _text
from .modules import ModuleMap
from .walk import _Backprop, _backprop, _call_backward, _Step

_INFIX = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "**", "MatMul": "@"}
_MAX_JACOBIAN = 64  # local derivatives are worked out for outputs up to this many elements


def _expression(tensor: Tensor, labels: dict[int, str], digits: int | None = None) -> str:
    """``a * b`` or ``Sigmoid(a)``; with ``digits``, the same with the inputs' values."""
    ctx = tensor._ctx
    assert ctx is not None  # called for non-leaves only
    if digits is None:
        args = [labels[id(t)] for t in ctx.inputs]
    else:
        args = [_text(t.data, digits) for t in ctx.inputs]
    op = type(ctx).__name__
    if op in _INFIX and len(args) == 2:
        return f"{args[0]} {_INFIX[op]} {args[1]}"
    return f"{op}({', '.join(args)})"


def trace_forward(tensor: Tensor, *, modules: ModuleMap | None = None, digits: int = 4) -> str:
    """The forward pass of ``tensor``'s graph as text, one operation per line, inputs first.

    Args:
        tensor: a result whose graph is still recorded.
        modules: names for module parameters, from ``capture``.
        digits: significant digits of the numbers.

    Returns:
        Lines such as ``s = x1 * x2 = 2 * 5 = 10``.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor(3.0, requires_grad=True)
        >>> x.name = "x"
        >>> print(trace_forward(x * x + 1))
        v1 = x * x = 3 * 3 = 9
        L = v1 + 1 = 9 + 1 = 10
    """
    order = graph(tensor)
    labels = _labels(order, modules, digits)
    lines = []
    for node in order:
        if node._ctx is None:
            continue
        line = f"{labels[id(node)]} = {_expression(node, labels)}"
        if all(t.size <= _MAX_TRACE_VALUES for t in node._ctx.inputs):
            line += f" = {_expression(node, labels, digits)}"
        lines.append(f"{line} = {_text(node.data, digits)}")
    return "\n".join(lines)


def trace(
    tensor: Tensor,
    grad: Any = None,
    *,
    modules: ModuleMap | None = None,
    digits: int = 4,
) -> str:
    """The backward pass as text, as worked by hand: upstream x local = product, per node.

    The walk is worked out again from the retained graph, so it leaves ``.grad`` alone.
    Each step names a node (in backward order) and, for each input that needs a gradient,
    shows ``dL/d(input) = dL/d(output) * d(output)/d(input)`` with the numbers. Local
    derivatives are elementwise factors where the node is elementwise or has a one-element
    output, else Jacobians (worked out for outputs of up to 64 elements). Inputs used more
    than once get the sum of their parts.

    Args:
        tensor: the result L, before or after ``L.backward()``.
        grad: dL/d(tensor) for a non-scalar tensor (defaults to 1 for one element).
        modules: names for module parameters, from ``capture``.
        digits: significant digits of the numbers.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor(3.0, requires_grad=True)
        >>> x.name = "x"
        >>> y = 2 * x
        >>> y.name = "y"
        >>> print(trace(y))
        backward from y, 1 step: dy/d(input) = dy/d(output) * d(output)/d(input)
        step 1  y = 2 * x = 6
          dy/dx = dy/dy * dy/dx = 1 * 2 = 2
        gradients of the leaves
          dy/dx = 2
    """
    order = graph(tensor)
    labels = _labels(order, modules, digits)
    walk = _backprop(tensor, order, grad)
    root = labels[id(tensor)]
    count = len(walk.steps)
    lines = [
        f"backward from {root}, {count} step{'s' * (count != 1)}: "
        f"d{root}/d(input) = d{root}/d(output) * d(output)/d(input)"
    ]
    for number, step in enumerate(walk.steps, 1):
        lines += _step_lines(number, step, walk, labels, root, digits)
    lines.append("gradients of the leaves")
    for leaf in order:
        if leaf._ctx is None and id(leaf) in walk.parts:
            lines.append(f"  {_total_line(leaf, walk, labels, root, digits)}")
    return "\n".join(lines)


def _total_line(
    tensor: Tensor, walk: _Backprop, labels: dict[int, str], root: str, digits: int
) -> str:
    """``dL/dx = 3 + 3 + 2 = 8``: a tensor's gradient, summed over its uses."""
    parts = walk.parts[id(tensor)]
    line = f"d{root}/d{labels[id(tensor)]} = "
    if len(parts) > 1:
        line += " + ".join(_text(p, digits) for p in parts) + " = "
    return line + _text(walk.grad(tensor), digits)


def _step_lines(
    number: int, step: _Step, walk: _Backprop, labels: dict[int, str], root: str, digits: int
) -> list[str]:
    output = step.output
    lines = [f"step {number}  {_step_head(step, labels, digits)}"]
    if len(walk.parts.get(id(output), [])) > 1:
        lines.append(f"  {_total_line(output, walk, labels, root, digits)}  (summed over its uses)")
    lines += [
        f"  {formula} = {numbers}" for _, formula, numbers in _terms(step, labels, root, digits)
    ]
    return lines


def _step_head(step: _Step, labels: dict[int, str], digits: int) -> str:
    """``o3 = Sigmoid(z3) = 0.6445``: the node a step works on."""
    output = step.output
    return f"{labels[id(output)]} = {_expression(output, labels)} = {_text(output.data, digits)}"


def _terms(
    step: _Step, labels: dict[int, str], root: str, digits: int
) -> list[tuple[int, str, str]]:
    """Per input that gets a gradient: (its index, ``dL/dx = dL/dy * dy/dx``, ``1 * 5 = 5``)."""
    output = step.output
    out = labels[id(output)]
    ctx = output._ctx
    assert ctx is not None  # a step is a backward call, so its output is a non-leaf
    terms = []
    for i, (parent, grad, local) in enumerate(
        zip(ctx.inputs, step.grads, _local_derivatives(step))
    ):
        if grad is None:
            continue
        name = labels[id(parent)]
        head = f"d{root}/d{name} = d{root}/d{out}"
        upstream, product = _text(step.upstream, digits), _text(grad, digits)
        if local is None:
            terms.append((i, f"{head} through {type(ctx).__name__}.backward", product))
            continue
        kind, factor = local
        value_text = _fmt(factor, digits, limit=_MAX_JACOBIAN)
        terms.append(
            (i, f"{head} {kind} d{out}/d{name}", f"{upstream} {kind} {value_text} = {product}")
        )
    return terms


def _local_derivatives(step: _Step) -> list[tuple[str, np.ndarray] | None]:
    """Per input: ("*", factor) for elementwise/one-element nodes, ("@", Jacobian), or None."""
    output, ctx = step.output, step.node
    if output.size > _MAX_JACOBIAN:
        return [None] * len(ctx.inputs)
    rows = []
    for k in range(output.size):  # row k of every Jacobian: backward of the k-th unit vector
        unit = np.zeros(output.size, dtype=output.dtype)
        unit[k] = 1
        rows.append(_call_backward(ctx, unit.reshape(output.shape)))
    result: list[tuple[str, np.ndarray] | None] = []
    for i, parent in enumerate(ctx.inputs):
        if rows[0][i] is None:
            result.append(None)
            continue
        # (output.size, input.size); a backward returns None for an input always or never
        jacobian = np.stack([row[i].reshape(-1) for row in rows])  # type: ignore[union-attr]
        result.append(_classify(jacobian, parent.shape))
    return result


def _classify(jacobian: np.ndarray, in_shape: tuple[int, ...]) -> tuple[str, np.ndarray]:
    if jacobian.shape[0] == 1:
        return "*", jacobian.reshape(in_shape)
    if jacobian.shape[0] == jacobian.shape[1]:  # elementwise when the Jacobian is diagonal
        diagonal = np.diagonal(jacobian)
        if not np.any(jacobian - np.diag(diagonal)):
            return "*", diagonal.reshape(in_shape)
    return "@", jacobian
