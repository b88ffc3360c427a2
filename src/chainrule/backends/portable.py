"""Any Array API namespace, with chainrule's kernels written with the standard alone.

``cpu`` holds NumPy fast paths of the same kernels; the tests check both agree.
"""

from __future__ import annotations

import math
from typing import Any

from .cpu_conv import _dilated_slices, _extent, _out_size
from .normal_cdf import normal_cdf_where

Grads = tuple[Any, ...]
Pair = tuple[int, int]

# GELU's tanh form is 0.5 a (1 + tanh(GELU_LINEAR a + GELU_CUBIC a^3))
GELU_LINEAR = math.sqrt(2 / math.pi)
GELU_CUBIC = 0.044715 * GELU_LINEAR


class Portable:
    """``xp``'s own functions, plus ``sigmoid``, ``relu``, ``mask``, ``scatter_add`` and more."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def __getattr__(self, name: str) -> Any:
        return getattr(self.xp, name)

    def sigmoid(self, a: Any) -> Any:
        return self.xp.exp(-self.xp.logaddexp(self.xp.zeros_like(a), -a))

    def sigmoid_backward(self, out: Any, grad: Any) -> Any:
        """dL/da from s = sigmoid(a): grad * s (1 - s)."""
        return grad * out * (1 - out)

    def tanh_backward(self, out: Any, grad: Any) -> Any:
        """dL/da from t = tanh(a): grad * (1 - t^2)."""
        return grad * (1 - out * out)

    def normal_cdf(self, a: Any) -> Any:
        return normal_cdf_where(self.xp, a)

    def relu(self, a: Any) -> Any:
        return self.xp.where(a > 0, a, self.xp.zeros_like(a))

    def mask(self, x: Any, keep: Any) -> Any:
        return x * self.xp.astype(keep, x.dtype)  # a product, as cpu's: 0 * inf is NaN

    def gelu_tanh(self, a: Any) -> tuple[Any, Any]:
        """GELU's tanh form and t = tanh(sqrt(2/pi) (a + 0.044715 a^3)), which backward needs."""
        t = self.xp.tanh(a * (a * a * GELU_CUBIC + GELU_LINEAR))
        return a * (t * 0.5 + 0.5), t

    def gelu_tanh_backward(self, a: Any, t: Any, grad: Any) -> Any:
        """grad * d/da: 0.5 (1 + t) + 0.5 a (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 a^2)."""
        slope = (1 - t * t) * (a * a * (3 * GELU_CUBIC) + GELU_LINEAR)
        return grad * ((t + 1) * 0.5 + a * slope * 0.5)

    def clone(self, x: Any) -> Any:
        return self.xp.asarray(x, copy=True)

    def scatter_add(self, values: Any, shape: tuple[int, ...], index: Any) -> Any:
        """zeros(shape) with ``values`` added at ``index``: basic indices by assignment,
        an integer array on the first axis through a one-hot matrix product."""
        xp = self.xp
        out = xp.zeros(shape, dtype=values.dtype, device=values.device)
        if not hasattr(index, "shape"):
            out[index] = values
            return out
        rows = xp.reshape(index, (-1,))
        one_hot = xp.astype(rows[:, None] == xp.arange(shape[0])[None, :], values.dtype)
        flat = xp.reshape(values, (rows.shape[0], -1))
        return xp.reshape(xp.matmul(xp.matrix_transpose(one_hot), flat), shape)

    # ------------------------------------------------------------------ elementwise math
    # (kernels the standard lacks: erf, erfc and C's fmod)
    def erf(self, x: Any) -> Any:
        """The error function, in float64 to its last bits: for |x| < 2 the series
        2/sqrt(pi) e^-x^2 sum (2x^2)^k x / (2k+1)!!, positive terms, beyond it 1 - erfc."""
        xp, z = self.xp, self.xp.astype(x, self.xp.float64)
        small = xp.abs(z) < 2
        near = xp.where(small, z, 0.0)
        term = total = near
        for k in range(1, 32):  # the terms fall below 2^-53 of the sum by k = 32
            term = term * (2 * near * near) / (2 * k + 1)
            total = total + term
        series = total * self._exp_neg_square(near) * (2 / math.sqrt(math.pi))
        far = 1 - self._erfc_tail(xp.abs(z))
        return xp.astype(xp.where(small, series, xp.where(z < 0, -far, far)), x.dtype)

    def erfc(self, x: Any) -> Any:
        """1 - erf(x), from the continued fraction where that difference would cancel."""
        z = self.xp.astype(x, self.xp.float64)
        out = self.xp.where(z >= 2, self._erfc_tail(z), 1 - self.erf(z))
        return self.xp.astype(out, x.dtype)

    def _erfc_tail(self, z: Any) -> Any:
        """erfc(z) for z >= 2 by its continued fraction, e^-z^2 / sqrt(pi) / (z + (1/2) /
        (z + (2/2) / (z + ...))): 60 levels reach 2^-53 at z = 2 (other z are clipped)."""
        xp = self.xp
        z = xp.where(z < 2, 2.0, xp.where(z > 30, 30.0, z))  # erfc(30) is 0 in float64
        fraction = z
        for k in range(60, 0, -1):
            fraction = z + (k / 2) / fraction
        return self._exp_neg_square(z) / (math.sqrt(math.pi) * fraction)

    def _exp_neg_square(self, z: Any) -> Any:
        """exp(-z^2) without the rounding of z^2: z = hi + lo, hi with 26 bits, so hi^2 is exact."""
        scaled = z * 134217729.0  # 2^27 + 1: Veltkamp's split
        hi = scaled - (scaled - z)
        return self.xp.exp(-hi * hi) * self.xp.exp(-(z - hi) * (z + hi))

    def fmod(self, a: Any, b: Any) -> Any:
        """C's fmod, the remainder with the sign of ``a``: |a| mod |b|, signed as a."""
        xp = self.xp
        rest = xp.remainder(xp.abs(a), xp.abs(b))
        if xp.isdtype(rest.dtype, "real floating"):
            return xp.copysign(rest, a)
        return xp.where(a < 0, -rest, rest)

    # ------------------------------------------------------------------ reduce and movement
    # (kernels the reduction and movement rules need)
    def broadcast_copy(self, x: Any, shape: tuple[int, ...]) -> Any:
        """``x`` broadcast to ``shape``, as a fresh array (the gradient of a reduction)."""
        return self.xp.asarray(self.xp.broadcast_to(x, shape), copy=True)

    # (reductions and scans)
    def logcumsumexp(self, x: Any, axis: int) -> Any:
        """log(cumsum(exp(x))) along axis, as a doubling scan: each of log2(n) steps adds, by
        logaddexp, the partial result ``shift`` places back, so nothing overflows."""
        xp, axis = self.xp, axis % x.ndim
        n, lead = x.shape[axis], (slice(None),) * axis

        def part(start: int, stop: int) -> Any:  # x[start:stop] along axis
            return x[lead + (slice(start, stop), Ellipsis)]

        shift = 1
        while shift < n:
            added = xp.logaddexp(part(shift, n), part(0, n - shift))
            x = xp.concat([part(0, shift), added], axis=axis)
            shift *= 2
        return x

    # ------------------------------------------------------------------ linalg and losses
    # (kernels the matmul, linear and loss rules need)

    def dot(self, a: Any, b: Any) -> Any:
        return self.xp.matmul(a, b)

    def einsum(self, equation: str, *operands: Any) -> Any:
        """einsum for an explicit equation whose operands repeat no letter, by broadcasting:
        each operand laid out over all the letters, the product summed over those not kept."""
        xp, (left, output) = self.xp, equation.split("->")
        terms = left.split(",")
        letters = list(dict.fromkeys("".join(terms)))
        product = None
        for term, x in zip(terms, operands):
            mine = sorted(term, key=letters.index)
            x = xp.permute_dims(x, tuple(term.index(letter) for letter in mine))
            spread = [x.shape[mine.index(t)] if t in term else 1 for t in letters]
            x = xp.reshape(x, tuple(spread))
            product = x if product is None else product * x
        summed = tuple(i for i, letter in enumerate(letters) if letter not in output)
        if summed:
            product = xp.sum(product, axis=summed)
        kept = [letter for letter in letters if letter in output]
        return xp.permute_dims(product, tuple(kept.index(letter) for letter in output))

    def linear(self, x: Any, w: Any, b: Any) -> Any:
        out = self.xp.matmul(x, self.xp.matrix_transpose(w))
        return out if b is None else out + b

    def sum_rows(self, x: Any) -> Any:
        return self.xp.sum(x, axis=0)

    def _one_hot(self, index: Any, like: Any) -> Any:
        """index[i] == j at (i, j), for every column j of ``like``."""
        columns = self.xp.arange(like.shape[1], device=like.device)
        return self.xp.reshape(index, (-1, 1)) == columns

    def pick_rows(self, x: Any, index: Any) -> Any:
        return self.xp.sum(self.xp.where(self._one_hot(index, x), x, 0.0), axis=1)

    def sub_one_hot(self, x: Any, index: Any, scale: Any) -> Any:
        return (x - self.xp.astype(self._one_hot(index, x), x.dtype)) * scale

    def reduce_loss(self, x: Any, reduction: str, square: bool = False) -> Any:
        x = x * x if square else x
        if reduction == "none":
            return x
        total = self.xp.sum(x)
        return total / x.size if reduction == "mean" else total

    def mul_scalar(self, x: Any, scalar: Any, factor: float) -> Any:
        return x * self.xp.astype(scalar * factor, x.dtype)

    # ------------------------------------------------------------------ convolution
    # (kernels the convolution, pooling and batch-norm rules need)

    def unfold(
        self,
        x: Any,
        kernel: Pair,
        stride: Pair,
        padding: Pair,
        fill: float,
        dilation: Pair = (1, 1),
    ) -> Any:
        """im2col, (N, C, H, W) -> (N, C*KH*KW, OH*OW): one strided slice per kernel offset."""
        xp, (n, c, h, w), (ph, pw) = self.xp, x.shape, padding
        oh, ow = _out_size("unfold", x.shape, _extent(kernel, dilation), stride, padding)
        if ph or pw:
            padded = xp.full((n, c, h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
            padded[:, :, ph : ph + h, pw : pw + w] = x
            x = padded
        slices = _dilated_slices(kernel, stride, (oh, ow), dilation)
        slabs = xp.stack([x[index] for index in slices], axis=2)
        return xp.reshape(slabs, (n, c * kernel[0] * kernel[1], oh * ow))

    def fold(
        self,
        cols: Any,
        shape: tuple[int, ...],
        kernel: Pair,
        stride: Pair,
        padding: Pair,
        dilation: Pair = (1, 1),
    ) -> Any:
        """col2im, the transpose of ``unfold``: each slab added back where it was read."""
        xp, (n, c, h, w), (ph, pw) = self.xp, shape, padding
        oh, ow = _out_size("fold", shape, _extent(kernel, dilation), stride, padding)
        slabs = xp.reshape(cols, (n, c, kernel[0] * kernel[1], oh, ow))
        out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        for k, index in enumerate(_dilated_slices(kernel, stride, (oh, ow), dilation)):
            out[index] = out[index] + slabs[:, :, k, ...]
        return out[:, :, ph : ph + h, pw : pw + w]

    def _windows(self, x: Any, kernel: Pair, stride: Pair, padding: Pair, fill: float) -> Any:
        """(N, C, KH*KW, OH*OW): each output position's window, on the third axis."""
        cols = self.unfold(x, kernel, stride, padding, fill)
        return self.xp.reshape(cols, (x.shape[0], x.shape[1], kernel[0] * kernel[1], -1))

    def conv2d_forward(
        self, x: Any, w: Any, b: Any, stride: Pair, padding: Pair, keep: bool
    ) -> tuple[Any, tuple[Any, ...]]:
        """unfold and one GEMM, (O, C*KH*KW) @ (C*KH*KW, N*OH*OW)."""
        xp, n, (o, c, kh, kw) = self.xp, x.shape[0], w.shape
        oh, ow = _out_size("conv2d", x.shape, (kh, kw), stride, padding)
        cols = self.unfold(x, (kh, kw), stride, padding, 0.0)
        cols = xp.reshape(xp.permute_dims(cols, (1, 0, 2)), (c * kh * kw, n * oh * ow))
        w_mat = xp.reshape(w, (o, c * kh * kw))
        out = xp.matmul(w_mat, cols)
        if b is not None:
            out = out + xp.reshape(b, (o, 1))
        out = xp.permute_dims(xp.reshape(out, (o, n, oh, ow)), (1, 0, 2, 3))
        return out, (x.shape, cols, w_mat, w.shape, stride, padding)

    def conv2d_backward(self, saved: tuple[Any, ...], grad: Any, needs_grad: Any) -> Grads:
        xp, (shape, cols, w_mat, w_shape, stride, padding) = self.xp, saved
        o, c, kh, kw = w_shape
        grad_mat = xp.reshape(xp.permute_dims(grad, (1, 0, 2, 3)), (o, cols.shape[1]))
        grad_x = grad_w = None
        if needs_grad[1]:  # dL/dw = g @ cols^T
            grad_w = xp.reshape(xp.matmul(grad_mat, xp.permute_dims(cols, (1, 0))), w_shape)
        if needs_grad[0]:  # dL/dx = fold(w^T @ g)
            grad_cols = xp.matmul(xp.permute_dims(w_mat, (1, 0)), grad_mat)
            grad_cols = xp.reshape(grad_cols, (c * kh * kw, shape[0], -1))
            grad_cols = xp.permute_dims(grad_cols, (1, 0, 2))
            grad_x = self.fold(grad_cols, shape, (kh, kw), stride, padding)
        if len(needs_grad) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, xp.sum(grad_mat, axis=(1,)) if needs_grad[2] else None

    def max_pool2d_forward(
        self, x: Any, kernel: Pair, stride: Pair, padding: Pair, keep: bool
    ) -> tuple[Any, tuple[Any, ...]]:
        """The max over each window; the first maximum's position kept as a one-hot mask."""
        xp = self.xp
        windows = self._windows(x, kernel, stride, padding, -math.inf)
        first = xp.argmax(windows, axis=2, keepdims=True)
        offsets = xp.reshape(xp.arange(windows.shape[2]), (1, 1, -1, 1))
        hit = xp.astype(first == offsets, x.dtype)
        out_size = _out_size("max_pool2d", x.shape, kernel, stride, padding)
        out = xp.reshape(xp.max(windows, axis=(2,)), (*x.shape[:2], *out_size))
        return out, (x.shape, hit, kernel, stride, padding)

    def max_pool2d_backward(self, saved: tuple[Any, ...], grad: Any) -> Grads:
        xp, (shape, hit, kernel, stride, padding) = self.xp, saved
        grad_cols = xp.reshape(grad, (*shape[:2], 1, -1)) * hit
        grad_cols = xp.reshape(grad_cols, (shape[0], -1, grad_cols.shape[3]))
        return (self.fold(grad_cols, shape, kernel, stride, padding),)

    def avg_pool2d_forward(
        self, x: Any, kernel: Pair, stride: Pair, padding: Pair
    ) -> tuple[Any, tuple[Any, ...]]:
        windows = self._windows(x, kernel, stride, padding, 0.0)
        out = self.xp.sum(windows, axis=(2,)) * (1 / windows.shape[2])
        out_size = _out_size("avg_pool2d", x.shape, kernel, stride, padding)
        return self.xp.reshape(out, (*x.shape[:2], *out_size)), (x.shape, kernel, stride, padding)

    def avg_pool2d_backward(self, saved: tuple[Any, ...], grad: Any) -> Grads:
        xp, (shape, kernel, stride, padding) = self.xp, saved
        k = kernel[0] * kernel[1]
        share = xp.reshape(grad * (1 / k), (*shape[:2], 1, -1))
        grad_cols = xp.broadcast_to(share, (*shape[:2], k, share.shape[3]))
        grad_cols = xp.reshape(grad_cols, (shape[0], shape[1] * k, share.shape[3]))
        return (self.fold(grad_cols, shape, kernel, stride, padding),)

    def standardise(
        self, x: Any, weight: Any, bias: Any, axes: tuple[int, ...], eps: float
    ) -> tuple[Any, tuple[Any, ...]]:
        """(x - mean) / sqrt(var + eps) over ``axes``, the variance of the centred values (no
        cancellation when the mean is large); then ``* weight + bias`` when both are given."""
        xp = self.xp
        centred = x - xp.mean(x, axis=axes, keepdims=True)
        rstd = 1 / xp.sqrt(xp.mean(centred * centred, axis=axes, keepdims=True) + eps)
        out = centred * rstd
        return (out if weight is None else out * weight + bias), (out, rstd, axes, weight)

    def standardise_backward(self, saved: tuple[Any, ...], grad: Any, needs_grad: Any) -> Grads:
        xp, (out, rstd, axes, weight) = self.xp, saved
        # dL/dx = rstd (h - mean(h) - xhat mean(h xhat)), h = dL/dxhat, the means over ``axes``
        grad_hat = grad if weight is None else grad * weight
        mean_grad = xp.mean(grad_hat, axis=axes, keepdims=True)
        mean_projection = xp.mean(grad_hat * out, axis=axes, keepdims=True)
        grad_x = (grad_hat - mean_grad - out * mean_projection) * rstd
        if weight is None:
            return (grad_x,)
        lead = tuple(range(grad.ndim - weight.ndim))  # weight spans the trailing axes
        return (
            grad_x,
            xp.sum(grad * out, axis=lead) if needs_grad[1] else None,  # sum dL/dy xhat
            xp.sum(grad, axis=lead) if needs_grad[2] else None,  # sum dL/dy
        )

    def attention(
        self, q: Any, k: Any, v: Any, mask: Any, keep: Any, scale: float
    ) -> tuple[Any, tuple[Any, ...]]:
        """softmax(q k^T * scale + mask, where keep) v, and what backward needs."""
        xp = self.xp
        scores = xp.matmul(q, xp.matrix_transpose(k)) * scale
        if mask is not None:
            scores = scores + mask
        if keep is not None:
            scores = xp.where(keep, scores, -math.inf)
        top = xp.max(scores, axis=-1, keepdims=True)
        top = xp.where(top == -math.inf, 0.0, top)  # a row with nothing kept: exp gives 0s
        weights = xp.exp(scores - top)
        total = xp.sum(weights, axis=-1, keepdims=True)
        probs = weights / xp.where(total == 0, 1.0, total)
        return xp.matmul(probs, v), (q, k, v, probs, scale)

    def attention_backward(self, saved: tuple[Any, ...], grad: Any, needs: Any) -> Grads:
        """dL/dq, dL/dk, dL/dv and dL/dscores (the mask's), of the broadcast shapes, or None
        where ``needs`` says so; the rule sums them back to the inputs' shapes."""
        xp, (q, k, v, probs, scale) = self.xp, saved
        grad_v = xp.matmul(xp.matrix_transpose(probs), grad) if needs[2] else None  # P^T g
        if not (needs[0] or needs[1] or needs[3]):
            return None, None, grad_v, None
        # dL/dscores = P * (dL/dP - rowsum(dL/dP * P)), dL/dP = dL/dout v^T
        grad_p = xp.matmul(grad, xp.matrix_transpose(v))
        grad_s = probs * (grad_p - xp.sum(grad_p * probs, axis=-1, keepdims=True))
        grad_q = xp.matmul(grad_s, k) * scale if needs[0] else None
        grad_k = xp.matmul(xp.matrix_transpose(grad_s), q) * scale if needs[1] else None
        return grad_q, grad_k, grad_v, grad_s

    def batch_norm_forward(
        self, x: Any, weight: Any, bias: Any, *stats: Any
    ) -> tuple[Any, tuple[Any, ...]]:
        """Batch statistics (updating the running ones in place) in training, else the
        running statistics: ``stats`` is (running_mean, running_var, training, momentum, eps)."""
        running_mean, running_var, training, momentum, eps = stats
        xp, axes, shape, count = self.xp, *_channel_axes(x.shape)
        if training:
            mean = xp.sum(x, axis=axes, keepdims=True) / count
            centred = x - mean
            var = xp.sum(centred * centred, axis=axes, keepdims=True) / count
            if running_mean is not None:
                running_mean[...] = (
                    running_mean * (1 - momentum) + xp.reshape(mean, (-1,)) * momentum
                )
            if running_var is not None:  # NOTE: unbiased, as PyTorch's running estimate
                unbiased = xp.reshape(var, (-1,)) * (count / (count - 1))
                running_var[...] = running_var * (1 - momentum) + unbiased * momentum
        else:
            centred = x - xp.reshape(xp.astype(xp.asarray(running_mean), x.dtype), shape)
            var = xp.reshape(xp.astype(xp.asarray(running_var), x.dtype), shape)
        inv_std = 1 / xp.sqrt(var + eps)
        out = centred * (xp.reshape(weight, shape) * inv_std) + xp.reshape(bias, shape)
        return out, (centred, inv_std, weight, training)

    def batch_norm_backward(self, saved: tuple[Any, ...], grad: Any, needs_grad: Any) -> Grads:
        xp, (centred, inv_std, weight, training) = self.xp, saved
        axes, shape, count = _channel_axes(grad.shape)
        x_hat = centred * inv_std
        grad_bias = xp.sum(grad, axis=axes)  # dL/dbias = sum dL/dy
        grad_weight = xp.sum(grad * x_hat, axis=axes)  # dL/dweight = sum dL/dy * x_hat
        grad_x, scale = None, xp.reshape(weight, shape) * inv_std
        if needs_grad[0] and training:  # dL/dy less its mean and its part along x_hat
            mean_grad = xp.reshape(grad_bias, shape) / count
            grad_x = (grad - mean_grad - x_hat * (xp.reshape(grad_weight, shape) / count)) * scale
        elif needs_grad[0]:
            grad_x = grad * scale  # the statistics are constants here
        return (
            grad_x,
            grad_weight if needs_grad[1] else None,
            grad_bias if needs_grad[2] else None,
        )


def _channel_axes(shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """For (N, C, ...): the axes statistics reduce, the (1, C, 1, ...) shape of per-channel
    values, and the count of values per channel."""
    axes = (0, *range(2, len(shape)))
    return axes, (1, shape[1], *(1,) * (len(shape) - 2)), math.prod(shape) // shape[1]
