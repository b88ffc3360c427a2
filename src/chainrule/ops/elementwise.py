"""Elementwise primitives and ``where``; reductions, movement and matmul live beside it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backends import dtype_kind, unbroadcast
from ..tensor import DEFAULT_DTYPE, Tensor
from ._shared import Array, Grads, _broadcast_error, promoted


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


_FLOATS = frozenset(np.dtype(c) for c in "efdFD")  # the dtypes true division keeps


class Add(Function, fresh_grads=True):
    """a + b"""

    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        self.saved = (a.shape, b.shape)
        if a.dtype is not b.dtype:  # PyTorch's promotion (int64 * float32 is float32)
            a, b = promoted(a, b)
        try:
            return a + b
        except ValueError:
            raise _broadcast_error("add", a, b) from None

    def backward(self, grad: Array) -> Grads:
        shape_a, shape_b = self.saved
        grad_a = unbroadcast(grad, shape_a) if self.needs_grad[0] else None  # dL/da = dL/dy
        grad_b = unbroadcast(grad, shape_b) if self.needs_grad[1] else None  # dL/db = dL/dy
        return grad_a, grad_b


class Sub(Function, fresh_grads=True):
    """a - b"""

    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        self.saved = (a.shape, b.shape)
        if a.dtype is not b.dtype:  # PyTorch's promotion (int64 * float32 is float32)
            a, b = promoted(a, b)
        try:
            return a - b
        except ValueError:
            raise _broadcast_error("sub", a, b) from None

    def backward(self, grad: Array) -> Grads:
        shape_a, shape_b = self.saved
        grad_a = unbroadcast(grad, shape_a) if self.needs_grad[0] else None  # dL/da = dL/dy
        grad_b = -unbroadcast(grad, shape_b) if self.needs_grad[1] else None  # dL/db = -dL/dy
        return grad_a, grad_b


class Mul(Function, fresh_grads=True):
    """a * b"""

    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        if a.dtype is not b.dtype:  # PyTorch's promotion (int64 * float32 is float32)
            a, b = promoted(a, b)
        self.saved = (a, b)
        try:
            return a * b
        except ValueError:
            raise _broadcast_error("mul", a, b) from None

    def backward(self, grad: Array) -> Grads:
        a, b = self.saved
        grad_a = unbroadcast(grad * b, a.shape) if self.needs_grad[0] else None  # dL/da = dL/dy*b
        grad_b = unbroadcast(grad * a, b.shape) if self.needs_grad[1] else None  # dL/db = dL/dy*a
        return grad_a, grad_b


class Div(Function, fresh_grads=True):
    """a / b"""

    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        if a.dtype is not b.dtype or a.dtype not in _FLOATS:  # int / int is float32
            a, b = promoted(a, b, to_float=True)
        self.saved = (a, b)
        try:
            return a / b
        except ValueError:
            raise _broadcast_error("div", a, b) from None

    def backward(self, grad: Array) -> Grads:
        a, b = self.saved
        grad_a = grad_b = None
        if self.needs_grad[0]:
            grad_a = unbroadcast(grad / b, a.shape)  # dL/da = dL/dy / b
        if self.needs_grad[1]:
            grad_b = unbroadcast(-grad * a / (b * b), b.shape)  # dL/db = -dL/dy * a / b^2
        return grad_a, grad_b


class Pow(Function, fresh_grads=True):
    """a ** b"""

    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        try:
            out = a**b
        except ValueError:
            raise _pow_error(a, b) from None
        self.saved = (a, b, out)
        return out

    # NOTE: PyTorch's masks: d/da is 0 where b == 0 (a^0 is 1 even at a = 0, inf or nan, so
    # b a^0 is 0 there), and d/db is 0 where a == 0 <= b (ln 1 stands in for ln 0); for
    # a == 0 > b it stays a^b ln a = inf * -inf = -inf.
    def backward(self, grad: Array) -> Grads:
        a, b, out = self.saved
        xp = self.xp
        grad_a = grad_b = None
        if self.needs_grad[0] and b.ndim == 0 and not self.needs_grad[1]:  # a ** c
            c = float(b)  # NOTE: x ** 2 and the like, without the mask's four passes
            if c == 2:  # a square (a loss's): 2a is exact, and no Python scalar meets an array
                grad_a = grad * (a + a)
            elif c:
                grad_a = grad * c * a ** (c - 1)
            else:
                grad_a = xp.zeros_like(grad)
        elif self.needs_grad[0]:  # dL/da = dL/dy * b a^(b-1)
            grad_a = unbroadcast(grad * b * a ** xp.where(b == 0, 0, b - 1), a.shape)
        if self.needs_grad[1]:  # dL/db = dL/dy * a^b ln a
            with np.errstate(divide="ignore"):  # ln 0 = -inf is meant
                log_a = xp.log(xp.where((a == 0) & (b >= 0), 1, a))
            grad_b = unbroadcast(grad * out * log_a, b.shape)
        return grad_a, grad_b


class Neg(Function, fresh_grads=True):
    """-a"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        return -a

    def backward(self, grad: Array) -> Grads:
        return (-grad,)  # dL/da = -dL/dy


