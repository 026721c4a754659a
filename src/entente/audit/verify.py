"""Checking a chain: recompute every hash and link, check every checkpoint's signature.

The verifier reads a chain's stored rows in sequence order and its checkpoints, and names the
first thing that is wrong: an entry whose bytes changed (its hash no longer matches), one that
is missing (a gap in the sequence numbers, or a checkpoint beyond the last entry), one that
holds another place's entry (reordered), a link that does not follow, or a checkpoint that is
signed by a key nobody trusts, whose signature is false, or whose head is not the chain's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entente.audit.checkpoints import Checkpoint, Verifier, checkpoint_message, decode_signature
from entente.audit.entries import GENESIS_HASH, hash_body, parse_entry
from entente.errors import InvalidInput

__all__ = ["EntryRecord", "Failure", "Verdict", "verify_chain"]


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """An entry as the store keeps it: its chain, sequence number, body and hash."""

    chain: str
    seq: int
    body: bytes
    hash: str


@dataclass(frozen=True, slots=True)
class Failure:
    """The first thing wrong with a chain: at which sequence number, in an entry or a
    checkpoint, and why."""

    seq: int
    subject: str  # "entry" or "checkpoint"
    reason: str

    def __str__(self) -> str:
        return f"{self.subject} {self.seq}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What ``verify_chain`` checked and the first failure (None: the chain is intact).

    ``signed_through`` is the last sequence number a valid checkpoint covers; entries after it
    are linked but not yet signed, so dropping them from the end could not be detected.
    """

    chain: str
    entries_checked: int
    checkpoints_checked: int
    last_seq: int
    signed_through: int
    failure: Failure | None

    @property
    def ok(self) -> bool:
        """Whether nothing was wrong."""
        return self.failure is None

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON (``entente audit verify --json``, ``GET /api/v1/audit``)."""
        failure = self.failure
        return {
            "chain": self.chain,
            "ok": self.ok,
            "entries_checked": self.entries_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "last_seq": self.last_seq,
            "signed_through": self.signed_through,
            "failure": None
            if failure is None
            else {"seq": failure.seq, "subject": failure.subject, "reason": failure.reason},
        }


def _checkpoint_failure(
    checkpoint: Checkpoint, head: str, keys: Mapping[str, Verifier]
) -> str | None:
    key = keys.get(checkpoint.key)
    if key is None:
        return f"signed by an unknown key {checkpoint.key}"
    signature = decode_signature(checkpoint.signature)
    message = checkpoint_message(
        checkpoint.chain, checkpoint.seq, checkpoint.head, checkpoint.time_us
    )
    if signature is None or not key.verify(signature, message):
        return "its signature does not verify (RFC 8032 §5.1.7)"
    if checkpoint.head != head:
        return "it signs a head that is not the chain's hash at this entry"
    return None


def _entry_failure(
    record: EntryRecord, chain: str, expected: int, prev: str
) -> tuple[int, str] | None:
    """(seq, reason) of what is wrong with ``record`` at place ``expected``, or None."""
    if record.seq > expected:
        return expected, f"entry is missing (dropped): the next stored entry is {record.seq}"
    if record.seq < expected:
        return record.seq, f"entry is out of place (reordered or repeated) after {expected - 1}"
    if hash_body(record.body) != record.hash:
        return record.seq, "entry was changed: its SHA-256 does not match its stored hash"
    try:
        entry = parse_entry(record.body)
    except InvalidInput as exc:
        return record.seq, f"entry is not readable: {exc}"
    if entry.chain != chain:
        return record.seq, f"entry belongs to chain {entry.chain!r}"
    if entry.seq != record.seq:
        return record.seq, f"entry holds entry {entry.seq} (reordered)"
    if entry.prev != prev:
        return record.seq, (
            f"entry does not follow entry {record.seq - 1}: "
            "an entry at or before it was changed, dropped or reordered"
        )
    return None


def verify_chain(
    chain: str,
    records: Iterable[EntryRecord],
    checkpoints: Sequence[Checkpoint],
    keys: Mapping[str, Verifier],
) -> Verdict:
    """Check ``records`` (in stored sequence order) and ``checkpoints`` of ``chain``.

    ``keys`` maps the public key texts to trust (``ed25519:...``) to their verifiers.
    """
    by_seq: dict[int, list[Checkpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        by_seq[checkpoint.seq].append(checkpoint)
    entries = checked = signed = 0
    expected, prev = 1, GENESIS_HASH

    def verdict(failure: Failure | None) -> Verdict:
        return Verdict(chain, entries, checked, expected - 1, signed, failure)

    for record in records:
        wrong = _entry_failure(record, chain, expected, prev)
        if wrong is not None:
            return verdict(Failure(wrong[0], "entry", wrong[1]))
        entries += 1
        for checkpoint in by_seq.pop(record.seq, []):
            reason = (
                "it names another chain"
                if checkpoint.chain != chain
                else _checkpoint_failure(checkpoint, record.hash, keys)
            )
            if reason is not None:
                return verdict(Failure(record.seq, "checkpoint", reason))
            checked += 1
            signed = record.seq
        expected, prev = expected + 1, record.hash
    if by_seq:
        seq = min(by_seq)
        reason = f"it is beyond the last entry {expected - 1}: entries were dropped from the end"
        return verdict(Failure(seq, "checkpoint", reason))
    return verdict(None)
