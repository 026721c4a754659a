"""A case's attribution page (``/cases/{id}/attribution``): the ATT&CK-overlap hypotheses,
the case's attributions, and the Analysis of Competing Hypotheses (ACH) form.

Every read is a service's, as the signed-in user and through the one sharing policy:
``CaseService.show`` for the case (the same 404 page as the case pages for a case the user
may not see), ``CaseEvidenceService.hypotheses`` for the ranking (intrusion sets by the ATT&CK
techniques the case references: hypotheses to weigh, never an attribution, ADR 0014) and
``CaseEvidenceService.visible_objects`` for the objects the case references, so the page
names only hypotheses, evidence and relationships the user may see.

The matrix form is server-rendered, no script: a GET form chooses the hypotheses (the
columns; the top few of the ranking when the query names none), and the POST form carries
one row per item of evidence (the case's objects, and free text) with its weight, Admiralty
source reliability (A–F) and information credibility (1–6), and one cell per hypothesis
(Heuer, *Psychology of Intelligence Analysis*, ch. 8 step 3). The POST (CSRF checked,
``UiAuth.csrf_checked``) builds the JSON ``attribution.parse_matrix`` reads and calls
``CaseEvidenceService.attribute`` (which checks the role, the org, the case open and every id
visible before it writes anything); the answer is a 303 back to this page (RFC 9110 §15.4.4)
with a fixed message and the relationship stored, whose scored ranking the page then shows.
Bad input is a 400 page with the reason and stores nothing; a refusal a 403 page.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in case_pages).

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente.attribution import (
    CREDIBILITY_FACTORS,
    EVIDENCE_REFS,
    HYPOTHESIS_TYPES,
    RELIABILITY_FACTORS,
    Cell,
    Ranking,
)
from entente.cases import Stage
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.case_pages import case_not_found
from entente.server.ui.pages import Pages
from entente.services.case_evidence import CaseEvidenceService
from entente.services.cases import CaseService, ShownCase
from entente.services.users import SignedIn
from entente.sharing import Principal, Role
from entente.stix import is_valid_id

__all__ = [
    "ATTRIBUTION_MESSAGES",
    "MAX_HYPOTHESES",
    "MAX_ROWS",
    "case_attribution_router",
    "parse_ach_form",
]

# What the 303 after a stored assessment says: fixed text, so no request can make the page
# say something else.
ATTRIBUTION_MESSAGES = {
    "attributed": "The ACH matrix was scored and its attributed-to relationship stored "
    "with the case.",
}
# Columns and rows one form takes: Heuer's matrices hold a handful of hypotheses; a case
# references at most some hundreds of objects.
MAX_HYPOTHESES = 10
MAX_ROWS = 300
# Candidates of the ranking listed, and those chosen when the query names none.
_RANKED_SHOWN = 10
_PRESELECTED = 3
# Free-text rows offered below the case's objects.
_FREE_ROWS = 3
_WRITERS = (Role.ADMIN, Role.ANALYST)
# A STIX identifier (STIX 2.1 §2.9), as an explanation's text names objects.
_STIX_ID = re.compile(
    r"\b[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
)
_UNSEEN = "[an object you may not see]"
_CELLS = tuple(cell.value for cell in Cell)
_HYPOTHESIS = Query(max_length=200)
_SHORT = Query(max_length=200)
# Admiralty scale words (NATO AJP-2.1): what each letter and digit means, for the selects.
_RELIABILITY_WORDS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
_CREDIBILITY_WORDS = {
    "1": "confirmed",
    "2": "probably true",
    "3": "possibly true",
    "4": "doubtful",
    "5": "improbable",
    "6": "truth cannot be judged",
}


def _number(form: Mapping[str, str], name: str, default: str) -> float:
    text = form.get(name, default).strip() or default
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name}: {text!r} is not a number") from None
    return value


def parse_ach_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The ACH matrix JSON (``attribution.parse_matrix``'s form) of the matrix form's fields:
    ``hypothesis_J``, ``rows``, and per row ``ref_I`` or ``text_I``, ``weight_I``,
    ``reliability_I``, ``credibility_I`` and ``cell_I_J``. A free-text row left empty is
    skipped. ``InvalidInput`` for fields the form never sends; ``parse_matrix`` judges the
    values."""
    hypotheses: list[str] = []
    for j in range(MAX_HYPOTHESES):
        value = form.get(f"hypothesis_{j}", "").strip()
        if value:
            hypotheses.append(value)
    rows_text = form.get("rows", "0")
    if not rows_text.isdigit() or int(rows_text) > MAX_ROWS:
        raise InvalidInput(f"rows: a count of at most {MAX_ROWS}")
    evidence: list[dict[str, Any]] = []
    for i in range(int(rows_text)):
        ref = form.get(f"ref_{i}", "").strip()
        text = form.get(f"text_{i}", "").strip()
        if not ref and not text:
            continue
        item: dict[str, Any] = {
            "text": text,
            "weight": _number(form, f"weight_{i}", "1"),
            "reliability": form.get(f"reliability_{i}", "F"),
            "credibility": form.get(f"credibility_{i}", "6"),
            "cells": {
                h: form.get(f"cell_{i}_{j}", Cell.NEUTRAL.value) for j, h in enumerate(hypotheses)
            },
        }
        if ref:
            item["ref"] = ref
        evidence.append(item)
    return {"hypotheses": hypotheses, "evidence": evidence}


