"""The shapes PyTorch's view spellings resolve to, checked by PyTorch's rules.

``view``, ``squeeze``, ``unsqueeze``, ``flatten`` and ``unflatten`` are reshapes and
``expand`` is a broadcast: Tensor's methods find the target shape here, with an error naming
the op, then apply the one Reshape or BroadcastTo primitive. ``Size`` is ``Tensor.size``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

Shape = tuple[int, ...]


class Size(int):
    """``Tensor.size``: NumPy's element count, which called is PyTorch's ``size()``.

    ``t.size`` is an int (``t.size == t.numel()``), so NumPy-style code keeps working;
    ``t.size()`` is the shape and ``t.size(dim)`` one length, as in PyTorch.

    Example:
        >>> import chainrule as cr
        >>> t = cr.zeros((2, 3))
        >>> t.size, t.size(), t.size(-1)
        (6, (2, 3), 3)
    """

    shape: Shape

    def __new__(cls, shape: Shape) -> Size:
        self = super().__new__(cls, math.prod(shape))
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        if not self.shape:
            raise ValueError(f"size: got dim {dim!r}, but a 0-d tensor has no dims")
        return self.shape[dim_of("size", dim, len(self.shape))]

    def __reduce__(self) -> tuple[Any, ...]:
        return Size, (self.shape,)


def dim_of(op: str, dim: Any, ndim: int) -> int:
    """``dim`` (negative counts from the end) as an index into ``ndim`` dims.

    A 0-d tensor takes dim 0 and -1, as in PyTorch.
    """
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    dim, rank = dim.__index__(), max(ndim, 1)
    if not -rank <= dim < rank:
        raise ValueError(
            f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions "
            f"(expected {-rank} to {rank - 1})"
        )
    return dim % rank


def sizes_of(op: str, sizes: Sequence[Any], what: str = "sizes") -> Shape:
    """``f(2, 3)`` or ``f((2, 3))`` as the tuple (2, 3): PyTorch's two spellings of a shape."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    for n in sizes:
        if isinstance(n, bool) or not hasattr(n, "__index__"):
            raise TypeError(f"{op}: {what} must be ints, got {tuple(sizes)!r}")
    return tuple(n.__index__() for n in sizes)


def view_shape(op: str, shape: Shape, sizes: Shape) -> Shape:
    """``sizes`` with its one -1 inferred, for a tensor of ``shape``: PyTorch's view rule."""
    count = math.prod(shape)
    unknown = [i for i, n in enumerate(sizes) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in sizes):
        raise ValueError(f"{op}: invalid shape {sizes}: only one size can be -1 (inferred)")
    known = math.prod(n for n in sizes if n != -1)
    if unknown and known and count % known == 0:
        i = unknown[0]
        return sizes[:i] + (count // known,) + sizes[i + 1 :]
    if unknown or known != count:
        raise ValueError(
            f"{op}: shape {sizes} is invalid for a tensor of shape {shape} ({count} elements)"
        )
    return sizes


def squeezed(shape: Shape, dim: Any) -> Shape:
    """``shape`` without its size-1 dims, or only those of ``dim`` (an int or a tuple) that
    have size 1: a named dim of another size stays, as in PyTorch."""
    if dim is None:
        return tuple(n for n in shape if n != 1)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    picked = [dim_of("squeeze", d, len(shape)) for d in dims]
    if len(set(picked)) != len(picked):
        raise ValueError(f"squeeze: dims {tuple(dims)} repeat a dim")
    return tuple(n for i, n in enumerate(shape) if not (i in picked and n == 1))


def unsqueezed(shape: Shape, dim: Any) -> Shape:
    """``shape`` with a size-1 dim inserted at ``dim``, which counts in the result's dims."""
    i = dim_of("unsqueeze", dim, len(shape) + 1)
    return shape[:i] + (1,) + shape[i:]


def expanded(shape: Shape, sizes: Shape) -> Shape:
    """The shape ``expand(*sizes)`` broadcasts to: -1 keeps a size, new dims lead."""
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ValueError(
            f"expand: sizes {sizes} have fewer dims than the tensor's shape {shape}"
        )
    out = []
    for i, n in enumerate(sizes):
        if i < lead:
            if n < 0:
                raise ValueError(f"expand: size {n} is not allowed in new leading dim {i}")
            out.append(n)
            continue
        have = shape[i - lead]
        if n == -1:
            n = have
        elif have != 1 and n != have:
            raise ValueError(
                f"expand: size {n} must match the existing size {have} at non-singleton "
                f"dim {i}; target sizes {sizes}, tensor of shape {shape}"
            )
        out.append(n)
    return tuple(out)


def flattened(shape: Shape, start_dim: Any, end_dim: Any) -> Shape:
    """``shape`` with dims ``start_dim`` to ``end_dim`` (both included) merged into one."""
    start, end = dim_of("flatten", start_dim, len(shape)), dim_of("flatten", end_dim, len(shape))
    if not shape:
        return (1,)  # a 0-d tensor flattens to one element, as in PyTorch
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
            f"for a tensor of {len(shape)} dimensions"
        )
    return shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :]


def unflattened(shape: Shape, dim: Any, sizes: Shape) -> Shape:
    """``shape`` with dim ``dim`` split into ``sizes`` (one of them may be -1)."""
    i = dim_of("unflatten", dim, len(shape))
    if not shape:
        raise ValueError("unflatten: a 0-d tensor has no dim to unflatten")
    if not sizes:
        raise ValueError("unflatten: sizes must name at least one size")
    split = view_shape("unflatten", (shape[i],), sizes)
    return shape[:i] + split + shape[i + 1 :]


def permutation(shape: Shape, dims: Shape) -> Shape:
    """``dims`` as non-negative axes, checked to be a permutation of ``shape``'s dims."""
    if len(dims) != len(shape):
        raise ValueError(
            f"permute: dims {dims} do not match a tensor of {len(shape)} dimensions "
            f"(shape {shape})"
        )
    axes = tuple(dim_of("permute", d, len(shape)) for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"permute: dims {dims} repeat a dim")
    return axes
