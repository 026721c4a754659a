"""The advisory as STIX 2.1: a ``report`` (§4.15) over what it describes, in one bundle.

``object_refs`` names every object of the advisory; ``report_types`` (§10.22 report-type-ov)
says what it is about; ``published`` is the advisory's date; ``created_by_ref`` the author
agency and ``x_entente_coauthors`` (a custom property, §11.1) the co-authoring agencies;
``x_entente_attack_releases`` the ATT&CK releases its techniques are cited from. Its marking is
the highest TLP of its content, never less restrictive than anything in it (as merged cases,
``cases.merged_markings``); ATT&CK's own objects are public reference data and do not raise it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from entente.advisory.attack import (
    Mitigation,
    mitigations_for,
    pin_releases,
    resolve_techniques,
)
from entente.advisory.iocs import iocs_of
from entente.advisory.model import Advisory, AdvisoryDraft, AttackData
from entente.cases import merged_markings
from entente.errors import InvalidInput
from entente.stix import (
    BUILTIN_MARKINGS,
    Tlp,
    deterministic_id,
    parse_object,
    parse_timestamp,
    tlp_of,
)

__all__ = ["COAUTHORS_PROPERTY", "RELEASES_PROPERTY", "build_advisory"]

COAUTHORS_PROPERTY = "x_entente_coauthors"
RELEASES_PROPERTY = "x_entente_attack_releases"


def _uses(selection: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """How the selection says each technique was used: ``uses`` relationships' descriptions."""
    found: dict[str, str] = {}
    for obj in sorted(selection, key=lambda o: str(o.get("id"))):
        if (
            obj.get("type") == "relationship"
            and obj.get("relationship_type") == "uses"
            and isinstance(obj.get("description"), str)
            and str(obj.get("target_ref", "")).startswith("attack-pattern--")
        ):
            found.setdefault(str(obj["target_ref"]), str(obj["description"]))
    return found


def build_advisory(
    draft: AdvisoryDraft,
    selection: Sequence[Mapping[str, Any]],
    attack: AttackData,
    *,
    default_tlp: Tlp,
) -> Advisory:
    """The advisory over ``selection`` (the objects the author may see and chose).

    ``default_tlp`` is what an unmarked object reads as (the node's ``default_marking``).
    Raises ``InvalidInput`` for an empty selection, a missing title or summary, a technique
    not in a pinned ATT&CK release (or revoked, or deprecated), or a report that would not be
    valid STIX 2.1.
    """
    if not draft.title.strip() or not draft.summary.strip():
        raise InvalidInput("an advisory needs a title and a summary")
    parse_timestamp(draft.created, "created")
    objects = {str(obj["id"]): obj for obj in selection if isinstance(obj.get("id"), str)}
    if not objects:
        raise InvalidInput("an advisory needs at least one object to report on")
    coauthor_ids = [a.org_id for a in draft.coauthors]
    if draft.author.org_id in coauthor_ids or len(set(coauthor_ids)) != len(coauthor_ids):
        raise InvalidInput("each co-author is named once, and the author is not one of them")
    releases = pin_releases(attack.collections)
    techniques = resolve_techniques(
        [o for o in objects.values() if o.get("type") == "attack-pattern"],
        releases=releases,
        tactics=attack.tactics,
        uses=_uses(list(objects.values())),
    )
    attack_mitigations = mitigations_for(
        techniques, courses=attack.courses, relationships=attack.relationships, releases=releases
    )
    report_id = deterministic_id(
        "report", draft.author.org_id, draft.title, draft.created, *sorted(objects)
    )
    is_reference = {oid for oid, obj in objects.items() if any(r.holds(obj) for r in releases)} | {
        m.stix_id for m in attack_mitigations
    }
    content = [o for oid, o in objects.items() if oid not in is_reference]
    tlp_refs = merged_markings(
        [tuple(o.get("object_marking_refs") or ()) for o in content] or [()], default_tlp
    )
    statement_refs = {
        str(ref): None
        for oid in is_reference
        for ref in (objects.get(oid) or {}).get("object_marking_refs") or ()
        if tlp_of(str(ref)) is None
    }
    markings = list(dict.fromkeys([*tlp_refs, *statement_refs]))
    tlp = next(level for ref in markings if (level := tlp_of(ref)) is not None)
    own = [
        {
            "type": "course-of-action",
            "spec_version": "2.1",
            "id": deterministic_id("course-of-action", report_id, text),
            "created": draft.created,
            "modified": draft.created,
            "created_by_ref": draft.author.org_id,
            "name": text.split(".")[0][:120],
            "description": text,
            "object_marking_refs": markings,
        }
        for text in dict.fromkeys(m.strip() for m in draft.mitigations if m.strip())
    ]
    courses = {str(c["id"]): c for c in attack.courses}
    bundled = {
        **objects,
        **{m.stix_id: courses[m.stix_id] for m in attack_mitigations},
        **{str(c["id"]): c for c in own},
    }
    releases_cited = tuple(sorted({row.release for row in techniques}))
    report: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": report_id,
        "created": draft.created,
        "modified": draft.created,
        "created_by_ref": draft.author.org_id,
        "name": draft.title,
        "description": draft.summary,
        "report_types": sorted(
            {"threat-report"}
            | ({"indicator"} if any(o.get("type") == "indicator" for o in content) else set())
            | ({"attack-pattern"} if techniques else set())
        ),
        "published": draft.created,
        "object_refs": sorted(bundled),
        "object_marking_refs": markings,
        COAUTHORS_PROPERTY: [a.org_id for a in draft.coauthors],
    }
    if draft.case_id is not None:
        report["external_references"] = [
            {"source_name": "entente-case", "external_id": draft.case_id}
        ]
    if releases_cited:
        report[RELEASES_PROPERTY] = list(releases_cited)
    marking_objects = [dict(m) for m in BUILTIN_MARKINGS if m["id"] in markings]
    for obj in [report, *own]:
        parse_object(obj)  # InvalidInput now rather than an advisory that fails verification
    analyst = tuple(
        Mitigation(str(c["id"]), str(c["name"]), str(c["description"]), None, ()) for c in own
    )
    rest = sorted(
        [*bundled.values(), *marking_objects], key=lambda o: (str(o["id"]), str(o.get("modified")))
    )
    return Advisory(
        draft=draft,
        report=report,
        objects=(report, *rest),
        techniques=tuple(techniques),
        iocs=tuple(iocs_of(content)),
        mitigations=(*attack_mitigations, *analyst),
        tlp=tlp,
        releases=releases_cited,
    )
