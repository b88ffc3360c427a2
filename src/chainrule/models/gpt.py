"""A character-level GPT: token and position embeddings, pre-norm causal blocks, a linear head.

STAND-IN: a minimal version with the agreed interface, written so the names task could be built
and tested while the real module was written in another branch; that version replaces this one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import nn
from ..grad_mode import no_grad
from ..nn import functional as F
from ..tensor import Tensor


class CausalSelfAttention(nn.Module):
    """Multi-head attention in which position t sees positions 0..t only."""

    def __init__(self, block_size: int, n_head: int, n_embd: int, dropout: float) -> None:
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd {n_embd} is not a multiple of n_head {n_head}")
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)
        self._future = np.triu(np.ones((block_size, block_size), dtype=bool), k=1)

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        H = self.n_head
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.reshape(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // H))
        scores = scores.masked_fill(self._future[:T, :T], float("-inf"))
        attention = self.dropout(F.softmax(scores, dim=-1))
        y = (attention @ v).transpose(1, 2).reshape(B, T, C)
        return self.dropout(self.proj(y))


class Block(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, block_size: int, n_head: int, n_embd: int, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(block_size, n_head, n_embd, dropout)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.GELU(approximate="tanh"),  # exact erf GELU costs ~6x the whole MLP here
            nn.Linear(4 * n_embd, n_embd),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """A decoder-only transformer over ``vocab_size`` tokens and contexts of ``block_size``."""

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
        self.vocab_size, self.block_size = vocab_size, block_size
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.Sequential(
            *(Block(block_size, n_head, n_embd, dropout) for _ in range(n_layer))
        )
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx: Any) -> Tensor:
        """Logits (B, T, vocab_size) for int64 token indices (B, T), T <= block_size."""
        idx = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
        if idx.ndim != 2 or idx.shape[1] > self.block_size:
            raise ValueError(
                f"GPT: idx of shape {idx.shape} is not (B, T) with T <= {self.block_size}"
            )
        T = idx.shape[1]
        x = self.tok_emb(Tensor(idx)) + self.pos_emb(Tensor(np.arange(T)))
        return self.head(self.ln_f(self.blocks(self.drop(x))))

    def generate(
        self, idx: Any, max_new_tokens: int, temperature: float = 1.0, generator: Any = None
    ) -> Tensor:
        """``idx`` (B, T) followed by ``max_new_tokens`` tokens drawn one at a time."""
        from ..random import multinomial

        idx = np.asarray(idx.data if isinstance(idx, Tensor) else idx, dtype=np.int64)
        with no_grad():
            for _ in range(max_new_tokens):
                logits = self(idx[:, -self.block_size :])
                probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
                following = multinomial(probs, 1, generator=generator)
                idx = np.concatenate([idx, np.asarray(following.data, dtype=np.int64)], axis=1)
        return Tensor(idx)
