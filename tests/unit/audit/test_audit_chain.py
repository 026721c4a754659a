"""The audit hash chain: appending, checkpoints, and the verifier naming the first tampering."""

from __future__ import annotations

from dataclasses import replace

import pytest

from entente.audit import (
    GENESIS_HASH,
    MAX_OBJECT_IDS,
    NODE_CHAIN,
    Actor,
    ChainHead,
    Checkpoint,
    EntryDraft,
    EntryRecord,
    Verifier,
    case_chain,
    extend,
    parse_entry,
    verify_chain,
)
from entente.errors import InvalidInput
from entente.federation import NodeKey, PublicKey, generate_key

ALICE = Actor("user--alice", "identity--0d1c8f4e-9d1f-4f5b-8a5e-6c7d8e9f0a1b", "analyst")


def draft(n: int, channel: str = "taxii") -> EntryDraft:
    return EntryDraft(
        actor=ALICE,
        action="read",
        channel=channel,
        object_ids=(f"indicator--{n:08d}-0000-4000-8000-000000000000",),
        tlp="amber",
        agreements=("agreement--b", "agreement--a"),
        details={"path": "/taxii2/objects", "count": n},
    )


def build(
    key: NodeKey, n: int, *, every: int = 4, chain: str = NODE_CHAIN
) -> tuple[list[EntryRecord], list[Checkpoint]]:
    """``n`` entries appended one at a time, as requests do, with their checkpoints."""
    head = ChainHead(chain)
    records: list[EntryRecord] = []
    checkpoints: list[Checkpoint] = []
    for i in range(1, n + 1):
        appended = extend(head, [draft(i)], time_us=1_000 * i, signer=key, every=every)
        records += [EntryRecord(e.chain, e.seq, e.body, e.hash) for e in appended.entries]
        if appended.checkpoint is not None:
            checkpoints.append(appended.checkpoint)
        last = appended.entries[-1]
        head = ChainHead(
            chain,
            last.seq,
            last.hash,
            appended.checkpoint.seq if appended.checkpoint else head.checkpoint_seq,
        )
    return records, checkpoints


def trusted(key: NodeKey) -> dict[str, Verifier]:
    public: PublicKey = key.public_key
    return {key.public_key_text: public}


def test_an_untouched_chain_verifies_with_its_checkpoints() -> None:
    key = generate_key()
    records, checkpoints = build(key, 10)
    verdict = verify_chain(NODE_CHAIN, records, checkpoints, trusted(key))
    assert verdict.ok
    assert (verdict.entries_checked, verdict.checkpoints_checked) == (10, 2)
    assert (verdict.last_seq, verdict.signed_through) == (10, 8)


def test_each_entry_hash_covers_the_previous_one() -> None:
    records, _ = build(generate_key(), 3)
    entries = [parse_entry(r.body) for r in records]
    assert entries[0].prev == GENESIS_HASH
    assert [e.prev for e in entries[1:]] == [r.hash for r in records[:-1]]
    assert entries[0].agreements == ("agreement--a", "agreement--b")


def test_a_flipped_byte_names_the_changed_entry() -> None:
    key = generate_key()
    records, checkpoints = build(key, 10)
    body = bytearray(records[5].body)
    body[body.index(b"amber")] ^= 0x01
    records[5] = replace(records[5], body=bytes(body))
    verdict = verify_chain(NODE_CHAIN, records, checkpoints, trusted(key))
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("entry", 6)
    assert "changed" in verdict.failure.reason
    assert verdict.entries_checked == 5


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    key = generate_key()
    records, checkpoints = build(key, 10)
    forged = records[2].body.replace(b"amber", b"green")
    records[2] = replace(records[2], body=forged, hash=parse_entry(forged).hash)
    verdict = verify_chain(NODE_CHAIN, records, checkpoints, trusted(key))
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("entry", 4)
    assert "does not follow" in verdict.failure.reason


def test_a_dropped_entry_is_named() -> None:
    key = generate_key()
    records, checkpoints = build(key, 10)
    del records[6]
    verdict = verify_chain(NODE_CHAIN, records, checkpoints, trusted(key))
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("entry", 7)
    assert "dropped" in verdict.failure.reason


def test_entries_dropped_from_the_end_are_caught_by_a_later_checkpoint() -> None:
    key = generate_key()
    records, checkpoints = build(key, 8)
    verdict = verify_chain(NODE_CHAIN, records[:6], checkpoints, trusted(key))
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("checkpoint", 8)
    assert "dropped from the end" in verdict.failure.reason


def test_reordered_entries_are_named() -> None:
    key = generate_key()
    records, checkpoints = build(key, 10)
    # The rows keep their places; the bodies (and hashes) of 3 and 4 trade places.
    third, fourth = records[2], records[3]
    records[2] = replace(fourth, seq=3)
    records[3] = replace(third, seq=4)
    verdict = verify_chain(NODE_CHAIN, records, checkpoints, trusted(key))
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("entry", 3)
    assert "reordered" in verdict.failure.reason


