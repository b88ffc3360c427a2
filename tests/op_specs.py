"""The op spec table: one line per primitive use-case drives the per-op tests.

Each ``Spec`` names a chainrule function of Tensors, its NumPy reference (on arrays), its
PyTorch twin (on torch tensors), the domain its inputs are drawn from and their shapes.
These tests draw their per-op cases from ``SPECS``:

- tests/test_vs_torch.py: every spec at its own shapes, values and grads against torch;
  the ``grid`` specs also over the shape grids and, for binary ones, with a Python scalar
  on either side;
- tests/test_ops_elementwise.py: the ``grid`` specs, forward against NumPy and grads
  against central differences over the same grids, and float32 staying float32 (unary);
- tests/test_properties.py: the binary ``grid`` specs over random broadcasts (hypothesis);
- tests/test_hvp_vs_torch.py: every spec, create_graph=True first grads and HVPs against
  torch, and that every primitive appears on some spec's graph;
- tests/test_double_backward.py: every spec, create_graph=True first grads against the plain
  backward and second derivatives against central differences;
- tests/test_grad_contract.py: every spec's nodes keep the engine's fresh-grads contract.

A ``grid`` spec is "unary" (swept over helpers.UNARY_SHAPES) or "binary" (swept over
helpers.BROADCAST_PAIRS, and called as ``fn(1.5, x)`` and ``fn(x, 1.5)``, so its three
columns must accept a Python scalar on either side). Adding an op means its rule, one line
here and its export.

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
from chainrule.autograd import Function, graph
from helpers import away_from_zero

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the torch columns are only called by tests that importorskip torch
    torch = TF = None

Shape = tuple[int, ...]


def _torch_pair(name: str) -> Callable[..., Any]:
    """torch's two-tensor function ``name``, also taking a Python number on either side (as
    chainrule's does), made a 0-d tensor of the other operand's dtype."""

    def call(a: Any, b: Any) -> Any:
        like = a if torch.is_tensor(a) else b
        a, b = (x if torch.is_tensor(x) else torch.tensor(x, dtype=like.dtype) for x in (a, b))
        return getattr(torch, name)(a, b)

    return call


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

    def draw_beside_scalar(self, side: str, shape: Shape, seed: int = 0) -> np.ndarray:
        """A binary spec's tensor operand when a Python scalar stands on ``side`` ("left":
        ``fn(1.5, x)``, "right": ``fn(x, 1.5)``), in the domain of the tensor's position."""
        assert side in ("left", "right"), side
        domain = self.domains(2)[1 if side == "left" else 0]
        return draw_domain(np.random.default_rng(seed), domain, shape)


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


def _pieces(p, q):  # two pieces of a split (or grids), combined with a second derivative
    return p * q * q

# sdpa specs: which keys each of 3 queries may attend to (row 1 none)
_SDPA_KEEP = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)


