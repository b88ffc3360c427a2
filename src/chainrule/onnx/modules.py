"""Modules exported whole: one ONNX op for what chainrule composes from many primitives.

RNN, GRU and LSTM are loops of primitives in the graph (one set per time step); ONNX has
them as single ops, with their own weight layout and gate order. The convolutions cover
groups, dilation and the padding modes with one Conv (or ConvTranspose), the poolings
ceil_mode and dilation with one MaxPool or AveragePool. Activations whose branch is picked
by a mask read from the data (``x.data > 0``), which the graph does not record, and
Embedding (its index is data too) map to their ONNX ops. ``tracing.run`` hooks every module whose
type is in ``CONVERTERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from ..tensor import Tensor
from .builder import Builder
from .tracing import Call

# PyTorch's gate blocks in ONNX's order: LSTM i f g o -> i o f c, GRU r z n -> z r h
_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def convert(g: Builder, call: Call, twin: Call) -> list[str]:
    """The ONNX values of a module call's output tensors, in ``_tensors`` order."""
    call.twin = twin
    return CONVERTERS[type(call.module)](g, call)


def _parameter(g: Builder, call: Call, name: str) -> str | None:
    value = getattr(call.module, name)
    return None if value is None else g.initializer(_join(call.name, name), value.data)


def _weight(g: Builder, call: Call) -> str:
    return g.initializer(_join(call.name, "weight"), call.module.weight.data)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _input(g: Builder, call: Call) -> tuple[str, Tensor]:
    x = call.args[0] if call.args else call.kwargs["input"]
    if not isinstance(x, Tensor):
        raise g.unmapped(type(call.module).__name__, "its input must be a traced Tensor")
    return g.name(x), x


# ---------------------------------------------------------------------- recurrent layers
def _recurrent(g: Builder, call: Call) -> list[str]:
    """RNN/GRU/LSTM as one ONNX op per layer, time-major, weights restacked per direction."""
    module = call.module
    mode = module.mode
    kind = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    if module.proj_size:
        raise g.unmapped("LSTM with proj_size", "ONNX's LSTM has no projection")
    x, tensor = _input(g, call)
    if tensor.ndim == 2:  # unbatched (L, H_in): a batch of one
        x = g.node("Unsqueeze", [x, g.ints([1])])
    elif module.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    hx = call.args[1] if len(call.args) > 1 else call.kwargs.get("hx")
    states = [] if hx is None else list(hx) if kind == "LSTM" else [hx]
    if not all(isinstance(s, Tensor) for s in states):
        raise g.unmapped(type(module).__name__, "hx must be Tensors")
    states = [g.name(s) for s in states]
    if tensor.ndim == 2:
        states = [g.node("Unsqueeze", [s, g.ints([1])]) for s in states]
    directions = 2 if module.bidirectional else 1
    attrs: dict[str, Any] = {"hidden_size": module.hidden_size}
    attrs["direction"] = "bidirectional" if directions == 2 else "forward"
    if kind == "GRU":
        attrs["linear_before_reset"] = 1  # PyTorch's: r multiplies (W_hn h + b_hn)
    if mode == "RNN_RELU":
        attrs["activations"] = ["Relu"] * directions
    finals: list[list[str]] = [[], []]
    for layer in range(module.num_layers):
        weights = _layer_weights(g, call, layer, directions)
        bounds = [g.ints([layer * directions]), g.ints([(layer + 1) * directions]), g.ints([0])]
        initial = [g.node("Slice", [s, *bounds]) for s in states]
        if kind == "LSTM" and not initial:
            initial = ["", ""]
        outputs = 3 if kind == "LSTM" else 2
        y, *last = g.node(kind, [x, *weights, "", *initial], outputs=outputs, **attrs)
        x = g.node("Transpose", [y], perm=[0, 2, 1, 3])  # (L, D, N, H) -> (L, N, D, H)
        x = g.node("Reshape", [x, g.ints([0, 0, -1])])
        for kept, value in zip(finals, last):
            kept.append(value)
    if tensor.ndim == 2:
        x = g.node("Squeeze", [x, g.ints([1])])
    elif module.batch_first:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    ends = [
        values[0] if len(values) == 1 else g.node("Concat", values, axis=0)
        for values in finals
        if values
    ]
    if tensor.ndim == 2:
        ends = [g.node("Squeeze", [h, g.ints([1])]) for h in ends]
    return [x, *ends]


