"""Every server error is a TAXII 2.1 error message in JSON: no HTML, no exception text."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.testclient import TestClient
from tests.unit.server.conftest import ALL, ROOT, SECRET, TAXII, Harness, indicator, serving

from entente.bootstrap import open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.server import create_app
from entente.services import create_token
from entente.store import ObjectQuery, Page
from entente.store.sql import SqlStore, SqlTransaction

OBJECTS = f"{ROOT}collections/{ALL}/objects/"
LEAK = "kaboom: password=hunter2 at /srv/entente/secret.db"


def fail() -> None:
    """Raise the unexpected error (typed ``None`` so the code after a call stays reachable)."""
    raise RuntimeError(LEAK)


class ExplodingStore(SqlStore):
    """A real SqlStore whose reads and writes fail with an unexpected RuntimeError."""

    def query(self, query: ObjectQuery) -> Page:
        """Fail as an unexpected bug would."""
        raise RuntimeError(LEAK)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        """Fail as an unexpected bug would, when the unit of work is entered."""
        fail()
        yield SqlTransaction(self.engine.connect(), FixedClock())  # never reached


@pytest.fixture
def exploding(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of an app whose object store raises, and admin auth headers."""
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as node:
        assert isinstance(node.store, SqlStore)
        broken = replace(node, store=ExplodingStore(node.store.engine, node.clock))
        _, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
        app = create_app(broken, secret=SECRET)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, {"Authorization": f"Bearer {secret}", "Accept": TAXII}


