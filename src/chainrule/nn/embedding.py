"""``Embedding``: a lookup table of learned vectors, one row per index."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import DEFAULT_DTYPE, Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Embedding(Module):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by int input, as
    ``torch.nn.Embedding``; ``weight`` starts N(0, 1), its ``padding_idx`` row zero (and
    that row gets no gradient). ``max_norm``, ``norm_type`` and ``scale_grad_by_freq``
    as ``F.embedding``.

    Example:
        >>> import numpy as np
        >>> table = Embedding(10, 3, padding_idx=0)
        >>> table(np.array([[0, 4, 4]])).shape
        (1, 3, 3)
        >>> table.weight.data[0].tolist()
        [0.0, 0.0, 0.0]
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
    ) -> None:
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(
                f"Embedding: sizes must be positive, got num_embeddings={num_embeddings}, "
                f"embedding_dim={embedding_dim}"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} is out of range for "
                    f"{num_embeddings} embeddings"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        shape = (num_embeddings, embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=DEFAULT_DTYPE))
            init.normal_(self.weight)
            if padding_idx is not None:
                self.weight.data[padding_idx] = 0
        else:
            weight = np.asarray(_weight.data if isinstance(_weight, Tensor) else _weight)
            if weight.shape != shape:
                raise ValueError(f"Embedding: _weight of shape {weight.shape}, expected {shape}")
            self.weight = Parameter(weight.copy())
        self.weight.requires_grad_(not _freeze)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is a copy of the 2-D ``embeddings``; frozen by default."""
        rows = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if rows.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got {rows.shape}")
        return cls(
            rows.shape[0],
            rows.shape[1],
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
            _weight=rows,
            _freeze=freeze,
        )

    def forward(self, input: Any) -> Tensor:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text + (f", max_norm={self.max_norm}" if self.max_norm is not None else "")
