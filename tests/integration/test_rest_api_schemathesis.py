"""Schemathesis over the REST API: no server errors, no status code the OpenAPI does not list.

A real node on SQLite, holding the shipped sample intelligence, is called in-process through
its ASGI app with tokens of three roles (an admin of the node, a reader of another org, a
partner node). Schemathesis generates requests from the node's own OpenAPI document (valid
and invalid ones) for every ``/api/v1`` operation and checks each answer: not a 5xx, a status
the operation documents, the documented content type, and a body matching the documented
schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from entente.bootstrap import open_node, operator_ingest
from entente.clock import FixedClock
from entente.config import Settings
from entente.ingest import InputFormat, open_document
from entente.server import create_app
from entente.services import create_token
from entente.stix import format_timestamp_us

# A co-signed advisory package is uploaded as application/x-tar (server.advisory_routes):
# arbitrary bytes, which the route must refuse with a 4xx, never a 5xx.
schemathesis.openapi.media_type("application/x-tar", st.binary(max_size=2048))

pytestmark = pytest.mark.integration

SECRET = b"schemathesis-cursor-secret-0123456789"
ROLES = {
    "admin": ("Entente node", "admin"),
    "reader": ("Org B", "reader"),
    "partner": ("Org C", "partner"),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Requests per generation mode, over all operations (each sent four times: three roles and
# a bad token); bounded so that the test takes well under a minute.
EXAMPLES = 150


@dataclass
class Api:
    """The node's app and a bearer token per role."""

    schema: schemathesis.BaseSchema
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home: Path = tmp_path_factory.mktemp("schemathesis")
    settings_ = Settings(home=home, database_url=f"sqlite:///{home / 'node.db'}")
    with open_node(settings_, FixedClock()) as node:
        service = operator_ingest(node, "local:test")
        data = resources.files("entente") / "demo_data"
        for name in ("apt1.json", "misp-event-galaxy.json"):
            with resources.as_file(data / name) as path:
                document = open_document(
                    str(path),
                    fmt=InputFormat.AUTO,
                    source_name=name,
                    now=format_timestamp_us(node.clock.now_us()),
                    markings=(),
                )
                service.ingest_document(document)
        tokens = {}
        for role, (org, kind) in ROLES.items():
            _, secret = create_token(node.tokens, node.clock, org_name=org, role=kind)
            tokens[role] = secret
        app = create_app(node, secret=SECRET)
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        yield Api(schema.include(path_regex="^/api/v1/"), tokens)


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=str)
def test_the_rest_api_answers_only_documented_statuses(
    api: Api, mode: schemathesis.GenerationMode
) -> None:
    """Valid (positive) and invalid (negative) requests to every ``/api/v1`` operation."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=api.schema.as_strategy(mode))
    def check(case: schemathesis.Case[Any]) -> None:
        # The same generated request as each role, and with a credential that is no token.
        for token in [*api.tokens.values(), "not-a-token"]:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    check()
