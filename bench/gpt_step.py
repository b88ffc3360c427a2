"""One training step of the names GPT (chainrule.models.gpt) on chainrule and on PyTorch, from
the same weights and batch, interleaved in rounds, beside the step's bare matrix products.

A step is AdamW on cross-entropy over every position of a batch of character sequences.
PyTorch gets two threads, as OpenBLAS does on a two-core machine. The result is the
per-round ratio of mean step times (median and range), and each contender over the floor.

    python -m bench.gpt_step [--rounds 10] [--steps 5] [--batch 32] [--block 16]
        [--layers 4] [--heads 4] [--embd 64]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch
import torch.nn.functional as TF

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.models.gpt import GPT

from . import interleave, spread

PAUSE_S = 0.2
VOCAB = 27  # a-z and the end token


class TorchBlock(torch.nn.Module):
    """chainrule.models.gpt's Block in PyTorch, under the same parameter names."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.ln_1 = torch.nn.LayerNorm(n_embd)
        self.attn = torch.nn.Module()
        self.attn.c_attn = torch.nn.Linear(n_embd, 3 * n_embd)
        self.attn.c_proj = torch.nn.Linear(n_embd, n_embd)
        self.ln_2 = torch.nn.LayerNorm(n_embd)
        self.mlp = torch.nn.Module()
        self.mlp.c_fc = torch.nn.Linear(n_embd, 4 * n_embd)
        self.mlp.c_proj = torch.nn.Linear(4 * n_embd, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (a.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for a in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn.c_proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp.c_proj(TF.gelu(self.mlp.c_fc(self.ln_2(x)), approximate="tanh"))


class TorchGPT(torch.nn.Module):
    """chainrule.models.gpt.GPT in PyTorch, under the same parameter names."""

    def __init__(
        self, block_size: int, n_layer: int, n_head: int, n_embd: int, vocab_size: int = VOCAB
    ) -> None:
        super().__init__()
        self.transformer = torch.nn.ModuleDict(
            {
                "wte": torch.nn.Embedding(vocab_size, n_embd),
                "wpe": torch.nn.Embedding(block_size, n_embd),
                "h": torch.nn.ModuleList([TorchBlock(n_embd, n_head) for _ in range(n_layer)]),
                "ln_f": torch.nn.LayerNorm(n_embd),
            }
        )
        self.lm_head = torch.nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(idx.shape[1]))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def gemm_floor(model: GPT, batch: int, block: int) -> callable:
    """The step's matrix products alone (forward, and the two of each backward), in NumPy."""
    rng = np.random.default_rng(0)
    pairs = []
    rows = batch * block
    for name, p in model.named_parameters():
        if p.ndim == 2 and not name.startswith("transformer.w"):  # the Linear weights
            out_features, in_features = p.shape
            x = rng.standard_normal((rows, in_features)).astype(np.float32)
            g = rng.standard_normal((rows, out_features)).astype(np.float32)
            pairs += [(x, p.data.T), (g, p.data), (g.T, x)]
    heads = model.transformer.h[0].attn.n_head
    size = model.transformer.wte.weight.shape[1] // heads
    q = rng.standard_normal((batch, heads, block, size)).astype(np.float32)
    scores = rng.standard_normal((batch, heads, block, block)).astype(np.float32)
    for _ in model.transformer.h:  # q k^T, p v forward; four products backward
        pairs += [(q, q.swapaxes(-1, -2)), (scores, q)] * 3

    def step() -> None:
        for a, b in pairs:
            a @ b

    return step


def main() -> None:

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--block", type=int, default=16)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--embd", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(2)
    cr.manual_seed(0)
    ours = GPT(VOCAB, args.block, n_layer=args.layers, n_head=args.heads, n_embd=args.embd)
    theirs = TorchGPT(args.block, args.layers, args.heads, args.embd)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    ours_opt = optim.AdamW(ours.parameters(), lr=1e-3)
    theirs_opt = torch.optim.AdamW(theirs.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, VOCAB, (args.batch, args.block))
    targets = rng.integers(0, VOCAB, (args.batch, args.block))

    def chainrule_step() -> float:
        ours_opt.zero_grad()
        logits = ours(idx)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        ours_opt.step()
        return loss.item()

    idx_t, targets_t = torch.from_numpy(idx), torch.from_numpy(targets)

    def pytorch_step() -> float:
        theirs_opt.zero_grad()
        logits = theirs(idx_t)
        loss = TF.cross_entropy(logits.reshape(-1, VOCAB), targets_t.reshape(-1))
        loss.backward()
        theirs_opt.step()
        return loss.item()

    first = chainrule_step(), pytorch_step()
    assert abs(first[0] - first[1]) < 1e-4, f"the twins disagree: losses {first}"
    contenders = {
        "chainrule": chainrule_step,
        "pytorch": pytorch_step,
        "gemm_floor": gemm_floor(ours, args.batch, args.block),
    }
    seconds = interleave(contenders, args.rounds, args.steps, PAUSE_S, args.warmup)
    for name, times in seconds.items():
        print(f"{name}: {statistics.median(times) * 1e3:.2f} ms a step (median)")
    for a, b in (("chainrule", "pytorch"), ("chainrule", "gemm_floor"), ("pytorch", "gemm_floor")):
        ratios = [x / y for x, y in zip(seconds[a], seconds[b])]
        print(f"{a} / {b}: {spread(ratios)}")


if __name__ == "__main__":
    main()
