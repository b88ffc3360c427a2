"""``draw``: the graph as DOT text, module clusters, collapsing; rendering is render.py's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd import graph
from ..tensor import Tensor
from .labels import _MAX_VALUES, _fmt, _labels
from .modules import ModuleMap
from .render import _save
from .walk import _Backprop, _backprop

_PARAMETER_STYLE = 'style=filled, fillcolor="#dbe9f6"'
_GRAD_STYLE = "color=red, fontcolor=red, dir=back"


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


def _value_lines(tensor: Tensor, label: str, digits: int) -> list[str]:
    """``x = 3``, or ``v1 (2, 2)`` and the values when small: a value box's text."""
    value = _fmt(tensor.data, digits)
    if tensor.ndim == 0 and value != label:
        return [f"{label} = {value}"]
    lines = [label if tensor.ndim == 0 else f"{label} {tensor.shape}"]
    if tensor.size <= _MAX_VALUES and value != label:
        lines.append(value)
    return lines


def _value_attrs(
    tensor: Tensor, label: str, grad: np.ndarray | None, is_root: bool, digits: int
) -> str:
    """Name (and shape), the value when small, and the gradient when known."""
    lines = _value_lines(tensor, label, digits)
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
    order = graph(tensor)
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
