"""The choices chainrule's code makes for speed, each timed against the spelling it turned down.

A comment in src/ that says one way is faster names its case here
(``python -m bench.choices NAME``) instead of quoting a figure that goes stale: this
times both ways interleaved in rounds, in one process, and reports the alternative's time
over the chosen one's (above 1: the choice still pays). Each case says where the choice is
made; tests check that both ways compute the same values and that every case is cited.

    python -m bench.choices [--rounds 9] [--case NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim
from chainrule import autograd, ops
from chainrule.backends import cpu, cpu_conv
from chainrule.backends.portable import Portable
from chainrule.grad_mode import _state
from chainrule.ops import movement

from . import interleave, machine, save, spread, summary

BLOCK_SECONDS = 0.02  # each timed block of calls lasts about this long
PAUSE_SECONDS = 0.05


class Choice(NamedTuple):
    """The way the code goes, the way it does not, and whether both give the same values."""

    chosen: Callable[[], Any]
    alternative: Callable[[], Any]
    same_values: bool = True


CASES: dict[str, Callable[[], Choice]] = {}


def case(make: Callable[[], Choice]) -> Callable[[], Choice]:
    """Register ``make`` under its name; its docstring says where the choice is made."""
    CASES[make.__name__] = make
    return make


_rng = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return _rng.standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------------- the engine
@case
def gather_loop() -> Choice:
    """autograd.Function._run: one loop gathers arrays and grad flags, or two comprehensions"""
    inputs = (cr.tensor(_f32(1, 3), requires_grad=True), cr.tensor(_f32(1, 3)))

    def loop() -> tuple[list, list]:
        arrays, needs_grad = [], []
        for x in inputs:
            arrays.append(x.data)
            needs_grad.append(x.requires_grad)
        return arrays, needs_grad

    def comprehensions() -> tuple[list, list]:
        return [x.data for x in inputs], [x.requires_grad for x in inputs]

    return Choice(loop, comprehensions)


@case
def output_slots() -> Choice:
    """autograd.Function._run: the output Tensor's slots set directly, or Tensor(data)"""
    data, new = _f32(1, 3), cr.Tensor.__new__

    def slots() -> cr.Tensor:
        out = new(cr.Tensor)
        out.data, out.grad, out.name = data, None, None
        out.requires_grad, out._ctx = False, None
        return out

    return Choice(slots, lambda: cr.Tensor(data))


@case
def scalar_operand() -> Choice:
    """autograd.apply_operator: 0.5 * x with the cached constant, or through _run's wrapping"""
    x = cr.tensor(_f32(1, 3))
    return Choice(lambda: 0.5 * x, lambda: ops.Mul.apply(0.5, x))


class _FramedReLU(nn.ReLU):
    """A module called through a Python __call__, as most frameworks call modules."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.forward(*args, **kwargs)


@case
def scalar_tensor_cache() -> Choice:
    """autograd._constant: a number beside a tensor as a cached Tensor of a 0-d array, or
    made anew"""
    dtype = np.dtype(np.float32)
    return Choice(
        lambda: autograd._scalar_tensor(0.5, dtype), lambda: cr.Tensor(np.array(0.5, dtype))
    )


@case
def inverse_permutation_cache() -> Choice:
    """ops/movement.py _inverse_permutation: w.T's inverse axes cached, or checked anew"""
    check = movement._inverse_permutation
    return Choice(lambda: check((1, 0), 2), lambda: check.__wrapped__((1, 0), 2))


@case
def module_call() -> Choice:
    """nn.Module.__call__: a property returning the bound forward, or a Python __call__"""
    x = cr.tensor(_f32(1, 3))
    chosen, framed = nn.ReLU(), _FramedReLU()
    return Choice(lambda: chosen(x), lambda: framed(x))


@contextlib.contextmanager
def _no_grad_generator() -> Any:
    previous, _state.enabled = _state.enabled, False
    try:
        yield
    finally:
        _state.enabled = previous


@case
def no_grad_block() -> Choice:
    """grad_mode._SetGradEnabled: a class as the context manager, or a @contextmanager"""

    def with_class() -> None:
        with cr.no_grad():
            pass

    def with_generator() -> None:
        with _no_grad_generator():
            pass

    return Choice(with_class, with_generator)


@case
def backward_seed() -> Choice:
    """Tensor.backward: the seed 1 as np.array(1).reshape(shape), or np.ones(shape)"""
    shape, dtype = (1, 1), np.dtype(np.float32)
    return Choice(
        lambda: np.array(1, dtype=dtype).reshape(shape), lambda: np.ones(shape, dtype=dtype)
    )


