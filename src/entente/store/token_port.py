"""The TokenStore port: API tokens (principals of an org holding a role, architecture §2)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ApiToken", "TokenStatus", "TokenStore"]


class TokenStatus(enum.StrEnum):
    """Whether a token may still authenticate."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """One API token as stored: never its secret, only the secret's SHA-256 (hex).

    ``org`` is the org's STIX identity id, ``org_name`` the name it was derived from. Times
    are microseconds since the epoch; ``expires_us`` None means it never expires.
    """

    token_id: str
    name: str
    org: str
    org_name: str
    role: str
    secret_hash: str
    created_us: int
    expires_us: int | None = None
    revoked_us: int | None = None
    last_used_us: int | None = None

    def status_at(self, now_us: int) -> TokenStatus:
        """Revoked, else expired (at or after ``expires_us``), else active."""
        if self.revoked_us is not None:
            return TokenStatus.REVOKED
        if self.expires_us is not None and now_us >= self.expires_us:
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE


class TokenStore(Protocol):
    """Where API tokens are kept."""

    def add(self, token: ApiToken) -> None:
        """Store a new token; an already used ``token_id`` raises ``StorageError``."""
        ...

    def list(self) -> Sequence[ApiToken]:
        """Every token, revoked and expired ones included, oldest first."""
        ...

    def get_by_id(self, token_id: str) -> ApiToken | None:
        """The token with that id, or None."""
        ...

    def revoke(self, token_id: str) -> ApiToken:
        """Mark the token revoked now (kept as it was if already revoked) and return it.

        An unknown ``token_id`` raises ``ObjectNotFound``.
        """
        ...

    def record_uses(self, uses: Mapping[str, int]) -> None:
        """Record, in one transaction, each token's last use (token id -> microseconds).

        A later use already recorded is kept; unknown ids are ignored. Authentication never
        calls this on the request path (``entente.services.token_uses`` batches the uses).
        """
        ...
