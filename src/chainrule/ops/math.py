"""Elementwise math with PyTorch's names and gradients: trig, hyperbolic, logs, erf, rounding,
two-input ops (atan2, maximum, clamp, remainder, ...), predicates, logical and bitwise ops.

Primitives are written where a composite would lose precision or differ from PyTorch (log2
of 8 is exactly 3, clamp's gradient at its bounds); the rest are short expressions of
primitives. Rounding, predicates, logical and bitwise ops have no gradient: they return
Tensors that do not require grad. Functions of floats read bool and integer tensors as
float32, as PyTorch's do.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, ClassVar

import numpy as np

from ..autograd import Function, _as_tensors
from ..backends import dtype_kind, unbroadcast
from ..tensor import Tensor
from ._shared import Array, Grads, _broadcast_error, promoted
from .elementwise import Abs, Exp, Log, Neg, Sqrt, where

_LN2, _LN10, _TWO_OVER_SQRT_PI = math.log(2), math.log(10), 2 / math.sqrt(math.pi)


# ---------------------------------------------------------------------- one input
class _Pointwise(Function):
    """y = kernel(a) with dL/da = dL/dy * slope(a, y); subclasses name the kernel (a
    function of every namespace, Tensors' included) and write the slope."""

    __slots__ = ()
    kernel: ClassVar[str]

    def forward(self, a: Array) -> Array:
        out = getattr(self.xp, self.kernel)(a)
        self.saved = (a, out)
        return out

    def backward(self, grad: Array) -> Grads:
        a, out = self.saved
        return (grad * self.slope(a, out),)

    def slope(self, a: Array, out: Array) -> Array:
        raise NotImplementedError


class Sin(_Pointwise, fresh_grads=True):
    """sin(a)"""

    __slots__ = ()
    kernel = "sin"

    def slope(self, a: Array, out: Array) -> Array:
        return self.xp.cos(a)


class Cos(_Pointwise, fresh_grads=True):
    """cos(a)"""

    __slots__ = ()
    kernel = "cos"

    def slope(self, a: Array, out: Array) -> Array:
        return -self.xp.sin(a)


class Tan(_Pointwise, fresh_grads=True):
    """tan(a)"""

    __slots__ = ()
    kernel = "tan"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 + out * out


class Asin(_Pointwise, fresh_grads=True):
    """asin(a), for |a| <= 1"""

    __slots__ = ()
    kernel = "asin"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / self.xp.sqrt(1 - a * a)


class Acos(_Pointwise, fresh_grads=True):
    """acos(a), for |a| <= 1"""

    __slots__ = ()
    kernel = "acos"

    def slope(self, a: Array, out: Array) -> Array:
        return -1 / self.xp.sqrt(1 - a * a)


class Atan(_Pointwise, fresh_grads=True):
    """atan(a)"""

    __slots__ = ()
    kernel = "atan"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / (1 + a * a)


class Sinh(_Pointwise, fresh_grads=True):
    """sinh(a)"""

    __slots__ = ()
    kernel = "sinh"

    def slope(self, a: Array, out: Array) -> Array:
        return self.xp.cosh(a)


class Cosh(_Pointwise, fresh_grads=True):
    """cosh(a)"""

    __slots__ = ()
    kernel = "cosh"

    def slope(self, a: Array, out: Array) -> Array:
        return self.xp.sinh(a)


class Asinh(_Pointwise, fresh_grads=True):
    """asinh(a)"""

    __slots__ = ()
    kernel = "asinh"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / self.xp.sqrt(a * a + 1)


class Acosh(_Pointwise, fresh_grads=True):
    """acosh(a), for a >= 1"""

    __slots__ = ()
    kernel = "acosh"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / self.xp.sqrt(a * a - 1)


class Atanh(_Pointwise, fresh_grads=True):
    """atanh(a), for |a| < 1"""

    __slots__ = ()
    kernel = "atanh"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / (1 - a * a)


class Log2(_Pointwise, fresh_grads=True):
    """log2(a): exact at powers of two, where log(a) / ln 2 is not"""

    __slots__ = ()
    kernel = "log2"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / (a * _LN2)


class Log10(_Pointwise, fresh_grads=True):
    """log10(a): exact at powers of ten (log(1000) / ln 10 is 2.9999999999999996)"""

    __slots__ = ()
    kernel = "log10"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / (a * _LN10)


class Log1p(_Pointwise, fresh_grads=True):
    """log(1 + a), exact for small a"""

    __slots__ = ()
    kernel = "log1p"

    def slope(self, a: Array, out: Array) -> Array:
        return 1 / (1 + a)


class Expm1(_Pointwise, fresh_grads=True):
    """exp(a) - 1, exact for small a"""

    __slots__ = ()
    kernel = "expm1"

    def slope(self, a: Array, out: Array) -> Array:
        return out + 1


class Erf(_Pointwise, fresh_grads=True):
    """The error function, 2/sqrt(pi) * integral of exp(-t^2) from 0 to a"""

    __slots__ = ()
    kernel = "erf"

    def slope(self, a: Array, out: Array) -> Array:
        return _TWO_OVER_SQRT_PI * self.xp.exp(-a * a)


class Erfc(_Pointwise, fresh_grads=True):
    """1 - erf(a), exact where erf(a) is near 1"""

    __slots__ = ()
    kernel = "erfc"

    def slope(self, a: Array, out: Array) -> Array:
        return -_TWO_OVER_SQRT_PI * self.xp.exp(-a * a)


# ---------------------------------------------------------------------- two inputs
class _Binary(Function):
    """y = kernel(a, b), its inputs promoted (to a float dtype with ``to_float``);
    subclasses name the kernel and write the backward."""

    __slots__ = ()
    kernel: ClassVar[str]
    to_float: ClassVar[bool] = False

    def forward(self, a: Array, b: Array) -> Array:
        if a.dtype is not b.dtype or self.to_float:
            a, b = promoted(a, b, to_float=self.to_float)
        try:
            out = getattr(self.xp, self.kernel)(a, b)
        except ValueError:
            raise _broadcast_error(self.kernel, a, b) from None
        self.saved = (a, b, out)
        return out

    def grads(self, grad_a: Any, grad_b: Any) -> Grads:
        """Each grad summed to its input's shape, None where no grad is needed."""
        a, b, _ = self.saved
        return (
            unbroadcast(grad_a, a.shape) if self.needs_grad[0] and grad_a is not None else None,
            unbroadcast(grad_b, b.shape) if self.needs_grad[1] and grad_b is not None else None,
        )


class Atan2(_Binary, fresh_grads=True):
    """atan2(a, b): the angle of the point (b, a)"""

    __slots__ = ()
    kernel, to_float = "atan2", True

    def backward(self, grad: Array) -> Grads:
        a, b, _ = self.saved
        scale = grad / (a * a + b * b)  # d/da = b / r^2, d/db = -a / r^2
        return self.grads(scale * b, -scale * a)


class Hypot(_Binary, fresh_grads=True):
    """sqrt(a^2 + b^2), without overflow"""

    __slots__ = ()
    kernel, to_float = "hypot", True

    def backward(self, grad: Array) -> Grads:
        a, b, out = self.saved
        scale = grad / out  # d/da = a / y, d/db = b / y
        return self.grads(scale * a, scale * b)


class Maximum(_Binary, fresh_grads=True):
    """max(a, b), NaN if either is; at a tie each input gets half the gradient (PyTorch)"""

    __slots__ = ()
    kernel = "maximum"

    def backward(self, grad: Array) -> Grads:
        a, b, _ = self.saved
        xp = self.xp
        shared = xp.where(a == b, grad / 2, grad)
        return self.grads(xp.where(a < b, 0, shared), xp.where(a > b, 0, shared))


class Minimum(_Binary, fresh_grads=True):
    """min(a, b), NaN if either is; at a tie each input gets half the gradient (PyTorch)"""

    __slots__ = ()
    kernel = "minimum"

    def backward(self, grad: Array) -> Grads:
        a, b, _ = self.saved
        xp = self.xp
        shared = xp.where(a == b, grad / 2, grad)
        return self.grads(xp.where(a > b, 0, shared), xp.where(a < b, 0, shared))


class Copysign(_Binary, fresh_grads=True):
    """|a| with the sign of b; b gets no gradient (PyTorch's zero)"""

    __slots__ = ()
    kernel, to_float = "copysign", True

    def backward(self, grad: Array) -> Grads:
        a, _, out = self.saved
        xp = self.xp  # +-1 as the sign was kept or flipped; 0 at a == 0, as in PyTorch
        return self.grads(grad * (xp.sign(a) * xp.sign(out)), None)


class Remainder(_Binary, fresh_grads=True):
    """a - b * floor(a / b): the remainder with the sign of b, as Python's % and PyTorch's"""

    __slots__ = ()
    kernel = "remainder"

    def backward(self, grad: Array) -> Grads:
        a, b, _ = self.saved
        return self.grads(grad, -grad * self.xp.floor_divide(a, b))


class Fmod(_Binary, fresh_grads=True):
    """a - b * trunc(a / b): the remainder with the sign of a, as C's fmod"""

    __slots__ = ()
    kernel = "fmod"

    def backward(self, grad: Array) -> Grads:
        a, b, _ = self.saved
        return self.grads(grad, -grad * self.xp.trunc(a / b))


class LogAddExp(_Binary, fresh_grads=True):
    """log(exp(a) + exp(b)), without overflow"""

    __slots__ = ()
    kernel, to_float = "logaddexp", True

    def backward(self, grad: Array) -> Grads:
        a, b, _ = self.saved
        xp = self.xp  # d/da = exp(a) / (exp(a) + exp(b)) = sigmoid(a - b)
        return self.grads(grad * xp.sigmoid(a - b), grad * xp.sigmoid(b - a))


class Clamp(Function, fresh_grads=True):
    """min(max(a, low), high); a's gradient passes where low <= a <= high (bounds included,
    as PyTorch), a bound's where it is the one that holds"""

    __slots__ = ()

    def forward(self, a: Array, low: Array, high: Array) -> Array:
        a, low, high = promoted(a, low, high)
        try:
            out = self.xp.clip(a, low, high)
        except ValueError:
            raise ValueError(
                f"clamp: input of shape {a.shape}, min of shape {low.shape} and max of shape "
                f"{high.shape} do not broadcast"
            ) from None
        self.saved = (a, low, high)
        return out

    def backward(self, grad: Array) -> Grads:
        a, low, high = self.saved
        xp, needs = self.xp, self.needs_grad
        grad_a = grad_low = grad_high = None
        if needs[0]:
            grad_a = unbroadcast(xp.where((a >= low) & (a <= high), grad, 0), a.shape)
        if needs[1]:
            grad_low = unbroadcast(xp.where((a < low) & (low < high), grad, 0), low.shape)
        if needs[2]:
            grad_high = unbroadcast(xp.where((a > high) | (high < low), grad, 0), high.shape)
        return grad_a, grad_low, grad_high


# ---------------------------------------------------------------------- helpers
def _tensor(x: Any) -> Tensor:
    """A Tensor as it is; other data wrapped (Python floats as float32)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _dtype(x: Any) -> Any:
    """The dtype of a Tensor or array, or NumPy's for a number or a list."""
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _own(*operands: Any) -> Any:
    """The namespace of the first array among the operands' data (NumPy if none is one)."""
    for x in operands:
        x = _data(x)
        if hasattr(x, "__array_namespace__"):
            return np if type(x) is np.ndarray else x.__array_namespace__()
    return np


def _floating(x: Any) -> Tensor:
    """``x`` as a float Tensor: bool and integer tensors become float32, as in PyTorch."""
    x = _tensor(x)
    if dtype_kind(x.dtype) in "fc":
        return x
    xp = _own(x)
    return Tensor(xp.astype(x.data, xp.float32))


def _off_graph(op: str, name: str, *operands: Any) -> Tensor:
    """The function ``name`` of the operands' namespace on their data, as a Tensor that
    records nothing (no gradient)."""
    data = [_data(x) for x in operands]
    try:
        return Tensor(getattr(_own(*data), name)(*data))
    except ValueError:
        shapes = " and ".join(str(np.shape(x)) for x in data)
        raise ValueError(f"{op}: shapes {shapes} do not broadcast") from None


def _integral(op: str, *operands: Any) -> tuple[Any, ...]:
    """The operands, once checked to be integer or bool tensors or Python ints."""
    for x in operands:
        if dtype_kind(_dtype(x)) not in "biu":
            dtypes = ", ".join(str(getattr(x, "dtype", type(x).__name__)) for x in operands)
            raise TypeError(f"{op}: integer or bool tensors only, got {dtypes}")
    return operands


def _no_zero_divisor(op: str, a: Any, b: Any) -> None:
    """Integer division by zero raises, as in PyTorch (NumPy would give 0 and a warning)."""
    if all(dtype_kind(_dtype(_data(x))) in "biu" for x in (a, b)):
        zero = _data(b) == 0
        if zero if isinstance(zero, bool) else bool(_own(zero).any(zero)):
            raise ZeroDivisionError(f"{op}: integer division by zero")


# ---------------------------------------------------------------------- functions of floats
def sin(input: Any) -> Tensor:
    return Sin.apply(_floating(input))


def cos(input: Any) -> Tensor:
    return Cos.apply(_floating(input))


def tan(input: Any) -> Tensor:
    return Tan.apply(_floating(input))


def asin(input: Any) -> Tensor:
    return Asin.apply(_floating(input))


def acos(input: Any) -> Tensor:
    return Acos.apply(_floating(input))


def atan(input: Any) -> Tensor:
    return Atan.apply(_floating(input))


def sinh(input: Any) -> Tensor:
    return Sinh.apply(_floating(input))


def cosh(input: Any) -> Tensor:
    return Cosh.apply(_floating(input))


def asinh(input: Any) -> Tensor:
    return Asinh.apply(_floating(input))


def acosh(input: Any) -> Tensor:
    return Acosh.apply(_floating(input))


def atanh(input: Any) -> Tensor:
    return Atanh.apply(_floating(input))


def exp(input: Any) -> Tensor:
    return Exp.apply(_floating(input))


def exp2(input: Any) -> Tensor:
    """2 ** input, by NumPy's power (as exact as exp2)."""
    return 2 ** _floating(input)


def expm1(input: Any) -> Tensor:
    return Expm1.apply(_floating(input))


def log(input: Any) -> Tensor:
    return Log.apply(_floating(input))


def log2(input: Any) -> Tensor:
    return Log2.apply(_floating(input))


def log10(input: Any) -> Tensor:
    return Log10.apply(_floating(input))


def log1p(input: Any) -> Tensor:
    return Log1p.apply(_floating(input))


def sqrt(input: Any) -> Tensor:
    return Sqrt.apply(_floating(input))


def rsqrt(input: Any) -> Tensor:
    """1 / sqrt(input)."""
    return 1 / Sqrt.apply(_floating(input))


def reciprocal(input: Any) -> Tensor:
    """1 / input (float32 for integers)."""
    return 1 / _floating(input)


def erf(input: Any) -> Tensor:
    return Erf.apply(_floating(input))


def erfc(input: Any) -> Tensor:
    return Erfc.apply(_floating(input))


# ---------------------------------------------------------------------- any dtype
def abs(input: Any) -> Tensor:  # noqa: A001  (PyTorch's name)
    return Abs.apply(_tensor(input))


def neg(input: Any) -> Tensor:
    return Neg.apply(_tensor(input))


def square(input: Any) -> Tensor:
    """input * input (bool as int64, as PyTorch)."""
    x = _tensor(input)
    if x.dtype == np.bool_:
        xp = _own(x)
        x = Tensor(xp.astype(x.data, xp.int64))
    return x * x


def frac(input: Any) -> Tensor:
    """input - trunc(input), the part after the point with input's sign; gradient 1."""
    x = _tensor(input)
    if dtype_kind(x.dtype) != "f":
        raise TypeError(f"frac: float tensors only, got {x.dtype}")
    return x - trunc(x)


# Rounding and signs: zero gradient, so outside the graph. Integers come back unchanged.
def floor(input: Any) -> Tensor:
    return _off_graph("floor", "floor", input)


def ceil(input: Any) -> Tensor:
    return _off_graph("ceil", "ceil", input)


def trunc(input: Any) -> Tensor:
    return _off_graph("trunc", "trunc", input)


def round(input: Any, decimals: int = 0) -> Tensor:  # noqa: A001  (PyTorch's name)
    """To the nearest integer, halves to even; with ``decimals``, to that many digits after
    the point (before it if negative) as PyTorch: rint(x * 10^d) / 10^d."""
    x = _tensor(input)
    if decimals == 0:
        return _off_graph("round", "round", x)
    if dtype_kind(x.dtype) != "f":
        raise TypeError(f"round: decimals={decimals} needs a float tensor, got {x.dtype}")
    xp, scale = _own(x), 10.0 ** builtins.abs(decimals)
    if decimals > 0:
        return Tensor(xp.round(x.data * scale) / scale)
    return Tensor(xp.round(x.data / scale) * scale)


def sign(input: Any) -> Tensor:
    """-1, 0 or 1 (0 for NaN, and bool unchanged, as PyTorch)."""
    x = _tensor(input)
    xp = _own(x)
    if x.dtype == np.bool_:
        return Tensor(xp.asarray(x.data, copy=True))
    out = xp.sign(x.data)
    return Tensor(xp.where(xp.isnan(out), 0, out) if dtype_kind(out.dtype) == "f" else out)


sgn = sign  # the same for real tensors


# ---------------------------------------------------------------------- two inputs
def atan2(input: Any, other: Any) -> Tensor:
    return Atan2.apply(input, other)


def hypot(input: Any, other: Any) -> Tensor:
    return Hypot.apply(input, other)


def maximum(input: Any, other: Any) -> Tensor:
    return Maximum.apply(input, other)


def minimum(input: Any, other: Any) -> Tensor:
    return Minimum.apply(input, other)


def copysign(input: Any, other: Any) -> Tensor:
    return Copysign.apply(input, other)


def remainder(input: Any, other: Any) -> Tensor:
    """input - other * floor(input / other), with other's sign (Python's and PyTorch's %)."""
    _no_zero_divisor("remainder", input, other)
    return Remainder.apply(input, other)


def fmod(input: Any, other: Any) -> Tensor:
    """input - other * trunc(input / other), with input's sign (C's fmod)."""
    _no_zero_divisor("fmod", input, other)
    return Fmod.apply(input, other)


def floor_divide(input: Any, other: Any) -> Tensor:
    """floor(input / other), outside the graph (PyTorch has no gradient for it)."""
    _no_zero_divisor("floor_divide", input, other)
    a, b = _as_tensors((input, other))  # numbers as PyTorch types them beside a tensor
    return _off_graph("floor_divide", "floor_divide", *promoted(a.data, b.data))


def logaddexp(input: Any, other: Any) -> Tensor:
    return LogAddExp.apply(input, other)


def logaddexp2(input: Any, other: Any) -> Tensor:
    """log2(2^input + 2^other), as logaddexp in units of ln 2."""
    # NOTE: a Python number is scaled as a number, so it joins the tensor's dtype after.
    scaled = [x if isinstance(x, (Tensor, int, float)) else _tensor(x) for x in (input, other)]
    return LogAddExp.apply(scaled[0] * _LN2, scaled[1] * _LN2) / _LN2


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Each element limited to [min, max] (tensors or numbers; either may be left out);
    where min > max the result is max, as in PyTorch."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    x = _tensor(input)
    if all(dtype_kind(_dtype(_data(v))) in "biu" for v in (x, min, max) if v is not None):
        return _off_graph("clamp", "clip", x, min, max)  # integers: no gradient to keep
    low, high = -math.inf if min is None else min, math.inf if max is None else max
    return Clamp.apply(x, low, high)


clip = clamp


def lerp(input: Any, end: Any, weight: Any) -> Tensor:
    """input + weight * (end - input), as PyTorch computes it: from end for |weight| >= 0.5,
    so that weight 1 gives end exactly."""
    start, end = _tensor(input), _tensor(end)
    if dtype_kind(start.dtype) != "f":
        raise TypeError(f"lerp: float tensors only, got {start.dtype}")
    if isinstance(weight, (int, float)):
        if -0.5 < weight < 0.5:
            return start + weight * (end - start)
        return end - (end - start) * (1 - weight)
    weight = _tensor(weight)
    small = (weight.data > -0.5) & (weight.data < 0.5)
    return where(small, start + weight * (end - start), end - (end - start) * (1 - weight))


def nan_to_num(
    input: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN, inf and -inf replaced: by 0 and the dtype's greatest and least values unless
    told; the gradient passes where the input is finite, as in PyTorch."""
    x = _tensor(input)
    xp, data = _own(x), x.data
    if dtype_kind(x.dtype) != "f":
        return Tensor(xp.asarray(data, copy=True))
    info = xp.finfo(data.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    filled = xp.where(xp.isnan(data), nan, xp.where(data > 0, posinf, neginf))
    return where(xp.isfinite(data), x, Tensor(xp.astype(filled, data.dtype)))


# ---------------------------------------------------------------------- predicates
def isnan(input: Any) -> Tensor:
    return _off_graph("isnan", "isnan", input)


def isinf(input: Any) -> Tensor:
    return _off_graph("isinf", "isinf", input)


def isfinite(input: Any) -> Tensor:
    return _off_graph("isfinite", "isfinite", input)


def isposinf(input: Any) -> Tensor:
    return Tensor(isinf(input).data & (_data(input) > 0))


def isneginf(input: Any) -> Tensor:
    return Tensor(isinf(input).data & (_data(input) < 0))


def isclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise, or equal (inf to inf), as
    PyTorch; a number as ``other`` is read in input's dtype."""
    a = _tensor(input)
    xp = _own(a)
    b = other.data if isinstance(other, Tensor) else xp.asarray(other, dtype=a.data.dtype)
    if a.dtype != b.dtype:
        raise TypeError(f"isclose: input is {a.dtype} but other is {b.dtype}; compare one dtype")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    try:
        close = a.data == b
    except ValueError:
        raise _broadcast_error("isclose", a.data, b) from None
    if equal_nan:
        close = close | (xp.isnan(a.data) & xp.isnan(b))
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, and not close: no warning
        error = xp.abs(a.data - b)
        return Tensor(close | (xp.isfinite(error) & (error <= atol + xp.abs(rtol * b))))


def allclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether ``isclose`` holds everywhere, as a Python bool."""
    close = isclose(input, other, rtol, atol, equal_nan).data
    return bool(_own(close).all(close))


# ---------------------------------------------------------------------- logical and bitwise
def logical_and(input: Any, other: Any) -> Tensor:
    return _off_graph("logical_and", "logical_and", *_bools(input, other))


def logical_or(input: Any, other: Any) -> Tensor:
    return _off_graph("logical_or", "logical_or", *_bools(input, other))


def logical_xor(input: Any, other: Any) -> Tensor:
    return _off_graph("logical_xor", "logical_xor", *_bools(input, other))


def logical_not(input: Any) -> Tensor:
    return _off_graph("logical_not", "logical_not", *_bools(input))


def _bools(*operands: Any) -> list[Any]:
    """Each operand's data as truth values (nonzero is True), as PyTorch's logical ops read it."""
    data = [_data(x) for x in operands]
    return [x if isinstance(x, bool) or dtype_kind(_dtype(x)) == "b" else x != 0 for x in data]


def bitwise_and(input: Any, other: Any) -> Tensor:
    return _off_graph("bitwise_and", "bitwise_and", *_integral("bitwise_and", input, other))


def bitwise_or(input: Any, other: Any) -> Tensor:
    return _off_graph("bitwise_or", "bitwise_or", *_integral("bitwise_or", input, other))


def bitwise_xor(input: Any, other: Any) -> Tensor:
    return _off_graph("bitwise_xor", "bitwise_xor", *_integral("bitwise_xor", input, other))


def bitwise_not(input: Any) -> Tensor:
    """~input: every bit flipped (not, for bool)."""
    return _off_graph("bitwise_not", "bitwise_invert", *_integral("bitwise_not", input))


def bitwise_left_shift(input: Any, other: Any) -> Tensor:
    """input * 2^other for integers (0 once every bit is shifted out)."""
    data = _integral("bitwise_left_shift", input, other)
    return _off_graph("bitwise_left_shift", "bitwise_left_shift", *data)


def bitwise_right_shift(input: Any, other: Any) -> Tensor:
    """floor(input / 2^other) for integers (the sign bit fills in)."""
    data = _integral("bitwise_right_shift", input, other)
    return _off_graph("bitwise_right_shift", "bitwise_right_shift", *data)
