"""``default_collate``: a list of samples into one batch, by the samples' structure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from chainrule.ops.movement import stack
from chainrule.tensor import Tensor

_TEXT_OR_OBJECT = re.compile(r"[SaUO]")  # dtype codes of bytes, str and object arrays


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a batch of samples as ``torch.utils.data.default_collate`` does.

    Tensors are stacked into a Tensor and ndarrays into an ndarray (chainrule's loaders
    yield ndarrays where PyTorch's yield tensors); Python floats become a float64 array,
    ints an int64 one, NumPy scalars an array of their dtype; strings and bytes are left
    as they come (the list, or a tuple of one field of tuple samples).
    Dicts, named tuples, tuples and lists are collated field by field, keeping their type
    (a tuple stays a tuple, where PyTorch gives a list).

    Example:
        >>> batch = default_collate([("a", 1, np.zeros(2)), ("b", 2, np.ones(2))])
        >>> batch[0], batch[1].tolist(), batch[2].shape
        (('a', 'b'), [1, 2], (2, 2))
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch))
    if isinstance(elem, np.ndarray):
        if _TEXT_OR_OBJECT.search(elem.dtype.str):
            raise TypeError(_unsupported(elem.dtype))
        return np.stack(batch)
    if isinstance(elem, np.bool_ | np.number):
        return np.asarray(batch)
    if isinstance(elem, float):
        return np.asarray(batch, dtype=np.float64)
    if isinstance(elem, int):
        return np.asarray(batch)
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        mapping_type: Any = type(elem)
        try:
            return mapping_type(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size"
            )
        fields = [default_collate(field) for field in zip(*batch)]
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(_unsupported(type(elem)))


def _unsupported(what: Any) -> str:
    return (
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {what}"
    )
