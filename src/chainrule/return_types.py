"""Named results of the reductions that also pick elements, as ``torch.return_types``."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor


class ValuesIndices(NamedTuple):
    """``(values, indices)``: what ``max(dim)``, ``sort``, ``topk`` and the like return.

    Example:
        >>> import chainrule as cr
        >>> values, indices = cr.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
        >>> values, indices
        (tensor([5., 7.]), tensor([1, 0]))
    """

    values: Tensor
    indices: Tensor
