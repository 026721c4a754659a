"""A node with its app and signed-in users of several orgs and roles, for the UI page tests.

Users are made and signed in through the node's own users service (password and TOTP code,
as the sign-in form does); one test client carries the cookie of whichever user asks.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from tests.unit.server.conftest import SECRET

from entente.accounts import totp_at
from entente.bootstrap import Node, federation, open_node, users
from entente.clock import FixedClock
from entente.config import Settings
from entente.server import create_app
from entente.services import create_token, node_context, node_org_id
from entente.sharing import NodeContext, Principal
from entente.store import Provenance, SourceKind

NODE_ORG_NAME = "CERT-X"
PASSWORD = "correct horse battery"
# What each user is: org and role. Org B holds a token here, so it is in the community
# (TLP:GREEN reaches it); Org C does not.
USERS = {
    "admin": (NODE_ORG_NAME, "admin"),
    "analyst": (NODE_ORG_NAME, "analyst"),
    "reader": (NODE_ORG_NAME, "reader"),
    "analyst_b": ("Org B", "analyst"),
    "reader_c": ("Org C", "reader"),
}
# Objects the tests store arrive from a feed, as third-party content.
FEED = Provenance(SourceKind.FEED, "feed A", "operator")


@dataclass
class UiNode:
    """The node, a client of its app, and each user's session token and principal."""

    node: Node
    client: TestClient
    tokens: dict[str, str]
    principals: dict[str, Principal]

    def get(self, path: str, who: str, **params: Any) -> Any:
        """GET ``path`` with ``who``'s session cookie (and no other)."""
        self.client.cookies.clear()
        self.client.cookies.set("entente_session", self.tokens[who])
        return self.client.get(path, params=params)

    def post(self, path: str, who: str, **form: str) -> Any:
        """POST the form ``form`` to ``path`` as ``who``, with its session's CSRF token."""
        csrf = users(self.node, SECRET).session_of(self.tokens[who]).session.csrf_token
        self.client.cookies.clear()
        self.client.cookies.set("entente_session", self.tokens[who])
        return self.client.post(path, data={"csrf_token": csrf, **form})

    def context(self) -> NodeContext:
        """The policy context the node reads with now (for the oracle)."""
        node = self.node
        return node_context(
            node_org=node_org_id(node.settings.org_name),
            tokens=node.tokens,
            agreements=federation(node).agreements(),
            default_marking=node.settings.default_marking,
            now_us=node.clock.now_us(),
        )


@contextmanager
def ui_node(
    home: Path, who: tuple[str, ...] = tuple(USERS), **more_settings: Any
) -> Iterator[UiNode]:
    """A node named ``CERT-X`` on SQLite in ``home``, its app, and ``who`` signed in;
    ``more_settings`` (``tsa_url``, say) go into its ``Settings``."""
    clock = FixedClock()
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'node.db'}",
        public_url="http://127.0.0.1:8080",
        org_name=NODE_ORG_NAME,
        **more_settings,
    )
    with open_node(settings, clock) as node:
        create_token(node.tokens, clock, org_name="Org B", role="reader")
        accounts = users(node, SECRET)
        tokens: dict[str, str] = {}
        principals: dict[str, Principal] = {}
        for name in who:
            org, role = USERS[name]
            enrolment = accounts.add_user(name, org_name=org, role=role, password=PASSWORD)
            key = base64.b32decode(enrolment.secret + "=" * (-len(enrolment.secret) % 8))
            started = accounts.sign_in(name, PASSWORD, totp_at(key, clock.now_us() // 1_000_000))
            tokens[name] = started.token
            principals[name] = accounts.session_of(started.token).principal
        app = create_app(node, secret=SECRET)
        with TestClient(
            app, base_url="http://testserver", raise_server_exceptions=False, follow_redirects=False
        ) as client:
            yield UiNode(node, client, tokens, principals)
