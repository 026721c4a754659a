"""The OpenID Connect provider over HTTP: its discovery document, its JWKS and its token
endpoint (the I/O that ``entente.accounts.oidc`` leaves out).

Each sign-in reads the discovery document and the JWKS afresh: sign-ins are rare, and a key
the provider rotated in is then found without a cache to expire. Any transport failure or
error answer is ``AuthenticationFailed``: the person is not signed in, and nothing else
changes.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from entente.accounts.oidc import Discovery, OidcConfig, parse_discovery
from entente.errors import AuthenticationFailed

__all__ = ["DISCOVERY_PATH", "OidcClient"]

# OpenID Connect Discovery 1.0 §4: the document lives at this path below the issuer.
DISCOVERY_PATH = "/.well-known/openid-configuration"
_TIMEOUT_S = 10.0


class OidcClient:
    """Reads from and posts to one provider; ``transport`` lets a test route the calls."""

    def __init__(
        self,
        config: OidcConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = _TIMEOUT_S,
    ) -> None:
        self._config = config
        self._transport = transport
        self._timeout = timeout_s

    def _client(self) -> httpx.Client:
        # No redirects: an endpoint that moves is a configuration to fix, not to follow.
        return httpx.Client(
            transport=self._transport, timeout=self._timeout, follow_redirects=False
        )

    def _json(self, response: httpx.Response, what: str) -> object:
        if response.status_code != 200:
            raise AuthenticationFailed(f"the provider's {what} answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise AuthenticationFailed(f"the provider's {what} is not JSON") from None

    def discovery(self) -> Discovery:
        """The provider's endpoints (its issuer checked against the configured one)."""
        try:
            with self._client() as client:
                response = client.get(self._config.issuer + DISCOVERY_PATH)
        except httpx.HTTPError as exc:
            raise AuthenticationFailed(f"the provider cannot be reached: {exc}") from None
        return parse_discovery(self._json(response, "discovery document"), self._config.issuer)

    def jwks(self, discovery: Discovery) -> object:
        """The provider's public keys (RFC 7517 JWK Set), as JSON."""
        try:
            with self._client() as client:
                response = client.get(discovery.jwks_uri)
        except httpx.HTTPError as exc:
            raise AuthenticationFailed(f"the provider cannot be reached: {exc}") from None
        return self._json(response, "JWKS")

    def exchange(
        self, discovery: Discovery, *, code: str, redirect_uri: str, code_verifier: str
    ) -> str:
        """The ID token the token endpoint gives for ``code`` (RFC 6749 §4.1.3 with the
        RFC 7636 §4.5 verifier; the client authenticates with HTTP Basic, §2.3.1)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        try:
            with self._client() as client:
                response = client.post(
                    discovery.token_endpoint,
                    data=form,
                    # §2.3.1: each part form-urlencoded before it is joined with ":".
                    auth=(
                        quote(self._config.client_id, safe=""),
                        quote(self._config.client_secret, safe=""),
                    ),
                    headers={"Accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            raise AuthenticationFailed(f"the provider cannot be reached: {exc}") from None
        body = self._json(response, "token endpoint")
        if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            raise AuthenticationFailed("the provider's token answer holds no ID token")
        return str(body["id_token"])
