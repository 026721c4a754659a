"""The graph page: the objects around one object, as an SVG and as a list, and its expansions.

``GET /graph/{id}`` draws the object and its neighbours the signed-in user may see
(``services.graph``, through the sharing policy), laid out and drawn by ``entente.graph``, with
the same neighbours as a list of links beside it: links inside an SVG are out of reach of
many screen readers, and without JavaScript the list is how one walks the graph.
``GET /graph/{id}/expand?node=X&shown=...`` answers the page's script (``static/graph.js``)
with a fragment: the new neighbours of X (at most the service's cap, and how many more there
are) drawn where the nodes the page already shows stay where they are. Each ``shown`` value is
``<id>:<x>:<y>``, a node the page draws and its centre (``data-x``/``data-y`` of the SVG).
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in ui.pages).

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from entente.errors import InvalidInput, ObjectNotFound
from entente.graph import (
    CELL,
    GraphEdge,
    GraphNode,
    Layout,
    Point,
    layout_graph,
    object_href,
    render_graph_svg,
)
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.services.graph import GraphService, Neighbourhood
from entente.services.users import SignedIn

__all__ = ["MAX_SHOWN", "Neighbour", "graph_router", "neighbours_of", "parse_shown"]

# Nodes a page may say it shows: a bound on the work one expansion request can ask for.
MAX_SHOWN = 2000


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A neighbour as the list beside the picture names it: the node and its links."""

    node: GraphNode
    # How it is linked to the centre, e.g. "uses (to it)", "object_refs (from it)".
    links: tuple[str, ...]


def neighbours_of(
    centre: str, nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]
) -> list[Neighbour]:
    """Each of ``nodes`` with the labels of its edges to ``centre``, in the order given."""
    out = []
    for node in nodes:
        links = []
        for edge in edges:
            if edge.source == centre and edge.target == node.id:
                links.append(f"{edge.label} (to it)")
            elif edge.target == centre and edge.source == node.id:
                links.append(f"{edge.label} (from it)")
        out.append(Neighbour(node, tuple(dict.fromkeys(links))))
    return out


def parse_shown(values: Sequence[str]) -> dict[str, Point | None]:
    """The ``shown`` parameters: id to its centre (``None`` when given without one).

    ``InvalidInput`` on more than ``MAX_SHOWN`` values or a position that is not two finite
    numbers. Ids are not checked here: one the reader may not see is never drawn or linked
    by the service, whatever the page says it shows.
    """
    if len(values) > MAX_SHOWN:
        raise InvalidInput(f"at most {MAX_SHOWN} shown nodes")
    shown: dict[str, Point | None] = {}
    for value in values:
        oid, sep, rest = value.partition(":")
        if not sep:
            shown.setdefault(oid, None)
            continue
        x_text, _, y_text = rest.partition(":")
        try:
            x, y = float(x_text), float(y_text)
        except ValueError:
            raise InvalidInput(f"{value!r} is not <id>:<x>:<y>") from None
        if not (math.isfinite(x) and math.isfinite(y)) or x < 0 or y < 0:
            raise InvalidInput(f"{value!r} has a position outside the picture")
        shown[oid] = Point(x, y)
    return shown


def _previous(shown: dict[str, Point | None]) -> Layout | None:
    """The page's layout: the placed nodes in the smallest square of cells that holds them."""
    placed = {oid: p for oid, p in shown.items() if p is not None}
    if not placed:
        return None
    extent = max(max(p.x, p.y) for p in placed.values()) + CELL / 2
    size = math.ceil(extent / CELL) * CELL
    return Layout(size, size, placed)


def _picture(
    nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], layout: Layout, title: str
) -> Markup:
    # Markup: graph.svg escapes every string it writes; autoescaping again would print it.
    return Markup(render_graph_svg(nodes, edges, layout, title=title))


def graph_router(service: GraphService, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /graph/{id} (``graph.html``) and GET /graph/{id}/expand (``graph_fragment.html``)."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    def refused(request: Request, signed: SignedIn, exc: Exception) -> Response:
        # The same page whether the object is absent or hidden (services.graph).
        if isinstance(exc, ObjectNotFound):
            title, status = "Not found", 404
        else:
            title, status = "Not a graph request", 400
        return pages.response(
            "message.html", request, signed, status_code=status, title=title, message=str(exc)
        )

    @router.get("/graph/{object_id}")
    def graph(request: Request, object_id: str, signed: SignedInUser) -> Response:
        try:
            found = service.neighbourhood(signed.principal, object_id)
        except (ObjectNotFound, InvalidInput) as exc:
            return refused(request, signed, exc)
        nodes = [found.centre, *found.nodes]
        layout = layout_graph([n.id for n in nodes], [(e.source, e.target) for e in found.edges])
        return pages.response(
            "graph.html",
            request,
            signed,
            centre=found.centre,
            picture=_picture(nodes, found.edges, layout, f"Objects linked to {found.centre.name}"),
            neighbours=neighbours_of(found.centre.id, found.nodes, found.edges),
            found=found,
            object_href=object_href,
        )

    @router.get("/graph/{object_id}/expand")
    def expand(request: Request, object_id: str, signed: SignedInUser) -> Response:
        node = request.query_params.get("node", object_id)
        try:
            shown = parse_shown(request.query_params.getlist("shown"))
            # The page's own object first: a page for an object the reader may not see (any
            # more) expands nothing.
            service.node(signed.principal, object_id)
            found: Neighbourhood = service.neighbourhood(signed.principal, node, shown=shown)
        except (ObjectNotFound, InvalidInput) as exc:
            return refused(request, signed, exc)
        previous = _previous(shown)
        new_ids = {n.id for n in found.nodes}
        ends = {e.source for e in found.edges} | {e.target for e in found.edges}
        # The shown ends of the new edges are drawn again (the page keeps its own copy), named
        # as the reader sees them now.
        named = service.nodes(signed.principal, sorted(ends - new_ids - {found.centre.id}))
        nodes = [found.centre, *found.nodes, *(named[i] for i in sorted(named))]
        # Every placed node is laid out (and keeps its cell), so that no new node lands on
        # one the page draws; only ``nodes`` are drawn.
        placed = [] if previous is None else list(previous.positions)
        layout = layout_graph(
            [*placed, *(n.id for n in nodes)],
            [(e.source, e.target) for e in found.edges],
            previous=previous,
        )
        return pages.templates.response(
            "graph_fragment.html",
            {
                "centre": found.centre,
                "picture": _picture(
                    nodes, found.edges, layout, f"Objects linked to {found.centre.name}"
                ),
                "neighbours": neighbours_of(found.centre.id, found.nodes, found.edges),
                "found": found,
                "object_href": object_href,
            },
        )

    return router
