"""Random draws as in ``torch.*`` and ``Generator``, a seedable stream of one's own.

Without ``generator=`` every draw comes from the global generator ``cr.manual_seed`` seeds
(nn/init.py's, which the initialisers, dropout and data loaders share), so a seeded run
repeats. Values are drawn in float64 and cast, so a seed gives the same numbers in any
float dtype. None of these is recorded on a graph.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import devices
from .backends import dtype_kind
from .creation import float_default, new_tensor, shape_of
from .nn import init
from .tensor import Tensor, _to_array, _xp

_DEFAULT_SEED = 67280421310721  # PyTorch's: every new Generator starts from it


class Generator:
    """A random stream of its own, for ``generator=`` of every random function.

    Example:
        >>> import chainrule as cr
        >>> g = cr.Generator().manual_seed(0)
        >>> first = cr.rand(3, generator=g)
        >>> bool((cr.rand(3, generator=g.manual_seed(0)) == first).data.all())
        True
    """

    __slots__ = ("_numpy", "_seed")

    def __init__(self, device: Any = "cpu") -> None:
        if devices.device(device) != "cpu":
            raise ValueError(f"Generator: only the 'cpu' device has generators, got {device!r}")
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self) -> devices.device:
        return devices.CPU

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (a non-negative int); returns the generator."""
        self._numpy = init.seeded("Generator.manual_seed", seed)
        self._seed = int(seed)
        return self

    def seed(self) -> int:
        """Restart from a fresh seed out of the operating system's entropy; returns it."""
        seed = int(np.random.default_rng().integers(2**63))
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._seed

    def get_state(self) -> dict:
        """The stream's state, JSON-serialisable, for ``set_state``."""
        return self._numpy.bit_generator.state  # type: ignore[return-value]  # a dict

    def set_state(self, state: dict) -> Generator:
        """Continue from a state ``get_state`` returned; returns the generator."""
        self._numpy.bit_generator.state = state
        return self


def _rng(op: str, generator: Any) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or else the global one."""
    if generator is None:
        return init._rng  # read at each call: manual_seed replaces it
    if isinstance(generator, Generator):
        return generator._numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"{op}: generator must be a chainrule Generator, got {type(generator).__name__}"
    )


def _float(op: str, dtype: Any) -> np.dtype:
    dtype = float_default(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op}: dtype must be a floating-point type, got {dtype}")
    return dtype


# ---------------------------------------------------------------------- shapes
def rand(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1), ``rand(2, 3)`` or ``rand((2, 3))``."""
    shape, dtype = shape_of("rand", size), _float("rand", dtype)
    values = _rng("rand", generator).random(shape)
    return new_tensor(values.astype(dtype), device, requires_grad)


def randn(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    seed: int | None = None,
) -> Tensor:
    """Standard-normal samples, ``randn(2, 3)`` or ``randn((2, 3))``.

    ``seed=`` draws from a generator of that seed alone (chainrule's shorthand for
    ``generator=cr.Generator().manual_seed(seed)``).

    Example:
        >>> import chainrule as cr
        >>> bool((cr.randn(2, seed=1) == cr.randn(2, seed=1)).data.all())
        True
    """
    shape, dtype = shape_of("randn", size), _float("randn", dtype)
    if seed is not None and generator is not None:
        raise TypeError("randn: pass seed= or generator=, not both")
    rng = _rng("randn", generator) if seed is None else init.seeded("randn", seed)
    return new_tensor(rng.standard_normal(shape).astype(dtype), device, requires_grad)


