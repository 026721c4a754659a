"""The copy of a case a sender shares: only the tasks and notes it chose to send.

The sharing policy's redaction (an agreement's ``redact``, granular markings) still applies
on top when the copy is read by a partner; this only lets the sender leave out more.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from entente.cases.model import Case
from entente.errors import InvalidInput
from entente.stix import deterministic_id

__all__ = ["shareable_copy", "shared_copy_ids"]


def shared_copy_ids(case: Case) -> tuple[str, str]:
    """The grouping and incident ids of ``case``'s shared copy: derived, so that sharing it
    again makes a new version of the same copy, never a second copy."""
    return (
        deterministic_id("grouping", "entente shared case", case.id),
        deterministic_id("incident", "entente shared case", case.id),
    )


def shareable_copy(
    case: Case, *, tasks: Collection[str], notes: Collection[str], now_us: int
) -> Case:
    """``case`` with only the tasks and notes named (unknown names are refused, so a typo
    cannot silently share less than meant), under the shared copy's ids.

    Legal holds and preservation requests stay with the case: they bind this node's store
    and record dealings with a 24/7 point of contact, not something partners act on."""
    unknown = sorted(set(tasks) - {t.id for t in case.tasks}) + sorted(
        set(notes) - {n.id for n in case.notes}
    )
    if unknown:
        raise InvalidInput(f"case {case.id} has no task or note {', '.join(unknown)}")
    grouping, incident = shared_copy_ids(case)
    return replace(
        case,
        id=grouping,
        incident_id=incident,
        tasks=tuple(t for t in case.tasks if t.id in tasks),
        notes=tuple(n for n in case.notes if n.id in notes),
        merged_into=None,
        merged_from=(),
        holds=(),
        preservation=(),
        created_us=case.created_us,
        modified_us=now_us,
    )