def assert_is_error_message(response: Any, status: int) -> dict[str, Any]:
    """``response`` is a §3.6.1 TAXII error message with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII
    assert "<html" not in response.text.lower()
    body: dict[str, Any] = orjson.loads(response.content)
    assert isinstance(body["title"], str) and body["title"]
    assert body["http_status"] == str(status)
    return body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{ROOT}collections/{ALL}/objects/"),
        ("GET", f"{ROOT}collections/{ALL}/manifest/"),
        (
            "GET",
            f"{ROOT}collections/{ALL}/objects/indicator--00000000-0000-4000-8000-000000000001/",
        ),
        ("POST", f"{ROOT}collections/{ALL}/objects/"),
    ],
)
def test_unexpected_exception_is_a_taxii_500_without_exception_text(
    exploding: tuple[TestClient, dict[str, str]], method: str, path: str
) -> None:
    """A RuntimeError inside a route answers a bare TAXII 500; its text never leaves."""
    client, headers = exploding
    response = client.request(
        method,
        path,
        headers={**headers, "Content-Type": TAXII},
        content=orjson.dumps({"objects": [indicator(1)]}) if method == "POST" else None,
    )
    body = assert_is_error_message(response, 500)
    assert body["title"] == "Internal Server Error"
    for leaked in ("kaboom", "hunter2", "secret.db", "RuntimeError", "Traceback", "File "):
        assert leaked not in response.text


def test_unexpected_exception_through_uvicorn_is_a_taxii_500(tmp_path: Path) -> None:
    """Served by a real uvicorn, the 500 is the same bare TAXII error message."""
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as node:
        assert isinstance(node.store, SqlStore)
        broken = replace(node, store=ExplodingStore(node.store.engine, node.clock))
        _, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
        with serving(create_app(broken, secret=SECRET)) as base:
            response = httpx.get(
                f"{base}{OBJECTS}",
                headers={"Authorization": f"Bearer {secret}", "Accept": TAXII},
                timeout=10,
            )
    assert_is_error_message(response, 500)
    assert "kaboom" not in response.text


def test_unexpected_exception_on_rest_route_is_a_json_500_without_exception_text(
    exploding: tuple[TestClient, dict[str, str]],
) -> None:
    """The REST API fails the same way, as application/json."""
    client, headers = exploding
    response = client.get("/api/v1/objects", headers=headers)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.content)["http_status"] == "500"
    assert "kaboom" not in response.text
    assert "RuntimeError" not in response.text


@dataclass(frozen=True)
class BadRequest:
    """One bad request of the sweep and the status it must get."""

    status: int
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    # None: the admin's Bearer token; "" no Authorization header; else the header as is.
    authorization: str | None = None
    accept: str = TAXII
    content_type: str | None = None
    body: bytes | None = None


ONE = f"{OBJECTS}indicator--00000000-0000-4000-8000-000000000042/"
ENVELOPE = orjson.dumps({"objects": [indicator(1)]})
BASIC_NO_PASSWORD = "Basic " + base64.b64encode(b"admin:").decode()

SWEEP = {
    "unknown route": BadRequest(404, "GET", "/taxii2/nowhere/"),
    "unknown route under the api root": BadRequest(404, "GET", f"{ROOT}nowhere/"),
    "unknown collection": BadRequest(
        404, "GET", f"{ROOT}collections/00000000-0000-4000-8000-000000000000/objects/"
    ),
    "unknown object": BadRequest(404, "GET", ONE),
    "unknown object versions": BadRequest(404, "GET", f"{ONE}versions/"),
    "unknown status": BadRequest(404, "GET", f"{ROOT}status/no-such-status/"),
    "method not allowed": BadRequest(405, "PUT", OBJECTS),
    "limit zero": BadRequest(400, "GET", OBJECTS, {"limit": "0"}),
    "limit not a number": BadRequest(400, "GET", OBJECTS, {"limit": "ten"}),
    "bad added_after": BadRequest(400, "GET", OBJECTS, {"added_after": "yesterday"}),
    "unknown match field": BadRequest(400, "GET", OBJECTS, {"match[colour]": "red"}),
    "empty match type": BadRequest(400, "GET", OBJECTS, {"match[type]": ""}),
    "bad match id": BadRequest(400, "GET", OBJECTS, {"match[id]": "not-an-id"}),
    "version all with last": BadRequest(400, "GET", OBJECTS, {"match[version]": "all,last"}),
    "forged next": BadRequest(400, "GET", OBJECTS, {"next": "forged.token"}),
    "not acceptable": BadRequest(406, "GET", f"{ROOT}collections/", accept="text/html"),
    "taxii 2.0 accept": BadRequest(
        406, "GET", f"{ROOT}collections/", accept="application/vnd.oasis.taxii+json; version=2.0"
    ),
    "json body media type": BadRequest(
        415, "POST", OBJECTS, content_type="application/json", body=ENVELOPE
    ),
    "no body media type": BadRequest(415, "POST", OBJECTS, body=ENVELOPE),
    "body not json": BadRequest(400, "POST", OBJECTS, content_type=TAXII, body=b"{not json"),
    "body not an envelope": BadRequest(400, "POST", OBJECTS, content_type=TAXII, body=b"[1, 2]"),
    "oversized body": BadRequest(
        413, "POST", OBJECTS, content_type=TAXII, body=b'{"objects": [' + b" " * 70_000 + b"]}"
    ),
    "no credentials": BadRequest(401, "GET", "/taxii2/", authorization=""),
    "unknown bearer token": BadRequest(401, "GET", f"{ROOT}collections/", authorization="Bearer x"),
    "malformed basic": BadRequest(401, "GET", f"{ROOT}collections/", authorization="Basic %%%"),
    "basic without password": BadRequest(
        401, "GET", f"{ROOT}collections/", authorization=BASIC_NO_PASSWORD
    ),
    "unsupported scheme": BadRequest(
        401, "GET", f"{ROOT}collections/", authorization="Digest username=admin"
    ),
    "unauthenticated unknown route": BadRequest(404, "GET", "/taxii2/nowhere/", authorization=""),
    "unauthenticated post": BadRequest(
        401, "POST", OBJECTS, authorization="", content_type=TAXII, body=ENVELOPE
    ),
}


@pytest.mark.parametrize("case", list(SWEEP.values()), ids=list(SWEEP))
def test_every_bad_taxii_request_gets_a_taxii_json_error(
    harness: Harness, case: BadRequest
) -> None:
    """Each bad request gets its status as a TAXII JSON error message, never HTML."""
    headers = {"Accept": case.accept}
    if case.authorization is None:
        headers.update(harness.headers["admin"])
    elif case.authorization:
        headers["Authorization"] = case.authorization
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    response = harness.client.request(
        case.method, case.path, params=case.params, headers=headers, content=case.body
    )
    assert_is_error_message(response, case.status)
    if case.status == 401:
        assert "Bearer" in response.headers["www-authenticate"]


def test_chunked_oversized_body_is_a_taxii_413(harness: Harness) -> None:
    """A body without Content-Length is counted while streaming and refused at the limit."""

    def chunks() -> Iterator[bytes]:
        yield b'{"objects": ['
        for _ in range(20):
            yield b" " * 8192
        yield b"]}"

    response = harness.client.post(
        OBJECTS,
        headers={**harness.headers["admin"], "Accept": TAXII, "Content-Type": TAXII},
        content=chunks(),
    )
    assert "content-length" not in response.request.headers
    assert_is_error_message(response, 413)


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("reader_b", "POST", OBJECTS),
        ("reader_b", "DELETE", f"{OBJECTS}indicator--00000000-0000-4000-8000-000000000001/"),
    ],
)
def test_forbidden_writes_get_a_taxii_json_403(
    harness: Harness, who: str, method: str, path: str
) -> None:
    """A reader may neither add nor delete; the refusal is a TAXII error message."""
    assert harness.post_objects([indicator(1)]).status_code == 202
    response = harness.client.request(
        method,
        path,
        headers={**harness.headers[who], "Accept": TAXII, "Content-Type": TAXII},
        content=ENVELOPE if method == "POST" else None,
    )
    assert_is_error_message(response, 403)
