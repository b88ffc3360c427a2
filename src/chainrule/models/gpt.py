"""A small GPT (decoder-only transformer) as nanoGPT's and makemore's, on chainrule's layers.

Token and position embeddings, ``n_layer`` pre-norm blocks (LayerNorm -> causal
self-attention -> residual, LayerNorm -> MLP (4x, tanh GELU) -> residual), a final LayerNorm and
a linear head to the vocabulary. Parameter names follow nanoGPT's (``transformer.wte``,
``transformer.h.0.attn.c_attn``, ``lm_head``, ...), and so does the initialisation: every
Linear and Embedding weight N(0, 0.02), biases zero, the residual projections' weights
N(0, 0.02 / sqrt(2 n_layer)). The head is not tied to the token embedding (makemore's choice).
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from .. import nn
from ..grad_mode import no_grad
from ..nn import functional as F
from ..random import multinomial
from ..tensor import Tensor


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: one (C, 3C) projection to q, k, v, the fused
    ``F.scaled_dot_product_attention(..., is_causal=True)``, and a (C, C) output projection."""

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0) -> None:
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
        self.n_embd, self.n_head, self.dropout = n_embd, n_head, dropout
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        b, t, c = x.shape
        h = self.n_head
        qkv = self.c_attn(x).reshape(b, t, 3, h, c // h).permute(2, 0, 3, 1, 4)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], dropout_p=p, is_causal=True)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(b, t, c)))


class MLP(nn.Module):
    """Linear (C, 4C) -> GELU -> Linear (4C, C) -> dropout.

    NOTE: GELU's tanh form, as GPT-2's: NumPy has no erf, and the exact form would take most
    of a names step (python -m bench.choices gelu_tanh_form).
    """

    def __init__(self, n_embd: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)): the pre-norm transformer block."""

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd, dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A decoder-only transformer over ``vocab_size`` tokens and contexts of at most
    ``block_size``: ``forward(idx)`` maps int64 (B, T) token indices to logits (B, T, vocab).

    Example:
        >>> import numpy as np
        >>> model = GPT(vocab_size=27, block_size=8, n_layer=1, n_head=2, n_embd=16)
        >>> model(np.zeros((2, 5), dtype=np.int64)).shape
        (2, 5, 27)
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_layer: int = 4,
        n_head: int = 4,
        n_embd: int = 64,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        sizes = {"vocab_size": vocab_size, "block_size": block_size, "n_layer": n_layer}
        for name, value in {**sizes, "n_head": n_head, "n_embd": n_embd}.items():
            if int(value) != value or value < 1:
                raise ValueError(f"GPT: {name} must be a positive int, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"GPT: dropout must lie in [0, 1), got {dropout!r}")
        self.vocab_size, self.block_size = vocab_size, block_size
        self.n_layer, self.n_head, self.n_embd = n_layer, n_head, n_embd
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(vocab_size, n_embd),
                "wpe": nn.Embedding(block_size, n_embd),
                "drop": nn.Dropout(dropout),
                "h": nn.ModuleList([Block(n_embd, n_head, dropout) for _ in range(n_layer)]),
                "ln_f": nn.LayerNorm(n_embd),
            }
        )
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        for name, module in self.named_modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj") else 0.02
                nn.init.normal_(module.weight, 0.0, std)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx: Any) -> Tensor:
        index = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        if index.ndim != 2 or index.dtype.kind not in "iu":
            raise ValueError(
                f"GPT: idx must be int (B, T) token indices, got {index.dtype} of shape "
                f"{index.shape}"
            )
        t = index.shape[1]
        if not 1 <= t <= self.block_size:
            raise ValueError(f"GPT: sequence length {t} must lie in [1, block_size = "
                             f"{self.block_size}]")  # fmt: skip
        if index.size and (index.min() < 0 or index.max() >= self.vocab_size):
            raise ValueError(f"GPT: token indices must lie in [0, {self.vocab_size})")
        blocks = self.transformer
        x = blocks["wte"](index) + blocks["wpe"](np.arange(t))
        x = blocks["drop"](x)
        for block in cast(nn.ModuleList, blocks["h"]):
            x = block(x)
        return self.lm_head(blocks["ln_f"](x))

    def generate(
        self,
        idx: Any,
        max_new_tokens: int,
        temperature: float = 1.0,
        generator: Any = None,
        top_k: int | None = None,
    ) -> Tensor:
        """``idx`` (B, T) followed by ``max_new_tokens`` tokens drawn one at a time from the
        softmax of the last position's logits / ``temperature`` (only the ``top_k`` largest
        with ``top_k``), each step seeing at most the last ``block_size`` tokens; int64
        (B, T + max_new_tokens). ``generator``: a ``chainrule.Generator`` (or NumPy one)."""
        if temperature <= 0:
            raise ValueError(f"GPT.generate: temperature must be positive, got {temperature!r}")
        out = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        out = out.astype(np.int64)
        with no_grad():
            for _ in range(max_new_tokens):
                logits = self(out[:, -self.block_size :]).data[:, -1, :].astype(np.float64)
                logits = logits / temperature
                if top_k is not None and top_k < logits.shape[1]:
                    kth = np.sort(logits, axis=1)[:, -top_k][:, None]
                    logits = np.where(logits < kth, -np.inf, logits)
                probs = np.exp(logits - logits.max(axis=1, keepdims=True))
                probs /= probs.sum(axis=1, keepdims=True)
                nxt = multinomial(Tensor(probs), 1, True, generator=generator).data
                out = np.concatenate([out, nxt], axis=1)
        return Tensor(out)
