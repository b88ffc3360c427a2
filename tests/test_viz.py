"""cr.viz: golden DOT text and traces of small graphs, module clusters, rendering."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import viz
from chainrule.autograd import graph
from chainrule.viz import render
from chainrule.viz.walk import _backprop


def _named(value, name):
    value.name = name
    return value


def _leaf(value, name):
    return _named(cr.tensor(value, requires_grad=True), name)


def _seed000():
    """Y = X1 * X2 + C with X1 = 2, X2 = 5, C = 3, every value named."""
    x1, x2, c = (_leaf(v, n) for v, n in [(2.0, "x1"), (5.0, "x2"), (3.0, "c")])
    y = _named(_named(x1 * x2, "s1") + c, "y")
    return x1, x2, c, y


def _fan_out():
    """L = x * x + 2 * x at x = 3: x reaches L three ways, dL/dx = 3 + 3 + 2 = 8."""
    x = _named(cr.tensor(3.0, requires_grad=True), "x")
    return x, x * x + 2 * x


def _mlp():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    for p in model.parameters():
        p.data = rng.standard_normal(p.shape).astype(np.float32)
    return model


SEED000_DOT = r"""digraph chainrule {
  rankdir=LR;
  node [fontname="Helvetica", fontsize=10];
  edge [fontname="Helvetica", fontsize=9];
  n0 [label="x1 = 2\ngrad 5", shape=box, style=filled, fillcolor="#dbe9f6"];
  n1 [label="x2 = 5\ngrad 2", shape=box, style=filled, fillcolor="#dbe9f6"];
  f2 [label="Mul", shape=ellipse];
  n2 [label="s1 = 10\ngrad 1", shape=box];
  n3 [label="c = 3\ngrad 1", shape=box, style=filled, fillcolor="#dbe9f6"];
  f4 [label="Add", shape=ellipse];
  n4 [label="y = 13\ngrad 1", shape=box, penwidth=2];
  n0 -> f2 [label="2"];
  n0 -> f2 [label="5", color=red, fontcolor=red, dir=back];
  n1 -> f2 [label="5"];
  n1 -> f2 [label="2", color=red, fontcolor=red, dir=back];
  f2 -> n2 [label="10"];
  f2 -> n2 [label="1", color=red, fontcolor=red, dir=back];
  n2 -> f4 [label="10"];
  n2 -> f4 [label="1", color=red, fontcolor=red, dir=back];
  n3 -> f4 [label="3"];
  n3 -> f4 [label="1", color=red, fontcolor=red, dir=back];
  f4 -> n4 [label="13"];
  f4 -> n4 [label="1", color=red, fontcolor=red, dir=back];
}
"""

SEED000_TRACE = """\
backward from y, 2 steps: dy/d(input) = dy/d(output) * d(output)/d(input)
step 1  y = s1 + c = 13
  dy/ds1 = dy/dy * dy/ds1 = 1 * 1 = 1
  dy/dc = dy/dy * dy/dc = 1 * 1 = 1
step 2  s1 = x1 * x2 = 10
  dy/dx1 = dy/ds1 * ds1/dx1 = 1 * 5 = 5
  dy/dx2 = dy/ds1 * ds1/dx2 = 1 * 2 = 2
gradients of the leaves
  dy/dx1 = 5
  dy/dx2 = 2
  dy/dc = 1"""

FAN_OUT_TRACE = """\
backward from L, 3 steps: dL/d(input) = dL/d(output) * d(output)/d(input)
step 1  L = v1 + v2 = 15
  dL/dv1 = dL/dL * dL/dv1 = 1 * 1 = 1
  dL/dv2 = dL/dL * dL/dv2 = 1 * 1 = 1
step 2  v1 = x * x = 9
  dL/dx = dL/dv1 * dv1/dx = 1 * 3 = 3
  dL/dx = dL/dv1 * dv1/dx = 1 * 3 = 3