def _may_change(principal: Principal, shown: ShownCase) -> bool:
    """Whether the matrix form is offered: the service decides again."""
    case = shown.case
    return (
        principal.role in _WRITERS
        and shown.created_by_ref == principal.org
        and not case.read_only
        and case.stage is not Stage.CLOSED
    )


def _name(obj: Mapping[str, Any] | None, oid: str) -> str:
    name = None if obj is None else obj.get("name")
    return name if isinstance(name, str) and name.strip() else oid


def _is_attribution(obj: Mapping[str, Any]) -> bool:
    return obj.get("type") == "relationship" and obj.get("relationship_type") == "attributed-to"


@dataclass(frozen=True, slots=True)
class _Hypothesis:
    """A column of the matrix, or a ranked candidate: id, name, and score when ranked."""

    id: str
    name: str
    score: str
    chosen: bool


@dataclass(frozen=True, slots=True)
class _Row:
    """One item of evidence the form offers: a case object (``ref``) or a free-text row."""

    index: int
    ref: str
    label: str
    kind: str


@dataclass(frozen=True, slots=True)
class _Attribution:
    """An ``attributed-to`` relationship the case references, as the user may see it: its
    source and target None where the user may not see them."""

    id: str
    source: str | None
    target: str | None
    target_name: str
    confidence: str
    evidence: tuple[str, ...]
    hidden_evidence: int
    explanation: tuple[str, ...]


def _named_ids(rel: Mapping[str, Any]) -> list[str]:
    """Every STIX id ``rel`` names: its ends, its cited evidence and those its description
    (the ACH explanation: every hypothesis and item) mentions."""
    cited = rel.get(EVIDENCE_REFS)
    description = rel.get("description")
    return [
        ref
        for ref in (
            rel.get("source_ref"),
            rel.get("target_ref"),
            *(cited if isinstance(cited, list) else ()),
            *(_STIX_ID.findall(description) if isinstance(description, str) else ()),
        )
        if isinstance(ref, str)
    ]


def _attribution(rel: Mapping[str, Any], seen: Mapping[str, Mapping[str, Any]]) -> _Attribution:
    """``rel`` as the page shows it. The relationship is released to the user, but what it
    names need not be (a rival hypothesis, an item of evidence of another marking): those
    ids are never shown, here as on the case pages, only said to be hidden."""
    cited = rel.get(EVIDENCE_REFS)
    refs = [r for r in cited if isinstance(r, str)] if isinstance(cited, list) else []
    source, target = rel.get("source_ref"), rel.get("target_ref")
    confidence = rel.get("confidence")
    description = rel.get("description")
    lines = description.splitlines() if isinstance(description, str) else []
    return _Attribution(
        id=str(rel["id"]),
        source=source if isinstance(source, str) and source in seen else None,
        target=target if isinstance(target, str) and target in seen else None,
        target_name=_name(seen[target], target)
        if isinstance(target, str) and target in seen
        else _UNSEEN,
        confidence="not stated" if confidence is None else str(confidence),
        # Only the cited objects the user may see are linked; the others are counted.
        evidence=tuple(r for r in refs if r in seen),
        hidden_evidence=sum(1 for r in refs if r not in seen),
        explanation=tuple(
            _STIX_ID.sub(lambda m: m.group(0) if m.group(0) in seen else _UNSEEN, line)
            for line in lines
        ),
    )


def _chosen_ids(asked: Sequence[str], other: str) -> list[str]:
    """The hypotheses the query names (checkboxes and the typed id), each checked to be an
    intrusion-set or threat-actor id; ``InvalidInput`` otherwise."""
    chosen: list[str] = []
    for raw in [*asked, other]:
        value = raw.strip()
        if not value or value in chosen:
            continue
        if not is_valid_id(value) or value.partition("--")[0] not in HYPOTHESIS_TYPES:
            raise InvalidInput(f"{value!r} is not an intrusion-set or threat-actor id")
        chosen.append(value)
    if len(chosen) > MAX_HYPOTHESES:
        raise InvalidInput(f"a matrix has at most {MAX_HYPOTHESES} hypotheses")
    return chosen


