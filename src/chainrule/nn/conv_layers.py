"""Convolution, pooling, batch-norm and dropout layers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import DEFAULT_DTYPE, Tensor
from . import functional as F
from . import init, windows
from .module import Module, Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ints(dims: int, value: Any, op: str, name: str, minimum: int) -> tuple[int, ...]:
    """An int or a ``dims``-tuple of them, as a ``dims``-tuple (PyTorch keeps tuples)."""
    if dims == 2:
        return F._pair(value, op, name, minimum)
    return (F._single(value, op, name, minimum),)


class _Conv(Module):
    """Shared body of the convolutions: options checked once; weight and bias drawn as
    PyTorch does: Kaiming-uniform with a = sqrt(5), i.e. U(±1/sqrt(fan_in)) with fan_in =
    weight.shape[1] * prod(kernel_size), and the bias U(±1/sqrt(fan_in))."""

    _dims = 2
    _transposed = False

    def _setup(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: Any = 0,
    ) -> None:
        name, dims = type(self).__name__, self._dims
        if in_channels < 1 or out_channels < 1:
            raise ValueError(
                f"{name}: channels must be positive, got in_channels={in_channels}, "
                f"out_channels={out_channels}"
            )
        if (
            not isinstance(groups, int)
            or groups < 1
            or in_channels % groups
            or out_channels % groups
        ):
            raise ValueError(
                f"{name}: in_channels={in_channels} and out_channels={out_channels} must both "
                f"be divisible by groups={groups!r}"
            )
        modes = ("zeros",) if self._transposed else _PADDING_MODES
        if padding_mode not in modes:
            raise ValueError(f"{name}: padding_mode must be one of {modes}, got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ints(dims, kernel_size, name, "kernel_size", 1)
        self.stride = _ints(dims, stride, name, "stride", 1)
        self.padding: Any = padding
        if not isinstance(padding, str) or self._transposed:
            self.padding = _ints(dims, padding, name, "padding", 0)
        elif padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be 'valid', 'same' or ints, got {padding!r}")
        elif padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
        self.dilation = _ints(dims, dilation, name, "dilation", 1)
        self.groups, self.padding_mode = groups, padding_mode
        if self._transposed:
            self.output_padding = _ints(dims, output_padding, name, "output_padding", 0)
        shape = (
            (in_channels, out_channels // groups)
            if self._transposed
            else (
                out_channels,
                in_channels // groups,
            )
        )
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype=DEFAULT_DTYPE))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.bias = None
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=DEFAULT_DTYPE))
            bound = 1 / math.sqrt(init._fans(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def _padded(self, x: Any) -> Tensor:
        """x padded by copying its own elements (a ``padding_mode`` other than zeros)."""
        x = F._tensor(x, type(self).__name__)
        if self.padding == "valid":
            return x
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pads = tuple((t // 2, t - t // 2) for t in totals)
        else:
            pads = tuple((p, p) for p in self.padding)
        if self._dims == 1:
            pads = ((0, 0), *pads)
        return windows.pad_mode(type(self).__name__, x, pads, self.padding_mode)  # type: ignore[arg-type]

    def _output_padding(self, x: Any, output_size: Any) -> tuple[int, ...]:
        """The output_padding that makes a transposed convolution's output ``output_size``
        (its last spatial entries), checked against the sizes reachable from ``x``."""
        if output_size is None:
            return self.output_padding
        wanted = tuple(output_size)[-self._dims :]
        extra = []
        for want, size, s, p, d, k in zip(
            wanted,
            x.shape[-self._dims :],
            self.stride,
            self.padding,
            self.dilation,
            self.kernel_size,
        ):
            smallest = (size - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= want < smallest + s:
                raise ValueError(
                    f"{type(self).__name__}: output_size {tuple(output_size)} is not reachable "
                    f"from input {x.shape}: each size must lie in [{smallest}, {smallest + s})"
                )
            extra.append(want - smallest)
        return tuple(extra)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
        if self._transposed and any(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode!r}"
        return text + f", bias={self.bias is not None}"


class _ForwardConv(_Conv):
    """Shared body of Conv1d and Conv2d: PyTorch's constructor, and a forward that pads
    itself first for the non-zero padding modes."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        self._setup(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
        )

    def forward(self, x: Tensor) -> Tensor:
        padding = self.padding
        if self.padding_mode != "zeros":
            x, padding = self._padded(x), 0
        conv = F.conv1d if self._dims == 1 else F.conv2d
        return conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_ForwardConv):
    """2-D convolution (cross-correlation) over (N, C, H, W) input, as ``torch.nn.Conv2d``.

    ``weight`` is (out_channels, in_channels / groups, kH, kW). ``padding`` is ints,
    "valid" or "same"; ``padding_mode`` "zeros", "reflect", "replicate" or "circular".

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, (H + 2p - d (kH - 1) - 1) // s + 1, ...)

    Example:
        >>> import chainrule as cr
        >>> Conv2d(1, 4, 3, padding=1)(cr.zeros((2, 1, 28, 28))).shape
        (2, 4, 28, 28)
    """



