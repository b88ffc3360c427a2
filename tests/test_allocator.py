"""keep_freed_memory: freed large arrays come back without page faults."""

import sys

import numpy as np
import pytest

import chainrule as cr

resource = pytest.importorskip("resource")  # Unix only


def _page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")
def test_freed_large_arrays_are_reused_without_page_faults():
    if not cr.keep_freed_memory():
        pytest.skip("the C library is not glibc")
    pages = (8 << 20) // 4096  # an 8 MiB array, as a conv layer's activations
    np.ones(pages * 1024, dtype=np.float32)  # touched once, then freed
    before = _page_faults()
    for _ in range(10):
        np.ones(pages * 1024, dtype=np.float32)
    # Reused blocks fault not at all; glibc's default here faults about 500 times.
    assert _page_faults() - before < 50


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")
def test_making_an_optimiser_keeps_freed_memory_without_being_asked(monkeypatch):
    from chainrule import allocator

    calls = []
    monkeypatch.setattr(allocator, "_applied", None)
    monkeypatch.setattr(allocator, "_mallopt", lambda: calls.append(1) or True)
    model = cr.nn.Linear(2, 1)
    cr.optim.SGD(model.parameters(), lr=0.1)
    cr.optim.Adam(model.parameters())
    assert calls == [1]  # applied by the first optimiser, once per process
    assert cr.keep_freed_memory() is True
