"""Rules of signed-in web sessions: their tokens, idle timeout and absolute lifetime.

The browser holds a random 32-byte token; the node stores only its SHA-256, so a copy of the
sessions table cannot be replayed as cookies (OWASP Session Management Cheat Sheet, "Session
ID Entropy"; 256 bits need no slow hash). A session ends after 30 minutes without a request
(idle timeout) and 12 hours after sign-in whatever happens (absolute lifetime): the OWASP
cheat sheet's ranges for applications handling sensitive data, and one working day.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from collections.abc import Callable

__all__ = [
    "ABSOLUTE_LIFETIME_US",
    "IDLE_TIMEOUT_US",
    "TOUCH_INTERVAL_US",
    "SessionState",
    "hash_session_token",
    "new_session_token",
    "session_state",
]

IDLE_TIMEOUT_US = 30 * 60 * 1_000_000
ABSOLUTE_LIFETIME_US = 12 * 3600 * 1_000_000
# last_seen is written at most once a minute per session: a write per page view would queue
# every UI request behind the store's write lock (issue 11 §5), and a minute is nothing
# against a 30-minute idle timeout.
TOUCH_INTERVAL_US = 60 * 1_000_000
_TOKEN_BYTES = 32


class SessionState(enum.StrEnum):
    """Whether a stored session still signs its holder in."""

    ACTIVE = "active"
    IDLE = "idle"
    EXPIRED = "expired"


def new_session_token(random_bytes: Callable[[int], bytes]) -> str:
    """A fresh cookie value: base64url (unpadded) of 32 random bytes, 43 characters."""
    return base64.urlsafe_b64encode(random_bytes(_TOKEN_BYTES)).rstrip(b"=").decode("ascii")


def hash_session_token(token: str) -> str:
    """The lowercase hex SHA-256 of a cookie value: the key it is stored under."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_state(*, last_seen_us: int, expires_us: int, now_us: int) -> SessionState:
    """Expired at or after ``expires_us``, else idle 30 minutes after ``last_seen_us``."""
    if now_us >= expires_us:
        return SessionState.EXPIRED
    if now_us >= last_seen_us + IDLE_TIMEOUT_US:
        return SessionState.IDLE
    return SessionState.ACTIVE
