"""Who would receive an object's current version: each partner org, as the policy decides it.

For the object page's "Who will receive this?" (issue 13). Each partner org this node
federates with (a registered partner, or a party to one of its agreements) is asked about as
the principal a partner node reads as over TAXII (``services.taxii``: role ``partner``, never
an individual), through the one policy (``entente.sharing.decide``) and the copy it would be
sent (``redacted_copy``, withheld whole when that copy is no valid STIX: ``is_shareable``).
No second policy: only the audience differs from a real partner read.

Node operations are for the node's own org (``services.dashboard``): only its admins and
analysts may ask. And what is shown must never exceed what the asker may read: the section
is given only to a reader who sees the current version **whole** (no redaction, no granular
strip), so each partner's copy, a subset of it, shows nothing the asker could not see. A
reader who sees less, or not the current version at all, gets ``None``: the same answer
whatever is hidden, so that it tells nothing about a newer version it may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from entente.errors import ObjectNotFound, PermissionDenied
from entente.services.visibility import Visibility, version_facts
from entente.sharing import (
    Allow,
    Decision,
    NodeContext,
    Principal,
    Role,
    decide,
    is_shareable,
    redacted_copy,
)
from entente.store import ObjectStore, PartnerRecord, SourceKind, StoredVersion

__all__ = ["Recipient", "RecipientsService", "is_node_operator", "partner_audience"]


@dataclass(frozen=True, slots=True)
class Recipient:
    """One partner org and whether it would receive the current version, and as what."""

    # The partner's local handle (``entente partner add``), else its org id.
    name: str
    org: str
    allowed: bool
    # The policy's reason for a denial; for an allowance, under which agreements and what
    # is left out.
    reason: str
    # The copy it would be sent (``None`` when denied).
    copy: dict[str, Any] | None = None
    # The names of the agreements between this node's org and it (none: no agreement), so
    # that an org known only as a party to one is recognisable by more than its id.
    agreements: tuple[str, ...] = ()


def is_node_operator(principal: Principal, node_org: str) -> bool:
    """Whether ``principal`` may see the node's operations: an admin or analyst of its org."""
    return principal.org == node_org and principal.role in (Role.ADMIN, Role.ANALYST)


def partner_audience(org: str) -> Principal:
    """The principal a partner node of ``org`` reads as (a partner token: ``services.taxii``)."""
    return Principal(id=f"partner:{org}", org=org, role=Role.PARTNER, is_individual=False)


def _allowed_reason(allow: Allow) -> str:
    left_out = [*allow.redact, *allow.strip]
    if allow.anonymise:
        left_out.append("who saw it (anonymised sighting)")
    reason = f"under agreement {', '.join(allow.agreements)}"
    if left_out:
        reason += f"; without {', '.join(left_out)}"
    return reason


class RecipientsService:
    """Each partner org's answer for one object's current version, for the node's operators."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        context: Callable[[], NodeContext],
        partners: Callable[[], Sequence[PartnerRecord]],
    ) -> None:
        self._store = store
        self._context = context
        self._partners = partners

    def _partner_orgs(self, ctx: NodeContext) -> dict[str, str]:
        """Partner org id -> its name here: registered partners, then other agreement parties."""
        orgs = {record.org_id: record.name for record in self._partners()}
        for agreement in ctx.agreements:
            for party in sorted(agreement.parties):
                if party != ctx.node_org:
                    orgs.setdefault(party, party)
        orgs.pop(ctx.node_org, None)
        return orgs

    def recipients(self, reader: Principal, object_id: str) -> tuple[Recipient, ...] | None:
        """Each partner's answer for the current version of ``object_id``, by name.

        ``PermissionDenied`` unless ``reader`` is one of the node's operators;
        ``ObjectNotFound`` when it sees no version of it; ``None`` when it does not see the
        current version whole (see the module docstring).
        """
        ctx = self._context()
        if not is_node_operator(reader, ctx.node_org):
            raise PermissionDenied("only the node's own admins and analysts see its recipients")
        try:
            stored = self._store.get_versions(object_id, ("all",))
        except ObjectNotFound:
            stored = []
        visibility = Visibility(reader, ctx)
        if not any(visibility.allows(version) for version in stored):
            raise ObjectNotFound(f"no object {object_id} is visible")
        current = stored[-1]
        release = visibility.release(current)
        if release is None or release.original is not None:
            return None
        obj = current.to_json()
        facts = version_facts(current, ctx.node_org)
        found = []
        for org, name in sorted(self._partner_orgs(ctx).items(), key=lambda item: item[1]):
            recipient = self._recipient(
                name, org, current, obj, decide(facts, partner_audience(org), ctx)
            )
            names = tuple(a.name for a in ctx.agreements if a.binds(ctx.node_org, org))
            found.append(replace(recipient, agreements=names))
        return tuple(found)

    @staticmethod
    def _recipient(
        name: str, org: str, current: StoredVersion, obj: dict[str, Any], decision: Decision
    ) -> Recipient:
        if not isinstance(decision, Allow):
            return Recipient(name, org, False, decision.reason)
        provenance = current.provenance
        if provenance.source_kind is SourceKind.PARTNER and provenance.principal == org:
            # TAXII reads leave out what came from the reader itself (``services.taxii``'s
            # echo rule): it holds it already.
            return Recipient(name, org, False, "it came from this partner, which holds it")
        copy = redacted_copy(obj, decision)
        sent = obj if copy is None else copy
        if not is_shareable(sent):
            return Recipient(
                name, org, False, "withheld: the copy without what it may not see is not valid"
            )
        return Recipient(name, org, True, _allowed_reason(decision), sent)