step 3  v2 = 2 * x = 6
  dL/dx = dL/dv2 * dv2/dx = 1 * 2 = 2
gradients of the leaves
  dL/dx = 3 + 3 + 2 = 8"""


# ---------------------------------------------------------------- draw: golden DOT
def test_draw_seed000_golden_dot():
    *_, y = _seed000()
    y.backward(retain_graph=True)
    assert viz.draw(y) == SEED000_DOT


def test_draw_seed000_before_backward_same_dot():
    *_, y = _seed000()
    assert viz.draw(y) == SEED000_DOT  # the gradients are worked out, not read from .grad


def test_draw_show_grad_false_has_no_red_edges():
    *_, y = _seed000()
    dot = viz.draw(y, show_grad=False)
    assert "red" not in dot and "grad" not in dot
    assert 'n4 [label="y = 13", shape=box, penwidth=2];' in dot


def test_draw_fan_out_edges_carry_their_own_grads():
    _, out = _fan_out()
    dot = viz.draw(out)
    assert dot.count('n0 -> f1 [label="3", color=red') == 2  # x * x: 3 back on both edges
    assert 'n0 -> f3 [label="2", color=red' in dot  # 2 * x: 2 back
    assert 'n0 [label="x = 3\\ngrad 8"' in dot  # the box holds the sum
    assert 'n2 [label="2", shape=box];' in dot  # a constant is labelled by its value


def test_draw_big_values_show_shapes():
    model = _mlp()
    loss = F.cross_entropy(model(cr.randn(32, 4, seed=0)), np.arange(32) % 3)
    dot = viz.draw(loss)
    assert 'label="(32, 4)"' in dot and 'label="(32, 5)"' in dot
    assert len(dot.splitlines()) < 50


def test_draw_non_scalar_without_grad_draws_values_only():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert "red" not in viz.draw(x * 2)
    dot = viz.draw(x * 2, grad=[2.0, 2.0])
    assert 'f2 -> n2 [label="[2, 2]", color=red' in dot and "grad [4, 4]" in dot


def test_draw_after_plain_backward_same_dot():
    *_, y = _seed000()
    y.backward()  # releases the saved arrays; the structure and values stay
    assert viz.draw(y) == SEED000_DOT


def test_draw_after_plain_backward_cnn_matches_retained_and_leaves_stats_alone():
    cr.nn.init.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, bias=False),
        nn.BatchNorm2d(2),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(8, 3),
    )
    x, target = cr.randn(4, 1, 6, 6, seed=1), np.arange(4) % 3

    def loss_and_dot(retain_graph: bool) -> tuple[cr.Tensor, str]:
        cr.nn.init.manual_seed(1)  # the same dropout mask both times
        loss = F.cross_entropy(model(x), target)
        loss.backward(retain_graph=retain_graph)
        stats = model.layers[1].running_mean.copy()
        dot = viz.draw(loss)
        np.testing.assert_array_equal(model.layers[1].running_mean, stats)
        return loss, dot

    _, retained = loss_and_dot(retain_graph=True)
    model.zero_grad()
    loss, released = loss_and_dot(retain_graph=False)
    assert released == retained
    weight = model.layers[0].weight
    walk = _backprop(loss, graph(loss))
    np.testing.assert_allclose(walk.grad(weight), weight.grad.data, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- trace: golden text
def test_trace_seed000_golden():
    *_, y = _seed000()
    y.backward(retain_graph=True)
    assert viz.trace(y) == SEED000_TRACE


def test_trace_fan_out_golden():
    _, out = _fan_out()
    assert viz.trace(out) == FAN_OUT_TRACE


def test_trace_forward_seed000_golden():
    *_, y = _seed000()
    assert viz.trace_forward(y) == "s1 = x1 * x2 = 2 * 5 = 10\ny = s1 + c = 10 + 3 = 13"


def test_trace_leaves_grad_untouched():
    x1, x2, c, y = _seed000()
    y.backward(retain_graph=True)
    viz.trace(y)
    viz.draw(y)
    assert (x1.grad.item(), x2.grad.item(), c.grad.item()) == (5.0, 2.0, 1.0)


def test_trace_fan_out_sums_parts_in_step():
    x = _named(cr.tensor(2.0, requires_grad=True), "x")
    h = _named(x.exp(), "h")
    out = _named(h * h, "out")
    assert "  dout/dh = 7.389 + 7.389 = 14.78  (summed over its uses)" in viz.trace(out)


def test_trace_matmul_shows_jacobian():
    w = _named(cr.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True), "w")
    x = _named(cr.tensor(np.array([2.0, 9.0])), "x")
    z = _named(w @ x, "z")
    text = viz.trace(z.sum())
    jacobian = "[[2, 9, 0, 0, 0, 0], [0, 0, 2, 9, 0, 0], [0, 0, 0, 0, 2, 9]]"
    assert f"dL/dw = dL/dz @ dz/dw = [1, 1, 1] @ {jacobian} = [[2, 9], [2, 9], [2, 9]]" in text


def test_trace_elementwise_shows_factors():
    x = _named(cr.tensor(np.array([0.0, 1.0]), requires_grad=True), "x")
    s = _named(x.sigmoid(), "s")
    text = viz.trace(s.sum())
    assert "dL/dx = dL/ds * ds/dx = [1, 1] * [0.25, 0.1966] = [0.25, 0.1966]" in text


def test_trace_big_node_skips_jacobian():
    x = _named(cr.tensor(np.ones(100), requires_grad=True), "x")
    text = viz.trace((x * 3).sum())
    assert "dL/dx = dL/dv1 through Mul.backward = (100,) array" in text


def test_trace_grads_match_engine(rng):
    w = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    x = cr.tensor(rng.standard_normal((5, 4)))
    loss = ((x @ w.T).tanh() ** 2).mean()
    loss.backward(retain_graph=True)
    walk = _backprop(loss, graph(loss))
    np.testing.assert_allclose(walk.grad(w), w.grad.data, rtol=1e-12)


def test_trace_after_plain_backward_same_text():
    *_, y = _seed000()
    y.backward()
    assert viz.trace(y) == SEED000_TRACE


def test_trace_non_scalar_needs_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        viz.trace(x * 2)


def test_trace_no_grad_tensor_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        viz.trace(cr.tensor(1.0) * 2)


# ---------------------------------------------------------------- modules
def test_capture_removes_its_hooks_after_error():
    model = _mlp()
    with pytest.raises(ValueError), viz.capture(model) as modules:
        assert all("forward" in m.__dict__ for m in model.modules() if m is not model)
        modules.model(cr.ones((1, 7)))
    assert all("forward" not in m.__dict__ for m in model.modules())


def test_capture_owner_of_each_node():
    model = _mlp()
    with viz.capture(model) as modules:
        out = model(cr.ones((2, 4)))
    relu_out = out._ctx.inputs[0]
    assert modules.owner(out) == "layers.2"
    assert modules.owner(relu_out) == "layers.1"
    assert modules.owner(model[0].weight) == "layers.0"


class _Between(nn.Module):
    """Two layers with an op of the module's own between them."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))

    def forward(self, x):
        return self.inner[1](self.inner[0](x).tanh())