@case
def sgd_small_loop() -> Choice:
    """optim.SGD._step_group: small parameters updated in one loop, or each by _update"""
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    params = list(model.parameters())
    for p in params:
        p.grad = cr.tensor(np.ones_like(p.data))
    opt = optim.SGD(params, lr=1e-12)
    (group,) = opt.param_groups

    def each_by_update() -> None:
        for p in params:
            opt._update(p.data, p.grad.data, opt.state[id(p)], group)

    return Choice(opt.step, each_by_update, same_values=False)


@case
def kept_work_arrays() -> Choice:
    """optim.Optimizer._scratch: a large update written into a kept array, or a fresh one"""
    cr.keep_freed_memory()  # as every optimiser has it when it steps
    param, grad = _f32(256, 784), _f32(256, 784)
    work, lr = np.empty_like(param), cpu.constant(1e-12, param.dtype)

    def into_kept() -> None:
        param.__isub__(np.multiply(grad, lr, out=work))

    def into_fresh() -> None:
        param.__isub__(grad * lr)

    return Choice(into_kept, into_fresh, same_values=False)


# ---------------------------------------------------------------------- the cpu namespace
@case
def method_sum() -> Choice:
    """backends/cpu.py: NumPy's methods (a.sum(...)), or its functions (np.sum(a, ...))"""
    a = _f32(4, 3)
    return Choice(lambda: a.sum(axis=0), lambda: np.sum(a, axis=0))


@case
def scalar_constant() -> Choice:
    """cpu.constant: a small array times a cached 0-d array of its dtype, or a Python float"""
    a = _f32(1, 3)
    half = cpu.constant(0.5, a.dtype)
    return Choice(lambda: a * half, lambda: a * 0.5)


@case
def row_sums() -> Choice:
    """cpu_conv.last_axis_sums: sums of short float rows as a GEMV with ones, or a.sum(-1)"""
    a = _f32(8192, 64)
    return Choice(lambda: cpu_conv.last_axis_sums(a), lambda: a.sum(axis=-1))


@case
def row_max() -> Choice:
    """cpu.max: maxima of short rows as a tree of np.maximum over halves, or a.max(-1)"""
    a = _f32(8192, 16)
    return Choice(lambda: cpu.max(a, axis=-1), lambda: a.max(axis=-1))


@case
def relu_zero() -> Choice:
    """cpu.relu: np.maximum against a 0-d zero, or against a zeros array of a's shape"""
    a = _f32(64, 32, 26, 26)
    zeros = np.zeros_like(a)
    return Choice(lambda: cpu.relu(a), lambda: np.maximum(a, zeros))


@case
def mask_multiply() -> Choice:
    """cpu.mask: x times the bool mask, or np.where(keep, x, 0)"""
    x = _f32(128, 256)
    keep = _rng.random(x.shape) < 0.9
    return Choice(lambda: cpu.mask(x, keep), lambda: np.where(keep, x, np.float32(0)))


_ON_NUMPY = Portable(np)  # the standard-only kernels, on NumPy arrays


@case
def sigmoid_backward_buffer() -> Choice:
    """cpu.sigmoid_backward: in one buffer against a typed 1, or portable's expression"""
    out, grad = cpu.sigmoid(_f32(512, 256)), _f32(512, 256)
    return Choice(
        lambda: cpu.sigmoid_backward(out, grad), lambda: _ON_NUMPY.sigmoid_backward(out, grad)
    )


@case
def tanh_backward_buffer() -> Choice:
    """cpu.tanh_backward: in two buffers against a typed 1, or portable's expression"""
    out, grad = np.tanh(_f32(512, 256)), _f32(512, 256)
    return Choice(lambda: cpu.tanh_backward(out, grad), lambda: _ON_NUMPY.tanh_backward(out, grad))


@case
def gelu_tanh_buffers() -> Choice:
    """cpu.gelu_tanh: two buffers, each pass in place, or portable's expression"""
    a = _f32(512, 256)
    return Choice(lambda: cpu.gelu_tanh(a), lambda: _ON_NUMPY.gelu_tanh(a))


@case
def gelu_tanh_backward_buffers() -> Choice:
    """cpu.gelu_tanh_backward: two buffers, each pass in place, or portable's expression"""
    a, grad = _f32(512, 256), _f32(512, 256)
    _, t = cpu.gelu_tanh(a)
    return Choice(
        lambda: cpu.gelu_tanh_backward(a, t, grad),
        lambda: _ON_NUMPY.gelu_tanh_backward(a, t, grad),
    )


