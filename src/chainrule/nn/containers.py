"""Containers and pass-through layers: ModuleList, ModuleDict, Identity, Unflatten.

The containers register their modules under PyTorch's names ("0", "1", ... or the keys),
so a model holding ``self.layers = nn.ModuleList(...)`` has state-dict keys such as
``"layers.0.weight"``, as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module


def _checked(op: str, module: Any) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{op}: {type(module).__name__} is not a Module")
    return module


class ModuleList(Module):
    """A list of modules, each registered under its index; it has no forward of its own.

    Example:
        >>> import chainrule.nn as nn
        >>> blocks = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
        >>> blocks.append(nn.Linear(2, 1))[2].out_features
        1
        >>> [name for name, _ in blocks.named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._items: list[Module] = []
        if modules is not None:
            self.extend(modules)

    def _children(self) -> Iterator[tuple[str, Any]]:
        for index, module in enumerate(self._items):
            yield str(index), module

    def append(self, module: Module) -> ModuleList:
        self._items.append(_checked("ModuleList.append", module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend: expected an iterable, got {type(modules).__name__}"
            )
        self._items.extend(_checked("ModuleList.extend", m) for m in modules)
        return self

    def insert(self, index: int, module: Module) -> None:
        self._items.insert(index, _checked("ModuleList.insert", module))

    def pop(self, index: int = -1) -> Module:
        return self._items.pop(index)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._items[index])
        return self._items[self._position(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        self._items[self._position(index)] = _checked("ModuleList", module)

    def __delitem__(self, index: int | slice) -> None:
        del self._items[index if isinstance(index, slice) else self._position(index)]

    def _position(self, index: int) -> int:
        if not -len(self._items) <= index < len(self._items):
            raise IndexError(f"ModuleList: index {index} is out of range for {len(self)} modules")
        return index

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self._items, *other])


class ModuleDict(Module):
    """An ordered dict of modules, each registered under its key; no forward of its own.

    Example:
        >>> import chainrule.nn as nn
        >>> heads = nn.ModuleDict({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 2)})
        >>> list(heads), heads["box"].out_features
        (['cls', 'box'], 2)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[Any] | None = None) -> None:
        super().__init__()
        self._entries: dict[str, Module] = {}
        if modules is not None:
            self.update(modules)

    def _children(self) -> Iterator[tuple[str, Any]]:
        yield from self._entries.items()

    def __getattr__(self, name: str) -> Any:
        entries = self.__dict__.get("_entries", {})
        if name in entries:
            return entries[name]
        return super().__getattr__(name)

    def __getitem__(self, key: str) -> Module:
        return self._entries[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: a key must be a non-empty str without '.', got {key!r}")
        self._entries[key] = _checked("ModuleDict", module)

    def __delitem__(self, key: str) -> None:
        del self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def keys(self) -> Any:
        return self._entries.keys()

    def values(self) -> Any:
        return self._entries.values()

    def items(self) -> Any:
        return self._entries.items()

    def update(self, modules: Mapping[str, Module] | Iterable[Any]) -> None:
        """Add or replace entries from a mapping or from (key, module) pairs."""
        pairs: Iterable[Any] = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        return self._entries.pop(key)

    def clear(self) -> None:
        self._entries.clear()


class Identity(Module):
    """Returns its input Tensor unchanged (an array as a Tensor); the arguments are accepted
    and ignored, as PyTorch's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Tensor:
        return F._tensor(x, "Identity")


class Unflatten(Module):
    """Splits axis ``dim`` into ``unflattened_size`` (one entry may be -1), undoing Flatten.

    Example:
        >>> import chainrule as cr
        >>> Unflatten(1, (2, 5))(cr.zeros((3, 10))).shape
        (3, 2, 5)
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x: Any) -> Tensor:
        x = F._tensor(x, "Unflatten")
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for input {x.shape}")
        dim = self.dim % x.ndim
        known = math.prod(n for n in self.unflattened_size if n != -1)
        fits = x.shape[dim] % known == 0 if -1 in self.unflattened_size else known == x.shape[dim]
        if not fits or self.unflattened_size.count(-1) > 1:
            raise ValueError(
                f"Unflatten: cannot split axis {self.dim} of input {x.shape} into "
                f"{self.unflattened_size}"
            )
        return x.reshape(*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
