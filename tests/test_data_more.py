"""Subset, ConcatDataset, random_split, default_collate and DataLoader's collate_fn= and
generator=, against torch.utils.data where it defines the behaviour."""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = namedtuple("Point", ["x", "label"])


class Words(Dataset):
    """A dataset of Python items: (word, count) pairs, indexable by int only."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        return self.pairs[index]


PAIRS = [("the", 3), ("cat", 1), ("sat", 4), ("on", 1), ("a", 5), ("mat", 9), ("today", 2)]


def _as_numpy(value):
    """torch's collated batch with its tensors as ndarrays, to compare with ours."""
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, dict):
        return {k: _as_numpy(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_as_numpy(v) for v in value))
    if isinstance(value, list) and value and not isinstance(value[0], str | bytes):
        return [_as_numpy(v) for v in value]
    return value


def _assert_same_batch(ours, theirs):
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), type(ours)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    elif isinstance(theirs, dict):
        assert type(ours) is dict and list(ours) == list(theirs)
        for key in theirs:
            _assert_same_batch(ours[key], theirs[key])
    else:  # a named tuple; strings as they came; or a list of fields (ours: a tuple)
        if isinstance(theirs, tuple):
            assert type(ours) is type(theirs)
        else:
            assert isinstance(ours, tuple | list)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            if isinstance(b, str | bytes):
                assert a == b
            else:
                _assert_same_batch(a, b)


