"""The object page: one object as the signed-in user may see it, its versions, where it came
from, what it is linked to and where its values occur elsewhere.

Every part is read as that user through the one sharing policy: the versions
(``services.object_history``), the neighbourhood (``services.graph``) and the correlations
(``services.search``). An object the user may not see and one that does not exist get the
same 404 page, which does not repeat the id asked for.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency alias at def
# time (as in taxii_routes).

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from entente import bootstrap
from entente.bootstrap import Node
from entente.errors import InvalidInput, ObjectNotFound
from entente.graph import GraphNode
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.services.graph import GraphService
from entente.services.object_history import ObjectHistory, ObjectVersions, signer_of
from entente.services.search import Correlation, SearchService
from entente.services.users import SignedIn
from entente.stix import Change, format_timestamp_us, tlp_of
from entente.store import SourceKind
from entente.store.search_values import render_key

__all__ = [
    "CORRELATION_CAP",
    "OCCURRENCES_SHOWN",
    "object_pages_router",
    "object_router",
    "render_json",
]

# Objects holding one value counted at most on this page (more: "common"), and how many of
# them are listed; the REST correlations answer lists them all.
CORRELATION_CAP = 100
OCCURRENCES_SHOWN = 10
_VERSION_KEY = Query(max_length=40)


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


def object_pages_router(node: Node, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /objects/{id} (``object.html``) over ``node``'s services (``bootstrap``)."""
    return object_router(
        bootstrap.object_versions(node), bootstrap.graph(node), bootstrap.search(node), auth, pages
    )


def object_router(
    versions: ObjectVersions,
    graph: GraphService,
    search: SearchService,
    auth: UiAuth,
    pages: Pages,
) -> APIRouter:
    """GET /objects/{id} (``object.html``) over these services."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    def not_found(request: Request, signed: SignedIn) -> Response:
        # No id in the answer: the same page for every object the user may not see.
        return pages.response(
            "message.html",
            request,
            signed,
            status_code=404,
            title="No such object",
            message="There is no object with this id that you may see.",
        )

    @router.get("/objects/{object_id}")
    def object_page(
        request: Request,
        object_id: str,
        signed: SignedInUser,
        older: Annotated[str | None, _VERSION_KEY] = None,
        newer: Annotated[str | None, _VERSION_KEY] = None,
    ) -> Response:
        principal = signed.principal
        try:
            history = versions.history(principal, object_id)
            neighbourhood = graph.neighbourhood(principal, object_id)
            correlation = search.correlate(principal, object_id, cap=CORRELATION_CAP)
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        shown = history.latest
        obj = shown.version.to_json()
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
        )

    return router
