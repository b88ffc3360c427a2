"""Recurrent layers as in ``torch.nn``: RNN, GRU and LSTM (stacked, bidirectional, with
inter-layer dropout) and their one-step cells RNNCell, GRUCell and LSTMCell.

Composites only: each layer-direction projects the whole input sequence with ONE linear
(``(L, N, H_in) -> (L, N, gates * H)``), then each step adds the hidden projection and
applies the gates with existing differentiable ops, so backward through time (and double
backward) comes from the engine. Parameter names, gate layout (``i, f, g, o`` for LSTM,
``r, z, n`` for GRU) and init (U(±1/sqrt(hidden_size))) are PyTorch's, so state dicts map
one to one.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

from .. import ops
from ..ops.movement import concat, stack
from ..tensor import DEFAULT_DTYPE, Tensor
from . import functional as F
from . import init
from .module import Module, Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---------------------------------------------------------------------- one step of each cell
def _rnn_step(mode: str, gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    pre = gi + F.linear(h, w_hh, b_hh)
    return ops.Tanh.apply(pre) if mode == "RNN_TANH" else ops.Relu.apply(pre)


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    size = h.shape[-1]
    gh = F.linear(h, w_hh, b_hh)
    rz = ops.Sigmoid.apply(gi[..., : 2 * size] + gh[..., : 2 * size])
    r, z = rz[..., :size], rz[..., size:]
    n = ops.Tanh.apply(gi[..., 2 * size :] + r * gh[..., 2 * size :])
    return n + z * (h - n)  # = (1 - z) * n + z * h


def _lstm_step(
    gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None, w_hr: Any = None
) -> tuple[Tensor, Tensor]:
    size = c.shape[-1]
    gates = gi + F.linear(h, w_hh, b_hh)
    ifo = ops.Sigmoid.apply(concat([gates[..., : 2 * size], gates[..., 3 * size :]], axis=-1))
    i, f, o = ifo[..., :size], ifo[..., size : 2 * size], ifo[..., 2 * size :]
    g = ops.Tanh.apply(gates[..., 2 * size : 3 * size])
    c = f * c + i * g
    h = o * ops.Tanh.apply(c)
    return (h if w_hr is None else F.linear(h, w_hr)), c  # with proj_size, h is projected


def _check_sizes(op: str, input_size: Any, hidden_size: Any) -> tuple[int, int]:
    input_size, hidden_size = operator.index(input_size), operator.index(hidden_size)
    if input_size < 1 or hidden_size < 1:
        raise ValueError(
            f"{op}: sizes must be positive, got input_size={input_size}, hidden_size={hidden_size}"
        )
    return input_size, hidden_size


def _time_steps(gi: Tensor) -> list[Tensor]:
    """``[gi[0], ..., gi[L - 1]]`` in O(L log L) backward work: indexing each step of the
    whole (L, ...) tensor would send L full-size grads back (O(L^2)); halving first makes
    each step's grad as big as its half, its quarter, ... instead."""
    length = gi.shape[0]
    if length <= 4:
        return [gi[t, ...] for t in range(length)]
    middle = length // 2
    return _time_steps(gi[:middle, ...]) + _time_steps(gi[middle:, ...])


def _zeros(shape: tuple[int, ...], like: Tensor) -> Tensor:
    """A zero state of ``shape`` in the namespace, dtype and device of ``like``."""
    if type(like.data) is np.ndarray:
        return Tensor(np.zeros(shape, dtype=like.dtype))
    xp = like.data.__array_namespace__()
    return Tensor(xp.zeros(shape, dtype=like.data.dtype, device=like.data.device))


def _floating(x: Any, op: str, dtype: Any) -> Tensor:
    x = F._tensor(x, op)
    if x.dtype != dtype and x.dtype.kind != "f":
        x = x.astype(dtype)
    return x


