"""Differentiable primitives, each a ``Function`` with its gradient beside it.

``backward`` works on ndarrays (the fast path); ``backward_graph`` states the same rule
with Tensor ops, for ``create_graph=True``. Composite ops belong in ``nn/functional.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import Function, constant, unbroadcast
from .tensor import Tensor

Grads = tuple[np.ndarray | None, ...]
TensorGrads = tuple[Tensor | None, ...]


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``unbroadcast`` as Tensor ops: sum ``x`` down to ``shape``."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    return Sum.apply(x, axis=axes, keepdims=True).reshape(shape)


def _broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast")


def _pow_error(a: np.ndarray, b: np.ndarray) -> ValueError:
    """The two ValueErrors of NumPy's ``a ** b``: shapes, or integers to negative powers."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return _broadcast_error("pow", a, b)
    return ValueError(
        "pow: integers to negative integer powers are not allowed, "
        f"got {a.dtype} ** {b.dtype} (use a float tensor)"
    )


# ---------------------------------------------------------------------- elementwise
class Add(Function, fresh_grads=True):
    """a + b"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a.shape, b.shape)
        try:
            return a + b
        except ValueError:
            raise _broadcast_error("add", a, b) from None

    def backward(self, grad: np.ndarray) -> Grads:
        shape_a, shape_b = self.saved
        grad_a = unbroadcast(grad, shape_a) if self.needs_grad[0] else None  # dL/da = dL/dy
        grad_b = unbroadcast(grad, shape_b) if self.needs_grad[1] else None  # dL/db = dL/dy
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        return sum_to(grad, a.shape), sum_to(grad, b.shape)


class Sub(Function, fresh_grads=True):
    """a - b"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a.shape, b.shape)
        try:
            return a - b
        except ValueError:
            raise _broadcast_error("sub", a, b) from None

    def backward(self, grad: np.ndarray) -> Grads:
        shape_a, shape_b = self.saved
        grad_a = unbroadcast(grad, shape_a) if self.needs_grad[0] else None  # dL/da = dL/dy
        grad_b = -unbroadcast(grad, shape_b) if self.needs_grad[1] else None  # dL/db = -dL/dy
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        return sum_to(grad, a.shape), -sum_to(grad, b.shape)


class Mul(Function, fresh_grads=True):
    """a * b"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a, b)
        try:
            return a * b
        except ValueError:
            raise _broadcast_error("mul", a, b) from None

    def backward(self, grad: np.ndarray) -> Grads:
        a, b = self.saved
        grad_a = unbroadcast(grad * b, a.shape) if self.needs_grad[0] else None  # dL/da = dL/dy*b
        grad_b = unbroadcast(grad * a, b.shape) if self.needs_grad[1] else None  # dL/db = dL/dy*a
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        return sum_to(grad * b, a.shape), sum_to(grad * a, b.shape)


class Div(Function, fresh_grads=True):
    """a / b"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.saved = (a, b)
        try:
            return a / b
        except ValueError:
            raise _broadcast_error("div", a, b) from None

    def backward(self, grad: np.ndarray) -> Grads:
        a, b = self.saved
        grad_a = grad_b = None
        if self.needs_grad[0]:
            grad_a = unbroadcast(grad / b, a.shape)  # dL/da = dL/dy / b
        if self.needs_grad[1]:
            grad_b = unbroadcast(-grad * a / (b * b), b.shape)  # dL/db = -dL/dy * a / b^2
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        return sum_to(grad / b, a.shape), sum_to(-grad * a / (b * b), b.shape)


