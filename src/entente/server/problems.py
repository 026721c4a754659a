"""HTTP errors: every one is a TAXII 2.1 §3.6.1 error message in JSON, never HTML."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus

import orjson
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from entente.errors import (
    AuthenticationFailed,
    EntenteError,
    InvalidInput,
    ObjectNotFound,
    PermissionDenied,
)
from entente.taxii import TAXII_MEDIA_TYPE, InvalidParameter, error_body, invalid_parameter_body

__all__ = [
    "WWW_AUTHENTICATE",
    "HttpProblem",
    "install_error_handlers",
    "problem_response",
    "register_route_methods",
]

WWW_AUTHENTICATE = 'Bearer realm="entente", Basic realm="entente"'
_log = logging.getLogger(__name__)


class HttpProblem(Exception):
    """An HTTP error decided by a route (406, 413, 415...) with a title and description."""

    def __init__(self, status: int, description: str) -> None:
        self.status = status
        self.description = description
        super().__init__(description)


def _media_type(request: Request) -> str:
    # TAXII 2.1 §1.6.8.1: TAXII resources, errors included, are application/taxii+json.
    if request.url.path.startswith("/taxii2"):
        return TAXII_MEDIA_TYPE
    return "application/json"


def problem_response(
    request: Request,
    status: int,
    description: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A TAXII error message response with ``status``."""
    body = error_body(HTTPStatus(status).phrase, http_status=status, description=description)
    return Response(
        orjson.dumps(body), status_code=status, media_type=_media_type(request), headers=headers
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path.

    ``app.state.route_methods`` holds each route's path pattern and methods
    (``register_route_methods``).
    """
    allowed: set[str] = set()
    path = request.url.path
    for pattern, methods in getattr(request.app.state, "route_methods", ()):
        if pattern.fullmatch(path):
            allowed.update(methods)
    return sorted(allowed)


def register_route_methods(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Remember the methods of every route of ``routers`` by path, for ``Allow`` on 405."""
    found: list[tuple[re.Pattern[str], frozenset[str]]] = []
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                found.append((route.path_regex, frozenset(route.methods or ())))
    app.state.route_methods = tuple(found)


def install_error_handlers(app: FastAPI) -> None:
    """Map HTTP exceptions, validation errors and the Entente error tree to TAXII errors."""

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # registered for HTTPException only
        headers = exc.headers
        if exc.status_code == 405:
            # RFC 9110 §15.5.6: Allow lists every method the resource supports; Starlette
            # names only those of the first route whose path matched.
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(request, exc.status_code, str(exc.detail), headers)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpProblem)
        return problem_response(request, exc.status, exc.description)

    async def on_validation(request: Request, exc: Exception) -> Response:
        return problem_response(request, 400, "malformed request parameters")

    async def on_parameter(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InvalidParameter)
        body = invalid_parameter_body(exc)
        return Response(orjson.dumps(body), status_code=400, media_type=_media_type(request))

    async def on_auth(request: Request, exc: Exception) -> Response:
        # RFC 9110 §11.6.1: a 401 carries the schemes this server accepts.
        headers = {"WWW-Authenticate": WWW_AUTHENTICATE}
        return problem_response(request, 401, "valid credentials are required", headers)

    async def on_denied(request: Request, exc: Exception) -> Response:
        return problem_response(request, 403, str(exc))

    async def on_not_found(request: Request, exc: Exception) -> Response:
        # One message for "absent" and "not visible": the policy's reasons never leak.
        return problem_response(request, 404, "no such resource")

    async def on_input(request: Request, exc: Exception) -> Response:
        return problem_response(request, 400, str(exc))

    async def on_internal(request: Request, exc: Exception) -> Response:
        _log.exception("internal error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "internal error")

    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(HttpProblem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(InvalidParameter, on_parameter)
    app.add_exception_handler(AuthenticationFailed, on_auth)
    app.add_exception_handler(PermissionDenied, on_denied)
    app.add_exception_handler(ObjectNotFound, on_not_found)
    app.add_exception_handler(InvalidInput, on_input)
    app.add_exception_handler(EntenteError, on_internal)
    app.add_exception_handler(Exception, on_internal)
