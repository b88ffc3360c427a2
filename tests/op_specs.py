"""The op spec table: one line per primitive use-case drives the per-op tests.

Each ``Spec`` names a chainrule function of Tensors, its NumPy reference (on arrays), its
PyTorch twin (on torch tensors), the domain its inputs are drawn from and their shapes.
tests/test_ops_elementwise.py (forward against NumPy), tests/test_vs_torch.py (values and
grads against torch), tests/test_double_backward.py and tests/test_hvp_vs_torch.py
(create_graph=True) and tests/test_grad_contract.py (the engine's fresh-grads contract) draw
their per-op cases from ``SPECS``; adding a primitive means its rule, one line here and its
export. Specs with a ``grid`` are also swept over shape grids (unary shapes, broadcast pairs).

Domains (one for all inputs, or one per input):
``around_one``: uniform in [0.5, 1.5], where log, sqrt, pow and div are smooth (use-cases
shift inside the function where an op needs both signs); ``positive``: uniform in [0.5, 2);
``nonzero``: ±[0.1, 2), away from the kinks of abs and relu; ``away_from_zero``: ±[0.5, 2),
safe as a divisor; ``any``: standard normal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import conv, ops
from chainrule.autograd import Function
from helpers import away_from_zero

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the torch columns are only called by tests that importorskip torch
    torch = TF = None

Shape = tuple[int, ...]


def _torch_numpy(function: Callable[..., Any], x: np.ndarray, *args: Any, **kwargs: Any) -> Any:
    """A torch function as the NumPy reference, for ops NumPy has no spelling of."""
    return function(torch.from_numpy(x), *args, **kwargs).numpy()


@dataclass(frozen=True)
class Spec:
    name: str
    fn: Callable[..., cr.Tensor]
    numpy: Callable[..., np.ndarray]
    torch: Callable[..., Any]
    domain: str | tuple[str, ...]
    shapes: tuple[Shape, ...]
    grid: str | None = None  # "unary" or "binary": also swept over shape grids
    create_graph_marks: tuple[Any, ...] = field(default=())  # marks for create_graph tests

    def domains(self, count: int) -> tuple[str, ...]:
        return (self.domain,) * count if isinstance(self.domain, str) else self.domain

    def draw(self, shapes: Sequence[Shape] | None = None, seed: int = 0) -> list[np.ndarray]:
        """Float64 inputs of ``shapes`` (the spec's own by default), each in its domain."""
        shapes = self.shapes if shapes is None else shapes
        rng = np.random.default_rng(seed)
        return [draw_domain(rng, d, s) for d, s in zip(self.domains(len(shapes)), shapes)]


def draw_domain(rng: np.random.Generator, domain: str, shape: Shape) -> np.ndarray:
    if domain == "around_one":
        return np.asarray(rng.uniform(0.5, 1.5, shape))
    if domain == "positive":
        return np.asarray(rng.uniform(0.5, 2.0, size=shape))
    if domain == "nonzero":
        return away_from_zero(rng, shape, low=0.1)
    if domain == "away_from_zero":
        return away_from_zero(rng, shape)
    assert domain == "any", domain
    return np.asarray(rng.standard_normal(shape))


# ---------------------------------------------------------------------- NumPy references
def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _cross_entropy(z, target, reduction="mean"):
    losses = -_log_softmax(z, axis=1)[np.arange(len(target)), target]
    return losses if reduction == "none" else losses.mean()


def _scatter_add(a, shape, index):
    out = np.zeros(shape)
    np.add.at(out, index, a)
    return out


def _conv2d(x, w, b=None, stride=1, padding=0):
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))
    out = np.einsum("nchwij,ocij->nohw", windows[:, :, ::stride, ::stride], w)
    return out if b is None else out + b[:, None, None]


def _pool2d(reduce, x, kernel, stride, padding, fill):
    pads = ((0, 0), (0, 0), (padding, padding), (padding, padding))
    x = np.pad(x, pads, constant_values=fill)
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel, kernel), axis=(2, 3))
    return reduce(windows[:, :, ::stride, ::stride], axis=(-2, -1))


