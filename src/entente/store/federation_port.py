"""The federation ports: partners, sharing agreements, sync checkpoints and sync reports."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "AgreementRecord",
    "AgreementStore",
    "Checkpoint",
    "CheckpointStore",
    "PartnerRecord",
    "PartnerStore",
    "SyncReport",
    "SyncReportStore",
    "is_partner_name",
]

_PARTNER_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def is_partner_name(text: str) -> bool:
    """Whether ``text`` may be a partner's local handle: 1 to 64 of ``A-Za-z0-9._-``."""
    return _PARTNER_NAME.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """A partner node this node pulls from.

    ``name`` is the local handle (``is_partner_name``), ``org_id`` the partner org's STIX
    identity id, ``public_key`` ``"ed25519:<base64url>"``, ``api_root`` the partner's TAXII
    API root URL and ``token`` the bearer secret this node presents to it. Times are
    microseconds since the epoch; ``objects_received`` counts every sync's additions.
    """

    name: str
    org_id: str
    org_name: str
    public_key: str
    api_root: str
    token: str
    added_us: int
    last_sync_us: int | None = None
    last_error: str | None = None
    objects_received: int = 0


class PartnerStore(Protocol):
    """Where partners are kept."""

    def add(self, partner: PartnerRecord) -> None:
        """Store a new partner; a used ``name`` or ``org_id`` raises ``InvalidInput``.

        A name that is not ``is_partner_name`` raises ``InvalidInput`` too.
        """
        ...

    def get(self, name: str) -> PartnerRecord | None:
        """The partner with that name, or None."""
        ...

    def by_org(self, org_id: str) -> PartnerRecord | None:
        """The partner of that org, or None."""
        ...

    def list(self) -> Sequence[PartnerRecord]:
        """Every partner, by name."""
        ...

    def remove(self, name: str) -> bool:
        """Delete the partner and its checkpoints; False if there was no such partner."""
        ...

    def record_sync(self, name: str, *, at_us: int, received: int, error: str | None) -> None:
        """Add ``received`` to ``objects_received`` and set ``last_sync_us`` and ``last_error``.

        An unknown partner raises ``ObjectNotFound``.
        """
        ...


@dataclass(frozen=True, slots=True)
class AgreementRecord:
    """A sharing agreement: its id, the agreement as canonical JSON text, when it was added."""

    id: str
    document: str
    added_us: int


class AgreementStore(Protocol):
    """Where sharing agreements are kept."""

    def put(self, record: AgreementRecord) -> bool:
        """Insert the agreement or replace the one with its id; True if it was new."""
        ...

    def get(self, agreement_id: str) -> AgreementRecord | None:
        """The agreement with that id, or None."""
        ...

    def list(self) -> Sequence[AgreementRecord]:
        """Every agreement, by id."""
        ...

    def remove(self, agreement_id: str) -> bool:
        """Delete the agreement; False if there was no such agreement."""
        ...


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """How far the sync of one partner collection got.

    ``added_after`` is the TAXII timestamp text of the last ``date_added`` fully applied
    (TAXII 2.1 §3.4.2); ``next_cursor`` the partner's ``next`` token of a page not yet
    applied when a run stopped mid-way (§3.4.1), else None.
    """

    partner: str
    collection_id: str
    added_after: str | None
    next_cursor: str | None
    updated_us: int


class CheckpointStore(Protocol):
    """Where sync checkpoints are kept, one per (partner, collection)."""

    def get(self, partner: str, collection_id: str) -> Checkpoint | None:
        """The checkpoint of that partner collection, or None."""
        ...

    def list(self, partner: str | None = None) -> Sequence[Checkpoint]:
        """Every checkpoint (of ``partner`` only, if given), by partner then collection id."""
        ...

    def save(self, checkpoint: Checkpoint) -> None:
        """Insert or replace the checkpoint, durably (committed on return).

        A partner that is not stored raises ``ObjectNotFound``.
        """
        ...


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync run with a partner did.

    ``report_id`` is assigned by the store (None before it is added); ``rejections`` lists
    ``{"id": ..., "reason": ...}`` per rejected object, capped by the caller, and
    ``equivocations`` the same per object a partner served two signed contents for.
    """

    report_id: int | None
    partner: str
    started_us: int
    finished_us: int
    added: int
    duplicates: int
    new_versions: int
    rejected: int
    error: str | None
    rejections: tuple[dict[str, str], ...]
    corrected: int = 0
    equivocations: tuple[dict[str, str], ...] = ()


class SyncReportStore(Protocol):
    """The log of sync runs."""

    def add(self, report: SyncReport) -> int:
        """Store the report under a new, increasing ``report_id`` and return that id.

        The ``report_id`` the report carries is ignored.
        """
        ...

    def latest(self, partner: str | None = None, limit: int = 20) -> Sequence[SyncReport]:
        """The newest ``limit`` reports (of ``partner`` only, if given), newest first."""
        ...