def case_attribution_router(
    cases: CaseService, evidence: CaseEvidenceService, auth: UiAuth, pages: Pages
) -> APIRouter:
    """The attribution page of cases and its ACH form, over the node's services."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias

    message = pages.message

    def not_found(request: Request, signed: SignedIn) -> Response:
        return case_not_found(pages, request, signed)

    @router.get("/cases/{case_id}/attribution")
    def attribution_page(
        request: Request,
        case_id: str,
        signed: SignedInUser,
        *,
        hypothesis: Annotated[list[str] | None, _HYPOTHESIS] = None,
        other: Annotated[str, _SHORT] = "",
        done: Annotated[str | None, _SHORT] = None,
        relationship: Annotated[str | None, _SHORT] = None,
    ) -> Response:
        principal = signed.principal
        try:
            view = cases.show(principal, case_id)
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        shown = view.shown
        case = shown.case
        try:
            asked = _chosen_ids(hypothesis or [], other)
        except InvalidInput as exc:
            return message(request, signed, 400, "No such hypothesis", f"{exc}.")
        ranking: Ranking | None
        try:
            ranking = evidence.hypotheses(principal, case_id)
        except InvalidInput:
            ranking = None  # the case references no technique: said on the page
        ranked = [] if ranking is None else list(ranking.candidates[:_RANKED_SHOWN])
        chosen = asked or [c.id for c in ranked[:_PRESELECTED]]
        seen = evidence.visible_objects(principal, [*case.refs, *chosen])
        relationships = [obj for obj in seen.values() if _is_attribution(obj)]
        named = [ref for rel in relationships for ref in _named_ids(rel)]
        # What they name, by name where the user may see it; hidden where not.
        names = {**evidence.visible_objects(principal, named), **seen}
        attributions = [_attribution(rel, names) for rel in relationships]
        missing = [h for h in chosen if h not in seen]
        if missing:
            # The same answer whether it does not exist or may not be seen.
            return message(
                request,
                signed,
                400,
                "No such hypothesis",
                f"There is no intrusion set or threat actor {missing[0]} that you may see.",
            )
        ranked_ids = {c.id for c in ranked}
        candidates = [
            _Hypothesis(c.id, c.name, f"{c.score:.3f}", c.id in chosen) for c in ranked
        ] + [_Hypothesis(h, _name(seen[h], h), "", True) for h in chosen if h not in ranked_ids]
        columns = [_Hypothesis(h, _name(seen[h], h), "", True) for h in chosen]
        # The case's objects as rows of evidence; its earlier attributions are not evidence.
        items = [r for r in case.refs if r in seen and not _is_attribution(seen[r])]
        objects = [
            _Row(i, ref, _name(seen[ref], ref), ref.partition("--")[0])
            for i, ref in enumerate(items)
        ]
        free = [
            _Row(len(objects) + n, "", f"Free-text item {n + 1}", "") for n in range(_FREE_ROWS)
        ]
        return pages.response(
            "case_attribution.html",
            request,
            signed,
            title=f"Attribution of {case.name}",
            case=case,
            ranking=ranking,
            candidates=candidates,
            unknown=[] if ranking is None else list(ranking.unknown),
            columns=columns,
            rows=[*objects, *free],
            attributions=attributions,
            reliabilities=[(k, _RELIABILITY_WORDS[k]) for k in RELIABILITY_FACTORS],
            credibilities=[(k, _CREDIBILITY_WORDS[k]) for k in CREDIBILITY_FACTORS],
            cells=_CELLS,
            may_change=_may_change(principal, shown),
            done=ATTRIBUTION_MESSAGES.get(done or ""),
            stored=relationship if any(a.id == relationship for a in attributions) else None,
            max_hypotheses=MAX_HYPOTHESES,
        )

    @router.post("/cases/{case_id}/attribution")
    async def attribute(request: Request, case_id: str, signed: CsrfChecked) -> Response:
        principal = signed.principal
        form = await read_form(request)
        try:
            # The case first: one the user may not see is the case pages' 404, and an id
            # of the matrix that is not visible is then the form's mistake (400).
            await run_in_threadpool(lambda: cases.show(principal, case_id))
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        try:
            matrix = parse_ach_form(form)
            made = await run_in_threadpool(
                lambda: evidence.attribute(principal, case_id, matrix, channel="ui")
            )
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was stored: {exc}.")
        except (InvalidInput, ObjectNotFound) as exc:
            return message(request, signed, 400, "Not stored", f"Nothing was stored: {exc}.")
        query = urlencode(
            [
                ("done", "attributed"),
                ("relationship", str(made.relationship["id"])),
                *(("hypothesis", h) for h in matrix["hypotheses"]),
            ]
        )
        return RedirectResponse(f"/cases/{case_id}/attribution?{query}", status_code=303)

    return router
