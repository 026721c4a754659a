"""The hunt state file: round trip, atomic writes, damage, digests and growth detection."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from entente.errors import StorageError
from entente.matching.model import CompiledIndicator, Term, TermOp, ValueKind
from entente.services.hunt_state import (
    FileState,
    HuntState,
    digest_set_id,
    forget_gone,
    indicator_digest,
    load_state,
    prefix_hash,
    save_state,
)

INDICATOR = CompiledIndicator(
    id="indicator--f0000000-0000-4000-8000-000000000001",
    name="one",
    labels=(),
    score=50,
    terms=(
        Term(ValueKind.IP, TermOp.EQUALS, "192.0.2.1"),
        Term(ValueKind.DOMAIN, TermOp.SUBDOMAIN, "evil.example"),
    ),
)


def test_a_missing_state_is_empty_and_a_saved_one_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "home" / "hunt-state.json"
    assert load_state(path) == HuntState()
    state = HuntState(
        {"s1": frozenset({"a", "b"})},
        {"/logs/conn.log": FileState(10, 20, "p", 3, "s1")},
    )
    save_state(path, state)
    assert load_state(path) == state
    assert [p.name for p in path.parent.iterdir()] == ["hunt-state.json"]


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"format": "something else", "version": 1, "digest_sets": {}, "files": {}}',
        '{"format": "entente-hunt-state", "version": 2, "digest_sets": {}, "files": {}}',
        '{"format": "entente-hunt-state", "version": 1, "digest_sets": {}, "files": {"a": {}}}',
        "[]",
    ],
)
def test_a_damaged_state_is_a_storage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hunt-state.json"
    path.write_text(text)
    with pytest.raises(StorageError, match="hunt state"):
        load_state(path)


def test_the_digest_follows_id_and_terms_only(tmp_path: Path) -> None:
    digest = indicator_digest(INDICATOR)
    assert indicator_digest(replace(INDICATOR, name="renamed", score=90)) == digest
    assert indicator_digest(replace(INDICATOR, terms=INDICATOR.terms[::-1])) == digest
    assert indicator_digest(replace(INDICATOR, terms=INDICATOR.terms[:1])) != digest
    assert indicator_digest(replace(INDICATOR, id=INDICATOR.id[:-1] + "2")) != digest
    assert digest_set_id(["a", "b"]) == digest_set_id(["b", "a"]) != digest_set_id(["a"])


def test_the_prefix_hash_tells_growth_from_a_rewrite(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"line\n" * 2000)
    size = log.stat().st_size
    before = prefix_hash(str(log), size)
    with log.open("ab") as handle:
        handle.write(b"more\n")
    assert prefix_hash(str(log), size) == before
    # A file up to 64 KiB is hashed whole: one changed byte in the middle is a rewrite.
    log.write_bytes(b"line\n" * 1000 + b"LINE\n" + b"line\n" * 1000)
    assert prefix_hash(str(log), size) != before
    big = tmp_path / "big.log"
    big.write_bytes(bytes(1 << 20))
    sampled = prefix_hash(str(big), 1 << 20)
    # A larger one is sampled: its first and last blocks always.
    big.write_bytes(bytes((1 << 20) - 1) + b"\1")
    assert prefix_hash(str(big), 1 << 20) != sampled
    assert prefix_hash(str(tmp_path / "gone.log"), size) == ""


def test_forgetting_keeps_files_on_disk_and_the_sets_they_use(tmp_path: Path) -> None:
    kept = tmp_path / "kept.log"
    kept.write_text("x\n")
    state = HuntState(
        {"old": frozenset({"a"}), "new": frozenset({"a", "b"}), "unused": frozenset()},
        {
            str(kept): FileState(2, 1, "p", 1, "old"),
            str(tmp_path / "gone.log"): FileState(2, 1, "p", 1, "new"),
            str(tmp_path / "hunted.log"): FileState(2, 1, "p", 1, "new"),
        },
    )
    forget_gone(state, {str(tmp_path / "hunted.log")})
    assert sorted(state.files) == sorted([str(kept), str(tmp_path / "hunted.log")])
    assert sorted(state.digest_sets) == ["new", "old"]
