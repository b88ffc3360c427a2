"""Layers: Linear, activations, Flatten and Sequential."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops
from ..tensor import DEFAULT_DTYPE, Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight^T + bias.

    ``weight`` is (out_features, in_features), drawn as PyTorch does: Kaiming-uniform with
    a = sqrt(5), i.e. U(±1/sqrt(in_features)); ``bias`` is U(±1/sqrt(in_features)).

    Shape:
        (N, in_features) -> (N, out_features); any leading dims are kept.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ValueError(
                f"Linear: features must be positive, got in_features={in_features}, "
                f"out_features={out_features}"
            )
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=DEFAULT_DTYPE))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.bias = None
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=DEFAULT_DTYPE))
            bound = 1 / math.sqrt(in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if self.bias is None:
            return ops.Linear.apply(x, self.weight)
        return ops.Linear.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.Relu.apply(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.Sigmoid.apply(x)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.Tanh.apply(x)


class Flatten(Module):
    """Merges axes ``start_dim`` to ``end_dim`` (both included) into one, by default
    (N, d1, d2, ...) -> (N, d1 * d2 * ...); takes Tensors and ndarrays, as every layer does.

    Example:
        >>> Flatten()(np.zeros((32, 1, 28, 28), dtype=np.float32)).shape
        (32, 784)
        >>> Flatten(0, 1)(np.zeros((2, 3, 4))).shape
        (6, 4)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        x = F._tensor(x, "Flatten")
        shape, ndim = x.shape, max(x.ndim, 1)
        if not (-ndim <= self.start_dim < ndim and -ndim <= self.end_dim < ndim):
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} or end_dim {self.end_dim} is out of "
                f"range for input {shape}"
            )
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim}"
            )
        return x.reshape(*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Modules applied in order; ``model[i]`` is the i-th.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> model(cr.zeros((3, 4))).shape
        (3, 2)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for module in modules:
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: expected Modules, got {type(module).__name__}")
        self.layers = list(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)
