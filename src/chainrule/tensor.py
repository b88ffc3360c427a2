"""``Tensor``: an ndarray that remembers how it was made, and ``backward()`` that walks it back."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
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

    PyTorch's spellings work beside NumPy's: ``dim=``/``keepdim=`` for ``axis=``/``keepdims=``,
    ``view``, ``permute``, ``squeeze``, ``float()``, ``eq``, ... ``t.size`` is both: an int,
    NumPy's element count (``t.size == t.numel()``), which called gives PyTorch's answer,
    ``t.size()`` the shape and ``t.size(dim)`` one length (``views.Size``, an int subclass).

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
        """Mark a leaf as needing a gradient (floating-point tensors only); returns self.

        As in PyTorch, a tensor computed on the graph cannot be unmarked: ``detach()`` it.
        """
        if requires_grad and not _is_floating(self.data):
            raise ValueError(f"only floating-point tensors can require grad, got {self.data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_: only a leaf's flag can change, and this tensor was computed "
                f"on the graph (by {type(self._ctx).__name__}); use .detach() for a tensor "
                "cut from the graph"
            )
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
    def size(self) -> Any:
        """The number of elements (NumPy's ``size``), which called is PyTorch's ``size()``:
        ``t.size()`` the shape, ``t.size(dim)`` one length (see ``views.Size``)."""
        from .views import Size

        return Size(self.data.shape)

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

    def to(
        self,
        *args: Any,
        device: Any = None,
        dtype: Any = None,
        non_blocking: bool = False,
        copy: bool = False,
    ) -> Tensor:
        """This tensor on ``device``, in ``dtype``, or both, as PyTorch's ``to``.

        Positional arguments may be a device ("cpu", "cuda", "cuda:N" or an Array API
        namespace module), a dtype (``cr.float64``, ``np.int32``, ``float``), both, or a
        tensor whose device and dtype to take. A move makes a new leaf (``requires_grad``
        kept); a cast between floating-point dtypes stays on the graph, other casts make a
        tensor that needs no grad. No device and the dtype it has give ``self``, unless
        ``copy=True``.
        ``non_blocking`` is accepted for PyTorch code: NumPy copies are synchronous.

        Example:
            >>> import chainrule as cr
            >>> cr.tensor([1.0], requires_grad=True).to("cpu")
            tensor([1.], requires_grad=True)
            >>> cr.tensor([1.5, 2.5]).to("cpu", cr.float64)
            tensor([1.5, 2.5], dtype=float64)
        """
        from .dtypes import cast, to_arguments

        device, dtype = to_arguments("to", args, device, dtype)
        out = self
        if device is not None:
            out = Tensor(devices.move(self.data, device), requires_grad=self.requires_grad)
        if dtype is not None:
            out = cast(out, dtype)
        if copy and out.data is self.data:
            out = out.clone()
        return out

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying ndarray (shared, not copied); a NumPy copy for other devices.

        Unlike PyTorch, a tensor that requires grad gives its array too; ``force`` is
        accepted for PyTorch code and changes nothing.
        """
        return self.data if type(self.data) is np.ndarray else devices.to_numpy(self.data)

    def tolist(self) -> Any:
        """The values as nested Python lists (a Python number for a 0-d tensor)."""
        return self.numpy().tolist()

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
                # NOTE: np.array(1) reshaped, not np.ones (python -m bench.choices backward_seed)
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

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], Any]) -> Any:
        """Call ``hook(self)`` in each backward that reaches this leaf, once its ``.grad``
        holds all that backward adds; returns a handle whose ``remove()`` unregisters it."""
        return register_leaf_hook(self, hook)

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return apply_operator(ops.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return apply_operator(ops.Add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return apply_operator(ops.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return apply_operator(ops.Sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return apply_operator(ops.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return apply_operator(ops.Mul, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply_operator(ops.Div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply_operator(ops.Div, other, self)

    def __pow__(self, other: Any) -> Tensor:
        return apply_operator(ops.Pow, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return apply_operator(ops.Pow, other, self)

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
        return [x.data if isinstance(x, Tensor) else x for x in operands]

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

    # Comparisons are not differentiable: they return bool tensors outside the graph
    # (``_compare``); ``lt``, ``eq``, ... are their PyTorch names.
    def __lt__(self, other: Any) -> Tensor:
        return self._compare("lt", other, lambda a, b: a < b)

    def __le__(self, other: Any) -> Tensor:
        return self._compare("le", other, lambda a, b: a <= b)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare("gt", other, lambda a, b: a > b)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare("ge", other, lambda a, b: a >= b)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare("eq", other, lambda a, b: a == b)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare("ne", other, lambda a, b: a != b)

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
    # The reductions take PyTorch's dim/keepdim or NumPy's axis/keepdims (ops/reduce.py).
    def sum(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.sum(self, dim=None, keepdim=False, dtype=None)``."""
        if not args and not kwargs:  # NOTE: a loss's plain .sum(), without the argument parsing
            return ops.Sum.apply(self, axis=None, keepdims=False, dtype=ops.accumulator(self, None))
        return ops.sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.mean(self, dim=None, keepdim=False, dtype=None)``."""
        return ops.mean(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.max(self, dim=None, keepdim=False)``: (values, indices) for an int dim."""
        return ops.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.min(self, dim=None, keepdim=False)``: (values, indices) for an int dim."""
        return ops.min(self, *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.argmax(self, dim=None, keepdim=False)``."""
        return ops.argmax(self, *args, **kwargs)

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
        """Two dims: those swapped, as PyTorch's ``transpose(dim0, dim1)``; otherwise NumPy's:
        the axes in the order given (a permutation), none reversing them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        elif len(axes) == 2:
            from .views import dim_of

            first, second = (dim_of("transpose", d, self.ndim) for d in axes)
            order = list(range(self.ndim))
            order[first], order[second] = order[second], order[first]
            axes = tuple(order)
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        return ops.Transpose.apply(self, axes=axes)

    @property
    def T(self) -> Tensor:  # noqa: N802  (NumPy's name)
        return ops.Transpose.apply(self, axes=_reversed_axes(self.data.ndim))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the dims from ``start_dim`` to ``end_dim`` (both included) into one; a 0-d
        tensor becomes one element of shape (1,), as in PyTorch."""
        from .views import flattened

        return ops.Reshape.apply(self, shape=flattened(self.shape, start_dim, end_dim))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=tuple(shape))

    # -------------------------------------- tensor spelling (views, casts, comparisons)
    # PyTorch's names. The shape methods find their shape in views.py and apply one
    # existing primitive: Reshape (view, squeeze, unsqueeze, flatten, unflatten),
    # BroadcastTo (expand) or Transpose (permute, t, mT).
    def numel(self) -> int:
        """The number of elements (``t.size`` is it too)."""
        return int(self.size)

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return len(self.shape)

    def view(self, *shape: Any) -> Tensor:
        """This tensor with another shape, of the same number of elements; one size may be -1.

        PyTorch's ``reshape`` spelling: NumPy gives a view (shared memory, no copy) wherever
        the strides allow, as PyTorch's ``view`` does, and copies where they do not (where
        PyTorch raises), so ``view`` never copies only where NumPy can avoid it.

        Example:
            >>> import chainrule as cr
            >>> cr.zeros((2, 3, 4)).view(-1, 4).shape
            (6, 4)
        """
        from .views import sizes_of, view_shape

        sizes = view_shape("view", self.shape, sizes_of("view", shape))
        return ops.Reshape.apply(self, shape=sizes)

    def view_as(self, other: Tensor) -> Tensor:
        """``view(other.shape)``."""
        return self.view(other.shape)

    def permute(self, *dims: Any) -> Tensor:
        """The dims reordered: dim i of the result is dim ``dims[i]`` of this tensor."""
        from .views import permutation, sizes_of

        axes = permutation(self.shape, sizes_of("permute", dims, "dims"))
        return ops.Transpose.apply(self, axes=axes)

    def unsqueeze(self, dim: Any) -> Tensor:
        """A size-1 dim inserted at ``dim`` (-1 appends one)."""
        from .views import unsqueezed

        return ops.Reshape.apply(self, shape=unsqueezed(self.shape, dim))

    def squeeze(self, dim: Any = None) -> Tensor:
        """The size-1 dims removed, or those of ``dim`` (an int or a tuple) that have size 1:
        a named dim of another size is left alone, as in PyTorch."""
        from .views import squeezed

        return ops.Reshape.apply(self, shape=squeezed(self.shape, dim))

    def expand(self, *sizes: Any) -> Tensor:
        """This tensor broadcast to ``sizes`` without copying: -1 keeps a size, size-1 dims
        repeat, new dims lead. Its gradient sums over the repeats.

        Example:
            >>> import chainrule as cr
            >>> cr.ones((3, 1)).expand(2, -1, 4).shape
            (2, 3, 4)
        """
        from .views import expanded, sizes_of

        return ops.BroadcastTo.apply(self, shape=expanded(self.shape, sizes_of("expand", sizes)))

    def expand_as(self, other: Tensor) -> Tensor:
        """``expand(other.shape)``."""
        return self.expand(other.shape)

    def unflatten(self, dim: Any, sizes: Any) -> Tensor:
        """Dim ``dim`` split into dims of ``sizes`` (one may be -1), undoing ``flatten``."""
        from .views import sizes_of, unflattened

        split = sizes_of("unflatten", (sizes,))
        return ops.Reshape.apply(self, shape=unflattened(self.shape, dim, split))

    def t(self) -> Tensor:
        """A matrix transposed; a tensor of fewer than 2 dims as it is (PyTorch's ``t``)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {self.shape}")
        return self.transpose()

    @property
    def mT(self) -> Tensor:  # noqa: N802  (PyTorch's name)
        """The last two dims swapped: each matrix of a batch transposed."""
        if self.ndim < 2:
            raise ValueError(f"mT: expects a tensor of at least 2 dims, got shape {self.shape}")
        return self.transpose(-2, -1)

    def clone(self) -> Tensor:
        """A copy in new (row-major) memory, on the graph: its gradient reaches ``self``."""
        return ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        """``self`` if its array is row-major (C-contiguous) already, else a row-major copy
        on the graph (``clone``); other namespaces have no layout to fix."""
        if type(self.data) is not np.ndarray or self.data.flags.c_contiguous:
            return self
        return ops.Clone.apply(self)

    def _compare(self, op: str, other: Any, compare: Any) -> Tensor:
        """``compare(self, other)`` on the arrays, broadcasting: a bool tensor, no grad."""
        other = _data(other)
        try:
            return Tensor(compare(self.data, other))
        except ValueError:
            raise ValueError(
                f"{op}: shapes {self.shape} and {np.shape(other)} do not broadcast"
            ) from None

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def is_floating_point(self) -> Any:
        """Whether the dtype is a (real) floating-point one."""
        from .dtypes import is_floating_point

        return is_floating_point(self)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in ``other``'s dtype (``to(other.dtype)``)."""
        from .dtypes import cast

        return cast(self, other.dtype)

    def half(self) -> Tensor:
        """``to(cr.float16)``: on the graph, as every float-to-float cast."""
        return self.to(np.float16)

    def double(self) -> Tensor:
        """``to(cr.float64)``."""
        return self.to(np.float64)

    def long(self) -> Tensor:
        """``to(cr.int64)``: off the graph, as every cast to an integer dtype."""
        return self.to(np.int64)

    # NOTE: hidden from mypy, for which a method named float, int or bool would stand for
    # the builtin in every annotation of the class after it (at run time annotations are
    # strings). From here on in the class body these three names are the methods.
    if not TYPE_CHECKING:

        def float(self):
            """``to(cr.float32)``."""
            return self.to(np.float32)

        def int(self):
            """``to(cr.int32)``."""
            return self.to(np.int32)

        def bool(self):
            """``to(cr.bool)``: True where nonzero."""
            return self.to(np.bool_)

    # -------------------------------------- creation and top-level functions
    def split(self, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return ops.chunk(self, chunks, dim)

    def flip(self, *dims: Any) -> Tensor:
        """``x.flip(0, 1)`` or ``x.flip((0, 1))``."""
        return ops.flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return ops.roll(self, shifts, dims)

    def tril(self, diagonal: int = 0) -> Tensor:
        return ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return ops.triu(self, diagonal)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``cr.where(condition, self, other)``."""
        return ops.where(condition, self, other)

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

    def var(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.var(self, dim=None, unbiased=True, keepdim=False, *, correction=1)``."""
        return ops.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.std(self, dim=None, unbiased=True, keepdim=False, *, correction=1)``."""
        return ops.std(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.prod(self, dim=None, keepdim=False, dtype=None)``."""
        return ops.prod(self, *args, **kwargs)

    def all(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.all(self, dim=None, keepdim=False)``."""
        return ops.all(self, *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.any(self, dim=None, keepdim=False)``."""
        return ops.any(self, *args, **kwargs)

    def logsumexp(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.logsumexp(self, dim=None, keepdim=False)``."""
        return ops.logsumexp(self, *args, **kwargs)

    def amax(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.amax(self, dim=None, keepdim=False)``."""
        return ops.amax(self, *args, **kwargs)

    def amin(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.amin(self, dim=None, keepdim=False)``."""
        return ops.amin(self, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.argmin(self, dim=None, keepdim=False)``."""
        return ops.argmin(self, *args, **kwargs)

    def nansum(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.nansum(self, dim=None, keepdim=False, dtype=None)``."""
        return ops.nansum(self, *args, **kwargs)

    def nanmean(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.nanmean(self, dim=None, keepdim=False, dtype=None)``."""
        return ops.nanmean(self, *args, **kwargs)

    def count_nonzero(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.count_nonzero(self, dim=None)``."""
        return ops.count_nonzero(self, *args, **kwargs)

    def norm(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.norm(self, p="fro", dim=None, keepdim=False, dtype=None)``."""
        return ops.norm(self, *args, **kwargs)

    def median(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.median(self, dim=None, keepdim=False)``: (values, indices) for a dim."""
        return ops.median(self, *args, **kwargs)

    def mode(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.mode(self, dim=-1, keepdim=False)``."""
        return ops.mode(self, *args, **kwargs)

    def kthvalue(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.kthvalue(self, k, dim=-1, keepdim=False)``."""
        return ops.kthvalue(self, *args, **kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.cumsum(self, dim, dtype=None)``."""
        return ops.cumsum(self, *args, **kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.cumprod(self, dim, dtype=None)``."""
        return ops.cumprod(self, *args, **kwargs)

    def cummax(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.cummax(self, dim)``."""
        return ops.cummax(self, *args, **kwargs)

    def cummin(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.cummin(self, dim)``."""
        return ops.cummin(self, *args, **kwargs)

    def logcumsumexp(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.logcumsumexp(self, dim)``."""
        return ops.logcumsumexp(self, *args, **kwargs)

    def sort(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.sort(self, dim=-1, descending=False, stable=False)``."""
        return ops.sort(self, *args, **kwargs)

    def argsort(self, *args: Any, **kwargs: Any) -> Tensor:
        """``cr.argsort(self, dim=-1, descending=False, stable=False)``."""
        return ops.argsort(self, *args, **kwargs)

    def topk(self, *args: Any, **kwargs: Any) -> Any:
        """``cr.topk(self, k, dim=-1, largest=True, sorted=True)``."""
        return ops.topk(self, *args, **kwargs)

    # -------------------------------------- indexing
    # PyTorch's indexing methods; each is the function of the same name in ops/indexing.py.
    def gather(self, dim: int, index: Any) -> Tensor:
        """``out[i][j] = self[i][index[i][j]]`` for ``dim=1``; see ``chainrule.gather``."""
        return ops.indexing.gather(self, dim, index)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """``gather`` with broadcast (and negative) indices; see ``chainrule.take_along_dim``."""
        return ops.indexing.take_along_dim(self, indices, dim)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """``src`` (or ``value``) written at ``index`` along ``dim``; see ``chainrule.scatter``."""
        return ops.indexing.scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """``src`` added at ``index`` along ``dim``; see ``chainrule.scatter_add``."""
        return ops.indexing.scatter_add(self, dim, index, src)

    def scatter_reduce(
        self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        """``src`` reduced into self at ``index``; see ``chainrule.scatter_reduce``."""
        return ops.indexing.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The entries at the 1-D ``index`` along ``dim``."""
        return ops.indexing.index_select(self, dim, index)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where the bool ``mask`` holds, self elsewhere."""
        return ops.indexing.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """``masked_fill`` in place (as ``copy_``, not recorded on the graph); returns self."""
        keep = ops.indexing.check_mask("masked_fill_", mask, self.shape)
        (fill,) = self._writable("masked_fill_", (value,))
        np.copyto(self.data, fill, casting="unsafe", where=keep)
        return self

    def masked_select(self, mask: Any) -> Tensor:
        """The entries where the bool ``mask`` holds, as 1-D."""
        return ops.indexing.masked_select(self, mask)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The int64 coordinates of the nonzero entries; see ``chainrule.nonzero``."""
        return ops.indexing.nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> Tensor:
        """The int64 coordinates of the nonzero entries, one row each."""
        return ops.indexing.argwhere(self)

    def repeat(self, *sizes: Any) -> Tensor:
        """Self tiled ``sizes[i]`` times along each axis (``x.repeat(2, 1)``)."""
        return ops.indexing.repeat(self, *sizes)

    def tile(self, *dims: Any) -> Tensor:
        """``repeat`` with ``dims`` padded with leading ones to self's rank."""
        return ops.indexing.tile(self, dims[0] if len(dims) == 1 else dims)

    def repeat_interleave(
        self, repeats: Any, dim: int | None = None, *, output_size: int | None = None
    ) -> Tensor:
        """Each entry along ``dim`` repeated; see ``chainrule.repeat_interleave``."""
        return ops.indexing.repeat_interleave(self, repeats, dim, output_size=output_size)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """The windows of ``size`` entries ``step`` apart along ``dimension``, as a last dim."""
        return ops.indexing.unfold(self, dimension, size, step)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The ``offset`` diagonal of the matrices on ``dim1`` and ``dim2``, as a last dim."""
        return ops.indexing.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal: int = 0) -> Tensor:
        """A 1-D self on a matrix's ``diagonal``, or a matrix's ``diagonal``."""
        return ops.indexing.diag(self, diagonal)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        """Matrices with self's last dim on their ``offset`` diagonal."""
        return ops.indexing.diag_embed(self, offset, dim1, dim2)


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


@functools.cache
def _reversed_axes(ndim: int) -> tuple[int, ...]:
    """(ndim - 1, ..., 1, 0): the permutation ``.T`` takes, made once per ndim."""
    return tuple(range(ndim - 1, -1, -1))


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


from . import devices, ops  # noqa: E402  (ops builds on Tensor, so it is imported after it)
from .autograd import apply_operator, backprop, register_leaf_hook  # noqa: E402
