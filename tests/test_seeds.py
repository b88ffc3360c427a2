"""Classic backprop worked examples, reproduced by the engine with their published numbers.

Multiply and add nodes (Y = X1 X2 + C), apples and oranges with tax, a 2-3-1 sigmoid network,
gradient descent, cross entropy and logistic regression, as backprop tutorials work them by
hand; "seed NNN" names the tutorial a section reproduces (not shipped with chainrule).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim


def _leaf(value):
    return cr.tensor(np.array(value, dtype=np.float64), requires_grad=True)


class MulNode(cr.Function):
    """A multiply node: remember both inputs, swap them on the way back."""

    def forward(self, x1, x2):
        self.x1, self.x2 = x1, x2
        return x1 * x2

    def backward(self, d):
        return d * self.x2, d * self.x1


class AddNode(cr.Function):
    """An add node: the upstream gradient passes to both inputs unchanged."""

    def forward(self, x1, x2):
        return x1 + x2

    def backward(self, d):
        return d, d


# ---------------------------------------------------------------- seed 000: Y = X1 X2 + C
def test_seed000_operators():
    x1, x2, c = _leaf(2.0), _leaf(5.0), _leaf(3.0)
    y = x1 * x2 + c
    y.backward()
    assert (y.item(), x1.grad.item(), x2.grad.item(), c.grad.item()) == (13.0, 5.0, 2.0, 1.0)


def test_seed000_function_nodes():
    x1, x2, c = _leaf(2.0), _leaf(5.0), _leaf(3.0)
    y = AddNode()(MulNode()(x1, x2), c)
    y.backward()
    assert (y.item(), x1.grad.item(), x2.grad.item(), c.grad.item()) == (13.0, 5.0, 2.0, 1.0)


# ---------------------------------------------------------------- seed 004: apples and oranges
class RecordingAdd(AddNode):
    """An add node that keeps the gradient it receives: d price / d all_price."""

    received: list[float] = []

    def backward(self, d):
        RecordingAdd.received.append(float(d))
        return super().backward(d)


def _fruit_graph(mul, add):
    leaves = {
        name: _leaf(v)
        for name, v in [
            ("apple", 100.0),
            ("apple_num", 2.0),
            ("orange", 150.0),
            ("orange_num", 3.0),
            ("tax", 1.1),
        ]
    }
    apple_price = mul(leaves["apple"], leaves["apple_num"])
    orange_price = mul(leaves["orange"], leaves["orange_num"])
    all_price = add(apple_price, orange_price)
    price = mul(all_price, leaves["tax"])
    price.backward()
    return price.item(), {k: t.grad.item() for k, t in leaves.items()}


_FRUIT_GRADS = {"apple": 2.2, "apple_num": 110.0, "orange": 3.3, "orange_num": 165.0, "tax": 650.0}


def test_seed004_fruit_price_operators():
    price, grads = _fruit_graph(lambda a, b: a * b, lambda a, b: a + b)
    assert price == pytest.approx(715.0)
    assert grads == pytest.approx(_FRUIT_GRADS)


def test_seed004_fruit_price_function_nodes():
    price, grads = _fruit_graph(lambda a, b: MulNode()(a, b), lambda a, b: AddNode()(a, b))
    assert price == pytest.approx(715.0)
    assert grads == pytest.approx(_FRUIT_GRADS)


def test_seed004_fruit_all_price_grad():
    RecordingAdd.received.clear()
    _fruit_graph(lambda a, b: MulNode()(a, b), lambda a, b: RecordingAdd()(a, b))
    assert RecordingAdd.received == [pytest.approx(1.1)]


# ---------------------------------------------------------------- seed 003: 2-3-1 network
# Inputs 2 and 9, target 0.92, sigmoid everywhere, cost 0.5 (y - o)^2 (its derivative o - y
# is the one the post uses). The post rounds to 4 decimals; ATOL covers that rounding.
ATOL = 6e-5
INPUTS = np.array([2.0, 9.0])
W_HIDDEN = np.array([[0.15, 0.23], [0.5, 0.8], [0.05, -0.05]])  # rows: (w0,w1) (w2,w3) (w4,w5)
B_HIDDEN = np.array([0.5, 0.5, 0.5])
W_OUT = np.array([[0.9, -0.5, 0.08]])  # (w6, w7, w8)
B_OUT = np.array([0.2])
TARGET = 0.92
for _constant in (INPUTS, W_HIDDEN, B_HIDDEN, W_OUT, B_OUT):
    _constant.setflags(write=False)  # each test copies them into fresh tensors


def _network_tensors():
    return {
        "w_hidden": _leaf(W_HIDDEN),
        "b_hidden": _leaf(B_HIDDEN),
        "w_out": _leaf(W_OUT),
        "b_out": _leaf(B_OUT),
    }


def _network_forward(p):
    x = cr.tensor(INPUTS)
    z_hidden = p["w_hidden"] @ x + p["b_hidden"]
    o_hidden = z_hidden.sigmoid()
    z3 = p["w_out"] @ o_hidden + p["b_out"]
    o3 = z3.sigmoid()
    cost = 0.5 * ((TARGET - o3) ** 2).sum()
    return o_hidden, z3, o3, cost


def _network_backward():
    p = _network_tensors()
    outputs = _network_forward(p)
    outputs[3].backward()
    return p, outputs


def _reference_grads():
    """The same chain rule written out in NumPy, float64, as the post does it by hand."""
    o = 1 / (1 + np.exp(-(W_HIDDEN @ INPUTS + B_HIDDEN)))
    o3 = 1 / (1 + np.exp(-(W_OUT @ o + B_OUT)))
    dz3 = (o3 - TARGET) * o3 * (1 - o3)
    dz = (W_OUT[0] * dz3) * o * (1 - o)
    return {
        "w_hidden": np.outer(dz, INPUTS),
        "b_hidden": dz,
        "w_out": dz3[:, None] * o[None, :],
        "b_out": dz3,
    }


def test_seed003_forward_hidden():
    o_hidden, _, _, _ = _network_forward(_network_tensors())
    np.testing.assert_allclose(o_hidden.data, [0.9463, 0.9998, 0.5374], atol=ATOL)


def test_seed003_forward_output():
    _, z3, o3, _ = _network_forward(_network_tensors())
    assert z3.item() == pytest.approx(0.5948, abs=ATOL)
    assert o3.item() == pytest.approx(0.6445, abs=ATOL)


def test_seed003_cost():
    _, _, _, cost = _network_forward(_network_tensors())
    # The post writes Cost = (y - o)^2 = 0.0759 but differentiates it as if it were
    # 0.5 (y - o)^2; the cost whose derivative is o - y is half of that.
    assert 2 * cost.item() == pytest.approx(0.0759, abs=ATOL)
    assert cost.item() == pytest.approx(0.0380, abs=ATOL)


def test_seed003_grads_match_numpy_chain_rule():
    p, _ = _network_backward()
    for name, expected in _reference_grads().items():
        np.testing.assert_allclose(p[name].grad.data, expected, rtol=1e-12, atol=1e-15)


def test_seed003_grads_output_layer():
    p, _ = _network_backward()
    assert p["b_out"].grad.item() == pytest.approx(-0.0631, abs=ATOL)  # dCost/dz3 = dCost/db3
    np.testing.assert_allclose(p["w_out"].grad.data[0], [-0.0597, -0.0631, -0.0339], atol=ATOL)


def test_seed003_grads_hidden_node0():
    p, _ = _network_backward()
    assert p["b_hidden"].grad.data[0] == pytest.approx(-0.0029, abs=ATOL)  # dz0 = db0
    assert p["w_hidden"].grad.data[0, 0] == pytest.approx(-0.0058, abs=ATOL)  # dw0
    # The post has dw1 = -0.0029 * 9 = -0.0261, multiplying the already rounded dz0;
    # exactly, dz0 = -0.0028852 and dw1 = -0.025967, i.e. -0.0260.
    assert p["w_hidden"].grad.data[0, 1] == pytest.approx(-0.0260, abs=ATOL)


def test_seed003_grads_hidden_node1_vanish():
    p, _ = _network_backward()
    # O1 = sigmoid(8.7) is saturated, so dz1 = db1, dw2 and dw3 are ~0. (The post writes
    # them as -0.0000 after flipping dCost/dO1 = +0.0316 to -0.0316 in its step 14; exactly
    # they are small and positive: dz1 = +5.26e-6.)
    assert p["b_hidden"].grad.data[1] == pytest.approx(5.2569e-6, rel=1e-3)
    np.testing.assert_allclose(p["w_hidden"].grad.data[1], [0.0, 0.0], atol=ATOL)


def test_seed003_grads_hidden_node2():
    p, _ = _network_backward()
    # The post's dz2 = db2 = -0.0012 multiplies the rounded dCost/dO2 = -0.0050 (exactly
    # -0.0050507) by 0.2486; exactly dz2 = -0.0012556, i.e. -0.0013. From the rounded dz2 it
    # then gets dw4 = -0.0012 * 2 = -0.0024 and dw5 = -0.0012 * 9 = -0.0108; exactly they are
    # -0.0025112 and -0.0113004.
    assert p["b_hidden"].grad.data[2] == pytest.approx(-0.0013, abs=ATOL)
    np.testing.assert_allclose(p["w_hidden"].grad.data[2], [-0.0025, -0.0113], atol=ATOL)


def _sgd_step(params):
    opt = optim.SGD(params, lr=0.5)
    opt.step()


def test_seed003_sgd_step_weights():
    p, _ = _network_backward()
    _sgd_step(list(p.values()))
    # Post: w0 0.1529, w2 0.5, w3 0.8. Its w1 0.2431, w4 0.0512 and w5 -0.0446 carry the
    # rounding slips of dw1, dw4, dw5 above; exactly they are 0.24298, 0.05126, -0.04435.
    np.testing.assert_allclose(
        p["w_hidden"].data, [[0.1529, 0.2430], [0.5, 0.8], [0.0513, -0.0443]], atol=ATOL
    )
    # Post: w6 0.9299, w8 0.09695; its w7 -0.4685 is -0.46845 rounded half up, exactly -0.46844.
    np.testing.assert_allclose(p["w_out"].data[0], [0.9299, -0.46845, 0.09695], atol=ATOL)


def test_seed003_sgd_step_biases():
    p, _ = _network_backward()
    _sgd_step(list(p.values()))
    assert p["b_hidden"].data[0] == pytest.approx(0.50145, abs=ATOL)
    assert p["b_out"].item() == pytest.approx(0.23155, abs=ATOL)
    # The post updates b1 with dCost/dO1 (0.0316 -> 0.4842) and b2 with dCost/dO2
    # (-0.005 -> 0.5025). The bias gradients are dCost/dz: db1 ~ 0 keeps b1 at 0.5 and
    # db2 = -0.0012556 moves b2 to 0.5006.
    assert p["b_hidden"].data[1] == pytest.approx(0.5, abs=ATOL)
    assert p["b_hidden"].data[2] == pytest.approx(0.5006, abs=ATOL)


def _linear_network():
    hidden, out = nn.Linear(2, 3), nn.Linear(3, 1)
    hidden.weight.data, hidden.bias.data = W_HIDDEN.copy(), B_HIDDEN.copy()
    out.weight.data, out.bias.data = W_OUT.copy(), B_OUT.copy()
    return hidden, out


def test_seed003_linear_layers_forward_backward_step():
    hidden, out = _linear_network()
    model = nn.Sequential(hidden, nn.Sigmoid(), out, nn.Sigmoid())
    o3 = model(cr.tensor(INPUTS[None, :]))
    assert o3.shape == (1, 1) and o3.item() == pytest.approx(0.6445, abs=ATOL)
    (0.5 * F.mse_loss(o3, cr.tensor(np.array([[TARGET]])), reduction="sum")).backward()
    expected = _reference_grads()
    np.testing.assert_allclose(hidden.weight.grad.data, expected["w_hidden"], rtol=1e-12)
    np.testing.assert_allclose(out.bias.grad.data, expected["b_out"], rtol=1e-12)
    _sgd_step(model.parameters())
    np.testing.assert_allclose(hidden.bias.data, [0.50145, 0.5, 0.5006], atol=ATOL)
    np.testing.assert_allclose(out.weight.data[0], [0.9299, -0.46845, 0.09695], atol=ATOL)


# ---------------------------------------------------------------- seed 004: gradient descent
def _square_sum(x):
    return x[0] ** 2 + x[1] ** 2


def test_seed004_gradient_descent_backward():
    x = _leaf([-3.0, 4.0])
    for _ in range(100):
        _square_sum(x).backward()
        with cr.no_grad():
            x.data -= 0.1 * x.grad.data
        x.grad = None
    np.testing.assert_allclose(x.data, 0.8**100 * np.array([-3.0, 4.0]), rtol=1e-9)
    assert np.abs(x.data).max() < 1e-8


def test_seed004_gradient_descent_sgd():
    x = _leaf([-3.0, 4.0])
    opt = optim.SGD([x], lr=0.1)
    for _ in range(100):
        opt.zero_grad()
        _square_sum(x).backward()
        opt.step()
    np.testing.assert_allclose(x.data, 0.8**100 * np.array([-3.0, 4.0]), rtol=1e-9)


def test_seed004_gradient_descent_numerical_grad():
    x = np.array([-3.0, 4.0])
    for _ in range(100):
        x -= 0.1 * cr.numerical_grad(lambda v: _square_sum(v), x, eps=1e-4)
    assert np.abs(x).max() < 1e-8


def test_seed004_numerical_grad_matches_backward():
    x = _leaf([-3.0, 4.0])
    _square_sum(x).backward()
    numeric = cr.numerical_grad(lambda v: _square_sum(v), x.data.copy(), eps=1e-4)
    np.testing.assert_allclose(x.grad.data, [-6.0, 8.0])
    np.testing.assert_allclose(numeric, x.grad.data, rtol=1e-8)


# ---------------------------------------------------------------- seed 004: cross entropy
def test_seed004_cross_entropy_one_hot():
    t = cr.tensor(np.array([1.0, 0.0, 0.0]))
    y = _leaf([0.6, 0.01, 0.4])
    loss = -(t * y.log()).sum()
    loss.backward()
    assert round(loss.item(), 2) == 0.51
    np.testing.assert_allclose(y.grad.data, [-1 / 0.6, 0.0, 0.0])  # dL/dy = -t / y


def test_seed004_cross_entropy_from_logits():
    logits = cr.tensor(np.log(np.array([[0.6, 0.1, 0.3]])))  # softmax(log p) = p
    assert F.cross_entropy(logits, [0]).item() == pytest.approx(-math.log(0.6))
    assert round(F.cross_entropy(logits, np.array([[1.0, 0.0, 0.0]])).item(), 2) == 0.51


# ---------------------------------------------------------------- seed 001: logistic regression
def _separable_blobs(n=100):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    centers = np.where(labels[:, None] == 1, [2.0, 2.0], [-2.0, -2.0])
    return centers + 0.7 * rng.standard_normal((n, 2)), labels.astype(np.float64)


def _train_logistic_regression():
    features, labels = _separable_blobs()
    w = _leaf(np.zeros(2))
    b = _leaf(0.0)
    x, y = cr.tensor(features), cr.tensor(labels)
    for _ in range(300):
        probs = (x @ w + b).sigmoid()
        loss = F.binary_cross_entropy(probs, y)
        w.grad = b.grad = None
        loss.backward()
        with cr.no_grad():
            w.data -= 0.5 * w.grad.data
            b.data -= 0.5 * b.grad.data
    return ((x @ w + b).sigmoid().data > 0.5) == labels.astype(bool), loss.item()


def test_seed001_logistic_regression_accuracy():
    correct, _ = _train_logistic_regression()
    assert correct.mean() == 1.0


def test_seed001_logistic_regression_loss():
    _, loss = _train_logistic_regression()
    assert loss < 0.05


def test_seed001_logistic_regression_gradient_formula():
    features, labels = _separable_blobs(8)
    w, b = _leaf([0.3, -0.2]), _leaf(0.1)
    probs = (cr.tensor(features) @ w + b).sigmoid()
    F.binary_cross_entropy(probs, cr.tensor(labels)).backward()
    dz = (probs.data - labels) / len(labels)  # dL/dz = a - y, averaged
    np.testing.assert_allclose(w.grad.data, features.T @ dz, rtol=1e-10)
    assert b.grad.item() == pytest.approx(dz.sum(), rel=1e-10)


def test_seed001_xor_mlp_sgd():
    rng = np.random.default_rng(0)
    x = cr.tensor(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]))
    y = np.array([0.0, 1.0, 1.0, 0.0])
    hidden, out = nn.Linear(2, 4), nn.Linear(4, 1)
    for layer in (hidden, out):
        layer.weight.data = rng.normal(0, 1, layer.weight.shape)
        layer.bias.data = np.zeros(layer.bias.shape)
    model = nn.Sequential(hidden, nn.Tanh(), out)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for _ in range(500):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x).reshape(4), cr.tensor(y))
        loss.backward()
        opt.step()
    predictions = model(x).data.reshape(4) > 0
    assert (predictions == y.astype(bool)).all() and loss.item() < 0.05
