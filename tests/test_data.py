"""Tests for chainrule.data: TensorDataset, DataLoader and the MNIST/IDX loader."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.data import DataLoader, Dataset, TensorDataset, load_mnist
from chainrule.data.mnist import read_idx

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ---------------------------------------------------------------- helpers
def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file, gzip-compressed when the name ends in .gz."""
    header = b"\x00\x00\x08" + bytes([array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def write_mnist(
    root: Path, n: int = 5, gz: bool = True, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """Write a small synthetic MNIST split into root; return its (pixels, labels)."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(root / f"{split}-images-idx3-ubyte{suffix}", pixels)
    write_idx(root / f"{split}-labels-idx1-ubyte{suffix}", labels)
    return pixels, labels


def epoch_samples(loader: DataLoader) -> list[int]:
    """Sample ids of one epoch, in order (the dataset's second array holds the ids)."""
    return [int(i) for _, ids in loader for i in ids]


def id_dataset(n: int) -> TensorDataset:
    return TensorDataset(np.arange(n, dtype=np.float32)[:, None] * 10, np.arange(n))


class ListDataset(Dataset):
    """A generic dataset that only accepts int indices, like a Python list."""

    def __init__(self, samples: list) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        return self.samples[index]


# ---------------------------------------------------------------- TensorDataset
def test_tensordataset_mismatched_lengths():
    with pytest.raises(ValueError, match=r"same first dimension, got shapes \[\(3, 2\), \(4,\)\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))


def test_tensordataset_no_arrays():
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


def test_tensordataset_scalar_array():
    with pytest.raises(ValueError, match=r"at least 1-D, got shapes \[\(\)\]"):
        TensorDataset(np.float32(1.0))


def test_tensordataset_index_int_and_array(rng):
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 10, size=6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    x2, y2 = ds[4]
    np.testing.assert_array_equal(x2, x[4])
    assert y2 == y[4]
    xb, yb = ds[np.array([5, 0, 5])]
    np.testing.assert_array_equal(xb, x[[5, 0, 5]])
    np.testing.assert_array_equal(yb, y[[5, 0, 5]])


def test_tensordataset_takes_data_attribute_without_copy():
    class FakeTensor:
        def __init__(self, data: np.ndarray) -> None:
            self.data = data

    x = np.arange(8.0).reshape(4, 2)
    ds = TensorDataset(FakeTensor(x), np.arange(4))
    assert ds.arrays[0] is x


# ---------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("n, batch_size", [(10, 1), (10, 3), (10, 5), (10, 10), (10, 16), (7, 2)])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_covers_every_sample_once(n, batch_size, shuffle, drop_last):
    loader = DataLoader(id_dataset(n), batch_size, shuffle=shuffle, drop_last=drop_last, seed=0)
    batches = list(loader)
    assert len(batches) == len(loader)
    sizes = [len(ids) for _, ids in batches]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest and not drop_last else [])
    for x, ids in batches:
        np.testing.assert_array_equal(x[:, 0], ids * 10)  # arrays stay aligned
    seen = np.concatenate([ids for _, ids in batches]) if batches else np.array([], int)
    assert len(np.unique(seen)) == len(seen)
    if not drop_last:
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(len(seen)))


@pytest.mark.parametrize(
    "n, batch_size, drop_last, expected",
    [(10, 3, False, 4), (10, 3, True, 3), (9, 3, False, 3), (9, 3, True, 3), (2, 5, True, 0)],
)
def test_dataloader_len(n, batch_size, drop_last, expected):
    assert len(DataLoader(id_dataset(n), batch_size, drop_last=drop_last)) == expected


def test_dataloader_same_seed_same_order():
    a = DataLoader(id_dataset(50), 8, shuffle=True, seed=3)
    b = DataLoader(id_dataset(50), 8, shuffle=True, seed=3)
    assert [epoch_samples(a) for _ in range(3)] == [epoch_samples(b) for _ in range(3)]


def test_dataloader_different_seeds_differ():
    a = DataLoader(id_dataset(50), 8, shuffle=True, seed=0)
    b = DataLoader(id_dataset(50), 8, shuffle=True, seed=1)
    assert epoch_samples(a) != epoch_samples(b)


def test_dataloader_without_seed_follows_manual_seed():
    import chainrule as cr

    runs = []
    for seed in (7, 7, 8):
        cr.manual_seed(seed)
        loader = DataLoader(id_dataset(50), 8, shuffle=True)
        runs.append([epoch_samples(loader) for _ in range(2)])
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert runs[0][0] != runs[0][1]  # still a new order every epoch


def test_dataloader_epochs_differ():
    loader = DataLoader(id_dataset(50), 8, shuffle=True, seed=0)
    first, second = epoch_samples(loader), epoch_samples(loader)
    assert first != second
    assert sorted(first) == sorted(second) == list(range(50))


def test_dataloader_iter_returns_fresh_generator():
    loader = DataLoader(id_dataset(6), 2)
    first = iter(loader)
    next(first)
    assert [ids.tolist() for _, ids in loader] == [[0, 1], [2, 3], [4, 5]]
    assert [ids.tolist() for _, ids in first] == [[2, 3], [4, 5]]


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "4"])
def test_dataloader_bad_batch_size(batch_size):
    message = f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
    with pytest.raises(ValueError, match=message):
        DataLoader(id_dataset(4), batch_size)


def test_dataloader_empty_dataset():
    with pytest.raises(ValueError, match="DataLoader: dataset is empty"):
        DataLoader(TensorDataset(np.zeros((0, 3))), 2)


def test_dataloader_rng_state_round_trip():
    loader = DataLoader(id_dataset(40), 4, shuffle=True, seed=0)
    epoch_samples(loader)
    state = json.loads(json.dumps(loader.rng_state()))  # survives storage as text
    expected = [epoch_samples(loader), epoch_samples(loader)]
    resumed = DataLoader(id_dataset(40), 4, shuffle=True, seed=123)
    resumed.set_rng_state(state)
    assert [epoch_samples(resumed), epoch_samples(resumed)] == expected


def test_dataloader_set_rng_state_invalid():
    loader = DataLoader(id_dataset(4), 2, shuffle=True, seed=0)
    with pytest.raises(ValueError, match="DataLoader: invalid rng state"):
        loader.set_rng_state({"bit_generator": "MT19937"})


def test_dataloader_gathers_each_batch_with_one_index_call():
    calls = []

    class Recording(TensorDataset):
        def __getitem__(self, index):
            calls.append(index)
            return super().__getitem__(index)

    loader = DataLoader(Recording(np.arange(10)), 4, shuffle=True, seed=0)
    batches = list(loader)
    assert len(calls) == len(batches) == 3
    assert all(isinstance(index, np.ndarray) for index in calls)
    assert [len(b) for (b,) in batches] == [4, 4, 2]


def test_dataloader_generic_dataset_stacks_tuple_samples():
    samples = [(np.full(2, i, dtype=np.float32), i) for i in range(5)]
    x, y = list(DataLoader(ListDataset(samples), 2))[1]
    np.testing.assert_array_equal(x, [[2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(y, [2, 3])


def test_dataloader_generic_dataset_stacks_array_samples():
    samples = [np.full(3, i) for i in range(4)]
    batches = list(DataLoader(ListDataset(samples), 3))
    np.testing.assert_array_equal(batches[0], [[0, 0, 0], [1, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(batches[1], [[3, 3, 3]])


# ---------------------------------------------------------------- MNIST, bundled copy
@pytest.fixture(scope="module")
def mnist_train():
    return load_mnist(train=True)


@pytest.fixture(scope="module")
def mnist_test():
    return load_mnist(train=False)


def test_load_mnist_train_shapes_and_dtypes(mnist_train):
    images, labels = mnist_train
    assert images.shape == (60000, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert labels[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]


def test_load_mnist_test_shapes_and_dtypes(mnist_test):
    images, labels = mnist_test
    assert images.shape == (10000, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (10000,) and labels.dtype == np.int64
    assert labels[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]


@pytest.mark.parametrize("split", ["mnist_train", "mnist_test"])
def test_load_mnist_pixel_range(split, request):
    images, _ = request.getfixturevalue(split)
    assert images.min() == 0.0 and images.max() == 1.0
    levels = images[:100] * 255  # pixels are bytes / 255
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)


@pytest.mark.parametrize(
    "split, counts", [("mnist_train", TRAIN_COUNTS), ("mnist_test", TEST_COUNTS)]
)
def test_load_mnist_label_counts(split, counts, request):
    _, labels = request.getfixturevalue(split)
    one_hot = np.eye(10, dtype=np.int64)[labels]
    assert one_hot.sum() == len(labels)
    assert one_hot.sum(axis=0).tolist() == counts


def test_load_mnist_returns_fresh_writable_arrays(mnist_test):
    images, labels = load_mnist(train=False)
    images[:] = 0.0
    labels[:] = 0
    np.testing.assert_array_equal(mnist_test[1][:3], [7, 2, 1])
    assert mnist_test[0].max() == 1.0


# ---------------------------------------------------------------- MNIST, synthetic files
@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_explicit_root(tmp_path, gz):
    pixels, labels = write_mnist(tmp_path, n=5, gz=gz)
    images, got_labels = load_mnist(tmp_path)
    np.testing.assert_array_equal(images, (pixels / np.float32(255))[:, None])
    np.testing.assert_array_equal(got_labels, labels)
    assert got_labels.dtype == np.int64


def test_load_mnist_test_split_from_root(tmp_path):
    write_mnist(tmp_path, n=5)
    _, labels = write_mnist(tmp_path, n=3, split="t10k")
    assert load_mnist(tmp_path, train=False)[1].tolist() == labels.tolist()


def test_load_mnist_env_var(tmp_path, monkeypatch):
    _, labels = write_mnist(tmp_path, n=4)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    assert load_mnist()[1].tolist() == labels.tolist()


def test_load_mnist_root_overrides_env_var(tmp_path, monkeypatch):
    root = tmp_path / "explicit"
    root.mkdir()
    _, labels = write_mnist(root, n=3)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "missing"))
    assert load_mnist(root)[1].tolist() == labels.tolist()


def test_load_mnist_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="data folder not found.*nowhere"):
        load_mnist(tmp_path / "nowhere")


def test_load_mnist_env_var_missing_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_mnist()


def test_load_mnist_missing_file(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_load_mnist_truncated_gzip(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: corrupt or truncated gzip"):
        load_mnist(tmp_path)


def test_load_mnist_corrupt_gzip(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: corrupt or truncated gzip"):
        load_mnist(tmp_path)


def test_load_mnist_wrong_magic(tmp_path):
    _, labels = write_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", labels)  # a labels file in its place
    message = "train-images-idx3-ubyte.gz: expected magic number 0x00000803, found 0x00000801"
    with pytest.raises(ValueError, match=message):
        load_mnist(tmp_path)


def test_load_mnist_payload_shorter_than_header(tmp_path):
    write_mnist(tmp_path, n=5, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[: 16 + 4 * 784])
    message = r"train-images-idx3-ubyte: expected 3920 bytes of data .*, found 3136"
    with pytest.raises(ValueError, match=message):
        load_mnist(tmp_path)


def test_load_mnist_truncated_header(tmp_path):
    write_mnist(tmp_path, gz=False)
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:6])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: truncated header"):
        load_mnist(tmp_path)


def test_load_mnist_count_mismatch(tmp_path):
    write_mnist(tmp_path, n=5)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="5 images in .*train-images.* but 4 labels in"):
        load_mnist(tmp_path)


def test_load_mnist_label_out_of_range(tmp_path):
    write_mnist(tmp_path, n=3)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([1, 10, 2], np.uint8))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: labels must be in 0..9"):
        load_mnist(tmp_path)


def test_load_mnist_wrong_image_size(tmp_path):
    write_mnist(tmp_path, n=3)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 27, 28), np.uint8))
    with pytest.raises(ValueError, match="expected 28x28 images, got 27x28"):
        load_mnist(tmp_path)


def test_read_idx_round_trip(tmp_path, rng):
    array = rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a.gz", array)), array)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a", array)), array)


