"""``keep_freed_memory``: training reuses its freed arrays instead of faulting in new ones."""

from __future__ import annotations

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2).
_MMAP_THRESHOLD_MAX = 32 << 20


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed blocks up to 32 MiB for reuse; True if it applied.

    NumPy allocates arrays with malloc. glibc can give large blocks their own fresh pages and
    hand them back to the kernel when freed, so a training step, which allocates arrays of
    the same sizes as the step before, may pay a page fault and a page of zeroing for every
    4 KiB it touches: about 3,600 faults per step in a loop of MNIST CNN steps, a quarter of
    its time (33 ms, 24 ms with this call). With this call those blocks stay in the heap and
    are reused, as a caching allocator (jemalloc, tcmalloc) would. The process keeps its
    peak memory instead of returning it. Elsewhere than glibc it does nothing.

    ``chainrule train`` calls it; call it once at the start of your own training script.
    """
    import ctypes  # here, not at the top: only training scripts pay for it

    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018  (present in glibc only)
    except (AttributeError, OSError, TypeError):
        return False
    return bool(
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
        and libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD_MAX)
    )
