"""Convolution, pooling and normalisation primitives.

The public wrappers (argument checks, defaults) live in ``nn/functional.py``; the modules
in ``nn/conv_layers.py``. Each rule runs its namespace's kernels: on NumPy the tuned ones
in ``backends/cpu_conv.py`` (arrays returned channel-major, see there); on other Array API
arrays and on Tensors (``create_graph=True``) ``Portable``'s, built from ``Unfold`` and
``Fold`` below and standard functions, so they differentiate again.
"""

from __future__ import annotations

from typing import Any

from .autograd import Function
from .grad_mode import grad_enabled

Grads = tuple[Any, ...]
Pair = tuple[int, int]


class Conv2d(Function, fresh_grads=True):
    """y[n, o, h, w] = b[o] + sum_{c, i, j} w[o, c, i, j] * x_pad[n, c, s*h + i, s*w + j]"""

    __slots__ = ()

    def forward(
        self, x: Any, w: Any, b: Any = None, stride: Pair = (1, 1), padding: Pair = (0, 0)
    ) -> Any:
        _check_conv(x, w, b)
        out, self.saved = self.xp.conv2d_forward(x, w, b, stride, padding, grad_enabled())
        return out

    def backward(self, grad: Any) -> Grads:
        return self.xp.conv2d_backward(self.saved, grad, self.needs_grad)


def _check_conv(x: Any, w: Any, b: Any) -> None:
    if x.ndim != 4:
        raise ValueError(f"conv2d: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(
            f"conv2d: weight must be 4-D (out_channels, in_channels, kH, kW), got shape {w.shape}"
        )
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels but weight expects {w.shape[1]}, "
            f"input {x.shape}, weight {w.shape}"
        )
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"conv2d: bias of shape {b.shape}, expected ({w.shape[0]},)")


def _check_pool(op: str, x: Any, kernel_size: Pair, padding: Pair) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if 2 * padding[0] > kernel_size[0] or 2 * padding[1] > kernel_size[1]:
        raise ValueError(
            f"{op}: padding {padding} must be at most half the kernel size {kernel_size}"
        )


class MaxPool2d(Function, fresh_grads=True):
    """y[n, c, h, w] = max_{i, j} x_pad[n, c, s*h + i, s*w + j] (padding is -inf); the
    gradient goes to each window's first maximum, as PyTorch's"""

    __slots__ = ()

    def forward(self, x: Any, kernel_size: Pair, stride: Pair, padding: Pair = (0, 0)) -> Any:
        _check_pool("max_pool2d", x, kernel_size, padding)
        xp = self.xp
        out, self.saved = xp.max_pool2d_forward(x, kernel_size, stride, padding, grad_enabled())
        return out

    def backward(self, grad: Any) -> Grads:
        return self.xp.max_pool2d_backward(self.saved, grad)


class AvgPool2d(Function, fresh_grads=True):
    """y[n, c, h, w] = mean_{i, j} x_pad[n, c, s*h + i, s*w + j] (zero padding counted)"""

    __slots__ = ()

    def forward(self, x: Any, kernel_size: Pair, stride: Pair, padding: Pair = (0, 0)) -> Any:
        _check_pool("avg_pool2d", x, kernel_size, padding)
        out, self.saved = self.xp.avg_pool2d_forward(x, kernel_size, stride, padding)
        return out

    def backward(self, grad: Any) -> Grads:
        return self.xp.avg_pool2d_backward(self.saved, grad)


class BatchNorm(Function, fresh_grads=True):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per channel (axis 1)"""

    __slots__ = ()

    def forward(
        self,
        x: Any,
        weight: Any,
        bias: Any,
        running_mean: Any = None,
        running_var: Any = None,
        training: bool = True,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> Any:
        """Batch statistics (updating the running ones in place) in training, else the
        running statistics."""
        out, self.saved = self.xp.batch_norm_forward(
            x, weight, bias, running_mean, running_var, training, momentum, eps
        )
        return out

    def replay(self, on_graph: bool = False) -> Function:
        if not self.params.get("training", True):
            return self._replay(self.params, on_graph)
        # NOTE: in training the recorded forward has already updated the running statistics.
        params = {**self.params, "running_mean": None, "running_var": None}
        return self._replay(params, on_graph)

    def backward(self, grad: Any) -> Grads:
        return self.xp.batch_norm_backward(self.saved, grad, self.needs_grad)


class Unfold(Function, fresh_grads=True):
    """im2col: (N, C, H, W) -> (N, C*KH*KW, OH*OW) windows, taps ``dilation`` apart, ``fill``
    in the padding"""

    __slots__ = ()

    def forward(
        self,
        x: Any,
        kernel: Pair,
        stride: Pair,
        padding: Pair,
        fill: float = 0.0,
        dilation: Pair = (1, 1),
    ) -> Any:
        self.saved = (x.shape, kernel, stride, padding, dilation)
        return self.xp.unfold(x, kernel, stride, padding, fill, dilation)

    def backward(self, grad: Any) -> Grads:
        shape, kernel, stride, padding, dilation = self.saved
        return (self.xp.fold(grad, shape, kernel, stride, padding, dilation),)


class Fold(Function, fresh_grads=True):
    """col2im, the transpose of Unfold: window values summed back into (N, C, H, W)"""

    __slots__ = ()

    def forward(
        self,
        cols: Any,
        shape: tuple[int, ...],
        kernel: Pair,
        stride: Pair,
        padding: Pair,
        dilation: Pair = (1, 1),
    ) -> Any:
        self.saved = (kernel, stride, padding, dilation)
        return self.xp.fold(cols, shape, kernel, stride, padding, dilation)

    def backward(self, grad: Any) -> Grads:
        kernel, stride, padding, dilation = self.saved
        return (self.xp.unfold(grad, kernel, stride, padding, 0.0, dilation),)
