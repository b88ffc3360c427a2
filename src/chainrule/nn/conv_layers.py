"""Convolutional layers: Conv2d, pooling, BatchNorm1d/2d and Dropout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import DEFAULT_DTYPE, Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution (cross-correlation) over (N, C, H, W) input.

    ``weight`` is (out_channels, in_channels, kH, kW), drawn as PyTorch does: Kaiming-uniform
    with a = sqrt(5), i.e. U(±1/sqrt(fan_in)) with fan_in = in_channels * kH * kW; ``bias``
    is U(±1/sqrt(fan_in)).

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, (H + 2p - kH) // s + 1, (W + 2p - kW) // s + 1)

    Example:
        >>> import chainrule as cr
        >>> Conv2d(1, 4, 3, padding=1)(cr.zeros((2, 1, 28, 28))).shape
        (2, 4, 28, 28)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if in_channels < 1 or out_channels < 1:
            raise ValueError(
                f"Conv2d: channels must be positive, got in_channels={in_channels}, "
                f"out_channels={out_channels}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._pair(kernel_size, "Conv2d", "kernel_size", 1)
        self.stride = F._pair(stride, "Conv2d", "stride", 1)
        self.padding = F._pair(padding, "Conv2d", "padding", 0)
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=DEFAULT_DTYPE))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.bias = None
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=DEFAULT_DTYPE))
            bound = 1 / math.sqrt(in_channels * self.kernel_size[0] * self.kernel_size[1])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}"
        )


class MaxPool2d(Module):
    """Maximum over kH x kW windows; ``stride`` defaults to ``kernel_size``.

    Example:
        >>> import chainrule as cr
        >>> MaxPool2d(2)(cr.zeros((1, 3, 28, 28))).shape
        (1, 3, 14, 14)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = F._pair(kernel_size, "MaxPool2d", "kernel_size", 1)
        self.stride = (
            self.kernel_size if stride is None else F._pair(stride, "MaxPool2d", "stride", 1)
        )
        self.padding = F._pair(padding, "MaxPool2d", "padding", 0)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over kH x kW windows; ``stride`` defaults to ``kernel_size``; padding counts.

    Example:
        >>> import chainrule as cr
        >>> AvgPool2d(2)(cr.ones((1, 1, 4, 4))).shape
        (1, 1, 2, 2)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = F._pair(kernel_size, "AvgPool2d", "kernel_size", 1)
        self.stride = (
            self.kernel_size if stride is None else F._pair(stride, "AvgPool2d", "stride", 1)
        )
        self.padding = F._pair(padding, "AvgPool2d", "padding", 0)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _BatchNorm(Module):
    """Shared body of BatchNorm1d/2d: affine ``weight``/``bias`` and running statistics."""

    _input_dims: tuple[int, ...] = ()
    _input_text = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        name = type(self).__name__
        if num_features < 1:
            raise ValueError(f"{name}: num_features must be positive, got {num_features}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be positive, got {eps}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must lie in [0, 1], got {momentum}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = Parameter(np.ones(num_features, dtype=DEFAULT_DTYPE))
        self.bias = Parameter(np.zeros(num_features, dtype=DEFAULT_DTYPE))
        self.register_buffer("running_mean", np.zeros(num_features, dtype=DEFAULT_DTYPE))
        self.register_buffer("running_var", np.ones(num_features, dtype=DEFAULT_DTYPE))

    def forward(self, x: Any) -> Tensor:
        x = F._tensor(x, type(self).__name__)
        if x.ndim not in self._input_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: expected input {self._input_text} with "
                f"C={self.num_features}, got shape {x.shape}"
            )
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C.

    Training normalises with the batch's statistics and updates ``running_mean`` and
    ``running_var`` (unbiased) with ``momentum``; ``eval()`` normalises with them instead.

    Example:
        >>> import chainrule as cr
        >>> BatchNorm1d(3)(cr.randn(8, 3, seed=0)).shape
        (8, 3)
    """

    _input_dims = (2, 3)
    _input_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel C (statistics over N, H, W).

    Example:
        >>> import chainrule as cr
        >>> BatchNorm2d(3)(cr.randn(2, 3, 4, 4, seed=0)).shape
        (2, 3, 4, 4)
    """

    _input_dims = (4,)
    _input_text = "(N, C, H, W)"


class Dropout(Module):
    """Zero elements with probability ``p`` and scale the rest by 1 / (1 - p); identity in eval.

    Masks come from the generator ``nn.init.manual_seed`` seeds, or from a private one when
    ``seed`` is given.

    Example:
        >>> import chainrule as cr
        >>> layer = Dropout(0.5, seed=0)
        >>> layer(cr.ones((1, 4)))
        tensor([[2., 2., 2., 0.]])
        >>> layer.eval()(cr.ones((1, 4)))
        tensor([[1., 1., 1., 1.]])
    """

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must lie in [0, 1], got {p!r}")
        self.p = p
        self.rng = None if seed is None else np.random.default_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"
