""" "Who saw this?" for the node's staff: the audit log as one asker may be shown it.

Issue 14, item 3 asks for audit queries; the operator's CLI (``entente audit query``) sees the
whole log, but the REST API and the web UI answer people, and an entry names objects, orgs and
agreements: an answer must not disclose what its asker may not see (architecture: "every new
surface joins the leak test"). So, through the one sharing policy (``services.visibility``):

- Only the admins and analysts of the node's own org may ask (``may_see_operations``, as for
  the node's other operations pages): the log says who read what, which is the node's
  accountability and its staff's to investigate (an analyst asks "who saw this indicator?"
  after a leak). Readers and users of other orgs are refused with ``PermissionDenied``.
- An object asked about that the asker may not see answers exactly as one that does not exist
  (``ObjectNotFound``).
- Each entry lists only the ids of objects the asker may see (some version of, ``Visibility
  .allows``: a question, not a read, so the query itself releases nothing); the others, and
  the ids an entry only counted, are a number withheld. An entry that names objects, none of
  them visible, is left out entirely. An entry that names no object (an admin action) is shown
  to admins only. STIX ids in an entry's details (a request path) are checked alike and a
  hidden one is replaced.
- An entry with anything withheld shows neither its TLP, its agreements nor its hash: each
  would say something of the hidden objects (their level; where they went; a hash confirms a
  guessed id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from entente.audit import NODE_CHAIN, Actor, Entry, Verdict
from entente.errors import InvalidInput, ObjectNotFound
from entente.services.audit_log import AuditLog
from entente.services.audit_reads import current_notes
from entente.services.dashboard import operations_context
from entente.services.tokens import org_identity_id
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal, Role
from entente.stix import is_valid_id
from entente.store import ObjectQuery, ObjectStore

__all__ = [
    "MAX_LIMIT",
    "QUERY_ACTION",
    "SCAN_BOUND",
    "WITHHELD_ID",
    "AuditPage",
    "AuditQueries",
    "ShownEntry",
    "parse_org",
]

# The most entries one page returns.
MAX_LIMIT: Final = 1000
# Entries read from the log per page at most: a page whose asker may see few of them ends
# there, with a ``next`` to go on, rather than reading the whole log in one request.
SCAN_BOUND: Final = 10_000
# What replaces a hidden object's id in an entry's details.
WITHHELD_ID: Final = "[withheld]"
# The admin action an audit query is itself recorded as (issue 14: "every admin action").
QUERY_ACTION: Final = "audit.query"

_ASKERS_ONLY = "The audit log is shown to the admins and analysts of this node's own org."
# STIX 2.1 §2.9 identifiers, as they appear inside a request path.
_STIX_ID = re.compile(r"[a-z0-9][a-z0-9-]*--[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_IDS_PER_LOOKUP = 400


def parse_org(text: str) -> str:
    """The identity id of an org given by its id or by its name (``entente audit query``)."""
    text = text.strip()
    if not text:
        raise InvalidInput("'org' is empty: give an org's name or identity id")
    return text if text.startswith("identity--") else org_identity_id(text)


@dataclass(frozen=True, slots=True)
class ShownEntry:
    """One audit entry as the asker is shown it (``withheld``: object ids not shown)."""

    seq: int
    time_us: int
    actor: Actor
    action: str
    channel: str
    object_ids: tuple[str, ...]
    withheld: int
    # None when anything is withheld (module docstring).
    tlp: str | None
    agreements: tuple[str, ...]
    details: Mapping[str, str | int | bool | None]
    hash: str | None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Entries newest first; ``next_before``: continue with entries numbered below it."""

    entries: tuple[ShownEntry, ...]
    next_before: int | None
    # The node chain's verification, when asked for.
    verdict: Verdict | None