class Conv1d(_ForwardConv):
    """1-D convolution over (N, C, L) input, as ``torch.nn.Conv1d``: weight (out_channels,
    in_channels / groups, k); the options of Conv2d.

    Example:
        >>> import chainrule as cr
        >>> Conv1d(2, 4, 3, stride=2)(cr.zeros((1, 2, 9))).shape
        (1, 4, 4)
    """

    _dims = 1


class _ConvTranspose(_Conv):
    """Shared body of the transposed convolutions: PyTorch's constructor, and a forward that
    may pick the output size among those a strided convolution maps alike."""

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        self._setup(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
        )

    def forward(self, x: Tensor, output_size: Any = None) -> Tensor:
        x = F._tensor(x, type(self).__name__)
        extra = self._output_padding(x, output_size)
        transposed = F.conv_transpose1d if self._dims == 1 else F.conv_transpose2d
        return transposed(
            x, self.weight, self.bias, self.stride, self.padding, extra, self.groups, self.dilation
        )


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution, as ``torch.nn.ConvTranspose2d``: weight (in_channels,
    out_channels / groups, kH, kW); ``forward(x, output_size)`` may pick the output size
    among those a strided conv2d maps alike.

    Example:
        >>> import chainrule as cr
        >>> ConvTranspose2d(4, 2, 3, stride=2, padding=1)(cr.zeros((1, 4, 5, 5))).shape
        (1, 2, 9, 9)
    """


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution, as ``torch.nn.ConvTranspose1d``: weight (in_channels,
    out_channels / groups, k)."""

    _dims = 1


