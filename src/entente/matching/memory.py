"""Giving memory freed by a large build back to the operating system.

Compiling a million indicators allocates and frees hundreds of megabytes of temporaries
(term lists, hash arrays). glibc keeps freed heap pages for reuse, and its mmap threshold
grows with every large block freed, so the process's resident size stays at its peak for the
whole scan that follows. ``malloc_trim(3)`` hands the free pages back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

__all__ = ["release_free_memory"]


def release_free_memory() -> None:
    """Collect garbage, then ask the C allocator to return free pages (glibc only; elsewhere,
    or if the C library cannot be loaded, only the collection happens)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc: musl and macOS have no malloc_trim
        return
    trim(0)
