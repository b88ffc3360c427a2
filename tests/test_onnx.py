"""ONNX export: every covered op, layer and model runs in ONNX Runtime as it does in chainrule.

Each case exports at batch 2, passes ``onnx.checker.check_model``, and must give chainrule's
output to 1e-5 (float32) on fresh random inputs at batches 1 and 5. Skipped without onnx
and onnxruntime (``pip install "chainrule[onnx]"``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import ops
from chainrule.cli import main
from helpers import run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

BATCHES = (1, 5)


class Fn(nn.Module):
    """``fn(x, p)`` as a module, with ``p`` a Parameter of ``shape`` (or None)."""

    def __init__(self, fn: Callable[..., Any], shape: tuple[int, ...] | None, domain: str) -> None:
        super().__init__()
        self.fn = fn
        self.p = None
        if shape is not None:
            rng = np.random.default_rng(1)
            self.p = nn.Parameter(draw(rng, domain, shape))

    def forward(self, x: Any) -> Any:
        return self.fn(x, self.p)


def draw(rng: np.random.Generator, domain: str, shape: tuple[int, ...]) -> np.ndarray:
    """float32: "any" normal, "pos" in [0.5, 2), "unit" in (-0.9, 0.9), "apart" +-[0.5, 2)."""
    if domain == "pos":
        values = rng.uniform(0.5, 2.0, shape)
    elif domain == "unit":
        values = rng.uniform(-0.9, 0.9, shape)
    elif domain == "apart":
        values = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    else:
        values = rng.standard_normal(shape)
    return values.astype(np.float32)


@dataclass(frozen=True)
class Case:
    name: str
    model: Callable[[], nn.Module]
    shape: tuple[int, ...]  # one sample's shape; the batch goes first
    domain: str = "any"
    ints: int = 0  # int64 token inputs in [0, ints) instead of floats


def fn(name: str, f: Callable[..., Any], p: tuple[int, ...] | None = None, domain: str = "any",
       shape: tuple[int, ...] = (3, 4)) -> Case:  # fmt: skip
    """A case for one function of the input x (N, 3, 4) and a parameter p."""
    return Case(name, lambda: Fn(f, p, domain), shape, domain)


def layer(
    name: str, make: Callable[[], nn.Module], shape: tuple[int, ...], domain: str = "any"
) -> Case:
    return Case(name, make, shape, domain)


ELEMENTWISE = [
    fn("add", lambda x, p: x + p, (4,)),
    fn("sub", lambda x, p: p - x, (3, 1)),
    fn("mul", lambda x, p: x * p * 0.5, (4,)),
    fn("div", lambda x, p: x / p, (4,), "apart"),
    fn("pow", lambda x, p: x**p, (4,), "pos"),
    fn("pow_number", lambda x, p: x**2 + 2**x, None),
    fn("neg", lambda x, p: -x),
    fn("exp", lambda x, p: x.exp()),
    fn("log", lambda x, p: x.log(), domain="pos"),
    fn("sqrt", lambda x, p: x.sqrt(), domain="pos"),
    fn("abs", lambda x, p: x.abs()),
    fn("relu", lambda x, p: x.relu()),
    fn("sigmoid", lambda x, p: x.sigmoid()),
    fn("tanh", lambda x, p: x.tanh()),
    fn("softplus", lambda x, p: ops.Softplus.apply(x)),
    fn("sin", lambda x, p: cr.sin(x)),
    fn("cos", lambda x, p: cr.cos(x)),
    fn("tan", lambda x, p: cr.tan(x), domain="unit"),
    fn("asin", lambda x, p: cr.asin(x), domain="unit"),
    fn("acos", lambda x, p: cr.acos(x), domain="unit"),
    fn("atan", lambda x, p: cr.atan(x)),
    fn("sinh", lambda x, p: cr.sinh(x)),
    fn("cosh", lambda x, p: cr.cosh(x)),
    fn("asinh", lambda x, p: cr.asinh(x)),
    fn("acosh", lambda x, p: cr.acosh(x + 1), domain="pos"),
    fn("atanh", lambda x, p: cr.atanh(x), domain="unit"),
    fn("log2", lambda x, p: cr.log2(x), domain="pos"),
    fn("log10", lambda x, p: cr.log10(x), domain="pos"),
    fn("log1p", lambda x, p: cr.log1p(x), domain="pos"),
    fn("expm1", lambda x, p: cr.expm1(x)),
    fn("exp2", lambda x, p: cr.exp2(x)),
    fn("rsqrt", lambda x, p: cr.rsqrt(x), domain="pos"),
    fn("reciprocal", lambda x, p: cr.reciprocal(x), domain="apart"),
    fn("square", lambda x, p: cr.square(x)),
    fn("erf", lambda x, p: cr.erf(x)),
    fn("erfc", lambda x, p: cr.erfc(x)),
    fn("atan2", lambda x, p: cr.atan2(x, p), (3, 4)),
    fn("hypot", lambda x, p: cr.hypot(x, p), (4,)),
    fn("maximum", lambda x, p: cr.maximum(x, p), (4,)),
    fn("minimum", lambda x, p: cr.minimum(x, p), (4,)),
    fn("copysign", lambda x, p: cr.copysign(x, p), (3, 4), "apart"),
    fn("fmod", lambda x, p: cr.fmod(3 * x, p), (4,), "apart"),
    fn("remainder", lambda x, p: cr.remainder(3 * x, p), (4,), "apart"),
    fn("logaddexp", lambda x, p: cr.logaddexp(x, p), (4,)),
    fn("logaddexp2", lambda x, p: cr.logaddexp2(x, p), (4,)),
    fn("clamp_tensors", lambda x, p: cr.clamp(x, -p.abs(), p.abs()), (4,)),
    fn("clamp_numbers", lambda x, p: cr.clamp(x, -0.5, 0.5)),
    fn("where", lambda x, p: cr.where(p.data > 0, x, x * p), (4,)),
    fn("lerp", lambda x, p: cr.lerp(x, p, 0.3), (4,)),
]
ACTIVATIONS = [
    layer(name, make, (3, 4))
    for name, make in [
        ("ReLU", nn.ReLU),
        ("Sigmoid", nn.Sigmoid),
        ("Tanh", nn.Tanh),
        ("GELU", nn.GELU),
        ("GELU_tanh", lambda: nn.GELU(approximate="tanh")),
        ("SiLU", nn.SiLU),
        ("Mish", nn.Mish),
        ("ELU", lambda: nn.ELU(0.7)),
        ("CELU", lambda: nn.CELU(1.3)),
        ("SELU", nn.SELU),
        ("LeakyReLU", lambda: nn.LeakyReLU(0.2)),
        ("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.7)),
        ("ReLU6", lambda: nn.Sequential(Fn(lambda x, p: x * 4, None, "any"), nn.ReLU6())),
        (
            "Hardsigmoid",
            lambda: nn.Sequential(Fn(lambda x, p: x * 4, None, "any"), nn.Hardsigmoid()),
        ),
        ("Hardswish", lambda: nn.Sequential(Fn(lambda x, p: x * 4, None, "any"), nn.Hardswish())),
        ("Softplus_beta", lambda: nn.Softplus(beta=2.0, threshold=1.0)),
        ("Softsign", nn.Softsign),
        ("LogSigmoid", nn.LogSigmoid),
        ("Softmax", lambda: nn.Softmax(dim=1)),
        ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1)),
        ("Softmin", lambda: nn.Softmin(dim=-1)),
        ("Identity", nn.Identity),
        ("Dropout_eval", lambda: nn.Sequential(nn.Dropout(0.5), nn.Tanh())),
    ]
]
REDUCTIONS = [
    fn("sum", lambda x, p: x.sum(axis=1, keepdims=True) * x),
    fn("sum_all", lambda x, p: x.sum() + x),
    fn("mean", lambda x, p: x.mean(axis=(1, 2))),
    fn("max", lambda x, p: x.max(axis=-1)),
    fn("min", lambda x, p: x.min(axis=1, keepdims=True)),
    fn("amax", lambda x, p: x.amax(dim=(1, 2))),
    fn("prod", lambda x, p: x.prod(dim=-1), domain="pos"),
    fn("logsumexp", lambda x, p: x.logsumexp(dim=-1)),
    fn("norm", lambda x, p: cr.linalg.vector_norm(x, dim=-1)),
    fn("norm_3", lambda x, p: cr.linalg.vector_norm(x, ord=3, dim=-1)),
    fn("var_std", lambda x, p: x.var(dim=1, keepdim=True) + x.std(dim=-1, keepdim=True)),
    fn("cumsum", lambda x, p: cr.cumsum(x, dim=-1)),
    fn("softmax_fn", lambda x, p: F.softmax(x, dim=1) + F.log_softmax(x, dim=-1)),
]
MOVEMENT = [
    fn("reshape", lambda x, p: x.reshape(x.shape[0], 2, 6)),
    fn("flatten", lambda x, p: x.flatten(1) @ p, (12, 5)),
    fn("view_merge_batch", lambda x, p: x.view(-1, 4) * p, (4,)),
    fn("transpose", lambda x, p: x.transpose(0, 2, 1)),
    fn("permute", lambda x, p: x.permute(2, 0, 1)),
    fn("slice", lambda x, p: x[:, 1:, ::2]),
    fn("slice_negative_step", lambda x, p: x[:, ::-1, 3:0:-2]),
    fn("int_index", lambda x, p: x[:, 0] + x[:, -1, None, 0]),
    fn("newaxis", lambda x, p: x[:, None, :, 1]),
    fn("index_array", lambda x, p: x[:, :, np.array([2, 0, 2, 1])]),
    fn("concat", lambda x, p: cr.concat([x, x * 2, x.exp()], axis=1)),
    fn("stack", lambda x, p: cr.stack([x, -x], dim=-1)),
    fn("split_chunk", lambda x, p: cr.split(x, [1, 2], dim=1)[1] * x.chunk(2, dim=1)[0][:, :2]),
    fn("broadcast_to", lambda x, p: x.sum(axis=1, keepdims=True).expand(x.shape[0], 3, 4)),
    fn("broadcast_param", lambda x, p: p.broadcast_to((x.shape[0], 3, 4)) * x, (1, 4)),
    fn("squeeze_unsqueeze", lambda x, p: x.unsqueeze(1).squeeze(1)),
    fn("flip_roll", lambda x, p: cr.flip(x, (1,)) + cr.roll(x, 1, 2)),
    fn("tril_triu", lambda x, p: cr.tril(x) + cr.triu(x, 1) * 2),
    fn("cast", lambda x, p: x.double().float() + x.clone()),
    fn("matmul", lambda x, p: x @ p, (4, 5)),
    fn("matmul_batched", lambda x, p: x @ x.transpose(0, 2, 1)),
    fn("einsum", lambda x, p: cr.einsum("nij,jk->nik", x, p), (4, 2)),
    fn("pad", lambda x, p: F.pad(x, (1, 2, 0, 1))),
]


def _mha(**kwargs: Any) -> nn.Module:
    attention = nn.MultiheadAttention(8, 2, **kwargs)
    return Fn(
        lambda x, p: attention(x, x, x, is_causal=True)[0] + attention(x, x, x)[0], None, "any"
    )


class WithAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2)

    def forward(self, x: Any) -> Any:
        return self.attn(x, x, x, is_causal=True)[0]


def _masked_attention(x: Any, p: Any) -> Any:
    keep = np.array([[True, False, True, False, True, True, False]] * 4 + [[False] * 7])
    bias = np.linspace(-1, 1, 35, dtype=np.float32).reshape(5, 7)
    q = x[:, :5]
    return F.scaled_dot_product_attention(q, x, x, attn_mask=keep) + F.scaled_dot_product_attention(
        q, x, x, attn_mask=cr.tensor(bias)
    )


def _bn(make: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        module = make()
        rng = np.random.default_rng(2)
        module.running_mean[:] = rng.standard_normal(module.running_mean.shape)
        module.running_var[:] = rng.uniform(0.5, 2.0, module.running_var.shape)
        module.weight.data[:] = rng.standard_normal(module.weight.shape)
        return module

    return build


def _with_states(make: Callable[[], nn.Module], lstm: bool) -> Callable[[], nn.Module]:
    """The recurrent layer fed initial states made from the input: (4, N, 3) each."""

    def build() -> nn.Module:
        layer = make()

        def forward(x: Any, p: Any) -> Any:
            h0 = cr.stack([x[:, i, :3] for i in range(4)])
            out, h = layer(x, (h0, h0.tanh()) if lstm else h0)
            return out, h

        return Fn(forward, None, "any")

    return build


LAYERS = [
    layer("Linear", lambda: nn.Linear(12, 5), (12,)),
    layer("Linear_3d_nobias", lambda: nn.Linear(4, 6, bias=False), (3, 4)),
    layer("Conv2d", lambda: nn.Conv2d(2, 4, 3), (2, 7, 7)),
    layer("Conv2d_stride_padding", lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1), (2, 7, 7)),
    layer("Conv2d_groups", lambda: nn.Conv2d(4, 6, 3, groups=2, bias=False), (4, 7, 7)),
    layer("Conv2d_dilation", lambda: nn.Conv2d(2, 3, 3, dilation=2, padding=2), (2, 7, 7)),
    layer("Conv2d_same", lambda: nn.Conv2d(2, 3, (2, 3), padding="same"), (2, 6, 7)),
    layer(
        "Conv2d_reflect", lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (2, 6, 6)
    ),
    layer(
        "Conv2d_functional",
        lambda: Fn(lambda x, p: F.conv2d(x, p, stride=(1, 2), padding=(0, 1)), (3, 2, 2, 3), "any"),
        (2, 6, 6),
    ),
    layer("MaxPool2d", lambda: nn.MaxPool2d(2), (2, 6, 6)),
    layer("MaxPool2d_stride_padding", lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 7, 7)),
    layer("AvgPool2d", lambda: nn.AvgPool2d(3, stride=1, padding=1), (2, 6, 6)),
    layer("MaxPool2d_dilation", lambda: nn.MaxPool2d(2, stride=1, dilation=2), (2, 6, 6)),
    layer("MaxPool2d_ceil", lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 8, 8)),
    layer("MaxPool2d_ceil_in_pad", lambda: nn.MaxPool2d(2, 2, 1, ceil_mode=True), (2, 5, 5)),
    layer("AvgPool2d_ceil_in_pad", lambda: nn.AvgPool2d(2, 2, 1, ceil_mode=True), (2, 5, 5)),
    layer(
        "AvgPool2d_exclude_pad", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 7, 7)
    ),
    layer("AvgPool2d_ceil", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True), (2, 8, 8)),
    layer(
        "AvgPool2d_functional", lambda: Fn(lambda x, p: F.avg_pool2d(x, 2), None, "any"), (2, 6, 6)
    ),
    layer("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), (2, 4, 4)),
    layer(
        "ConvTranspose2d_groups",
        lambda: nn.ConvTranspose2d(
            4, 2, 2, stride=2, groups=2, output_padding=1, dilation=2, bias=False
        ),
        (4, 3, 3),
    ),
    layer(
        "Conv1d_same_replicate",
        lambda: nn.Conv1d(2, 3, 4, padding="same", padding_mode="replicate"),
        (2, 9),
    ),
    layer("ConvTranspose1d", lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), (2, 5)),
    layer("MaxPool1d_ceil", lambda: nn.MaxPool1d(3, 2, ceil_mode=True), (2, 8)),
    layer("AvgPool1d", lambda: nn.AvgPool1d(2), (2, 8)),
    layer("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 6, 6)),
    layer("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), (2, 7)),
    layer("Upsample_nearest", lambda: nn.Upsample(scale_factor=2), (2, 3, 3)),
    layer("Upsample_bilinear", lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 3)),
    layer("Unflatten", lambda: nn.Unflatten(1, (2, 3)), (6,)),
    layer(
        "Dropout2d_AlphaDropout_eval",
        lambda: nn.Sequential(nn.Dropout2d(0.3), nn.AlphaDropout(0.2)),
        (2, 4, 4),
    ),
    layer("BatchNorm1d", _bn(lambda: nn.BatchNorm1d(6)), (6,)),
    layer("BatchNorm2d", _bn(lambda: nn.BatchNorm2d(3)), (3, 4, 4)),
    layer("LayerNorm", lambda: nn.LayerNorm(4), (3, 4)),
    layer("LayerNorm_2d", lambda: nn.LayerNorm((3, 4), elementwise_affine=False), (3, 4)),
    layer("GroupNorm", lambda: nn.GroupNorm(2, 4), (4, 3, 3)),
    layer("Flatten", lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), (3, 2, 2)),
    layer("MultiheadAttention", WithAttention, (6, 8)),
    layer("MultiheadAttention_unmasked", _mha, (6, 8)),
    layer("attention_masks", lambda: Fn(_masked_attention, None, "any"), (7, 6)),
    layer("RNNCell", lambda: nn.RNNCell(4, 3), (4,)),
    layer("GRUCell", lambda: nn.GRUCell(4, 3), (4,)),
    layer("LSTMCell", lambda: nn.LSTMCell(4, 3), (4,)),
    layer("RNN", lambda: nn.RNN(4, 5), (6, 4)),
    layer("RNN_relu_2_layers", lambda: nn.RNN(4, 5, num_layers=2, nonlinearity="relu"), (6, 4)),
    layer("GRU", lambda: nn.GRU(4, 5), (6, 4)),
    layer("GRU_bidirectional", lambda: nn.GRU(4, 3, bidirectional=True, num_layers=2), (6, 4)),
    layer("LSTM", lambda: nn.LSTM(4, 5), (6, 4)),
    layer(
        "LSTM_2_layers_bidirectional",
        lambda: nn.LSTM(4, 3, num_layers=2, bidirectional=True),
        (6, 4),
    ),
    layer("LSTM_time_major_nobias", lambda: Fn(_time_major_lstm(), None, "any"), (6, 4)),
    layer("LSTM_hx", _with_states(lambda: nn.LSTM(4, 3, 2, bidirectional=True), True), (6, 4)),
    layer("GRU_hx", _with_states(lambda: nn.GRU(4, 3, 4), False), (6, 4)),
]


def _time_major_lstm() -> Callable[..., Any]:
    lstm = nn.LSTM(4, 3, batch_first=False, bias=False)
    return lambda x, p: lstm(x.permute(1, 0, 2))[1][1] * 1.0


def _mlp() -> nn.Module:
    from chainrule.training import build_model

    return build_model("mlp")


def _cnn() -> nn.Module:
    from chainrule.training import build_model

    model = build_model("cnn")
    rng = np.random.default_rng(3)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.running_mean[:] = rng.standard_normal(module.running_mean.shape) * 0.1
            module.running_var[:] = rng.uniform(0.5, 2.0, module.running_var.shape)
    return model


def _gpt() -> nn.Module:
    from chainrule.models.gpt import GPT

    return GPT(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)


MODELS = [
    Case("mlp", _mlp, (1, 28, 28)),
    Case("cnn", _cnn, (1, 28, 28)),
    Case("gpt", _gpt, (8,), ints=11),
    Case("Embedding", lambda: nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 2)), (5,), ints=10),
    Case("Embedding_padding_idx", lambda: nn.Embedding(10, 3, padding_idx=0), (5,), ints=10),
    Case(
        "frozen",
        lambda: nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 2)).requires_grad_(False),
        (5,),
        ints=10,
    ),
    Case(
        "functional_embedding",
        lambda: Fn(lambda x, p: F.embedding(x, p) * 2, (10, 3), "any"),
        (4,),
        ints=10,
    ),
]
CASES = ELEMENTWISE + ACTIVATIONS + REDUCTIONS + MOVEMENT + LAYERS + MODELS


def inputs(case: Case, batch: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if case.ints:
        return rng.integers(0, case.ints, (batch, *case.shape))
    return draw(rng, case.domain, (batch, *case.shape))


def outputs(model: nn.Module, x: np.ndarray) -> list[np.ndarray]:
    with cr.no_grad():
        out = model(cr.tensor(x))
    flat: list[np.ndarray] = []
    stack = [out]
    while stack:  # the export's output order: depth first, left to right
        item = stack.pop(0)
        if isinstance(item, (tuple, list)):
            stack[:0] = list(item)
        elif item is not None:
            flat.append(item.data)
    return flat


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_export_runs_in_onnxruntime_as_in_chainrule(case, tmp_path):
    cr.manual_seed(0)
    model = case.model()
    model.eval()
    path = tmp_path / f"{case.name}.onnx"
    cr.onnx.export(model, inputs(case, 2, seed=0), path)
    onnx.checker.check_model(str(path), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (feed,) = [i.name for i in session.get_inputs()]
    for seed, batch in enumerate(BATCHES, start=1):
        x = inputs(case, batch, seed)
        want = outputs(model, x)
        got = session.run(None, {feed: x})
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_export_names_initializers_and_nodes_after_the_module_tree(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3), nn.BatchNorm1d(3), nn.ReLU())
    model.eval()
    cr.onnx.export(model, np.zeros((2, 3, 4), np.float32), tmp_path / "m.onnx")
    graph = onnx.load(str(tmp_path / "m.onnx")).graph
    names = {i.name for i in graph.initializer}
    assert {
        "layers.1.weight",
        "layers.1.bias",
        "layers.2.running_mean",
        "layers.2.running_var",
    } <= names
    assert [n.name.split("/")[0] for n in graph.node][:4] == [
        "layers.0",
        "layers.1",
        "layers.2",
        "layers.3",
    ]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_recurrent_layers_are_one_onnx_op_per_layer(tmp_path):
    model = nn.LSTM(4, 3, num_layers=2, bidirectional=True)
    cr.onnx.export(model, np.zeros((2, 5, 4), np.float32), tmp_path / "m.onnx")
    ops = [n.op_type for n in onnx.load(str(tmp_path / "m.onnx")).graph.node]
    assert ops.count("LSTM") == 2 and "Sigmoid" not in ops and "Tanh" not in ops


def test_gpt_nodes_are_named_after_their_blocks(tmp_path):
    cr.manual_seed(0)
    cr.onnx.export(_gpt(), np.zeros((2, 8), np.int64), tmp_path / "m.onnx")
    nodes = {n.op_type: n.name for n in onnx.load(str(tmp_path / "m.onnx")).graph.node}
    # the attention primitive sits between c_attn and c_proj: its nodes belong to attn
    assert nodes["Softmax"].startswith("transformer.h.1.attn/")
    assert nodes["LayerNormalization"].startswith("transformer.ln_f/")


def test_export_leaves_the_model_in_its_mode_and_frozen_parameters_frozen(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Linear(2, 1))
    model[2].requires_grad_(False)
    cr.onnx.export(model, np.zeros((1, 2), np.float32), tmp_path / "m.onnx")
    assert model.training and model[1].training
    assert [p.requires_grad for p in model.parameters()] == [True, True, False, False]


class _Cumprod(nn.Module):
    def forward(self, x: Any) -> Any:
        return cr.cumprod(x, dim=1)


def test_unmapped_op_names_the_op_and_its_module(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), _Cumprod())
    with pytest.raises(NotImplementedError, match=r"CumProd in module 'layers.1' \(_Cumprod\)"):
        cr.onnx.export(model, np.zeros((2, 3), np.float32), tmp_path / "m.onnx")


def test_data_computed_outside_the_graph_is_an_error(tmp_path):
    model = Fn(lambda x, p: F.leaky_relu(x, 0.1), None, "any")  # its mask is x.data > 0
    with pytest.raises(ValueError, match="where's condition .* changes with the input.*nn modul"):
        cr.onnx.export(model, inputs(Case("x", model, (3,)), 2, 0), tmp_path / "m.onnx")


class _Masked(nn.Module):
    """Reads arrays the engine does not record: floor(x) and the comparison x > 0."""

    def __init__(self, read: str) -> None:
        super().__init__()
        self.inner, self.read = nn.Linear(4, 4), read

    def forward(self, x: Any) -> Any:
        return self.inner(x) + cr.floor(x) if self.read == "floor" else self.inner(x * (x > 0))


@pytest.mark.parametrize("read, op", [("floor", "Add"), ("comparison", "Mul")])
def test_arrays_the_engine_does_not_record_are_an_error_even_when_uniform(tmp_path, read, op):
    # on inputs in [0, 1) floor(x) is all 0 and x > 0 all True: only other inputs show them
    model = _Masked(read)
    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=f"{op} in the model reads an array computed from the"):
        cr.onnx.export(model, x, tmp_path / "m.onnx")


def test_export_rejects_an_opset_before_17(tmp_path):
    with pytest.raises(ValueError, match="opset must lie in"):
        cr.onnx.export(nn.ReLU(), np.zeros((2, 3), np.float32), tmp_path / "m.onnx", opset=13)


def test_export_at_opset_18_moves_reduce_axes_to_inputs(tmp_path):
    model = Fn(lambda x, p: x.mean(axis=1) + x.max(axis=1), None, "any")
    cr.onnx.export(model, np.zeros((2, 3, 4), np.float32), tmp_path / "m.onnx", opset=18)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    x = inputs(Case("x", model, (3, 4)), 4, 0)
    np.testing.assert_allclose(session.run(None, {"input": x})[0], outputs(model, x)[0], rtol=1e-6)


def test_import_chainrule_does_not_import_onnx():
    probe = (
        "import sys, chainrule; print('onnx' in sys.modules, "
        "callable(chainrule.onnx.export), 'onnx' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "False"]


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[onnx\]"'):
        cr.onnx.export(nn.ReLU(), np.zeros((2, 3), np.float32), tmp_path / "m.onnx")


# ---------------------------------------------------------------------- the command
@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    runs = {}
    for model, limit in (("mlp", "256"), ("gpt", "64")):  # the CNN's own case covers it
        out = tmp_path_factory.mktemp(model)
        args = ["train", "--model", model, "--limit", limit, "--epochs", "1", "--out", str(out)]
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr
        runs[model] = out
    return runs


@pytest.mark.parametrize("name", ["mlp", "gpt"])
def test_cli_export_writes_a_model_onnxruntime_runs(tiny_runs, tmp_path, capsys, name):
    from chainrule.training import load_model

    path = tmp_path / f"{name}.onnx"
    assert main(["export", str(tiny_runs[name]), "--onnx", str(path)]) == 0
    assert str(path) in capsys.readouterr().out
    model = load_model(tiny_runs[name])
    model.eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    shape = (model.block_size,) if name == "gpt" else (1, 28, 28)
    case = Case(name, lambda: model, shape, ints=len(model.chars) + 1 if name == "gpt" else 0)
    for batch in BATCHES:
        x = inputs(case, batch, batch)
        np.testing.assert_allclose(
            session.run(None, {"input": x})[0], outputs(model, x)[0], rtol=1e-5, atol=1e-5
        )


def test_cli_export_of_a_missing_run_is_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nothing"), "--onnx", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("chainrule export: error:") and "\n" not in err
