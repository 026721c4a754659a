"""Merkle tree hashes and inclusion proofs of RFC 9162 §2.1 (sans-IO, SHA-256).

RFC 9162 §2.1.1: the hash of a leaf is ``SHA-256(0x00 || leaf)`` and of an interior node
``SHA-256(0x01 || left || right)``; a tree of ``n > 1`` leaves splits at ``k``, the largest
power of two smaller than ``n``. Building the levels bottom-up, pairing neighbours and carrying
an odd last node up unchanged, gives exactly that tree, with every audit path (§2.1.3.1) in
one pass. ``entente.federation.merkle_reference`` is the recursive definition, word for word:
the property tests check that both agree. ``PathMemo`` walks audit paths as
``root_from_inclusion_proof`` does, remembering where the paths it walked lead (its reference
twin is that function, and a property test checks that they agree).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "HASH_SIZE",
    "PathMemo",
    "hash_children",
    "hash_leaf",
    "inclusion_proofs",
    "root_from_inclusion_proof",
    "tree_hash",
]

HASH_SIZE = 32  # SHA-256
_LEAF = b"\x00"  # RFC 9162 §2.1.1: domain separation of leaves ...
_NODE = b"\x01"  # ... and of interior nodes (second-preimage resistance)


def hash_leaf(data: bytes) -> bytes:
    """The Merkle tree hash of one leaf: ``SHA-256(0x00 || data)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """An interior node's hash: ``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE + left + right).digest()


def _levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last (an odd last node is carried up)."""
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [hash_children(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of the leaves whose hashes are given (RFC 9162 §2.1.1)."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()  # MTH({}) is the hash of the empty string
    return _levels(leaf_hashes)[-1][0]


def inclusion_proofs(leaf_hashes: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The tree hash and every leaf's audit path, PATH(m, D[n]) of RFC 9162 §2.1.3.1.

    A path lists the sibling hashes from the leaf up; a node carried up without a sibling
    adds nothing, as in the RFC's recursion.
    """
    if not leaf_hashes:
        raise ValueError("an empty tree has no leaves to prove")
    levels = _levels(leaf_hashes)
    paths: list[list[bytes]] = []
    for index in range(len(leaf_hashes)):
        path: list[bytes] = []
        at = index
        for level in levels[:-1]:
            sibling = at ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            at >>= 1
        paths.append(path)
    return levels[-1][0], paths


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes]
) -> bytes | None:
    """The root that ``path`` proves ``leaf_hash`` included under, or ``None`` if malformed.

    RFC 9162 §2.1.3.2, steps 1 to 5 but the last comparison, which is the caller's: the root
    is what the signer's signature must cover.
    """
    if not 0 <= leaf_index < tree_size:
        return None
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash
    for p in path:
        step = _step(fn, sn, r, p)
        if step is None:
            return None
        fn, sn, r = step
    return r if sn == 0 else None


def _step(fn: int, sn: int, r: bytes, p: bytes) -> tuple[int, int, bytes] | None:
    """One path element of RFC 9162 §2.1.3.2 step 5 (``None``: the proof is malformed)."""
    if len(p) != HASH_SIZE or sn == 0:
        return None
    if fn & 1 or fn == sn:
        r = hash_children(p, r)
        if not fn & 1:
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
    else:
        r = hash_children(r, p)
    return fn >> 1, sn >> 1, r


# How many walked states a PathMemo keeps before it starts afresh: a batch's objects arrive
# in leaf order, so the states a leaf meets again are its recent neighbours'.
_MEMO_STATES = 8192


class PathMemo:
    """``root_from_inclusion_proof`` for many leaves of the same trees, remembering each walk.

    The steps of RFC 9162 §2.1.3.2 from any point on are a function of that point alone: the
    position ``(fn, sn)``, the hash ``r`` reached so far and the rest of the path. So once one
    leaf's path has been walked to its root, a neighbour whose walk reaches one of the same
    points with the same rest of the path has the same root: neighbouring leaves of a batch
    meet within a hash or two, instead of hashing a whole path each (20 hashes at 2^20
    leaves). Only results are remembered, never a verdict: the caller still checks the root's
    signature.
    """

    __slots__ = ("_known", "_limit")

    def __init__(self, limit: int = _MEMO_STATES) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        self._known: dict[tuple[int, int, bytes], tuple[tuple[bytes, ...], bytes]] = {}
        self._limit = limit

    def __len__(self) -> int:
        return len(self._known)

    def root(
        self, leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes]
    ) -> bytes | None:
        """What ``root_from_inclusion_proof`` gives for these arguments."""
        if not 0 <= leaf_index < tree_size:
            return None
        rest = tuple(path)
        known = self._known
        fn, sn = leaf_index, tree_size - 1
        r = leaf_hash
        walked: list[tuple[tuple[int, int, bytes], int]] = []
        root = None
        for at, p in enumerate(rest):
            if at:  # the leaf's own point is never met again (its hash is its content's)
                point = (fn, sn, r)
                seen = known.get(point)
                if seen is not None and seen[0] == rest[at:]:
                    root = seen[1]
                    break
                walked.append((point, at))
            step = _step(fn, sn, r, p)
            if step is None:
                return None
            fn, sn, r = step
        else:
            if sn != 0:
                return None
            root = r
        if len(known) + len(walked) > self._limit:
            known.clear()
        for point, at in walked:
            known[point] = (rest[at:], root)
        return root
