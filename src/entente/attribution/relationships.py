"""An ACH result written as STIX: an ``attributed-to`` relationship that cites its evidence.

The relationship runs from the incident (STIX 2.1 §4.6) to the leading hypothesis, an
intrusion set (§4.9) or threat actor (§4.17). STIX 2.1 lists no ``attributed-to`` from an
incident (Appendix B has it from campaigns to intrusion sets and threat actors, §4.2, and
from intrusion sets to threat actors), but §5.1.2 says ``relationship_type`` "SHOULD be an
exact value listed in the relationships for the source and target SDO, but MAY be any
string"; the spec's own name for "who is behind this" is the one a reader expects, so it is
used rather than ``related-to``.

The relationship carries the result's STIX ``confidence`` (§3.2, Appendix A), a description
with the ACH explanation and every item of evidence (free text included), and
``x_entente_evidence_refs``: the STIX ids of the items cited, so that the evidence is found
from the relationship by reference (a custom property, §11.1 — deprecated in favour of
extensions, but read by every STIX 2.1 consumer without one — named ``*_refs`` so that
reference indexes follow it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from entente.attribution.ach import AchMatrix, AchResult
from entente.attribution.confidence import ConfidenceScale, from_confidence
from entente.errors import InvalidInput
from entente.stix import is_valid_id

__all__ = ["EVIDENCE_REFS", "render_attributed_to"]

EVIDENCE_REFS = "x_entente_evidence_refs"


def _evidence_lines(matrix: AchMatrix, leader: str) -> list[str]:
    lines = ["Evidence:"]
    for item in matrix.evidence:
        named = item.ref or item.text
        if item.ref and item.text:
            named = f"{item.ref} ({item.text})"
        lines.append(
            f"- {item.key}: {named}; {item.cell(leader).value}; weight {item.relevance:g}, "
            f"source {item.reliability}, credibility {item.credibility}"
        )
    return lines


def render_attributed_to(
    incident_id: str,
    matrix: AchMatrix,
    result: AchResult,
    *,
    created: str,
    created_by_ref: str,
    new_id: Callable[[], str],
    marking_refs: Sequence[str],
) -> dict[str, Any]:
    """The ``attributed-to`` relationship from ``incident_id`` to the leading hypothesis.

    ``InvalidInput`` when the incident id is not one, or when the evidence does not
    separate the leader from its nearest rival (confidence 0 with more than one
    hypothesis): that result attributes nothing."""
    if not is_valid_id(incident_id) or not incident_id.startswith("incident--"):
        raise InvalidInput(f"{incident_id!r} is not an incident id (STIX 2.1 §4.6)")
    leader = result.leader.hypothesis
    if len(result.ranking) > 1 and result.confidence == 0:
        rival = result.ranking[1].hypothesis
        raise InvalidInput(
            f"the evidence does not separate {leader} from {rival}: nothing to attribute"
        )
    words = from_confidence(ConfidenceScale.DNI, result.confidence)
    description = "\n".join(
        [
            f"Attributed by Analysis of Competing Hypotheses; confidence "
            f"{result.confidence} ({words}).",
            result.explanation,
            *_evidence_lines(matrix, leader),
        ]
    )
    relationship: dict[str, Any] = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": f"relationship--{new_id()}",
        "created": created,
        "modified": created,
        "created_by_ref": created_by_ref,
        "relationship_type": "attributed-to",
        "source_ref": incident_id,
        "target_ref": leader,
        "confidence": result.confidence,
        "description": description,
        "object_marking_refs": list(marking_refs),
    }
    cited = [item.ref for item in matrix.evidence if item.ref is not None]
    if cited:
        relationship[EVIDENCE_REFS] = cited
    return relationship