def _layer_weights(g: Builder, call: Call, layer: int, directions: int) -> list[str]:
    """W, R and B of one layer: (D, G H, in), (D, G H, H), (D, 2 G H), gates in ONNX's order."""
    module = call.module
    order = _GATE_ORDER[module.mode]

    def gates(array: np.ndarray) -> np.ndarray:
        blocks = np.split(array, len(order), axis=0)
        return np.concatenate([blocks[i] for i in order], axis=0)

    stacked: dict[str, list[np.ndarray]] = {"W": [], "R": [], "B": []}
    for direction in range(directions):
        w_ih, w_hh, b_ih, b_hh, _ = module._weights(layer, bool(direction))
        stacked["W"].append(gates(w_ih.data))
        stacked["R"].append(gates(w_hh.data))
        if b_ih is not None:
            stacked["B"].append(np.concatenate([gates(b_ih.data), gates(b_hh.data)]))
    names = []
    for key, arrays in stacked.items():
        name = _join(call.name, f"{key}_l{layer}")
        names.append(g.initializer(name, np.stack(arrays)) if arrays else "")
    return names


# ---------------------------------------------------------------------- convolution
def _spatial(g: Builder, call: Call) -> tuple[str, Tensor, int]:
    """The input of a convolution or pooling layer, which must be batched: (N, C, *spatial)."""
    x, tensor = _input(g, call)
    dims = len(call.module.kernel_size)
    if tensor.ndim != dims + 2:
        raise g.unmapped(
            type(call.module).__name__, f"input must be {dims + 2}-D (batched), got {tensor.shape}"
        )
    return x, tensor, dims


def _conv(g: Builder, call: Call) -> list[str]:
    """Conv with groups, dilation and "same" padding; reflect/replicate padding as a Pad first."""
    module = call.module
    x, _, dims = _spatial(g, call)
    if module.padding == "valid":
        pads = [(0, 0)] * dims
    elif module.padding == "same":
        totals = [d * (k - 1) for d, k in zip(module.dilation, module.kernel_size)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        pads = [(p, p) for p in module.padding]
    flat = [p[0] for p in pads] + [p[1] for p in pads]  # ONNX: all begins, then all ends
    if module.padding_mode != "zeros":
        modes = {"reflect": "reflect", "replicate": "edge"}
        if module.padding_mode not in modes:
            what = type(module).__name__
            raise g.unmapped(what, f"padding_mode={module.padding_mode!r} (opset 17 has no wrap)")
        whole = [0, 0, *flat[:dims], 0, 0, *flat[dims:]]
        x = g.node("Pad", [x, g.ints(whole)], mode=modes[module.padding_mode])
        flat = [0] * (2 * dims)
    return [_conv_node(g, "Conv", x, call, pads=flat)]


def _conv_transpose(g: Builder, call: Call) -> list[str]:
    """ConvTranspose: chainrule's weight (C_in, C_out / G, *kernel) is ONNX's layout."""
    module = call.module
    x, tensor, _ = _spatial(g, call)
    output_size = call.args[1] if len(call.args) > 1 else call.kwargs.get("output_size")
    extra = module._output_padding(tensor, output_size)
    return [
        _conv_node(
            g, "ConvTranspose", x, call, pads=list(module.padding) * 2, output_padding=list(extra)
        )
    ]


def _conv_node(g: Builder, op: str, x: str, call: Call, **attributes: Any) -> str:
    """``op`` (Conv or ConvTranspose) on ``x`` with the module's weight, bias and geometry."""
    module = call.module
    bias = _parameter(g, call, "bias")
    return g.node(
        op,
        [x, _weight(g, call)] + ([] if bias is None else [bias]),
        kernel_shape=list(module.kernel_size),
        strides=list(module.stride),
        dilations=list(module.dilation),
        group=module.groups,
        **attributes,
    )


def _pool(g: Builder, call: Call) -> list[str]:
    """MaxPool (dilation, ceil_mode) and AveragePool (count_include_pad, ceil_mode)."""
    module = call.module
    x, _, dims = _spatial(g, call)
    attrs: dict[str, Any] = {
        "kernel_shape": list(module.kernel_size),
        "strides": list(module.stride),
        "pads": list(module.padding) * 2,
        "ceil_mode": int(module.ceil_mode),
    }
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)):
        if module.return_indices:
            what = f"{type(module).__name__} with return_indices"
            raise g.unmapped(what, "ONNX's indices count differently")
        out = g.node("MaxPool", [x], dilations=list(module.dilation), **attrs)
    elif getattr(module, "divisor_override", None) is not None:
        raise g.unmapped("AvgPool2d with divisor_override")
    else:
        include = int(module.count_include_pad)
        out = g.node("AveragePool", [x], count_include_pad=include, **attrs)
    if module.ceil_mode:  # NOTE: ONNX keeps a last window that starts in the padding, PyTorch not
        size = list(call.output.shape[2:])
        axes = list(range(2, 2 + dims))
        out = g.node("Slice", [out, g.ints([0] * dims), g.ints(size), g.ints(axes)])
    return [out]


