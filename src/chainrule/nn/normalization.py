"""Per-sample normalisation layers: LayerNorm and GroupNorm (BatchNorm is in conv_layers.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import DEFAULT_DTYPE, Tensor
from . import functional as F
from .module import Module, Parameter


class LayerNorm(Module):
    """Normalise over the last dimensions ``normalized_shape`` of each sample, as
    ``torch.nn.LayerNorm``; with ``elementwise_affine`` a learned ``weight`` (ones) and
    ``bias`` (zeros, unless ``bias=False``) of that shape.

    Example:
        >>> import chainrule as cr
        >>> LayerNorm(4)(cr.randn(2, 3, 4, seed=0)).shape
        (2, 3, 4)
    """

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int(n) for n in shape)
        if not self.normalized_shape or min(self.normalized_shape) < 1:
            raise ValueError(f"LayerNorm: normalized_shape must be positive ints, got {shape!r}")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = self.bias = None
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=DEFAULT_DTYPE))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=DEFAULT_DTYPE))

    def forward(self, x: Any) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Normalise each sample's ``num_channels`` channels in ``num_groups`` groups, as
    ``torch.nn.GroupNorm``; with ``affine`` a per-channel ``weight`` (ones) and ``bias``
    (zeros).

    Example:
        >>> import chainrule as cr
        >>> GroupNorm(2, 4)(cr.randn(3, 4, 5, 5, seed=0)).shape
        (3, 4, 5, 5)
    """

    def __init__(
        self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True
    ) -> None:
        super().__init__()
        if num_groups < 1 or num_channels < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by "
                f"num_groups={num_groups}"
            )
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        self.weight = self.bias = None
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=DEFAULT_DTYPE))
            self.bias = Parameter(np.zeros(num_channels, dtype=DEFAULT_DTYPE))

    def forward(self, x: Any) -> Tensor:
        x = F._tensor(x, "GroupNorm")
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm: expected input (N, {self.num_channels}, ...), got shape {x.shape}"
            )
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
