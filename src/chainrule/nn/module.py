"""``Module`` (parameter discovery, state dicts, train/eval) and ``Parameter``."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..devices import move
from ..tensor import Tensor


def _some(items: list[str], limit: int = 3, quote: bool = True, sep: str = ", ") -> str:
    """The first ``limit`` of ``items``, sorted: ``['a', 'b', 'c', ... (35 more)]``."""
    shown = [repr(item) if quote else item for item in sorted(items)[:limit]]
    more = [f"... ({len(items) - limit} more)"] if len(items) > limit else []
    return "[" + sep.join(shown + more) + "]"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class Parameter(Tensor):
    """A Tensor that a Module owns and trains: ``requires_grad`` is always on."""

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None) -> None:
        super().__init__(data, dtype=dtype, requires_grad=True)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__()[len("tensor(") :]


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, module: Module, kind: str) -> None:
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id
        self._module, self._kind = module, kind

    def remove(self) -> None:
        self._module._remove_hook(self._kind, self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


class Module:
    """Base class of layers and models: assign Parameters and Modules as attributes.

    Parameters and submodules are found through attributes, lists/tuples of modules and
    nested modules, in assignment order, so ``state_dict`` keys are deterministic.

    Example:
        >>> import chainrule.nn as nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(2, 3)
        ...         self.out = nn.Linear(3, 1)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).sigmoid())
        >>> [name for name, _ in Net().named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_buffers", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: forward is not implemented")

    # ``module(x)`` is ``module.forward(x)``. NOTE: a property that returns the bound forward
    # (a C-level getter) spares every layer call a Python frame (bench.choices module_call).
    # A module with hooks shadows ``forward`` on the instance (``_hooked_forward``), so
    # modules without hooks pay nothing for them.
    __call__ = property(operator.attrgetter("forward"))

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None result replaces args.

        Returns a handle whose ``remove()`` (or ``with`` block's end) unregisters the hook.
        """
        return self._add_hook("_forward_pre_hooks", hook, with_kwargs=False)

    def register_forward_hook(
        self, hook: Callable[..., Any], *, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None result
        replaces the output. ``with_kwargs=True`` passes ``(module, args, kwargs, output)``.

        Example:
            >>> import chainrule as cr
            >>> import chainrule.nn as nn
            >>> layer = nn.ReLU()
            >>> handle = layer.register_forward_hook(lambda module, args, out: out * 2)
            >>> layer(cr.tensor([-1.0, 3.0]))
            tensor([0., 6.])
            >>> handle.remove()
            >>> layer(cr.tensor([-1.0, 3.0]))
            tensor([0., 3.])
        """
        return self._add_hook("_forward_hooks", hook, with_kwargs)

    def _add_hook(self, kind: str, hook: Callable[..., Any], with_kwargs: bool) -> RemovableHandle:
        hooks = self.__dict__.setdefault(kind, {})
        handle = RemovableHandle(self, kind)
        hooks[handle.id] = (hook, with_kwargs)
        object.__setattr__(self, "forward", self._hooked_forward)
        return handle

    def _remove_hook(self, kind: str, hook_id: int) -> None:
        self.__dict__.get(kind, {}).pop(hook_id, None)
        if not self.__dict__.get("_forward_hooks") and not self.__dict__.get("_forward_pre_hooks"):
            self.__dict__.pop("forward", None)  # back to the class's forward, at no cost

    def _hooked_forward(self, *args: Any, **kwargs: Any) -> Any:
        for hook, _ in list(self.__dict__.get("_forward_pre_hooks", {}).values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = type(self).forward(self, *args, **kwargs)
        for hook, with_kwargs in list(self.__dict__.get("_forward_hooks", {}).values()):
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """State saved in ``state_dict`` that is not trained (e.g. BatchNorm running stats)."""
        self._buffers[name] = value

    def __getattr__(self, name: str) -> Any:
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            return buffers[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        buffers = self.__dict__.get("_buffers")
        if buffers is None:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if name in buffers:
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ discovery
    def _children(self) -> Iterator[tuple[str, Any]]:
        """(name, Parameter or Module) pairs, lists and tuples of modules expanded."""
        for name, value in self.__dict__.items():
            if isinstance(value, (Parameter, Module)):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Module)):
                        yield f"{name}.{i}", item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules with their names, each once."""
        seen: set[int] = set()
        for name, child in self._children():
            if isinstance(child, Module) and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(
        self, memo: set[Module] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module ("" or ``prefix``) and every submodule with its dotted name, such as
        ``"layers.0"``; a module reached twice is listed once unless ``remove_duplicate=False``."""
        if remove_duplicate:
            memo = set() if memo is None else memo
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._children():
            if isinstance(child, Module):
                yield from child.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _members(self, prefix: str, recurse: bool) -> Iterator[tuple[str, Module]]:
        return self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, with dotted names such as ``"layers.0.weight"``; only this
        module's own with ``recurse=False``."""
        seen: set[int] = set()
        for module_name, module in self._members(prefix, recurse):
            for name, child in module._children():
                if isinstance(child, Parameter) and not (remove_duplicate and id(child) in seen):
                    seen.add(id(child))
                    yield _join(module_name, name), child

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        """Every buffer (``register_buffer``) once, with dotted names; None ones are left out."""
        seen: set[int] = set()
        for module_name, module in self._members(prefix, recurse):
            for name, value in module._buffers.items():
                if value is not None and not (remove_duplicate and id(value) in seen):
                    seen.add(id(value))
                    yield _join(module_name, name), value

    def buffers(self, recurse: bool = True) -> Iterator[Any]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as the submodule ``name``, as an attribute assignment does."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(
                f"add_module: a module name must be a non-empty str without '.', got {name!r}"
            )
        setattr(self, name, module)

    register_module = add_module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule, children before parents, then on this module
        (e.g. to initialise weights); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch every parameter's ``requires_grad`` (False freezes them); returns self."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def to(self, device: Any) -> Module:
        """Move every parameter (with its grad) and buffer to ``device`` in place; returns self.

        The Parameter objects stay the same, so optimisers built before still hold them.
        """
        for parameter in self.parameters():
            parameter.data = move(parameter.data, device)
            if parameter.grad is not None:
                parameter.grad = Tensor(move(parameter.grad.data, device))
        for module in self.modules():
            for name, value in module._buffers.items():
                module._buffers[name] = move(value, device) if value is not None else None
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's grad, or with ``set_to_none=False`` fill it with zeros."""
        for parameter in self.parameters():
            grad = parameter.grad
            if set_to_none or grad is None:
                parameter.grad = None
            elif grad._ctx is None:
                grad.data[...] = 0
            else:  # a grad on a graph (create_graph=True): a fresh zero leaf instead
                parameter.grad = Tensor(grad.data * 0)

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off, running statistics); returns self."""
        return self.train(False)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers by dotted name (the arrays themselves, not copies)."""
        state = {name: p.data for name, p in self.named_parameters()}
        for module_name, module in self.named_modules():
            for name, value in module._buffers.items():
                state[_join(module_name, name)] = value
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers; shapes must match.

        With ``strict`` (the default) the keys must match exactly too. The error lists the
        missing, unexpected and mis-shaped keys, sorted, the first three of each kind.
        """
        own = self.state_dict()
        given = {
            k: np.asarray(v.data if isinstance(v, Tensor) else v) for k, v in state_dict.items()
        }
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        mis_shaped = [
            f"{k}: expected {own[k].shape}, got {given[k].shape}"
            for k in own
            if k in given and given[k].shape != own[k].shape
        ]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {_some(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys {_some(unexpected)}")
        if mis_shaped:
            problems.append(f"mis-shaped keys {_some(mis_shaped, quote=False, sep='; ')}")
        if problems:
            raise ValueError(f"load_state_dict: {type(self).__name__}: " + ", ".join(problems))
        for key, target in own.items():
            if key in given:
                target[...] = given[key]  # in place: optimisers keep their references

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = [(n, c) for n, c in self._children() if isinstance(c, Module)]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"
