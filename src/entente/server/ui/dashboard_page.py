"""The home page: the dashboard's figures for the signed-in user, as charts and as tables.

Every figure comes from ``services.dashboard`` for the signed-in user, so it counts only what
the sharing policy lets that user see whole (ADR 0010). Each chart is an SVG from
``entente.charts`` (which escapes every string it writes) and is followed by the same numbers
as a table: a chart's ``<title>`` tooltips are not a way through for screen readers or for
anyone who cannot tell colours apart.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in ui.pages).

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from entente.charts import (
    TLP_COLOURS,
    Part,
    Series,
    render_bar_chart,
    render_sparkline,
    render_stacked_bar,
)
from entente.graph import object_href
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.server.ui.timestamps import when
from entente.services.dashboard import Dashboard, DashboardService, MonthlyFigure, TopHit
from entente.services.users import SignedIn

__all__ = ["Charts", "dashboard_router", "render_charts"]


@dataclass(frozen=True, slots=True)
class Charts:
    """The dashboard's pictures, as SVG our chart renderers wrote (escaped there)."""

    activity: Markup
    top_hits: Markup
    partner_intel: Markup
    tlp_mix: Markup
    # One sparkline per partner of ``Dashboard.sync_health``, in its order.
    sync_runs: tuple[Markup, ...]


def _series(figure: MonthlyFigure) -> list[Series]:
    return [Series(row.name, row.values) for row in figure.series]


def _hit_label(hit: TopHit) -> str:
    return hit.name if hit.name is not None else hit.indicator_id


def render_charts(dashboard: Dashboard) -> Charts:
    """Every chart of ``dashboard``.

    ``Markup`` marks them as HTML for the templates: the chart renderers escape each string
    they write (``charts.svg.escape``), so autoescaping them again would print the markup.
    Partner-written text never reaches a template as ``Markup`` any other way.
    """
    hits: Sequence[TopHit] = dashboard.top_hits
    return Charts(
        activity=Markup(
            render_bar_chart(
                "Incidents and sightings per month", dashboard.months, _series(dashboard.activity)
            )
        ),
        top_hits=Markup(
            render_bar_chart(
                "Hits of the most sighted indicators",
                [_hit_label(hit) for hit in hits],
                [Series("hits", tuple(hit.hits for hit in hits))],
            )
        ),
        partner_intel=Markup(
            render_bar_chart(
                "Objects received per partner and month",
                dashboard.months,
                _series(dashboard.partner_intel),
            )
        ),
        tlp_mix=Markup(
            render_stacked_bar(
                "Objects by TLP level",
                [
                    Part(share.level, share.objects, TLP_COLOURS.get(share.level))
                    for share in dashboard.tlp_mix
                ],
            )
        ),
        sync_runs=tuple(
            Markup(
                render_sparkline(f"Objects added per sync run from {p.partner}", p.added_per_run)
            )
            for p in dashboard.sync_health
        ),
    )


def dashboard_router(service: DashboardService, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET / (``dashboard.html``): the dashboard of the signed-in user."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    @router.get("/")
    def home(request: Request, signed: SignedInUser) -> Response:
        figures = service.dashboard(signed.principal)
        return pages.response(
            "dashboard.html",
            request,
            signed,
            dashboard=figures,
            charts=render_charts(figures),
            object_href=object_href,
            when=when,
        )

    return router
