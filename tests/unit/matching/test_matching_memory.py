"""Freed heap memory goes back to the operating system after a build."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from entente.matching.memory import release_free_memory


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and needs glibc")
def test_freed_heap_blocks_are_returned() -> None:
    # 100 KiB blocks come from the heap (below glibc's mmap threshold); a block kept alive
    # above them stops glibc from trimming the heap top by itself when they are freed.
    blocks = [bytearray(100 * 1024) for _ in range(2000)]
    pin = bytearray(100 * 1024)
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])  # touch every page: make it resident
    del blocks
    before = _resident_mib()
    release_free_memory()
    after = _resident_mib()
    assert before - after > 100, (before, after)
    del pin
