"""``Tensor``: an ndarray that remembers how it was made, and ``backward()`` that walks it back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .grad_mode import _state as grad_state
from .grad_mode import enable_grad

if TYPE_CHECKING:
    from .autograd import Function

DEFAULT_DTYPE = np.float32
_DEFAULT_DTYPES = (np.float32, np.int64, np.bool_)  # the dtypes a repr leaves unsaid


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """NumPy data keeps its dtype; Python floats become float32 unless ``dtype`` says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data, dtype=dtype)
    if hasattr(data, "__array_namespace__"):  # another Array API array stays where it is
        if dtype is None:
            return data
        xp = data.__array_namespace__()
        return xp.astype(data, getattr(xp, np.dtype(dtype).name))
    array = np.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == np.float64:
        array = array.astype(DEFAULT_DTYPE)
    return array


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``data`` is the ndarray; ``grad`` is ``None`` until ``backward()`` reaches this tensor,
    then a Tensor of the same shape that accumulates across calls. ``_ctx`` is the
    ``Function`` that produced the tensor (``None`` for leaves).

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        if type(data) is np.ndarray and dtype is None:
            self.data = data  # the hot path: every Function output lands here
        else:
            self.data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self._ctx: Function | None = None
        self.name: str | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing a gradient (floating-point tensors only)."""
        if requires_grad and not _is_floating(self.data):
            raise ValueError(f"only floating-point tensors can require grad, got {self.data.dtype}")
        self.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """Created by the user rather than by an operation on tensors that require grad."""
        return self._ctx is None

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if type(self.data) is not np.ndarray or self.data.dtype not in _DEFAULT_DTYPES:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        return self._number("item")

    def _number(self, op: str) -> Any:
        if self.data.size != 1:
            raise ValueError(f"{op}: only one-element tensors convert, got shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self._number("float"))

    def __int__(self) -> int:
        return int(self._number("int"))  # truncates toward zero, as int(2.7) and PyTorch do

    def __index__(self) -> int:
        """A one-element integer (or bool) tensor as an index, e.g. ``[10, 20][cr.tensor(1)]``."""
        if self.data.dtype.kind not in "biu" or self.data.size != 1:
            raise TypeError(
                "index: only integer tensors of one element can be an index, "
                f"got {self.dtype} of shape {self.shape}"
            )
        return int(self.data.item())

    def __format__(self, format_spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor's number; no spec gives ``str(t)``.

        Example:
            >>> import chainrule as cr
            >>> f"{cr.tensor([0.12345]):.3f} {cr.tensor(2)}"
            '0.123 tensor(2)'
        """
        if not format_spec:
            return str(self)
        return format(self._number("format"), format_spec)

    @property
    def device(self) -> Any:
        """``"cpu"`` for NumPy data, ``"cuda:N"`` on CuPy, else the array's own device."""
        return devices.device_of(self.data)

    def to(self, device: Any) -> Tensor:
        """A new leaf with the data on ``device`` ("cpu", "cuda", "cuda:N" or an Array API
        namespace module); ``requires_grad`` is kept.

        Example:
            >>> import chainrule as cr
            >>> cr.tensor([1.0], requires_grad=True).to("cpu")
            tensor([1.], requires_grad=True)
        """
        return Tensor(devices.move(self.data, device), requires_grad=self.requires_grad)

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied); a NumPy copy for other devices."""
        return self.data if type(self.data) is np.ndarray else devices.to_numpy(self.data)

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype (not recorded on the graph)."""
        return Tensor(self.data.astype(dtype), requires_grad=False)

    # ------------------------------------------------------------------ backward
    def backward(
        self,
        grad: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` by the chain rule.

        Args:
            grad: d(loss)/d(self); may be left out for one-element tensors (it is then 1).
            retain_graph: keep the graph's saved arrays for another backward
                (default: ``create_graph``).
            create_graph: record the backward itself, so gradients can be differentiated.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: tensor does not require grad (no input had requires_grad=True, "
                "or it was computed under no_grad)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    "backward: grad can be implicit only for scalar outputs, "
                    f"got shape {self.shape}"
                )
            if type(self.data) is np.ndarray:
                # NOTE: np.array(1) reshaped is 4x faster than np.ones, and paid once a step.
                seed = np.array(1, dtype=self.data.dtype).reshape(self.data.shape)
            else:
                seed = _xp(self.data).ones_like(self.data)
        elif type(self.data) is not np.ndarray:
            xp = _xp(self.data)
            seed = xp.asarray(devices.move(_to_array(grad), xp), copy=True)
            seed = xp.astype(seed, self.data.dtype)
        else:
            seed = np.array(_to_array(grad), dtype=self.data.dtype)  # a copy we own
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {seed.shape}, expected the output's {self.shape}"
                )
        if retain_graph is None:
            retain_graph = create_graph
        if create_graph:
            with enable_grad():
                backprop(self, Tensor(seed), retain_graph, create_graph=True)
        else:
            backprop(self, seed, retain_graph)

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(other, self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=_unwrap_index(index))

    # ------------------------------------------------------------------ in place
    # These write into ``self.data`` itself (``out=``), so views of it and the optimisers'
    # references see the change, and return ``self``. The rules are PyTorch's (``_writable``).
    def __iadd__(self, other: Any) -> Tensor:
        return self._update("+=", np.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._update("-=", np.subtract, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._update("*=", np.multiply, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._update("/=", np.true_divide, other)

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self += alpha * other`` in place; returns self.

        In place updates need no graph: on a tensor that requires grad they run under
        ``no_grad``, as optimiser steps do. The result keeps self's shape and dtype (NumPy's
        ``same_kind`` casting: an int tensor cannot take ``+= 0.5``).

        Example:
            >>> import chainrule as cr
            >>> w = cr.tensor([1.0, 2.0], requires_grad=True)
            >>> with cr.no_grad():
            ...     w.add_(cr.tensor([1.0, 1.0]), alpha=-0.5)
            tensor([0.5, 1.5], requires_grad=True)
        """
        return self._update("add_", np.add, other, alpha=alpha)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        """``self -= alpha * other`` in place; returns self."""
        return self._update("sub_", np.subtract, other, alpha=alpha)

    def mul_(self, other: Any) -> Tensor:
        """``self *= other`` in place; returns self."""
        return self._update("mul_", np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        """``self /= other`` in place (float tensors only); returns self."""
        return self._update("div_", np.true_divide, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit every element to [min, max] in place (either bound may be left out)."""
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        return self._update("clamp_", np.clip, min, max)

    def zero_(self) -> Tensor:
        """Set every element to 0 in place; returns self."""
        return self._assign("zero_", ..., 0)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value`` in place; returns self."""
        return self._assign("fill_", ..., value)

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcast to self's shape) into self in place; returns self."""
        return self._assign("copy_", ..., src)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value``, and so ``t[i, j] += 1``, in place, as ``copy_``.

        Example:
            >>> import chainrule as cr
            >>> import numpy as np
            >>> counts = cr.zeros((2, 3), dtype=np.int32)
            >>> counts[1, 2] += 1
            >>> counts[0] = 7
            >>> counts
            tensor([[7, 7, 7],
                    [0, 0, 1]], dtype=int32)
        """
        self._assign("setitem", _unwrap_index(index), value)

    def _writable(self, op: str, operands: tuple[Any, ...]) -> list[Any]:
        """The operands, Tensors unwrapped, once it is checked that self may change in place."""
        if grad_state.enabled:
            if self._ctx is not None:
                raise RuntimeError(
                    f"{op}: this tensor was computed on the graph (by {type(self._ctx).__name__}), "
                    "whose backward may need its old value; use the out-of-place form, y = y + x"
                )
            if self.requires_grad:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad cannot change in place while the "
                    "graph is recorded; wrap the update in `with cr.no_grad():`"
                )
            if any(isinstance(x, Tensor) and x.requires_grad for x in operands):
                raise RuntimeError(
                    f"{op}: an operand requires grad, but in-place updates are not recorded on "
                    "the graph; use the out-of-place form, y = y + x"
                )
        if not self.data.flags.writeable:
            raise ValueError(f"{op}: the tensor's array is read-only; update a copy instead")
        return [_data(x) for x in operands]

    def _update(self, op: str, ufunc: Any, *others: Any, alpha: Any = 1) -> Tensor:
        """``ufunc(self.data, alpha * others[0], *others[1:], out=self.data)``, checked."""
        operands = self._writable(op, others)
        if alpha != 1:
            operands[0] = np.multiply(operands[0], alpha)
        try:
            ufunc(self.data, *operands, out=self.data)
        except TypeError as error:  # NumPy's: the result does not cast to self's dtype
            raise TypeError(
                f"{op}: cannot update this {self.dtype} tensor in place ({error})"
            ) from None
        except ValueError:
            shapes = " and ".join(str(np.shape(x)) for x in operands if x is not None)
            raise ValueError(
                f"{op}: the result must keep the tensor's shape {self.shape}, "
                f"which an operand of shape {shapes} does not broadcast to"
            ) from None
        return self

    def _assign(self, op: str, index: Any, value: Any) -> Tensor:
        """``self.data[index] = value``, checked as ``_update`` is."""
        (array,) = self._writable(op, (value,))
        if isinstance(array, (list, tuple)):
            array = np.asarray(array)
        if not np.can_cast(np.result_type(self.dtype, array), self.dtype, "same_kind"):
            raise TypeError(
                f"{op}: cannot store {np.result_type(array)} values in this {self.dtype} tensor "
                "(NumPy's same_kind casting); convert them first, e.g. with .astype()"
            )
        try:
            self.data[index] = array
        except (IndexError, ValueError) as error:
            raise type(error)(f"{op}: {error} (tensor of shape {self.shape})") from None
        return self

    # Comparisons are not differentiable: they return bool tensors outside the graph.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _data(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _data(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _data(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _data(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == _data(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != _data(other))

    def __and__(self, other: Any) -> Tensor:
        return Tensor(self.data & _data(other))

    def __or__(self, other: Any) -> Tensor:
        return Tensor(self.data | _data(other))

    def __invert__(self) -> Tensor:
        return Tensor(~self.data)

    __hash__ = object.__hash__  # identity, so tensors can still live in sets

    def __bool__(self) -> bool:
        return bool(self.data)

    # ------------------------------------------------------------------ methods
    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Sum.apply(self, axis=_axes(axis, self.ndim), keepdims=keepdims)

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Mean.apply(self, axis=_axes(axis, self.ndim), keepdims=keepdims)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Max.apply(self, axis=_axes(axis, self.ndim), keepdims=keepdims)

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Min.apply(self, axis=_axes(axis, self.ndim), keepdims=keepdims)

    def argmax(self, axis: int | None = None) -> Tensor:
        return Tensor(self.data.argmax(axis=axis))

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def relu(self) -> Tensor:
        return ops.Relu.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        return ops.Transpose.apply(self, axes=axes)

    @property
    def T(self) -> Tensor:  # noqa: N802  (NumPy's name)
        return self.transpose()

    def flatten(self, start_axis: int = 0) -> Tensor:
        """Merge the axes from ``start_axis`` on into one."""
        if not -max(self.ndim, 1) <= start_axis < max(self.ndim, 1):
            raise ValueError(
                f"flatten: start_axis {start_axis} is out of range for a tensor of "
                f"{self.ndim} dimensions"
            )
        start = start_axis % max(self.ndim, 1)
        return self.reshape(*self.shape[:start], -1)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=tuple(shape))

    # -------------------------------------- tensor spelling (views, casts, comparisons)

    # -------------------------------------- creation and top-level functions

    # -------------------------------------- elementwise math
    # (each is chainrule's function of the same name, ops/math.py, with self first)
    def sin(self) -> Tensor:
        return ops.math.sin(self)

    def cos(self) -> Tensor:
        return ops.math.cos(self)

    def tan(self) -> Tensor:
        return ops.math.tan(self)

    def asin(self) -> Tensor:
        return ops.math.asin(self)

    def acos(self) -> Tensor:
        return ops.math.acos(self)

    def atan(self) -> Tensor:
        return ops.math.atan(self)

    def sinh(self) -> Tensor:
        return ops.math.sinh(self)

    def cosh(self) -> Tensor:
        return ops.math.cosh(self)

    def asinh(self) -> Tensor:
        return ops.math.asinh(self)

    def acosh(self) -> Tensor:
        return ops.math.acosh(self)

    def atanh(self) -> Tensor:
        return ops.math.atanh(self)

    def exp2(self) -> Tensor:
        return ops.math.exp2(self)

    def expm1(self) -> Tensor:
        return ops.math.expm1(self)

    def log2(self) -> Tensor:
        return ops.math.log2(self)

    def log10(self) -> Tensor:
        return ops.math.log10(self)

    def log1p(self) -> Tensor:
        return ops.math.log1p(self)

    def rsqrt(self) -> Tensor:
        return ops.math.rsqrt(self)

    def reciprocal(self) -> Tensor:
        return ops.math.reciprocal(self)

    def square(self) -> Tensor:
        return ops.math.square(self)

    def erf(self) -> Tensor:
        return ops.math.erf(self)

    def erfc(self) -> Tensor:
        return ops.math.erfc(self)

    def neg(self) -> Tensor:
        return ops.math.neg(self)

    def floor(self) -> Tensor:
        return ops.math.floor(self)

    def ceil(self) -> Tensor:
        return ops.math.ceil(self)

    def trunc(self) -> Tensor:
        return ops.math.trunc(self)

    def frac(self) -> Tensor:
        return ops.math.frac(self)

    def sign(self) -> Tensor:
        return ops.math.sign(self)

    def sgn(self) -> Tensor:
        return ops.math.sgn(self)

    def isnan(self) -> Tensor:
        return ops.math.isnan(self)

    def isinf(self) -> Tensor:
        return ops.math.isinf(self)

    def isfinite(self) -> Tensor:
        return ops.math.isfinite(self)

    def isposinf(self) -> Tensor:
        return ops.math.isposinf(self)

    def isneginf(self) -> Tensor:
        return ops.math.isneginf(self)

    def logical_not(self) -> Tensor:
        return ops.math.logical_not(self)

    def bitwise_not(self) -> Tensor:
        return ops.math.bitwise_not(self)

    def atan2(self, other: Any) -> Tensor:
        return ops.math.atan2(self, other)

    def hypot(self, other: Any) -> Tensor:
        return ops.math.hypot(self, other)

    def maximum(self, other: Any) -> Tensor:
        return ops.math.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.math.minimum(self, other)

    def copysign(self, other: Any) -> Tensor:
        return ops.math.copysign(self, other)

    def fmod(self, other: Any) -> Tensor:
        return ops.math.fmod(self, other)

    def remainder(self, other: Any) -> Tensor:
        return ops.math.remainder(self, other)

    def floor_divide(self, other: Any) -> Tensor:
        return ops.math.floor_divide(self, other)

    def logaddexp(self, other: Any) -> Tensor:
        return ops.math.logaddexp(self, other)

    def logaddexp2(self, other: Any) -> Tensor:
        return ops.math.logaddexp2(self, other)

    def logical_and(self, other: Any) -> Tensor:
        return ops.math.logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        return ops.math.logical_or(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        return ops.math.logical_xor(self, other)

    def bitwise_and(self, other: Any) -> Tensor:
        return ops.math.bitwise_and(self, other)

    def bitwise_or(self, other: Any) -> Tensor:
        return ops.math.bitwise_or(self, other)

    def bitwise_xor(self, other: Any) -> Tensor:
        return ops.math.bitwise_xor(self, other)

    def bitwise_left_shift(self, other: Any) -> Tensor:
        return ops.math.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        return ops.math.bitwise_right_shift(self, other)

    def round(self, decimals: int = 0) -> Tensor:
        return ops.math.round(self, decimals=decimals)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return ops.math.clamp(self, min, max)

    clip = clamp

    def lerp(self, end: Any, weight: Any) -> Tensor:
        return ops.math.lerp(self, end, weight)

    def nan_to_num(self, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Tensor:
        return ops.math.nan_to_num(self, nan, posinf, neginf)

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        return ops.math.isclose(self, other, rtol, atol, equal_nan)

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        return ops.math.allclose(self, other, rtol, atol, equal_nan)

    # The operators PyTorch gives integer (and bool) tensors; % and // work on floats too.
    def __xor__(self, other: Any) -> Tensor:
        return ops.math.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return ops.math.bitwise_xor(other, self)

    def __lshift__(self, other: Any) -> Tensor:
        return ops.math.bitwise_left_shift(self, other)

    def __rlshift__(self, other: Any) -> Tensor:
        return ops.math.bitwise_left_shift(other, self)

    def __rshift__(self, other: Any) -> Tensor:
        return ops.math.bitwise_right_shift(self, other)

    def __rrshift__(self, other: Any) -> Tensor:
        return ops.math.bitwise_right_shift(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return ops.math.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return ops.math.remainder(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.math.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return ops.math.floor_divide(other, self)

    def __rand__(self, other: Any) -> Tensor:
        return ops.math.bitwise_and(other, self)

    def __ror__(self, other: Any) -> Tensor:
        return ops.math.bitwise_or(other, self)

    # -------------------------------------- reductions and scans

    # -------------------------------------- indexing


# ---------------------------------------------------------------------- helpers
def _is_floating(array: Any) -> bool:
    if type(array) is np.ndarray:
        return array.dtype.kind in "fc"
    return bool(_xp(array).isdtype(array.dtype, ("real floating", "complex floating")))


def _xp(array: Any) -> Any:
    """The Array API namespace of a non-NumPy array."""
    return array.__array_namespace__()


def _data(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _unwrap_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_data(i) for i in index)
    return _data(index)


def _axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...] | None:
    """Normalise ``axis`` to a sorted tuple of non-negative axes (``None`` means all)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor of {ndim} dimensions")
    if ndim == 0:
        return ()  # a 0-d tensor's axis 0 (or -1) reduces nothing, as in PyTorch
    return tuple(sorted(int(a) % ndim for a in axes))


# ---------------------------------------------------------------------- constructors
def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (Python floats become float32).

    ``Tensor(array)`` wraps an ndarray without copying; ``tensor`` never shares memory.

    Example:
        >>> import chainrule as cr
        >>> cr.tensor([[1, 2], [3, 4]]).dtype
        dtype('int64')
        >>> cr.tensor(0.5).dtype
        dtype('float32')
    """
    array = _to_array(data, dtype)
    if type(array) is not np.ndarray:  # another namespace's array: copied there
        return Tensor(_xp(array).asarray(array, copy=True), requires_grad=requires_grad)
    return Tensor(np.array(array), requires_grad=requires_grad)


def zeros(
    shape: int | Sequence[int], dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False
) -> Tensor:
    """A tensor of zeros (float32 unless told otherwise)."""
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad)


def ones(
    shape: int | Sequence[int], dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False
) -> Tensor:
    """A tensor of ones (float32 unless told otherwise)."""
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad)


def randn(
    *shape: int, seed: int | None = None, dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False
) -> Tensor:
    """Standard-normal samples, from ``seed`` or else the generator ``cr.manual_seed`` seeds."""
    from .nn import init  # here, not at the top: nn imports this module

    rng = init._rng if seed is None else np.random.default_rng(seed)
    values = rng.standard_normal(shape).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


from . import devices, ops  # noqa: E402  (ops builds on Tensor, so it is imported after it)
from .autograd import backprop  # noqa: E402
