"""The FastAPI application of a node: TAXII 2.1 and REST routes, feeds, the web UI, auth,
error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from entente.bootstrap import (
    Node,
    abuse,
    advisory_desk,
    approvals,
    attack_matrix,
    audit_log,
    audit_queries,
    case_custody,
    case_evidence,
    dashboard,
    exports,
    graph,
    hits,
    legal_holds,
    node_signer,
    partner_overview,
    preservation,
    tsa_config,
    warninglists,
)
from entente.bootstrap import federation as federation_service
from entente.bootstrap import search as search_service
from entente.bootstrap import users as users_service
from entente.server.abuse_routes import abuse_router
from entente.server.advisory_routes import advisory_router
from entente.server.approval_routes import approval_router
from entente.server.audit import AuditedRequests
from entente.server.audit_routes import audit_router
from entente.server.auth import principal_resolver
from entente.server.bodies import BodyGate
from entente.server.case_evidence_routes import case_evidence_router
from entente.server.case_routes import case_router
from entente.server.federation_routes import federation_router
from entente.server.feed_routes import feed_router
from entente.server.oidc_client import OidcClient
from entente.server.openapi import install_openapi
from entente.server.preservation_routes import preservation_router
from entente.server.problems import install_error_handlers, register_route_methods
from entente.server.public_url import PublicUrlRedirects
from entente.server.rest_routes import rest_router
from entente.server.search_routes import search_router
from entente.server.taxii_routes import taxii_router
from entente.server.timing import ServerTiming
from entente.server.ui import Pages, Templates, UiAuth, UiSecurityHeaders, install_ui, ui_router
from entente.server.ui.abuse_pages import abuse_pages_router, case_abuse_rows
from entente.server.ui.admin_page import admin_router
from entente.server.ui.advisory_pages import advisory_pages_router
from entente.server.ui.approval_pages import approval_pages_router
from entente.server.ui.attack_page import attack_router
from entente.server.ui.audit_page import audit_router as audit_page_router
from entente.server.ui.case_attribution_page import case_attribution_router
from entente.server.ui.case_custody_pages import case_custody_router
from entente.server.ui.case_pages import case_pages_router
from entente.server.ui.case_preservation_pages import case_preservation_router
from entente.server.ui.dashboard_page import dashboard_router
from entente.server.ui.exports_page import exports_router
from entente.server.ui.graph_page import graph_router
from entente.server.ui.hits_pages import hits_pages_router
from entente.server.ui.ingest_page import ingest_router
from entente.server.ui.object_pages import object_pages_router
from entente.server.ui.oidc_login import oidc_router
from entente.server.ui.partners_pages import partners_pages_router
from entente.server.ui.search_pages import search_pages_router
from entente.services import TaxiiService, TokenUseRecorder, node_org_id
from entente.services.audit_recorder import AuditRecorder
from entente.services.cases import CaseService
from entente.taxii.cursors import MIN_SECRET_BYTES, encode_cursor

__all__ = ["create_app"]


def create_app(node: Node, *, secret: bytes) -> FastAPI:
    """The app serving ``node``; ``secret`` seals the TAXII ``next`` cursors and the users'
    TOTP keys (each under a key of its own derived from it).

    Requests never write the tokens' last use: they note it, and a recorder that lives as
    long as the app is served (its lifespan) writes it every few seconds and once at the end.
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the cursor secret needs at least {MIN_SECRET_BYTES} bytes")
    # Seal one cursor now: a cryptography built without AES-GCM-SIV (OpenSSL < 3.2, off the
    # lock file) then stops the node at start-up instead of failing every paged read.
    encode_cursor(0, "start-up", secret)
    federation = federation_service(node)
    service = TaxiiService(
        store=node.store,
        tokens=node.tokens,
        statuses=node.statuses,
        clock=node.clock,
        collections=node.settings.collections,
        org_name=node.settings.org_name,
        default_marking=node.settings.default_marking,
        agreements=federation.agreements,
        signer=node_signer(node),
        partner_keys=federation.partner_keys,
        # TAXII DELETE refuses what a case under legal hold preserves (issue 15 item 5).
        holds=legal_holds(node).holds_on,
    )
    uses = TokenUseRecorder(node.tokens)
    # Reads and admin actions are appended to the audit log off the request path, as uses are.
    recorder = AuditRecorder(audit_log(node)) if node.settings.audit_log else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        uses.start()
        if recorder is not None:
            recorder.start()
        try:
            yield
        finally:
            # stop() waits for a write in progress and then writes the last uses (entries).
            await run_in_threadpool(uses.stop)
            if recorder is not None:
                await run_in_threadpool(recorder.stop)

    app = FastAPI(
        title="Entente",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # Every route needs a token: none is public.
    install_openapi(app, public=lambda _path: False)
    app.state.audit_recorder = recorder
    if recorder is not None:
        # Innermost: it notes what the routes released and submits it as the response ends.
        app.add_middleware(AuditedRequests, recorder=recorder)
    app.add_middleware(UiSecurityHeaders)
    app.add_middleware(PublicUrlRedirects, public_url=node.settings.public_url)
    # Outermost: the time it stamps counts the other middleware too.
    app.add_middleware(ServerTiming)
    resolve = principal_resolver(node, uses)
    # One gate for every route that takes a body: parallel POSTs share its slots.
    gate = BodyGate()
    app.state.body_gate = gate
    # One case service for every route that changes cases (REST and the UI pages): it
    # serialises the changes of cases (services.cases).
    case_service = CaseService(
        taxii=service,
        search=search_service(node),
        store=node.store,
        clock=node.clock,
        custody=audit_log(node).record_custody,
    )
    evidence_service = case_evidence(node, case_service)
    # One approval service for the REST routes and the UI pages.
    approval_service = approvals(node)
    preservation_service = preservation(node, case_service)
    # One abuse service too: it serialises the changes of a report (services.abuse). Its
    # RDAP lookup and SMTP relay are the ones [abuse] configures, as for the CLI.
    abuse_service = abuse(node)
    desk = advisory_desk(node)
    routers = [
        taxii_router(node, service, secret, resolve, gate),
        rest_router(service, secret, resolve, node.settings.max_content_length, gate),
        case_router(
            case_service,
            node.clock,
            resolve,
            gate,
        ),
        case_evidence_router(evidence_service, resolve, gate, case_service.check_write),
        approval_router(approval_service, resolve),
        preservation_router(
            cases=case_service,
            service=preservation_service,
            approvals=approval_service,
            clock=node.clock,
            principal_of_request=resolve,
            gate=gate,
        ),
        abuse_router(abuse_service, approval_service, case_service.check_write, resolve, gate),
        advisory_router(desk, resolve, gate),
        search_router(search_service(node), secret, resolve),
        federation_router(lambda: federation, resolve),
        feed_router(exports(node), resolve),
        audit_router(audit_queries(node), secret, resolve),
    ]
    # The web UI: people sign in with a password and a TOTP code; API tokens do not reach it
    # and its sessions do not reach the API (ADR 0009).
    users = users_service(node, secret)
    auth = UiAuth(users, secure_cookies=node.settings.public_url.startswith("https://"))
    node_org = node_org_id(node.settings.org_name)
    pages = Pages(Templates(), node_name=node.settings.org_name, node_org=node_org)
    app.state.ui_auth = auth
    app.state.ui_pages = pages
    install_ui(app, pages)
    oidc = node.settings.oidc
    routers.append(
        ui_router(users, auth, pages, sso_name=None if oidc is None else oidc.provider_name)
    )
    if oidc is not None:
        routers.append(
            oidc_router(
                config=oidc,
                client=OidcClient(oidc),
                users=users,
                auth=auth,
                pages=pages,
                public_url=node.settings.public_url,
                secret=secret,
                clock=node.clock,
            )
        )
    routers.append(dashboard_router(dashboard(node), auth, pages))
    routers.append(graph_router(graph(node), auth, pages))
    routers.append(attack_router(attack_matrix(node), auth, pages))
    routers.append(search_pages_router(search_service(node), secret, auth, pages))
    routers.append(object_pages_router(node, auth, pages, service, case_service))
    # Before the case pages: their POST /cases/{id}/{action} would take the attribution's.
    routers.append(case_attribution_router(case_service, evidence_service, auth, pages))
    routers.append(
        case_preservation_router(
            cases=case_service,
            service=preservation_service,
            approvals=approval_service,
            auth=auth,
            pages=pages,
        )
    )
    routers.append(
        case_pages_router(
            case_service,
            node.clock,
            auth,
            pages,
            case_abuse_rows(abuse_service, approval_service),
        )
    )
    routers.append(
        case_custody_router(
            case_custody(node, case_service),
            evidence_service,
            # Read at each export: the TSA's chain file may be replaced while the node runs.
            lambda: tsa_config(node.settings),
            auth,
            pages,
        )
    )
    routers.append(approval_pages_router(approval_service, auth, pages))
    routers.append(abuse_pages_router(abuse_service, approval_service, auth, pages))
    routers.append(advisory_pages_router(desk, auth, pages))
    routers.append(partners_pages_router(partner_overview(node), auth, pages))
    routers.append(hits_pages_router(hits(node), auth, pages))
    routers.append(audit_page_router(audit_queries(node), secret, auth, pages))
    routers.append(ingest_router(node, secret, auth, pages))
    routers.append(exports_router(exports(node), node.settings.org_name, auth, pages))
    routers.append(
        admin_router(
            users=users,
            tokens=node.tokens,
            # Read again for each request: `entente warninglist` may change them meanwhile.
            warninglists=lambda: warninglists(node.settings),
            settings=node.settings,
            node_org=node_org,
            clock=node.clock,
            auth=auth,
            pages=pages,
        )
    )
    for router in routers:
        app.include_router(router)
    register_route_methods(app, routers)
    return app
