"""Creation and top-level functions against PyTorch: constructors, random draws and
Generator, and the structure ops (cat, stack, split, chunk, flip, roll, tril, triu,
meshgrid, einsum, where), their values in float32 and float64 and their gradients."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule.backends import cpu, namespace
from helpers import check_vs_torch

torch = pytest.importorskip("torch")

FLOATS = [np.float32, np.float64]
TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64}


def _same(mine, theirs, exact=True):
    """A chainrule tensor equals a torch tensor: shape, dtype and values."""
    expected = theirs.detach().numpy()
    assert mine.shape == expected.shape, (mine.shape, expected.shape)
    assert mine.dtype == expected.dtype, (mine.dtype, expected.dtype)
    if exact:
        np.testing.assert_array_equal(mine.data, expected)
    else:
        np.testing.assert_allclose(mine.data, expected, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------- from data
@pytest.mark.parametrize(
    "data", [[1.5, 2.0], [[1, 2], [3, 4]], [True, False], 0.5, 3, np.array([1.0, 2.0])]
)
def test_tensor_dtypes_match_torch(data):
    _same(cr.tensor(data), torch.tensor(data))


def test_tensor_copies_and_takes_keywords():
    array = np.zeros(3)
    t = cr.tensor(array, dtype=np.float32, requires_grad=True)
    array[0] = 1.0
    assert t.dtype == np.float32 and t.requires_grad and t.data[0] == 0.0
    assert not np.shares_memory(cr.tensor(array).data, array)
    with pytest.raises(ValueError, match="floating-point"):
        cr.tensor([1, 2], requires_grad=True)


def test_as_tensor_shares_memory_where_it_can():
    array = np.zeros(3)
    shared = cr.as_tensor(array)
    array[1] = 7.0
    assert shared.dtype == np.float64 and shared.data[1] == 7.0
    assert not np.shares_memory(cr.as_tensor(array, dtype=np.float32).data, array)
    assert cr.as_tensor(shared) is shared and cr.as_tensor(shared, dtype=np.float64) is shared
    assert cr.as_tensor([1.0, 2.0]).dtype == np.float32
    _same(cr.as_tensor([[1, 2]]), torch.as_tensor([[1, 2]]))


def test_from_numpy_shares_memory_both_ways():
    array = np.arange(4, dtype=np.int32)
    t = cr.from_numpy(array)
    t[0] = 9
    array[1] = 8
    assert t.dtype == np.int32 and t.tolist() == [9, 8, 2, 3] and array[0] == 9
    with pytest.raises(TypeError, match=r"from_numpy: expected an np\.ndarray, got list"):
        cr.from_numpy([1, 2])


# ---------------------------------------------------------------------- filled shapes
@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([4],), (0, 2), ((),), (5,)])
def test_zeros_ones_take_varargs_or_a_sequence(name, size):
    _same(getattr(cr, name)(*size), getattr(torch, name)(*size))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_shapes_take_dtype_and_requires_grad(name):
    t = getattr(cr, name)(2, 3, dtype=np.float64, requires_grad=True)
    assert t.shape == (2, 3) and t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert getattr(cr, name)((1, 2), dtype=np.int64).dtype == np.int64
    assert getattr(cr, name)(3).dtype == np.float32


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sizes_are_checked(name):
    with pytest.raises(ValueError, match=rf"{name}: sizes must be non-negative, got \(2, -1\)"):
        getattr(cr, name)(2, -1)
    with pytest.raises(TypeError, match=f"{name}: size must be ints"):
        getattr(cr, name)(2.5)


@pytest.mark.parametrize("fill", [3, 2.5, True, -1])
def test_full_takes_its_dtype_from_the_fill_value(fill):
    _same(cr.full((2, 3), fill), torch.full((2, 3), fill))
    _same(cr.full(4, fill, dtype=np.float64), torch.full((4,), fill, dtype=torch.float64))


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (3, 0)])
def test_eye_matches_torch(args):
    _same(cr.eye(*args), torch.eye(*args))
    _same(cr.eye(*args, dtype=np.int64), torch.eye(*args, dtype=torch.int64))


def test_eye_is_checked():
    with pytest.raises(ValueError, match="eye: sizes must be non-negative"):
        cr.eye(-1)


# ---------------------------------------------------------------------- ranges
ARANGES = [
    (5,),
    (2, 9),
    (0, 10, 3),
    (10, 0, -3),
    (0, 1, 0.1),
    (-1, 1, 0.3),
    (1.5,),
    (0, 2.5, 0.5),
    (10, 0, -1.5),
    (3, 3),
    (0.0, -1e-3, -1e-4),
]


@pytest.mark.parametrize("args", ARANGES)
def test_arange_matches_torch_exactly(args):
    _same(cr.arange(*args), torch.arange(*args))


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int32])
def test_arange_dtype(dtype):
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    # an integer dtype truncates the arguments first (torch's int32 sizes (-0.5, 3, 1) from
    # the floats, its int64 from the truncated ones: chainrule does the latter for both)
    for args in [(0.7, 3.9, 1.2), (0, 5.5, 2)] + [(-0.5, 3, 1)] * (dtype != np.int32):
        _same(cr.arange(*args, dtype=dtype), torch.arange(*args, dtype=torch_dtype))
    _same(cr.arange(7, dtype=dtype), torch.arange(7, dtype=torch_dtype))


def test_arange_takes_one_element_tensors_and_requires_grad():
    t = cr.arange(cr.tensor(3), requires_grad=False, dtype=np.float64)
    assert t.tolist() == [0.0, 1.0, 2.0]
    assert cr.arange(3.0, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    "args,error,message",
    [
        ((0, 1, 0), ValueError, "arange: step must be nonzero"),
        ((1, 0, 1), ValueError, "arange: end 0 lies the other way from start 1"),
        ((0, float("inf")), ValueError, "arange: start, end and step must be finite"),
        (("3",), TypeError, "arange: expected a number, got str"),
    ],
)
def test_arange_errors(args, error, message):
    with pytest.raises(error, match=message):
        cr.arange(*args)


LINSPACES = [(0, 1, 5), (-3, 7, 11), (0, 1, 7), (1e-3, 3.3, 13), (0, 10, 4), (2.7, -1.1, 100)]


@pytest.mark.parametrize("args", LINSPACES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_linspace_matches_torch(args, dtype):
    mine, theirs = cr.linspace(*args, dtype=dtype), torch.linspace(*args, dtype=TORCH_DTYPES[dtype])
    _same(mine, theirs, exact=False)
    assert mine.data[0] == theirs[0].item() and mine.data[-1] == theirs[-1].item()


def test_linspace_defaults_ends_and_integers():
    _same(cr.linspace(0, 1, 5), torch.linspace(0, 1, 5))  # float32, exactly
    _same(cr.linspace(0, 10, 4, dtype=np.int64), torch.linspace(0, 10, 4, dtype=torch.int64))
    _same(cr.linspace(-2, 3, 1), torch.linspace(-2, 3, 1))
    _same(cr.linspace(0, 1, 0), torch.linspace(0, 1, 0))
    with pytest.raises(ValueError, match="linspace: sizes must be non-negative"):
        cr.linspace(0, 1, -2)


# ---------------------------------------------------------------------- *_like
@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like"])
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_like_keeps_shape_and_dtype(name, dtype):
    source = cr.tensor(np.arange(6, dtype=dtype).reshape(2, 3))
    out = getattr(cr, name)(source)
    assert out.shape == (2, 3) and out.dtype == dtype and not out.requires_grad
    if name != "empty_like":
        _same(out, getattr(torch, name)(torch.from_numpy(source.data)))
    cast = getattr(cr, name)(source, dtype=np.float32, requires_grad=True)
    assert cast.dtype == np.float32 and cast.requires_grad
    assert getattr(cr, name)(np.zeros((4,), np.int8)).dtype == np.int8  # arrays too


def test_full_like_matches_torch():
    source = torch.zeros(2, 3, dtype=torch.int32)
    _same(cr.full_like(cr.from_numpy(source.numpy()), 7), torch.full_like(source, 7))
    _same(
        cr.full_like(cr.zeros(2), 0.5, dtype=np.float64),
        torch.full_like(torch.zeros(2), 0.5, dtype=torch.float64),
    )


def test_like_stays_in_the_inputs_namespace():
    xps = pytest.importorskip("array_api_strict")
    source = cr.tensor([1.0, 2.0]).to(xps)
    for out in (cr.zeros_like(source), cr.full_like(source, 3.0), cr.rand_like(source)):
        assert type(out.data) is type(source.data) and out.shape == (2,)
    assert np.asarray(cr.ones_like(source, dtype=np.float64).data).dtype == np.float64
    assert np.asarray(cr.full_like(source, 3.0).data).tolist() == [3.0, 3.0]


def test_constructors_take_a_device():
    xps = pytest.importorskip("array_api_strict")
    for t in (cr.zeros(2, device=xps), cr.tensor([1.0], device=xps), cr.arange(3, device=xps)):
        assert type(t.data) is type(xps.asarray(1.0))
    assert cr.ones(2, device="cpu").device == "cpu"


# ---------------------------------------------------------------------- Generator
def test_generator_repeats_from_its_seed_and_is_its_own_stream():
    g = cr.Generator().manual_seed(3)
    assert isinstance(g, cr.Generator) and g.initial_seed() == 3 and g.device == "cpu"
    first = [cr.rand(4, generator=g), cr.randn(2, 2, generator=g), cr.randint(9, (5,), generator=g)]
    cr.manual_seed(0)
    cr.rand(10)  # the global stream moves, g's does not
    g.manual_seed(3)
    again = [cr.rand(4, generator=g), cr.randn(2, 2, generator=g), cr.randint(9, (5,), generator=g)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.data, b.data)


def test_generator_state_round_trip():
    g = cr.Generator().manual_seed(1)
    cr.rand(3, generator=g)
    state = g.get_state()
    ahead = cr.randn(5, generator=g)
    assert g.set_state(state) is g
    np.testing.assert_array_equal(cr.randn(5, generator=g).data, ahead.data)


def test_generator_defaults_to_torchs_seed_and_reseeds():
    assert cr.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    np.testing.assert_array_equal(
        cr.rand(3, generator=cr.Generator()).data, cr.rand(3, generator=cr.Generator()).data
    )
    g = cr.Generator()
    seed = g.seed()
    assert isinstance(seed, int) and seed >= 0 and g.initial_seed() == seed


def test_generator_errors():
    with pytest.raises(ValueError, match="Generator.manual_seed: seed must be non-negative"):
        cr.Generator().manual_seed(-1)
    with pytest.raises(TypeError, match="Generator.manual_seed: seed must be an int"):
        cr.Generator().manual_seed(1.5)
    with pytest.raises(ValueError, match="Generator: only the 'cpu' device"):
        cr.Generator("cuda")
    with pytest.raises(TypeError, match="rand: generator must be a chainrule Generator, got int"):
        cr.rand(2, generator=3)


def test_global_seed_repeats_every_draw():
    def draws():
        return [
            cr.rand(3),
            cr.randn(3),
            cr.randint(0, 5, (4,)),
            cr.randperm(6),
            cr.multinomial(cr.tensor([1.0, 2.0, 3.0]), 2),
            cr.normal(0.0, 1.0, (3,)),
            cr.bernoulli(cr.full((4,), 0.5)),
            cr.rand_like(cr.zeros(2)),
            cr.randn_like(cr.zeros(2)),
        ]

    cr.manual_seed(5)
    first = draws()
    cr.manual_seed(5)
    for a, b in zip(first, draws()):
        np.testing.assert_array_equal(a.data, b.data)


def test_randn_seed_keyword_keeps_its_numbers():
    expected = np.random.default_rng(1).standard_normal((3, 2)).astype(np.float32)
    np.testing.assert_array_equal(cr.randn(3, 2, seed=1).data, expected)
    np.testing.assert_array_equal(
        cr.randn((3, 2), seed=1, dtype=np.float64).data,
        np.random.default_rng(1).standard_normal((3, 2)),
    )
    with pytest.raises(TypeError, match="randn: pass seed= or generator=, not both"):
        cr.randn(2, seed=1, generator=cr.Generator())


def test_a_numpy_generator_is_accepted():
    values = cr.rand(3, generator=np.random.default_rng(4)).data
    np.testing.assert_array_equal(values, np.random.default_rng(4).random(3).astype(np.float32))


# ---------------------------------------------------------------------- draws
@pytest.mark.parametrize("name", ["rand", "randn"])
def test_rand_randn_shapes_dtypes_and_errors(name):
    fn = getattr(cr, name)
    t = fn(2, 3, generator=cr.Generator())
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
    assert fn((4,), dtype=np.float64, requires_grad=True).requires_grad
    assert fn().shape == ()
    with pytest.raises(TypeError, match=f"{name}: dtype must be a floating-point type, got int64"):
        fn(2, dtype=np.int64)


def test_rand_and_randn_have_their_distributions():
    g = cr.Generator().manual_seed(0)
    uniform, normal = cr.rand(100_000, generator=g).data, cr.randn(100_000, generator=g).data
    assert 0.0 <= uniform.min() and uniform.max() < 1.0 and abs(uniform.mean() - 0.5) < 0.01
    assert abs(normal.mean()) < 0.02 and abs(normal.std() - 1.0) < 0.02


@pytest.mark.parametrize(
    "args,kwargs,low,high",
    [
        ((10, (50,)), {}, 0, 10),
        ((-3, 4, (50,)), {}, -3, 4),
        ((), {"high": 6, "size": (50,)}, 0, 6),
        ((5,), {"size": (5, 10)}, 0, 5),
        ((2, 3), {"size": [50]}, 2, 3),
    ],
)
def test_randint_forms(args, kwargs, low, high):
    t = cr.randint(*args, **kwargs, generator=cr.Generator())
    assert t.dtype == np.int64 and t.data.min() >= low and t.data.max() < high
    assert t.size == 50
    expected = torch.randint(*args, **kwargs)
    assert t.shape == tuple(expected.shape) and t.dtype == expected.numpy().dtype


def test_randint_dtype_and_errors():
    assert cr.randint(10, (3,), dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match=r"randint: low \(5\) must be less than high \(3\)"):
        cr.randint(5, 3, (2,))
    with pytest.raises(TypeError, match="randint: size is required"):
        cr.randint(3, 5)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_randperm_is_a_permutation(n):
    t = cr.randperm(n, generator=cr.Generator())
    assert t.dtype == np.int64 and sorted(t.tolist()) == list(range(n))
    assert cr.randperm(n, dtype=np.int32).dtype == np.int32


def test_multinomial_shapes_and_zero_weights():
    weights = cr.tensor([[0.0, 2.0, 0.0, 1.0], [5.0, 0.0, 0.0, 0.0]])
    g = cr.Generator().manual_seed(0)
    drawn = cr.multinomial(weights, 50, replacement=True, generator=g)
    assert drawn.shape == (2, 50) and drawn.dtype == np.int64
    assert set(drawn.data[0].tolist()) == {1, 3} and set(drawn.data[1].tolist()) == {0}
    distinct = cr.multinomial(weights[0], 2, generator=g)
    assert distinct.shape == (2,) and sorted(distinct.tolist()) == [1, 3]
    everything = cr.multinomial(cr.tensor([1.0, 1.0, 1.0]), 3, generator=g)
    assert sorted(everything.tolist()) == [0, 1, 2]
    assert torch.multinomial(torch.tensor([[0.0, 2.0, 0.0, 1.0]]), 2).shape == (1, 2)


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_frequencies_follow_the_weights(replacement):
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    g = cr.Generator().manual_seed(1)
    rows = cr.tensor(np.tile(weights, (20_000, 1)))
    first = cr.multinomial(rows, 2, replacement=replacement, generator=g).data[:, 0]
    frequencies = np.bincount(first, minlength=4) / len(first)
    np.testing.assert_allclose(frequencies, weights / weights.sum(), atol=0.01)


@pytest.mark.parametrize(
    "weights,count,replacement,message",
    [
        ([0.0, 1.0, 1.0], 4, False, "cannot draw 4 samples from 3 categories without"),
        ([0.0, 0.0], 1, False, r"every row needs a positive weight \(its sum is 0\)"),
        ([-1.0, 1.0], 1, True, "weights must be finite and non-negative"),
        ([np.nan, 1.0], 1, True, "weights must be finite and non-negative"),
        ([0.0, 1.0], 0, True, "num_samples must be positive, got 0"),
        ([[[1.0]]], 1, True, r"input must be 1-d or 2-d, got shape \(1, 1, 1\)"),
    ],
)
def test_multinomial_errors(weights, count, replacement, message):
    with pytest.raises(ValueError, match=f"multinomial: {message}"):
        cr.multinomial(cr.tensor(weights), count, replacement)


@pytest.mark.parametrize("name", ["rand_like", "randn_like"])
def test_rand_like(name):
    fn = getattr(cr, name)
    out = fn(cr.zeros(2, 3, dtype=np.float64), generator=cr.Generator())
    assert out.shape == (2, 3) and out.dtype == np.float64
    assert fn(cr.zeros(2), dtype=np.float64, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match=f"{name}: input must be floating-point, got int64"):
        fn(cr.zeros(2, dtype=np.int64))


def test_normal_forms_and_statistics():
    g = cr.Generator().manual_seed(2)
    mean = cr.tensor(np.array([-5.0, 0.0, 5.0]))
    both = cr.normal(mean, cr.tensor([[1e-9], [1e-9]]), generator=g)
    assert both.shape == (2, 3) and both.dtype == np.float64
    np.testing.assert_allclose(both.data, np.broadcast_to(mean.data, (2, 3)), atol=1e-6)
    assert cr.normal(mean, 1.0).shape == (3,) and cr.normal(0.0, cr.ones(4)).dtype == np.float32
    many = cr.normal(3.0, 2.0, (100_000,), generator=g)
    assert many.dtype == np.float32 and abs(many.data.mean() - 3) < 0.03
    assert abs(many.data.std() - 2) < 0.03
    assert torch.normal(torch.zeros(3), 1.0).shape == (3,)


def test_normal_errors():
    with pytest.raises(ValueError, match="normal: std must be non-negative"):
        cr.normal(0.0, -1.0, (2,))
    with pytest.raises(TypeError, match="normal: with a number for mean and for std, pass a size"):
        cr.normal(0.0, 1.0)
    with pytest.raises(TypeError, match="normal: size is given by the mean and std tensors"):
        cr.normal(cr.zeros(2), 1.0, (2,))


def test_bernoulli():
    g = cr.Generator().manual_seed(0)
    probs = cr.tensor(np.array([0.0, 1.0, 0.0, 1.0]))
    out = cr.bernoulli(probs, generator=g)
    assert out.dtype == np.float64 and out.tolist() == [0.0, 1.0, 0.0, 1.0]
    many = cr.bernoulli(cr.zeros(100_000), 0.3, generator=g)
    assert many.dtype == np.float32 and abs(many.data.mean() - 0.3) < 0.01
    with pytest.raises(ValueError, match=r"bernoulli: probabilities must lie in \[0, 1\]"):
        cr.bernoulli(cr.tensor([1.5]))


# ---------------------------------------------------------------------- cat and stack
def test_cat_is_concat_with_dim():
    assert cr.cat is cr.concat
    a, b = np.ones((2, 3)), np.zeros((2, 1))
    check_vs_torch(
        lambda x, y: cr.cat([x, y], dim=-1), lambda x, y: torch.cat([x, y], dim=-1), a, b
    )
    check_vs_torch(lambda x, y: cr.cat([x, y], 1), lambda x, y: torch.cat([x, y], 1), a, b)
    with pytest.raises(TypeError, match="concat: got both axis=1 and dim=1; pass one"):
        cr.cat([cr.ones(2)], axis=1, dim=1)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack_dim_matches_torch(rng, dim):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    check_vs_torch(
        lambda x, y: cr.stack([x, y * y], dim=dim),
        lambda x, y: torch.stack([x, y * y], dim=dim),
        a,
        b,
    )


# ---------------------------------------------------------------------- split and chunk
SPLITS = [
    ((5, 4), 2, 0),
    ((5, 4), 5, 0),
    ((5, 4), 7, 0),
    ((3, 4), [1, 0, 3], -1),
    ((3, 4), 3, 1),
    ((0, 2), 2, 0),
    ((2, 6, 1), [2, 4], -2),
]


@pytest.mark.parametrize("shape,sizes,dim", SPLITS)
def test_split_matches_torch(rng, shape, sizes, dim):
    x = rng.standard_normal(shape)
    mine = cr.split(cr.tensor(x.astype(np.float32)), sizes, dim)
    theirs = torch.split(torch.from_numpy(x.astype(np.float32)), sizes, dim)
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        _same(m, t)
    if x.size:
        check_vs_torch(
            lambda t: cr.cat([p * (i + 1) for i, p in enumerate(t.split(sizes, dim))], dim=dim),
            lambda t: torch.cat([p * (i + 1) for i, p in enumerate(t.split(sizes, dim))], dim),
            x,
        )


def test_split_errors():
    x = cr.ones(5, 2)
    with pytest.raises(
        ValueError, match=r"split: sizes \[2, 2\] must be non-negative and add up to 5"
    ):
        cr.split(x, [2, 2])
    with pytest.raises(ValueError, match="split: split_size must be positive.*got 0"):
        x.split(0)
    with pytest.raises(ValueError, match="split: dim 2 is out of range for a tensor of 2 dim"):
        x.split(1, dim=2)


@pytest.mark.parametrize(
    "length,chunks", [(5, 3), (6, 4), (6, 3), (1, 4), (0, 3), (7, 1), (7, 7), (7, 10)]
)
def test_chunk_matches_torch(length, chunks):
    x = np.arange(2.0 * length).reshape(2, length)
    mine, theirs = (
        cr.chunk(cr.tensor(x), chunks, dim=1),
        torch.chunk(torch.from_numpy(x), chunks, 1),
    )
    assert [m.shape for m in mine] == [tuple(t.shape) for t in theirs]
    for m, t in zip(mine, theirs):
        _same(m, t)


def test_chunk_gradient_and_errors(rng):
    x = rng.standard_normal((4, 7))
    check_vs_torch(
        lambda t: cr.stack([p.sum() * p.sum() for p in t.chunk(3, dim=-1)]),
        lambda t: torch.stack([p.sum() * p.sum() for p in t.chunk(3, dim=-1)]),
        x,
    )
    with pytest.raises(ValueError, match="chunk: chunks must be positive, got 0"):
        cr.ones(3).chunk(0)


# ---------------------------------------------------------------------- flip and roll
@pytest.mark.parametrize("dims", [(0,), (1, 2), (-1,), (0, 1, 2), ()])
def test_flip_matches_torch(rng, dims):
    x = rng.standard_normal((2, 3, 4))
    check_vs_torch(lambda t: cr.flip(t, dims) * t, lambda t: torch.flip(t, dims) * t, x)
    ints = np.arange(24).reshape(2, 3, 4)
    _same(cr.from_numpy(ints).flip(dims), torch.from_numpy(ints).flip(dims))


def test_flip_method_forms_and_errors():
    x = cr.arange(6).reshape(2, 3)
    assert x.flip(0, 1).tolist() == x.flip((0, 1)).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert x.flip(1).tolist() == [[2, 1, 0], [5, 4, 3]]
    with pytest.raises(ValueError, match=r"flip: dims \(0, -2\) name an axis twice"):
        cr.flip(x, (0, -2))
    with pytest.raises(ValueError, match="flip: dim 2 is out of range for a tensor of 2 dim"):
        cr.flip(x, (2,))


@pytest.mark.parametrize(
    "shifts,dims",
    [(1, None), (-7, None), (1, 0), (2, -1), ((1, -2), (0, 1)), (5, 1), (0, 0), ((1, 1), (1, 1))],
)
def test_roll_matches_torch(rng, shifts, dims):
    x = rng.standard_normal((3, 4))
    check_vs_torch(
        lambda t: cr.roll(t, shifts, dims) * t, lambda t: torch.roll(t, shifts, dims) * t, x
    )
    ints = np.arange(12).reshape(3, 4)
    _same(cr.from_numpy(ints).roll(shifts, dims), torch.from_numpy(ints).roll(shifts, dims))


def test_roll_empty_and_errors():
    _same(cr.roll(cr.zeros(0, 3), 2, 0), torch.roll(torch.zeros(0, 3), 2, 0))
    with pytest.raises(ValueError, match=r"roll: shifts \(1, 2\) and dims \(0,\) must have one"):
        cr.roll(cr.ones(2, 2), (1, 2), (0,))
    with pytest.raises(ValueError, match=r"roll: without dims, give one shift, got \(1, 2\)"):
        cr.roll(cr.ones(2, 2), (1, 2))


# ---------------------------------------------------------------------- tril and triu
@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("diagonal", [-3, -1, 0, 1, 2, 5])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (5, 2), (2, 3, 4)])
def test_triangles_match_torch(rng, name, diagonal, shape):
    x = rng.standard_normal(shape)
    check_vs_torch(
        lambda t: getattr(cr, name)(t, diagonal) * t,
        lambda t: getattr(torch, name)(t, diagonal) * t,
        x,
    )
    for dtype in (np.float32, np.int64):
        values = (x * 10).astype(dtype)
        mine = getattr(cr.from_numpy(values), name)(diagonal)
        _same(mine, getattr(torch.from_numpy(values), name)(diagonal))


def test_triangles_zero_infinities_and_check_dims():
    x = np.full((2, 2), np.inf, dtype=np.float32)
    _same(cr.tril(cr.from_numpy(x)), torch.tril(torch.from_numpy(x)))  # zeros, not nan
    with pytest.raises(
        ValueError, match=r"triu: input must have at least 2 dimensions, got shape \(3,\)"
    ):
        cr.triu(cr.ones(3))


# ---------------------------------------------------------------------- meshgrid
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,), (2,)], [(2,), (3,), (4,)], [(4,)], [(), (3,)]])
def test_meshgrid_matches_torch(rng, indexing, shapes):
    arrays = [rng.standard_normal(s) for s in shapes]

    def combine(grids):
        return sum((g * (i + 1)) ** 2 for i, g in enumerate(grids))

    check_vs_torch(
        lambda *ts: combine(cr.meshgrid(*ts, indexing=indexing)),
        lambda *ts: combine(torch.meshgrid(*ts, indexing=indexing)),
        *arrays,
    )
    mine = cr.meshgrid([cr.from_numpy(a.astype(np.float32)) for a in arrays], indexing=indexing)
    theirs = torch.meshgrid(
        [torch.from_numpy(a.astype(np.float32)) for a in arrays], indexing=indexing
    )
    for m, t in zip(mine, theirs):
        _same(m, t)


def test_meshgrid_errors():
    with pytest.raises(ValueError, match="meshgrid: expected at least one tensor"):
        cr.meshgrid()
    with pytest.raises(ValueError, match="meshgrid: indexing must be 'ij' or 'xy', got 'ji'"):
        cr.meshgrid(cr.ones(2), indexing="ji")
    with pytest.raises(
        ValueError, match=r"meshgrid: expected 0-d or 1-d tensors, got \[\(2, 2\)\]"
    ):
        cr.meshgrid(cr.ones(2, 2))


# ---------------------------------------------------------------------- einsum
EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]),
    ("bA", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i,i", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("...ij,...jk", [(5, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(1, 2, 3), (4, 3, 2)]),
    ("b...,b...->...", [(2, 3, 1), (2, 1, 4)]),
    ("i...->i", [(2, 3, 2)]),
    ("...", [(2, 3)]),
    ("iij->j", [(3, 3, 4)]),
    ("jii->ij", [(4, 3, 3)]),
    ("iji->ij", [(3, 2, 3)]),
    ("ijij->ij", [(2, 3, 2, 3)]),
    ("ij,jj->i", [(2, 3), (3, 3)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ij,kl->ki", [(3, 4), (2, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),
    ("ij,->ij", [(2, 3), ()]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUMS)
def test_einsum_matches_torch(rng, equation, shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    check_vs_torch(
        lambda *ts: cr.einsum(equation, *ts), lambda *ts: torch.einsum(equation, *ts), *arrays
    )
    small = [a.astype(np.float32) for a in arrays]
    mine = cr.einsum(equation, *map(cr.from_numpy, small))
    _same(mine, torch.einsum(equation, *map(torch.from_numpy, small)), exact=False)


def test_einsum_double_backward_matches_torch(rng):
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 4))
    equation = "ii,ij->j"

    def hvp(lib, einsum, x, y):
        out = (einsum(equation, x * x, y) ** 2).sum()
        (gx,) = lib.autograd.grad(out, [x], create_graph=True) if lib is torch else _cr_grad(out, x)
        return (gx * gx).sum()

    x, y = cr.tensor(a, requires_grad=True), cr.tensor(b)
    hvp(cr, cr.einsum, x, y).backward()
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b)
    (expected,) = torch.autograd.grad(hvp(torch, torch.einsum, tx, ty), [tx])
    np.testing.assert_allclose(x.grad.data, expected.numpy(), rtol=1e-10)


def _cr_grad(out, x):
    out.backward(create_graph=True)
    grad, x.grad = x.grad, None
    return (grad,)


def test_einsum_integers_and_operand_lists():
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    _same(
        cr.einsum("ij,jk", [cr.from_numpy(a), cr.from_numpy(b)]),
        torch.einsum("ij,jk", [torch.from_numpy(a), torch.from_numpy(b)]),
    )


@pytest.mark.parametrize(
    "equation,shapes,message",
    [
        ("ij->ii", [(2, 2)], "output letter 'i' of 'ij->ii' must appear once"),
        ("ij->k", [(2, 2)], "output letter 'k' of 'ij->k' must appear once, and in some"),
        ("ij", [(2, 2, 2)], "term 'ij' does not match operand 0, which has 3 dimensions"),
        ("ij,jk", [(2, 2)], "equation 'ij,jk' has 2 operands, got 1 tensors"),
        ("i1", [(2, 3)], "may hold letters a-z, A-Z and one '...' per term"),
        ("i.j", [(2, 3)], "may hold letters a-z, A-Z and one '...' per term"),
        ("...i...", [(2, 3)], "may hold letters a-z, A-Z and one '...' per term"),
        ("i->i->i", [(2,)], "must be 'terms' or 'terms->output'"),
        ("ij,jk", [(2, 3), (2, 4)], "letter 'j' has size 3 in one place and 2 in operand 1"),
        ("ii", [(2, 3)], "letter 'i' repeats in operand 0 over dims of different sizes"),
        ("ii", [(1, 3)], "letter 'i' repeats in operand 0 over dims of different sizes"),
    ],
)
def test_einsum_errors(equation, shapes, message):
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        cr.einsum(equation, *[cr.ones(*s) for s in shapes])
    assert str(error.value).startswith("einsum: ")


KERNEL_EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij,kl->ki", [(3, 4), (2, 5)]),
    ("ij,jk,kl->li", [(2, 3), (3, 4), (4, 5)]),
    ("ij,->ij", [(2, 3), ()]),
]


@pytest.mark.parametrize("equation,shapes", KERNEL_EINSUMS)
def test_einsum_cpu_and_portable_kernels_agree(rng, equation, shapes):
    xps = pytest.importorskip("array_api_strict")
    arrays = [rng.standard_normal(s) for s in shapes]
    portable = namespace(xps.asarray(arrays[0])).einsum(equation, *map(xps.asarray, arrays))
    fast = cpu.einsum(equation, *arrays)
    assert type(fast) is np.ndarray
    np.testing.assert_allclose(np.asarray(portable), fast, rtol=1e-12)


STRICT = {
    "einsum_diagonal": lambda t: cr.einsum("ii,ij->j", t, t),
    "einsum_ellipsis": lambda t: cr.einsum("...j,j->...", t, t[0, :]),
    "einsum_own_letter": lambda t: cr.einsum("ij->i", t),
    "flip": lambda t: cr.flip(t, (0, 1)),
    "roll": lambda t: cr.roll(t, (1, 2), (0, 1)),
    "roll_flat": lambda t: cr.roll(t, 4),
    "split": lambda t: cr.split(t, [1, 2])[1],
    "chunk": lambda t: t.chunk(2, dim=1)[0],
    "triu": lambda t: cr.triu(t, 1),
    "meshgrid": lambda t: cr.meshgrid(t[0, :], t[1, :], indexing="xy")[0],
    "where": lambda t: cr.where(t > 2, t, 0.5),
    "stack": lambda t: cr.stack([t, t * t], dim=-1),
}


@pytest.mark.parametrize("name", sorted(STRICT))
def test_structure_ops_run_on_a_strict_namespace(name):
    xps = pytest.importorskip("array_api_strict")
    results = []
    for place in (None, xps):
        t = cr.tensor(np.arange(9.0).reshape(3, 3))
        t = (t if place is None else t.to(place)).requires_grad_()
        out = STRICT[name](t)
        (out * out).sum().backward()
        results.append((out.data, t.grad.data))
    (out, grad), (out_strict, grad_strict) = results
    assert type(out_strict) is not np.ndarray
    np.testing.assert_allclose(np.asarray(out_strict), out, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grad_strict), grad, rtol=1e-12)


# ---------------------------------------------------------------------- where
WHERE_OPERANDS = [
    (1.0, 0.0),
    (1, 0),
    (True, False),
    (np.array([1, 2]), 0.5),
    (0.5, np.array([1, 2], dtype=np.int32)),
    (np.array([1, 2], dtype=np.int32), 5),
    (np.array([1.0, 2.0]), 0.5),
    (np.array([1.0, 2.0], dtype=np.float32), 3),
    (np.array([True, False]), 2.5),
    (np.array([True, False]), 2),
]


@pytest.mark.parametrize("a,b", WHERE_OPERANDS)
def test_where_dtypes_match_torch(a, b):
    condition = np.array([True, False])

    def wrap(x, lib):
        return x if not isinstance(x, np.ndarray) else lib(x)

    mine = cr.where(cr.from_numpy(condition), wrap(a, cr.from_numpy), wrap(b, cr.from_numpy))
    theirs = torch.where(
        torch.from_numpy(condition), wrap(a, torch.from_numpy), wrap(b, torch.from_numpy)
    )
    _same(mine, theirs)


@pytest.mark.parametrize("shape", [(5,), (2, 3), (), (0, 2)])
def test_where_of_the_condition_alone_gives_indices(rng, shape):
    condition = np.asarray(rng.random(shape) < 0.5)
    mine, theirs = cr.where(cr.from_numpy(condition)), torch.where(torch.from_numpy(condition))
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        _same(m, t)


def test_where_method_gradient_and_errors(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    check_vs_torch(
        lambda x, y: (x * x).where(x.data > 0, y),
        lambda x, y: (x * x).where(x.detach() > 0, y),
        a,
        b,
    )
    check_vs_torch(lambda x: cr.where(x.data > 0, x, 0.5), lambda x: torch.where(x > 0, x, 0.5), a)
    with pytest.raises(TypeError, match="where: condition must be a bool tensor, got float32"):
        cr.where(cr.ones(2), 1.0, 0.0)
    with pytest.raises(TypeError, match="where: give both a and b, or neither"):
        cr.where(cr.ones(2) > 0, 1.0)
