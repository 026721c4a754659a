"""RFC 9162 §2.1 Merkle tree hashes and inclusion proofs, against the RFC 6962 test vectors."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.federation import merkle
from entente.federation.merkle import (
    PathMemo,
    hash_children,
    hash_leaf,
    inclusion_proofs,
    root_from_inclusion_proof,
    tree_hash,
)
from entente.federation.merkle_reference import reference_path, reference_tree_hash

# The leaves and tree heads of the Certificate Transparency reference tests (RFC 6962, whose
# tree RFC 9162 §2.1 keeps): the roots of the first n leaves, n = 0..8.
CT_LEAVES = [
    bytes.fromhex(text)
    for text in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Audit paths of leaves 0 and 5 in the tree of 8 (the same reference tests).
CT_PATHS = {
    0: [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    5: [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
LEAF_HASHES = [hash_leaf(data) for data in CT_LEAVES]


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert hash_leaf(b"x") == hashlib.sha256(b"\x00x").digest()
    assert hash_children(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_tree_hashes_match_the_rfc_6962_reference_roots(size: int) -> None:
    assert tree_hash(LEAF_HASHES[:size]).hex() == CT_ROOTS[size]
    assert reference_tree_hash(LEAF_HASHES[:size]).hex() == CT_ROOTS[size]


@pytest.mark.parametrize("index", sorted(CT_PATHS))
def test_audit_paths_match_the_rfc_6962_reference_proofs(index: int) -> None:
    root, paths = inclusion_proofs(LEAF_HASHES)
    assert [node.hex() for node in paths[index]] == CT_PATHS[index]
    assert root_from_inclusion_proof(index, 8, LEAF_HASHES[index], paths[index]) == root


def test_an_empty_tree_has_no_proofs() -> None:
    with pytest.raises(ValueError, match="empty"):
        inclusion_proofs([])


def test_a_leaf_outside_the_tree_or_a_path_of_the_wrong_length_proves_nothing() -> None:
    _, paths = inclusion_proofs(LEAF_HASHES[:5])
    assert root_from_inclusion_proof(5, 5, LEAF_HASHES[4], paths[4]) is None
    assert root_from_inclusion_proof(-1, 5, LEAF_HASHES[0], paths[0]) is None
    assert root_from_inclusion_proof(0, 5, LEAF_HASHES[0], paths[0][:-1]) is None
    assert root_from_inclusion_proof(0, 5, LEAF_HASHES[0], [*paths[0], paths[0][0]]) is None
    assert root_from_inclusion_proof(0, 5, LEAF_HASHES[0], [b"short", *paths[0][1:]]) is None


_leaf_lists = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(_leaf_lists)
def test_the_fast_tree_agrees_with_the_recursive_definition(leaves: list[bytes]) -> None:
    hashes = [hash_leaf(leaf) for leaf in leaves]
    root, paths = inclusion_proofs(hashes)
    assert root == tree_hash(hashes) == reference_tree_hash(hashes)
    for index, path in enumerate(paths):
        assert path == reference_path(index, hashes)
        assert root_from_inclusion_proof(index, len(hashes), hashes[index], path) == root


def _flipped(digest: bytes) -> bytes:
    """``digest`` with one bit of its first byte changed."""
    return bytes([digest[0] ^ 1]) + digest[1:]


@settings(max_examples=150, deadline=None)
@given(_leaf_lists, st.data())
def test_any_changed_leaf_or_path_element_gives_another_root(
    leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = [hash_leaf(leaf) for leaf in leaves]
    root, paths = inclusion_proofs(hashes)
    index = data.draw(st.integers(0, len(hashes) - 1))
    other = hash_leaf(leaves[index] + b"!")
    assert root_from_inclusion_proof(index, len(hashes), other, paths[index]) != root
    if paths[index]:
        at = data.draw(st.integers(0, len(paths[index]) - 1))
        path = list(paths[index])
        path[at] = _flipped(path[at])
        assert root_from_inclusion_proof(index, len(hashes), hashes[index], path) != root
    # The same leaf claimed at another index does not prove it there.
    if len(hashes) > 1:
        elsewhere = (index + 1) % len(hashes)
        moved = root_from_inclusion_proof(elsewhere, len(hashes), hashes[index], paths[index])
        assert moved != root or hashes[index] == hashes[elsewhere]


def _variants(
    index: int, hashes: list[bytes], paths: list[list[bytes]], kind: str
) -> tuple[int, bytes, list[bytes]]:
    """A proof as received: intact, or with its leaf, one element, its index or length off."""
    path = list(paths[index])
    leaf = hashes[index]
    if kind == "leaf":
        leaf = hash_leaf(leaf)
    elif kind == "element" and path:
        path[-1] = _flipped(path[-1])
    elif kind == "first" and path:
        path[0] = _flipped(path[0])
    elif kind == "moved":
        index = (index + 1) % len(hashes)
    elif kind == "short":
        path = path[:-1]
    elif kind == "long":
        path = [*path, leaf]
    elif kind == "size" and path:
        path[len(path) // 2] = path[len(path) // 2][:-1]
    return index, leaf, path


@settings(max_examples=150, deadline=None)
@given(_leaf_lists, st.data())
def test_the_memo_gives_what_the_rfc_steps_give_whatever_the_order_of_the_proofs(
    leaves: list[bytes], data: st.DataObject
) -> None:
    hashes = [hash_leaf(leaf) for leaf in leaves]
    _, paths = inclusion_proofs(hashes)
    # A tiny memo starts afresh often; a large one keeps every walk.
    memo = PathMemo(limit=data.draw(st.sampled_from((1, 3, 16, 10_000))))
    kinds = st.sampled_from(
        ("intact", "intact", "leaf", "element", "first", "moved", "short", "long", "size")
    )
    for _ in range(data.draw(st.integers(1, 40))):
        index = data.draw(st.integers(0, len(hashes) - 1))
        at, leaf, path = _variants(index, hashes, paths, data.draw(kinds))
        size = len(hashes) if data.draw(st.booleans()) else len(hashes) + 1
        expected = root_from_inclusion_proof(at, size, leaf, path)
        assert memo.root(at, size, leaf, path) == expected


def test_neighbouring_leaves_cost_a_hash_or_two(monkeypatch: pytest.MonkeyPatch) -> None:
    hashes = [hash_leaf(i.to_bytes(4, "big")) for i in range(1024)]
    root, paths = inclusion_proofs(hashes)
    calls = 0
    real = merkle.hash_children

    def counted(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(left, right)

    monkeypatch.setattr(merkle, "hash_children", counted)
    memo = PathMemo()
    assert all(memo.root(i, 1024, hashes[i], paths[i]) == root for i in range(1024))
    # Ten hashes a leaf without the memo; in leaf order, about two.
    assert calls < 2.1 * 1024
    assert len(memo) <= 8192
