"""Attention against PyTorch: F.scaled_dot_product_attention (the fused primitive),
nn.MultiheadAttention with copied weights, and models.gpt.GPT against a torch twin."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn, ops
from chainrule.autograd import graph
from chainrule.models.gpt import GPT
from helpers import bench_module

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def _draw(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _both(arrays):
    ours = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


# ---------------------------------------------------------------------- F.sdpa
_KEEP = np.random.default_rng(7).random((5, 7)) > 0.4
_KEEP[2] = False  # a query that may attend to nothing: zeros, as PyTorch's

CASES = {
    # name: (q, k, v shapes, keyword arguments, float mask shape or None)
    "plain": (((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)), {}, None),
    "one_batch_dim": (((4, 5, 8), (4, 5, 8), (4, 5, 8)), {}, None),
    "no_batch_dim": (((5, 3), (7, 3), (7, 2)), {}, None),
    "causal_square": (((2, 2, 6, 4), (2, 2, 6, 4), (2, 2, 6, 4)), {"is_causal": True}, None),
    "causal_L_lt_S": (((2, 3, 4), (2, 7, 4), (2, 7, 4)), {"is_causal": True}, None),
    "causal_L_gt_S": (((2, 7, 4), (2, 3, 4), (2, 3, 5)), {"is_causal": True}, None),
    "bool_mask": (((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)), {"attn_mask": _KEEP}, None),
    "float_mask": (((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)), {}, (3, 1, 7)),
    "float_mask_full": (((2, 5, 4), (2, 7, 4), (2, 7, 6)), {}, (2, 5, 7)),
    "broadcast_batch": (((2, 1, 5, 4), (1, 3, 7, 4), (1, 3, 7, 4)), {}, None),
    "scale": (((2, 5, 4), (2, 7, 4), (2, 7, 3)), {"scale": 0.3, "is_causal": True}, None),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_sdpa_values_and_grads_match_torch(case, dtype):
    shapes, kwargs, mask_shape = CASES[case]
    arrays = _draw(shapes + ((mask_shape,) if mask_shape else ()), dtype)
    ours, theirs = _both(arrays)
    ours_kw, theirs_kw = dict(kwargs), dict(kwargs)
    if "attn_mask" in kwargs:
        theirs_kw["attn_mask"] = torch.from_numpy(kwargs["attn_mask"])
    if mask_shape:
        ours_kw["attn_mask"], theirs_kw["attn_mask"] = ours.pop(), theirs.pop()
    out = F.scaled_dot_product_attention(*ours, **ours_kw)
    expected = TF.scaled_dot_product_attention(*theirs, **theirs_kw)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOL[dtype])
    seed = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    (out * cr.tensor(seed)).sum().backward()
    (expected * torch.from_numpy(seed)).sum().backward()
    leaves = list(zip(ours, theirs))
    if mask_shape:
        leaves.append((ours_kw["attn_mask"], theirs_kw["attn_mask"]))
    for a, b in leaves:
        assert a.grad.shape == a.shape
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **TOL[dtype])


def test_sdpa_fully_masked_row_is_zero_with_zero_grads():
    ours, _ = _both(_draw(((5, 4), (7, 4), (7, 3)), np.float64))
    out = F.scaled_dot_product_attention(*ours, attn_mask=_KEEP)
    assert np.all(out.data[2] == 0) and np.all(np.isfinite(out.data))
    out.sum().backward()
    assert np.all(ours[0].grad.data[2] == 0)
    assert np.all(np.isfinite(ours[1].grad.data)) and np.all(np.isfinite(ours[2].grad.data))


def test_sdpa_is_one_node_that_keeps_q_k_v_and_the_probabilities():
    q, k, v = (cr.tensor(a, requires_grad=True) for a in _draw(((2, 5, 4),) * 3, np.float64))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    nodes = [t._ctx for t in graph(out) if t._ctx is not None]
    assert [type(n) for n in nodes] == [ops.ScaledDotProductAttention]
    saved = [a for a in nodes[0].saved if isinstance(a, np.ndarray)]
    assert saved[:3] == [q.data, k.data, v.data] or all(
        a is b for a, b in zip(saved, (q.data, k.data, v.data))
    )
    # P: the scores' size, kept key-major by cpu's kernel, (S, ..., L)
    assert nodes[0].saved[0] == "keys"
    assert [a.shape for a in saved] == [(2, 5, 4)] * 3 + [(5, 2, 5)]
    probs = np.moveaxis(saved[3], 0, -1)  # (..., L, S)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-12)
    assert np.all(np.triu(probs[0], 1) == 0)


@pytest.mark.parametrize(
    "lead, keep, with_mask, path",
    [
        ((2, 3), np.tri(4, 5, dtype=bool), False, "keys"),  # causal, 2 x 3 heads
        ((2,), None, False, "keys"),
        ((2,), np.array([[True, True, False, True, False]]), False, "keys"),  # (1, S)
        ((2,), np.array([[True], [False], [True], [True]]), False, "keys"),  # a row kept by none
        ((2,), None, True, "portable"),  # a float mask
        ((2, 3), np.ones((3, 4, 5), dtype=bool), False, "portable"),  # a batched keep
    ],
)
def test_attention_kernels_of_cpu_and_portable_agree(lead, keep, with_mask, path):
    import array_api_strict as xps

    from chainrule.backends import cpu, namespace

    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((*lead, n, 3)) for n in (4, 5, 5))
    mask = rng.standard_normal((4, 5)) if with_mask else None
    grad = rng.standard_normal((*lead, 4, 3))
    strict = [None if a is None else xps.asarray(a) for a in (q, k, v, mask, keep, grad)]
    portable = namespace(strict[0])
    out, saved = cpu.attention(q, k, v, mask, keep, 0.7)
    want, want_saved = portable.attention(*strict[:5], 0.7)
    assert saved[0] == path
    np.testing.assert_allclose(out, np.asarray(want), rtol=1e-12, atol=1e-14)
    needs = (True, True, True, with_mask)
    got = cpu.attention_backward(saved, grad, needs)
    wanted = portable.attention_backward(want_saved, strict[5], needs)
    for a, b in zip(got, wanted):
        if a is None:
            assert not with_mask  # only the mask's gradient may be left out
            continue
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-11, atol=1e-13)
        assert np.isfinite(a).all()


def test_sdpa_grads_only_where_needed():
    q = cr.tensor(_draw(((3, 4),), np.float64)[0], requires_grad=True)
    k, v = (cr.tensor(a) for a in _draw(((5, 4), (5, 2)), np.float64, seed=1))
    F.scaled_dot_product_attention(q, k, v).sum().backward()
    assert q.grad.shape == (3, 4) and k.grad is None and v.grad is None


def test_sdpa_double_backward_matches_torch():
    # d/dx of sum(grad^2), the first grads taken with create_graph=True through the rule
    arrays = _draw(((2, 4, 3), (2, 6, 3), (2, 6, 3)), np.float64)
    ours, theirs = _both(arrays)
    out = F.scaled_dot_product_attention(*ours, is_causal=True)
    (out * out).sum().backward(create_graph=True)
    first = [t.grad for t in ours]
    for t in ours:
        t.grad = None
    sum((g * g).sum() for g in first).backward()
    expected = TF.scaled_dot_product_attention(*theirs, is_causal=True)
    grads = torch.autograd.grad((expected * expected).sum(), theirs, create_graph=True)
    hvp = torch.autograd.grad(sum((g * g).sum() for g in grads), theirs)
    for g, h in zip(first, grads):
        np.testing.assert_allclose(g.data, h.detach().numpy(), rtol=1e-10, atol=1e-12)
    for t, h in zip(ours, hvp):
        np.testing.assert_allclose(t.grad.data, h.numpy(), rtol=1e-9, atol=1e-11)


def test_sdpa_dropout_is_the_composite_with_the_same_draws():
    q, k, v = (cr.tensor(a, requires_grad=True) for a in _draw(((2, 5, 4),) * 3, np.float64))
    out = F.scaled_dot_product_attention(
        q, k, v, dropout_p=0.5, is_causal=True, rng=np.random.default_rng(3)
    )
    scores = np.where(np.tri(5, dtype=bool), q.data @ k.data.swapaxes(-1, -2) / 2, -np.inf)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    kept = np.random.default_rng(3).random(probs.shape) >= 0.5
    np.testing.assert_allclose(out.data, (probs * kept * 2) @ v.data, rtol=1e-12)
    out.sum().backward()
    assert q.grad.shape == q.shape and np.all(np.isfinite(q.grad.data))
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert np.all(zero.data == 0)


@pytest.mark.parametrize(
    ("shapes", "kwargs", "message"),
    [
        (((3, 4), (5, 3), (5, 2)), {}, "do not match"),
        (((3, 4), (5, 4), (6, 2)), {}, "do not match"),
        (((4,), (5, 4), (5, 2)), {}, "at least 2-d"),
        (((2, 3, 4), (3, 5, 4), (3, 5, 2)), {}, "do not broadcast"),
        (((3, 4), (5, 4), (5, 2)), {"attn_mask": np.ones((3, 4), bool)}, "attn_mask of shape"),
        (((3, 4), (5, 4), (5, 2)), {"attn_mask": np.ones((3, 5), bool), "is_causal": True},
         "not both"),
        (((3, 4), (5, 4), (5, 2)), {"dropout_p": 1.5}, "p must lie"),
    ],
)  # fmt: skip
def test_sdpa_errors_name_the_op_and_shapes(shapes, kwargs, message):
    arrays = [cr.tensor(a) for a in _draw(shapes, np.float64)]
    with pytest.raises(ValueError, match=f"scaled_dot_product_attention: .*{message}"):
        F.scaled_dot_product_attention(*arrays, **kwargs)


def test_sdpa_rejects_int_masks_and_mixed_dtypes():
    q, k, v = (cr.tensor(a) for a in _draw(((3, 4), (5, 4), (5, 2)), np.float64))
    with pytest.raises(TypeError, match="attn_mask must be bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), np.int64))
    with pytest.raises(TypeError, match="share a dtype"):
        F.scaled_dot_product_attention(q, k, v.float())


def test_sdpa_float32_mask_on_float64_inputs_is_cast():
    q, k, v = (cr.tensor(a) for a in _draw(((3, 4), (5, 4), (5, 2)), np.float64))
    mask = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    expected = TF.scaled_dot_product_attention(
        *(torch.from_numpy(t.data) for t in (q, k, v)), attn_mask=torch.from_numpy(mask).double()
    )
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------- nn.MultiheadAttention
def _mha_pair(embed, heads, bias=True, batch_first=True):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(embed, heads, bias=bias, batch_first=batch_first)
    theirs = theirs.double()
    if bias:  # PyTorch starts them at zero: make them count
        with torch.no_grad():
            theirs.in_proj_bias.normal_()
            theirs.out_proj.bias.normal_()
    ours = nn.MultiheadAttention(embed, heads, bias=bias, batch_first=batch_first)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert sorted(state) == sorted(ours.state_dict())
    for p in ours.parameters():
        p.data = p.data.astype(np.float64)
    ours.load_state_dict(state)
    return ours, theirs


MHA_MASKS = {
    "none": lambda n, h, L, S: ({}, {}),
    "bool_2d": lambda n, h, L, S: _same_mask(np.random.default_rng(5).random((L, S)) > 0.7),
    "float_2d": lambda n, h, L, S: _same_mask(np.random.default_rng(5).standard_normal((L, S))),
    "float_3d": lambda n, h, L, S: _same_mask(
        np.random.default_rng(5).standard_normal((n * h, L, S))
    ),
    "bool_3d": lambda n, h, L, S: _same_mask(np.random.default_rng(5).random((n * h, L, S)) > 0.7),
    "key_padding": lambda n, h, L, S: (
        {"key_padding_mask": _PAD[:n, :S]},
        {"key_padding_mask": torch.from_numpy(_PAD[:n, :S])},
    ),
    "key_padding_and_bool": lambda n, h, L, S: (
        {"key_padding_mask": _PAD[:n, :S], "attn_mask": _FLOAT[:L, :S] > 1},
        {
            "key_padding_mask": torch.from_numpy(_PAD[:n, :S]),
            "attn_mask": torch.from_numpy(_FLOAT[:L, :S] > 1),
        },
    ),
    "key_padding_and_float": lambda n, h, L, S: (
        {"key_padding_mask": _PAD_FLOAT[:n, :S], "attn_mask": _FLOAT[:L, :S]},
        {
            "key_padding_mask": torch.from_numpy(_PAD_FLOAT[:n, :S]),
            "attn_mask": torch.from_numpy(_FLOAT[:L, :S]),
        },
    ),
}
_PAD = np.zeros((3, 7), bool)
_PAD[0, -2:] = _PAD[2, 0] = True  # True: that key is padding
_PAD_FLOAT = np.where(_PAD, -np.inf, 0.0)
_FLOAT = np.random.default_rng(6).standard_normal((7, 7))


def _same_mask(mask):
    return {"attn_mask": mask}, {"attn_mask": torch.from_numpy(mask)}


@pytest.mark.parametrize("mask", list(MHA_MASKS))
@pytest.mark.parametrize(
    ("bias", "batch_first", "self_attention"),
    [(True, True, False), (False, True, False), (True, False, False), (True, True, True)],
    ids=["cross", "no_bias", "seq_first", "self"],
)
def test_mha_matches_torch(mask, bias, batch_first, self_attention):
    n, L, S, embed, heads = 3, 5, 7, 8, 2
    S = L if self_attention else S
    ours, theirs = _mha_pair(embed, heads, bias, batch_first)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, L, embed))
    y = x if self_attention else rng.standard_normal((n, S, embed))
    z = x if self_attention else rng.standard_normal((n, S, embed))
    if not batch_first:
        x, y, z = (a.swapaxes(0, 1) for a in (x, y, z))
    ours_kw, theirs_kw = MHA_MASKS[mask](n, heads, L, S)
    if self_attention:
        X = cr.tensor(x, requires_grad=True)
        inputs_ours = [X, X, X]
        T = torch.tensor(x, requires_grad=True)
        inputs_theirs = [T, T, T]
    else:
        inputs_ours = [cr.tensor(a, requires_grad=True) for a in (x, y, z)]
        inputs_theirs = [torch.tensor(a, requires_grad=True) for a in (x, y, z)]
    out, weights = ours(*inputs_ours, **ours_kw)
    expected, _ = theirs(*inputs_theirs, need_weights=False, **theirs_kw)
    assert weights is None
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = rng.standard_normal(out.shape)
    (out * cr.tensor(seed)).sum().backward()
    (expected * torch.from_numpy(seed)).sum().backward()
    for a, b in zip(inputs_ours, inputs_theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-9, atol=1e-11)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.data, theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name
        )


def test_mha_is_causal_and_weights_match_torch():
    ours, theirs = _mha_pair(8, 4)
    x = np.random.default_rng(1).standard_normal((2, 6, 8))
    X = cr.tensor(x)
    out, weights = ours(X, X, X, is_causal=True, need_weights=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64)
    T = torch.from_numpy(x)
    expected, expected_weights = theirs(T, T, T, attn_mask=causal, is_causal=True)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.data, expected_weights.detach().numpy(), rtol=1e-10)
    alone, none = ours(X, X, X, is_causal=True)  # the fused path, no mask needed
    assert none is None
    np.testing.assert_allclose(alone.data, out.data, rtol=1e-12)
    _, per_head = ours(X, X, X, is_causal=True, need_weights=True, average_attn_weights=False)
    _, expected_heads = theirs(
        T, T, T, attn_mask=causal, is_causal=True, average_attn_weights=False
    )
    np.testing.assert_allclose(per_head.data, expected_heads.detach().numpy(), rtol=1e-10)


def test_mha_unbatched_matches_batched():
    ours, theirs = _mha_pair(8, 2)
    x = np.random.default_rng(2).standard_normal((5, 8))
    out, _ = ours(x, x, x)
    expected, _ = theirs(*(torch.from_numpy(x),) * 3, need_weights=False)
    assert out.shape == (5, 8)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_mha_init_and_errors():
    mha = nn.MultiheadAttention(16, 4)
    assert mha.in_proj_weight.shape == (48, 16) and mha.in_proj_bias.shape == (48,)
    assert np.all(mha.in_proj_bias.data == 0) and np.all(mha.out_proj.bias.data == 0)
    bound = math.sqrt(6 / (48 + 16))  # Xavier-uniform over the (3E, E) matrix, as PyTorch's
    assert np.abs(mha.in_proj_weight.data).max() <= bound
    assert mha.in_proj_weight.dtype == np.float32
    no_bias = nn.MultiheadAttention(16, 4, bias=False)
    assert no_bias.in_proj_bias is None and no_bias.out_proj.bias is None
    with pytest.raises(ValueError, match="multiple of num_heads"):
        nn.MultiheadAttention(10, 4)
    with pytest.raises(ValueError, match="embed_dim 16 features"):
        mha(cr.ones((2, 3, 8)), cr.ones((2, 3, 8)), cr.ones((2, 3, 8)))
    x = cr.ones((2, 3, 16))
    with pytest.raises(ValueError, match="attn_mask of shape"):
        mha(x, x, x, attn_mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="key_padding_mask of shape"):
        mha(x, x, x, key_padding_mask=np.ones((2, 4), bool))


def test_mha_dropout_drops_in_training_only():
    mha = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = cr.randn(2, 4, 8, seed=0)
    nn.init.manual_seed(0)
    a, _ = mha(x, x, x)
    nn.init.manual_seed(1)
    b, _ = mha(x, x, x)
    assert not np.allclose(a.data, b.data)
    mha.eval()
    c, _ = mha(x, x, x)
    d, _ = mha(x, x, x)
    np.testing.assert_array_equal(c.data, d.data)


# ---------------------------------------------------------------------- GPT vs a torch twin
_TorchGPT = bench_module("gpt_step").TorchGPT  # the twin bench.gpt_step times, one copy


def _gpt_pair(vocab=11, block=8, n_layer=2, n_head=2, n_embd=16):
    nn.init.manual_seed(0)
    ours = GPT(vocab, block, n_layer=n_layer, n_head=n_head, n_embd=n_embd)
    rng = np.random.default_rng(0)
    for p in ours.parameters():  # float64, and biases and norms away from their init
        p.data = (p.data + 0.05 * rng.standard_normal(p.shape)).astype(np.float64)
    theirs = _TorchGPT(block, n_layer, n_head, n_embd, vocab_size=vocab).double()
    state = ours.state_dict()
    assert sorted(state) == sorted(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return ours, theirs


def test_gpt_logits_and_grads_match_torch_twin():
    ours, theirs = _gpt_pair()
    idx = np.random.default_rng(1).integers(0, 11, (3, 7))
    logits = ours(idx)
    expected = theirs(torch.from_numpy(idx))
    assert logits.shape == (3, 7, 11) and logits.dtype == np.float64
    np.testing.assert_allclose(logits.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    targets = np.random.default_rng(2).integers(0, 11, (3, 7))
    loss = F.cross_entropy(logits.reshape(-1, 11), targets.reshape(-1))
    expected_loss = TF.cross_entropy(expected.reshape(-1, 11), torch.from_numpy(targets).view(-1))
    np.testing.assert_allclose(loss.item(), expected_loss.item(), rtol=1e-12)
    loss.backward()
    expected_loss.backward()
    theirs_params = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert sorted(names) == sorted(theirs_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.data, theirs_params[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_gpt_adamw_step_matches_torch():
    ours, theirs = _gpt_pair()
    idx = np.random.default_rng(3).integers(0, 11, (2, 8))
    targets = np.roll(idx, -1, axis=1)
    opt = cr.optim.AdamW(ours.parameters(), lr=1e-2, weight_decay=0.1)
    topt = torch.optim.AdamW(theirs.parameters(), lr=1e-2, weight_decay=0.1)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(ours(idx).reshape(-1, 11), targets.reshape(-1)).backward()
        opt.step()
        topt.zero_grad()
        TF.cross_entropy(theirs(torch.from_numpy(idx)).reshape(-1, 11),
                         torch.from_numpy(targets).view(-1)).backward()  # fmt: skip
        topt.step()
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.data, theirs_params[name].detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_gpt_init_is_nanogpts():
    nn.init.manual_seed(0)
    model = GPT(50, 32, n_layer=4, n_head=4, n_embd=64)
    params = dict(model.named_parameters())
    assert len(params) == 2 + 4 * 12 + 2 + 1
    assert sum(p.data.size for p in params.values()) == (
        50 * 64 + 32 * 64 + 4 * (2 * 2 * 64 + 64 * 192 + 192 + 64 * 64 + 64
                                 + 64 * 256 + 256 + 256 * 64 + 64) + 2 * 64 + 64 * 50
    )  # fmt: skip
    assert all(p.dtype == np.float32 for p in params.values())
    for name in ("transformer.wte.weight", "transformer.h.0.attn.c_attn.weight", "lm_head.weight"):
        assert abs(params[name].data.std() - 0.02) < 0.003, name
    scaled = 0.02 / math.sqrt(2 * 4)
    assert abs(params["transformer.h.1.mlp.c_proj.weight"].data.std() - scaled) < 0.001
    assert np.all(params["transformer.h.0.attn.c_attn.bias"].data == 0)
    assert np.all(params["transformer.ln_f.weight"].data == 1)
    # an untrained model predicts about uniformly: loss near log(vocab)
    idx = np.random.default_rng(0).integers(0, 50, (4, 32))
    loss = F.cross_entropy(model(idx).reshape(-1, 50), np.roll(idx, -1, 1).reshape(-1))
    assert abs(loss.item() - math.log(50)) < 0.1


def test_gpt_generate():
    nn.init.manual_seed(0)
    model = GPT(7, 4, n_layer=1, n_head=2, n_embd=8)
    start = np.zeros((2, 1), dtype=np.int64)
    a = model.generate(start, 9, generator=cr.Generator().manual_seed(5))
    b = model.generate(start, 9, generator=cr.Generator().manual_seed(5))
    assert a.shape == (2, 10) and a.dtype == np.int64  # longer than block_size: cropped
    np.testing.assert_array_equal(a.data, b.data)
    assert a.data.min() >= 0 and a.data.max() < 7 and np.all(a.data[:, 0] == 0)
    assert not a.requires_grad
    # a very low temperature is greedy: always the argmax of the last logits
    greedy = model.generate(start, 3, temperature=1e-4, generator=cr.Generator().manual_seed(0))
    seq = start
    for _ in range(3):
        nxt = model(seq[:, -4:]).data[:, -1].argmax(-1)[:, None]
        seq = np.concatenate([seq, nxt], axis=1)
    np.testing.assert_array_equal(greedy.data, seq)
    top1 = model.generate(start, 3, top_k=1, generator=cr.Generator().manual_seed(9))
    np.testing.assert_array_equal(top1.data, seq)


def test_gpt_dropout_and_errors():
    nn.init.manual_seed(0)
    model = GPT(7, 4, n_layer=1, n_head=2, n_embd=8, dropout=0.5)
    idx = np.array([[1, 2, 3]])
    model.eval()
    np.testing.assert_array_equal(model(idx).data, model(cr.tensor(idx)).data)
    model.train()
    assert not np.allclose(model(idx).data, model(idx).data)
    with pytest.raises(ValueError, match="sequence length 5"):
        model(np.zeros((1, 5), dtype=np.int64))
    with pytest.raises(ValueError, match="int"):
        model(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"token indices must lie in \[0, 7\)"):
        model(np.array([[7]]))
    with pytest.raises(ValueError, match="multiple of n_head"):
        GPT(7, 4, n_head=3, n_embd=8)


# ---------------------------------------------------------------------- other namespaces
def test_sdpa_on_array_api_strict_matches_numpy():
    xp = pytest.importorskip("array_api_strict")
    arrays = _draw(((2, 4, 3), (2, 6, 3), (2, 6, 2), (4, 6)), np.float32)
    for kwargs in ({"is_causal": True}, {"mask": True}, {"keep": _KEEP[:4, :6]}):
        ours = [cr.tensor(a, requires_grad=True) for a in arrays[:3]]
        strict = [cr.tensor(a).to(xp).requires_grad_() for a in arrays[:3]]
        extra, extra_x = {}, {}
        if "mask" in kwargs:
            extra = {"attn_mask": cr.tensor(arrays[3])}
            extra_x = {"attn_mask": cr.tensor(arrays[3]).to(xp)}
        elif "keep" in kwargs:
            extra = {"attn_mask": cr.tensor(kwargs["keep"])}
            extra_x = {"attn_mask": cr.tensor(kwargs["keep"]).to(xp)}
        else:
            extra = extra_x = kwargs
        out = F.scaled_dot_product_attention(*ours, **extra)
        out_x = F.scaled_dot_product_attention(*strict, **extra_x)
        assert type(out_x.data) is not np.ndarray
        np.testing.assert_allclose(out_x.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)
        out.sum().backward()
        out_x.sum().backward()
        for t, t_x in zip(ours, strict):
            np.testing.assert_allclose(t_x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)
