"""Elementwise primitives and ``where``; reductions, movement and matmul live beside it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, constant, unbroadcast
from ..tensor import Tensor
from ._shared import Grads, TensorGrads, _broadcast_error
from .reduce import sum_to


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