class Pow(Function, fresh_grads=True):
    """a ** b"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            out = a**b
        except ValueError:
            raise _pow_error(a, b) from None
        self.saved = (a, b, out)
        return out

    # NOTE: PyTorch's masks: d/da is 0 where b == 0 (a^0 is 1 even at a = 0, inf or nan, so
    # b a^0 is 0 there), and d/db is 0 where a == 0 <= b (ln 1 stands in for ln 0); for
    # a == 0 > b it stays a^b ln a = inf * -inf = -inf.
    def backward(self, grad: np.ndarray) -> Grads:
        a, b, out = self.saved
        grad_a = grad_b = None
        if self.needs_grad[0]:  # dL/da = dL/dy * b a^(b-1)
            grad_a = unbroadcast(grad * b * a ** np.where(b == 0, 0, b - 1), a.shape)
        if self.needs_grad[1]:  # dL/db = dL/dy * a^b ln a
            zero_base = a == 0
            if zero_base.any():
                with np.errstate(divide="ignore"):  # ln 0 = -inf is meant
                    log_a = np.log(np.where(zero_base & (b >= 0), 1, a))
            else:
                log_a = np.log(a)
            grad_b = unbroadcast(grad * out * log_a, b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        grad_a = grad_b = None
        if self.needs_grad[0]:
            exponent = where(b.data == 0, 0, b - 1)
            grad_a = sum_to(grad * b * a**exponent, a.shape)
        if self.needs_grad[1]:
            with np.errstate(divide="ignore"):
                log_a = where((a.data == 0) & (b.data >= 0), 1, a).log()
            grad_b = sum_to(grad * a**b * log_a, b.shape)
        return grad_a, grad_b


class Neg(Function, fresh_grads=True):
    """-a"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, grad: np.ndarray) -> Grads:
        return (-grad,)  # dL/da = -dL/dy

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (-grad,)


class Exp(Function, fresh_grads=True):
    """exp(a)"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        out = np.exp(a)
        self.saved = (out,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        (out,) = self.saved
        return (grad * out,)  # dL/da = dL/dy * exp(a)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad * self.inputs[0].exp(),)


class Log(Function, fresh_grads=True):
    """ln(a)"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.saved = (a,)
        return np.log(a)

    def backward(self, grad: np.ndarray) -> Grads:
        (a,) = self.saved
        return (grad / a,)  # dL/da = dL/dy / a

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad / self.inputs[0],)


class Sqrt(Function, fresh_grads=True):
    """sqrt(a)"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        out = np.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        (out,) = self.saved
        return (grad / (2 * out),)  # dL/da = dL/dy / (2 sqrt(a))

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad / (2 * self.inputs[0].sqrt()),)


class Abs(Function, fresh_grads=True):
    """|a| (the gradient at 0 is taken as 0)"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.saved = (np.sign(a),)
        return np.abs(a)

    def backward(self, grad: np.ndarray) -> Grads:
        (sign,) = self.saved
        return (grad * sign,)  # dL/da = dL/dy * sign(a)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad * np.sign(self.inputs[0].data),)


# From this many elements up, ReLU's zeros array costs less than the scalar loop it avoids.
_RELU_ZEROS_MIN_SIZE = 4096


