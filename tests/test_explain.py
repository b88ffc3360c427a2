"""`chainrule explain`: the 2-3-1 network's numbers (as test_seeds asserts them) and --graph."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from chainrule.cli import main
from chainrule.explain import explain, load_function, seed_network
from chainrule.viz import render
from helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
ATOL = 6e-5  # the worked example rounds to 4 decimals, as in test_seeds


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return explain(seed_network, lr=0.5, path=tmp_path_factory.mktemp("explain") / "g.dot")


def _printed(text: str, pattern: str) -> float:
    """The number a report line ends with, e.g. ``o3 = Sigmoid(z3) = ... = 0.6445``."""
    match = re.search(pattern + r" = (-?[\d.e+-]+)$", text, re.MULTILINE)
    assert match, pattern
    return float(match.group(1))


# ---------------------------------------------------------------- the numbers, in full precision
def test_explain_cost(report):
    assert report.loss == pytest.approx(0.0380, abs=ATOL)
    assert 2 * report.loss == pytest.approx(0.0759, abs=ATOL)  # the post's (y - o3)^2


def test_explain_grads_output_layer(report):
    g = report.grads
    assert g["b3"] == pytest.approx(-0.0631, abs=ATOL)
    assert [g["w6"], g["w7"], g["w8"]] == pytest.approx([-0.0597, -0.0631, -0.0339], abs=ATOL)


def test_explain_grads_hidden_layer(report):
    g = report.grads
    assert [g["b0"], g["w0"], g["w1"]] == pytest.approx([-0.0029, -0.0058, -0.0260], abs=ATOL)
    assert g["b1"] == pytest.approx(5.2569e-6, rel=1e-3)
    assert [g["w2"], g["w3"]] == pytest.approx([0.0, 0.0], abs=ATOL)
    assert [g["b2"], g["w4"], g["w5"]] == pytest.approx([-0.0013, -0.0025, -0.0113], abs=ATOL)


def test_explain_updated_weights(report):
    new = report.after
    expected = [0.1529, 0.2430, 0.5, 0.8, 0.0513, -0.0443, 0.9299, -0.46845, 0.09695]
    assert [new[f"w{i}"] for i in range(9)] == pytest.approx(expected, abs=ATOL)
    expected_biases = [0.50145, 0.5, 0.5006, 0.23155]
    assert [new[f"b{i}"] for i in range(4)] == pytest.approx(expected_biases, abs=ATOL)


def test_explain_weights_before_step(report):
    assert report.before["w5"] == -0.05 and report.before["b3"] == 0.2


# ---------------------------------------------------------------- the printed report
def test_explain_prints_forward_pass(report):
    text = report.text
    assert "  z0 = z0' + b0 = 2.37 + 0.5 = 2.87" in text
    for name, value in [("o0", 0.9463), ("o1", 0.9998), ("o2", 0.5374), ("o3", 0.6445)]:
        assert _printed(text, rf"^  {name} = Sigmoid\(z\d\) = Sigmoid\([\d.]+\)") == pytest.approx(
            value, abs=ATOL
        )
    assert _printed(text, r"^  z3 = z3' \+ b3 = [\d.]+ \+ 0.2") == pytest.approx(0.5948, abs=ATOL)


def test_explain_prints_loss(report):
    assert _printed(report.text, r"^loss: cost") == pytest.approx(0.0380, abs=ATOL)


def test_explain_prints_every_backward_step(report):
    text = report.text
    assert "backward from cost, 25 steps" in text
    assert len(re.findall(r"^step \d+ ", text, re.MULTILINE)) == 25
    # The hand-worked steps 1-4 and 7-9, by the engine's numbers.
    assert "  dcost/do3 = dcost/de * de/do3 = 0.2755 * -1 = -0.2755" in text
    assert "  dcost/dz3 = dcost/do3 * do3/dz3 = -0.2755 * 0.2291 = -0.06313" in text
    assert "  dcost/dw6 = dcost/do0w6 * do0w6/dw6 = -0.06313 * 0.9463 = -0.05975" in text
    assert "  dcost/do0 = dcost/do0w6 * do0w6/do0 = -0.06313 * 0.9 = -0.05682" in text
    assert "  dcost/dz0 = dcost/do0 * do0/dz0 = -0.05682 * 0.05078 = -0.002885" in text


def test_explain_prints_updated_weights(report):
    text = report.text
    assert "SGD step, lr 0.5: new = old - lr * grad" in text
    assert "  w0 = 0.15 - 0.5 * -0.00577 = 0.1529" in text
    printed = {
        name: _printed(text, rf"^  {name} = -?[\d.]+ - 0.5 \* -?[\d.e+-]+")
        for name in ["w6", "w7", "w8", "b0", "b3"]
    }
    expected = {"w6": 0.9299, "w7": -0.46845, "w8": 0.09695, "b0": 0.50145, "b3": 0.23155}
    assert printed == pytest.approx(expected, abs=1e-4)  # printed to 4 significant digits


def test_explain_writes_drawing(report):
    assert report.drawing.read_text().startswith("digraph chainrule {")
    assert 'label="w0 = 0.15\\ngrad -0.00577"' in report.drawing.read_text()


# ---------------------------------------------------------------- the command
def test_explain_cli_prints_report(tmp_path, capsys):
    assert main(["explain", "--out", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    header = out.split("\n\n")[0]
    assert header.startswith("chainrule explain: a 2-3-1 network with fixed weights")
    assert "  2 inputs: x0 = 2, x1 = 9; target y = 0.92" in header
    assert "  3 hidden sigmoid units: o0 = Sigmoid(x0 w0 + x1 w1 + b0)" in header
    assert "  1 sigmoid output:       o3 = Sigmoid(o0 w6 + o1 w7 + o2 w8 + b3)" in header
    assert "  weights w0..w8 = 0.15, 0.23, 0.5, 0.8, 0.05, -0.05, 0.9, -0.5, 0.08" in header
    assert "  biases b0..b3 = 0.5, 0.5, 0.5, 0.2" in header
    assert "seed" not in out  # a newcomer cannot know what chainrule was written from
    assert f"graph drawing: {tmp_path / 'g.dot'}" in out
    assert (tmp_path / "g.dot").exists()


def test_explain_help_says_what_the_network_is(capsys):
    with pytest.raises(SystemExit):
        main(["explain", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "inputs x0 = 2, x1 = 9, target 0.92, 3 hidden sigmoid units, 1 sigmoid output" in text
    assert "seed" not in text


def test_explain_cli_lr(tmp_path, capsys):
    assert main(["explain", "--lr", "1", "--out", str(tmp_path / "g.dot")]) == 0
    assert "  w0 = 0.15 - 1 * -0.00577 = 0.1558" in capsys.readouterr().out


@pytest.mark.parametrize("missing", ["dot", "graphviz"])
def test_explain_cli_without_graphviz_writes_dot_and_one_line(
    tmp_path, capsys, monkeypatch, missing
):
    if missing == "dot":
        monkeypatch.setattr(render.shutil, "which", lambda name: None)
    else:
        monkeypatch.setitem(sys.modules, "graphviz", None)  # as if not installed
    assert main(["explain", "--out", str(tmp_path / "g.svg")]) == 0
    captured = capsys.readouterr()
    (line,) = [line for line in captured.out.splitlines() if line.startswith("graph drawing")]
    assert line.startswith(f"graph drawing: {tmp_path / 'g.dot'} (DOT text; rendering g.svg needs")
    assert ("apt-get install graphviz" if missing == "dot" else "pip install graphviz") in line
    assert captured.err == ""  # that line only, no second message from draw
    assert (tmp_path / "g.dot").exists() and not (tmp_path / "g.svg").exists()


def test_explain_cli_graph_example(tmp_path, capsys):
    spec = f"{ROOT / 'examples' / 'add_mul_graph.py'}:graph"
    assert main(["explain", "--graph", spec, "--out", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    assert "  y = s1 + c = 10 + 3 = 13" in out
    assert "  dy/dx1 = dy/ds1 * ds1/dx1 = 1 * 5 = 5" in out
    assert "  x1 = 2 - 0.5 * 5 = -0.5" in out


def test_explain_cli_graph_unnamed_function(tmp_path, capsys):
    source = "import chainrule as cr\n\ndef f():\n    w = cr.tensor(3.0, requires_grad=True)\n"
    (tmp_path / "mine.py").write_text(source + "    return (w * w).sum()\n")
    out_path = str(tmp_path / "g.dot")
    assert main(["explain", "--graph", f"{tmp_path / 'mine.py'}:f", "--out", out_path]) == 0
    out = capsys.readouterr().out
    assert "  dL/dp0 = 3 + 3 = 6" in out  # w is used twice: the parts add up
    assert "  p0 = 3 - 0.5 * 6 = 0" in out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nofile.py:f", "no such file 'nofile.py'"),
        ("just_a_name", "wants FILE.py:FUNCTION"),
        ("{mine}:missing", "has no function 'missing'"),
        ("{mine}:vector", "must return a one-element Tensor"),
        ("{mine}:broken", "failed: ZeroDivisionError"),
    ],
)
def test_explain_cli_graph_errors(tmp_path, capsys, spec, message):
    mine = tmp_path / "mine.py"
    mine.write_text(
        "import chainrule as cr\n\n"
        "def vector():\n    return cr.tensor([1.0, 2.0], requires_grad=True) * 2\n\n"
        "def broken():\n    return 1 / 0\n"
    )
    assert main(["explain", "--graph", spec.format(mine=mine)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule explain: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_explain_module_entry_point(tmp_path):
    done = run_cli("explain", "--out", str(tmp_path / "g.dot"))
    assert done.returncode == 0, done.stderr
    assert "  o3 = Sigmoid(z3) = Sigmoid(0.5948) = 0.6445" in done.stdout


def test_explain_graph_from_a_non_python_file_is_a_clear_error(tmp_path):
    data = tmp_path / "notes.txt"
    data.write_text("def loss(): pass\n")
    with pytest.raises(ValueError, match="is not a Python file"):
        load_function(f"{data}:loss")
