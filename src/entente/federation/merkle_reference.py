"""The readable twin of ``entente.federation.merkle``: RFC 9162 §2.1 recursions, word for word.

Slow (it recomputes subtrees from all the leaves) and only for the tests, which check that the
fast module agrees with it on generated trees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from entente.federation.merkle import hash_children

__all__ = ["reference_path", "reference_tree_hash"]


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (RFC 9162 §2.1.1, ``k``)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, by its recursive definition."""
    n = len(leaf_hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return hash_children(reference_tree_hash(leaf_hashes[:k]), reference_tree_hash(leaf_hashes[k:]))


def reference_path(m: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, by its recursive definition."""
    n = len(leaf_hashes)
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return [*reference_path(m, leaf_hashes[:k]), reference_tree_hash(leaf_hashes[k:])]
    return [*reference_path(m - k, leaf_hashes[k:]), reference_tree_hash(leaf_hashes[:k])]