class Relu(Function, fresh_grads=True):
    """max(a, 0) (the gradient at 0 is taken as 0)"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        if a.size < _RELU_ZEROS_MIN_SIZE:
            out = np.maximum(a, 0)
        else:  # NOTE: max against an array of zeros: NumPy's loop for a scalar 0 is 2x slower
            out = np.zeros_like(a)
            np.maximum(a, out, out=out)
        self.saved = (out,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        (out,) = self.saved
        return (grad * (out > 0),)  # dL/da = dL/dy * [a > 0]

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad * (self.inputs[0].data > 0),)


class Sigmoid(Function, fresh_grads=True):
    """1 / (1 + exp(-a)), computed without overflow for large |a|"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        # NOTE: s = exp(-softplus(-a)); logaddexp(0, -a) never overflows, and one buffer
        # serves all four passes.
        out = np.asarray(np.negative(a))  # asarray: a 0-d input's result is a scalar
        np.logaddexp(constant(0, out.dtype), out, out=out)
        np.negative(out, out=out)
        np.exp(out, out=out)
        self.saved = (out,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        (out,) = self.saved
        return (grad * out * (constant(1, out.dtype) - out),)  # dL/da = dL/dy * s (1 - s)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        s = self.inputs[0].sigmoid()
        return (grad * s * (1 - s),)


class Tanh(Function, fresh_grads=True):
    """tanh(a)"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        out = np.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        (out,) = self.saved
        return (grad * (1 - out * out),)  # dL/da = dL/dy * (1 - tanh^2 a)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        t = self.inputs[0].tanh()
        return (grad * (1 - t * t),)


class Softplus(Function, fresh_grads=True):
    """log(1 + exp(a)), computed without overflow"""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.saved = (a,)
        return np.logaddexp(0, a).astype(a.dtype, copy=False)

    def backward(self, grad: np.ndarray) -> Grads:
        (a,) = self.saved
        return (grad * Sigmoid().forward(a),)  # dL/da = dL/dy * sigmoid(a)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad * self.inputs[0].sigmoid(),)


class Where(Function, fresh_grads=True):
    """condition ? a : b (the condition is data, not differentiable)"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray, condition: np.ndarray) -> np.ndarray:
        condition = np.asarray(condition, dtype=bool)
        try:
            out = np.where(condition, a, b)
        except ValueError:
            raise ValueError(
                f"where: condition {condition.shape}, a {a.shape} and b {b.shape} do not broadcast"
            ) from None
        self.saved = (condition, a.shape, b.shape)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        condition, shape_a, shape_b = self.saved
        zero = np.zeros((), dtype=grad.dtype)
        grad_a = grad_b = None
        if self.needs_grad[0]:
            grad_a = unbroadcast(np.where(condition, grad, zero), shape_a)  # grad where chosen
        if self.needs_grad[1]:
            grad_b = unbroadcast(np.where(condition, zero, grad), shape_b)
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        condition, shape_a, shape_b = self.saved
        zero = Tensor(np.zeros((), dtype=grad.dtype))
        return (
            sum_to(Where.apply(grad, zero, condition=condition), shape_a),
            sum_to(Where.apply(zero, grad, condition=condition), shape_b),
        )


# ---------------------------------------------------------------------- reduce
def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


class Sum(Function, fresh_grads=True):
    """sum of a over axis"""

    __slots__ = ()

    def forward(
        self, a: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        self.saved = (a.shape, _kept_shape(a.shape, axis))
        return np.asarray(a.sum(axis=axis, keepdims=keepdims))

    def backward(self, grad: np.ndarray) -> Grads:
        shape, kept = self.saved
        grad_a = np.empty(shape, dtype=grad.dtype)
        grad_a[...] = grad.reshape(kept)  # dL/da_i = dL/dy, copied to every summed position
        return (grad_a,)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        shape, kept = self.saved
        return (grad.reshape(kept).broadcast_to(shape),)


class Mean(Function, fresh_grads=True):
    """mean of a over axis (one node rather than a sum and a division)"""

    __slots__ = ()

    def forward(
        self, a: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        kept = _kept_shape(a.shape, axis)
        if a.size:
            count = a.size // int(np.prod(kept))
        else:  # the product of the reduced lengths, which may be 0
            count = 0 if axis is None else int(np.prod([a.shape[i] for i in axis]))
        self.saved = (a.shape, kept, max(count, 1))  # an empty input gets an empty grad
        if count == 0:
            with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in NumPy
                return np.asarray(a.sum(axis=axis, keepdims=keepdims) / count)
        return np.asarray(a.sum(axis=axis, keepdims=keepdims) / count)  # ndarray.mean is slower

    def backward(self, grad: np.ndarray) -> Grads:
        shape, kept, count = self.saved
        grad_a = np.empty(shape, dtype=grad.dtype)
        grad_a[...] = grad.reshape(kept) / count  # dL/da_i = dL/dy / count
        return (grad_a,)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        shape, kept, count = self.saved
        return ((grad.reshape(kept) / count).broadcast_to(shape),)


class _Extremum(Function, fresh_grads=True):
    """Max and Min: the winners over axis, which share the gradient equally when tied"""

    __slots__ = ()
    _name: str  # the ndarray method, and the op's name in messages

    def forward(
        self, a: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False
    ) -> np.ndarray:
        if a.size == 0:
            raise ValueError(f"{self._name}: cannot reduce an empty tensor of shape {a.shape}")
        kept = getattr(a, self._name)(axis=axis, keepdims=True)
        self.saved = (a, kept, axis)
        return kept if keepdims else np.asarray(np.squeeze(kept, axis=axis))

    def _share(self) -> np.ndarray:
        """Which inputs won, each weighted 1/(number of ties)."""
        a, kept, axis = self.saved
        winners = (a == kept).astype(a.dtype)
        return winners / winners.sum(axis=axis, keepdims=True)

    def backward(self, grad: np.ndarray) -> Grads:
        kept = self.saved[1]
        return (grad.reshape(kept.shape) * self._share(),)  # dL/da = dL/dy at the winners

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        kept = self.saved[1]
        return (grad.reshape(kept.shape) * self._share(),)


class Max(_Extremum, fresh_grads=True):
    """max of a over axis; tied maxima share the gradient equally"""

    __slots__ = ()
    _name = "max"


class Min(_Extremum, fresh_grads=True):
    """min of a over axis; tied minima share the gradient equally"""

    __slots__ = ()
    _name = "min"


# ---------------------------------------------------------------------- movement
class Reshape(Function, fresh_grads=True):
    """a with a new shape"""

    __slots__ = ()

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        try:
            out = a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {a.shape} into {tuple(shape)}"
            ) from None
        self.saved = (a.shape,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        return (grad.reshape(self.saved[0]),)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad.reshape(self.saved[0]),)


class Transpose(Function, fresh_grads=True):
    """a with its axes permuted"""

    __slots__ = ()

    def forward(self, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        if sorted(ax % max(a.ndim, 1) for ax in axes) != list(range(a.ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} do not permute shape {a.shape}")
        self.saved = (tuple(np.argsort([ax % a.ndim for ax in axes])),)
        return a.transpose(axes)

    def backward(self, grad: np.ndarray) -> Grads:
        return (grad.transpose(self.saved[0]),)  # the inverse permutation

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (grad.transpose(self.saved[0]),)


class BroadcastTo(Function, fresh_grads=True):
    """a broadcast to a larger shape"""

    __slots__ = ()

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        try:
            out = np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast {a.shape} to {shape}") from None
        self.saved = (a.shape,)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        return (unbroadcast(grad, self.saved[0]),)  # sum over the copies

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (sum_to(grad, self.saved[0]),)


def _is_basic_index(index: Any) -> bool:
    """Ints, slices, None and Ellipsis select a view: no index repeats."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class GetItem(Function, fresh_grads=True):
    """a[index], basic or integer-array indexing; repeated indices accumulate"""

    __slots__ = ()

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        try:
            out = a[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {a.shape})") from None
        self.saved = (a.shape, index)
        return np.asarray(out)

    def backward(self, grad: np.ndarray) -> Grads:
        shape, index = self.saved
        return (_scatter_add(grad, shape, index),)  # dL/da = dL/dy put back where it came from

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        shape, index = self.saved
        return (ScatterAdd.apply(grad, shape=shape, index=index),)


def _scatter_add(grad: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    out = np.zeros(shape, dtype=grad.dtype)
    if _is_basic_index(index):
        out[index] = grad
    else:
        np.add.at(out, index, grad)
    return out


class ScatterAdd(Function, fresh_grads=True):
    """zeros(shape) with a added at index (the transpose of GetItem)"""

    __slots__ = ()

    def forward(self, a: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
        self.saved = (index,)
        return _scatter_add(a, shape, index)

    def backward(self, grad: np.ndarray) -> Grads:
        return (np.asarray(grad[self.saved[0]]),)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return (GetItem.apply(grad, index=self.saved[0]),)


class Concat(Function, fresh_grads=True):
    """a_1, ..., a_n joined along axis"""

    __slots__ = ()

    def forward(self, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        try:
            out = np.concatenate(arrays, axis=axis)
        except (ValueError, np.exceptions.AxisError) as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"concat: cannot join shapes {shapes} on axis {axis} ({error})"
            ) from None
        axis = axis % out.ndim
        bounds = np.cumsum([a.shape[axis] for a in arrays])
        self.saved = (axis, bounds)
        return out

    def _slices(self) -> list[tuple[slice, ...]]:
        axis, bounds = self.saved
        starts = [0, *bounds[:-1]]
        return [(slice(None),) * axis + (slice(s, e),) for s, e in zip(starts, bounds)]

    def backward(self, grad: np.ndarray) -> Grads:
        return tuple(grad[s] for s in self._slices())  # each input gets its own block

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        return tuple(grad[s] for s in self._slices())


# ---------------------------------------------------------------------- matmul
class MatMul(Function, fresh_grads=True):
    """a @ b with NumPy semantics: 1-D operands are promoted, batch dims broadcast"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}"
            )
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if a.shape[-1] != k_b:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned ({a.shape[-1]} != {k_b})"
            )
        try:
            out = np.matmul(a, b)
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast"
            ) from None
        self.saved = (a, b)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        a, b = self.saved
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshapes
            grad_a = grad @ b.T if self.needs_grad[0] else None  # dL/da = dL/dy @ b^T
            grad_b = a.T @ grad if self.needs_grad[1] else None  # dL/db = a^T @ dL/dy
            return grad_a, grad_b
        # Promote 1-D operands to matrices so one rule covers every case:
        # (k,) @ (..., k, n) is (1, k) @ (..., k, n) with the inserted axis squeezed away.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad[..., None] if b.ndim == 1 else grad
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        grad_a = grad_b = None
        if self.needs_grad[0]:  # dL/da = dL/dy @ b^T, summed over broadcast batch dims
            grad_a = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_grad[1]:  # dL/db = a^T @ dL/dy
            grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        g2 = grad.reshape(*grad.shape, 1) if b.ndim == 1 else grad
        g2 = g2.reshape(*g2.shape[:-1], 1, g2.shape[-1]) if a.ndim == 1 else g2
        grad_a = sum_to(g2 @ _swap_last(b2), a2.shape).reshape(a.shape)
        grad_b = sum_to(_swap_last(a2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Function, fresh_grads=True):
    """x @ w^T + b, fused: one node, and every gradient a fresh contiguous array"""

    __slots__ = ()

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[1]:
            raise ValueError(
                f"linear: input of shape {x.shape} does not match weight of shape {w.shape}"
            )
        if b is not None and b.shape != (w.shape[0],):
            raise ValueError(f"linear: bias of shape {b.shape}, expected ({w.shape[0]},)")
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        # NOTE: ndarray.dot, not @: the same GEMM, a third of the call cost on small arrays.
        out = x2.dot(w.T)
        if b is not None and len(out) == 1:
            out[0] += b  # NOTE: batch 1: a same-shape add costs a third of a broadcast one
        elif b is not None:
            out += b
        self.saved = (x2, w, x.shape)
        return out if x.ndim == 2 else out.reshape(*x.shape[:-1], w.shape[0])

    def backward(self, grad: np.ndarray) -> Grads:
        x2, w, x_shape = self.saved
        grad2 = grad if grad.ndim == 2 else grad.reshape(-1, w.shape[0])
        grad_x = None
        if self.needs_grad[0]:
            grad_x = grad2.dot(w)  # dL/dx = g @ w
            grad_x = grad_x if len(x_shape) == 2 else grad_x.reshape(x_shape)
        grad_w = grad2.T.dot(x2) if self.needs_grad[1] else None  # dL/dw = g^T @ x
        if len(self.needs_grad) == 2:
            return grad_x, grad_w
        grad_b = None
        if self.needs_grad[2]:  # dL/db = sum_n g; at batch 1 a copy, 5x cheaper than a sum
            grad_b = grad2[0].copy() if len(grad2) == 1 else grad2.sum(axis=0)
        return grad_x, grad_w, grad_b

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        x, w = self.inputs[:2]
        grad2 = grad.reshape(-1, w.shape[0])
        grad_x = (grad2 @ w).reshape(x.shape)
        grad_w = grad2.T @ x.reshape(-1, x.shape[-1])
        return (grad_x, grad_w) + ((grad2.sum(axis=0),) if len(self.inputs) == 3 else ())


def _swap_last(x: Tensor) -> Tensor:
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(*axes)


# ---------------------------------------------------------------------- softmax family
def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    # NOTE: subtract the max before exp, so logsumexp never overflows.
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class LogSoftmax(Function, fresh_grads=True):
    """a - logsumexp(a) along axis"""

    __slots__ = ()

    def forward(self, a: np.ndarray, axis: int = -1) -> np.ndarray:
        out = _log_softmax(a, axis)
        self.saved = (out, axis)
        return out

    def backward(self, grad: np.ndarray) -> Grads:
        out, axis = self.saved
        # dL/da = dL/dy - softmax(a) * sum(dL/dy)
        return (grad - np.exp(out) * grad.sum(axis=axis, keepdims=True),)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        _, axis = self.saved
        probs = LogSoftmax.apply(self.inputs[0], axis=axis).exp()
        return (grad - probs * grad.sum(axis=axis, keepdims=True),)


class SoftmaxCrossEntropy(Function, fresh_grads=True):
    """-log softmax(logits)[target] per row, reduced by mean, sum or none"""

    __slots__ = ()

    def forward(
        self, logits: np.ndarray, target: np.ndarray, reduction: str = "mean"
    ) -> np.ndarray:
        log_probs = _log_softmax(logits, axis=1)
        losses = -log_probs[np.arange(len(target)), target]
        self.saved = (log_probs, target, reduction)
        if reduction == "none":
            return losses
        total = losses.sum()
        return np.asarray(total / len(target) if reduction == "mean" else total)

    def _one_hot(self, like: np.ndarray) -> np.ndarray:
        _, target, _ = self.saved
        one_hot = np.zeros_like(like)
        one_hot[np.arange(len(target)), target] = 1
        return one_hot

    def _row_scale(self, grad: Any) -> Any:
        _, target, reduction = self.saved
        if reduction == "none":
            return grad.reshape(-1, 1)
        return grad / len(target) if reduction == "mean" else grad

    def backward(self, grad: np.ndarray) -> Grads:
        log_probs, target, _ = self.saved
        grad_logits = np.exp(log_probs)  # dL/dlogits = softmax(logits) - one_hot(target)
        grad_logits[np.arange(len(target)), target] -= 1
        grad_logits *= self._row_scale(grad)
        return (grad_logits,)

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        probs = LogSoftmax.apply(self.inputs[0], axis=1).exp()
        return ((probs - self._one_hot(probs.data)) * self._row_scale(grad),)


class SquaredError(Function, fresh_grads=True):
    """(a - b)^2 per element, reduced by mean, sum or none"""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray, reduction: str = "mean") -> np.ndarray:
        diff = a - b
        self.saved = (diff, reduction)
        if reduction == "none":
            return diff * diff
        total = np.vdot(diff, diff)  # the sum of squares in one pass, with no temporary
        return np.asarray(total / diff.size if reduction == "mean" else total)

    def backward(self, grad: np.ndarray) -> Grads:
        diff, reduction = self.saved
        # dL/da = 2 (a - b) dL/dy, / n for the mean; a reduced loss's 0-d grad is a float
        if reduction == "none":
            grad_a = diff * (2 * grad)
        else:
            scale = grad.item() * (2 / diff.size if reduction == "mean" else 2)
            grad_a = diff * constant(scale, diff.dtype)
        return (
            grad_a if self.needs_grad[0] else None,
            -grad_a if self.needs_grad[1] else None,  # dL/db = -dL/da
        )

    def backward_graph(self, grad: Tensor) -> TensorGrads:
        a, b = self.inputs
        _, reduction = self.saved
        scale = 2 / a.size if reduction == "mean" else 2
        grad_a = (a - b) * (grad * scale)
        return grad_a, -grad_a


# ---------------------------------------------------------------------- functions
def concat(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    Example:
        >>> import chainrule as cr
        >>> cr.concat([cr.ones((1, 2)), cr.zeros((1, 2))]).shape
        (2, 2)
    """
    if len(tensors) == 0:
        raise ValueError("concat: expected a non-empty sequence of tensors")
    return Concat.apply(*tensors, axis=axis)


def stack(tensors: Any, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis.

    Example:
        >>> import chainrule as cr
        >>> cr.stack([cr.ones(3), cr.zeros(3)], axis=1).shape
        (3, 2)
    """
    if len(tensors) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {tuple(np.shape(t.data if isinstance(t, Tensor) else t)) for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    (shape,) = shapes
    if not -(len(shape) + 1) <= axis <= len(shape):
        raise ValueError(f"stack: axis {axis} is out of range for {len(shape) + 1} dimensions")
    position = axis % (len(shape) + 1)
    expanded = shape[:position] + (1,) + shape[position:]
    return Concat.apply(
        *[
            t.reshape(expanded) if isinstance(t, Tensor) else np.reshape(t, expanded)
            for t in tensors
        ],
        axis=position,
    )


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``condition`` holds, else ``b``; differentiable in a and b.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([-1.0, 2.0])
        >>> cr.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    condition = condition.data if isinstance(condition, Tensor) else condition
    return Where.apply(a, b, condition=condition)
