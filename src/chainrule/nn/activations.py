"""Activation modules, PyTorch's names and constructor arguments, each one nn.functional call.

ReLU, Sigmoid and Tanh live in layers.py. ``inplace`` is accepted and shown as PyTorch shows
it, but the result is always a new tensor (see nn.functional).
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module


class _Inplace(Module):
    """An activation with only PyTorch's ``inplace`` flag; ``_function`` is its functional."""

    _function: Any

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Any) -> Tensor:
        return type(self)._function(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SiLU(_Inplace):
    """x * sigmoid(x)."""

    _function = F.silu


class Mish(_Inplace):
    """x * tanh(softplus(x))."""

    _function = F.mish


class SELU(_Inplace):
    """scale * elu(x, alpha) with the self-normalising constants."""

    _function = F.selu


class ReLU6(_Inplace):
    """min(max(x, 0), 6)."""

    _function = F.relu6


class Hardsigmoid(_Inplace):
    """0 below -3, 1 above 3, x / 6 + 1/2 between."""

    _function = F.hardsigmoid


class Hardswish(_Inplace):
    """x * hardsigmoid(x)."""

    _function = F.hardswish


class GELU(Module):
    """x * Phi(x), or its tanh approximation with ``approximate="tanh"``.

    Example:
        >>> GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Any) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ELU(Module):
    """x where x > 0, else alpha (exp(x) - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Any) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """x where x > 0, else alpha (exp(x / alpha) - 1)."""

    def forward(self, input: Any) -> Tensor:
        return F.celu(input, self.alpha)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.

    Example:
        >>> LeakyReLU(0.2)
        LeakyReLU(negative_slope=0.2)
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Any) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} is greater than max_val {max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Any) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Any) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input: Any) -> Tensor:
        return F.softsign(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable for any x."""

    def forward(self, input: Any) -> Tensor:
        return F.logsigmoid(input)


class Softmax(Module):
    """softmax along ``dim`` (the last when None).

    Example:
        >>> import chainrule as cr
        >>> Softmax(dim=0)(cr.tensor([0.0, 0.0]))
        tensor([0.5, 0.5])
    """

    _function: Any = F.softmax

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Tensor:
        return type(self)._function(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log_softmax along ``dim`` (the last when None)."""

    _function = F.log_softmax


class Softmin(Softmax):
    """softmax(-x) along ``dim`` (the last when None)."""

    _function = F.softmin
