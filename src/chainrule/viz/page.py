"""The explorer page's data: nodes, edges, forward values, backward steps, the SGD update.

Everything comes from one walk (walk.py's) and the trace's own lines (tracing.py's), so the
page and ``trace`` cannot disagree; laying it out is layout.py's, the page itself html.py's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..autograd import graph
from ..tensor import Tensor
from .dot import _value_lines
from .labels import _fmt, _labels, _text
from .modules import ModuleMap
from .tracing import _step_head, _terms, _total_line
from .walk import _backprop

_COLLAPSE_OVER = 80  # with modules, bigger graphs start as one node per top-level module


def page_data(
    tensor: Tensor,
    grad: Any = None,
    *,
    modules: ModuleMap | None = None,
    collapse: bool | None = None,
    lr: float = 0.1,
    digits: int = 4,
) -> dict[str, Any]:
    """The page's content as plain data (JSON-ready); ``collapse=None`` collapses big graphs."""
    if collapse and modules is None:
        raise ValueError("html: collapse=True needs modules=, from capture(model)")
    order = graph(tensor)
    labels = _labels(order, modules, digits)
    walk = _backprop(tensor, order, grad)
    root = labels[id(tensor)]
    keys = {id(t): f"n{k}" for k, t in enumerate(order)}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    edge_of: dict[tuple[int, int], str] = {}  # (id(output), input index) -> edge id
    for t in order:
        ctx = t._ctx
        kind = "op" if ctx is not None else "param" if t.requires_grad else "input"
        node = {
            "id": keys[id(t)],
            "kind": "root" if t is tensor else kind,
            "op": None if ctx is None else type(ctx).__name__,
            "lines": _value_lines(t, labels[id(t)], digits),
            "cluster": modules.owner(t) if modules else None,
            "grads": [],  # [step, dL/d(node) so far], filled below
        }
        nodes.append(node)
        for i, parent in enumerate(() if ctx is None else ctx.inputs):
            edge_of[(id(t), i)] = f"e{len(edges)}"
            edges.append({"id": f"e{len(edges)}", "src": keys[id(parent)], "dst": node["id"]})
    by_key = {node["id"]: node for node in nodes}
    steps = []
    sums: dict[int, Any] = {}
    by_key[keys[id(tensor)]]["grads"].append([1, _fmt(walk.parts[id(tensor)][0], digits)])
    for number, step in enumerate(walk.steps, 1):
        output = step.output
        total = None
        if len(walk.parts.get(id(output), [])) > 1:
            total = _total_line(output, walk, labels, root, digits) + "  (summed over its uses)"
        terms = []
        for i, formula, numbers in _terms(step, labels, root, digits):
            parent = output._ctx.inputs[i]  # type: ignore[union-attr]  # a step's output has a ctx
            part = step.grads[i]
            assert part is not None  # _terms lists only the inputs that get a gradient
            sums[id(parent)] = part if id(parent) not in sums else sums[id(parent)] + part
            by_key[keys[id(parent)]]["grads"].append([number, _fmt(sums[id(parent)], digits)])
            edge = edge_of[(id(output), i)]
            terms.append(
                {
                    "edge": edge,
                    "formula": formula,
                    "numbers": numbers,
                    "grad": _edge_grad(part, digits),
                }
            )
        head = _step_head(step, labels, digits)
        steps.append({"node": keys[id(output)], "head": head, "total": total, "terms": terms})
    update = []
    for t in order:
        leaf_grad = walk.grad(t)
        if t._ctx is None and t.requires_grad and leaf_grad is not None:
            new = t.data - lr * leaf_grad
            old_text, grad_text = _text(t.data, digits), _text(leaf_grad, digits)
            line = f"{labels[id(t)]} = {old_text} - {lr:g} * {grad_text} = {_text(new, digits)}"
            update.append({"node": keys[id(t)], "line": line, "new": _fmt(new, digits)})
    data = {
        "root": root,
        "nodes": nodes,
        "edges": edges,
        "clusters": _clusters(nodes, modules),
        "steps": steps,
        "update": update,
        "lr": lr,
        "collapsed": False,
    }
    if collapse or (collapse is None and modules is not None and len(nodes) > _COLLAPSE_OVER):
        _collapse(data, modules)  # type: ignore[arg-type]  # checked above
    return data


def _edge_grad(grad: np.ndarray, digits: int) -> str:
    """An edge's label: a number, or the shape of an array (the panel has its values)."""
    return _fmt(grad, digits) if grad.size == 1 else str(grad.shape)


def _top(modules: ModuleMap, name: str | None) -> str | None:
    while name is not None and modules.parent(name) is not None:
        name = modules.parent(name)
    return name


def _clusters(nodes: list[dict[str, Any]], modules: ModuleMap | None) -> list[dict[str, Any]]:
    """The modules that own a node (and the modules around them), outer ones first."""
    if modules is None:
        return []
    used = set()
    for node in nodes:
        name = node["cluster"]
        while name is not None:
            used.add(name)
            name = modules.parent(name)
    return [
        {"name": name, "label": f"{name}: {type(module).__name__}", "parent": modules.parent(name)}
        for name, module in modules.modules.items()
        if name in used
    ]


def _collapse(data: dict[str, Any], modules: ModuleMap) -> None:
    """One node per top-level module: steps and edges inside point at the module's node."""
    shown: dict[str, str] = {}
    nodes = []
    for node in data["nodes"]:
        name = _top(modules, node["cluster"])
        if name is None:
            nodes.append(node)
            continue
        key = "m_" + re.sub(r"\W", "_", name)
        if key not in shown.values():
            lines = [name, type(modules.modules[name]).__name__]
            nodes.append({"id": key, "kind": "module", "op": None, "lines": lines, "grads": []})
            nodes[-1]["cluster"] = None
        shown[node["id"]] = key
    merged: dict[tuple[str, str], str] = {}
    edge_shown: dict[str, str | None] = {}
    edges = []
    for edge in data["edges"]:
        src, dst = shown.get(edge["src"], edge["src"]), shown.get(edge["dst"], edge["dst"])
        if src == dst:
            edge_shown[edge["id"]] = None
            continue
        if (src, dst) not in merged:
            merged[(src, dst)] = edge["id"]
            edges.append({"id": edge["id"], "src": src, "dst": dst})
        edge_shown[edge["id"]] = merged[(src, dst)]
    for step in data["steps"]:
        step["node"] = shown.get(step["node"], step["node"])
        for term in step["terms"]:
            term["edge"] = edge_shown[term["edge"]]
    for row in data["update"]:  # the panel lists them; a module's box has no room for all
        row["node"] = None if row["node"] in shown else row["node"]
    data.update(nodes=nodes, edges=edges, clusters=[], collapsed=True)
