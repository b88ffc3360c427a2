"""``ModuleMap`` and ``capture``: which Module made which node (forward hooks); no drawing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..nn.module import Module
from ..tensor import Tensor


class ModuleMap:
    """Which Module made which node of a graph, as recorded by ``capture``."""

    def __init__(self, model: Module) -> None:
        self.model = model
        self.modules = {name: m for name, m in model.named_modules() if name}
        self.parameter_names = {id(p): name for name, p in model.named_parameters()}
        self._owner: dict[int, str] = {}  # id(Function), or id(Tensor) of a made-inside leaf
        self._kept: list[Any] = []  # keeps those alive, so their ids stay unique

    def owner(self, tensor: Tensor) -> str | None:
        """The dotted name of the innermost module that made (or owns) ``tensor``."""
        if tensor._ctx is not None:
            return self._owner.get(id(tensor._ctx))
        name = self.parameter_names.get(id(tensor))
        return self._owner.get(id(tensor)) if name is None else self.parent(name)

    def parent(self, name: str) -> str | None:
        """The innermost module enclosing a dotted name (``None``: the model itself)."""
        prefixes = [other for other in self.modules if name.startswith(other + ".")]
        return max(prefixes, key=len) if prefixes else None

    def _claim(self, name: str, args: Any, out: Any) -> None:
        """Mark every node between the call's inputs and its output not yet owned as ``name``'s."""
        stop = {id(t) for t in _tensors(args)}
        stack = list(_tensors(out))
        while stack:
            tensor = stack.pop()
            ctx = tensor._ctx
            if ctx is None or id(tensor) in stop:
                continue
            stop.add(id(tensor))  # walked once; through an inner call's nodes to those between
            if id(ctx) not in self._owner:  # inner calls return first, so they claim first
                self._owner[id(ctx)] = name
                self._kept.append(ctx)
            stack.extend(ctx.inputs)
            for leaf in ctx.inputs:  # constants made inside (a dropout mask), not the inputs
                if leaf._ctx is None and id(leaf) not in stop and id(leaf) not in self._owner:
                    self._owner[id(leaf)] = name
                    self._kept.append(leaf)


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


@contextmanager
def capture(model: Module) -> Iterator[ModuleMap]:
    """Record which of ``model``'s submodules makes each node while the block runs.

    A forward hook on every submodule (removed when the block ends) claims the nodes
    between the call's inputs and its output. Pass the result to ``draw`` (one cluster per
    module) or ``trace`` (parameter names).

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
        >>> with capture(model) as modules:
        ...     out = model(cr.ones((1, 2))).sum()
        >>> modules.owner(out._ctx.inputs[0])
        'layers.1'
    """
    modules = ModuleMap(model)

    def claimer(name: str) -> Callable[..., None]:
        def claim(module: Module, args: Any, kwargs: Any, out: Any) -> None:
            modules._claim(name, (args, kwargs), out)

        return claim

    handles = [
        module.register_forward_hook(claimer(name), with_kwargs=True)
        for name, module in modules.modules.items()
    ]
    try:
        yield modules
    finally:
        for handle in handles:
            handle.remove()
