"""Ops that rearrange or combine tensors, as in ``torch.*``: split, chunk, flip, roll, tril,
triu and meshgrid (composites of indexing, concat, where and broadcasting) and ``einsum``,
whose primitive's backward is einsums again.
"""

from __future__ import annotations

import itertools
import math
import operator
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function, _as_tensors
from ..tensor import Tensor
from ._shared import Array, Grads
from .elementwise import Where
from .movement import BroadcastTo, Concat, GetItem


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _axis(op: str, dim: Any, ndim: int) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor, checked."""
    dim = operator.index(dim)
    if not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimensions")
    return dim % ndim


def _dims(op: str, dims: Any, ndim: int) -> tuple[int, ...]:
    """One or more dims as distinct non-negative axes."""
    dims = (dims,) if not isinstance(dims, Sequence) else tuple(dims)
    axes = tuple(_axis(op, d, ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dims {dims} name an axis twice")
    return axes


def _beside(array: np.ndarray, x: Tensor) -> Any:
    """A NumPy constant (a mask, an index) in the namespace and on the device of ``x``."""
    if type(x.data) is np.ndarray:
        return array
    return x.data.__array_namespace__().asarray(array, device=x.data.device)


def _slice(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return GetItem.apply(x, index=(slice(None),) * axis + (slice(start, stop), Ellipsis))


# ---------------------------------------------------------------------- split and chunk
def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the sizes
    in a list, which must add up to the dim's length.

    Example:
        >>> import chainrule as cr
        >>> [p.tolist() for p in cr.split(cr.arange(5), 2)]
        [[0, 1], [2, 3], [4]]
    """
    x = _tensor(tensor)
    axis = _axis("split", dim, x.ndim)
    length = x.shape[axis]
    if isinstance(split_size_or_sections, Sequence):
        sizes = [operator.index(n) for n in split_size_or_sections]
        if any(n < 0 for n in sizes) or sum(sizes) != length:
            raise ValueError(
                f"split: sizes {sizes} must be non-negative and add up to {length}, the length "
                f"of dim {dim} of shape {x.shape}"
            )
    else:
        size = operator.index(split_size_or_sections)
        if size < 0 or (size == 0 and length):
            raise ValueError(
                f"split: split_size must be positive (0 only for an empty dim), got {size} "
                f"for dim {dim} of shape {x.shape}"
            )
        sizes = [size] * (length // size) + [length % size] if size else [0]
        sizes = [n for n in sizes if n] or [0]
    bounds = [0, *itertools.accumulate(sizes)]
    return tuple(_slice(x, axis, a, b) for a, b in zip(bounds, bounds[1:]))


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """``chunks`` pieces along ``dim`` of ceil(length / chunks) each, as PyTorch (so there
    may be fewer).

    Example:
        >>> import chainrule as cr
        >>> [p.tolist() for p in cr.chunk(cr.arange(5), 3)]
        [[0, 1], [2, 3], [4]]
    """
    x = _tensor(input)
    count = operator.index(chunks)
    if count <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {count}")
    length = x.shape[_axis("chunk", dim, x.ndim)]
    if length == 0:
        return split(x, [0] * count, dim)
    return split(x, math.ceil(length / count), dim)


# ---------------------------------------------------------------------- flip and roll
def flip(input: Any, dims: Any) -> Tensor:  # noqa: A002
    """The elements in reverse order along each of ``dims``.

    Example:
        >>> import chainrule as cr
        >>> cr.flip(cr.arange(3), (0,))
        tensor([2, 1, 0])
    """
    x = _tensor(input)
    axes = _dims("flip", dims, x.ndim)
    reverse = slice(None, None, -1)
    return GetItem.apply(
        x, index=tuple(reverse if a in axes else slice(None) for a in range(x.ndim))
    )


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """The elements moved ``shifts`` places along ``dims``, those past the end coming back
    at the start; with no dims, over the flattened tensor.

    Example:
        >>> import chainrule as cr
        >>> cr.roll(cr.arange(4), 1)
        tensor([3, 0, 1, 2])
    """
    x = _tensor(input)
    shifts = (shifts,) if not isinstance(shifts, Sequence) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: without dims, give one shift, got {shifts}")
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    axes = (dims,) if not isinstance(dims, Sequence) else tuple(dims)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shifts {shifts} and dims {axes} must have one shift per dim")
    for shift, dim in zip(shifts, axes):
        axis = _axis("roll", dim, x.ndim)
        length = x.shape[axis]
        cut = length - operator.index(shift) % length if length else 0
        if cut not in (0, length):
            x = Concat.apply(_slice(x, axis, cut, length), _slice(x, axis, 0, cut), axis=axis)
    return x


# ---------------------------------------------------------------------- triangles
def tril(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The lower triangle of the last two dims (on and below ``diagonal``), zeros above.

    Example:
        >>> import chainrule as cr
        >>> cr.tril(cr.ones(2, 2))
        tensor([[1., 0.],
                [1., 1.]])
    """
    return _triangle("tril", input, diagonal, lower=True)


def triu(input: Any, diagonal: int = 0) -> Tensor:  # noqa: A002
    """The upper triangle of the last two dims (on and above ``diagonal``), zeros below."""
    return _triangle("triu", input, diagonal, lower=False)


def _triangle(op: str, input: Any, diagonal: int, lower: bool) -> Tensor:  # noqa: A002
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"{op}: input must have at least 2 dimensions, got shape {x.shape}")
    k = operator.index(diagonal)
    rows, cols = x.shape[-2:]
    keep = np.tri(rows, cols, k=k if lower else k - 1, dtype=bool)
    keep = keep if lower else ~keep
    return Where.apply(x, 0, condition=_beside(keep, x))


# ---------------------------------------------------------------------- meshgrid
# ---------------------------------------------------------------------- the shape methods
# as functions, as ``torch.flatten(x, 1)`` (each is the Tensor method of its name)
def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """``input.flatten(start_dim, end_dim)``: the dims from start to end merged into one."""
    return _tensor(input).flatten(start_dim, end_dim)


def reshape(input: Any, shape: Sequence[int]) -> Tensor:  # noqa: A002
    """``input.reshape(shape)``; one size may be -1."""
    return _tensor(input).reshape(tuple(shape))


def squeeze(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """``input.squeeze(dim)``: size-1 dims (those of ``dim`` only, if given) dropped."""
    return _tensor(input).squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Tensor:  # noqa: A002
    """``input.unsqueeze(dim)``: a size-1 dim inserted at ``dim``."""
    return _tensor(input).unsqueeze(dim)


def permute(input: Any, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """``input.permute(dims)``."""
    return _tensor(input).permute(*dims)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """``input.transpose(dim0, dim1)``: two dims swapped."""
    return _tensor(input).transpose(dim0, dim1)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids of 1-d tensors: with ``"ij"`` the i-th varies along axis i; with
    ``"xy"`` the first two axes are swapped (x along columns), as NumPy's default.

    Example:
        >>> import chainrule as cr
        >>> [g.tolist() for g in cr.meshgrid(cr.arange(2), cr.arange(3))][1]
        [[0, 1, 2], [0, 1, 2]]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ValueError("meshgrid: expected at least one tensor")
    xs = _as_tensors(tensors)
    if any(x.ndim > 1 for x in xs):
        raise ValueError(f"meshgrid: expected 0-d or 1-d tensors, got {[x.shape for x in xs]}")
    axes = list(range(len(xs)))
    if indexing == "xy" and len(xs) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(xs)
    for x, axis in zip(xs, axes):
        shape[axis] = x.size
    grids = []
    for x, axis in zip(xs, axes):
        alone = [1] * len(xs)
        alone[axis] = x.size
        grids.append(BroadcastTo.apply(x.reshape(alone), shape=tuple(shape)))
    return tuple(grids)


# ---------------------------------------------------------------------- einsum
class Einsum(Function, fresh_grads=True):
    """einsum(equation, *operands) for an explicit equation with distinct letters per operand
    and one size per letter (``einsum`` brings any equation to that form)

    The gradient for an operand is the einsum of the upstream grad with the other operands
    into that operand's letters; a letter of its own alone (summed in the forward) comes
    back by broadcasting.
    """

    __slots__ = ()

    def forward(self, *arrays: Array, equation: str) -> Array:
        terms, output = equation.split("->")
        self.saved = (arrays, terms.split(","), output)
        return self.xp.einsum(equation, *arrays)

    def backward(self, grad: Array) -> Grads:
        arrays, terms, output = self.saved
        xp = self.xp
        grads: list[Array | None] = []
        for i, (array, term) in enumerate(zip(arrays, terms)):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(terms) if j != i]
            seen = set(output).union(*others)
            kept = "".join(letter for letter in term if letter in seen)
            equation = ",".join([output, *others]) + "->" + kept
            part = xp.einsum(equation, grad, *(a for j, a in enumerate(arrays) if j != i))
            if len(kept) < len(term):  # dL/da is the same for every value of its own letters
                alone = tuple(n if letter in seen else 1 for letter, n in zip(term, array.shape))
                part = xp.broadcast_copy(xp.reshape(part, alone), array.shape)
            grads.append(part)
        return tuple(grads)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation as ``torch.einsum``: ``"ij,jk->ik"`` is a matrix product.

    Letters are a-z and A-Z; ``...`` stands for the dims no letter names (broadcast between
    operands); without ``->`` the output is the letters used once, in alphabetical order,
    after the ``...`` dims. A letter repeated in one operand takes its diagonal (a product
    with the identity: a second letter and ``eye``); dims of size 1 broadcast. Operands may
    also come as one list.

    Example:
        >>> import chainrule as cr
        >>> a = cr.arange(6.0).reshape(2, 3)
        >>> cr.einsum("ij,ij->i", a, a), cr.einsum("ii", cr.eye(3))
        (tensor([ 5., 50.]), tensor(3.))
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    xs = list(_as_tensors(operands))
    terms, output = _parse(equation, [x.ndim for x in xs])
    sizes: dict[str, int] = {}
    for i, (x, term) in enumerate(zip(xs, terms)):
        for letter, n in zip(term, x.shape):
            if len({m for t, m in zip(term, x.shape) if t == letter}) > 1:
                raise ValueError(
                    f"einsum: letter {letter!r} repeats in operand {i} over dims of different "
                    f"sizes, shape {x.shape}"
                )
            if n != 1 and sizes.setdefault(letter, n) != n:
                raise ValueError(
                    f"einsum: letter {letter!r} has size {sizes[letter]} in one place and {n} "
                    f"in operand {i} (shape {x.shape}); sizes must match or be 1"
                )
    spare = iter(sorted(_LETTERS - set("".join(terms))))
    for i, (x, term) in enumerate(zip(xs[:], terms[:])):  # copies: both grow inside
        broadcast = tuple(sizes.get(letter, 1) for letter in term)
        if broadcast != x.shape:
            xs[i] = BroadcastTo.apply(x, shape=broadcast)
        for p, letter in enumerate(term):  # a repeat: a new letter, tied by the identity
            if letter in term[:p]:
                new = next(spare, None)
                if new is None:
                    raise ValueError(f"einsum: equation {equation!r} repeats too many letters")
                terms[i] = terms[i][:p] + new + terms[i][p + 1 :]
                terms.append(letter + new)
                xs.append(_identity(broadcast[p], x))
    return Einsum.apply(*xs, equation=",".join(terms) + "->" + output)


_LETTERS = frozenset(string.ascii_letters)


def _identity(n: int, x: Tensor) -> Tensor:
    """``eye(n)`` in the dtype, namespace and device of ``x``."""
    if type(x.data) is np.ndarray:
        return Tensor(np.eye(n, dtype=x.dtype))
    xp = x.data.__array_namespace__()
    return Tensor(xp.eye(n, dtype=x.dtype, device=x.data.device))


def _parse(equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """The operands' letters and the output's, with ``...`` spelt out as spare letters."""
    spec = equation.replace(" ", "") if isinstance(equation, str) else "->->"
    if spec.count("->") > 1:
        raise ValueError(f"einsum: equation {equation!r} must be 'terms' or 'terms->output'")
    left, arrow, right = spec.partition("->")
    terms = left.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: equation {equation!r} has {len(terms)} operands, got {len(ndims)} tensors"
        )
    bad = set(spec.replace("...", "").replace(",", "").replace("->", "")) - _LETTERS
    if bad or any(t.count("...") > 1 for t in [*terms, right]):
        raise ValueError(
            f"einsum: equation {equation!r} may hold letters a-z, A-Z and one '...' per term"
        )
    spare = sorted(_LETTERS - set(spec))
    extra = [ndim - len(t.replace("...", "")) for t, ndim in zip(terms, ndims)]
    for i, (term, ndim) in enumerate(zip(terms, ndims)):
        if extra[i] < 0 or (extra[i] and "..." not in term):
            raise ValueError(
                f"einsum: term {term!r} does not match operand {i}, which has {ndim} dimensions"
            )
    width = max([n for n, t in zip(extra, terms) if "..." in t], default=0)
    if width > len(spare):
        raise ValueError(f"einsum: equation {equation!r} leaves too few letters for '...'")
    ellipsis = "".join(spare[:width])
    terms = [t.replace("...", ellipsis[width - n :]) for t, n in zip(terms, extra)]
    counts = {letter: "".join(terms).count(letter) for letter in set("".join(terms))}
    if not arrow:
        right = ellipsis + "".join(
            sorted(x for x, c in counts.items() if c == 1 and x not in ellipsis)
        )
    output = right.replace("...", ellipsis)
    for letter in output:
        if output.count(letter) > 1 or letter not in counts:
            raise ValueError(
                f"einsum: output letter {letter!r} of {equation!r} must appear once, and in "
                "some operand"
            )
    return terms, output
