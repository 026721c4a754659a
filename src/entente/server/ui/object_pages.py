"""The object page: one object as the signed-in user may see it, its versions, where it came
from, what it is linked to and where its values occur elsewhere; for an indicator its score
and how it was reached (``ExportService.explain``, as ``entente objects show`` prints it); for
the node's own admins and analysts, which partners would receive it (``services.recipients``);
and the forms of what the user may do to it (``services.object_actions``: revoke, new
version, false positive, note, opinion).

Every part is read as that user through the one sharing policy: the versions
(``services.object_history``), the neighbourhood (``services.graph``) and the correlations
(``services.search``). An object the user may not see and one that does not exist get the
same 404 page, which does not repeat the id asked for.

Each action is a POST with the session's CSRF token (``UiAuth.csrf_checked``), checked for
the user's role and the ownership rules again whatever forms the page showed, and answered
with a 303 back to the page (RFC 9110 §15.4.4) and a fixed message; a refusal is a 403 page,
bad input a 400 page with the reason, and neither stores anything.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency alias at def
# time (as in taxii_routes).

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente import bootstrap
from entente.bootstrap import Node
from entente.cases import REFERABLE_TYPES
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.graph import GraphNode
from entente.scoring import ScoreExplanation
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.case_pages import changeable_cases
from entente.server.ui.pages import Pages
from entente.services.cases import CaseService
from entente.services.graph import GraphService
from entente.services.object_actions import (
    OPINIONS,
    TLP_CHOICES,
    ObjectActions,
    parse_version_changes,
)
from entente.services.object_history import ObjectHistory, ObjectVersions, signer_of
from entente.services.recipients import RecipientsService
from entente.services.search import Correlation, SearchService
from entente.services.taxii import TaxiiService
from entente.services.users import SignedIn
from entente.sharing import Principal, Role
from entente.stix import Change, Tlp, format_timestamp_us, is_valid_id, tlp_of
from entente.store import SourceKind, StoredVersion
from entente.store.search_values import render_key

__all__ = [
    "ACTION_MESSAGES",
    "CORRELATION_CAP",
    "OCCURRENCES_SHOWN",
    "ObjectPageServices",
    "object_pages_router",
    "object_router",
    "render_json",
]

# Objects holding one value counted at most on this page (more: "common"), and how many of
# them are listed; the REST correlations answer lists them all.
CORRELATION_CAP = 100
OCCURRENCES_SHOWN = 10
_VERSION_KEY = Query(max_length=40)
_DONE = Query(max_length=20)

# What each action's 303 says on the page it leads back to: fixed text, so that no request
# can make the page say something else.
ACTION_MESSAGES = {
    "revoke": "Revoked: a revoked version of this object was stored.",
    "version": "A new version of this object was stored.",
    "false-positive": "A false-positive sighting of this indicator was stored.",
    "note": "Your note about this object was stored.",
    "opinion": "Your opinion about this object was stored.",
}


@dataclass(frozen=True, slots=True)
class ObjectPageServices:
    """What the object page reads and writes through, each through the sharing policy."""

    versions: ObjectVersions
    graph: GraphService
    search: SearchService
    recipients: RecipientsService
    actions: ObjectActions
    # How an indicator's version scores now for a reader (``ExportService.explain``).
    explain: Callable[[StoredVersion, Principal], ScoreExplanation]
    # The node's one case service (``app.create_app``), for the "Add to a case" form; None:
    # the page offers no such form.
    cases: CaseService | None = None


def render_json(value: object) -> str:
    """A property value as shown: a string as itself, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")


@dataclass(frozen=True, slots=True)
class _Property:
    name: str
    text: str
    nested: bool


@dataclass(frozen=True, slots=True)
class _Link:
    direction: str
    label: str
    other: GraphNode


def _properties(obj: dict[str, Any]) -> list[_Property]:
    return [
        _Property(name, render_json(value), isinstance(value, (dict, list)))
        for name, value in obj.items()
    ]


