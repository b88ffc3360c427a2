"""The graph node: ``Function``, grad-mode switches, and the array helpers ops share."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from .backends.cpu import constant
from .devices import same_place
from .tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterator


class _GradMode(threading.local):
    enabled = True  # class attributes are every thread's starting values
    detect_anomaly = False


_state = _GradMode()


def grad_enabled() -> bool:
    """Whether operations are currently recorded on the graph."""
    return _state.enabled


class _SetGradEnabled:
    """Record the graph or not inside a ``with`` block; the previous mode comes back after.

    NOTE: a class, not a @contextmanager generator: 0.3 us a block instead of 0.9, paid by
    every optimiser step written as ``with cr.no_grad(): p -= lr * p.grad``.
    """

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        self.previous = _state.enabled
        _state.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        _state.enabled = self.previous


def no_grad() -> Any:
    """Context manager under which no graph is recorded (evaluation, optimiser updates).

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> with cr.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """
    return _SetGradEnabled(False)


def enable_grad() -> Any:
    """Context manager that records the graph again inside a ``no_grad`` block."""
    return _SetGradEnabled(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager that names the first op whose forward or backward makes NaN or Inf.

    Every op's output and every gradient is checked while it is active, so it costs time:
    use it to find where a loss went non-finite, not for training.

    Example:
        >>> import chainrule as cr
        >>> import numpy as np
        >>> x = cr.tensor([0.0, 1.0], requires_grad=True)
        >>> with cr.detect_anomaly(), np.errstate(divide="ignore"):
        ...     x.log()
        Traceback (most recent call last):
        ...
        FloatingPointError: Log: forward produced non-finite values (1 NaN/Inf of 2); ...
    """
    previous = _state.detect_anomaly
    _state.detect_anomaly = True
    try:
        yield
    finally:
        _state.detect_anomaly = previous


