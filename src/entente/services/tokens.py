"""API token use cases: issue, authenticate, revoke and list tokens (architecture §2)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

from entente.clock import Clock
from entente.errors import AuthenticationFailed, InvalidInput
from entente.services.token_uses import TokenUseRecorder
from entente.stix import deterministic_id
from entente.store import ApiToken, TokenStatus, TokenStore

__all__ = [
    "ROLES",
    "authenticate",
    "create_token",
    "hash_secret",
    "list_tokens",
    "org_identity_id",
    "revoke_token",
]

ROLES = ("admin", "analyst", "reader", "partner")
"""The roles a principal may hold (architecture §2)."""

SECRET_PREFIX = "ent_"
_DAY_US = 86_400 * 1_000_000
# ent_ + tok_<12 hex> + _ + the base64url (RFC 4648 §5, unpadded) of 32 random bytes: 43
# characters. The random part may itself contain "_", hence the fixed lengths.
_SECRET_RE = re.compile(r"ent_(tok_[0-9a-f]{12})_([A-Za-z0-9_-]{43})")
# Compared against when the token id is unknown, so that that path costs the same.
_NO_HASH = "0" * 64


def hash_secret(secret: str) -> str:
    """The lowercase hex SHA-256 of a token secret: what is stored in its place.

    The secret carries 256 random bits, so a fast hash suffices; slow password hashes
    (Argon2id, bcrypt) protect low-entropy, user-chosen secrets (OWASP Password Storage
    Cheat Sheet) and would only add latency to every request here.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def org_identity_id(org_name: str) -> str:
    """The STIX identity id of the org named ``org_name`` (the same name, the same id)."""
    return deterministic_id("identity", "org", org_name)


def create_token(
    tokens: TokenStore,
    clock: Clock,
    *,
    org_name: str,
    role: str,
    name: str | None = None,
    expires_days: int | None = None,
    token_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> tuple[ApiToken, str]:
    """Issue a token; returns it and its secret, which is shown once and never stored.

    ``token_bytes`` is the source of randomness (tests may pass a deterministic one).
    """
    org_name = org_name.strip()
    if not org_name:
        raise InvalidInput("an org name is required")
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if expires_days is not None and expires_days < 1:
        raise InvalidInput(f"expiry must be at least 1 day, not {expires_days}")
    token_id = "tok_" + token_bytes(6).hex()
    random_part = base64.urlsafe_b64encode(token_bytes(32)).rstrip(b"=").decode("ascii")
    secret = f"{SECRET_PREFIX}{token_id}_{random_part}"
    now = clock.now_us()
    token = ApiToken(
        token_id=token_id,
        name=name.strip() if name and name.strip() else f"{role}@{org_name}",
        org=org_identity_id(org_name),
        org_name=org_name,
        role=role,
        secret_hash=hash_secret(secret),
        created_us=now,
        expires_us=None if expires_days is None else now + expires_days * _DAY_US,
    )
    tokens.add(token)
    return token, secret


def authenticate(
    tokens: TokenStore, clock: Clock, presented: str, uses: TokenUseRecorder | None = None
) -> ApiToken:
    """The active token whose secret is ``presented``; its use is noted in ``uses``.

    Only reads: the use is written later by ``uses``' flush, never on the request path (a
    write would wait for any writer's lock, issue 11 §5). Raises ``AuthenticationFailed``
    for a malformed, unknown, wrong, revoked or expired secret. Revoked and expired are
    only told apart once the secret itself matched.
    """
    match = _SECRET_RE.fullmatch(presented)
    if match is None:
        raise AuthenticationFailed("malformed API token")
    presented_hash = hash_secret(presented)
    token = tokens.get_by_id(match.group(1))
    stored_hash = token.secret_hash if token is not None else _NO_HASH
    # Constant-time comparison: a plain == leaks how many leading characters match.
    if not hmac.compare_digest(presented_hash, stored_hash) or token is None:
        raise AuthenticationFailed("invalid API token")
    now = clock.now_us()
    status = token.status_at(now)
    if status is not TokenStatus.ACTIVE:
        raise AuthenticationFailed(f"API token {token.token_id} is {status.value}")
    if uses is not None:
        uses.note(token.token_id, now)
    return token


def revoke_token(tokens: TokenStore, token_id: str) -> ApiToken:
    """Revoke a token (``ObjectNotFound`` if there is none with that id)."""
    return tokens.revoke(token_id)


def list_tokens(tokens: TokenStore) -> list[ApiToken]:
    """Every token, oldest first; their secrets are not stored, so never listed."""
    return list(tokens.list())
