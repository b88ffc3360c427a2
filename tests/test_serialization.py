"""Tests for chainrule.serialization: safetensors checkpoints, atomic writes, corrupt files."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import serialization
from chainrule.serialization import load, load_with_metadata, save

SRC = Path(serialization.__file__).resolve().parents[1]  # the folder holding chainrule/


class FakeTensor:
    """Stands in for a chainrule Tensor/Parameter: an object with an ndarray ``.data``."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


class TouchOnUnpickle:
    """Unpickling this creates a file: proof of whether anything was unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def run_python(code: str, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE)


def assert_state_equal(got: dict, expected: dict) -> None:
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
        np.testing.assert_array_equal(got[key], value)


def valid_bytes() -> bytes:
    from safetensors.numpy import save as serialize

    return serialize({"w": np.arange(6, dtype=np.float32)})


def with_header(header: object, body: bytes = b"") -> bytes:
    """Bytes laid out like a safetensors file: 8-byte little-endian length, JSON, data."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


# ---------------------------------------------------------------- round trips
ARRAYS = {
    "float32": np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32),
    "float64": np.random.default_rng(1).normal(size=(2, 3, 4)),
    "int64": np.arange(-5, 5, dtype=np.int64),
    "scalar": np.array(3.5),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "bool": np.array([True, False, True]),
    "uint8": np.arange(256, dtype=np.uint8),
    "float16": np.array([0.5, -2.0, 65504.0], dtype=np.float16),
    "big_endian": np.arange(4, dtype=">f8"),
}


@pytest.mark.parametrize("name", list(ARRAYS))
def test_save_load_round_trip(tmp_path, name):
    array = ARRAYS[name]
    save({name: array}, tmp_path / "ckpt.safetensors")
    got = load(tmp_path / "ckpt.safetensors")[name]
    assert got.shape == array.shape and got.dtype.name == array.dtype.name
    np.testing.assert_array_equal(got, array)
    assert got.flags.writeable


def test_save_load_round_trip_many(tmp_path):
    save(ARRAYS, tmp_path / "ckpt.safetensors")
    got = load(tmp_path / "ckpt.safetensors")
    assert_state_equal(got, {k: v.astype(v.dtype.newbyteorder("=")) for k, v in ARRAYS.items()})


@pytest.mark.parametrize(
    "array",
    [np.arange(12.0).reshape(3, 4).T, np.arange(20, dtype=np.int64)[::3], np.ones((4, 4))[:, 1]],
)
def test_save_non_contiguous(tmp_path, array):
    assert not array.flags.c_contiguous
    save({"x": array}, tmp_path / "ckpt.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "ckpt.safetensors")["x"], array)


def test_save_accepts_data_attribute(tmp_path, rng):
    weight = rng.normal(size=(2, 3)).astype(np.float32)
    save({"layer.weight": FakeTensor(weight)}, str(tmp_path / "ckpt.safetensors"))
    assert_state_equal(load(str(tmp_path / "ckpt.safetensors")), {"layer.weight": weight})


def test_load_with_metadata_round_trip(tmp_path):
    metadata = {"epoch": "3", "config": json.dumps({"lr": 0.1, "model": "mlp"})}
    save({"w": np.ones(2)}, tmp_path / "ckpt.safetensors", metadata=metadata)
    tensors, got = load_with_metadata(tmp_path / "ckpt.safetensors")
    assert got == metadata
    assert_state_equal(tensors, {"w": np.ones(2)})


def test_load_with_metadata_empty_when_none(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "ckpt.safetensors")
    assert load_with_metadata(tmp_path / "ckpt.safetensors")[1] == {}


def test_save_empty_state_dict(tmp_path):
    save({}, tmp_path / "ckpt.safetensors")
    assert load(tmp_path / "ckpt.safetensors") == {}


# ---------------------------------------------------------------- atomic writes
def test_save_overwrite_keeps_file_valid(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"w": np.zeros(3), "old": np.ones(1)}, path)
    save({"w": np.full(3, 7.0)}, path)
    assert_state_equal(load(path), {"w": np.full(3, 7.0)})
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # no temporary file left behind


