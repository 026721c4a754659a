"""The node's OpenAPI document: every status code a route returns, the error body, the auth.

Each route declares the error statuses it can answer with ``responses(...)``; every route
behind authentication also answers 401, and every route may answer 500 (the store failed),
so those two are added to every operation here. FastAPI's default ``422`` is removed: request
validation errors are mapped to TAXII 2.1 ``400`` errors (``server.problems``). A new route
declares its codes the same way:

    @router.get("/things/{thing_id}", responses=responses(400, 403, 404))
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from entente.taxii import TAXII_MEDIA_TYPE

__all__ = ["ERROR_SCHEMA", "install_openapi", "responses"]

# TAXII 2.1 §3.6.1 ``error``: every error the node answers with has this body (JSON or TAXII
# media type depending on the path).
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "description": "A TAXII 2.1 error message (§3.6.1).",
    "type": "object",
    "required": ["title", "http_status"],
    "properties": {
        "title": {"type": "string"},
        "description": {"type": "string"},
        "error_id": {"type": "string"},
        "error_code": {"type": "string"},
        "http_status": {"type": "string", "pattern": "^[45][0-9][0-9]$"},
        "external_details": {"type": "string"},
        "details": {"type": "object"},
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_WHY: dict[int, str] = {
    304: "Not modified: the If-None-Match tag names the current feed.",
    400: "A malformed request: a query parameter, a cursor, a body that is not what it must be.",
    401: "No valid credentials (Bearer token, or Basic with the token as password).",
    403: "The caller's role may not do this.",
    404: "No such resource, or one the caller may not see (the same answer for both).",
    406: "The Accept header does not allow the TAXII 2.1 media type.",
    413: "The body exceeds max_content_length.",
    415: "The body is not of an accepted media type.",
    500: "The node failed (its store, a bug): never the client's doing.",
}


def responses(*codes: int, media_type: str = "application/json") -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of the given error (or 304) statuses, for a route decorator."""
    return {
        code: {"description": _WHY[code]} if code == 304 else _error_response(code, media_type)
        for code in codes
    }


def _error_response(code: int, media_type: str) -> dict[str, Any]:
    return {
        "description": _WHY.get(code) or HTTPStatus(code).phrase,
        "content": {media_type: {"schema": _ERROR_REF}},
    }


def install_openapi(app: FastAPI, *, public: Callable[[str], bool]) -> None:
    """Make ``app.openapi()`` the document described in the module docstring.

    ``public`` tells the paths that need no credentials (none today; kept for clarity).
    """

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
        components = spec.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Error"] = ERROR_SCHEMA
        # RFC 6750 Bearer, or RFC 7617 Basic with the token secret as the password.
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "An API token."},
            "basic": {
                "type": "http",
                "scheme": "basic",
                "description": "Any user name, the API token secret as the password.",
            },
        }
        for path, operations in spec.get("paths", {}).items():
            media_type = TAXII_MEDIA_TYPE if path.startswith("/taxii2") else "application/json"
            for operation in operations.values():
                answers = operation.setdefault("responses", {})
                answers.pop("422", None)
                if not public(path):
                    operation["security"] = [{"bearer": []}, {"basic": []}]
                    answers.setdefault("401", _error_response(401, media_type))
                answers.setdefault("500", _error_response(500, media_type))
        app.openapi_schema = spec
        return spec

    app.openapi = build  # type: ignore[method-assign]  # FastAPI's documented override
