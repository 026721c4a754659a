"""One audit entry: who did what to which objects, in canonical JSON whose SHA-256 chains on.

An entry's ``body`` is the canonical JSON of its fields (keys sorted, no insignificant white
space, UTF-8: the RFC 8785 form for the strings and integers an entry holds) and includes the
previous entry's hash, so each hash covers every entry before it (a hash chain, as in
RFC 6962 §2.1's log, without the tree). ``chain`` names the log the entry belongs to (the node's
audit log, or one case's custody log), so an entry cannot be moved from one log to another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from entente.errors import InvalidInput

__all__ = [
    "CHANNELS",
    "GENESIS_HASH",
    "MAX_OBJECT_IDS",
    "NODE_CHAIN",
    "Actor",
    "Entry",
    "EntryDraft",
    "case_chain",
    "hash_body",
    "parse_entry",
    "render_body",
]

# Where a read or an action came in (issue 14, item 3).
CHANNELS: Final = ("taxii", "rest", "ui", "export", "sync", "cli")
# The node-wide audit log; each case's custody log is ``case:<case id>``.
NODE_CHAIN: Final = "node"
# The hash the first entry of every chain names as its previous one.
GENESIS_HASH: Final = "0" * 64
# An entry lists at most this many object ids (a TAXII page holds up to 1,000 objects, the
# most one request releases); the rest are counted in ``objects_omitted``.
MAX_OBJECT_IDS: Final = 1000

DetailValue = str | int | bool | None


def case_chain(case_id: str) -> str:
    """The chain name of one case's custody log."""
    if not case_id:
        raise InvalidInput("a custody log needs a case id")
    return f"case:{case_id}"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: a principal id, its organization (a STIX identity id) and its role."""

    id: str
    org: str
    role: str


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An entry before the chain numbers, times and hashes it."""

    actor: Actor
    action: str
    channel: str
    object_ids: tuple[str, ...] = ()
    tlp: str | None = None
    agreements: tuple[str, ...] = ()
    details: Mapping[str, DetailValue] = field(default_factory=dict)
    # Ids beyond those listed that the caller already left out (kept bounded as it noted them).
    omitted: int = 0

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise InvalidInput(
                f"an audit channel is one of {', '.join(CHANNELS)}, not {self.channel!r}"
            )
        if not self.action:
            raise InvalidInput("an audit entry needs an action")


@dataclass(frozen=True, slots=True)
class Entry:
    """A chained entry: its draft's facts, its place in the chain, its body and its hash."""

    chain: str
    seq: int
    time_us: int
    prev: str
    actor: Actor
    action: str
    channel: str
    object_ids: tuple[str, ...]
    objects_omitted: int
    tlp: str | None
    agreements: tuple[str, ...]
    details: Mapping[str, DetailValue]
    body: bytes
    hash: str


def render_body(
    *, chain: str, seq: int, time_us: int, prev: str, draft: EntryDraft
) -> tuple[bytes, tuple[str, ...], int]:
    """The canonical JSON of an entry, the object ids it lists and how many it left out."""
    unique = tuple(dict.fromkeys(draft.object_ids))
    listed = unique[:MAX_OBJECT_IDS]
    omitted = len(unique) - len(listed) + draft.omitted
    document: dict[str, Any] = {
        "chain": chain,
        "seq": seq,
        "time_us": time_us,
        "prev": prev,
        "actor": {"id": draft.actor.id, "org": draft.actor.org, "role": draft.actor.role},
        "action": draft.action,
        "channel": draft.channel,
        "objects": list(listed),
        "objects_omitted": omitted,
        "tlp": draft.tlp,
        "agreements": sorted(set(draft.agreements)),
        "details": dict(draft.details),
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS), listed, omitted


def hash_body(body: bytes) -> str:
    """The SHA-256 of an entry's body, lowercase hex (FIPS 180-4)."""
    return hashlib.sha256(body).hexdigest()


def _text(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise InvalidInput(f"audit entry: {key!r} must be a string")
    return value


def _integer(document: Mapping[str, Any], key: str) -> int:
    value = document.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"audit entry: {key!r} must be an integer")
    return value


def _texts(document: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = document.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput(f"audit entry: {key!r} must be a list of strings")
    return tuple(value)


def parse_entry(body: bytes) -> Entry:
    """The entry whose canonical JSON is ``body``; ``InvalidInput`` if it is not one.

    ``body`` must be exactly the canonical form: any other spelling of the same facts would
    hash differently, so it is refused rather than re-canonicalised.
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"audit entry is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise InvalidInput("audit entry must be a JSON object")
    actor = document.get("actor")
    if not isinstance(actor, dict):
        raise InvalidInput("audit entry: 'actor' must be an object")
    details = document.get("details")
    if not isinstance(details, dict) or not all(
        value is None or isinstance(value, str | int | bool) for value in details.values()
    ):
        raise InvalidInput("audit entry: 'details' must map names to strings, numbers or flags")
    tlp = document.get("tlp")
    if tlp is not None and not isinstance(tlp, str):
        raise InvalidInput("audit entry: 'tlp' must be a string or null")
    draft = EntryDraft(
        actor=Actor(_text(actor, "id"), _text(actor, "org"), _text(actor, "role")),
        action=_text(document, "action"),
        channel=_text(document, "channel"),
        object_ids=_texts(document, "objects"),
        tlp=tlp,
        agreements=_texts(document, "agreements"),
        details=details,
    )
    entry = Entry(
        chain=_text(document, "chain"),
        seq=_integer(document, "seq"),
        time_us=_integer(document, "time_us"),
        prev=_text(document, "prev"),
        actor=draft.actor,
        action=draft.action,
        channel=draft.channel,
        object_ids=draft.object_ids,
        objects_omitted=_integer(document, "objects_omitted"),
        tlp=tlp,
        agreements=draft.agreements,
        details=details,
        body=body,
        hash=hash_body(body),
    )
    canonical = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    if canonical != body:
        raise InvalidInput("audit entry is not in canonical JSON form")
    return entry
