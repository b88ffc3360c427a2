"""``chainrule explain``: a 2-3-1 sigmoid network, or a function of yours, worked step by step."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import viz
from .autograd import graph
from .creation import tensor
from .optim import SGD
from .tensor import Tensor
from .viz.labels import _text
from .viz.render import _RENDERED_FORMATS, _render_hint

# The 2-3-1 network: inputs, target, weights w0..w8 and biases b0..b3 (o_j uses w2j, w2j+1).
SEED_INPUTS = (2.0, 9.0)
SEED_TARGET = 0.92
SEED_WEIGHTS = (0.15, 0.23, 0.5, 0.8, 0.05, -0.05, 0.9, -0.5, 0.08)
SEED_BIASES = (0.5, 0.5, 0.5, 0.2)
SEED_LR = 0.5
SEED_TITLE = (
    "a 2-3-1 network with fixed weights, step by step\n"
    "  2 inputs: x0 = 2, x1 = 9; target y = 0.92\n"
    "  3 hidden sigmoid units: o0 = Sigmoid(x0 w0 + x1 w1 + b0)\n"
    "                          o1 = Sigmoid(x0 w2 + x1 w3 + b1)\n"
    "                          o2 = Sigmoid(x0 w4 + x1 w5 + b2)\n"
    "  1 sigmoid output:       o3 = Sigmoid(o0 w6 + o1 w7 + o2 w8 + b3)\n"
    f"  weights w0..w8 = {', '.join(f'{w:g}' for w in SEED_WEIGHTS)}\n"
    f"  biases b0..b3 = {', '.join(f'{b:g}' for b in SEED_BIASES)}\n"
    "  cost = 0.5 e^2 with e = y - o3, so dcost/do3 = o3 - y"
)


def _named(value: Tensor, name: str) -> Tensor:
    value.name = name
    return value


def _scalar(value: float, name: str, requires_grad: bool = False) -> Tensor:
    return _named(tensor(np.float64(value), requires_grad=requires_grad), name)


def _neuron(inputs: list[Tensor], weights: list[Tensor], bias: Tensor, j: int) -> Tensor:
    """o_j = sigmoid(sum_i inputs_i * weights_i + b_j); partial sums are z_j', z_j'', ..."""
    products = [_named(x * w, f"{x.name}{w.name}") for x, w in zip(inputs, weights)]
    total = products[0]
    for k, product in enumerate(products[1:], 1):
        total = _named(total + product, f"z{j}" + "'" * (len(products) - k))
    z = _named(total + bias, f"z{j}")
    return _named(z.sigmoid(), f"o{j}")


def seed_network() -> Tensor:
    """The cost of the 2-3-1 network (``SEED_TITLE``) in float64, one named scalar per value.

    Example:
        >>> round(seed_network().item(), 5)
        0.03796
    """
    x = [_scalar(v, f"x{i}") for i, v in enumerate(SEED_INPUTS)]
    w = [_scalar(v, f"w{i}", requires_grad=True) for i, v in enumerate(SEED_WEIGHTS)]
    b = [_scalar(v, f"b{i}", requires_grad=True) for i, v in enumerate(SEED_BIASES)]
    hidden = [_neuron(x, w[2 * j : 2 * j + 2], b[j], j) for j in range(3)]
    o3 = _neuron(hidden, w[6:9], b[3], 3)
    error = _named(_scalar(SEED_TARGET, "y") - o3, "e")
    squared = _named(error**2, "e^2")
    return _named(0.5 * squared, "cost")


def load_function(spec: str) -> Callable[[], Tensor]:
    """The function ``FILE.py:NAME`` names, loaded from the file.

    Raises:
        ValueError: the spec, the file or the function is not usable.
    """
    file, _, name = spec.rpartition(":")
    if not file or not name:
        raise ValueError(f"explain: --graph wants FILE.py:FUNCTION, got {spec!r}")
    path = Path(file)
    if not path.is_file():
        raise ValueError(f"explain: no such file {file!r}")
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"explain: {file} is not a Python file (FILE.py:FUNCTION)")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:  # the user's file: report it in one line
        raise ValueError(f"explain: {file} failed: {type(error).__name__}: {error}") from None
    function = getattr(module, name, None)
    if not callable(function):
        raise ValueError(f"explain: {file} has no function {name!r}")
    return function


def _build(build: Callable[[], Tensor], title: str) -> Tensor:
    try:
        loss = build()
    except Exception as error:  # the user's function: report it in one line
        raise ValueError(f"explain: {title} failed: {type(error).__name__}: {error}") from None
    if not isinstance(loss, Tensor) or loss.size != 1 or not loss.requires_grad:
        raise ValueError(
            f"explain: {title} must return a one-element Tensor that requires grad "
            f"(the loss), got {_describe(loss)}"
        )
    if loss.name is None:
        loss.name = "L"
    return loss


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        return f"a tensor of shape {value.shape}, requires_grad={value.requires_grad}"
    return type(value).__name__


@dataclass
class Explanation:
    """What ``explain`` worked out: the loss, the trained leaves and the printed report."""

    loss: float
    grads: dict[str, np.ndarray]
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]
    drawing: Path | None
    text: str
    page: Path | None = None