def _markings(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(marking id, its TLP level or "statement or other") of the shown copy."""
    refs = obj.get("object_marking_refs")
    if not isinstance(refs, list):
        return []
    found = []
    for ref in refs:
        if isinstance(ref, str):
            level = tlp_of(ref)
            found.append((ref, "other marking" if level is None else f"TLP:{level.label.upper()}"))
    return found


def _granular(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(marking ref, selectors) of the shown copy's granular markings."""
    found = []
    for item in obj.get("granular_markings") or []:
        if isinstance(item, dict):
            ref = item.get("marking_ref") or item.get("lang") or ""
            selectors = item.get("selectors")
            names = ", ".join(s for s in selectors if isinstance(s, str)) if selectors else ""
            found.append((str(ref), names))
    return found


def _version_rows(history: ObjectHistory) -> list[dict[str, Any]]:
    rows = []
    for release in reversed(history.versions):
        version = release.version
        rows.append(
            {
                "key": version.version,
                "label": version.modified or version.created or "(unversioned)",
                "added": format_timestamp_us(version.date_added_us),
                "source": f"{version.provenance.source_kind.value}: "
                f"{version.provenance.source_name}",
                "revoked": version.revoked,
            }
        )
    return rows


def _diff_rows(changes: tuple[Change, ...]) -> list[dict[str, str]]:
    return [
        {
            "path": change.path or "(whole object)",
            "kind": change.kind.value,
            "old": "" if change.old is None else render_json(change.old),
            "new": "" if change.new is None else render_json(change.new),
        }
        for change in changes
    ]


def _correlation_rows(correlation: Correlation) -> list[dict[str, Any]]:
    return [
        {
            "kind": value.kind,
            "value": render_key(value.kind, value.key),
            "common": value.common,
            "count": len(value.occurrences),
            "partners": len(
                {
                    o.source_name
                    for o in value.occurrences
                    if o.source_kind == SourceKind.PARTNER.value
                }
            ),
            "shown": value.occurrences[:OCCURRENCES_SHOWN],
        }
        for value in correlation.values
    ]


def object_pages_router(
    node: Node,
    auth: UiAuth,
    pages: Pages,
    writer: TaxiiService,
    cases: CaseService | None = None,
) -> APIRouter:
    """The object page's routes over ``node``'s services (``bootstrap``); ``writer`` is the
    service REST writes through and ``cases`` the node's one case service
    (``app.create_app``)."""
    federation = bootstrap.federation(node)
    services = ObjectPageServices(
        versions=bootstrap.object_versions(node),
        graph=bootstrap.graph(node),
        search=bootstrap.search(node),
        recipients=RecipientsService(
            store=node.store, context=writer.context, partners=federation.partners
        ),
        actions=ObjectActions(
            store=node.store, writer=writer, clock=node.clock, new_id=lambda: str(uuid.uuid4())
        ),
        explain=bootstrap.exports(node).explain,
        cases=cases,
    )
    return object_router(services, auth, pages)


def object_router(services: ObjectPageServices, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /objects/{id} (``object.html``) and its actions' POSTs over these services."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias
    versions, graph, search = services.versions, services.graph, services.search

    def not_found(request: Request, signed: SignedIn) -> Response:
        return pages.no_such(request, signed, "object")

    @router.get("/objects/{object_id}")
    def object_page(
        request: Request,
        object_id: str,
        signed: SignedInUser,
        *,
        older: Annotated[str | None, _VERSION_KEY] = None,
        newer: Annotated[str | None, _VERSION_KEY] = None,
        done: Annotated[str | None, _DONE] = None,
    ) -> Response:
        principal = signed.principal
        try:
            history = versions.history(principal, object_id)
            neighbourhood = graph.neighbourhood(principal, object_id)
            correlation = search.correlate(principal, object_id, cap=CORRELATION_CAP)
            rights = services.actions.rights(principal, object_id)
            try:
                recipients = services.recipients.recipients(principal, object_id)
                operator = True
            except PermissionDenied:
                recipients, operator = None, False
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        shown = history.latest
        obj = shown.version.to_json()
        case_choices = _case_choices(services.cases, pages, principal, shown.version.type)
        provenance = shown.version.provenance
        nodes = {node.id: node for node in neighbourhood.nodes}
        links = []
        for edge in neighbourhood.edges:
            outgoing = edge.source == object_id
            other = nodes.get(edge.target if outgoing else edge.source)
            if other is not None:
                links.append(_Link("out" if outgoing else "in", edge.label, other))
        diff = None
        diff_error = None
        if older is not None and newer is not None:
            changes = history.diff(older, newer)
            if changes is None:
                diff_error = "Choose two of the versions listed."
            else:
                diff = _diff_rows(changes)
        return pages.response(
            "object.html",
            request,
            signed,
            obj_id=object_id,
            obj_type=shown.version.type,
            title=neighbourhood.centre.name,
            properties=_properties(obj),
            versions=_version_rows(history),
            older=older,
            newer=newer,
            diff=diff,
            diff_error=diff_error,
            provenance={
                "kind": provenance.source_kind.value,
                "name": provenance.source_name,
                "org": provenance.org,
                "agreement": provenance.agreement,
                "signer": signer_of(shown),
                "added": format_timestamp_us(shown.version.date_added_us),
            },
            markings=_markings(obj),
            granular=_granular(obj),
            links=[link for link in links if link.other.type != "sighting"],
            sightings=[link for link in links if link.other.type == "sighting"],
            more=neighbourhood.more,
            more_bounded=neighbourhood.more_bounded,
            correlations=_correlation_rows(correlation),
            correlated_sightings=correlation.sightings[:OCCURRENCES_SHOWN],
            sightings_total=len(correlation.sightings),
            possibly_same=correlation.possibly_same[:OCCURRENCES_SHOWN],
            cap=CORRELATION_CAP,
            score=(
                services.explain(shown.version, principal).lines()
                if shown.version.type == "indicator"
                else None
            ),
            operator=operator,
            recipients=recipients,
            render_json=render_json,
            rights=rights,
            revoked=shown.version.revoked,
            edit=_edit_values(obj, services.actions.default_tlp()),
            tlp_choices=[level.label for level in TLP_CHOICES],
            opinions=OPINIONS,
            done=ACTION_MESSAGES.get(done or ""),
            case_choices=case_choices,
        )

    def refused(request: Request, signed: SignedIn, status: int, title: str, why: str) -> Response:
        return pages.response(
            "message.html", request, signed, status_code=status, title=title, message=why
        )

    @router.post("/objects/{object_id}/{action}")
    async def act(request: Request, object_id: str, action: str, signed: CsrfChecked) -> Response:
        principal = signed.principal
        if action not in ACTION_MESSAGES or not is_valid_id(object_id):
            return not_found(request, signed)
        form = await read_form(request)
        actions = services.actions
        try:
            if action == "revoke":
                await run_in_threadpool(actions.revoke, principal, object_id)
            elif action == "version":
                changes = parse_version_changes(form, object_id.partition("--")[0])
                await run_in_threadpool(actions.new_version, principal, object_id, changes)
            elif action == "false-positive":
                await run_in_threadpool(actions.mark_false_positive, principal, object_id)
            elif action == "note":
                await run_in_threadpool(
                    actions.add_note, principal, signed.user.username, object_id, form
                )
            else:
                await run_in_threadpool(
                    actions.add_opinion, principal, signed.user.username, object_id, form
                )
        except ObjectNotFound:
            return not_found(request, signed)
        except PermissionDenied as exc:
            return refused(request, signed, 403, "Not allowed", f"Nothing was stored: {exc}.")
        except InvalidInput as exc:
            return refused(request, signed, 400, "Not stored", f"Nothing was stored: {exc}")
        return RedirectResponse(f"/objects/{object_id}?done={action}", status_code=303)

    return router


def _case_choices(
    cases: CaseService | None, pages: Pages, principal: Principal, object_type: str
) -> list[tuple[str, str]] | None:
    """(case id, name) of the open cases the user may add this object to, for the admins and
    analysts of the node's own org (their cases are the node's own operations); None: the
    page offers no "Add to a case" form (an empty list: it says there is no open case). The case
    service checks everything again when the form is sent."""
    if (
        cases is None
        or object_type not in REFERABLE_TYPES
        or pages.node_org is None
        or principal.org != pages.node_org
        or principal.role not in (Role.ADMIN, Role.ANALYST)
    ):
        return None
    return [(s.case.id, s.case.name) for s in changeable_cases(cases, principal)]


def _edit_values(obj: dict[str, Any], default: Tlp) -> dict[str, str]:
    """The new-version form's fields as the current version has them (an unmarked one at the
    node's default marking: the form must never preselect a wider level than it reads as)."""
    labels = obj.get("labels")
    level = None
    for ref in obj.get("object_marking_refs") or []:
        found = tlp_of(ref) if isinstance(ref, str) else None
        if found is not None and (level is None or found > level):
            level = found
    return {
        "confidence": str(obj["confidence"]) if isinstance(obj.get("confidence"), int) else "",
        "labels": ", ".join(x for x in labels if isinstance(x, str))
        if isinstance(labels, list)
        else "",
        "valid_until": str(obj.get("valid_until") or ""),
        "tlp": (default if level is None else level).label,
    }