class Exp(Function, fresh_grads=True):
    """exp(a)"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        out = self.xp.exp(a)
        self.saved = (out,)
        return out

    def backward(self, grad: Array) -> Grads:
        (out,) = self.saved
        return (grad * out,)  # dL/da = dL/dy * exp(a)


class Log(Function, fresh_grads=True):
    """ln(a)"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        self.saved = (a,)
        return self.xp.log(a)

    def backward(self, grad: Array) -> Grads:
        (a,) = self.saved
        return (grad / a,)  # dL/da = dL/dy / a


class Sqrt(Function, fresh_grads=True):
    """sqrt(a)"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        out = self.xp.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, grad: Array) -> Grads:
        (out,) = self.saved
        return (grad / (2 * out),)  # dL/da = dL/dy / (2 sqrt(a))


class Abs(Function, fresh_grads=True):
    """|a| (the gradient at 0 is taken as 0)"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        xp = self.xp
        self.saved = (xp.sign(a),)
        return xp.abs(a)

    def backward(self, grad: Array) -> Grads:
        (sign,) = self.saved
        return (grad * sign,)  # dL/da = dL/dy * sign(a)


class Relu(Function, fresh_grads=True):
    """max(a, 0) (the gradient at 0 is taken as 0)"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        out = self.xp.relu(a)
        self.saved = (out,)
        return out

    def backward(self, grad: Array) -> Grads:
        (out,) = self.saved
        return (self.xp.mask(grad, out > 0),)  # dL/da = dL/dy * [a > 0]


class Sigmoid(Function, fresh_grads=True):
    """1 / (1 + exp(-a)), computed without overflow for large |a|"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        out = self.xp.sigmoid(a)
        self.saved = (out,)
        return out

    def backward(self, grad: Array) -> Grads:
        (out,) = self.saved
        return (self.xp.sigmoid_backward(out, grad),)  # dL/da = dL/dy * s (1 - s)


class Tanh(Function, fresh_grads=True):
    """tanh(a)"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        out = self.xp.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, grad: Array) -> Grads:
        (out,) = self.saved
        return (self.xp.tanh_backward(out, grad),)  # dL/da = dL/dy * (1 - tanh^2 a)


class Softplus(Function, fresh_grads=True):
    """log(1 + exp(a)), computed without overflow"""

    __slots__ = ()

    def forward(self, a: Array) -> Array:
        self.saved = (a,)
        xp = self.xp
        return xp.logaddexp(xp.zeros_like(a), a)

    def backward(self, grad: Array) -> Grads:
        (a,) = self.saved
        return (grad * self.xp.sigmoid(a),)  # dL/da = dL/dy * sigmoid(a)


class Where(Function, fresh_grads=True):
    """condition ? a : b (the condition is data, not differentiable)"""

    __slots__ = ()

    def forward(self, a: Array, b: Array, condition: Array) -> Array:
        xp = self.xp
        if a.dtype is not b.dtype:
            a, b = promoted(a, b)
        try:
            out = xp.where(condition, a, b)
        except ValueError:
            shape = getattr(condition, "shape", ())
            raise ValueError(
                f"where: condition {shape}, a {a.shape} and b {b.shape} do not broadcast"
            ) from None
        self.saved = (condition, a.shape, b.shape)
        return out

    def backward(self, grad: Array) -> Grads:
        condition, shape_a, shape_b = self.saved
        xp = self.xp
        grad_a = grad_b = None
        if self.needs_grad[0]:
            grad_a = unbroadcast(xp.where(condition, grad, 0), shape_a)  # grad where chosen
        if self.needs_grad[1]:
            grad_b = unbroadcast(xp.where(condition, 0, grad), shape_b)
        return grad_a, grad_b


def where(condition: Any, a: Any = None, b: Any = None) -> Any:
    """Elementwise ``a`` where the bool ``condition`` holds, else ``b``; differentiable in a
    and b. ``where(condition)`` alone gives the indices where it holds, one tensor per dim.

    As in PyTorch, a Python float beside an integer or bool operand gives float32.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([-1.0, 2.0])
        >>> cr.where(x > 0, x, 0.0), cr.where(x > 0)
        (tensor([0., 2.]), (tensor([1]),))
    """
    condition = condition.data if isinstance(condition, Tensor) else condition
    if not hasattr(condition, "__array_namespace__"):  # a list or a scalar
        condition = np.asarray(condition)
    if dtype_kind(condition.dtype) != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    if a is None and b is None:
        xp = np if type(condition) is np.ndarray else condition.__array_namespace__()
        flat = condition if condition.ndim else xp.reshape(condition, (1,))
        return tuple(Tensor(i) for i in xp.nonzero(flat))
    if a is None or b is None:
        raise TypeError("where: give both a and b, or neither")
    return Where.apply(_promoted(a, b), _promoted(b, a), condition=condition)


def _promoted(x: Any, other: Any) -> Any:
    """``x`` as PyTorch promotes it beside ``other``: a Python float beside integers or bools
    makes both float32, a Python int beside a bool tensor is int64 (other Python numbers
    take the tensor's dtype, as in every op)."""
    if isinstance(x, float) or isinstance(other, float):
        if isinstance(x, int):
            return float(x)
        if isinstance(x, Tensor) and dtype_kind(x.dtype) in "biu":
            return Tensor(np.asarray(x.data, dtype=DEFAULT_DTYPE))
    elif isinstance(x, int) and isinstance(other, Tensor) and dtype_kind(other.dtype) == "b":
        return Tensor(np.asarray(x, dtype=np.int64))
    return x