def randint(
    low: Any = 0,
    high: Any = None,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers in [low, high) (int64 unless told otherwise): ``randint(high, size)`` or
    ``randint(low, high, size)``.

    Example:
        >>> import chainrule as cr
        >>> cr.randint(3, 5, (4,), generator=cr.Generator()).tolist()
        [3, 4, 3, 4]
    """
    if isinstance(high, (tuple, list)) and size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(10, (3,))")
    shape = shape_of("randint", (size,))
    low, high = operator.index(low), operator.index(high)
    if low >= high:
        raise ValueError(f"randint: low ({low}) must be less than high ({high})")
    values = _rng("randint", generator).integers(low, high, shape, dtype=np.int64)
    return new_tensor(values.astype(np.int64 if dtype is None else dtype), device, requires_grad)


def randperm(
    n: int,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of ``0 .. n - 1`` (int64 unless told otherwise)."""
    (n,) = shape_of("randperm", (n,))
    values = _rng("randperm", generator).permutation(n)
    return new_tensor(values.astype(np.int64 if dtype is None else dtype), device, requires_grad)


# ---------------------------------------------------------------------- *_like
def rand_like(
    input: Any,
    *,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    """Uniform samples in [0, 1) of ``input``'s shape, dtype and namespace."""
    data = _data(input)
    return _like(
        "rand_like", data, _rng("rand_like", generator).random(data.shape), dtype, requires_grad
    )


def randn_like(
    input: Any,
    *,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,  # noqa: A002
) -> Tensor:
    """Standard-normal samples of ``input``'s shape, dtype and namespace."""
    data = _data(input)
    values = _rng("randn_like", generator).standard_normal(data.shape)
    return _like("randn_like", data, values, dtype, requires_grad)


def _data(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else _to_array(value)


def _like(op: str, data: Any, values: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    """float64 ``values`` in ``data``'s namespace and dtype (or ``dtype``), which is a float."""
    if dtype is not None:
        dtype = _float(op, dtype)
    elif dtype_kind(data.dtype) != "f":
        raise TypeError(f"{op}: input must be floating-point, got {data.dtype}")
    if type(data) is np.ndarray:
        return Tensor(
            values.astype(data.dtype if dtype is None else dtype), requires_grad=requires_grad
        )
    xp = _xp(data)
    array = xp.asarray(values, device=data.device)
    return Tensor(
        xp.astype(array, data.dtype if dtype is None else getattr(xp, dtype.name)),
        requires_grad=requires_grad,
    )


# ---------------------------------------------------------------------- distributions
def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Samples of N(mean, std^2): tensor ``mean``/``std`` broadcast together (and give the
    dtype), or numbers with a ``size``.

    Example:
        >>> import chainrule as cr
        >>> cr.normal(cr.zeros(3), 1.0).shape, cr.normal(2.0, 0.5, (2, 2)).dtype
        ((3,), dtype('float32'))
    """
    tensors = [x.data for x in (mean, std) if isinstance(x, Tensor)]
    mean, std = (np.asarray(_data(x), dtype=np.float64) for x in (mean, std))
    if tensors:
        if size is not None:
            raise TypeError("normal: size is given by the mean and std tensors; pass no size")
        if any(dtype_kind(t.dtype) != "f" for t in tensors):
            raise TypeError("normal: mean and std tensors must be floating-point")
        shape = np.broadcast_shapes(mean.shape, std.shape)
        dtype = np.result_type(*tensors) if dtype is None else dtype
    elif size is None:
        raise TypeError("normal: with a number for mean and for std, pass a size")
    else:
        shape = shape_of("normal", (size,))
    if (std < 0).any():
        raise ValueError(f"normal: std must be non-negative, got a minimum of {std.min()}")
    values = _rng("normal", generator).standard_normal(shape) * std + mean
    return new_tensor(values.astype(_float("normal", dtype)), device, requires_grad)


def bernoulli(input: Any, p: float | None = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (or ``p``, in ``input``'s shape), else 0, in its dtype.

    Example:
        >>> import chainrule as cr
        >>> cr.bernoulli(cr.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    data = _data(input)
    probs = np.asarray(devices.to_numpy(data) if p is None else p, dtype=np.float64)
    if not ((probs >= 0) & (probs <= 1)).all():
        raise ValueError("bernoulli: probabilities must lie in [0, 1]")
    draws = _rng("bernoulli", generator).random(data.shape) < probs
    return _like("bernoulli", data, draws.astype(np.float64), None, False)


def multinomial(
    input: Any,  # noqa: A002  (PyTorch's name)
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """Category indices drawn with probability proportional to ``input``'s weights, per row
    of a 2-d ``input``: int64 of shape ``(num_samples,)`` or ``(rows, num_samples)``.

    Without replacement each row's categories are ordered by an exponential race (the
    smallest ``E / w`` first), which is drawing one at a time without putting back.

    Example:
        >>> import chainrule as cr
        >>> cr.multinomial(cr.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist()
        [1, 1]
    """
    data = _data(input)
    weights = np.asarray(devices.to_numpy(data), dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-d or 2-d, got shape {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    count = operator.index(num_samples)
    if count <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {count}")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: weights must be finite and non-negative")
    if (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: every row needs a positive weight (its sum is 0)")
    if not replacement and count > rows.shape[1]:
        raise ValueError(
            f"multinomial: cannot draw {count} samples from {rows.shape[1]} categories "
            "without replacement"
        )
    rng = _rng("multinomial", generator)
    if replacement:  # inverse CDF: u < 1 = cdf[-1] never lands on a zero-weight category
        cdf = np.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        draws = rng.random((len(rows), count))
        picks = np.stack([np.searchsorted(c, u, side="right") for c, u in zip(cdf, draws)])
    else:
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=rows.shape) / rows
        picks = np.argsort(keys, axis=1, kind="stable")[:, :count]
    return Tensor(picks.reshape(*weights.shape[:-1], count).astype(np.int64))
