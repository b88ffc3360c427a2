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