def test_capture_owner_of_a_node_between_inner_modules():
    model = nn.Sequential(_Between())
    with viz.capture(model) as modules:
        out = model(cr.ones((2, 4)))
    tanh_out = out._ctx.inputs[0]
    assert modules.owner(out) == "layers.0.inner.layers.1"
    assert modules.owner(tanh_out) == "layers.0"  # reached through inner.1's node


def test_capture_constants_made_inside_belong_to_the_module():
    model = nn.Sequential(nn.Linear(4, 5), nn.Dropout(0.5))
    x = cr.randn(3, 4, seed=0)
    with viz.capture(model) as modules:
        out = model(x).sum()
    constants = [t for t in graph(out) if not t.requires_grad and t is not x]
    assert constants and {modules.owner(t) for t in constants} == {"layers.1"}  # the mask
    assert modules.owner(x) is None


def test_draw_modules_one_cluster_per_layer():
    model = _mlp()
    with viz.capture(model) as modules:
        loss = F.cross_entropy(model(cr.randn(8, 4, seed=0)), np.arange(8) % 3)
    dot = viz.draw(loss, modules=modules)
    for name, kind in [("layers_0", "Linear"), ("layers_1", "ReLU"), ("layers_2", "Linear")]:
        assert f"subgraph cluster_{name} {{" in dot
        assert f'label="{name.replace("_", ".")}: {kind}";' in dot
    assert 'label="layers.0.weight (5, 4)' in dot