def _leaves(loss: Tensor) -> list[Tensor]:
    """The leaves that require grad, in the order the graph first uses them."""
    return [t for t in graph(loss) if t._ctx is None and t.requires_grad]


def _stem_number(name: str) -> tuple[str, int]:
    stem = name.rstrip("0123456789")
    return stem, int(name[len(stem) :] or -1)


def _reading_order(leaves: list[Tensor]) -> list[Tensor]:
    """w0..w8 then b0..b3: names grouped by stem (first used first), then by number."""
    # explain has named every leaf (Tensor.name is Optional), hence the ignores
    stems: dict[str, int] = {}
    for leaf in leaves:
        stems.setdefault(_stem_number(leaf.name)[0], len(stems))  # type: ignore[arg-type]

    def key(leaf: Tensor) -> tuple[int, int]:
        stem, number = _stem_number(leaf.name)  # type: ignore[arg-type]
        return stems[stem], number

    return sorted(leaves, key=key)


def _update_lines(leaves: list[Tensor], before: dict[str, np.ndarray], lr: float) -> list[str]:
    lines = [f"SGD step, lr {lr:g}: new = old - lr * grad"]
    for leaf in _reading_order(leaves):
        # named by explain, and given a grad by its backward
        old, grad, new = before[leaf.name], leaf.grad.data, leaf.data  # type: ignore[index,union-attr]
        lines.append(
            f"  {leaf.name} = {_text(old, 4)} - {lr:g} * {_text(grad, 4)} = {_text(new, 4)}"
        )
    return lines


def _draw(loss: Tensor, path: Path | None) -> tuple[Path | None, str]:
    if path is None:
        return None, "graph drawing: not written"
    if path.suffix.lower() in _RENDERED_FORMATS and not viz.can_render():
        fallback = path.with_suffix(".dot")  # what draw would write, but with one line of ours
        viz.draw(loss, fallback)
        return fallback, f"graph drawing: {fallback} (DOT text; {_render_hint(path)})"
    viz.draw(loss, path)
    return path, f"graph drawing: {path}"


def explain(
    build: Callable[[], Tensor] = seed_network,
    lr: float = SEED_LR,
    path: str | Path | None = None,
    title: str = SEED_TITLE,
    html: str | Path | None = None,
) -> Explanation:
    """Forward, loss, every backward step and one SGD step of ``build()``'s loss, as text.

    Args:
        build: a function of no arguments returning a one-element loss Tensor; its leaves
            that require grad are the weights the SGD step updates.
        lr: the SGD learning rate.
        path: where to draw the graph (``.dot``, ``.svg``, ``.png``, ``.pdf``); a rendered
            format falls back to ``.dot`` when Graphviz is missing.
        title: the first line of the report.
        html: where to write the interactive page (``viz.html``) that steps through it.

    Returns:
        The numbers and the report (``text``).
    """
    loss = _build(build, title)
    leaves = _leaves(loss)
    names: set[str] = set()
    for i, leaf in enumerate(leaves):  # every weight gets a name of its own
        if leaf.name is None or leaf.name in names:
            leaf.name = f"{leaf.name or 'p'}{i}"
        names.add(leaf.name)
        leaf.grad = None
    # Every leaf is named now (Tensor.name is Optional, hence the ignores) and, after the
    # backward below, has a grad.
    before: dict[str, np.ndarray] = {leaf.name: leaf.data.copy() for leaf in leaves}  # type: ignore[misc]
    forward = viz.trace_forward(loss).replace("\n", "\n  ")
    lines = [f"chainrule explain: {title}", "", "forward pass", f"  {forward}"]
    lines += ["", f"loss: {loss.name} = {_text(loss.data, 4)}", ""]
    loss.backward(retain_graph=True)  # keep the graph for the trace and the drawing
    lines += [viz.trace(loss), ""]
    drawing, drawing_line = _draw(loss, None if path is None else Path(path))
    page = None
    if html is not None:  # before the step, like the drawing; the page works out its own update
        page = viz.html(loss, lr=lr, title=title.split("\n")[0]).save(html)
    SGD(leaves, lr=lr).step()  # after drawing: the step changes the arrays the graph holds
    lines += _update_lines(leaves, before, lr) + ["", drawing_line]
    if page is not None:
        lines.append(f"interactive page: {page} (open it in a browser)")
    return Explanation(
        loss=loss.item(),
        grads={leaf.name: leaf.grad.data.copy() for leaf in leaves},  # type: ignore[misc,union-attr]
        before=before,
        after={leaf.name: leaf.data.copy() for leaf in leaves},  # type: ignore[misc]
        drawing=drawing,
        page=page,
        text="\n".join(lines),
    )


def run(graph: str | None, lr: float | None, out: str | None, html: str | None = None) -> int:
    """The command: print the report for the 2-3-1 network or ``graph`` (FILE.py:FUNCTION)."""
    rate = SEED_LR if lr is None else lr
    if graph is None:
        report = explain(seed_network, rate, out, html=html)
    else:
        report = explain(load_function(graph), rate, out, title=graph, html=html)
    print(report.text)
    return 0