@case
def gelu_tanh_form() -> Choice:
    """models/gpt.py MLP: GELU's tanh form, or the exact one with erf (other values)"""
    x = cr.tensor(_f32(512, 256))
    return Choice(lambda: F.gelu(x, approximate="tanh"), lambda: F.gelu(x), same_values=False)


@case
def standardise_rows() -> Choice:
    """cpu.standardise: layer norm's forward + backward on rows, or portable's"""
    x, w, b, grad = _f32(32, 16, 64), _f32(64), _f32(64), _f32(32, 16, 64)
    needs = (True, True, True)

    def on(xp: Any) -> Callable[[], tuple]:
        def run() -> tuple:
            out, saved = xp.standardise(x, w, b, (2,), 1e-5)
            return (out, *xp.standardise_backward(saved, grad, needs))

        return run

    return Choice(on(cpu), on(_ON_NUMPY))


@case
def attention_keys() -> Choice:
    """cpu.attention: causal attention's forward + backward with key-major scores, or
    portable's (the names GPT's 4 heads of 16)"""
    q, k, v, grad = (_f32(32, 4, 16, 16) for _ in range(4))
    keep = np.tri(16, dtype=bool)
    needs = (True, True, True, False)

    def on(xp: Any) -> Callable[[], tuple]:
        def run() -> tuple:
            out, saved = xp.attention(q, k, v, None, keep, 0.25)
            return (out, *xp.attention_backward(saved, grad, needs)[:3])

        return run

    return Choice(on(cpu), on(_ON_NUMPY))


@case
def transpose_method() -> Choice:
    """cpu.permute_dims: x.transpose(axes), or np.permute_dims(x, axes)"""
    x = _f32(3, 2)
    return Choice(lambda: x.transpose((1, 0)), lambda: np.permute_dims(x, (1, 0)))


@case
def broadcast_copy() -> Choice:
    """cpu.broadcast_copy: np.empty then assign, or np.broadcast_to(x, shape).copy()"""
    x, shape = _f32(1, 1), (1, 3)
    return Choice(lambda: cpu.broadcast_copy(x, shape), lambda: np.broadcast_to(x, shape).copy())


@case
def matmul_large() -> Choice:
    """cpu._MATMUL_MIN_OUT: np.matmul on a GPT Linear's shapes, or ndarray.dot"""
    a, b = _f32(512, 64), _f32(64, 192)
    return Choice(lambda: np.matmul(a, b), lambda: a.dot(b))


@case
def dot_small() -> Choice:
    """cpu._MATMUL_MIN_OUT: ndarray.dot on the 2-3-1 net's shapes, or np.matmul"""
    a, b = _f32(1, 2), _f32(2, 3)
    return Choice(lambda: a.dot(b), lambda: np.matmul(a, b))


@case
def outer_product() -> Choice:
    """cpu.dot: an outer product (inner size 1) by ndarray.dot, or by np.matmul"""
    a, b = _f32(192, 1), _f32(1, 64)
    return Choice(lambda: a.dot(b), lambda: np.matmul(a, b))


@case
def bias_add_batch1() -> Choice:
    """cpu.linear: a batch of one adds its bias row by row, out[0] += b, or out += b"""
    out, b = _f32(1, 3), _f32(3)

    def row() -> None:
        out[0] += b

    def broadcast() -> None:
        out.__iadd__(b)

    return Choice(row, broadcast, same_values=False)


@case
def mean_as_sum() -> Choice:
    """ops/reduce.py Mean: a loss's mean as the namespace's sum over the count, or np.mean"""
    a = _f32(128, 10)
    return Choice(lambda: np.asarray(cpu.sum(a) / a.size), lambda: np.asarray(a.mean()))


@case
def sum_rows_one() -> Choice:
    """cpu.sum_rows: the bias gradient of one row as its copy, or x.sum(axis=0)"""
    x = _f32(1, 192)
    return Choice(lambda: cpu.sum_rows(x), lambda: x.sum(axis=0))


@case
def sum_rows_gemv() -> Choice:
    """cpu.sum_rows: the bias gradient of float rows as a GEMV with ones, or x.sum(axis=0)"""
    x = _f32(512, 192)
    return Choice(lambda: cpu.sum_rows(x), lambda: x.sum(axis=0))