def test_draw_modules_nested_clusters():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
            self.head = nn.Linear(2, 1)

        def forward(self, x):
            return self.head(self.body(x))

    net = Net()
    with viz.capture(net) as modules:
        out = net(cr.ones((1, 2))).sum()
    lines = viz.draw(out, modules=modules).splitlines()
    body = lines.index("  subgraph cluster_body {")
    inner = lines.index("    subgraph cluster_body_layers_0 {")
    head = lines.index("  subgraph cluster_head {")
    assert body < inner < head


def test_draw_collapse_one_node_per_layer():
    model = _mlp()
    with viz.capture(model) as modules:
        loss = F.cross_entropy(model(cr.randn(8, 4, seed=0)), np.arange(8) % 3)
    dot = viz.draw(loss, modules=modules, collapse=True)
    assert 'm_layers_0 [label="layers.0\\nLinear", shape=box3d];' in dot
    assert "m_layers_0 -> m_layers_1" in dot and "m_layers_1 -> m_layers_2" in dot
    assert "weight" not in dot and "cluster" not in dot
    assert dot.count(", color=red") == 4  # back into each layer and into the loss


def test_trace_modules_names_parameters():
    model = _mlp()
    with viz.capture(model) as modules:
        loss = model(cr.ones((1, 4))).sum()
    assert "dL/dlayers.2.bias = [1, 1, 1]" in viz.trace(loss, modules=modules)


# ---------------------------------------------------------------- saving and rendering
def test_draw_writes_dot_file(tmp_path):
    *_, y = _seed000()
    viz.draw(y, tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == SEED000_DOT


def test_draw_unknown_format_raises(tmp_path):
    *_, y = _seed000()
    with pytest.raises(ValueError, match="unknown format '.txt'"):
        viz.draw(y, tmp_path / "g.txt")


def _draw_svg_without(tmp_path, capsys) -> str:
    """draw to g.svg where rendering is impossible: the DOT text beside it, one line on stderr."""
    *_, y = _seed000()
    viz.draw(y, tmp_path / "g.svg")  # no exception: the drawing is not lost
    assert (tmp_path / "g.dot").read_text() == SEED000_DOT
    assert not (tmp_path / "g.svg").exists()
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"draw: wrote the DOT text to {tmp_path / 'g.dot'}; rendering g.svg needs" in err
    return err


def test_draw_without_dot_writes_dot_and_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    err = _draw_svg_without(tmp_path, capsys)
    assert "'dot' program (apt-get install graphviz" in err and "pip install" not in err


def test_draw_without_graphviz_package_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if not installed
    assert "the 'graphviz' Python package (pip install graphviz)" in _draw_svg_without(
        tmp_path, capsys
    )


@pytest.mark.skipif(not viz.can_render(), reason="needs the graphviz package and dot")
def test_draw_renders_svg(tmp_path):
    *_, y = _seed000()
    viz.draw(y, tmp_path / "g.svg")
    svg = (tmp_path / "g.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "x1 = 2" in svg


def test_draw_collapse_needs_modules():
    *_, y = _seed000()
    with pytest.raises(ValueError, match="collapse=True needs modules="):
        viz.draw(y, collapse=True)