def _batch_norm(x, w, b, eps=1e-5):
    axes = (0, *range(2, x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


def _same(fn):  # the same expression for chainrule, NumPy and torch operands
    return {"fn": fn, "numpy": fn, "torch": fn}


REPEATED = [0, 2, 0]
SCATTER = np.array([0, 2, 0])
LABELS, LABELS_NONE = np.array([1, 3]), np.array([0, 2])


def _t(array):  # an index or target array as torch wants it
    return torch.from_numpy(np.asarray(array))


# ---------------------------------------------------------------------- the table
_SPECS = [
    # -- elementwise, as a single op (swept over shape grids too)
    Spec("add", **_same(lambda a, b: a + b), domain="any", shapes=((3, 4), (4,)), grid="binary"),
    Spec("sub", **_same(lambda a, b: a - b), domain="any", shapes=((3, 4), (4,)), grid="binary"),
    Spec("mul", **_same(lambda a, b: a * b), domain="any", shapes=((3, 4), (4,)), grid="binary"),
    Spec(
        "div",
        **_same(lambda a, b: a / b),
        domain=("any", "away_from_zero"),
        shapes=((3, 4), (4,)),
        grid="binary",
    ),
    Spec(
        "pow",
        **_same(lambda a, b: a**b),
        domain=("positive", "any"),
        shapes=((3, 4), (4,)),
        grid="binary",
    ),
    Spec("neg", **_same(lambda x: -x), domain="any", shapes=((5,),), grid="unary"),
    Spec("exp", lambda x: x.exp(), np.exp, lambda x: x.exp(), "any", ((5,),), grid="unary"),
    Spec("log", lambda x: x.log(), np.log, lambda x: x.log(), "positive", ((5,),), grid="unary"),
    Spec("sqrt", lambda x: x.sqrt(), np.sqrt, lambda x: x.sqrt(), "positive", ((5,),), "unary"),
    Spec("abs", lambda x: x.abs(), np.abs, lambda x: x.abs(), "nonzero", ((5,),), "unary"),
    Spec(
        "relu",
        lambda x: x.relu(),
        lambda a: np.maximum(a, 0),
        lambda x: x.relu(),
        "nonzero",
        ((5,),),
        "unary",
    ),
    Spec(
        "sigmoid", lambda x: x.sigmoid(), _sigmoid, lambda x: x.sigmoid(), "any", ((5,),), "unary"
    ),
    Spec("tanh", lambda x: x.tanh(), np.tanh, lambda x: x.tanh(), "any", ((5,),), "unary"),
    Spec(
        "softplus",
        lambda x: ops.Softplus.apply(x),
        lambda a: np.log1p(np.exp(a)),
        lambda x: TF.softplus(x),
        "any",
        ((5,),),
        "unary",
    ),
    # -- use-cases with non-trivial second derivatives (inputs in [0.5, 1.5])
    Spec("add_broadcast", **_same(lambda a, b: a + b), domain="around_one", shapes=((3, 4), (4,))),
    Spec(
        "sub_broadcast", **_same(lambda a, b: a - b), domain="around_one", shapes=((3, 1), (1, 4))
    ),
    Spec(
        "mul_broadcast",
        **_same(lambda a, b: a * b * a),
        domain="around_one",
        shapes=((3, 4), (3, 1)),
    ),
    Spec("div_same", **_same(lambda a, b: a / b), domain="around_one", shapes=((3, 4), (3, 4))),
    Spec("pow_both", **_same(lambda a, b: a**b), domain="around_one", shapes=((3, 4), (3, 4))),
    Spec(
        "neg_exp",
        lambda a: (-a).exp(),
        lambda a: np.exp(-a),
        lambda a: (-a).exp(),
        "around_one",
        ((5,),),
    ),
    Spec(
        "log_times",
        lambda a: a.log() * a,
        lambda a: np.log(a) * a,
        lambda a: a.log() * a,
        "around_one",
        ((5,),),
    ),
    Spec(
        "sqrt_times",
        lambda a: a.sqrt() * a,
        lambda a: np.sqrt(a) * a,
        lambda a: a.sqrt() * a,
        "around_one",
        ((5,),),
    ),
    Spec(
        "abs_shifted",
        lambda a: (a - 1).abs() * a,
        lambda a: np.abs(a - 1) * a,
        lambda a: (a - 1).abs() * a,
        "around_one",
        ((5,),),
    ),
    Spec(
        "relu_shifted",
        lambda a: (a - 1).relu() * a,
        lambda a: np.maximum(a - 1, 0) * a,
        lambda a: (a - 1).relu() * a,
        "around_one",
        ((6,),),
    ),
    Spec(
        "sigmoid_shifted",
        lambda a: (3 * a - 3).sigmoid(),
        lambda a: _sigmoid(3 * a - 3),
        lambda a: (3 * a - 3).sigmoid(),
        "around_one",
        ((6,),),
    ),
    Spec(
        "tanh_shifted",
        lambda a: (3 * a - 3).tanh(),
        lambda a: np.tanh(3 * a - 3),
        lambda a: (3 * a - 3).tanh(),
        "around_one",
        ((6,),),
    ),
    Spec(
        "softplus_shifted",
        lambda a: F.softplus(3 * a - 3),
        lambda a: np.logaddexp(0, 3 * a - 3),
        lambda a: TF.softplus(3 * a - 3),
        "around_one",
        ((6,),),
    ),
    Spec(
        "where",
        lambda a, b: cr.where(a.data > 1, a * a, b * b),
        lambda a, b: np.where(a > 1, a * a, b * b),
        lambda a, b: torch.where(a.detach() > 1, a * a, b * b),
        "around_one",
        ((3, 4), (4,)),
    ),
    Spec(
        "sum_axis",
        lambda a: (a * a).sum(axis=1, keepdims=True) * a,
        lambda a: (a * a).sum(axis=1, keepdims=True) * a,
        lambda a: (a * a).sum(dim=1, keepdim=True) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "mean_axis",
        lambda a: (a * a).mean(axis=0) * a,
        lambda a: (a * a).mean(axis=0) * a,
        lambda a: (a * a).mean(dim=0) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "max_axis",
        lambda a: (a * a).max(axis=1) * a[:, 0],
        lambda a: (a * a).max(axis=1) * a[:, 0],
        lambda a: (a * a).amax(dim=1) * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "min_axis",
        lambda a: (a * a).min(axis=0) * a[0],
        lambda a: (a * a).min(axis=0) * a[0],
        lambda a: (a * a).amin(dim=0) * a[0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "reshape_transpose",
        **_same(lambda a: (a * a).reshape(4, 3).T * a),
        domain="around_one",
        shapes=((3, 4),),
    ),
    Spec(
        "broadcast_to",
        lambda a: (a * a).broadcast_to((2, 3, 4)) * a,
        lambda a: np.broadcast_to(a * a, (2, 3, 4)) * a,
        lambda a: (a * a).broadcast_to((2, 3, 4)) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "getitem_repeated",
        lambda a: (a * a)[np.array(REPEATED)] * a[:3],
        lambda a: (a * a)[np.array(REPEATED)] * a[:3],
        lambda a: (a * a)[torch.tensor(REPEATED)] * a[:3],
        "around_one",
        ((4,),),
    ),
    Spec(
        "getitem_slice",
        lambda a: (a * a)[1:, ::2] * a[1:, ::2],
        lambda a: (a * a)[1:, ::2] * a[1:, ::2],
        lambda a: (a * a)[1:, ::2] * a[1:, ::2],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "concat_stack",
        lambda a, b: cr.concat([a * a, b], axis=1).sum(0) * cr.stack([a, a]).sum(),
        lambda a, b: np.concatenate([a * a, b], axis=1).sum(0) * np.stack([a, a]).sum(),
        lambda a, b: torch.cat([a * a, b], dim=1).sum(0) * torch.stack([a, a]).sum(),
        "around_one",
        ((2, 3), (2, 2)),
    ),
    Spec(
        "scatter_add",
        lambda a: ops.ScatterAdd.apply(a * a, shape=(5,), index=SCATTER),
        lambda a: _scatter_add(a * a, (5,), SCATTER),
        lambda a: torch.zeros(5, dtype=a.dtype).index_add(0, _t(SCATTER), a * a),
        "around_one",
        ((3,),),
    ),
    Spec(
        "matmul_2d",
        **_same(lambda a, b: (a @ b) * (a @ b)),
        domain="around_one",
        shapes=((2, 3), (3, 4)),
    ),
    Spec(
        "matmul_1d",
        **_same(lambda a, b: (a @ b) * (a @ b)),
        domain="around_one",
        shapes=((3,), (3, 4)),
    ),
    Spec(
        "matmul_batched",
        **_same(lambda a, b: (a @ b) * (a @ b)),
        domain="around_one",
        shapes=((2, 2, 3), (3, 2)),
    ),
    Spec(
        "linear",
        lambda x, w, b: F.linear(x, w, b) * F.linear(x, w, b),
        lambda x, w, b: (x @ w.T + b) ** 2,
        lambda x, w, b: TF.linear(x, w, b) * TF.linear(x, w, b),
        "around_one",
        ((2, 3), (4, 3), (4,)),
    ),
    Spec(
        "log_softmax",
        lambda a: F.log_softmax(a * a, axis=1),
        lambda a: _log_softmax(a * a, axis=1),
        lambda a: TF.log_softmax(a * a, dim=1),
        "around_one",
        ((2, 4),),
    ),
    Spec(
        "cross_entropy",
        lambda a: F.cross_entropy(a * a, LABELS),
        lambda a: _cross_entropy(a * a, LABELS),
        lambda a: TF.cross_entropy(a * a, _t(LABELS)),
        "around_one",
        ((2, 4),),
    ),
    Spec(
        "cross_entropy_none",
        lambda a: F.cross_entropy(a * a, LABELS_NONE, reduction="none"),
        lambda a: _cross_entropy(a * a, LABELS_NONE, reduction="none"),
        lambda a: TF.cross_entropy(a * a, _t(LABELS_NONE), reduction="none"),
        "around_one",
        ((2, 4),),
    ),
    Spec(
        "mse_loss",
        lambda a, b: F.mse_loss(a * a, b),
        lambda a, b: ((a * a - b) ** 2).mean(),
        lambda a, b: TF.mse_loss(a * a, b),
        "around_one",
        ((2, 3), (2, 3)),
    ),
    # -- conv.py's primitives, through nn.functional
    Spec(
        "conv2d_image",
        lambda x, w: F.conv2d(x, w, padding=1),
        lambda x, w: _conv2d(x, w, padding=1),
        lambda x, w: TF.conv2d(x, w, padding=1),
        "around_one",
        ((2, 1, 5, 5), (3, 1, 3, 3)),
    ),
    Spec(
        "conv2d_channels",
        lambda x, w, b: F.conv2d(x, w, b, stride=2),
        lambda x, w, b: _conv2d(x, w, b, stride=2),
        lambda x, w, b: TF.conv2d(x, w, b, stride=2),
        "around_one",
        ((2, 4, 6, 6), (3, 4, 3, 3), (3,)),
    ),
    Spec(
        "conv2d_one_pixel",
        lambda x, w: F.conv2d(x, w),
        _conv2d,
        lambda x, w: TF.conv2d(x, w),
        "around_one",
        ((1, 4, 1, 1), (2, 4, 1, 1)),
    ),
    Spec(
        "max_pool2d",
        lambda x: F.max_pool2d(x * x, 2),
        lambda x: _pool2d(np.max, x * x, 2, 2, 0, -np.inf),
        lambda x: TF.max_pool2d(x * x, 2),
        "around_one",
        ((2, 3, 4, 4),),
    ),
    Spec(
        "avg_pool2d",
        lambda x: F.avg_pool2d(x * x, 3, stride=1, padding=1),
        lambda x: _pool2d(np.mean, x * x, 3, 1, 1, 0.0),
        lambda x: TF.avg_pool2d(x * x, 3, stride=1, padding=1),
        "around_one",
        ((2, 3, 4, 4),),
    ),
    Spec(
        "batch_norm",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        _batch_norm,
        lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
        "around_one",
        ((4, 3, 2, 2), (3,), (3,)),
    ),
    Spec(
        "unfold",
        lambda x: conv.Unfold.apply(x * x, kernel=(2, 2), stride=(1, 1), padding=(1, 1)),
        lambda x: _torch_numpy(TF.unfold, x * x, (2, 2), padding=1),
        lambda x: TF.unfold(x * x, (2, 2), padding=1),
        "around_one",
        ((2, 3, 4, 4),),
    ),
    Spec(
        "fold",
        lambda c: conv.Fold.apply(
            c * c, shape=(2, 3, 4, 4), kernel=(2, 2), stride=(1, 1), padding=(1, 1)
        ),
        lambda c: _torch_numpy(TF.fold, c * c, (4, 4), (2, 2), padding=1),
        lambda c: TF.fold(c * c, (4, 4), (2, 2), padding=1),
        "around_one",
        ((2, 12, 25),),
    ),

    # -- tensor spelling (views, casts, comparisons)

    # -- creation and top-level functions

    # -- elementwise math

    # -- reductions and scans

    # -- indexing

    # -- activations and losses

    # -- layers: embedding, normalisation, convolution, pooling, resizing
    Spec(
        "conv2d_groups_dilation",
        lambda x, w, b: F.conv2d(x * x, w, b, (2, 1), (1, 2), dilation=(2, 1), groups=2),
        lambda x, w, b: _torch_numpy(
            lambda t: TF.conv2d(t * t, _t(w), _t(b), (2, 1), (1, 2), dilation=(2, 1), groups=2), x
        ),
        lambda x, w, b: TF.conv2d(x * x, w, b, (2, 1), (1, 2), dilation=(2, 1), groups=2),
        "around_one",
        ((2, 4, 5, 4), (4, 2, 2, 2), (4,)),
    ),
    Spec(
        "conv2d_same_even_kernel",
        lambda x, w: F.conv2d(x * x, w, padding="same"),
        lambda x, w: _torch_numpy(lambda t: TF.conv2d(t * t, _t(w), padding="same"), x),
        lambda x, w: TF.conv2d(x * x, w, padding="same"),
        "around_one",
        ((2, 3, 4, 4), (2, 3, 2, 3)),
    ),
    Spec(
        "conv1d",
        lambda x, w, b: F.conv1d(x * x, w, b, stride=2, padding=1, dilation=2, groups=2),
        lambda x, w, b: _torch_numpy(
            lambda t: TF.conv1d(t * t, _t(w), _t(b), stride=2, padding=1, dilation=2, groups=2), x
        ),
        lambda x, w, b: TF.conv1d(x * x, w, b, stride=2, padding=1, dilation=2, groups=2),
        "around_one",
        ((2, 4, 7), (2, 2, 3), (2,)),
    ),
    Spec(
        "conv_transpose2d",
        lambda x, w, b: F.conv_transpose2d(x * x, w, b, 2, 1, 1, groups=2, dilation=(1, 2)),
        lambda x, w, b: _torch_numpy(
            lambda t: TF.conv_transpose2d(t * t, _t(w), _t(b), 2, 1, 1, groups=2, dilation=(1, 2)),
            x,
        ),
        lambda x, w, b: TF.conv_transpose2d(x * x, w, b, 2, 1, 1, groups=2, dilation=(1, 2)),
        "around_one",
        ((2, 4, 3, 3), (4, 2, 2, 2), (4,)),
    ),
    Spec(
        "conv_transpose1d",
        lambda x, w: F.conv_transpose1d(x * x, w, stride=3, output_padding=2),
        lambda x, w: _torch_numpy(
            lambda t: TF.conv_transpose1d(t * t, _t(w), stride=3, output_padding=2), x
        ),
        lambda x, w: TF.conv_transpose1d(x * x, w, stride=3, output_padding=2),
        "around_one",
        ((1, 2, 3), (2, 3, 2)),
    ),
    Spec(
        "unfold_dilated",
        lambda x: F.unfold(x * x, 2, dilation=2, padding=1, stride=(1, 2)),
        lambda x: _torch_numpy(TF.unfold, x * x, 2, dilation=2, padding=1, stride=(1, 2)),
        lambda x: TF.unfold(x * x, 2, dilation=2, padding=1, stride=(1, 2)),
        "around_one",
        ((2, 2, 5, 5),),
    ),
    Spec(
        "fold_dilated",
        lambda c: F.fold(c * c, (5, 5), 2, dilation=2, padding=1),
        lambda c: _torch_numpy(TF.fold, c * c, (5, 5), 2, dilation=2, padding=1),
        lambda c: TF.fold(c * c, (5, 5), 2, dilation=2, padding=1),
        "around_one",
        ((2, 8, 25),),
    ),
    Spec(
        "max_pool2d_ceil_dilation",
        lambda x: F.max_pool2d(x * x, (2, 3), 2, 1, dilation=(2, 1), ceil_mode=True),
        lambda x: _torch_numpy(TF.max_pool2d, x * x, (2, 3), 2, 1, dilation=(2, 1), ceil_mode=True),
        lambda x: TF.max_pool2d(x * x, (2, 3), 2, 1, dilation=(2, 1), ceil_mode=True),
        "around_one",
        ((2, 2, 6, 5),),
    ),
    Spec(
        "max_pool1d_ceil",
        lambda x: F.max_pool1d(x * x, 3, 2, ceil_mode=True),
        lambda x: _torch_numpy(TF.max_pool1d, x * x, 3, 2, ceil_mode=True),
        lambda x: TF.max_pool1d(x * x, 3, 2, ceil_mode=True),
        "around_one",
        ((2, 3, 8),),
    ),
    Spec(
        "avg_pool2d_ceil_exclude_pad",
        lambda x: F.avg_pool2d(x * x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda x: _torch_numpy(
            TF.avg_pool2d, x * x, 3, 2, 1, ceil_mode=True, count_include_pad=False
        ),
        lambda x: TF.avg_pool2d(x * x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        "around_one",
        ((2, 2, 6, 5),),
    ),
    Spec(
        "max_unpool2d",
        lambda x: F.max_unpool2d(*F.max_pool2d(x * x, 2, return_indices=True), 2),
        lambda x: _torch_numpy(
            lambda t: TF.max_unpool2d(*TF.max_pool2d(t, 2, return_indices=True), 2), x * x
        ),
        lambda x: TF.max_unpool2d(*TF.max_pool2d(x * x, 2, return_indices=True), 2),
        "around_one",
        ((2, 2, 4, 4),),
    ),
    Spec(
        "adaptive_avg_pool2d",
        lambda x: F.adaptive_avg_pool2d(x * x, (3, 2)),
        lambda x: _torch_numpy(TF.adaptive_avg_pool2d, x * x, (3, 2)),
        lambda x: TF.adaptive_avg_pool2d(x * x, (3, 2)),
        "around_one",
        ((2, 2, 5, 7),),
    ),
    Spec(
        "adaptive_max_pool2d",
        lambda x: F.adaptive_max_pool2d(x * x, (3, 2)),
        lambda x: _torch_numpy(TF.adaptive_max_pool2d, x * x, (3, 2)),
        lambda x: TF.adaptive_max_pool2d(x * x, (3, 2)),
        "around_one",
        ((2, 2, 5, 7),),
    ),
    Spec(
        "interpolate_nearest",
        lambda x: F.interpolate(x * x, scale_factor=(1.5, 2)),
        lambda x: _torch_numpy(TF.interpolate, x * x, scale_factor=(1.5, 2)),
        lambda x: TF.interpolate(x * x, scale_factor=(1.5, 2)),
        "around_one",
        ((1, 2, 3, 4),),
    ),
    Spec(
        "interpolate_bilinear",
        lambda x: F.interpolate(x * x, size=(5, 3), mode="bilinear"),
        lambda x: _torch_numpy(TF.interpolate, x * x, size=(5, 3), mode="bilinear"),
        lambda x: TF.interpolate(x * x, size=(5, 3), mode="bilinear"),
        "around_one",
        ((1, 2, 3, 4),),
    ),
    Spec(
        "interpolate_bicubic_corners",
        lambda x: F.interpolate(x * x, size=(5, 7), mode="bicubic", align_corners=True),
        lambda x: _torch_numpy(
            TF.interpolate, x * x, size=(5, 7), mode="bicubic", align_corners=True
        ),
        lambda x: TF.interpolate(x * x, size=(5, 7), mode="bicubic", align_corners=True),
        "around_one",
        ((1, 2, 3, 4),),
    ),
    Spec(
        "interpolate_linear",
        lambda x: F.interpolate(x * x, scale_factor=2.5, mode="linear"),
        lambda x: _torch_numpy(TF.interpolate, x * x, scale_factor=2.5, mode="linear"),
        lambda x: TF.interpolate(x * x, scale_factor=2.5, mode="linear"),
        "around_one",
        ((2, 2, 3),),
    ),
    Spec(
        "layer_norm",
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
        lambda x, w, b: _torch_numpy(lambda t: TF.layer_norm(t, (3, 4), _t(w), _t(b)), x),
        lambda x, w, b: TF.layer_norm(x, (3, 4), w, b),
        "around_one",
        ((2, 3, 4), (3, 4), (3, 4)),
    ),
    Spec(
        "group_norm",
        lambda x, w, b: F.group_norm(x, 2, w, b),
        lambda x, w, b: _torch_numpy(lambda t: TF.group_norm(t, 2, _t(w), _t(b)), x),
        lambda x, w, b: TF.group_norm(x, 2, w, b),
        "around_one",
        ((2, 4, 3), (4,), (4,)),
    ),
    Spec(
        "normalize",
        lambda x: F.normalize(x - 1, dim=1),
        lambda x: _torch_numpy(TF.normalize, x - 1, dim=1),
        lambda x: TF.normalize(x - 1, dim=1),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "normalize_p3",
        lambda x: F.normalize(x, p=3, dim=0),
        lambda x: _torch_numpy(TF.normalize, x, p=3, dim=0),
        lambda x: TF.normalize(x, p=3, dim=0),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "embedding_padding",
        lambda w: F.embedding(np.array([[0, 1, 3], [3, 3, 2]]), w * w, padding_idx=1),
        lambda w: (w * w)[np.array([[0, 1, 3], [3, 3, 2]])],
        lambda w: TF.embedding(_t([[0, 1, 3], [3, 3, 2]]), w * w, padding_idx=1),
        "around_one",
        ((4, 3),),
    ),
    Spec(
        "embedding_scale_grad_by_freq",
        lambda w: F.embedding(np.array([0, 2, 2, 2]), w * w, scale_grad_by_freq=True),
        lambda w: (w * w)[np.array([0, 2, 2, 2])],
        lambda w: TF.embedding(_t([0, 2, 2, 2]), w * w, scale_grad_by_freq=True),
        "around_one",
        ((3, 2),),
    ),
]

SPECS: dict[str, Spec] = {spec.name: spec for spec in _SPECS}
assert len(SPECS) == len(_SPECS), "spec names must be unique"
UNARY = [name for name, spec in SPECS.items() if spec.grid == "unary"]
BINARY = [name for name, spec in SPECS.items() if spec.grid == "binary"]


def primitives() -> set[type]:
    """chainrule's primitive classes (``fresh_grads=True`` Functions defined in chainrule); a
    private base (ops.reduce._Extremum, shared by Max and Min) is never applied itself."""
    import chainrule.conv  # noqa: F401  (its primitives are subclasses once imported)

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    return {
        cls
        for cls in subclasses(Function)
        if cls._fresh_grads
        and cls.__name__[0] != "_"
        and cls.__module__.split(".")[0] == "chainrule"
    }


def graph_nodes(root: cr.Tensor) -> list[Function]:
    """Every node of the graph that made ``root``, each once."""
    seen: dict[int, Function] = {}
    stack = [root]
    while stack:
        ctx = stack.pop()._ctx
        if ctx is not None and id(ctx) not in seen:
            seen[id(ctx)] = ctx
            stack.extend(ctx.inputs)
    return list(seen.values())


def covered_primitives() -> set[type]:
    """The primitive classes on the graphs of the specs."""
    covered: set[type] = set()
    for spec in SPECS.values():
        covered |= {type(c) for c in graph_nodes(spec.fn(*map(_leaf, spec.draw())))}
    return covered


def _leaf(array: np.ndarray) -> cr.Tensor:
    return cr.tensor(array, requires_grad=True)


def params(names: Sequence[str] | None = None, create_graph: bool = False) -> list[Any]:
    """``pytest.param`` per spec (all by default), with its create_graph marks if asked."""
    names = list(SPECS) if names is None else names
    return [
        pytest.param(SPECS[n], id=n, marks=SPECS[n].create_graph_marks if create_graph else ())
        for n in names
    ]
