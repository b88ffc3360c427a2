"""The backend seam: tensors on array_api_strict arrays give NumPy's values and grads."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import optim

xp = pytest.importorskip("array_api_strict", reason="array-api-strict is not installed")


def _pair(values, requires_grad=True):
    array = np.asarray(values, dtype=np.float32)
    return cr.tensor(array, requires_grad=requires_grad), cr.tensor(array).to(xp).requires_grad_(
        requires_grad
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a / (b * b + 1),
        lambda a, b: (a * a + 1) ** b,
        lambda a, b: (-a).exp() + b.tanh() + b.sigmoid() + a.relu() + a.abs(),
        lambda a, b: (a * a + 1).log() + (b * b + 1).sqrt(),
        lambda a, b: cr.where(a > b, a, b),
    ],
)
def test_elementwise_forward_and_backward_match_numpy(f):
    rng = np.random.default_rng(0)
    a, a_x = _pair(rng.standard_normal((3, 4)))
    b, b_x = _pair(rng.standard_normal((3, 4)))
    out, out_x = f(a, b), f(a_x, b_x)
    assert type(out_x.data) is not np.ndarray
    np.testing.assert_allclose(out_x.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)
    seed = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(seed)
    out_x.backward(cr.tensor(seed).to(xp))
    for t, t_x in ((a, a_x), (b, b_x)):
        np.testing.assert_allclose(t_x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_to_and_device_round_trip():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    assert t.device == "cpu" and cr.device("cpu") == t.device
    moved = t.to(xp)
    assert moved.requires_grad and moved.is_leaf and moved.device == xp.asarray(1.0).device
    back = moved.to("cpu")
    assert type(back.data) is np.ndarray and back.device == "cpu"
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    kept = cr.tensor(xp.asarray([1.0, 2.0]))
    assert type(kept.data) is type(xp.asarray(1.0))


def test_device_names_and_cuda():
    assert (cr.device("cuda:1").type, cr.device("cuda:1").index) == ("cuda", 1)
    with pytest.raises(ValueError, match="device"):
        cr.device("tpu")
    assert cr.cuda.is_available() in (True, False)
    if not cr.cuda.is_available():
        try:
            import cupy  # noqa: F401
        except ImportError:
            with pytest.raises(RuntimeError, match="CuPy"):
                cr.tensor([1.0]).to("cuda")


def test_module_to_moves_parameters_in_place():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    weight = model.weight
    assert model.to(xp) is model
    assert model.weight is weight and opt.params[0] is weight
    assert type(weight.data) is not np.ndarray
    model.to("cpu")
    assert type(weight.data) is np.ndarray


def test_mixing_namespaces_names_the_op_and_both():
    a = cr.tensor(xp.asarray([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"Add: .*array_api_strict.*numpy"):
        a + cr.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Add: .*numpy.*array_api_strict"):
        cr.tensor([1.0, 2.0]) + a  # NumPy first: it would convert the other silently


def test_a_model_left_on_numpy_names_the_layer_and_both_places():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"Linear: .*array_api_strict.*numpy"):
        layer(cr.tensor(xp.asarray([[1.0, 2.0]], dtype=xp.float32)))
    layer.to(xp)
    with pytest.raises(TypeError, match=r"Linear: .*numpy.*array_api_strict"):
        layer(cr.tensor([[1.0, 2.0]]))


@pytest.mark.parametrize("make_opt", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9), optim.Adam])
def test_mlp_step_matches_numpy(make_opt):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    results = []
    for move in (False, True):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))
        if move:
            model.to(xp)
        opt = make_opt(model.parameters())
        xs, ys = cr.tensor(x), cr.tensor(y)
        if move:
            xs, ys = xs.to(xp), ys.to(xp)
        F.cross_entropy(model(xs), ys).backward()
        opt.step()
        results.append([p.numpy() for p in model.parameters()])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_cnn_step_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 6, 6)).astype(np.float32)
    grads = []
    for move in (False, True):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.MaxPool2d(2))
        xs = cr.tensor(x)
        if move:
            model.to(xp)
            xs = xs.to(xp)
        model(xs).sum().backward()
        grads.append([p.grad.numpy() for p in model.parameters()])
    for got, want in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
