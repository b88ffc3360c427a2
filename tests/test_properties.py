"""Property-based checks: random shapes and broadcast patterns give gradients that match
central differences, and random bytes never crash the file readers."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import op_specs
from chainrule.data import load_mnist

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together: each axis of each side is the full size or 1."""
    ndim = draw(st.integers(0, 3))
    full = draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim))
    left = [n if draw(st.booleans()) else 1 for n in full]
    right = [n if draw(st.booleans()) else 1 for n in full]
    drop = draw(st.integers(0, ndim))  # numpy also pads missing leading axes
    return tuple(left), tuple(right[drop:])


BINARY = {name: op_specs.SPECS[name].fn for name in op_specs.BINARY}
BINARY["where"] = lambda a, b: cr.where(a.data > 0.5, a, b)


@SETTINGS
@given(shapes=broadcast_pair(), op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_binary_ops_random_broadcasts_match_numerical_grad(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, shapes[0])  # positive and away from 0: pow, div and log are smooth
    b = rng.uniform(0.5, 2.0, shapes[1])
    assert cr.gradcheck(BINARY[op], [a, b])


@SETTINGS
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    reduce=st.sampled_from(["sum", "mean", "max"]),
    keepdims=st.booleans(),
    data=st.data(),
)
def test_reductions_random_axes_match_numerical_grad(shape, reduce, keepdims, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    assert cr.gradcheck(lambda t: getattr(t, reduce)(axis=axis, keepdims=keepdims), [x])


@SETTINGS
@given(payload=st.binary(max_size=2048))
def test_random_bytes_to_load_only_raise_value_error(tmp_path_factory, payload):
    path = tmp_path_factory.mktemp("ckpt") / "random.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="random.safetensors"):
        cr.load(path)


@SETTINGS
@given(payload=st.binary(max_size=4096), compress=st.booleans())
def test_random_bytes_to_load_mnist_only_raise_value_error(tmp_path_factory, payload, compress):
    root = tmp_path_factory.mktemp("mnist")
    suffix = ".gz" if compress else ""
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (root / (name + suffix)).write_bytes(gzip.compress(payload) if compress else payload)
    with pytest.raises(ValueError, match="t10k"):
        load_mnist(root, train=False)