def check_finite(array: np.ndarray, op: str, where: str) -> None:
    """Raise ``FloatingPointError`` naming ``op`` if ``array`` holds NaN or Inf."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = int(array.size - np.isfinite(array).sum())
        raise FloatingPointError(
            f"{op}: {where} produced non-finite values ({bad} NaN/Inf of {array.size}); "
            "a lower learning rate, or inputs in the op's domain, usually fix this"
        )


class Function:
    """A node of the graph: ``forward`` on ndarrays, ``backward`` from the output grad.

    Subclass it like a hand-written backprop layer: ``forward(*arrays)`` returns one
    ndarray and saves what ``backward`` needs on ``self``; ``backward(grad)`` returns one
    gradient per input (a bare array for a single input). Calling an instance on tensors
    runs ``forward`` and, when a gradient is wanted, records the node on the graph.

    Example:
        >>> import chainrule as cr
        >>> class Square(cr.Function):
        ...     def forward(self, x):
        ...         self.x = x
        ...         return x * x
        ...     def backward(self, grad):
        ...         return 2 * self.x * grad
        >>> t = cr.tensor(3.0, requires_grad=True)
        >>> Square()(t).backward()
        >>> t.grad.item()
        6.0
    """

    # NOTE: a user subclass that declares no __slots__ still gets a __dict__ for its state.
    __slots__ = ("inputs", "needs_grad", "params", "saved")

    # Declared for the type checker only (annotations without values add no class attributes,
    # so the slots stay as they are). ``inputs`` and ``params`` (the forward's keywords) are
    # the graph's structure and outlive backward, so a graph can be drawn after it; ``saved``
    # holds whatever a primitive's backward needs (arrays, shapes, axes, flags), hence
    # ``Any``, and ``_release`` sets it to None once backward has used it.
    inputs: tuple[Tensor, ...]
    needs_grad: tuple[bool, ...]
    params: dict[str, Any]
    saved: tuple[Any, ...]

    # Whether backward is known to hand each input the upstream grad itself, a view, or a
    # fresh array of the input's shape returned once, so the engine keeps its gradients
    # without checking for sharing. Declared per class, ``class Add(Function,
    # fresh_grads=True)``, and not inherited: a subclass with its own backward is checked.
    _fresh_grads = False

    def __init_subclass__(cls, fresh_grads: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fresh_grads = fresh_grads

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}: forward is not implemented")

    def backward(self, grad: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: backward is not implemented")

    def backward_graph(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        """The same rule on Tensors, for ``create_graph=True``: differentiable again.

        Forward runs again on the input Tensors, so what it saves is on the graph, then
        backward runs on ``grad``. Both reach arrays through ``backends.namespace``, which
        for Tensors records differentiable ops: each rule is written once.
        """
        twin = self.replay(on_graph=True)
        try:
            return twin.backward(grad)
        except TypeError as error:  # a NumPy call on a Tensor, in a user Function
            raise self._not_on_tensors(error) from None

    def _not_on_tensors(self, error: TypeError) -> NotImplementedError:
        return NotImplementedError(
            f"{type(self).__name__}: create_graph=True (double backward) runs its forward "
            f"and backward again on Tensors, which failed ({error}); write them with "
            "operators or the namespace of their arrays (chainrule.backends.namespace)"
        )

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        """Keep the arrays ``backward`` needs; read back as ``self.saved``."""
        self.saved = arrays

    def _release(self) -> None:
        """Drop the saved state once backward has used it; the structure stays for drawing."""
        if type(self).__dictoffset__:  # a user subclass keeps its state in __dict__
            self.__dict__.clear()
        self.saved = None  # type: ignore[assignment]  # the "released" sentinel

    @property
    def released(self) -> bool:
        """Whether backward has dropped this node's saved state (no ``retain_graph``)."""
        return getattr(self, "saved", ()) is None

    def replay(self, on_graph: bool = False) -> Function:
        """A live twin of this node: forward runs again, on the inputs' values or, with
        ``on_graph``, on the input Tensors themselves.

        Drawing and tracing replay a node a plain ``backward()`` has released;
        ``create_graph=True`` replays on the graph. A primitive whose forward has side
        effects overrides it to leave them out.
        """
        return self._replay(self.params, on_graph)

    def _replay(self, params: dict[str, Any], on_graph: bool) -> Function:
        twin = type(self)()
        twin.inputs, twin.needs_grad, twin.params = self.inputs, self.needs_grad, self.params
        try:
            twin.forward(*(self.inputs if on_graph else [x.data for x in self.inputs]), **params)
        except TypeError as error:
            raise self._not_on_tensors(error) from None
        return twin

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Build the node and run it: ``Mul.apply(a, b)`` is ``Mul()(a, b)``."""
        return cls()._run(inputs, params)

    def __call__(self, *inputs: Any, **params: Any) -> Tensor:
        if hasattr(self, "inputs"):
            raise RuntimeError(
                f"{type(self).__name__}: this instance is already a node of a graph; "
                "create a new instance for every call"
            )
        return self._run(inputs, params)

    def _run(self, inputs: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
        # NOTE: the hot path of the whole library; every line here is paid once per op. One
        # loop gathers arrays and grad flags: two comprehensions cost 0.3 us more per op.
        arrays: list[np.ndarray] = []
        needs_grad: list[bool] = []
        for x in inputs:
            if not isinstance(x, Tensor):
                return self._run(_as_tensors(inputs), params)
            arrays.append(x.data)
            needs_grad.append(x.requires_grad)
        try:
            data = self.forward(*arrays, **params)
        except (TypeError, ValueError):
            same_place(type(self).__name__, arrays)  # a clearer error when inputs are mixed
            raise
        if type(data) is not np.ndarray:  # another namespace: all inputs must live there
            same_place(type(self).__name__, arrays)
        out = Tensor(data)
        if _state.detect_anomaly:
            with np.errstate(all="ignore"):
                check_finite(out.data, type(self).__name__, "forward")
        if True in needs_grad and _state.enabled:
            self.inputs = inputs
            self.needs_grad = tuple(needs_grad)
            self.params = params
            out.requires_grad = True
            out._ctx = self
        return out


def _as_tensors(inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """Wrap non-Tensor inputs; Python scalars take the dtype of the tensors beside them."""
    like = None
    for x in inputs:
        if isinstance(x, Tensor):
            like = x.data
            break
    if like is not None and type(like) is not np.ndarray:  # scalars join that namespace
        xp = like.__array_namespace__()
        return tuple(
            x
            if isinstance(x, Tensor)
            else Tensor(xp.asarray(x, dtype=like.dtype, device=like.device))
            for x in inputs
        )
    dtype = None if like is None else like.dtype
    return tuple([x if isinstance(x, Tensor) else _constant(x, dtype) for x in inputs])


def _constant(value: Any, dtype: np.dtype | None) -> Tensor:
    # NOTE: a Python or NumPy scalar adopts a float operand's dtype (x32 * 0.5 stays float32),
    # as a cached read-only 0-d array: converting it anew costs more than the op it feeds.
    is_scalar = isinstance(value, (int, float, np.number))
    if dtype is not None and is_scalar and (dtype.kind == "f" or isinstance(value, int)):
        return Tensor(constant(value, dtype))
    return Tensor(value)
