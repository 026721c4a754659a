"""Discovery and redirects name the configured ``public_url``, never the client's Host header
(issue 11 §5): a client that sends ``Host: evil.example`` must not make the node advertise or
redirect to it (host-header injection into links other clients follow)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.unit.server.conftest import SECRET, TAXII, serving

from entente.bootstrap import open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.server import create_app
from entente.services import create_token

PUBLIC_URL = "https://cti.example.org:8443"
EVIL = {"Host": "evil.example"}
# Values for every path parameter of the app's routes.
_PARAMETERS = {
    "collection_id": "00000000-0000-4000-8000-000000000001",
    "object_id": "indicator--00000000-0000-4000-8000-000000000001",
    "status_id": "00000000-0000-4000-8000-000000000002",
    "fmt": "csv",
    "name": "entente-md5.lst",
    "case_id": "grouping--00000000-0000-4000-8000-000000000003",
    "task_id": "task-1",
    "action": "notes",
    "request_id": "grouping--00000000-0000-4000-8000-000000000004",
    "report_id": "report--00000000-0000-4000-8000-000000000005",
}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """``(base URL, admin secret, every route path)`` of a node whose public_url is set."""
    settings = Settings(
        home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}", public_url=PUBLIC_URL
    )
    with open_node(settings, FixedClock()) as node:
        _, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
        app = create_app(node, secret=SECRET)
        # The OpenAPI document lists every route; the document itself is one more.
        templates = [path for path, item in app.openapi()["paths"].items() if "get" in item]
        paths = [
            re.sub(r"\{(\w+)\}", lambda m: _PARAMETERS[m.group(1)], template)
            for template in [*templates, "/api/v1/openapi.json"]
        ]
        with serving(app) as base:
            yield base, secret, paths


def test_discovery_names_the_public_url_whatever_the_host_header(
    served: tuple[str, str, list[str]],
) -> None:
    base, secret, _ = served
    headers = {**EVIL, "Authorization": f"Bearer {secret}", "Accept": TAXII}
    response = httpx.get(f"{base}/taxii2/", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["default"] == f"{PUBLIC_URL}/taxii2/api/"
    assert body["api_roots"] == [f"{PUBLIC_URL}/taxii2/api/"]
    assert "evil" not in response.text


@pytest.mark.parametrize("authenticated", [True, False])
def test_every_trailing_slash_redirect_points_at_the_public_url(
    served: tuple[str, str, list[str]], authenticated: bool
) -> None:
    base, secret, paths = served
    assert len(paths) > 15  # every GET route of TAXII, REST, federation status and feeds
    headers = {**EVIL, "Accept": TAXII}
    if authenticated:
        headers["Authorization"] = f"Bearer {secret}"
    with httpx.Client(base_url=base, follow_redirects=False) as http:
        for path in paths:
            # Starlette redirects a path to its twin with (or without) the trailing slash.
            twin = path.rstrip("/") if path.endswith("/") else path + "/"
            response = http.get(twin, params={"limit": "5"}, headers=headers)
            assert response.status_code == 307, (twin, response.status_code)
            assert response.headers["location"] == f"{PUBLIC_URL}{path}?limit=5", twin
            assert "evil" not in response.text
