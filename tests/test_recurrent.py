"""nn.RNN / nn.GRU / nn.LSTM and their cells against PyTorch with copied weights: outputs,
final states and every gradient (input, h0/c0, each parameter) in float64 and float32, for
odd lengths, batch 1, batch_first True and False, unbatched input, stacked and bidirectional
layers; state-dict names and init; inter-layer dropout; and a double-backward gradcheck.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

TOLERANCES = {np.float64: (1e-10, 1e-12), np.float32: (3e-5, 3e-5)}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
KINDS = ["RNN", "GRU", "LSTM"]


def _pair(kind, dtype, seed=0, **kwargs):
    """Our layer and torch's, torch's weights copied into ours."""
    if not kind.endswith("Cell"):
        kwargs.setdefault("batch_first", True)
    torch.manual_seed(seed)
    theirs = getattr(torch.nn, kind)(**kwargs).to(TORCH_DTYPE[dtype])
    ours = getattr(nn, kind)(**kwargs, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _check(ours, theirs, x, states, dtype):
    """Same outputs, final states and gradients of x, of each given state, of each parameter."""
    rtol, atol = TOLERANCES[dtype]
    lstm = isinstance(theirs, (torch.nn.LSTM, torch.nn.LSTMCell))
    cell = isinstance(theirs, torch.nn.RNNCellBase)
    x = x.astype(dtype)
    mine = [cr.tensor(x, requires_grad=True)]
    ref = [torch.tensor(x, requires_grad=True)]
    for s in states:
        mine.append(None if s is None else cr.tensor(s.astype(dtype), requires_grad=True))
        ref.append(None if s is None else torch.tensor(s.astype(dtype), requires_grad=True))
    if lstm:
        hx_m = None if mine[1] is None else (mine[1], mine[2])
        hx_t = None if ref[1] is None else (ref[1], ref[2])
    else:
        hx_m, hx_t = mine[1], ref[1]
    if cell:
        got, expected = ours(mine[0], hx_m), theirs(ref[0], hx_t)
        if not lstm:
            got, expected = (got,), (expected,)
    else:
        out_m, h_m = ours(mine[0], hx_m)
        out_t, h_t = theirs(ref[0], hx_t)
        got = (out_m, *h_m) if lstm else (out_m, h_m)
        expected = (out_t, *h_t) if lstm else (out_t, h_t)
    rng = np.random.default_rng(7)
    loss_m = loss_t = 0
    for i, (a, b) in enumerate(zip(got, expected)):
        assert a.shape == tuple(b.shape), f"result {i}"
        assert a.dtype == dtype, f"result {i}"
        np.testing.assert_allclose(
            a.data, b.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"result {i}"
        )
        w = rng.standard_normal(a.shape).astype(dtype)
        loss_m = loss_m + (a * cr.tensor(w)).sum()
        loss_t = loss_t + (b * torch.tensor(w)).sum()
    loss_m.backward()
    loss_t.backward()
    for i, (a, b) in enumerate(zip(mine, ref)):
        if a is not None:
            assert a.grad is not None, f"input {i}"
            np.testing.assert_allclose(
                a.grad.data, b.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"input grad {i}"
            )
    params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        assert params[name].grad is not None, name
        np.testing.assert_allclose(
            params[name].grad.data, p.grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )


def _normal(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


CASES = {
    # name: (kwargs, batch, length, h0 given)
    "one-layer": (dict(input_size=3, hidden_size=4), 2, 5, False),
    "h0-given": (dict(input_size=3, hidden_size=4), 3, 7, True),
    "batch-1-length-1": (dict(input_size=2, hidden_size=3), 1, 1, True),
    "time-major": (dict(input_size=3, hidden_size=4, batch_first=False), 2, 3, True),
    "two-layers": (dict(input_size=3, hidden_size=4, num_layers=2), 2, 5, True),
    "two-layers-no-h0": (dict(input_size=2, hidden_size=5, num_layers=2), 1, 9, False),
    "long-odd": (dict(input_size=2, hidden_size=3), 2, 37, True),
    "no-bias": (dict(input_size=3, hidden_size=4, bias=False), 2, 3, True),
    "bidirectional": (dict(input_size=3, hidden_size=4, bidirectional=True), 2, 5, True),
    "bidirectional-two-layers": (
        dict(input_size=3, hidden_size=2, num_layers=2, bidirectional=True, batch_first=False),
        3,
        4,
        False,
    ),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch(kind, case, dtype):
    kwargs, batch, length, given = CASES[case]
    kwargs = {"batch_first": True, **kwargs}
    ours, theirs = _pair(kind, dtype, **kwargs)
    first = (batch, length) if kwargs["batch_first"] else (length, batch)
    x = _normal(*first, kwargs["input_size"])
    d = 2 if kwargs.get("bidirectional") else 1
    shape = (kwargs.get("num_layers", 1) * d, batch, kwargs["hidden_size"])
    states = [_normal(*shape, seed=2) if given else None]
    if kind == "LSTM":
        states.append(_normal(*shape, seed=3) if given else None)
    _check(ours, theirs, x, states, dtype)


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_input(kind, given):
    ours, theirs = _pair(kind, np.float64, input_size=3, hidden_size=4, num_layers=2)
    states = [_normal(2, 4, seed=2) if given else None]
    if kind == "LSTM":
        states.append(_normal(2, 4, seed=3) if given else None)
    _check(ours, theirs, _normal(5, 3), states, np.float64)


def test_relu_nonlinearity():
    kwargs = dict(input_size=3, hidden_size=4, nonlinearity="relu", num_layers=2)
    ours, theirs = _pair("RNN", np.float64, **kwargs)
    _check(ours, theirs, _normal(2, 6, 3), [_normal(2, 2, 4, seed=2)], np.float64)
    assert "nonlinearity='relu'" in repr(ours)


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_names_shapes_and_init(kind):
    kwargs = dict(input_size=3, hidden_size=16, num_layers=2, bidirectional=True)
    ours = getattr(nn, kind)(**kwargs)
    theirs = getattr(torch.nn, kind)(**kwargs)
    mine, ref = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(ref)
    for key in ref:
        assert mine[key].shape == tuple(ref[key].shape), key
        assert mine[key].dtype == np.float32
        bound = 1 / math.sqrt(16)
        assert np.all(np.abs(mine[key]) <= bound) and mine[key].std() > bound / 3, key
    assert len(ours.all_weights) == 4 and len(ours.all_weights[0]) == 4


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cells_match_torch(kind, dtype):
    ours, theirs = _pair(kind, dtype, input_size=3, hidden_size=4)
    count = 2 if kind == "LSTMCell" else 1
    _check(ours, theirs, _normal(2, 3), [_normal(2, 4, seed=s) for s in range(2, 2 + count)],
           dtype)  # fmt: skip
    _check(ours, theirs, _normal(3), [_normal(4, seed=s) for s in range(2, 2 + count)], dtype)
    _check(ours, theirs, _normal(1, 3), [None] * count, dtype)


def test_dropout_between_layers_only_in_training():
    ours, theirs = _pair("GRU", np.float64, input_size=3, hidden_size=4, num_layers=2)
    x = _normal(2, 5, 3)
    cr.nn.init.manual_seed(0)
    out_a, _ = ours(x)
    ours.dropout = 0.5
    ours.rng = np.random.default_rng(0)
    out_b, _ = ours(x)
    assert not np.allclose(out_a.data, out_b.data)
    ours.eval()
    out_c, h_c = ours(x)
    expected, h_t = theirs(torch.tensor(x))
    np.testing.assert_allclose(out_c.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_c.data, h_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    # the dropped-out first layer's output feeds the second, so the first layer's h_n is kept
    ours.train()
    _, h_b = ours(x)
    np.testing.assert_allclose(h_b.data[0], h_t.detach().numpy()[0], rtol=1e-10, atol=1e-12)


def test_dropout_mask_matches_a_manual_two_layer_stack():
    ours = nn.LSTM(3, 4, num_layers=2, dropout=0.25, dtype=np.float64)
    first, second = nn.LSTM(3, 4, dtype=np.float64), nn.LSTM(4, 4, dtype=np.float64)
    state = ours.state_dict()
    first.load_state_dict({k: state[k] for k in first.state_dict()})
    second.load_state_dict({k.replace("l0", "l0"): state[k.replace("l0", "l1")]
                            for k in second.state_dict()})  # fmt: skip
    x = _normal(2, 5, 3)
    ours.rng = np.random.default_rng(3)
    out, (h, c) = ours(x)
    mid, _ = first(x)
    mask = np.random.default_rng(3).random((5, 2, 4)) >= 0.25  # drawn time-major
    dropped = mid.data * mask.transpose(1, 0, 2) / 0.75
    expected, _ = second(dropped)
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_double_backward_gradcheck(kind):
    """gradcheck of d loss / d (x, h0, weight_hh): second derivatives through time."""
    model = getattr(nn, kind)(2, 2, num_layers=1, dtype=np.float64)
    lstm = kind == "LSTM"
    weights = np.random.default_rng(5).standard_normal((2, 3, 2))

    def grad_of_loss(x, h0, w_hh):
        model.weight_hh_l0 = w_hh
        out, h = model(x, (h0, h0 * 0.5) if lstm else h0)
        h = h[0] if lstm else h
        loss = (out * out * cr.tensor(weights)).sum() + (h * h).sum()
        loss.backward(create_graph=True)
        grads = [t.grad for t in (x, h0, w_hh)]
        for t in (x, h0, w_hh):
            t.grad = None
        return cr.concat([g.reshape(-1) for g in grads])

    inputs = [_normal(2, 3, 2), _normal(1, 2, 2, seed=2), _normal(2 * {"RNN": 1, "GRU": 3,
              "LSTM": 4}[kind], 2, seed=3) * 0.5]  # fmt: skip
    assert cr.gradcheck(grad_of_loss, inputs)


def test_hessian_vector_product_matches_torch():
    ours, theirs = _pair("LSTM", np.float64, input_size=2, hidden_size=3, num_layers=2)
    x = _normal(2, 4, 2)
    v = _normal(2, 4, 2, seed=9)
    mine = cr.tensor(x, requires_grad=True)
    out, (h, c) = ours(mine)
    ((out * out).sum() + (c * h).sum()).backward(create_graph=True)
    g, mine.grad = mine.grad, None
    (g * cr.tensor(v)).sum().backward()
    ref = torch.tensor(x, requires_grad=True)
    out_t, (h_t, c_t) = theirs(ref)
    (g_t,) = torch.autograd.grad((out_t * out_t).sum() + (c_t * h_t).sum(), ref,
                                 create_graph=True)  # fmt: skip
    (hv_t,) = torch.autograd.grad((g_t * torch.tensor(v)).sum(), ref)
    np.testing.assert_allclose(g.data, g_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mine.grad.data, hv_t.numpy(), rtol=1e-9, atol=1e-11)


def test_errors_name_the_layer_and_shapes():
    rnn = nn.GRU(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"GRU: input of shape \(2, 5, 7\) does not match"):
        rnn(np.zeros((2, 5, 7), dtype=np.float32))
    with pytest.raises(ValueError, match="GRU: input must be 2-D"):
        rnn(np.zeros((5,), dtype=np.float32))
    with pytest.raises(ValueError, match=r"GRU: hx of shape \(1, 2, 4\) does not match .*"
                       r"\(2, 2, 4\)"):  # fmt: skip
        rnn(np.zeros((2, 5, 3), dtype=np.float32), np.zeros((1, 2, 4), dtype=np.float32))
    with pytest.raises(TypeError, match="LSTM: hx must be a tuple"):
        nn.LSTM(3, 4)(np.zeros((2, 5, 3), dtype=np.float32), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="RNN: nonlinearity must be"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTM: num_layers must be positive"):
        nn.LSTM(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="LSTMCell: input of shape"):
        nn.LSTMCell(3, 4)(np.zeros((2, 5), dtype=np.float32))


def test_trains_and_repr():
    cr.nn.init.manual_seed(0)
    model = nn.LSTM(1, 8)
    head = nn.Linear(8, 1)
    params = list(model.parameters()) + list(head.parameters())
    opt = cr.optim.Adam(params, lr=0.05)
    x = np.random.default_rng(0).standard_normal((16, 6, 1)).astype(np.float32)
    y = x.sum(axis=1)  # running sum: needs memory
    losses = []
    for _ in range(60):
        out, _ = model(x)
        loss = ((head(out[:, -1]) - cr.tensor(y)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
    assert losses[-1] < 0.2 * losses[0]
    assert repr(nn.GRU(3, 4, num_layers=2, bidirectional=True)) == (
        "GRU(3, 4, num_layers=2, bidirectional=True)"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_on_array_api_strict_matches_numpy(kind):
    xp = pytest.importorskip("array_api_strict")
    model = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    x = _normal(2, 5, 3)
    plain = cr.tensor(x, requires_grad=True)
    out, h = model(plain)
    h = h[1] if kind == "LSTM" else h
    ((out * out).sum() + h.sum()).backward()
    expected = [plain.grad.data] + [p.grad.data for p in model.parameters()]
    model.zero_grad()
    model.to(xp)
    moved = cr.tensor(x).to(xp).requires_grad_()
    out_m, h_m = model(moved)
    h_m = h_m[1] if kind == "LSTM" else h_m
    assert type(out_m.data) is type(xp.asarray(1.0))
    np.testing.assert_allclose(np.asarray(out_m.data), out.data, rtol=1e-12, atol=1e-12)
    ((out_m * out_m).sum() + h_m.sum()).backward()
    got = [moved.grad.data] + [p.grad.data for p in model.parameters()]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12)


def test_long_sequence_backward_sends_no_full_size_grad_per_step():
    """Steps come off the projected sequence by halving, so the graph holds about
    2 L slices, none of them a full-sequence scatter per step."""
    from chainrule.autograd import graph
    from chainrule.ops.movement import GetItem

    model = nn.RNN(2, 3)
    out, _ = model(np.zeros((1, 64, 2), dtype=np.float32))
    slices = [t for t in graph(out) if isinstance(t._ctx, GetItem)]
    full = [t for t in slices if t._ctx.inputs[0].shape[0] == 64]
    assert len(full) == 2  # the two halves
    assert len(slices) < 3 * 64


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_proj_size_matches_torch(bidirectional, given, dtype):
    kwargs = dict(input_size=3, hidden_size=5, proj_size=2, num_layers=2)
    ours, theirs = _pair("LSTM", dtype, bidirectional=bidirectional, **kwargs)
    d = 2 if bidirectional else 1
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight_hr_l1.shape == (2, 5) and ours.weight_hh_l0.shape == (20, 2)
    states = [_normal(2 * d, 3, 2, seed=2), _normal(2 * d, 3, 5, seed=3)] if given else [None] * 2
    _check(ours, theirs, _normal(3, 7, 3), states, dtype)
    assert "proj_size=2" in repr(ours)


def test_proj_size_and_dropout_checks():
    with pytest.raises(ValueError, match="RNNBase: proj_size is only supported for LSTM"):
        nn.RNNBase(3, 4, proj_size=2)  # a plain tanh RNN underneath
    with pytest.raises(ValueError, match=r"LSTM: proj_size must lie in \[0, hidden_size=4\)"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.warns(UserWarning, match="does nothing with num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"])
def test_takes_ndarrays_and_lists_as_tensors(kind):
    cr.nn.init.manual_seed(0)
    layer = getattr(nn, kind)(3, 4)
    x = np.random.default_rng(0).standard_normal((2, 5, 3)[-2 if "Cell" in kind else 0 :])
    x = x.astype(np.float32)
    expected = layer(cr.Tensor(x))
    for given in (x, x.tolist()):
        got = layer(given)
        for a, b in zip(_leaves(got), _leaves(expected)):
            assert a.dtype == np.float32
            np.testing.assert_array_equal(a.data, b.data)


def _leaves(value):
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]
