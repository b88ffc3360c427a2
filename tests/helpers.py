"""Shared test helpers: gradcheck in float64 and a comparison against PyTorch.

``check_vs_torch`` follows tinygrad's ``helper_test_op``: the same arrays go through a
chainrule function and its PyTorch twin, and the forward values, shapes and every input's
gradient (for one seeded random upstream gradient) must agree. ``torch`` is imported
inside the helper, so importing this module never needs it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import chainrule as cr

# The broadcasting product of autograd's ``arg_pairs``: every pair of these shapes broadcasts.
BROADCAST_SHAPES = [(), (4,), (3, 4), (1, 4), (3, 1)]
BROADCAST_PAIRS = [(a, b) for a in BROADCAST_SHAPES for b in BROADCAST_SHAPES]

# The shapes each unary op is swept over: 0-d, size one, 1-d, 2-d and a size-one middle axis.
UNARY_SHAPES = [(), (1,), (5,), (3, 4), (2, 1, 3)]

# Basic (view-making) indices for a (2, 3, 4) tensor.
BASIC_INDICES = {
    "int": 1,
    "negative_int": -1,
    "slice": slice(0, 2),
    "column": (slice(None), 1),
    "ellipsis_step": (Ellipsis, slice(None, None, 2)),
    "newaxis": (None, slice(1, None)),
    "reverse": slice(None, None, -1),
    "scalar_element": (1, 2, 3),
    "mixed": (slice(None), slice(1, 3), None),
}


def _is_float(array: np.ndarray) -> bool:
    return array.dtype.kind == "f"


def _as_float64(array: Any) -> np.ndarray:
    array = np.asarray(array)
    return array.astype(np.float64) if _is_float(array) else array


def check_grad(
    fn: Callable[..., cr.Tensor],
    *arrays: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> None:
    """Assert backprop through ``fn`` matches central differences, in float64.

    Floating-point arrays are checked; integer and boolean arrays are passed through as data.
    """
    inputs = [_as_float64(a) for a in arrays]
    assert cr.gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol)


def upstream_grad(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """The gradient fed into the output: 1 for a scalar, seeded normal values otherwise."""
    if shape == ():
        return np.ones((), dtype=np.float64)
    return np.random.default_rng(seed).standard_normal(shape)


def check_vs_torch(
    fn_chainrule: Callable[..., cr.Tensor],
    fn_torch: Callable[..., Any],
    *arrays: Any,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    requires_grad: Sequence[bool] | None = None,
    create_graph: bool = False,
) -> None:
    """Compare ``fn_chainrule`` and ``fn_torch`` on the same arrays, forward and backward.

    Floating-point arrays become float64 tensors that require grad (unless
    ``requires_grad`` says otherwise for that position); integer and boolean arrays become
    plain tensors. One seeded upstream gradient is backpropagated through both outputs and
    every input's gradient compared; ``create_graph=True`` runs chainrule's differentiable
    backward.
    """
    import torch

    arrays = [_as_float64(a) for a in arrays]
    if requires_grad is None:
        requires_grad = [_is_float(a) for a in arrays]
    assert len(requires_grad) == len(arrays), "requires_grad needs one flag per array"

    ours = [
        cr.Tensor(a.copy(), requires_grad=bool(g))
        for a, g in zip(arrays, requires_grad, strict=True)
    ]
    theirs = [
        torch.tensor(a, requires_grad=bool(g)) if _is_float(a) else torch.from_numpy(a.copy())
        for a, g in zip(arrays, requires_grad, strict=True)
    ]

    out = fn_chainrule(*ours)
    expected = fn_torch(*theirs)
    assert isinstance(out, cr.Tensor), f"chainrule returned {type(out).__name__}"
    assert out.shape == tuple(expected.shape), f"shape {out.shape} != torch {tuple(expected.shape)}"
    assert out.dtype == np.float64, f"forward dtype {out.dtype}, expected float64"
    np.testing.assert_allclose(
        out.data, expected.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward"
    )

    if not any(requires_grad):
        return
    seed = upstream_grad(out.shape)
    out.backward(seed, create_graph=create_graph)
    expected.backward(torch.from_numpy(seed.copy()))  # torch's first grads are the same either way
    for i, (mine, reference, flag) in enumerate(zip(ours, theirs, requires_grad, strict=True)):
        if not flag:
            continue
        mine_grad = np.zeros_like(mine.data) if mine.grad is None else mine.grad.data
        torch_grad = np.zeros_like(mine.data) if reference.grad is None else reference.grad.numpy()
        assert mine_grad.shape == mine.shape, f"input {i}: grad shape {mine_grad.shape}"
        np.testing.assert_allclose(
            mine_grad, torch_grad, rtol=rtol, atol=atol, err_msg=f"grad of input {i}"
        )


# ---------------------------------------------------------------------- inputs
def away_from_zero(
    rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.5
) -> np.ndarray:
    """Values in ±[low, 2): safe as a divisor and far from the kinks of abs and relu."""
    magnitude = rng.uniform(low, 2.0, size=shape)
    return np.asarray(np.where(rng.random(size=shape) < 0.5, -magnitude, magnitude))


def bench_module(name: str) -> ModuleType:
    """bench/NAME.py as a module of the repository's bench package, loaded by its path (it is
    not installed), so a test can use the very code a benchmark times."""
    if "bench" not in sys.modules:
        folder = Path(__file__).resolve().parents[1] / "bench"
        spec = importlib.util.spec_from_file_location(
            "bench", folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        assert spec is not None and spec.loader is not None, folder
        package = importlib.util.module_from_spec(spec)
        sys.modules["bench"] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"bench.{name}")


def run_cli(*args: str, cwd: Any = None) -> subprocess.CompletedProcess:
    """``python -m chainrule ARGS`` in a fresh process, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "chainrule", *args], capture_output=True, text=True, cwd=cwd
    )
