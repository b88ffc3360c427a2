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
    4 KiB it touches, on every step. With this call those blocks stay in the heap and
    are reused, as a caching allocator (jemalloc, tcmalloc) would. The process keeps its
    peak memory instead of returning it. Elsewhere than glibc it does nothing.

    Every optimiser calls it when it is made, so a training script is fast without knowing
    of it; it applies once per process.
    """
    global _applied
    if _applied is None:
        _applied = _mallopt()
    return _applied


_applied: bool | None = None  # keep_freed_memory's answer, once it has run


def _mallopt() -> bool:
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
