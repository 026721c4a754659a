"""What one request released of non-CLEAR content, noted where the policy releases it.

``Visibility.release`` is the one place every read path (TAXII, REST, UI pages, exports, sync
serving) asks whether a stored version may be shown; it notes each release of content above
TLP:CLEAR here, and the request's edge (``server.audit``) writes the notes as one audit entry
per reader before the response ends. The notes travel in a context variable that the edge sets
for the request only: the same request scope starlette's threadpool copies into each
synchronous route, not a node-wide global; outside a request (background jobs, counts worked
out for the dashboard) there are no notes and nothing is noted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

from entente.audit import MAX_OBJECT_IDS, Actor, EntryDraft
from entente.sharing import Principal, Role
from entente.stix.markings import Tlp

__all__ = ["READ_ACTION", "ReadNotes", "ReaderReads", "current_notes", "noting"]

READ_ACTION: Final = "read"

_NOTES: ContextVar[ReadNotes | None] = ContextVar("entente_audit_notes", default=None)


class ReaderReads:
    """One reader's releases in one request: the ids (bounded), their highest TLP level and
    the agreements they went out under."""

    __slots__ = ("agreements", "ids", "more", "tlp")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.more = 0
        self.tlp = Tlp.CLEAR
        self.agreements: set[str] = set()

    def add(self, object_id: str) -> None:
        """``object_id`` was released (the ids past ``MAX_OBJECT_IDS`` are only counted)."""
        if len(self.ids) < MAX_OBJECT_IDS:
            self.ids.append(object_id)
        else:
            self.more += 1

    def raise_level(self, tlp: Tlp, agreements: tuple[str, ...]) -> None:
        """Releases at ``tlp`` under ``agreements`` were (or are about to be) added."""
        self.tlp = max(self.tlp, tlp)
        self.agreements.update(agreements)


class ReadNotes:
    """The releases of one request, per reader, and the admin actions it took.

    ``channel`` is where the request came in (``taxii``, ``rest``, ``ui``, ``export``); a
    partner node reading over TAXII is sync serving (``sync``). The ids kept per reader are
    bounded (``MAX_OBJECT_IDS``); more are counted, so a request costs one bounded entry.
    """

    __slots__ = ("_actions", "_reads", "channel", "details")

    def __init__(self, channel: str, details: dict[str, str | int | bool | None]) -> None:
        self.channel = channel
        self.details = details
        self._reads: dict[Principal, ReaderReads] = {}
        self._actions: list[EntryDraft] = []

    def reads_of(self, reader: Principal) -> ReaderReads:
        """Where the releases to ``reader`` in this request are kept."""
        reads = self._reads.get(reader)
        if reads is None:
            reads = self._reads[reader] = ReaderReads()
        return reads

    def note_action(
        self,
        actor: Principal,
        action: str,
        object_ids: tuple[str, ...] = (),
        details: dict[str, str | int | bool | None] | None = None,
    ) -> None:
        """``actor`` took an admin ``action`` (``user.add``, ``token.revoke``...)."""
        self._actions.append(
            EntryDraft(
                actor=_actor(actor),
                action=action,
                channel=self.channel,
                object_ids=object_ids,
                details={**self.details, **(details or {})},
            )
        )

    def drafts(self) -> list[EntryDraft]:
        """One read entry per reader, then the actions, in the order they were taken."""
        drafts = [
            EntryDraft(
                actor=_actor(reader),
                action=READ_ACTION,
                channel=_channel(self.channel, reader),
                object_ids=tuple(dict.fromkeys(reads.ids)),
                tlp=reads.tlp.label,
                agreements=tuple(sorted(reads.agreements)),
                details=self.details,
                omitted=reads.more,
            )
            for reader, reads in self._reads.items()
            if reads.ids or reads.more
        ]
        return [*drafts, *self._actions]


def _actor(principal: Principal) -> Actor:
    return Actor(principal.id, principal.org, principal.role.value)


def _channel(channel: str, reader: Principal) -> str:
    # A partner node pulling our TAXII collections is sync serving (services.federation).
    return "sync" if channel == "taxii" and reader.role is Role.PARTNER else channel


def current_notes() -> ReadNotes | None:
    """The notes of the request being served, or None outside one."""
    return _NOTES.get()


@contextmanager
def noting(notes: ReadNotes) -> Iterator[ReadNotes]:
    """Note the releases and actions of the block (one request) in ``notes``."""
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)