@settings(max_examples=50, deadline=None)
@given(
    payload=st.one_of(
        st.binary(max_size=64),
        st.binary(max_size=64).map(b"\x00\x00\x08".__add__),  # IDX magic prefix
        st.binary(max_size=64).map(b"\x1f\x8b\x08".__add__),  # gzip magic prefix
    ),
    mode=st.sampled_from(["gzip", "plain", "raw-named-gz"]),
)
def test_load_mnist_random_bytes_raise_value_error(payload, mode):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_mnist(root, n=2, gz=mode != "plain")
        path = root / ("train-images-idx3-ubyte" + ("" if mode == "plain" else ".gz"))
        path.write_bytes(gzip.compress(payload) if mode == "gzip" else payload)
        with pytest.raises(ValueError, match="train-images-idx3-ubyte"):
            load_mnist(root)


@settings(max_examples=50, deadline=None)
@given(payload=st.binary(max_size=64).map(b"\x00\x00\x08".__add__), gz=st.booleans())
def test_read_idx_random_bytes_parse_or_raise_value_error(payload, gz):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("x.idx.gz" if gz else "x.idx")
        path.write_bytes(gzip.compress(payload) if gz else payload)
        try:
            array = read_idx(path)
        except ValueError as e:
            assert str(path) in str(e)
        else:
            assert array.dtype == np.uint8 and array.size == len(payload) - 4 - 4 * payload[3]