# ---------------------------------------------------------------------- convolution
def _with(module: Any, name: str, value: Any, run: Callable[[], Any]) -> Callable[[], Any]:
    """``run`` with ``module.name`` set to ``value`` for the call: the setting turned down."""

    def patched() -> Any:
        kept = getattr(module, name)
        setattr(module, name, value)
        try:
            return run()
        finally:
            setattr(module, name, kept)

    return patched


def _conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: cpu_conv.conv2d_forward(x, w, b, (1, 1), (0, 0), False)[0]


@case
def unfold_chunks() -> Choice:
    """cpu_conv._CHUNK_BYTES: the MNIST example's conv2 unfolded a few samples at a time,
    or the whole batch at once"""
    x, w, b = _f32(64, 32, 26, 26), _f32(64, 32, 3, 3), _f32(64)
    forward = _conv_forward(x, w, b)
    return Choice(forward, _with(cpu_conv, "_CHUNK_BYTES", 1 << 40, forward))


def _conv_forward_backward(n: int, c: int, size: int, o: int, k: int) -> Callable[[], tuple]:
    x, w, b = _f32(n, c, size, size), _f32(o, c, k, k), _f32(o)
    grad = _f32(n, o, size - k + 1, size - k + 1)

    def forward_backward() -> tuple:
        out, saved = cpu_conv.conv2d_forward(x, w, b, (1, 1), (0, 0), True)
        return (out, *cpu_conv.conv2d_backward(saved, grad, (c > 1, True, True)))

    return forward_backward


@case
def keep_columns() -> Choice:
    """cpu_conv._KEPT_COLUMNS_MAX_BYTES: the README CNN's conv1 (7 MB of columns) keeps them
    for the weight gradient, or unfolds them again (forward + backward)"""
    run = _conv_forward_backward(128, 1, 28, 16, 5)
    return Choice(run, _with(cpu_conv, "_KEPT_COLUMNS_MAX_BYTES", 0, run))


@case
def unfold_large_again() -> Choice:
    """cpu_conv._KEPT_COLUMNS_MAX_BYTES: the MNIST example's conv2 (42 MB of columns) unfolds
    them again for the weight gradient, or keeps them (forward + backward)"""
    run = _conv_forward_backward(64, 32, 26, 64, 3)
    return Choice(run, _with(cpu_conv, "_KEPT_COLUMNS_MAX_BYTES", 1 << 40, run))


@case
def gemm_orientation() -> Choice:
    """conv2d_forward: the channels-last GEMM as (M, K) @ (K, O), or as (O, K) @ (K, M)"""
    cols, w_mat = _f32(64 * 24 * 24, 32 * 9), _f32(64, 32 * 9)
    return Choice(lambda: cols @ w_mat.T, lambda: (w_mat @ cols.T).T)


@case
def weight_grad_order() -> Choice:
    """cpu_conv._weight_grad: channel-major columns' weight gradient as (cols @ g^T)^T, or
    g @ cols^T (the README CNN's conv1)"""
    cols, grad_mat = _f32(25, 128 * 24 * 24), _f32(16, 128 * 24 * 24)
    return Choice(lambda: (cols @ grad_mat.T).T, lambda: grad_mat @ cols.T)


@case
def row_dots() -> Choice:
    """cpu_conv._row_dots: one BLAS dot a row, or np.einsum("ij,ij->i")"""
    a, b = _f32(128, 256), _f32(128, 256)
    return Choice(lambda: cpu_conv._row_dots(a, b), lambda: np.einsum("ij,ij->i", a, b))


def _channels_last(n: int, c: int, h: int, w: int) -> np.ndarray:
    return _f32(n, h, w, c).transpose(0, 3, 1, 2)  # an (N, C, H, W) view


def _channel_major(n: int, c: int, h: int, w: int) -> np.ndarray:
    return _f32(c, n, h, w).transpose(1, 0, 2, 3)  # an (N, C, H, W) view


def _channels_last_to_channel_major(n: int, c: int, h: int, w: int) -> tuple[Any, Any]:
    return _channels_last(n, c, h, w), _channel_major(n, c, h, w)


def _through_samples(x: np.ndarray, into: np.ndarray) -> np.ndarray:
    sample_major = np.copy(x, order="C")
    np.copyto(into, sample_major)
    return into


def _directly(x: np.ndarray, into: np.ndarray) -> np.ndarray:
    np.copyto(into, x)
    return into


@case
def reorder_samples() -> Choice:
    """cpu_conv._reorder: the MNIST example's conv2 input gradient, channels-last into
    channel-major, through sample-major memory, or directly"""
    x, into = _channels_last_to_channel_major(64, 32, 26, 26)
    return Choice(lambda: _through_samples(x, into), lambda: _directly(x, into))