def test_save_failure_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    save({"w": np.zeros(3)}, path)

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.ones(3)}, path)
    assert_state_equal(load(path), {"w": np.zeros(3)})
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_save_file_permissions_like_plain_open(tmp_path):
    save({"w": np.zeros(1)}, tmp_path / "ckpt.safetensors")
    (tmp_path / "plain").write_bytes(b"")  # created by open(): 0o666 minus the umask
    mode = (tmp_path / "ckpt.safetensors").stat().st_mode
    assert mode == (tmp_path / "plain").stat().st_mode


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_save_killed_before_replace_keeps_old_file(tmp_path, rng):
    # The child runs the real save(); os.replace is wrapped to announce itself and stall, so the
    # kill lands after the temporary file is fully written and before it replaces the target.
    code = """
import os, sys, time
import numpy as np
from chainrule.serialization import save
real_replace = os.replace
def stalled_replace(src, dst):
    print("written", flush=True)
    time.sleep(60)
    real_replace(src, dst)
os.replace = stalled_replace
save({"w": np.ones((256, 1024))}, sys.argv[1])
"""
    path = tmp_path / "ckpt.safetensors"
    old = {"w": rng.normal(size=(4, 4))}
    save(old, path)
    child = run_python(code, str(path))
    try:
        assert child.stdout.readline() == b"written\n"
        temps = [p for p in tmp_path.iterdir() if p != path]
        assert len(temps) == 1 and temps[0].name.startswith(".ckpt.safetensors.")
        assert temps[0].stat().st_size > 256 * 1024 * 8  # the new checkpoint, complete
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert_state_equal(load(path), old)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_save_readers_and_kill_only_see_complete_checkpoints(tmp_path):
    # Unpatched: the child rewrites a 4 MB checkpoint in a loop, alternating zeros and ones,
    # while this process reads it; then the child is killed mid-loop. Every read, and the file
    # left behind, must hold one of the two checkpoints, whole.
    code = """
import sys
import numpy as np
from chainrule.serialization import save
arrays = [np.zeros(2**19), np.ones(2**19)]
save({"w": arrays[0]}, sys.argv[1])
print("started", flush=True)
i = 0
while True:
    i += 1
    save({"w": arrays[i % 2]}, sys.argv[1])
"""
    path = tmp_path / "ckpt.safetensors"
    child = run_python(code, str(path))
    try:
        assert child.stdout.readline() == b"started\n"
        seen = set()
        for reads in range(5000):  # at least 100 reads, and until both versions were seen
            w = load(path)["w"]
            assert w.shape == (2**19,) and (np.all(w == 0.0) or np.all(w == 1.0))
            seen.add(float(w[0]))
            if reads >= 100 and len(seen) == 2:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    w = load(path)["w"]
    assert np.all(w == 0.0) or np.all(w == 1.0)
    assert seen == {0.0, 1.0}  # the reads really overlapped the writes


# ---------------------------------------------------------------- bad input to save
def test_save_non_string_key(tmp_path):
    with pytest.raises(TypeError, match="save: keys must be strings, got 1"):
        save({1: np.zeros(2)}, tmp_path / "ckpt.safetensors")


@pytest.mark.parametrize("value", [[1.0, 2.0], 3.0, "abc", None])
def test_save_non_array_value(tmp_path, value):
    with pytest.raises(TypeError, match="save: value for 'w' must be an ndarray"):
        save({"w": value}, tmp_path / "ckpt.safetensors")


@pytest.mark.parametrize("dtype", [object, np.complex128, "U3"])
def test_save_unsupported_dtype(tmp_path, dtype):
    with pytest.raises(TypeError, match="save: unsupported dtype for 'w'"):
        save({"w": np.zeros(2, dtype=dtype)}, tmp_path / "ckpt.safetensors")


@pytest.mark.parametrize("metadata", [{"epoch": 3}, {1: "a"}])
def test_save_bad_metadata(tmp_path, metadata):
    with pytest.raises(TypeError, match="save: metadata must map str to str"):
        save({"w": np.zeros(2)}, tmp_path / "ckpt.safetensors", metadata=metadata)


def test_save_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: folder not found.*nowhere"):
        save({"w": np.zeros(2)}, tmp_path / "nowhere" / "ckpt.safetensors")


# ---------------------------------------------------------------- bad files given to load
def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="load: checkpoint not found.*missing.safetensors"):
        load(tmp_path / "missing.safetensors")


FOREIGN = {
    "empty": b"",
    "short": b"abc",
    "text": b"hello, this is not a checkpoint at all",
    "random": np.random.default_rng(0).bytes(1000),
    "huge_header_length": struct.pack("<Q", 2**63) + b"{}",
    "header_longer_than_file": struct.pack("<Q", 1000) + b"{}",
    "bad_json": struct.pack("<Q", 5) + b"{abc}",
    "json_array": with_header([]),
    "negative_shape": with_header({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}),
    "offsets_past_end": with_header({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}),
    "truncated": valid_bytes()[:-5],
    "truncated_header": valid_bytes()[:20],
    "trailing_bytes": valid_bytes() + b"xx",
    "dtype_numpy_lacks": with_header(
        {"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\x00\x00"
    ),
    "pickle": pickle.dumps({"w": np.zeros(2)}),
}


@pytest.mark.parametrize("name", list(FOREIGN))
def test_load_foreign_bytes(tmp_path, name):
    path = tmp_path / f"{name}.safetensors"
    path.write_bytes(FOREIGN[name])
    message = f"load: {re.escape(str(path))} is not a valid safetensors checkpoint"
    with pytest.raises(ValueError, match=message):
        load(path)


def test_load_never_unpickles(tmp_path):
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(TouchOnUnpickle(marker))
    path = tmp_path / "evil.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="not a valid safetensors checkpoint"):
        load(path)
    assert not marker.exists()
    pickle.loads(payload)  # the payload is live: unpickling it does create the marker
    assert marker.exists()


def test_import_is_lazy():
    code = "import sys, chainrule.serialization; print('safetensors' in sys.modules)"
    child = run_python(code)
    assert child.communicate(timeout=60)[0] == b"False\n"


@settings(max_examples=50, deadline=None)
@given(
    payload=st.one_of(
        st.binary(max_size=200),
        st.tuples(st.integers(0, 2**64 - 1), st.binary(max_size=200)).map(
            lambda t: struct.pack("<Q", t[0]) + t[1]
        ),  # an arbitrary header length
        st.binary(max_size=200).map(lambda b: struct.pack("<Q", len(b)) + b),  # a consistent one
    )
)
def test_load_random_bytes_raise_value_error(payload):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.safetensors"
        path.write_bytes(payload)
        try:
            tensors = load(path)
        except ValueError as e:
            assert str(path) in str(e)
        else:  # only a few byte strings are valid checkpoints, e.g. an empty header "{}"
            assert all(isinstance(v, np.ndarray) for v in tensors.values())
