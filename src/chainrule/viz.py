"""See the chain rule: draw a result's recorded graph and trace its backward step by step.

Nothing here touches the engine or ``.grad``. The graph is re-walked from ``tensor._ctx``
and every node's ``backward`` is called again: on its saved arrays while the graph is
retained, else on a replay of its forward (a plain ``backward()`` releases the saved
arrays but keeps the graph's structure and values), so drawing and tracing work before a
backward, after ``backward(retain_graph=True)`` and after a plain ``backward()`` alike.
Graphviz is imported only to render SVG/PNG/PDF.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .autograd import Function
from .nn.module import Module
from .tensor import Tensor

__all__ = ["ModuleMap", "can_render", "capture", "draw", "trace", "trace_forward"]

_INFIX = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "**", "MatMul": "@"}
_TEXT_FORMATS = {".dot", ".gv"}
_RENDERED_FORMATS = {".svg", ".png", ".pdf"}
_MAX_VALUES = 6  # arrays with more elements are drawn by their shape only
_MAX_TRACE_VALUES = 16  # the same for the text traces
_MAX_JACOBIAN = 64  # local derivatives are worked out for outputs up to this many elements
_PARAMETER_STYLE = 'style=filled, fillcolor="#dbe9f6"'
_GRAD_STYLE = "color=red, fontcolor=red, dir=back"


# ---------------------------------------------------------------------- the graph
def _inputs(tensor: Tensor) -> tuple[Tensor, ...]:
    ctx = tensor._ctx
    return () if ctx is None else ctx.inputs


def _walk(root: Tensor) -> list[Tensor]:
    """Every tensor of ``root``'s graph once, each after the inputs it was made from."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
        elif id(tensor) not in seen:
            seen.add(id(tensor))
            stack.append((tensor, True))
            stack.extend((parent, False) for parent in reversed(_inputs(tensor)))
    return order