@case
def reorder_small() -> Choice:
    """cpu_conv._REORDER_SAMPLE_MIN_BYTES: the README CNN's conv2 input gradient (small
    samples) copied directly, or through sample-major memory"""
    x, into = _channels_last_to_channel_major(128, 16, 12, 12)
    return Choice(lambda: _directly(x, into), lambda: _through_samples(x, into))


@case
def reorder_to_channels_last() -> Choice:
    """cpu_conv._reorder: the MNIST example's conv2 input, channel-major into channels-last,
    copied directly, or through sample-major memory"""
    x, into = _channel_major(64, 32, 26, 26), _channels_last(64, 32, 26, 26)
    return Choice(lambda: _directly(x, into), lambda: _through_samples(x, into))


def _windows_2x2(x: np.ndarray) -> list[np.ndarray]:
    return [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]


@case
def pool_max_views() -> Choice:
    """cpu_conv.max_pool2d_forward: 2x2 maxima by np.maximum over strided views, or a
    reshape and .max(axis=(3, 5))"""
    x = _f32(64, 64, 24, 24)

    def views() -> np.ndarray:
        return cpu_conv.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False)[0]

    def reshaped() -> np.ndarray:
        return x.reshape(64, 64, 12, 2, 12, 2).max(axis=(3, 5))

    return Choice(views, reshaped)


@case
def pool_contiguous_windows() -> Choice:
    """cpu_conv.max_pool2d_forward: backward's compares on contiguous copies of disjoint
    windows, or on the strided views"""
    x = _f32(64, 64, 24, 24)
    views = _windows_2x2(x)
    copies = [np.copy(v) for v in views]
    out = np.maximum(np.maximum(views[0], views[1]), np.maximum(views[2], views[3]))
    return Choice(lambda: [c == out for c in copies], lambda: [v == out for v in views])


@case
def pool_grad_multiply() -> Choice:
    """cpu_conv.max_pool2d_backward: a disjoint window's gradient as grad * hit, or
    np.copyto(where=hit) into zeros"""
    grad = _f32(64, 64, 12, 12)
    hit = _rng.random(grad.shape) < 0.25
    target = np.zeros_like(grad)

    def multiply() -> np.ndarray:
        return np.multiply(grad, hit, out=target)

    def copy_where() -> np.ndarray:
        target[...] = 0
        np.copyto(target, grad, where=hit)
        return target

    return Choice(multiply, copy_where)


@case
def layout_match() -> Choice:
    """cpu_conv._in_layout_of: a product of operands in one memory order, or of two orders"""
    a = _f32(64, 64, 12, 12)
    b_same = _f32(64, 64, 12, 12)
    b_other = np.ascontiguousarray(b_same.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    return Choice(lambda: a * b_same, lambda: a * b_other)


# ---------------------------------------------------------------------- the report
def measure(name: str, rounds: int, block_seconds: float = BLOCK_SECONDS) -> dict[str, Any]:
    """Median seconds a call of each way, and the paired ratio alternative / chosen."""
    choice = CASES[name]()
    start = time.perf_counter()
    for _ in range(3):  # warm up, and size the blocks
        choice.chosen()
        choice.alternative()
    calls = max(1, int(block_seconds / max((time.perf_counter() - start) / 6, 1e-9)))
    ways = {"chosen": choice.chosen, "alternative": choice.alternative}
    times = interleave(ways, rounds, calls, PAUSE_SECONDS, warmup=1)
    ratios = [b / a for a, b in zip(times["chosen"], times["alternative"])]
    return {
        "where": (CASES[name].__doc__ or "").split(":")[0],
        "chosen_us": 1e6 * statistics.median(times["chosen"]),
        "alternative_us": 1e6 * statistics.median(times["alternative"]),
        "ratio": summary(ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--case", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()
    results = {name: measure(name, args.rounds) for name in args.case}
    lines = [
        f"alternative / chosen, medians of {args.rounds} paired rounds (min-max)",
        "",
        "| case | where | chosen us | alternative us | alternative / chosen |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['where']} | {r['chosen_us']:.3g} | {r['alternative_us']:.3g} | "
            f"{spread(r['ratio'])} |"
        )
    report = {"machine": machine(), "rounds": args.rounds, "cases": results}
    save(args.out, "choices", report, "\n".join(lines))


if __name__ == "__main__":
    main()