# ---------------------------------------------------------------------- default_collate
SAMPLES = {
    "floats": [1.5, -2.0, 3.25],
    "ints": [1, 2, 3],
    "bools": [True, False, True],
    "numpy scalars": [np.float32(1.5), np.float32(2.5)],
    "numpy ints": [np.int16(3), np.int16(-4)],
    "strings": ["a", "bb", "c"],
    "bytes": [b"x", b"y"],
    "arrays": [np.arange(6, dtype=np.float32).reshape(2, 3) + i for i in range(3)],
    "0-d arrays": [np.array(1.0), np.array(2.0)],
    "int arrays": [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
    "tuples": [(np.ones(2), 1, "x"), (np.zeros(2), 2, "y")],
    "lists": [[1.0, 2], [3.0, 4]],
    "dicts": [{"image": np.ones((2, 2)), "label": 3}, {"image": np.zeros((2, 2)), "label": 4}],
    "named tuples": [Point(np.ones(3), 1), Point(np.zeros(3), 0)],
    "nested": [{"pair": (1.0, [2, "s"])}, {"pair": (3.0, [4, "t"])}],
    "pairs": PAIRS[:3],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_default_collate_matches_torch(name):
    batch = SAMPLES[name]
    ours = default_collate(batch)
    theirs = _as_numpy(tdata.default_collate(batch))
    _assert_same_batch(ours, theirs)


def test_default_collate_keeps_tuples_and_lists():
    assert type(default_collate([(1, 2), (3, 4)])) is tuple  # torch gives a list here
    assert type(default_collate([[1, 2], [3, 4]])) is list


def test_default_collate_stacks_tensors_on_the_graph():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    batch = default_collate([a, b])
    assert isinstance(batch, cr.Tensor) and batch.shape == (2, 2)
    (batch * cr.tensor([[1.0, 1.0], [2.0, 2.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [2.0, 2.0]
    ref = tdata.default_collate([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(batch.data, ref.numpy())


@pytest.mark.parametrize(
    ("batch", "error", "match"),
    [
        ([(1, 2), (3,)], RuntimeError, "each element in list of batch should be of equal size"),
        ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
        ([np.array([object()])] * 2, TypeError, "found object"),
        ([object(), object()], TypeError, "found <class 'object'>"),
        ([np.ones(2), np.ones(3)], ValueError, "same shape"),
    ],
)
def test_default_collate_errors(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)
    if error is not ValueError:  # torch says the same, in its words
        with pytest.raises(error):
            tdata.default_collate(batch)


# ---------------------------------------------------------------------- DataLoader
def test_python_items_through_a_custom_collate_fn():
    vocab = {word: i for i, (word, _) in enumerate(PAIRS)}

    def encode(samples):
        words, counts = zip(*samples)
        longest = max(len(w) for w in words)
        chars = np.array([[ord(c) for c in w.ljust(longest)] for w in words])
        return chars, np.array([vocab[w] for w in words]), np.array(counts, dtype=np.float32)

    loader = DataLoader(Words(PAIRS), batch_size=3, collate_fn=encode)
    batches = list(loader)
    assert len(batches) == len(loader) == 3
    chars, ids, counts = batches[1]
    assert chars.shape == (3, 3) and "".join(map(chr, chars[1])) == "a  "
    assert ids.tolist() == [3, 4, 5] and counts.tolist() == [1.0, 5.0, 9.0]
    assert batches[2][1].tolist() == [6]


def test_python_items_with_the_default_collate_match_torch():
    ours = list(DataLoader(Words(PAIRS), batch_size=4))
    theirs = [_as_numpy(b) for b in tdata.DataLoader(Words(PAIRS), batch_size=4)]
    assert len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs, strict=True):
        _assert_same_batch(a, b)
    words, counts = ours[0]
    assert words == ("the", "cat", "sat", "on") and counts.dtype == np.int64


def test_a_plain_list_is_a_dataset():
    batches = list(DataLoader(PAIRS, batch_size=5, collate_fn=list))
    assert batches == [PAIRS[:5], PAIRS[5:]]


def test_dict_samples_through_the_loader():
    samples = [{"x": np.full(2, i, dtype=np.float32), "y": i} for i in range(5)]
    batches = list(DataLoader(samples, batch_size=2, drop_last=True))
    assert len(batches) == 2 and list(batches[1]) == ["x", "y"]
    np.testing.assert_array_equal(batches[1]["x"], [[2.0, 2.0], [3.0, 3.0]])
    assert batches[1]["y"].tolist() == [2, 3]


def test_collate_fn_gets_the_samples_of_a_tensordataset_one_by_one():
    seen = []
    ds = TensorDataset(np.arange(5) * 10, np.arange(5))
    loader = DataLoader(ds, batch_size=2, collate_fn=lambda samples: seen.append(samples) or 0)
    assert list(loader) == [0, 0, 0]
    assert [[(int(x), int(y)) for x, y in batch] for batch in seen] == [
        [(0, 0), (10, 1)],
        [(20, 2), (30, 3)],
        [(40, 4)],
    ]


def _order(loader):
    return [int(i) for _, ids in loader for i in ids]


def test_generator_shuffles_as_the_same_seed_does():
    ds = TensorDataset(np.zeros(20), np.arange(20))
    seeded = DataLoader(ds, batch_size=6, shuffle=True, seed=3)
    given = DataLoader(ds, batch_size=6, shuffle=True, generator=np.random.default_rng(3))
    for _ in range(3):  # successive epochs too
        assert _order(seeded) == _order(given)
    first, second = _order(given), _order(given)
    assert sorted(first) == sorted(second) == list(range(20)) and first != second


def test_generator_is_used_as_given():
    ds = TensorDataset(np.arange(10))
    generator = np.random.default_rng(0)
    loader = DataLoader(ds, batch_size=10, shuffle=True, generator=generator)
    assert loader.rng_state() == generator.bit_generator.state
    state = loader.rng_state()
    first = _order_of_single(loader)
    assert generator.bit_generator.state != state  # the epoch advanced it
    loader.set_rng_state(state)
    assert _order_of_single(loader) == first


def _order_of_single(loader):
    return [int(i) for (ids,) in loader for i in ids]


def test_generator_errors():
    ds = TensorDataset(np.arange(3))
    with pytest.raises(ValueError, match="a seed or a generator, not both"):
        DataLoader(ds, seed=0, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="np.random.Generator, got RandomState"):
        DataLoader(ds, generator=np.random.RandomState(0))


# ---------------------------------------------------------------------- Subset
def test_subset_indexing():
    ds = TensorDataset(np.arange(10) * 10, np.arange(10))
    sub = Subset(ds, [7, 2, 9])
    assert len(sub) == 3 and sub.indices == [7, 2, 9]
    assert [int(v) for v in sub[0]] == [70, 7] and int(sub[-1][1]) == 9
    assert int(sub[np.int64(1)][0]) == 20
    x, y = sub[np.array([2, 0])]
    assert x.tolist() == [90, 70] and y.tolist() == [9, 7]
    assert sub[[1, 1]][1].tolist() == [2, 2]
    ref = tdata.Subset(tdata.TensorDataset(torch.arange(10) * 10), [7, 2, 9])
    assert [int(ref[i][0]) for i in range(3)] == [int(sub[i][0]) for i in range(3)]


def test_subset_batches_gather_through_the_dataset():
    calls = []

    class Counted(TensorDataset):
        def __getitem__(self, index):
            calls.append(index)
            return super().__getitem__(index)

    sub = Subset(Counted(np.arange(8) * 10), [5, 1, 6, 0, 3])
    batches = [b.tolist() for (b,) in DataLoader(sub, batch_size=2)]
    assert batches == [[50, 10], [60, 0], [30]]
    assert len(calls) == 3 and all(isinstance(c, np.ndarray) for c in calls)


def test_subset_of_python_items_through_the_loader():
    sub = Subset(PAIRS, [4, 0, 2])
    words, counts = next(iter(DataLoader(sub, batch_size=3)))
    assert words == ("a", "the", "sat") and counts.tolist() == [5, 3, 4]


# ---------------------------------------------------------------------- ConcatDataset
def test_concat_dataset_matches_torch():
    parts = [list(range(3)), list(range(10, 12)), [], list(range(20, 24))]
    ours, theirs = ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 9
    assert ours.cumulative_sizes == theirs.cumulative_sizes == [3, 5, 5, 9]
    assert [ours[i] for i in range(-9, 9)] == [theirs[i] for i in range(-9, 9)]
    assert ours[np.int32(4)] == 11


def test_concat_dataset_errors():
    ds = ConcatDataset([[1, 2], [3]])
    with pytest.raises(IndexError, match="index 3 is out of range for length 3"):
        ds[3]
    with pytest.raises(IndexError, match="index -4"):
        ds[-4]
    with pytest.raises(TypeError, match="indices must be integers, got ndarray"):
        ds[np.array([0, 1])]
    with pytest.raises(ValueError, match="empty iterable"):
        ConcatDataset([])


def test_concat_dataset_through_the_loader_and_plus():
    a = TensorDataset(np.arange(3, dtype=np.float32), np.zeros(3, dtype=np.int64))
    b = TensorDataset(np.arange(10, 12, dtype=np.float32), np.ones(2, dtype=np.int64))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 5
    batches = list(DataLoader(both, batch_size=2))
    assert [x.tolist() for x, _ in batches] == [[0.0, 1.0], [2.0, 10.0], [11.0]]
    assert [y.tolist() for _, y in batches] == [[0, 0], [0, 1], [1]]
    assert batches[0][0].dtype == np.float32


# ---------------------------------------------------------------------- random_split
@pytest.mark.parametrize(
    ("n", "lengths"),
    [
        (10, [3, 7]),
        (10, [0.5, 0.5]),
        (10, [0.33, 0.33, 0.34]),
        (11, [0.1, 0.2, 0.7]),
        (7, [0.5, 0.25, 0.25]),
        (5, [1.0]),
        (100, [0.8, 0.1, 0.1]),
        (3, [0, 3]),
    ],
)
def test_random_split_sizes_match_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = random_split(list(range(n)), lengths, generator=np.random.default_rng(0))
        theirs = tdata.random_split(list(range(n)), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    drawn = [i for subset in ours for i in subset.indices]
    assert sorted(drawn) == list(range(n))  # a partition
    assert all(type(i) is int for i in drawn)


def test_random_split_is_reproducible():
    ds = TensorDataset(np.arange(50))

    def split(generator=None):
        return [s.indices for s in random_split(ds, [20, 30], generator)]

    assert split(np.random.default_rng(5)) == split(np.random.default_rng(5))
    assert split(np.random.default_rng(5)) != split(np.random.default_rng(6))
    cr.manual_seed(1)
    first = split()
    cr.manual_seed(1)
    assert split() == first  # the global generator, which cr.manual_seed seeds
    train, _ = random_split(ds, [20, 30], np.random.default_rng(5))
    assert train[0][0].item() == train.indices[0]


def test_random_split_warns_of_an_empty_split():
    with pytest.warns(UserWarning) as caught:
        sizes = random_split(list(range(2)), [0.9, 0.05, 0.05], np.random.default_rng(0))
    assert [len(s) for s in sizes] == [2, 0, 0]
    assert [str(w.message) for w in caught] == [
        "random_split: the split at index 1 is empty",
        "random_split: the split at index 2 is empty",
    ]


@pytest.mark.parametrize(
    ("lengths", "match"),
    [
        ([3, 3], "lengths sum to 6, the dataset has 5 samples"),
        ([0.6, 0.6], "non-negative integers or fractions"),
        ([-1, 6], "non-negative integers"),
        ([1.5, -0.5], "fraction at index 0 is not between 0 and 1"),
    ],
)
def test_random_split_errors(lengths, match):
    with pytest.raises(ValueError, match=match):
        random_split(list(range(5)), lengths)