class _Pool(Module):
    """Shared body of the pooling layers: kernel_size, stride (the kernel's by default) and
    padding, as ``dims``-tuples."""

    _dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name, dims = type(self).__name__, self._dims
        self.kernel_size = _ints(dims, kernel_size, name, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _ints(dims, stride, name, "stride", 1)
        self.padding = _ints(dims, padding, name, "padding", 0)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPool(_Pool):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation = _ints(self._dims, dilation, type(self).__name__, "dilation", 1)
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Tensor) -> Any:
        pool = F.max_pool2d if self._dims == 2 else F.max_pool1d
        args = (self.kernel_size, self.stride, self.padding, self.dilation)
        return pool(x, *args, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        return text + (", ceil_mode=True" if self.ceil_mode else "")


class MaxPool2d(_MaxPool):
    """Maximum over kH x kW windows, as ``torch.nn.MaxPool2d``; ``stride`` defaults to
    ``kernel_size``.

    Example:
        >>> import chainrule as cr
        >>> MaxPool2d(2)(cr.zeros((1, 3, 28, 28))).shape
        (1, 3, 14, 14)
    """


class MaxPool1d(_MaxPool):
    """Maximum over windows of (N, C, L) input, as ``torch.nn.MaxPool1d``."""

    _dims = 1


class _AvgPool(_Pool):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        args = (self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)
        if self._dims == 1:
            return F.avg_pool1d(x, *args)
        return F.avg_pool2d(x, *args, self.divisor_override)


class AvgPool2d(_AvgPool):
    """Mean over kH x kW windows, as ``torch.nn.AvgPool2d``; ``stride`` defaults to
    ``kernel_size``; padding counts unless ``count_include_pad=False``.

    Example:
        >>> import chainrule as cr
        >>> AvgPool2d(2)(cr.ones((1, 1, 4, 4))).shape
        (1, 1, 2, 2)
    """


class AvgPool1d(_AvgPool):
    """Mean over windows of (N, C, L) input, as ``torch.nn.AvgPool1d``."""

    _dims = 1

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class MaxUnpool2d(_Pool):
    """The partial inverse of MaxPool2d(return_indices=True): ``forward(x, indices,
    output_size=None)`` puts each value back at its index, zeros elsewhere.

    Example:
        >>> import chainrule as cr
        >>> pooled, index = MaxPool2d(2, return_indices=True)(cr.ones((1, 1, 4, 4)))
        >>> MaxUnpool2d(2)(pooled, index).shape
        (1, 1, 4, 4)
    """

    def forward(self, x: Tensor, indices: Any, output_size: Any = None) -> Tensor:
        unpool = F.max_unpool2d if self._dims == 2 else F.max_unpool1d
        return unpool(x, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool1d(MaxUnpool2d):
    """The partial inverse of MaxPool1d(return_indices=True)."""

    _dims = 1


class AdaptiveAvgPool2d(Module):
    """Mean over the windows that split H and W into ``output_size`` parts, as
    ``torch.nn.AdaptiveAvgPool2d`` (None keeps that size).

    Example:
        >>> import chainrule as cr
        >>> AdaptiveAvgPool2d((1, 1))(cr.ones((2, 8, 7, 7))).shape
        (2, 8, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Mean over the windows that split L into ``output_size`` parts."""

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)


class AdaptiveMaxPool2d(Module):
    """Maximum over the windows of AdaptiveAvgPool2d, as ``torch.nn.AdaptiveMaxPool2d``."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Maximum over the windows that split L into ``output_size`` parts."""

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool1d(x, self.output_size, self.return_indices)


class Unfold(Module):
    """im2col as a layer: ``F.unfold`` with these options (PyTorch's argument order)."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x: Tensor) -> Tensor:
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)


class Fold(Module):
    """col2im as a layer: ``F.fold`` with these options (PyTorch's argument order)."""

    def __init__(
        self,
        output_size: Any,
        kernel_size: Any,
        dilation: Any = 1,
        padding: Any = 0,
        stride: Any = 1,
    ) -> None:
        super().__init__()
        self.output_size, self.kernel_size, self.dilation = output_size, kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x: Tensor) -> Tensor:
        args = (self.kernel_size, self.dilation, self.padding, self.stride)
        return F.fold(x, self.output_size, *args)


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


class _ChannelDropout(Module):
    """Shared body of the dropout variants: ``p``, and a private generator when ``seed`` is
    given; ``inplace`` is accepted and ignored (the result is a new tensor)."""

    _function: Any = None

    def __init__(self, p: float = 0.5, inplace: bool = False, seed: int | None = None) -> None:
        super().__init__()
        F._check_p(type(self).__name__, p)
        self.p, self.inplace = p, inplace
        self.rng = None if seed is None else np.random.default_rng(seed)

    def forward(self, x: Tensor) -> Tensor:
        return type(self)._function(x, self.p, self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout1d(_ChannelDropout):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""

    _function = staticmethod(F.dropout1d)


class Dropout2d(_ChannelDropout):
    """Zero whole channels of (N, C, H, W) input with probability ``p``."""

    _function = staticmethod(F.dropout2d)


class Dropout3d(_ChannelDropout):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""

    _function = staticmethod(F.dropout3d)


class AlphaDropout(_ChannelDropout):
    """Alpha dropout for SELU networks: keeps zero mean and unit variance."""

    _function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_ChannelDropout):
    """Alpha dropout of whole channels."""

    _function = staticmethod(F.feature_alpha_dropout)