def _call_backward(ctx: Function, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """``ctx.backward`` on a copy of ``grad``: one array (or None) per input that needs one."""
    grads = ctx.backward(grad.copy())
    if not isinstance(grads, tuple):
        grads = (grads,)
    grads += (None,) * (len(ctx.needs_grad) - len(grads))  # Linear without bias returns two
    return tuple(
        None if g is None or not needs else np.asarray(g) for g, needs in zip(grads, ctx.needs_grad)
    )


@dataclass
class _Step:
    """One node of the backward walk: the grad that came in and the grads it sent out."""

    output: Tensor
    node: Function  # output._ctx, or its replay when backward has released it
    upstream: np.ndarray
    grads: tuple[np.ndarray | None, ...]


@dataclass
class _Backprop:
    """The chain rule, node by node: the steps in order and every tensor's grad parts."""

    steps: list[_Step] = field(default_factory=list)
    parts: dict[int, list[np.ndarray]] = field(default_factory=dict)

    def grad(self, tensor: Tensor) -> np.ndarray | None:
        parts = self.parts.get(id(tensor))
        return None if parts is None else sum(parts[1:], parts[0])


def _seed(root: Tensor, grad: Any) -> np.ndarray:
    if not root.requires_grad:
        raise RuntimeError("viz: the tensor does not require grad, so it has no backward")
    if grad is not None:
        return np.broadcast_to(np.asarray(grad, dtype=root.dtype), root.shape).copy()
    if root.size != 1:
        raise RuntimeError(f"viz: grad can be implicit only for scalar outputs, got {root.shape}")
    return np.ones_like(root.data)


def _backprop(root: Tensor, order: list[Tensor], grad: Any = None) -> _Backprop:
    """Kahn's walk from ``root``, taking the first input first, as one works it by hand."""
    pending: dict[int, int] = {}
    for tensor in order:
        for parent in _inputs(tensor):
            if parent._ctx is not None:
                pending[id(parent)] = pending.get(id(parent), 0) + 1
    result = _Backprop(parts={id(root): [_seed(root, grad)]})
    ready = [root] if root._ctx is not None else []
    while ready:
        node = ready.pop()
        ctx = node._ctx
        assert ctx is not None  # only non-leaves are made ready
        inputs = ctx.inputs
        grads: tuple[np.ndarray | None, ...] = (None,) * len(inputs)
        upstream = result.grad(node)
        if upstream is not None:  # None only where a backward returned no grad for it
            live = ctx.replay() if ctx.released else ctx
            grads = _call_backward(live, upstream)
            result.steps.append(_Step(node, live, upstream, grads))
        now_ready = []
        for parent, parent_grad in zip(inputs, grads):
            if parent_grad is not None:
                result.parts.setdefault(id(parent), []).append(parent_grad)
            if parent._ctx is not None:
                pending[id(parent)] -= 1
                if pending[id(parent)] == 0:
                    now_ready.append(parent)
        ready.extend(reversed(now_ready))  # the first input is taken next
    return result


# ---------------------------------------------------------------------- names and numbers
def _number(value: Any, digits: int) -> str:
    return f"{float(value) + 0.0:.{digits}g}"  # + 0.0 turns -0 into 0


def _fmt(array: Any, digits: int = 4, limit: int = _MAX_VALUES) -> str:
    """A scalar as a number, a small array on one line, a big one by its shape."""
    array = np.asarray(array)
    if array.size == 1:
        return _number(array.item(), digits)
    if array.size > limit:
        return f"{array.shape} array"
    text = np.array2string(array, separator=", ", formatter={"all": lambda v: _number(v, digits)})
    return " ".join(text.split())


def _text(array: Any, digits: int) -> str:
    """``_fmt`` with the trace's larger limit."""
    return _fmt(array, digits, limit=_MAX_TRACE_VALUES)


def _labels(order: list[Tensor], modules: ModuleMap | None, digits: int) -> dict[int, str]:
    """Each tensor's ``name``, else its parameter name, a constant's value, v1, v2, ... (L last)."""
    labels: dict[int, str] = {}
    count = 0
    if order[-1].name is None:
        labels[id(order[-1])] = "L"  # the result, unless it has a name
    for tensor in order:
        if id(tensor) in labels:
            continue
        label = tensor.name or (modules.parameter_names.get(id(tensor)) if modules else None)
        if label is None and tensor._ctx is None and not tensor.requires_grad and tensor.size == 1:
            label = _number(tensor.item(), digits)
        if label is None:
            count += 1
            label = f"v{count}"
        labels[id(tensor)] = label
    return labels


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


# ---------------------------------------------------------------------- trace
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
    order = _walk(tensor)
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
    order = _walk(tensor)
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
    out = labels[id(output)]
    value = _text(output.data, digits)
    lines = [f"step {number}  {out} = {_expression(output, labels)} = {value}"]
    if len(walk.parts.get(id(output), [])) > 1:
        lines.append(f"  {_total_line(output, walk, labels, root, digits)}  (summed over its uses)")
    locals_ = _local_derivatives(step)
    ctx = output._ctx
    assert ctx is not None  # a step is a backward call, so its output is a non-leaf
    for parent, grad, local in zip(ctx.inputs, step.grads, locals_):
        if grad is None:
            continue
        name = labels[id(parent)]
        head = f"  d{root}/d{name} = d{root}/d{out}"
        upstream, product = _text(step.upstream, digits), _text(grad, digits)
        if local is None:
            lines.append(f"{head} through {type(ctx).__name__}.backward = {product}")
            continue
        kind, factor = local
        value_text = _fmt(factor, digits, limit=_MAX_JACOBIAN)
        lines.append(f"{head} {kind} d{out}/d{name} = {upstream} {kind} {value_text} = {product}")
    return lines


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


# ---------------------------------------------------------------------- modules
class ModuleMap:
    """Which Module made which node of a graph, as recorded by ``capture``."""

    def __init__(self, model: Module) -> None:
        self.model = model
        self.modules = {name[:-1]: m for name, m in model.named_modules() if name}
        self.parameter_names = {id(p): name for name, p in model.named_parameters()}
        self._owner: dict[int, str] = {}  # id(Function), or id(Tensor) of a made-inside leaf
        self._kept: list[Any] = []  # keeps those alive, so their ids stay unique

    def owner(self, tensor: Tensor) -> str | None:
        """The dotted name of the innermost module that made (or owns) ``tensor``."""
        if tensor._ctx is not None:
            return self._owner.get(id(tensor._ctx))
        name = self.parameter_names.get(id(tensor))
        return self._owner.get(id(tensor)) if name is None else self.parent(name)

    def parent(self, name: str) -> str | None:
        """The innermost module enclosing a dotted name (``None``: the model itself)."""
        prefixes = [other for other in self.modules if name.startswith(other + ".")]
        return max(prefixes, key=len) if prefixes else None

    def _claim(self, name: str, args: Any, out: Any) -> None:
        """Mark every node between the call's inputs and its output not yet owned as ``name``'s."""
        stop = {id(t) for t in _tensors(args)}
        stack = list(_tensors(out))
        while stack:
            tensor = stack.pop()
            ctx = tensor._ctx
            if ctx is None or id(tensor) in stop or id(ctx) in self._owner:
                continue
            self._owner[id(ctx)] = name  # inner calls return first, so they claim first
            self._kept.append(ctx)
            stack.extend(ctx.inputs)
            for leaf in ctx.inputs:  # constants made inside (a dropout mask), not the inputs
                if leaf._ctx is None and id(leaf) not in stop and id(leaf) not in self._owner:
                    self._owner[id(leaf)] = name
                    self._kept.append(leaf)


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


@contextmanager
def capture(model: Module) -> Iterator[ModuleMap]:
    """Record which of ``model``'s submodules makes each node while the block runs.

    A forward hook on every submodule (removed when the block ends) claims the nodes
    between the call's inputs and its output. Pass the result to ``draw`` (one cluster per
    module) or ``trace`` (parameter names).

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
        >>> with capture(model) as modules:
        ...     out = model(cr.ones((1, 2))).sum()
        >>> modules.owner(out._ctx.inputs[0])
        'layers.1'
    """
    modules = ModuleMap(model)

    def claimer(name: str) -> Callable[..., None]:
        def claim(module: Module, args: Any, kwargs: Any, out: Any) -> None:
            modules._claim(name, (args, kwargs), out)

        return claim

    handles = [
        module.register_forward_hook(claimer(name), with_kwargs=True)
        for name, module in modules.modules.items()
    ]
    try:
        yield modules
    finally:
        for handle in handles:
            handle.remove()


# ---------------------------------------------------------------------- draw
@dataclass
class _Item:
    """A node of the drawing: a value box, an operation or a collapsed module."""

    key: str
    attrs: str
    cluster: str | None


@dataclass
class _Edge:
    """An arrow carrying ``value`` forward and, when known, ``grad`` back."""

    src: str
    dst: str
    value: np.ndarray
    grad: np.ndarray | None


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _value_attrs(
    tensor: Tensor, label: str, grad: np.ndarray | None, is_root: bool, digits: int
) -> str:
    """Name (and shape), the value when small, and the gradient when known."""
    value = _fmt(tensor.data, digits)
    if tensor.ndim == 0 and value != label:
        lines = [f"{label} = {value}"]
    else:
        lines = [label if tensor.ndim == 0 else f"{label} {tensor.shape}"]
        if tensor.size <= _MAX_VALUES and value != label:
            lines.append(value)
    if grad is not None and grad.size <= _MAX_VALUES:
        lines.append(f"grad {_fmt(grad, digits)}")
    attrs = f"label={_quote(chr(10).join(lines))}, shape=box"
    if tensor._ctx is None and tensor.requires_grad:
        attrs += ", " + _PARAMETER_STYLE
    return attrs + (", penwidth=2" if is_root else "")


def _edge_label(array: np.ndarray, digits: int) -> str:
    return str(array.shape) if array.size > _MAX_VALUES else _fmt(array, digits)


def _build(
    order: list[Tensor], walk: _Backprop | None, modules: ModuleMap | None, digits: int
) -> tuple[list[_Item], list[_Edge]]:
    """Items and arrows of the drawing; ``order`` ends with the result."""
    labels = _labels(order, modules, digits)
    edge_grads = {}
    if walk is not None:
        for step in walk.steps:
            for i, grad in enumerate(step.grads):
                edge_grads[(id(step.output), i)] = grad
    keys = {id(t): f"n{k}" for k, t in enumerate(order)}
    items, edges = [], []
    for k, tensor in enumerate(order):
        cluster = modules.owner(tensor) if modules else None
        grad = walk.grad(tensor) if walk else None
        if tensor._ctx is not None:
            op = _quote(type(tensor._ctx).__name__)
            items.append(_Item(f"f{k}", f"label={op}, shape=ellipse", cluster))
            for i, parent in enumerate(tensor._ctx.inputs):
                parent_grad = edge_grads.get((id(tensor), i))
                edges.append(_Edge(keys[id(parent)], f"f{k}", parent.data, parent_grad))
            edges.append(_Edge(f"f{k}", f"n{k}", tensor.data, grad))
        label = labels[id(tensor)]
        attrs = _value_attrs(tensor, label, grad, tensor is order[-1], digits)
        items.append(_Item(f"n{k}", attrs, cluster))
    return items, edges


def _collapse(
    items: list[_Item], edges: list[_Edge], modules: ModuleMap
) -> tuple[list[_Item], list[_Edge]]:
    """Replace each of the model's direct children by one node; merge the arrows across."""
    group: dict[str, str] = {}  # item key -> key of its collapsed module
    kept: list[_Item] = []
    for item in items:
        name = item.cluster
        while name is not None and modules.parent(name) is not None:
            name = modules.parent(name)
        if name is None:
            kept.append(item)
            continue
        key = "m_" + re.sub(r"\W", "_", name)
        if key not in group.values():
            label = _quote(f"{name}\n{type(modules.modules[name]).__name__}")
            kept.append(_Item(key, f"label={label}, shape=box3d", None))
        group[item.key] = key
    merged: dict[tuple[str, str, int], _Edge] = {}
    for edge in edges:
        src, dst = group.get(edge.src, edge.src), group.get(edge.dst, edge.dst)
        edge_key = (src, dst, id(edge.value))
        if src == dst:
            continue
        if edge_key not in merged:
            merged[edge_key] = _Edge(src, dst, edge.value, edge.grad)
        elif edge.grad is not None and merged[edge_key].grad is not None:
            merged[edge_key].grad = merged[edge_key].grad + edge.grad  # one value used twice inside
    return kept, list(merged.values())


def _cluster_lines(
    items: list[_Item], modules: ModuleMap | None, cluster: str | None, indent: str
) -> list[str]:
    lines = [f"{indent}{item.key} [{item.attrs}];" for item in items if item.cluster == cluster]
    if modules is None:
        return lines
    for name, module in modules.modules.items():
        if modules.parent(name) != cluster:
            continue
        inner = _cluster_lines(items, modules, name, indent + "  ")
        if inner:
            label = _quote(f"{name}: {type(module).__name__}")
            key = "cluster_" + re.sub(r"\W", "_", name)
            lines += [f"{indent}subgraph {key} {{", f"{indent}  label={label};"]
            lines += [f'{indent}  style=rounded; color="#888888";', *inner, f"{indent}}}"]
    return lines


def _dot(items: list[_Item], edges: list[_Edge], modules: ModuleMap | None, digits: int) -> str:
    lines = [
        "digraph chainrule {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    lines += _cluster_lines(items, modules, None, "  ")
    for edge in edges:
        lines.append(
            f"  {edge.src} -> {edge.dst} [label={_quote(_edge_label(edge.value, digits))}];"
        )
        if edge.grad is not None:
            label = _quote(_edge_label(edge.grad, digits))
            lines.append(f"  {edge.src} -> {edge.dst} [label={label}, {_GRAD_STYLE}];")
    return "\n".join(lines + ["}"]) + "\n"


def draw(
    tensor: Tensor,
    path: str | Path | None = None,
    show_grad: bool = True,
    *,
    grad: Any = None,
    modules: ModuleMap | None = None,
    collapse: bool = False,
    digits: int = 4,
) -> str:
    """The recorded graph of ``tensor`` as Graphviz DOT text, optionally saved or rendered.

    Values are boxes (name, shape, value when small, gradient), operations are ellipses;
    black arrows carry forward values and red arrows, pointing back, the gradients, as in
    hand-drawn backprop graphs. Leaves that need a gradient are shaded, the result is bold.

    Args:
        tensor: the result, before or after its ``backward()``.
        path: where to save: ``.dot``/``.gv`` for the text, ``.svg``/``.png``/``.pdf`` to
            render with Graphviz. Without the ``graphviz`` package or the ``dot`` program,
            the DOT text goes to a ``.dot`` file beside ``path`` and one line on stderr
            says what to install.
        show_grad: add the gradients (for a one-element tensor, or when ``grad`` is given).
        grad: d(L)/d(tensor) for a non-scalar tensor.
        modules: from ``capture(model)``: one cluster per module, parameter names.
        collapse: with ``modules``, draw each of the model's direct children as one node.
        digits: significant digits of the numbers.

    Returns:
        The DOT text.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor(3.0, requires_grad=True)
        >>> x.name = "x"
        >>> for line in draw(x * 2).splitlines()[4:]:
        ...     print(line)
          n0 [label="x = 3\\ngrad 2", shape=box, style=filled, fillcolor="#dbe9f6"];
          n1 [label="2", shape=box];
          f2 [label="Mul", shape=ellipse];
          n2 [label="L = 6\\ngrad 1", shape=box, penwidth=2];
          n0 -> f2 [label="3"];
          n0 -> f2 [label="2", color=red, fontcolor=red, dir=back];
          n1 -> f2 [label="2"];
          f2 -> n2 [label="6"];
          f2 -> n2 [label="1", color=red, fontcolor=red, dir=back];
        }
    """
    if collapse and modules is None:
        raise ValueError("draw: collapse=True needs modules=, from capture(model)")
    order = _walk(tensor)
    walk = None
    if show_grad and tensor.requires_grad and (grad is not None or tensor.size == 1):
        walk = _backprop(tensor, order, grad)
    items, edges = _build(order, walk, modules, digits)
    if collapse and modules is not None:
        items, edges = _collapse(items, edges, modules)
    text = _dot(items, edges, modules, digits)
    if path is not None:
        _save(text, Path(path))
    return text


# ---------------------------------------------------------------------- render
def can_render() -> bool:
    """Whether SVG/PNG/PDF can be made here: the graphviz package and ``dot`` are installed."""
    return not _render_needs()


def _render_needs() -> list[str]:
    """What rendering lacks here, each with how to install it; empty when nothing."""
    needs = []
    try:
        import graphviz  # noqa: F401
    except ImportError:
        needs.append("the 'graphviz' Python package (pip install graphviz)")
    if shutil.which("dot") is None:
        needs.append("Graphviz's 'dot' program (apt-get install graphviz, brew install graphviz)")
    return needs


def _render_hint(path: Path) -> str:
    """One line: what rendering ``path`` needs that is not installed."""
    return f"rendering {path.name} needs {' and '.join(_render_needs() or ['Graphviz'])}"


def _save(text: str, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in _TEXT_FORMATS:
        path.write_text(text)
        return
    if suffix not in _RENDERED_FORMATS:
        formats = ", ".join(sorted(_TEXT_FORMATS | _RENDERED_FORMATS))
        raise ValueError(f"draw: unknown format {suffix!r} for {path}, use one of {formats}")
    if not can_render():  # NOTE: the DOT text and one line, never an exception: nothing is lost
        fallback = path.with_suffix(".dot")
        fallback.write_text(text)
        print(f"draw: wrote the DOT text to {fallback}; {_render_hint(path)}", file=sys.stderr)
        return
    import graphviz

    path.write_bytes(graphviz.Source(text).pipe(format=suffix[1:]))