class AuditQueries:
    """Answers "who saw this?" for the node's staff, through the sharing policy."""

    def __init__(
        self,
        *,
        log: AuditLog,
        store: ObjectStore,
        context: Callable[[], NodeContext],
        scan_bound: int = SCAN_BOUND,
    ) -> None:
        if scan_bound < 1:
            raise ValueError(f"scan_bound must be at least 1, not {scan_bound}")
        self._log = log
        self._store = store
        self._context = context
        self._scan_bound = scan_bound

    def check(self, principal: Principal | None) -> NodeContext:
        """The node context for one who may ask; else ``PermissionDenied``."""
        return operations_context(self._context, principal, _ASKERS_ONLY)

    def who_saw(
        self,
        principal: Principal | None,
        *,
        object_id: str | None = None,
        org: str | None = None,
        since_us: int | None = None,
        limit: int = 100,
        before_seq: int | None = None,
        verify: bool = False,
    ) -> AuditPage:
        """The newest entries by ``org``, naming ``object_id``, since ``since_us``, as
        ``principal`` may see them (module docstring); ``before_seq`` continues a page."""
        ctx = self.check(principal)
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"'limit' must be from 1 to {MAX_LIMIT}")
        if org is not None and not (org.startswith("identity--") and is_valid_id(org)):
            raise InvalidInput(f"'org' {org!r} is not an identity id (identity--uuid)")
        if before_seq is not None and before_seq < 1:
            raise InvalidInput("a page cannot continue before the first entry")
        visibility = Visibility(principal, ctx)
        visible: dict[str, bool] = {}
        if object_id is not None:
            if not is_valid_id(object_id):
                raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
            if not self._check_ids([object_id], visibility, visible)[object_id]:
                # The same answer whether it does not exist or may not be seen.
                raise ObjectNotFound("no such object is visible to you")
        admin = principal is not None and principal.role is Role.ADMIN
        shown: list[ShownEntry] = []
        scanned = 0
        cursor = before_seq
        next_before: int | None = None
        while True:
            batch_size = min(max(limit, 200), self._scan_bound - scanned)
            batch = self._log.who_saw(
                org=org,
                object_id=object_id,
                since_us=since_us,
                limit=batch_size,
                before_seq=cursor,
            )
            scanned += len(batch)
            self._check_ids(_named(batch), visibility, visible)
            for entry in batch:
                cursor = entry.seq
                kept = _shown(entry, visible, admin=admin)
                if kept is not None:
                    shown.append(kept)
                if len(shown) == limit:
                    break
            exhausted = len(batch) < batch_size or cursor == 1
            if len(shown) == limit:
                # A page whose last entry was the log's first has nothing after it.
                next_before = None if exhausted and cursor == batch[-1].seq else cursor
                break
            if exhausted:
                break
            if scanned >= self._scan_bound:
                next_before = cursor
                break
        self._note(principal, object_id, org, since_us)
        verdict = self._log.verify(NODE_CHAIN) if verify else None
        return AuditPage(tuple(shown), next_before, verdict)

    def _check_ids(
        self, ids: Iterable[str], visibility: Visibility, into: dict[str, bool]
    ) -> dict[str, bool]:
        """Whether the asker may see some version of each of ``ids``, added to ``into``."""
        unknown = sorted({i for i in ids if i not in into})
        for start in range(0, len(unknown), _IDS_PER_LOOKUP):
            chunk = unknown[start : start + _IDS_PER_LOOKUP]
            into.update(dict.fromkeys(chunk, False))
            query = ObjectQuery(
                ids=tuple(chunk), versions=("last",), policy_variants=True, limit=1000
            )
            for version in self._store.iter_all(query):
                if not into[version.id] and visibility.allows(version):
                    into[version.id] = True
        return into

    @staticmethod
    def _note(
        principal: Principal | None, object_id: str | None, org: str | None, since_us: int | None
    ) -> None:
        notes = current_notes()
        if notes is None or principal is None:
            return
        details: dict[str, str | int | bool | None] = {"org": org, "since_us": since_us}
        ids = () if object_id is None else (object_id,)
        notes.note_action(principal, QUERY_ACTION, ids, details)


def _named(entries: Sequence[Entry]) -> set[str]:
    """Every object id ``entries`` list or name in their details."""
    named: set[str] = set()
    for entry in entries:
        named.update(entry.object_ids)
        for value in entry.details.values():
            if isinstance(value, str):
                named.update(_STIX_ID.findall(value))
    return named


def _shown(entry: Entry, visible: Mapping[str, bool], *, admin: bool) -> ShownEntry | None:
    """``entry`` as the asker sees it, or None when it is not shown to them at all."""
    ids = tuple(i for i in entry.object_ids if visible.get(i, False))
    withheld = len(entry.object_ids) - len(ids) + entry.objects_omitted
    if ids == () and withheld:
        return None  # only about objects the asker may not see
    if not ids and not admin:
        return None  # an admin action: for the node's admins
    scrubbed = False
    details: dict[str, str | int | bool | None] = {}
    for name, value in entry.details.items():
        if not isinstance(value, str):
            details[name] = value
            continue
        kept = _STIX_ID.sub(lambda m: m[0] if visible.get(m[0], False) else WITHHELD_ID, value)
        scrubbed = scrubbed or kept != value
        details[name] = kept
    whole = not withheld and not scrubbed
    return ShownEntry(
        seq=entry.seq,
        time_us=entry.time_us,
        actor=entry.actor,
        action=entry.action,
        channel=entry.channel,
        object_ids=ids,
        withheld=withheld,
        tlp=entry.tlp if whole else None,
        agreements=entry.agreements if whole else (),
        details=details,
        hash=entry.hash if whole else None,
    )
