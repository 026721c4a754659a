"""Appending to a chain: number, time and hash new entries after the head, and sign when due.

The store reads the head and writes the result in one transaction (``store.audit_port``);
this module decides what to write, so the node's audit log and every case's custody log are
built by the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from entente.audit.checkpoints import Checkpoint, Signer, sign_checkpoint
from entente.audit.entries import GENESIS_HASH, Entry, EntryDraft, hash_body, render_body

__all__ = ["Appended", "ChainHead", "extend"]


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where a chain stands: its last entry's sequence number and hash, its last checkpoint."""

    chain: str
    seq: int = 0
    hash: str = GENESIS_HASH
    checkpoint_seq: int = 0


@dataclass(frozen=True, slots=True)
class Appended:
    """What one append writes: the new entries, in order, and a checkpoint when one was due."""

    entries: tuple[Entry, ...]
    checkpoint: Checkpoint | None


def extend(
    head: ChainHead,
    drafts: Sequence[EntryDraft],
    *,
    time_us: int,
    signer: Signer,
    every: int,
    force_checkpoint: bool = False,
) -> Appended:
    """The entries that follow ``head`` and, when due, a checkpoint signed at the new head.

    A checkpoint is due once ``every`` entries have been added since the last one, or on
    demand (``force_checkpoint``) when the head has moved since. ``every=1`` signs each entry,
    as a case's custody log does (issue 14: "each entry signed by the node's key").
    """
    if every < 1:
        raise ValueError(f"a checkpoint every {every} entries cannot work")
    entries: list[Entry] = []
    seq, prev = head.seq, head.hash
    for draft in drafts:
        seq += 1
        body, listed, omitted = render_body(
            chain=head.chain, seq=seq, time_us=time_us, prev=prev, draft=draft
        )
        digest = hash_body(body)
        entries.append(
            Entry(
                chain=head.chain,
                seq=seq,
                time_us=time_us,
                prev=prev,
                actor=draft.actor,
                action=draft.action,
                channel=draft.channel,
                object_ids=listed,
                objects_omitted=omitted,
                tlp=draft.tlp,
                agreements=tuple(sorted(set(draft.agreements))),
                details=dict(draft.details),
                body=body,
                hash=digest,
            )
        )
        prev = digest
    due = seq - head.checkpoint_seq >= every or (force_checkpoint and seq > head.checkpoint_seq)
    checkpoint = (
        sign_checkpoint(head.chain, seq, prev, time_us, signer) if due and seq > 0 else None
    )
    return Appended(tuple(entries), checkpoint)