def test_rows_out_of_sequence_order_are_named() -> None:
    key = generate_key()
    records, checkpoints = build(key, 5)
    records[1], records[2] = records[2], records[1]
    verdict = verify_chain(NODE_CHAIN, records, checkpoints, trusted(key))
    assert verdict.failure is not None
    assert verdict.failure.seq == 2
    assert "dropped" in verdict.failure.reason


def test_a_checkpoint_from_an_unknown_key_is_named() -> None:
    key, stranger = generate_key(), generate_key()
    records, checkpoints = build(key, 8)
    _, strange_checkpoints = build(stranger, 8)
    verdict = verify_chain(
        NODE_CHAIN, records, [checkpoints[0], strange_checkpoints[1]], trusted(key)
    )
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("checkpoint", 8)
    assert "unknown key" in verdict.failure.reason
    assert verdict.checkpoints_checked == 1


def test_a_false_signature_is_named() -> None:
    key = generate_key()
    records, checkpoints = build(key, 4)
    checkpoints[0] = replace(checkpoints[0], time_us=checkpoints[0].time_us + 1)
    verdict = verify_chain(NODE_CHAIN, records, checkpoints, trusted(key))
    assert verdict.failure is not None
    assert verdict.failure.subject == "checkpoint"
    assert "does not verify" in verdict.failure.reason


def test_a_whole_rewritten_chain_fails_at_its_checkpoint() -> None:
    key = generate_key()
    records, checkpoints = build(key, 4)
    # A consistent forgery: every entry rehashed in turn, each link right, signed nowhere.
    forged: list[EntryRecord] = []
    prev = GENESIS_HASH
    for i in range(1, 5):
        head = ChainHead(NODE_CHAIN, i - 1, prev)
        d = replace(draft(i), tlp="clear")
        e = extend(head, [d], time_us=1_000 * i, signer=key, every=100).entries[0]
        forged.append(EntryRecord(e.chain, e.seq, e.body, e.hash))
        prev = e.hash
    assert [r.seq for r in forged] == [r.seq for r in records]
    verdict = verify_chain(NODE_CHAIN, forged, checkpoints, trusted(key))
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("checkpoint", 4)
    assert "head" in verdict.failure.reason


def test_an_entry_moved_to_another_chain_is_named() -> None:
    key = generate_key()
    records, _ = build(key, 2, chain=case_chain("incident--1"))
    verdict = verify_chain(NODE_CHAIN, records, [], trusted(key))
    assert verdict.failure is not None
    assert "belongs to chain 'case:incident--1'" in verdict.failure.reason


def test_a_custody_log_signs_every_entry() -> None:
    key = generate_key()
    chain = case_chain("incident--1")
    records, checkpoints = build(key, 3, every=1, chain=chain)
    assert [c.seq for c in checkpoints] == [1, 2, 3]
    assert verify_chain(chain, records, checkpoints, trusted(key)).signed_through == 3


def test_an_on_demand_checkpoint_signs_the_head() -> None:
    key = generate_key()
    head = ChainHead(NODE_CHAIN)
    first = extend(head, [draft(1)], time_us=1, signer=key, every=100)
    assert first.checkpoint is None
    entry = first.entries[0]
    forced = extend(
        ChainHead(NODE_CHAIN, 1, entry.hash),
        [],
        time_us=2,
        signer=key,
        every=100,
        force_checkpoint=True,
    )
    assert forced.entries == ()
    assert forced.checkpoint is not None
    assert (forced.checkpoint.seq, forced.checkpoint.head) == (1, entry.hash)
    again = extend(
        ChainHead(NODE_CHAIN, 1, entry.hash, 1),
        [],
        time_us=3,
        signer=key,
        every=100,
        force_checkpoint=True,
    )
    assert again.checkpoint is None


def test_an_entry_lists_a_bounded_number_of_ids_and_counts_the_rest() -> None:
    many = tuple(f"indicator--{i}" for i in range(MAX_OBJECT_IDS + 5))
    d = replace(draft(1), object_ids=(*many, many[0]))
    entry = extend(ChainHead(NODE_CHAIN), [d], time_us=1, signer=generate_key(), every=9).entries[0]
    assert len(entry.object_ids) == MAX_OBJECT_IDS
    assert entry.objects_omitted == 5
    assert parse_entry(entry.body).objects_omitted == 5


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(InvalidInput, match="channel"):
        replace(draft(1), channel="carrier-pigeon")


def test_a_non_canonical_body_is_refused() -> None:
    entry = extend(ChainHead(NODE_CHAIN), [draft(1)], time_us=1, signer=generate_key(), every=9)
    body = entry.entries[0].body.replace(b'{"action"', b'{ "action"')
    with pytest.raises(InvalidInput, match="canonical"):
        parse_entry(body)
