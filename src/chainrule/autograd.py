"""The graph: ``Function``, its node, and the one walk over it that every backward takes.

``backprop`` is the engine: the ordinary backward (on arrays), ``create_graph=True`` (on
Tensors, by each node's ``backward_graph``) and viz's re-walk (a ``visit`` callback) are
the same loop. ``graph`` lists a graph's tensors for drawing and tests.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backends import cpu as _cpu
from .backends import namespace
from .backends.cpu import constant, signed_constant
from .devices import same_place
from .grad_mode import _Anomaly, _state, check_finite
from .promotion import result_type
from .tensor import Tensor


class Function:
    """A node of the graph: ``forward`` on ndarrays, ``backward`` from the output grad.

    Subclass it like a hand-written backprop layer: ``forward(*arrays)`` returns one
    ndarray and saves what ``backward`` needs on ``self``; ``backward(grad)`` returns one
    gradient per input (a bare array for a single input). Calling an instance on tensors
    runs ``forward`` and, when a gradient is wanted, records the node on the graph.
    ``self.xp`` is the namespace of the inputs' arrays (``backends.namespace``): a rule
    written with it, or with operators, also runs on Tensors, so double backward works.

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
    __slots__ = ("consumers", "inputs", "needs_grad", "params", "saved", "xp")

    # Declared for the type checker only (annotations without values add no class attributes,
    # so the slots stay as they are). ``inputs`` and ``params`` (the forward's keywords) are
    # the graph's structure and outlive backward, so a graph can be drawn after it; ``saved``
    # holds whatever a primitive's backward needs (arrays, shapes, axes, flags), hence
    # ``Any``, and the engine sets it to None once backward has used it.
    inputs: tuple[Tensor, ...]
    needs_grad: tuple[bool, ...]
    consumers: int  # how many recorded nodes take this one's output (edges, counted once each)
    params: dict[str, Any]
    saved: tuple[Any, ...]
    xp: Any

    # Whether backward is known to hand each input the upstream grad itself, a view, or a
    # fresh array of the input's shape returned once, so the engine keeps its gradients
    # without checking for sharing. Declared per class, ``class Add(Function,
    # fresh_grads=True)``, and not inherited: a subclass with its own backward is checked.
    _fresh_grads = False
    _state_in_dict = False  # a user subclass without __slots__ keeps its saved state there

    def __init_subclass__(cls, fresh_grads: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fresh_grads = fresh_grads
        cls._state_in_dict = bool(cls.__dictoffset__)

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
        arrays = self.inputs if on_graph else [x.data for x in self.inputs]
        twin.xp = namespace(arrays[0]) if arrays else _cpu
        try:
            twin.forward(*arrays, **params)
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
        # loop gathers arrays and grad flags, not two comprehensions
        # (python -m bench.choices gather_loop).
        while True:
            arrays: list[np.ndarray] = []
            needs_grad: list[bool] = []
            for x in inputs:
                if not isinstance(x, Tensor):
                    break
                arrays.append(x.data)
                needs_grad.append(x.requires_grad)
            else:
                break
            inputs = _as_tensors(inputs)  # a number or an array among them: wrapped, gathered again
        # The inputs' namespace, which rules call as ``self.xp`` (NOTE: found once here, not
        # by a namespace() call in each rule: one call fewer per forward and per backward).
        if not arrays or type(arrays[0]) is _ndarray:
            self.xp = _cpu
            if arrays and type(arrays[-1]) is not _ndarray:  # NumPy would convert it silently
                same_place(type(self).__name__, arrays)
        else:
            self.xp = namespace(arrays[0])
        try:
            data = self.forward(*arrays, **params)
        except (AttributeError, TypeError, ValueError):
            same_place(type(self).__name__, arrays)  # a clearer error when inputs are mixed
            raise
        if type(data) is not _ndarray:
            if isinstance(data, np.generic):  # NumPy's 0-d results are scalars: keep arrays
                data = np.asarray(data)
            else:  # another namespace: all inputs must live there
                same_place(type(self).__name__, arrays)
        if _Anomaly.enabled:
            with np.errstate(all="ignore"):
                check_finite(data, type(self).__name__, "forward")
        # NOTE: the output's slots set here, not by Tensor(data) (bench.choices output_slots).
        out = _new_tensor(Tensor)
        out.data, out.grad, out.name = data, None, None
        if True in needs_grad and _state.enabled:
            self.inputs = inputs
            self.needs_grad = tuple(needs_grad)
            self.params = params
            self.consumers = 0
            for x in inputs:  # NOTE: edges counted as the graph grows: backward needs no pre-pass
                parent = x._ctx
                if parent is not None:
                    parent.consumers += 1
            out.requires_grad, out._ctx = True, self
        else:
            out.requires_grad, out._ctx = False, None
        return out


_new_tensor = Tensor.__new__
_ndarray = np.ndarray  # NOTE: one name lookup where np.ndarray is two, on the hot paths


def apply_operator(op: type[Function], a: Any, b: Any) -> Tensor:
    """``op`` on ``a`` and ``b``, as a Tensor's arithmetic operators call it.

    NOTE: a Python number beside a float NumPy tensor becomes its cached constant here,
    without ``_run``'s general wrapping, for ``0.5 * x``, ``x ** 2`` and ``lr * p.grad``
    (python -m bench.choices scalar_operand). Zeros (signed) and everything else are wrapped
    as ``_run`` wraps them.
    """
    if type(b) in _NUMBERS and b:
        data = a.data
        if type(data) is _ndarray and data.dtype.kind == "f":
            b = _scalar_tensor(b, data.dtype)
    elif type(a) in _NUMBERS and a:
        data = b.data
        if type(data) is _ndarray and data.dtype.kind == "f":
            a = _scalar_tensor(a, data.dtype)
    return op()._run((a, b), {})


_NUMBERS = (float, int)  # exactly these types: bool and NumPy scalars take the general path


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
    return tuple([x if isinstance(x, Tensor) else _constant(x, dtype, inputs) for x in inputs])


def _constant(value: Any, dtype: np.dtype | None, inputs: tuple[Any, ...]) -> Tensor:
    # NOTE: a real Python or NumPy number takes the dtype PyTorch's promotion gives the
    # result, which beside a float tensor is that tensor's (x32 * 0.5 stays float32), as a
    # cached Tensor of a read-only 0-d array: making it anew costs more than the op
    # (python -m bench.choices scalar_tensor_cache). A complex number stays complex128,
    # which the op's promotion narrows (to complex64).
    is_real = isinstance(value, (int, float, np.integer, np.floating))
    if dtype is not None and is_real:
        if dtype.kind != "f":
            dtype = result_type(*[x.data for x in inputs if isinstance(x, Tensor)], value)
        return _scalar_tensor(value, dtype) if value else Tensor(signed_constant(value, dtype))
    return Tensor(value)


@functools.lru_cache(maxsize=256, typed=True)  # typed: 1, 1.0 and True are three keys
def _scalar_tensor(value: Any, dtype: np.dtype) -> Tensor:
    return Tensor(constant(value, dtype))


# ---------------------------------------------------------------------- the walk
Visit = Callable[[Function, Any], Sequence[Any]]


def graph(root: Tensor) -> list[Tensor]:
    """Every tensor of ``root``'s graph once, each after the inputs it was made from."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
        elif id(tensor) not in seen:
            seen.add(id(tensor))
            stack.append((tensor, True))
            if tensor._ctx is not None:
                stack.extend((parent, False) for parent in reversed(tensor._ctx.inputs))
    return order


def _dependencies(*roots: Function) -> dict[Function, int]:
    """For every node upstream of ``roots`` (them included) that needs a grad: how many edges
    lead out of it to nodes of this set.

    A node's backward may run once that many gradients have arrived (Kahn's algorithm), so
    each backward runs exactly once, after all its consumers. Nodes are keyed by identity.
    """
    counts = dict.fromkeys(roots, 0)
    stack = list(roots)
    while stack:
        ctx = stack.pop()
        for parent, needs in zip(ctx.inputs, ctx.needs_grad):
            parent_ctx = parent._ctx
            if needs and parent_ctx is not None:
                if parent_ctx in counts:
                    counts[parent_ctx] += 1
                else:
                    counts[parent_ctx] = 1
                    stack.append(parent_ctx)
    return counts


def backprop(
    root: Tensor,
    seed: Any,
    retain_graph: bool = False,
    create_graph: bool = False,
    visit: Visit | None = None,
) -> None:
    """Send ``seed`` = d(out)/d(root) back through the graph: each node's backward runs once,
    after all its consumers, nodes in the order they become ready (Kahn's algorithm, first
    input first), as one works it by hand.

    Leaves accumulate their gradient in ``.grad``. With ``create_graph`` the grads are
    Tensors and each node runs ``backward_graph``. With ``visit``, ``visit(node, grad)``
    replaces the node's backward and nothing is written to leaves or freed: a re-walk.
    """
    root_ctx = root._ctx
    if root_ctx is None:  # a leaf: d(root)/d(root) = 1
        if create_graph:
            _add_to_leaf(root, seed)
        elif visit is None and root.grad is not None:
            root.grad.data += seed
        elif visit is None:
            root.grad = Tensor(seed)
        if visit is None and id(root) in _leaf_hooks:
            _run_leaf_hooks(id(root))
        return
    call = visit or (Function.backward_graph if create_graph else None)
    plain = call is None  # arrays, into leaves, in place where no one else sees them
    # A node may run once as many gradients have come as nodes consume it. The plain backward
    # takes that count from the forward (``consumers``) and recounts only if some consumer is
    # off the walk; create_graph (whose replays add consumers), viz and hooks count first.
    counted = plain and not _leaf_hooks
    pending = {} if counted else _dependencies(root_ctx)
    # NOTE: hooks cost nothing unless some leaf has one: one dict test here, one None test a node.
    hooked = _hooked_edges(pending) if _leaf_hooks and visit is None else None
    release = not retain_graph and visit is None
    anomaly = _Anomaly.enabled
    grads: dict[Function, Any] = {root_ctx: seed}
    given_to_leaves: set[int] = set()
    ready = deque([root_ctx])
    while True:
        if not ready:
            if not grads:
                return
            # Nodes hold gradients but wait for consumers that are not on this walk (a metric
            # computed on the graph, a second loss): count exactly among those not yet run.
            pending = _dependencies(*grads)
            ready.extend(node for node, count in pending.items() if not count)
        ctx = ready.popleft()
        fresh = ctx._fresh_grads
        grad = grads.pop(ctx, None)
        if grad is None:  # every consumer's backward returned None for it: nothing to send
            input_grads: Any = (None,) * len(ctx.inputs)
        else:
            try:
                input_grads = ctx.backward(grad) if plain else call(ctx, grad)  # type: ignore[misc]
            except (AttributeError, TypeError):  # NOTE: freed state is checked only on failure
                if plain and ctx.released:
                    raise _freed(ctx) from None
                raise
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if not fresh and len(input_grads) != len(ctx.inputs):
                raise RuntimeError(
                    f"{type(ctx).__name__}.backward returned {len(input_grads)} gradients "
                    f"for {len(ctx.inputs)} inputs"
                )
            if anomaly:
                for parent_grad in input_grads:
                    if parent_grad is not None:
                        check_finite(_array(parent_grad), type(ctx).__name__, "backward")
        for parent, needs, parent_grad in zip(ctx.inputs, ctx.needs_grad, input_grads):
            if parent_grad is None or not needs:
                if needs and parent._ctx is not None:  # no grad, but one edge less to wait for
                    _one_edge_less(parent._ctx, pending, ready)
                continue
            assert fresh or parent_grad.shape == parent.data.shape, (
                f"{type(ctx).__name__}.backward returned a grad of shape {parent_grad.shape} "
                f"for an input of shape {parent.shape}"
            )
            parent_ctx = parent._ctx
            if parent_ctx is None:
                if not plain:  # create_graph: a Tensor, added on the graph; visit: left alone
                    if visit is None:
                        _add_to_leaf(parent, parent_grad)
                    continue
                if parent.grad is not None:
                    parent.grad.data += parent_grad  # .grad accumulates across backward calls
                    continue
                # A grad array may be shared (the upstream passed through, a view, a
                # broadcast, one array returned for several inputs): a leaf keeps it, and
                # later adds into it in place, only if nobody else can see it. chainrule's
                # primitives share only the first two ways; a user Function is checked for all.
                owned = (
                    parent_grad is not grad
                    and type(parent_grad) is _ndarray  # other namespaces: always copied
                    and parent_grad.base is None
                )
                if owned and not fresh:
                    owned = (
                        (len(input_grads) == 1 or _count(parent_grad, input_grads) == 1)
                        and id(parent_grad) not in given_to_leaves
                        and parent_grad.flags.writeable
                    )
                    given_to_leaves.add(id(parent_grad))
                _first_leaf_grad(parent, parent_grad, owned)
                continue
            earlier = grads.get(parent_ctx)
            grads[parent_ctx] = parent_grad if earlier is None else earlier + parent_grad
            edges_left = pending.get(parent_ctx, parent_ctx.consumers) - 1
            if edges_left:
                pending[parent_ctx] = edges_left
            else:  # its last consumer is done: its backward may run (its count is not read again)
                ready.append(parent_ctx)
        if release:  # its saved state goes; the structure stays, for drawing
            if ctx._state_in_dict:
                ctx.__dict__.clear()
            ctx.saved = None  # type: ignore[assignment]  # the "released" sentinel
        if hooked is not None:
            _leaf_edges_done(ctx, hooked)


def _freed(ctx: Function) -> RuntimeError:
    return RuntimeError(
        f"backward: the graph through {type(ctx).__name__} was already freed by an earlier "
        "backward; pass retain_graph=True to that call to go through it twice"
    )


def _one_edge_less(ctx: Function, pending: dict[Function, int], ready: deque[Function]) -> None:
    """Count one edge out of ``ctx`` as done, and queue it if that was the last."""
    pending[ctx] = pending.get(ctx, ctx.consumers) - 1
    if not pending[ctx]:
        ready.append(ctx)


def _add_to_leaf(leaf: Tensor, grad: Tensor) -> None:
    """``leaf.grad += grad`` as a Tensor op (create_graph), or the first grad itself."""
    leaf.grad = grad if leaf.grad is None else leaf.grad + grad


def _count(array: Any, arrays: Sequence[Any]) -> int:
    """How many entries of ``arrays`` are ``array`` itself (identity, not equality)."""
    count = 0
    for other in arrays:
        if other is array:
            count += 1
    return count


def _first_leaf_grad(leaf: Tensor, grad: Any, owned: bool) -> None:
    """Give ``leaf`` its first ``grad``: the array itself when ``owned``, else a copy."""
    if type(grad) is not _ndarray:
        xp = grad.__array_namespace__()
        leaf.grad = Tensor(xp.astype(xp.asarray(grad, copy=True), leaf.data.dtype))
        return
    if grad.dtype != leaf.data.dtype:
        grad, owned = grad.astype(leaf.data.dtype), True
    leaf.grad = Tensor(grad if owned else grad.copy())


def _array(grad: Any) -> Any:
    return grad.data if isinstance(grad, Tensor) else grad


# ---------------------------------------------------------------------- leaf hooks
LeafHook = Callable[[Tensor], Any]
_leaf_hooks: dict[int, tuple[Tensor, list[LeafHook]]] = {}  # id(leaf): the leaf, its hooks


class LeafHookHandle:
    """What ``register_post_accumulate_grad_hook`` returns: ``remove()`` unregisters the hook."""

    def __init__(self, leaf: Tensor, hook: LeafHook) -> None:
        self.leaf, self.hook = leaf, hook

    def remove(self) -> None:
        entry = _leaf_hooks.get(id(self.leaf))
        if entry is not None and self.hook in entry[1]:
            entry[1].remove(self.hook)
            if not entry[1]:
                del _leaf_hooks[id(self.leaf)]


def register_leaf_hook(leaf: Tensor, hook: LeafHook) -> LeafHookHandle:
    """Call ``hook(leaf)`` in every backward that reaches ``leaf``, once its ``.grad`` holds
    all that backward adds (PyTorch's post-accumulate-grad hook). The hook keeps ``leaf``
    alive until ``remove()``."""
    if leaf._ctx is not None or not leaf.requires_grad:
        raise RuntimeError(
            "register_post_accumulate_grad_hook: only a leaf tensor that requires grad "
            "accumulates a gradient"
        )
    _leaf_hooks.setdefault(id(leaf), (leaf, []))[1].append(hook)
    return LeafHookHandle(leaf, hook)


def _hooked_edges(pending: dict[Function, int]) -> dict[int, int]:
    """For every hooked leaf of this walk: how many gradients it will receive."""
    edges: dict[int, int] = {}
    for ctx in pending:
        for parent, needs in zip(ctx.inputs, ctx.needs_grad):
            if needs and id(parent) in _leaf_hooks:
                edges[id(parent)] = edges.get(id(parent), 0) + 1
    return edges


def _leaf_edges_done(ctx: Function, edges: dict[int, int]) -> None:
    """``ctx`` has sent its gradients: run the hooks of the leaves that now hold all theirs."""
    for parent, needs in zip(ctx.inputs, ctx.needs_grad):
        key = id(parent)
        if needs and key in edges:
            edges[key] -= 1
            if not edges[key]:
                _run_leaf_hooks(key)


def _run_leaf_hooks(key: int) -> None:
    leaf, hooks = _leaf_hooks[key]
    for hook in list(hooks):  # a hook may remove itself
        hook(leaf)
