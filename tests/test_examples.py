"""Every script in examples/ runs (``python examples/NAME.py``) and prints the worked numbers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# For each example, lines its output must contain (a line may be a regex, marked by re:).
EXPECTED = {
    "add_mul_graph": ["Y: 13", "dY/dX1: 5", "dY/dX2: 2", "dY/dC: 1", "  dy/dx1 = 5"],
    "apple_orange": [
        "price: 715",
        "dprice/dapple: 2.2",
        "dprice/dapple_num: 110",
        "dprice/dorange: 3.3",
        "dprice/dorange_num: 165",
        "dprice/dtax: 650",
        "  dprice/dall_price = dprice/dprice * dprice/dall_price = 1 * 1.1 = 1.1",
    ],
    "network_2_3_1": [
        "o3: 0.6445",
        "cost: 0.0380  (0.5 (y - o3)^2; (y - o3)^2 = 0.0759)",
        "dcost/db3: -0.0631",
        "dcost/dw6..w8: -0.0597, -0.0631, -0.0339",
        "dcost/dw0..w5: -0.0058, -0.0260, 0.0000, 0.0000, -0.0025, -0.0113",
        "new w0..w5: 0.1529, 0.2430, 0.5000, 0.8000, 0.0513, -0.0443",
        "new w6..w8: 0.9299, -0.4684, 0.0970",
        "new b0..b3: 0.5014, 0.5000, 0.5006, 0.2316",
    ],
    "logistic_regression": [
        "first step dL/dw: backprop (-1.0460, -1.0219), by hand (-1.0460, -1.0219)",
        "accuracy: 1.00",
        r"re:loss: 0\.00\d\d",
    ],
    "xor_mlp": ["correct: 4/4", r"re:loss: 0\.000\d", r"re:xor\(0, 1\) = 0\.9\d\d"],
    "gradient_descent": [
        "f(start): 25",
        "backprop: x = (-6.111108e-10, 8.148144e-10)",
        "numerical: x = (-6.111108e-10, 8.148144e-10)",
        "exact: x = (-6.111108e-10, 8.148144e-10)",
    ],
    "numerical_gradient": [
        "dcost/dw0  backprop -0.00577043  numerical -0.00577043",
        "dcost/db3  backprop -0.06313401  numerical -0.06313401",
        r"re:max difference: \d\.\d\de-1[0-2]",
        "gradcheck: True",
    ],
    "pytorch_mnist": [  # PyTorch's classic example, its first loss that of 10 even classes
        r"re:Train Epoch: 1 \[0/320 \(0%\)\]\tLoss: 2\.[23]\d{5}",
        r"re:Train Epoch: 1 \[256/320 \(80%\)\]\tLoss: [0-2]\.\d{6}",
        # learning: a test loss under ln 10 and an accuracy of 20% or more after 5 steps
        r"re:Test set: Average loss: [01]\.\d{4}, Accuracy: \d+/320 \((?:[2-9]\d|100)%\)",
    ],
}
ARGUMENTS = {"pytorch_mnist": ["--epochs", "1", "--limit", "320", "--log-interval", "4"]}


def test_examples_all_have_expectations():
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_examples_run(name):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *ARGUMENTS.get(name, [])],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for expected in EXPECTED[name]:
        if expected.startswith("re:"):
            assert any(re.fullmatch(expected[3:], line) for line in lines), expected
        else:
            assert expected in lines, expected


def test_examples_add_mul_graph_draws(tmp_path):
    path = tmp_path / "graph.dot"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "add_mul_graph.py"), str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert 'label="y = 13\\ngrad 1"' in path.read_text()