def _embedding(g: Builder, call: Call) -> list[str]:
    """Gather of the weight's rows; an index array (not a Tensor) is a constant."""
    index = call.args[0] if call.args else call.kwargs["input"]
    if isinstance(index, Tensor):
        value = g.cast(g.name(index), index.dtype, np.int64)
    elif g.input_array(index) is not None:
        value = g.cast(str(g.input_array(index)), index.dtype, np.int64)
    else:
        twin = call.twin.args[0] if call.twin.args else call.twin.kwargs["input"]
        value = g.cast(
            g.data(index, twin, "an embedding's index"), np.asarray(index).dtype, np.int64
        )
    return [g.node("Gather", [_weight(g, call), value], axis=0)]


# ---------------------------------------------------------------------- activations
def _activation(
    op_type: str, **attrs: Callable[[Any], Any]
) -> Callable[[Builder, Call], list[str]]:
    def convert(g: Builder, call: Call) -> list[str]:
        x, _ = _input(g, call)
        values: dict[str, Any] = {k: float(f(call.module)) for k, f in attrs.items()}
        return [g.node(op_type, [x], **values)]

    return convert


def _clip(
    low: Callable[[Any], float], high: Callable[[Any], float]
) -> Callable[[Builder, Call], list[str]]:
    def convert(g: Builder, call: Call) -> list[str]:
        x, tensor = _input(g, call)
        bounds = [g.const(np.asarray(f(call.module), dtype=tensor.dtype)) for f in (low, high)]
        return [g.node("Clip", [x, *bounds])]

    return convert


def _softplus(g: Builder, call: Call) -> list[str]:
    """log(1 + exp(beta x)) / beta, x itself where beta x > threshold."""
    x, tensor = _input(g, call)
    beta, threshold = call.module.beta, call.module.threshold

    def const(value: float) -> str:
        return g.const(np.asarray(value, dtype=tensor.dtype))

    scaled = x if beta == 1 else g.node("Mul", [x, const(beta)])
    out = g.node("Softplus", [scaled])
    out = out if beta == 1 else g.node("Div", [out, const(beta)])
    return [g.node("Where", [g.node("Greater", [scaled, const(threshold)]), x, out])]


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

CONVERTERS: dict[type, Callable[[Builder, Call], list[str]]] = {
    nn.RNN: _recurrent,
    nn.GRU: _recurrent,
    nn.LSTM: _recurrent,
    nn.Conv1d: _conv,
    nn.Conv2d: _conv,
    nn.ConvTranspose1d: _conv_transpose,
    nn.ConvTranspose2d: _conv_transpose,
    nn.MaxPool1d: _pool,
    nn.MaxPool2d: _pool,
    nn.AvgPool1d: _pool,
    nn.AvgPool2d: _pool,
    nn.Embedding: _embedding,
    nn.LeakyReLU: _activation("LeakyRelu", alpha=lambda m: m.negative_slope),
    nn.ELU: _activation("Elu", alpha=lambda m: m.alpha),
    nn.CELU: _activation("Celu", alpha=lambda m: m.alpha),
    nn.SELU: _activation("Selu", alpha=lambda m: _SELU_ALPHA, gamma=lambda m: _SELU_SCALE),
    nn.Hardsigmoid: _activation("HardSigmoid", alpha=lambda m: 1 / 6, beta=lambda m: 0.5),
    nn.Hardswish: _activation("HardSwish"),
    nn.Hardtanh: _clip(lambda m: m.min_val, lambda m: m.max_val),
    nn.ReLU6: _clip(lambda m: 0.0, lambda m: 6.0),
    nn.Softplus: _softplus,
}
WHOLE = frozenset(CONVERTERS)