# ---------------------------------------------------------------------- sequence layers
class RNNBase(Module):
    """What RNN, GRU and LSTM share: parameters per layer and direction and the loop."""

    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        input_size, hidden_size = _check_sizes(name, input_size, hidden_size)
        num_layers = operator.index(num_layers)
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be positive, got {num_layers}")
        if isinstance(dropout, bool) or not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"{name}: dropout must lie in [0, 1], got {dropout!r}")
        if dropout and num_layers == 1:
            warnings.warn(
                f"{name}: dropout acts between stacked layers, so dropout={dropout} does "
                f"nothing with num_layers=1",
                stacklevel=2,
            )
        proj_size = operator.index(proj_size)
        if proj_size and self.mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported for LSTM, got {proj_size}")
        if not 0 <= proj_size < hidden_size:
            raise ValueError(
                f"{name}: proj_size must lie in [0, hidden_size={hidden_size}), got {proj_size}"
            )
        self.proj_size = proj_size
        real_hidden = proj_size or hidden_size
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.rng: np.random.Generator | None = None  # dropout masks: nn.init's generator
        dtype = np.dtype(DEFAULT_DTYPE if dtype is None else dtype)
        gate_size = _GATES[self.mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes: dict[str, tuple[int, ...]] = {
                    "weight_ih": (gate_size, layer_input),
                    "weight_hh": (gate_size, real_hidden),
                }
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for kind, shape in shapes.items():
                    key = f"{kind}_l{layer}{suffix}"
                    setattr(self, key, Parameter(np.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(key)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        """Every weight and bias drawn from U(±1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for key in self._flat_weights_names:
            init.uniform_(getattr(self, key), -bound, bound)

    def flatten_parameters(self) -> None:
        """Nothing to do (PyTorch compacts cuDNN's weights here)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction, as PyTorch's ``all_weights``."""
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        params = [getattr(self, key) for key in self._flat_weights_names]
        return [params[i : i + per] for i in range(0, len(params), per)]

    def _weights(self, layer: int, reverse: bool) -> tuple[Any, ...]:
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        names = [f"{kind}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        names.append(f"weight_hr{suffix}")
        return tuple(getattr(self, key, None) for key in names)

    def _check_state(self, state: Any, what: str, expected: tuple[int, ...], dtype: Any) -> Tensor:
        name = type(self).__name__
        state = _floating(state, name, dtype)
        if state.shape != expected:
            raise ValueError(
                f"{name}: {what} of shape {state.shape} does not match the expected shape "
                f"{expected} (num_layers * num_directions, batch, hidden size)"
            )
        return state

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        name = type(self).__name__
        weight = getattr(self, self._flat_weights_names[0])
        x = _floating(input, name, weight.dtype)
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{name}: input must be 2-D (L, H_in) or 3-D "
                f"({'N, L' if self.batch_first else 'L, N'}, H_in), got shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: input of shape {x.shape} does not match input_size={self.input_size}"
            )
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)  # (L, 1, H_in)
        elif self.batch_first:
            x = x.permute(1, 0, 2)  # time-major inside
        length, batch = x.shape[0], x.shape[1]
        if length == 0:
            raise ValueError(f"{name}: input of shape {tuple(input.shape)} has no time steps")
        directions = 2 if self.bidirectional else 1
        state_shape = (self.num_layers * directions, batch, self.proj_size or self.hidden_size)
        cell_shape = state_shape[:2] + (self.hidden_size,)
        lstm = self.mode == "LSTM"
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0)")
                h0, c0 = hx
            else:
                h0 = hx
            shown = state_shape if batched else (state_shape[0], state_shape[2])
            h0 = self._check_state(h0, "h_0" if lstm else "hx", shown, x.dtype)
            shown = cell_shape if batched else (cell_shape[0], cell_shape[2])
            c0 = None if c0 is None else self._check_state(c0, "c_0", shown, x.dtype)
            if not batched:
                h0 = h0.unsqueeze(1)
                c0 = None if c0 is None else c0.unsqueeze(1)
        zeros = None if h0 is not None else _zeros(state_shape[1:], x)
        cell_zeros = None if c0 is not None or not lstm else _zeros(cell_shape[1:], x)
        finals_h: list[Tensor] = []
        finals_c: list[Tensor] = []
        layer_input = x
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:
                layer_input = F.dropout(layer_input, self.dropout, True, rng=self.rng)
            outs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, bool(direction))
                index = layer * directions + direction
                h: Any = zeros if h0 is None else h0[index, ...]
                c: Any = cell_zeros if c0 is None else c0[index, ...]
                gi = F.linear(layer_input, w_ih, b_ih)  # every time step in one matmul
                steps = _time_steps(gi)
                hs = []
                for gi_t in reversed(steps) if direction else steps:
                    if lstm:
                        h, c = _lstm_step(gi_t, h, c, w_hh, b_hh, w_hr)
                    elif self.mode == "GRU":
                        h = _gru_step(gi_t, h, w_hh, b_hh)
                    else:
                        h = _rnn_step(self.mode, gi_t, h, w_hh, b_hh)
                    hs.append(h)
                if direction:
                    hs.reverse()
                outs.append(stack(hs, dim=0))
                finals_h.append(h)
                if lstm:
                    finals_c.append(c)
            layer_input = outs[0] if directions == 1 else concat(outs, axis=-1)
        out = layer_input
        h_n = stack(finals_h, dim=0)
        c_n = stack(finals_c, dim=0) if lstm else None
        if not batched:
            out, h_n = out[:, 0, :], h_n[:, 0, :]
            c_n = None if c_n is None else c_n[:, 0, :]
        elif self.batch_first:
            out = out.permute(1, 0, 2)
        return out, ((h_n, c_n) if lstm else h_n)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if not self.bias:
            text += ", bias=False"
        if not self.batch_first:
            text += ", batch_first=False"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), as
    ``torch.nn.RNN``, except that ``batch_first`` defaults to True here.

    forward(input, hx=None) -> (output, h_n): input (N, L, H_in) with batch_first,
    (L, N, H_in) without, or unbatched (L, H_in); hx and h_n (num_layers * num_directions,
    N, H) (no N unbatched), zeros when hx is None; output (N, L, D * H), the last layer's
    hidden states at every step (both directions concatenated when bidirectional).

    Example:
        >>> import chainrule as cr
        >>> rnn = RNN(3, 5, num_layers=2)
        >>> out, h = rnn(cr.zeros((4, 7, 3)))
        >>> out.shape, h.shape
        ((4, 7, 5), (2, 4, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        object.__setattr__(self, "mode", modes[nonlinearity])  # before Module's init
        object.__setattr__(self, "nonlinearity", nonlinearity)
        args = (input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        super().__init__(*args, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU`` (``batch_first`` True by default):

        r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))      h' = (1 - z) * n + z * h

    weight_ih_l{k} stacks (W_ir | W_iz | W_in), (3 H, H_in); shapes otherwise as ``RNN``.

    Example:
        >>> import chainrule as cr
        >>> out, h = GRU(3, 5)(cr.zeros((2, 4, 3)))
        >>> out.shape, h.shape
        ((2, 4, 5), (1, 2, 5))
    """

    mode = "GRU"


class LSTM(RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM`` (``batch_first`` True by default):

        i, f, o = σ(...), g = tanh(...) from x W_ih^T + b_ih + h W_hh^T + b_hh, in that
        (i | f | g | o) layout;   c' = f * c + i * g;   h' = o * tanh(c')

    forward(input, hx=None) -> (output, (h_n, c_n)); hx is (h_0, c_0) or None (zeros).
    With ``proj_size`` P > 0, h' = (o * tanh(c')) W_hr^T (weight_hr_l{k}, (P, H)), so h,
    h_n, output and weight_hh's second dim are P wide while c stays H.

    Example:
        >>> import chainrule as cr
        >>> out, (h, c) = LSTM(3, 5, bidirectional=True)(cr.zeros((2, 4, 3)))
        >>> out.shape, h.shape, c.shape
        ((2, 4, 10), (2, 2, 5), (2, 2, 5))
    """

    mode = "LSTM"


# ---------------------------------------------------------------------- one-step cells
class RNNCellBase(Module):
    """What the cells share: weight_ih (G H, H_in), weight_hh (G H, H), bias_ih, bias_hh."""

    mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size, self.hidden_size = _check_sizes(name, input_size, hidden_size)
        dtype = np.dtype(DEFAULT_DTYPE if dtype is None else dtype)
        gate_size = _GATES[self.mode] * self.hidden_size
        self.weight_ih = Parameter(np.empty((gate_size, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((gate_size, self.hidden_size), dtype=dtype))
        self.bias_ih = self.bias_hh = None
        if bias:
            self.bias_ih = Parameter(np.empty(gate_size, dtype=dtype))
            self.bias_hh = Parameter(np.empty(gate_size, dtype=dtype))
        self.bias = bool(bias)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh):
            if p is not None:
                init.uniform_(p, -bound, bound)

    def _prepare(self, input: Any, states: tuple[Any, ...]) -> tuple[Tensor, list, bool]:  # noqa: A002
        name = type(self).__name__
        x = _floating(input, name, self.weight_ih.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: input of shape {x.shape} must be (N, {self.input_size}) or "
                f"({self.input_size},)"
            )
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        out = []
        for state in states:
            if state is None:
                out.append(_zeros((x.shape[0], self.hidden_size), x))
                continue
            state = _floating(state, name, x.dtype)
            if state.shape != expected:
                raise ValueError(
                    f"{name}: hidden state of shape {state.shape} does not match the expected "
                    f"shape {expected}"
                )
            out.append(state if batched else state.unsqueeze(0))
        return x, out, batched

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        return text + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """One Elman step, as ``torch.nn.RNNCell``: forward(input, hx=None) -> h'.

    Example:
        >>> import chainrule as cr
        >>> RNNCell(3, 4)(cr.zeros((2, 3))).shape
        (2, 4)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        object.__setattr__(self, "mode", modes[nonlinearity])
        object.__setattr__(self, "nonlinearity", nonlinearity)
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, (h,), batched = self._prepare(input, (hx,))
        h = _rnn_step(self.mode, F.linear(x, self.weight_ih, self.bias_ih), h,
                      self.weight_hh, self.bias_hh)  # fmt: skip
        return h if batched else h[0, :]


class GRUCell(RNNCellBase):
    """One GRU step, as ``torch.nn.GRUCell``: forward(input, hx=None) -> h'.

    Example:
        >>> import chainrule as cr
        >>> GRUCell(3, 4)(cr.zeros(3)).shape
        (4,)
    """

    mode = "GRU"

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, (h,), batched = self._prepare(input, (hx,))
        h = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h[0, :]


class LSTMCell(RNNCellBase):
    """One LSTM step, as ``torch.nn.LSTMCell``: forward(input, hx=None) -> (h', c'),
    hx being (h, c) or None (zeros).

    Example:
        >>> import chainrule as cr
        >>> h, c = LSTMCell(3, 4)(cr.zeros((2, 3)))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """

    mode = "LSTM"

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h, c)")
        x, (h, c), batched = self._prepare(input, (None, None) if hx is None else tuple(hx))
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(gi, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h[0, :], c[0, :])
