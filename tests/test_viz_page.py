"""cr.viz.html's data against viz.trace and the engine: nodes, edges, steps, numbers, layout."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import viz
from chainrule.autograd import graph
from chainrule.cli import main
from chainrule.explain import SEED_LR, explain, seed_network
from chainrule.viz import layout as layout_module
from chainrule.viz.page import page_data


def _trace_steps(page: dict) -> str:
    """The step lines of ``viz.trace`` rebuilt from the page's data."""
    lines = []
    for number, step in enumerate(page["steps"], 1):
        lines.append(f"step {number}  {step['head']}")
        if step["total"]:
            lines.append(f"  {step['total']}")
        lines += [f"  {term['formula']} = {term['numbers']}" for term in step["terms"]]
    return "\n".join(lines)


def _traced_steps(tensor, **kwargs) -> str:
    text = viz.trace(tensor, **kwargs)
    return text[text.index("\n") + 1 : text.index("\ngradients of the leaves")]


def _fan_out():
    x = cr.tensor(3.0, requires_grad=True)
    x.name = "x"
    return x, x * x + 2 * x


def _mlp_loss(depth: int = 2, width: int = 3):
    rng = np.random.default_rng(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    for p in model.parameters():
        p.data = rng.standard_normal(p.shape)
    x = cr.tensor(rng.standard_normal((2, width)))
    with viz.capture(model) as modules:
        loss = F.mse_loss(model(x), cr.zeros((2, width), dtype=np.float64))
    return loss, modules


def _number(text: str) -> float:
    return float(text.split()[-1])


# ---------------------------------------------------------------- the same steps as viz.trace
@pytest.mark.parametrize("build", ["seed", "fan_out", "mlp"])
def test_page_steps_are_the_trace_steps(build):
    if build == "seed":
        loss, modules = seed_network(), None
    elif build == "fan_out":
        loss, modules = _fan_out()[1], None
    else:
        loss, modules = _mlp_loss()
    page = page_data(loss, modules=modules)
    assert _trace_steps(page) == _traced_steps(loss, modules=modules)


def test_page_seed_network_step_numbers():
    page = page_data(seed_network())
    assert len(page["steps"]) == 25
    step = page["steps"][3]
    assert step["head"] == "o3 = Sigmoid(z3) = 0.6445"
    [term] = step["terms"]
    assert term["formula"] == "dcost/dz3 = dcost/do3 * do3/dz3"
    assert term["numbers"] == "-0.2755 * 0.2291 = -0.06313"
    edge = next(e for e in page["edges"] if e["id"] == term["edge"])
    nodes = {n["id"]: n for n in page["nodes"]}
    assert nodes[edge["dst"]]["lines"] == ["o3 = 0.6445"] and nodes[edge["dst"]]["op"] == "Sigmoid"
    assert nodes[edge["src"]]["lines"] == ["z3 = 0.5948"]
    assert nodes[step["node"]] is nodes[edge["dst"]]


def test_page_edge_grads_are_the_walks_grads():
    loss = seed_network()
    page = page_data(loss, digits=6)
    from chainrule.viz.walk import _backprop

    walk = _backprop(loss, graph(loss))
    for step, walked in zip(page["steps"], walk.steps):
        grads = [g for g in walked.grads if g is not None]
        assert [float(term["grad"]) for term in step["terms"]] == pytest.approx(
            [float(g) for g in grads], rel=1e-5
        )


def test_page_node_grads_end_at_the_engines_grads():
    loss = seed_network()
    page = page_data(loss, digits=8)
    loss.backward()
    leaves = {t.name: t for t in graph(loss) if t._ctx is None and t.requires_grad}
    seen = 0
    for node in page["nodes"]:
        name = node["lines"][0].split(" = ")[0]
        if name in leaves:
            assert float(node["grads"][-1][1]) == pytest.approx(leaves[name].grad.item(), rel=1e-7)
            seen += 1
    assert seen == 13


def test_page_grads_sum_over_uses_step_by_step():
    x, out = _fan_out()
    page = page_data(out)
    [node] = [n for n in page["nodes"] if n["lines"] == ["x = 3"]]
    assert node["grads"] == [[2, "3"], [2, "6"], [3, "8"]]  # x * x gives 3 twice, 2 * x gives 2
    root = next(n for n in page["nodes"] if n["kind"] == "root")
    assert root["grads"] == [[1, "1"]]


def test_page_nodes_and_edges_are_the_graph():
    loss = seed_network()
    order = graph(loss)
    page = page_data(loss)
    assert len(page["nodes"]) == len(order) == 43
    assert len(page["edges"]) == sum(len(t._ctx.inputs) for t in order if t._ctx is not None)
    ids = {n["id"] for n in page["nodes"]}
    assert all(e["src"] in ids and e["dst"] in ids for e in page["edges"])
    kinds = [n["kind"] for n in page["nodes"]]
    assert kinds.count("param") == 13 and kinds.count("root") == 1


def test_page_update_is_explains_sgd_step(tmp_path):
    report = explain(seed_network, SEED_LR, html=tmp_path / "p.html")
    page = page_data(seed_network(), lr=SEED_LR, digits=10)
    names = [row["line"].split(" = ")[0] for row in page["update"]]
    assert sorted(names) == sorted(report.after)
    for name, row in zip(names, page["update"]):
        assert float(row["new"]) == pytest.approx(float(report.after[name]), rel=1e-9)
    page4 = page_data(seed_network(), lr=SEED_LR)
    assert "w0 = 0.15 - 0.5 * -0.00577 = 0.1529" in [row["line"] for row in page4["update"]]


def test_page_leaves_grad_alone():
    x, out = _fan_out()
    viz.html(out)
    assert x.grad is None


# ---------------------------------------------------------------- modules: clusters, collapse
def test_page_clusters_from_capture():
    loss, modules = _mlp_loss()
    page = page_data(loss, modules=modules)
    assert [c["name"] for c in page["clusters"]] == ["layers.0", "layers.1", "layers.2", "layers.3"]
    assert page["clusters"][0]["label"] == "layers.0: Linear"
    owned = {n["lines"][0].split(" ")[0]: n["cluster"] for n in page["nodes"]}
    assert owned["layers.2.weight"] == "layers.2"
    assert not page["collapsed"]


def test_page_big_graph_collapses_to_one_node_per_layer():
    loss, modules = _mlp_loss(depth=25)
    full = page_data(loss, modules=modules, collapse=False)
    page = page_data(loss, modules=modules)
    assert len(full["nodes"]) > 80 and page["collapsed"]
    modules_shown = [n for n in page["nodes"] if n["kind"] == "module"]
    assert len(modules_shown) == 50
    assert modules_shown[0]["lines"] == ["layers.0", "Linear"]
    ids = {n["id"] for n in page["nodes"]}
    edges = {e["id"] for e in page["edges"]}
    assert len(page["steps"]) == len(full["steps"])  # the same walk, shown on fewer nodes
    assert all(step["node"] in ids for step in page["steps"])
    assert all(t["edge"] in edges for step in page["steps"] for t in step["terms"] if t["edge"])


def test_page_collapse_needs_modules():
    with pytest.raises(ValueError, match="collapse=True needs modules"):
        viz.html(_fan_out()[1], collapse=True)


# ---------------------------------------------------------------- layout
def _overlaps(boxes: dict) -> list:
    found, items = [], list(boxes.items())
    for i, (a, (xa, ya, wa, ha)) in enumerate(items):
        for b, (xb, yb, wb, hb) in items[i + 1 :]:
            if abs(xa - xb) < (wa + wb) / 2 and abs(ya - yb) < (ha + hb) / 2:
                found.append((a, b))
    return found


def test_layout_without_dot_lays_out_in_layers(monkeypatch):
    monkeypatch.setattr(layout_module.shutil, "which", lambda name: None)
    page = viz.html(seed_network())
    laid = page.data["layout"]
    assert laid["engine"] == "chainrule's layered layout (Graphviz's dot is not installed)"
    assert set(laid["nodes"]) == {n["id"] for n in page.data["nodes"]}
    assert _overlaps(laid["nodes"]) == []
    x = {key: box[0] for key, box in laid["nodes"].items()}
    assert all(x[e["src"]] < x[e["dst"]] for e in page.data["edges"])  # left to right
    assert "layout: " in page.text


def test_layout_of_a_graph_too_big_for_dot_says_so(monkeypatch):
    monkeypatch.setattr(layout_module.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(layout_module, "_DOT_MAX_NODES", 3)
    laid = viz.html(seed_network()).data["layout"]
    why = "over 3 nodes, too many for dot to be quick"
    assert laid["engine"] == f"chainrule's layered layout ({why})"


@pytest.mark.skipif(layout_module.shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_layout_with_dot():
    loss, modules = _mlp_loss()
    page = viz.html(loss, modules=modules)
    laid = page.data["layout"]
    assert laid["engine"].startswith("Graphviz dot")
    assert _overlaps(laid["nodes"]) == []
    assert set(laid["clusters"]) == {"layers.0", "layers.1", "layers.2", "layers.3"}
    x = {key: box[0] for key, box in laid["nodes"].items()}
    assert all(x[e["src"]] < x[e["dst"]] for e in page.data["edges"])
    assert all(laid["edges"][e["id"]]["d"].startswith("M") for e in page.data["edges"])


# ---------------------------------------------------------------- the file
def test_html_file_is_self_contained(tmp_path):
    path = tmp_path / "page.html"
    page = viz.html(seed_network(), path, lr=0.5)
    text = path.read_text()
    assert text == page.text
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    assert re.findall(r"(?:src|href)=\"([^\"]*)\"", text) == ["data:,"]
    data = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', text, re.S)
    assert json.loads(data.group(1)) == json.loads(json.dumps(page.data))


def test_html_escapes_a_closing_script_tag_in_a_name():
    x = cr.tensor(2.0, requires_grad=True)
    x.name = "</script><b>"
    text = viz.html(x * x).text
    data = re.search(r'id="page-data">(.*?)</script>', text, re.S).group(1)
    assert json.loads(data)["nodes"][0]["lines"] == ["</script><b> = 2"]


def test_page_shows_itself_in_jupyter():
    page = viz.html(_fan_out()[1])
    shown = page._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;script" in shown and "<script" not in shown


def test_explain_cli_writes_the_page(tmp_path, capsys):
    path = tmp_path / "explain.html"
    assert main(["explain", "--html", str(path), "--out", str(tmp_path / "g.dot")]) == 0
    assert f"interactive page: {path}" in capsys.readouterr().out
    assert "a 2-3-1 network with fixed weights" in path.read_text()


def test_explain_cli_graph_page(tmp_path, capsys):
    path = tmp_path / "mine.html"
    spec = "examples/add_mul_graph.py:graph"
    argv = ["explain", "--graph", spec, "--html", str(path), "--out", str(tmp_path / "g.dot")]
    assert main(argv) == 0
    page = path.read_text()
    assert f"chainrule: {spec}" in page and '"y = 13"' in page and '"x1 = 2"' in page