def _torch_sdpa(*arrays, **kwargs):  # the NumPy column: PyTorch's on the arrays
    tensors = [torch.from_numpy(a) for a in arrays]
    kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return TF.scaled_dot_product_attention(*tensors, **kwargs).numpy()



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
    Spec(
        "view_permute",
        lambda a: (a * a).view(5, -1).permute(-1, 0) * a.view_as(a),
        lambda a: (a * a).reshape(5, -1).transpose(1, 0) * a,
        lambda a: (a * a).view(5, -1).permute(-1, 0) * a.view_as(a),
        "around_one",
        ((3, 5),),
    ),
    Spec(
        "squeeze_unsqueeze",
        lambda a: (a * a).squeeze((0, -2)).unsqueeze(-1) * a.squeeze().unsqueeze(2),
        lambda a: np.squeeze(a * a, -2)[:, :, None] * np.squeeze(a)[:, :, None],
        lambda a: (a * a).squeeze((0, -2)).unsqueeze(-1) * a.squeeze().unsqueeze(2),
        "around_one",
        ((3, 1, 5),),
    ),
    Spec(
        "expand",
        lambda a: (a * a).expand(2, -1, 5) * a.expand_as(a),
        lambda a: np.broadcast_to(a * a, (2, 3, 5)) * a,
        lambda a: (a * a).expand(2, -1, 5) * a.expand_as(a),
        "around_one",
        ((3, 1),),
    ),
    Spec(
        "flatten_unflatten",
        lambda a: (a * a).flatten(0, 1).unflatten(-1, (5, 1)) * a.flatten(0, -2).unsqueeze(-1),
        lambda a: (a * a).reshape(6, 5, 1) * a.reshape(6, 5, 1),
        lambda a: (a * a).flatten(0, 1).unflatten(-1, (5, 1)) * a.flatten(0, -2).unsqueeze(-1),
        "around_one",
        ((2, 3, 5),),
    ),
    Spec(
        "clone_contiguous",
        lambda a: (a * a).clone().t().contiguous() * a.mT,
        lambda a: np.ascontiguousarray((a * a).T) * a.T,
        lambda a: (a * a).clone().t().contiguous() * a.mT,
        "around_one",
        ((3, 5),),
    ),
    # float64 -> longdouble -> float64 is exact, so central differences see a smooth function
    # (a float32 round trip is checked against torch in tests/test_tensor_spelling.py); torch
    # has no longdouble, and its twin is the same function without the casts.
    Spec(
        "float_casts",
        lambda a: (a * a).to(np.longdouble).type_as(a) * a.to(np.longdouble).double(),
        lambda a: (a * a).astype(np.longdouble).astype(np.float64) * a,
        lambda a: (a * a).double() * a,
        "around_one",
        ((3, 5),),
    ),
    Spec(
        "max_min_dim",
        lambda a: (a * a).max(-1, keepdim=True).values * a + a.min(dim=0).values,
        lambda a: (a * a).max(-1, keepdims=True) * a + a.min(0),
        lambda a: (a * a).max(-1, keepdim=True).values * a + a.min(dim=0).values,
        "around_one",
        ((3, 5),),
    ),

    # -- creation and top-level functions
    Spec(
        "einsum",
        lambda a, b: cr.einsum("ij,jk,kk->ik", a * a, b, b),
        lambda a, b: np.einsum("ij,jk,kk->ik", a * a, b, b),
        lambda a, b: torch.einsum("ij,jk,kk->ik", a * a, b, b),
        "around_one",
        ((3, 4), (4, 4)),
    ),
    Spec(
        "split",
        lambda a: _pieces(*cr.split(a * a, [1, 3], dim=1)),
        lambda a: _pieces(*np.split(a * a, [1], axis=1)),
        lambda a: _pieces(*torch.split(a * a, [1, 3], dim=1)),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "chunk",
        lambda a: _pieces(*(a * a).chunk(2, dim=-1)),
        lambda a: _pieces(*np.split(a * a, 2, axis=-1)),
        lambda a: _pieces(*(a * a).chunk(2, dim=-1)),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "cat_stack_dim",
        lambda a, b: cr.stack([a * a, b], dim=-1) * cr.cat([a, b], dim=0).reshape(2, 3, 2),
        lambda a, b: np.stack([a * a, b], axis=-1) * np.concatenate([a, b]).reshape(2, 3, 2),
        lambda a, b: torch.stack([a * a, b], dim=-1) * torch.cat([a, b], dim=0).reshape(2, 3, 2),
        "around_one",
        ((2, 3), (2, 3)),
    ),
    Spec(
        "flip",
        lambda a: cr.flip(a * a, (0, -1)) * a,
        lambda a: np.flip(a * a, (0, -1)) * a,
        lambda a: torch.flip(a * a, (0, -1)) * a,
        "around_one",
        ((2, 3, 4),),
    ),
    Spec(
        "roll",
        lambda a: cr.roll(a * a, (1, -3), (0, 1)) * a,
        lambda a: np.roll(a * a, (1, -3), (0, 1)) * a,
        lambda a: torch.roll(a * a, (1, -3), (0, 1)) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "tril",
        lambda a: cr.tril(a * a, -1) * a,
        lambda a: np.tril(a * a, -1) * a,
        lambda a: torch.tril(a * a, -1) * a,
        "around_one",
        ((2, 3, 4),),
    ),
    Spec(
        "triu",
        lambda a: (a * a).triu(1) * a,
        lambda a: np.triu(a * a, 1) * a,
        lambda a: (a * a).triu(1) * a,
        "around_one",
        ((4, 3),),
    ),
    Spec(
        "meshgrid",
        lambda a, b: _pieces(*cr.meshgrid(a * a, b, indexing="xy")),
        lambda a, b: _pieces(*np.meshgrid(a * a, b, indexing="xy")),
        lambda a, b: _pieces(*torch.meshgrid(a * a, b, indexing="xy")),
        "around_one",
        ((3,), (2,)),
    ),

    # -- elementwise math
    Spec("sin", cr.sin, np.sin, lambda x: torch.sin(x), "any", ((5,),), "unary"),
    Spec("cos", cr.cos, np.cos, lambda x: torch.cos(x), "any", ((5,),), "unary"),
    Spec(
        "tan",
        lambda a: cr.tan(a - 1),
        lambda a: np.tan(a - 1),
        lambda a: (a - 1).tan(),
        "around_one",
        ((6,),),
    ),
    Spec(
        "asin",
        lambda a: cr.asin(a - 1),
        lambda a: np.asin(a - 1),
        lambda a: (a - 1).asin(),
        "around_one",
        ((6,),),
    ),
    Spec(
        "acos",
        lambda a: cr.acos(a - 1),
        lambda a: np.acos(a - 1),
        lambda a: (a - 1).acos(),
        "around_one",
        ((6,),),
    ),
    Spec("atan", cr.atan, np.atan, lambda x: torch.atan(x), "any", ((5,),), "unary"),
    Spec("sinh", cr.sinh, np.sinh, lambda x: torch.sinh(x), "any", ((5,),), "unary"),
    Spec("cosh", cr.cosh, np.cosh, lambda x: torch.cosh(x), "any", ((5,),), "unary"),
    Spec("asinh", cr.asinh, np.asinh, lambda x: torch.asinh(x), "any", ((5,),), "unary"),
    Spec(
        "acosh",
        lambda a: cr.acosh(a + 1),
        lambda a: np.acosh(a + 1),
        lambda a: (a + 1).acosh(),
        "around_one",
        ((6,),),
    ),
    Spec(
        "atanh",
        lambda a: cr.atanh(a - 1),
        lambda a: np.atanh(a - 1),
        lambda a: (a - 1).atanh(),
        "around_one",
        ((6,),),
    ),
    Spec("log2", cr.log2, np.log2, lambda x: torch.log2(x), "positive", ((5,),), "unary"),
    Spec("log10", cr.log10, np.log10, lambda x: torch.log10(x), "positive", ((5,),), "unary"),
    Spec(
        "log1p",
        lambda a: cr.log1p(a - 1),
        lambda a: np.log1p(a - 1),
        lambda a: (a - 1).log1p(),
        "around_one",
        ((6,),),
    ),
    Spec("exp2", cr.exp2, np.exp2, lambda x: torch.exp2(x), "any", ((5,),), "unary"),
    Spec("expm1", cr.expm1, np.expm1, lambda x: torch.expm1(x), "any", ((5,),), "unary"),
    Spec(
        "rsqrt",
        cr.rsqrt,
        lambda a: 1 / np.sqrt(a),
        lambda x: torch.rsqrt(x),
        "positive",
        ((5,),),
        "unary",
    ),
    Spec(
        "reciprocal",
        cr.reciprocal,
        lambda a: 1 / a,
        lambda x: torch.reciprocal(x),
        "away_from_zero",
        ((5,),),
        "unary",
    ),
    Spec("square", cr.square, np.square, lambda x: torch.square(x), "any", ((5,),), "unary"),
    Spec(
        "erf",
        cr.erf,
        lambda a: _torch_numpy(torch.erf, a),
        lambda x: torch.erf(x),
        "any",
        ((5,),),
        "unary",
    ),
    Spec(
        "erfc",
        cr.erfc,
        lambda a: _torch_numpy(torch.erfc, a),
        lambda x: torch.erfc(x),
        "any",
        ((5,),),
        "unary",
    ),
    Spec(
        "frac",
        lambda a: cr.frac(3 * a) * a,
        lambda a: (3 * a - np.trunc(3 * a)) * a,
        lambda a: torch.frac(3 * a) * a,
        "around_one",
        ((6,),),
    ),
    Spec(
        "atan2",
        cr.atan2,
        np.atan2,
        _torch_pair("atan2"),
        "any",
        ((3, 4), (4,)),
        "binary",
    ),
    Spec(
        "hypot",
        cr.hypot,
        np.hypot,
        _torch_pair("hypot"),
        "any",
        ((3, 4), (4,)),
        "binary",
    ),
    Spec(
        "maximum",
        cr.maximum,
        np.maximum,
        _torch_pair("maximum"),
        "any",
        ((3, 4), (4,)),
        "binary",
    ),
    Spec(
        "minimum",
        cr.minimum,
        np.minimum,
        _torch_pair("minimum"),
        "any",
        ((3, 4), (4,)),
        "binary",
    ),
    Spec(
        "clamp_tensors",
        lambda x, lo, hi: cr.clamp(x, -lo, hi) * x,
        lambda x, lo, hi: np.clip(x, -lo, hi) * x,
        lambda x, lo, hi: torch.clamp(x, -lo, hi) * x,
        ("any", "around_one", "around_one"),
        ((3, 4), (4,), (3, 1)),
    ),
    Spec(
        "clamp_numbers",
        lambda x: cr.clamp(x, -0.5, 0.5) * x,
        lambda x: np.clip(x, -0.5, 0.5) * x,
        lambda x: torch.clamp(x, -0.5, 0.5) * x,
        "any",
        ((3, 4),),
    ),
    Spec(
        "clamp_min",
        lambda x: cr.clamp(x, min=0.2) * x,
        lambda x: np.maximum(x, 0.2) * x,
        lambda x: torch.clamp(x, min=0.2) * x,
        "any",
        ((3, 4),),
    ),
    Spec(
        "copysign",
        lambda a, b: cr.copysign(a, b) * a,
        lambda a, b: np.copysign(a, b) * a,
        lambda a, b: torch.copysign(a, b) * a,
        "nonzero",
        ((3, 4), (4,)),
    ),
    Spec(
        "fmod",
        lambda a, b: cr.fmod(a * 3, b) * b,
        lambda a, b: np.fmod(a * 3, b) * b,
        lambda a, b: torch.fmod(a * 3, b) * b,
        ("any", "away_from_zero"),
        ((3, 4), (4,)),
    ),
    Spec(
        "remainder",
        lambda a, b: cr.remainder(a * 3, b) * b,
        lambda a, b: np.remainder(a * 3, b) * b,
        lambda a, b: torch.remainder(a * 3, b) * b,
        ("any", "away_from_zero"),
        ((3, 4), (4,)),
    ),
    Spec(
        "lerp",
        lambda a, b, w: cr.lerp(a, b, 2 * w - 2) * a,
        lambda a, b, w: (a + (2 * w - 2) * (b - a)) * a,
        lambda a, b, w: torch.lerp(a, b, 2 * w - 2) * a,
        ("any", "any", "around_one"),
        ((3, 4), (4,), (3, 4)),
    ),
    Spec(
        "lerp_number",
        lambda a, b: cr.lerp(a, b, 0.75) * a,
        lambda a, b: (a + 0.75 * (b - a)) * a,
        lambda a, b: torch.lerp(a, b, 0.75) * a,
        "any",
        ((3, 4), (3, 4)),
    ),
    Spec(
        "logaddexp",
        cr.logaddexp,
        np.logaddexp,
        _torch_pair("logaddexp"),
        "any",
        ((3, 4), (4,)),
        "binary",
    ),
    Spec(
        "logaddexp2",
        cr.logaddexp2,
        np.logaddexp2,
        _torch_pair("logaddexp2"),
        "any",
        ((3, 4), (4,)),
        "binary",
    ),
    Spec(
        "nan_to_num",
        lambda a: cr.nan_to_num(a * a + cr.tensor([0, np.nan, np.inf, -np.inf, 0]), 0.5, 3, -3) * a,
        lambda a: (
            np.nan_to_num(a * a + np.array([0, np.nan, np.inf, -np.inf, 0]), 1, 0.5, 3, -3) * a
        ),
        lambda a: (
            torch.nan_to_num(a * a + torch.tensor([0, np.nan, np.inf, -np.inf, 0]), 0.5, 3, -3) * a
        ),
        "any",
        ((5,),),
    ),

    # -- reductions and scans
    Spec(
        "sum_dims_keepdim",
        lambda a: (a * a).sum(dim=(0, -1), keepdim=True) * a,
        lambda a: (a * a).sum(axis=(0, -1), keepdims=True) * a,
        lambda a: (a * a).sum(dim=(0, -1), keepdim=True) * a,
        "around_one",
        ((2, 3, 4),),
    ),
    Spec(
        "mean_neg_dim",
        lambda a: (a * a).mean(dim=-2) * a[:, 0],
        lambda a: (a * a).mean(axis=-2) * a[:, 0],
        lambda a: (a * a).mean(dim=-2) * a[:, 0],
        "around_one",
        ((2, 3, 4),),
    ),
    Spec(
        "prod_dim",
        lambda a: (a * a).prod(dim=-1, keepdim=True) * a,
        lambda a: (a * a).prod(axis=-1, keepdims=True) * a,
        lambda a: (a * a).prod(dim=-1, keepdim=True) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(  # rows with one, two and no zeros: PyTorch's gradient of a product with zeros
        "prod_zeros",
        lambda a: (a * np.array([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1.0]])).prod(dim=1),
        lambda a: (a * np.array([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1.0]])).prod(axis=1),
        lambda a: (a * _t([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1.0]])).prod(dim=1),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "prod_all_one_zero",
        lambda a: (a * np.array([1, 1, 0, 1.0])).prod() * a,
        lambda a: (a * np.array([1, 1, 0, 1.0])).prod() * a,
        lambda a: (a * _t([1, 1, 0, 1.0])).prod() * a,
        "around_one",
        ((4,),),
    ),
    Spec(
        "var_dims_keepdim",
        lambda a: (a * a).var(dim=(0, 2), keepdim=True) * a,
        lambda a: (a * a).var(axis=(0, 2), ddof=1, keepdims=True) * a,
        lambda a: (a * a).var(dim=(0, 2), keepdim=True) * a,
        "around_one",
        ((2, 3, 4),),
    ),
    Spec(
        "std_correction",
        lambda a: (a * a).std(dim=-1, correction=0) * a[:, 0],
        lambda a: (a * a).std(axis=-1) * a[:, 0],
        lambda a: (a * a).std(dim=-1, correction=0) * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "var_mean",
        lambda a: (lambda v, m: v * m)(*cr.var_mean(a * a, dim=1)),
        lambda a: (a * a).var(axis=1, ddof=1) * (a * a).mean(axis=1),
        lambda a: (lambda v, m: v * m)(*torch.var_mean(a * a, dim=1)),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "std_mean",
        lambda a: (lambda s, m: s * m)(*cr.std_mean(a * a, dim=0, keepdim=True)),
        lambda a: (a * a).std(axis=0, ddof=1, keepdims=True) * (a * a).mean(axis=0, keepdims=True),
        lambda a: (lambda s, m: s * m)(*torch.std_mean(a * a, dim=0, keepdim=True)),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "logsumexp",
        lambda a: (3 * a).logsumexp(dim=-1) * a[:, 0],
        lambda a: np.log(np.exp(3 * a).sum(axis=-1)) * a[:, 0],
        lambda a: (3 * a).logsumexp(dim=-1) * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "amax_dims",
        lambda a: (a * a).amax(dim=(0, -1)) * a[0, :, 0],
        lambda a: (a * a).max(axis=(0, -1)) * a[0, :, 0],
        lambda a: (a * a).amax(dim=(0, -1)) * a[0, :, 0],
        "around_one",
        ((2, 3, 4),),
    ),
    Spec(
        "max_dim",
        lambda a: (a * a).max(dim=-1).values * a[:, 0],
        lambda a: (a * a).max(axis=-1) * a[:, 0],
        lambda a: (a * a).max(dim=-1).values * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "min_dim_keepdim",
        lambda a: (a * a).min(dim=0, keepdim=True).values * a,
        lambda a: (a * a).min(axis=0, keepdims=True) * a,
        lambda a: (a * a).min(dim=0, keepdim=True).values * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "norm",
        lambda a: (a - 1).norm(dim=1) * a[:, 0],
        lambda a: np.linalg.norm(a - 1, axis=1) * a[:, 0],
        lambda a: (a - 1).norm(dim=1) * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "vector_norm_3",
        lambda a: cr.linalg.vector_norm(a - 1, 3, dim=(0, -1)),
        lambda a: (np.abs(a - 1) ** 3).sum(axis=(0, -1)) ** (1 / 3),
        lambda a: torch.linalg.vector_norm(a - 1, 3, dim=(0, -1)),
        "around_one",
        ((2, 3, 4),),
    ),
    Spec(
        "vector_norm_1_5",
        lambda a: cr.linalg.vector_norm(a - 1, 1.5, dim=0, keepdim=True) * a,
        lambda a: (np.abs(a - 1) ** 1.5).sum(axis=0, keepdims=True) ** (1 / 1.5) * a,
        lambda a: torch.linalg.vector_norm(a - 1, 1.5, dim=0, keepdim=True) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "vector_norm_0_5",
        lambda a: cr.linalg.vector_norm(a - 1, 0.5, dim=-1),
        lambda a: (np.abs(a - 1) ** 0.5).sum(axis=-1) ** 2,
        lambda a: torch.linalg.vector_norm(a - 1, 0.5, dim=-1),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "vector_norm_inf",
        lambda a: cr.linalg.vector_norm(a - 1, float("inf"), dim=1) * a[:, 0],
        lambda a: np.abs(a - 1).max(axis=1) * a[:, 0],
        lambda a: torch.linalg.vector_norm(a - 1, float("inf"), dim=1) * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "nansum",
        lambda a: cr.nansum(cr.where(np.eye(3, 4) > 0, np.nan, a * a), dim=-1) * a[:, 0],
        lambda a: np.nansum(np.where(np.eye(3, 4) > 0, np.nan, a * a), axis=-1) * a[:, 0],
        lambda a: torch.nansum(torch.where(_t(np.eye(3, 4) > 0), np.nan, a * a), -1) * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "nanmean",
        lambda a: cr.nanmean(cr.where(np.eye(3, 4) > 0, np.nan, a * a), dim=0) * a[0],
        lambda a: np.nanmean(np.where(np.eye(3, 4) > 0, np.nan, a * a), axis=0) * a[0],
        lambda a: torch.nanmean(torch.where(_t(np.eye(3, 4) > 0), np.nan, a * a), 0) * a[0],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "cumsum",
        lambda a: (a * a).cumsum(dim=-1) * a,
        lambda a: (a * a).cumsum(axis=-1) * a,
        lambda a: (a * a).cumsum(dim=-1) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "cumprod",
        lambda a: a.cumprod(dim=0) * a,
        lambda a: a.cumprod(axis=0) * a,
        lambda a: a.cumprod(dim=0) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(  # rows with one, two and no zeros
        "cumprod_zeros",
        lambda a: (a * np.array([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1.0]])).cumprod(dim=1),
        lambda a: (a * np.array([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1.0]])).cumprod(axis=1),
        lambda a: (a * _t([[1, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1.0]])).cumprod(dim=1),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "logcumsumexp",
        lambda a: (3 * a).logcumsumexp(dim=1) * a,
        lambda a: np.logaddexp.accumulate(3 * a, axis=1) * a,
        lambda a: (3 * a).logcumsumexp(dim=1) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "cummax",
        lambda a: (a * a).cummax(dim=1).values * a,
        lambda a: np.maximum.accumulate(a * a, axis=1) * a,
        lambda a: (a * a).cummax(dim=1).values * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "cummin",
        lambda a: (a * a).cummin(dim=-2).values * a,
        lambda a: np.minimum.accumulate(a * a, axis=-2) * a,
        lambda a: (a * a).cummin(dim=-2).values * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "sort_descending",
        lambda a: (a * a).sort(dim=0, descending=True).values * a,
        lambda a: -np.sort(-(a * a), axis=0) * a,
        lambda a: (a * a).sort(dim=0, descending=True).values * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "topk_smallest",
        lambda a: (a * a).topk(2, dim=-1, largest=False).values * a[:, :2],
        lambda a: np.sort(a * a, axis=-1)[:, :2] * a[:, :2],
        lambda a: (a * a).topk(2, dim=-1, largest=False).values * a[:, :2],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "kthvalue_keepdim",
        lambda a: (a * a).kthvalue(2, dim=0, keepdim=True).values * a,
        lambda a: np.sort(a * a, axis=0)[1:2] * a,
        lambda a: (a * a).kthvalue(2, dim=0, keepdim=True).values * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(  # an even count: the lower median
        "median",
        lambda a: (a * a).median() * a,
        lambda a: np.sort((a * a).ravel())[5] * a,
        lambda a: (a * a).median() * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "median_dim",
        lambda a: (a * a).median(dim=-1).values * a[:, 0],
        lambda a: np.sort(a * a, axis=-1)[:, 1] * a[:, 0],
        lambda a: (a * a).median(dim=-1).values * a[:, 0],
        "around_one",
        ((3, 4),),
    ),
    Spec(  # columns 0 and 1 repeated: the mode is the smaller, taken at its last place
        "mode_ties",
        lambda a: (a * a)[:, [0, 1, 0, 2, 1]].mode(dim=1).values * a[:, 0],
        lambda a: np.minimum(a[:, 0], a[:, 1]) ** 2 * a[:, 0],
        lambda a: (a * a)[:, [0, 1, 0, 2, 1]].mode(dim=1).values * a[:, 0],
        "around_one",
        ((3, 4),),
    ),

    # -- indexing
    Spec(
        "gather_repeated",
        lambda a: cr.gather(a * a, 1, [[0, 2, 0], [3, 3, 1]]) * a[:2, :3],
        lambda a: np.take_along_axis((a * a)[:2], np.array([[0, 2, 0], [3, 3, 1]]), 1) * a[:2, :3],
        lambda a: torch.gather(a * a, 1, torch.tensor([[0, 2, 0], [3, 3, 1]])) * a[:2, :3],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "take_along_dim_broadcast",
        lambda a: cr.take_along_dim(a * a, [[1, -1, 1]], 1) * a[:, :3],
        lambda a: np.take_along_axis(a * a, np.array([[1, -1, 1]]), 1) * a[:, :3],
        lambda a: torch.take_along_dim(a * a, torch.tensor([[1, -1, 1]]), 1) * a[:, :3],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "scatter_unique",
        lambda a, b: cr.scatter(a * a, 1, [[0, 2, 1], [3, 1, 0]], b * b) * a,
        lambda a, b: _torch_numpy(
            lambda t: t.scatter(1, torch.tensor([[0, 2, 1], [3, 1, 0]]), torch.tensor(b * b)), a * a
        )
        * a,
        lambda a, b: (a * a).scatter(1, torch.tensor([[0, 2, 1], [3, 1, 0]]), b * b) * a,
        "around_one",
        ((3, 4), (2, 3)),
    ),
    Spec(
        "scatter_add_repeated",
        lambda a, b: cr.scatter_add(a * a, 1, [[0, 2, 0], [3, 3, 1]], b * b) * a,
        lambda a, b: _torch_numpy(
            lambda t: t.scatter_add(1, torch.tensor([[0, 2, 0], [3, 3, 1]]), torch.tensor(b * b)),
            a * a,
        )
        * a,
        lambda a, b: (a * a).scatter_add(1, torch.tensor([[0, 2, 0], [3, 3, 1]]), b * b) * a,
        "around_one",
        ((3, 4), (2, 3)),
    ),
    *[
        Spec(
            f"scatter_reduce_{reduce}{'' if include_self else '_no_self'}",
            lambda a, b, r=reduce, s=include_self: cr.scatter_reduce(
                a * a, 1, [[0, 2, 0], [3, 3, 3]], b * b, r, include_self=s
            )
            * a,
            lambda a, b, r=reduce, s=include_self: _torch_numpy(
                lambda t: t.scatter_reduce(
                    1, torch.tensor([[0, 2, 0], [3, 3, 3]]), torch.tensor(b * b), r, include_self=s
                ),
                a * a,
            )
            * a,
            lambda a, b, r=reduce, s=include_self: (a * a).scatter_reduce(
                1, torch.tensor([[0, 2, 0], [3, 3, 3]]), b * b, r, include_self=s
            )
            * a,
            "around_one",
            ((3, 4), (2, 3)),
        )
        for reduce, include_self in [
            ("sum", False),
            ("mean", True),
            ("mean", False),
            ("amax", True),
            ("amin", False),
            ("prod", True),
            ("prod", False),
        ]
    ],
    Spec(
        "index_select_repeated",
        lambda a: cr.index_select(a * a, 0, [2, 0, 2]) * a,
        lambda a: (a * a)[[2, 0, 2]] * a,
        lambda a: torch.index_select(a * a, 0, torch.tensor([2, 0, 2])) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "masked_fill",
        lambda a: (a * a).masked_fill(np.array([True, False, True, False]), 0.5) * a,
        lambda a: np.where(np.array([True, False, True, False]), 0.5, a * a) * a,
        lambda a: (a * a).masked_fill(torch.tensor([True, False, True, False]), 0.5) * a,
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "masked_select_broadcast",
        lambda a: (a * a).masked_select(np.array([[True], [False], [True]])) * a[::2].reshape(-1),
        lambda a: (a * a)[::2].reshape(-1) * a[::2].reshape(-1),
        lambda a: (a * a).masked_select(torch.tensor([[True], [False], [True]]))
        * a[::2].reshape(-1),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "repeat",
        lambda a: (a * a).repeat(2, 1, 3) * a.repeat(2, 1, 3),
        lambda a: np.tile(a * a, (2, 1, 3)) * np.tile(a, (2, 1, 3)),
        lambda a: (a * a).repeat(2, 1, 3) * a.repeat(2, 1, 3),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "tile",
        lambda a: (a * a).tile((2,)) * a.tile((1, 2)),
        lambda a: np.tile(a * a, (2,)) * np.tile(a, (1, 2)),
        lambda a: (a * a).tile((2,)) * a.tile((1, 2)),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "repeat_interleave",
        lambda a: (a * a).repeat_interleave([2, 0, 1], dim=0) * a.repeat_interleave(2)[:4],
        lambda a: np.repeat(a * a, [2, 0, 1], axis=0) * np.repeat(a, 2)[:4],
        lambda a: (a * a).repeat_interleave(torch.tensor([2, 0, 1]), dim=0)
        * a.repeat_interleave(2)[:4],
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "expand_as",
        lambda a, b: (a * a).expand_as(b) * b,
        lambda a, b: np.broadcast_to(a * a, b.shape) * b,
        lambda a, b: (a * a).expand_as(b) * b,
        "around_one",
        ((3, 1), (2, 3, 4)),
    ),
    Spec(
        "pad_constant_crop",
        lambda a: F.pad(a * a, (1, 2, -1, 1), value=0.5) * F.pad(a, (1, 2, -1, 1)),
        lambda a: np.pad((a * a)[1:], ((0, 1), (1, 2)), constant_values=0.5)
        * np.pad(a[1:], ((0, 1), (1, 2))),
        lambda a: TF.pad(a * a, (1, 2, -1, 1), value=0.5) * TF.pad(a, (1, 2, -1, 1)),
        "around_one",
        ((3, 4),),
    ),
    *[
        Spec(
            f"pad_{mode}",
            lambda a, m=mode: F.pad(a * a, (2, 1, 1, 2), mode=m) * F.pad(a, (2, 1, 1, 2), mode=m),
            lambda a, m=np_mode: np.pad(a * a, ((0, 0), (1, 2), (2, 1)), mode=m)
            * np.pad(a, ((0, 0), (1, 2), (2, 1)), mode=m),
            lambda a, m=mode: TF.pad(a * a, (2, 1, 1, 2), mode=m)
            * TF.pad(a, (2, 1, 1, 2), mode=m),
            "around_one",
            ((2, 3, 4),),
        )
        for mode, np_mode in [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")]
    ],
    Spec(
        "unfold_overlapping",
        lambda a: (a * a).unfold(0, 3, 2) * a.unfold(0, 3, 2),
        lambda a: np.lib.stride_tricks.sliding_window_view(a * a, 3, axis=0)[::2]
        * np.lib.stride_tricks.sliding_window_view(a, 3, axis=0)[::2],
        lambda a: (a * a).unfold(0, 3, 2) * a.unfold(0, 3, 2),
        "around_one",
        ((5, 2),),
    ),
    Spec(
        "diagonal",
        **_same(lambda a: (a * a).diagonal(1, 0, 2) * a.diagonal(1, 0, 2)),
        domain="around_one",
        shapes=((3, 2, 4),),
    ),
    Spec(
        "diag_vector",
        lambda a: cr.diag(a * a, -1) * cr.diag(a, -1),
        lambda a: np.diag(a * a, -1) * np.diag(a, -1),
        lambda a: torch.diag(a * a, -1) * torch.diag(a, -1),
        "around_one",
        ((3,),),
    ),
    Spec(
        "diag_embed",
        lambda a: cr.diag_embed(a * a, -1, 0, 2) * cr.diag_embed(a, -1, 0, 2),
        lambda a: _torch_numpy(torch.diag_embed, a * a, -1, 0, 2)
        * _torch_numpy(torch.diag_embed, a, -1, 0, 2),
        lambda a: torch.diag_embed(a * a, -1, 0, 2) * torch.diag_embed(a, -1, 0, 2),
        "around_one",
        ((2, 3),),
    ),

    # -- activations and losses
    Spec("gelu", F.gelu, lambda x: _torch_numpy(TF.gelu, x), TF.gelu, "any", ((6,),)),
    Spec(
        "gelu_tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        lambda x: TF.gelu(x, approximate="tanh"),
        "any",
        ((6,),),
    ),
    Spec("silu", F.silu, lambda x: x * _sigmoid(x), TF.silu, "any", ((6,),)),
    Spec("mish", F.mish, lambda x: x * np.tanh(np.logaddexp(0, x)), TF.mish, "any", ((6,),)),
    Spec(
        "elu",
        lambda x: F.elu(x, alpha=0.7),
        lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
        lambda x: TF.elu(x, alpha=0.7),
        "nonzero",
        ((6,),),
    ),
    Spec(
        "celu",
        lambda x: F.celu(x, alpha=1.5),
        lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5)),
        lambda x: TF.celu(x, alpha=1.5),
        "nonzero",
        ((6,),),
    ),
    Spec(
        "selu",
        F.selu,
        lambda x: _torch_numpy(TF.selu, x),
        TF.selu,
        "nonzero",
        ((6,),),
    ),
    Spec(
        "leaky_relu",
        lambda x: F.leaky_relu(x, 0.2) * x,
        lambda x: np.where(x > 0, x, 0.2 * x) * x,
        lambda x: TF.leaky_relu(x, 0.2) * x,
        "nonzero",
        ((6,),),
    ),
    Spec(
        "hardtanh",
        lambda x: F.hardtanh(x, -0.8, 1.2) * x,
        lambda x: np.clip(x, -0.8, 1.2) * x,
        lambda x: TF.hardtanh(x, -0.8, 1.2) * x,
        "nonzero",
        ((8,),),
    ),
    Spec(
        "relu6",
        lambda x: F.relu6(4 * x) * x,
        lambda x: np.clip(4 * x, 0, 6) * x,
        lambda x: TF.relu6(4 * x) * x,
        "nonzero",
        ((8,),),
    ),
    Spec(  # torch has no double backward of hardsigmoid: its twin is the same clip
        "hardsigmoid",
        lambda x: F.hardsigmoid(3 * x) * x,
        lambda x: np.clip(3 * x / 6 + 0.5, 0, 1) * x,
        lambda x: TF.hardtanh(3 * x / 6 + 0.5, 0.0, 1.0) * x,
        "nonzero",
        ((8,),),
    ),
    Spec(
        "hardswish",
        lambda x: F.hardswish(3 * x),
        lambda x: 3 * x * np.clip(3 * x / 6 + 0.5, 0, 1),
        lambda x: TF.hardswish(3 * x),
        "nonzero",
        ((8,),),
    ),
    Spec("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), TF.softsign, "nonzero", ((6,),)),
    Spec("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0, -x), TF.logsigmoid, "any", ((6,),)),
    Spec(
        "softplus_beta_threshold",
        lambda x: F.softplus(x, beta=2.0, threshold=2.0),
        lambda x: np.where(2 * x > 2, x, np.logaddexp(0, 2 * x) / 2),
        lambda x: TF.softplus(x, beta=2.0, threshold=2.0),
        "away_from_zero",
        ((8,),),
    ),
    Spec(
        "softmin",
        lambda a: F.softmin(a * a, dim=0),
        lambda a: np.exp(_log_softmax(-a * a, axis=0)),
        lambda a: TF.softmin(a * a, dim=0),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "softmax_dim",
        lambda a: F.softmax(a * a, dim=-2),
        lambda a: np.exp(_log_softmax(a * a, axis=-2)),
        lambda a: TF.softmax(a * a, dim=-2),
        "around_one",
        ((2, 3, 2),),
    ),
    Spec(
        "nll_loss_weighted_ignored",
        lambda a: F.nll_loss(a * a, np.array([1, -100, 3]), weight=np.array([0.5, 1, 2, 1.5])),
        lambda a: (a * a)[[0, 2], [1, 3]] @ [-1.0, -1.5] / 2.5,
        lambda a: TF.nll_loss(a * a, _t([1, -100, 3]), weight=_t([0.5, 1, 2, 1.5])),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "nll_loss_spatial_sum",
        lambda a: F.nll_loss(a * a, np.array([[1, 0], [2, 1]]), ignore_index=0, reduction="sum"),
        lambda a: -(a * a)[[0, 1, 1], [1, 2, 1], [0, 0, 1]].sum(),
        lambda a: TF.nll_loss(a * a, _t([[1, 0], [2, 1]]), ignore_index=0, reduction="sum"),
        "around_one",
        ((2, 3, 2),),
    ),
    Spec(
        "cross_entropy_options",
        lambda a: F.cross_entropy(
            a * a,
            np.array([1, 2, 3]),
            weight=np.array([0.5, 1, 2, 1.5]),
            ignore_index=2,
            label_smoothing=0.1,
        ),
        lambda a: _torch_numpy(
            lambda t: TF.cross_entropy(
                t * t, _t([1, 2, 3]), _t([0.5, 1, 2, 1.5]), ignore_index=2, label_smoothing=0.1
            ),
            a,
        ),
        lambda a: TF.cross_entropy(
            a * a, _t([1, 2, 3]), _t([0.5, 1, 2, 1.5]), ignore_index=2, label_smoothing=0.1
        ),
        "around_one",
        ((3, 4),),
    ),
    Spec(
        "cross_entropy_one_sample",
        lambda a: F.cross_entropy(a * a, np.array(2)),
        lambda a: -_log_softmax(a * a)[2],
        lambda a: TF.cross_entropy(a * a, _t(2)),
        "around_one",
        ((4,),),
    ),
    Spec(
        "cross_entropy_spatial_none",
        lambda a: F.cross_entropy(a * a, np.array([[1, 0], [2, 1]]), reduction="none"),
        lambda a: -_log_softmax(a * a, axis=1)[[[0], [1]], [[1, 0], [2, 1]], [[0, 1]]],
        lambda a: TF.cross_entropy(a * a, _t([[1, 0], [2, 1]]), reduction="none"),
        "around_one",
        ((2, 3, 2),),
    ),
    Spec(
        "cross_entropy_soft_smoothed",
        lambda a, p: F.cross_entropy(a * a, p, weight=np.array([0.5, 1, 2]), label_smoothing=0.2),
        lambda a, p: -(_log_softmax(a * a, axis=1) * (p * 0.8 + 0.2 / 3) * [0.5, 1, 2]).sum() / 2,
        lambda a, p: TF.cross_entropy(a * a, p, _t([0.5, 1, 2]), label_smoothing=0.2),
        "around_one",
        ((2, 3), (2, 3)),
    ),
    Spec(
        "l1_loss",
        lambda a, b: F.l1_loss(a * a, b),
        lambda a, b: np.abs(a * a - b).mean(),
        lambda a, b: TF.l1_loss(a * a, b),
        "around_one",
        ((2, 3), (2, 3)),
    ),
    Spec(
        "smooth_l1_loss",
        lambda a, b: F.smooth_l1_loss(a * a, b, beta=0.5),
        lambda a, b: _torch_numpy(lambda t: TF.smooth_l1_loss(t * t, _t(b), beta=0.5), a),
        lambda a, b: TF.smooth_l1_loss(a * a, b, beta=0.5),
        "around_one",
        ((3, 4), (3, 4)),
    ),
    Spec(
        "huber_loss",
        lambda a, b: F.huber_loss(a * a, b, reduction="sum", delta=0.5),
        lambda a, b: _torch_numpy(lambda t: TF.huber_loss(t * t, _t(b), "sum", 0.5), a),
        lambda a, b: TF.huber_loss(a * a, b, reduction="sum", delta=0.5),
        "around_one",
        ((3, 4), (3, 4)),
    ),
    Spec(
        "kl_div",
        lambda a, b: F.kl_div(-(a * a), b, reduction="batchmean"),
        lambda a, b: (b * (np.log(b) + a * a)).sum() / 2,
        lambda a, b: TF.kl_div(-(a * a), b, reduction="batchmean"),
        "around_one",
        ((2, 3), (2, 3)),
    ),
    Spec(
        "kl_div_log_target",
        lambda a, b: F.kl_div(-(a * a), -b, reduction="sum", log_target=True),
        lambda a, b: (np.exp(-b) * (a * a - b)).sum(),
        lambda a, b: TF.kl_div(-(a * a), -b, reduction="sum", log_target=True),
        "around_one",
        ((2, 3), (2, 3)),
    ),
    Spec(
        "binary_cross_entropy_weighted",
        lambda a, b: F.binary_cross_entropy(a * 0.5, b - 0.5, weight=np.array([1.0, 2.0, 0.5])),
        lambda a, b: -(
            ((b - 0.5) * np.log(a * 0.5) + (1.5 - b) * np.log(1 - a * 0.5)) * [1, 2, 0.5]
        ).mean(),
        lambda a, b: TF.binary_cross_entropy(a * 0.5, b - 0.5, weight=_t([1.0, 2.0, 0.5])),
        "around_one",
        ((2, 3), (2, 3)),
    ),
    Spec(
        "binary_cross_entropy_with_logits_pos_weight",
        lambda a, b: F.binary_cross_entropy_with_logits(
            3 * a - 3, b - 0.5, weight=np.array([[1.0], [0.5]]), pos_weight=np.array([2.0, 0.5, 1])
        ),
        lambda a, b: _torch_numpy(
            lambda t: TF.binary_cross_entropy_with_logits(
                3 * t - 3, _t(b - 0.5), _t([[1.0], [0.5]]), pos_weight=_t([2.0, 0.5, 1])
            ),
            a,
        ),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            3 * a - 3, b - 0.5, _t([[1.0], [0.5]]), pos_weight=_t([2.0, 0.5, 1])
        ),
        "around_one",
        ((2, 3), (2, 3)),
    ),

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
    # -- sequence models: the fused attention primitive (ops.ScaledDotProductAttention)
    Spec(
        "sdpa",  # L = 3 queries, S = 5 keys, E = 4, Ev = 2, two batch dims
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
        lambda q, k, v: _torch_sdpa(q, k, v),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v),
        "any",
        ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 2)),
    ),
    Spec(
        "sdpa_causal_broadcast",  # key and value broadcast over query's first dim
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7),
        lambda q, k, v: _torch_sdpa(q, k, v, is_causal=True, scale=0.7),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7),
        "any",
        ((2, 4, 3), (1, 4, 3), (1, 4, 3)),
    ),
    Spec(
        "sdpa_bool_mask",  # row 1 keeps nothing: zeros, as PyTorch's
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_SDPA_KEEP),
        lambda q, k, v: _torch_sdpa(q, k, v, attn_mask=_SDPA_KEEP),
        lambda q, k, v: TF.scaled_dot_product_attention(
            q, k, v, attn_mask=torch.from_numpy(_SDPA_KEEP)
        ),
        "any",
        ((2, 3, 4), (2, 5, 4), (2, 5, 3)),
    ),
    Spec(
        "sdpa_float_mask",  # the added mask is an input too, broadcast over the batch
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
        lambda q, k, v, m: _torch_sdpa(q, k, v, attn_mask=m),
        lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
        "any",
        ((2, 3, 4), (2, 5, 4), (2, 5, 3), (1, 3, 5)),
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


def covered_primitives() -> set[type]:
    """The primitive classes on the graphs of the specs."""
    covered: set[type] = set()
    for spec in SPECS.values():
        covered |= {type(t._ctx) for t in graph(spec.fn(*map(_leaf, spec.draw()))) if t._ctx}
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
