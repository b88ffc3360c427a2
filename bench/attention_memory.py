"""Peak memory of one forward + backward of causal attention: chainrule's fused
``F.scaled_dot_product_attention(q, k, v, is_causal=True)`` against the unfused composite
(scores = q @ k^T * scale, masked_fill with the causal mask, softmax, @ v).

Measured with tracemalloc, which traces NumPy's array allocations: the peak traced memory
during forward + backward (the upstream gradient given, q, k and v's gradients included)
minus the memory traced just before it. Each variant runs once untraced first, then is
measured ``--repeats`` times; the smallest peak is reported (they agree to the byte here).

    python -m bench.attention_memory [--batch 8] [--heads 4] [--context 256] [--embd 16]
"""

from __future__ import annotations

import argparse
import gc
import math
import tracemalloc
from collections.abc import Callable

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import Tensor


def fused(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def composite(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    t = q.shape[-2]
    scores = q @ k.transpose(-2, -1) * (1 / math.sqrt(q.shape[-1]))
    future = ~np.tri(t, t, dtype=bool)  # True above the diagonal: keys after the query
    return F.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v


def peak_bytes(
    attention: Callable[[Tensor, Tensor, Tensor], Tensor],
    q: Tensor,
    k: Tensor,
    v: Tensor,
    grad: np.ndarray,
) -> tuple[int, list[np.ndarray]]:
    """The traced peak of one forward + backward over the traced memory before it, and the
    output and gradients (for the agreement check)."""
    for x in (q, k, v):
        x.grad = None
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        out = attention(q, k, v)
        out.backward(cr.tensor(grad))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, [out.data.copy()] + [x.grad.data.copy() for x in (q, k, v)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--context", type=int, default=256)
    parser.add_argument("--embd", type=int, default=16, help="per head")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    shape = (args.batch, args.heads, args.context, args.embd)
    rng = np.random.default_rng(0)
    q, k, v = (
        cr.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        for _ in range(3)
    )
    grad = rng.standard_normal(shape).astype(np.float32)
    results = {}
    for name, attention in (("fused", fused), ("composite", composite)):
        peak_bytes(attention, q, k, v, grad)  # warm-up, untraced caches filled
        peaks, arrays = [], None
        for _ in range(args.repeats):
            peak, arrays = peak_bytes(attention, q, k, v, grad)
            peaks.append(peak)
        results[name] = min(peaks), max(peaks), arrays
    for a, b in zip(results["fused"][2], results["composite"][2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    scores = args.batch * args.heads * args.context**2 * 4
    print(
        f"causal attention, float32, B={args.batch}, heads={args.heads}, T={args.context}, "
        f"E={args.embd}; one (B, h, T, T) float32 score array is {scores / 2**20:.2f} MiB"
    )
    print("peak traced memory of forward + backward over the baseline:")
    for name, (low, high, _) in results.items():
        spread = "" if low == high else f", up to {high:,}"
        print(
            f"  {name:<10} {low / 2**20:8.2f} MiB ({low:,} bytes{spread}) = "
            f"{low / scores:.2f} score arrays"
        )
    print(f"  composite / fused: {results['composite'][0] / results['fused'][0]:.2f}x")


if __name__ == "__main__":
    main()
