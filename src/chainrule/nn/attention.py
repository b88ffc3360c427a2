"""``MultiheadAttention``: PyTorch's layer, on the fused ``F.scaled_dot_product_attention``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backends import dtype_kind
from ..tensor import DEFAULT_DTYPE, Tensor
from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of ``embed_dim // num_heads`` features each, as
    ``torch.nn.MultiheadAttention``, with its parameter names (``in_proj_weight``
    (3 E, E), ``in_proj_bias`` (3 E,), ``out_proj.weight``, ``out_proj.bias``), so state
    dicts map one to one; the projections start as PyTorch's (Xavier-uniform, zero biases).

    ``forward(query, key, value, attn_mask=None, is_causal=False, need_weights=False)``
    returns ``(out, weights)``: out (N, L, E) (``batch_first=True``, the default here) or
    (L, N, E), or (L, E) unbatched; weights is None unless ``need_weights`` (then the
    softmax probabilities, averaged over heads unless ``average_attn_weights=False``).
    ``attn_mask`` is PyTorch's MHA mask: bool with True = *not* allowed (the opposite of
    ``F.scaled_dot_product_attention``'s), or float (added), of shape (L, S) or
    (N * num_heads, L, S); ``key_padding_mask`` (N, S), True = ignore that key.
    ``is_causal=True`` applies the causal mask (with or without ``attn_mask``, which it
    then stands for, as PyTorch's hint does). Separate ``kdim``/``vdim``, ``add_bias_kv``
    and ``add_zero_attn`` are not supported.

    Example:
        >>> import chainrule as cr
        >>> mha = MultiheadAttention(8, 2)
        >>> x = cr.randn(3, 5, 8, seed=0)
        >>> out, weights = mha(x, x, x, is_causal=True)
        >>> out.shape, weights
        ((3, 5, 8), None)
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
    ) -> None:
        super().__init__()
        if embed_dim < 1 or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                f"num_heads ({num_heads})"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must lie in [0, 1], got {dropout!r}")
        if (
            add_bias_kv
            or add_zero_attn
            or kdim not in (None, embed_dim)
            or (vdim not in (None, embed_dim))
        ):
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than "
                "embed_dim are not supported"
            )
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=DEFAULT_DTYPE))
        init.xavier_uniform_(self.in_proj_weight)
        self.in_proj_bias = None
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=DEFAULT_DTYPE))
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if self.out_proj.bias is not None:
            init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        attn_mask: Any = None,
        is_causal: bool = False,
        need_weights: bool = False,
        key_padding_mask: Any = None,
        average_attn_weights: bool = True,
    ) -> tuple[Tensor, Tensor | None]:
        op = "MultiheadAttention"
        q, k, v = (F._floating(x, op) for x in (query, key, value))
        if not q.ndim == k.ndim == v.ndim or q.ndim not in (2, 3):
            raise ValueError(
                f"{op}: query, key and value must all be 3-d (batched) or 2-d (unbatched), "
                f"got shapes {q.shape}, {k.shape}, {v.shape}"
            )
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
        elif not self.batch_first:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        n, length, embed = q.shape
        source = k.shape[1]
        if embed != self.embed_dim or k.shape[2] != embed or v.shape[2] != embed:
            raise ValueError(
                f"{op}: query, key and value need embed_dim {self.embed_dim} features, got "
                f"shapes {q.shape}, {k.shape}, {v.shape}"
            )
        if k.shape[:2] != v.shape[:2] or k.shape[0] != n:
            raise ValueError(
                f"{op}: key of shape {k.shape} and value of shape {v.shape} must share "
                f"(N, S), with query's N = {n}"
            )
        heads, head = self.num_heads, self.head_dim
        qh, kh, vh = self._project(q, k, v)  # each (N, H, L or S, head_dim)
        mask = self._mask(attn_mask, key_padding_mask, n, length, source, is_causal, unbatched)
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = (qh @ kh.transpose(-2, -1)) * (1 / np.sqrt(head))
            if mask is not None:
                scores = (
                    scores + mask
                    if dtype_kind(mask.dtype) == "f"
                    else (scores.masked_fill(~mask, float("-inf")))
                )
            probs = F.softmax(scores, dim=-1)
            weights = probs.mean(dim=1) if average_attn_weights else probs
            out = F.dropout(probs, p) @ vh if p else probs @ vh
        else:
            out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=mask, dropout_p=p)
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, heads * head))
        if unbatched:
            return out[0], None if weights is None else weights[0]
        if not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def _project(self, q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v through in_proj, split into heads: (N, H, length, head_dim) each."""
        n, heads, head, embed = q.shape[0], self.num_heads, self.head_dim, self.embed_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        if q is k and k is v:  # self-attention: one product for all three
            qkv = F.linear(q, w, b).reshape(n, q.shape[1], 3, heads, head)
            qkv = qkv.permute(2, 0, 3, 1, 4)
            return qkv[0], qkv[1], qkv[2]
        parts = []
        for i, x in enumerate((q, k, v)):
            rows = slice(i * embed, (i + 1) * embed)
            y = F.linear(x, w[rows], None if b is None else b[rows])
            parts.append(y.reshape(n, x.shape[1], heads, head).transpose(1, 2))
        return parts[0], parts[1], parts[2]

    def _mask(
        self,
        attn_mask: Any,
        key_padding_mask: Any,
        n: int,
        length: int,
        source: int,
        is_causal: bool,
        unbatched: bool,
    ) -> Tensor | None:
        """One SDPA mask (bool: True = attend, or float: added) broadcastable to
        (N, H, L, S), from PyTorch MHA's masks (bool: True = masked out)."""
        op = "MultiheadAttention"
        masks = []
        if is_causal:
            masks.append(Tensor(np.tri(length, source, dtype=bool)))
        elif attn_mask is not None:
            m = attn_mask if isinstance(attn_mask, Tensor) else Tensor(attn_mask)
            if m.shape == (length, source):
                pass
            elif m.ndim == 3 and m.shape == (n * self.num_heads, length, source):
                m = m.reshape(n, self.num_heads, length, source)
            elif unbatched and m.shape == (self.num_heads, length, source):
                pass
            else:
                raise ValueError(
                    f"{op}: attn_mask of shape {m.shape} must be (L, S) = {(length, source)} "
                    f"or (N * num_heads, L, S) = {(n * self.num_heads, length, source)}"
                )
            masks.append(~m if dtype_kind(m.dtype) == "b" else m)
        if key_padding_mask is not None:
            m = key_padding_mask
            m = m if isinstance(m, Tensor) else Tensor(m)
            if m.shape != (n, source) and not (unbatched and m.shape == (source,)):
                raise ValueError(
                    f"{op}: key_padding_mask of shape {m.shape} must be (N, S) = {(n, source)}"
                )
            m = m.reshape(n, 1, 1, source)
            masks.append(~m if dtype_kind(m.dtype) == "b" else m)
        if not masks:
            return None
        if len(masks) == 1:
            return masks[0]
        if all(dtype_kind(m.dtype) == "b" for m in masks):
            return Tensor(masks[0].data & masks[1].data)
        dtype = next(m.dtype for m in masks if dtype_kind(m.dtype) == "f")
        floats = [
            m
            if dtype_kind(m.dtype) == "f"
            else Tensor(np.where(m.data, 0.0, -np.inf).astype(dtype))
            for m in masks
        ]
        return floats[0] + floats[1]

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )
