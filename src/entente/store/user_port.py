"""The UserStore and SessionStore ports: local user accounts and their web sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["SessionStore", "UiSession", "UserAccount", "UserStore"]


@dataclass(frozen=True, slots=True)
class UserAccount:
    """One local user as stored: the password only as an Argon2id hash, the TOTP key sealed.

    ``org`` is the org's STIX identity id, ``org_name`` the name it was derived from (as API
    tokens have them). Times are microseconds since the epoch.
    """

    user_id: str
    username: str
    org: str
    org_name: str
    role: str
    password_hash: str
    totp_sealed: bytes
    created_us: int
    updated_us: int
    totp_last_step: int | None = None
    failed_attempts: int = 0
    locked_until_us: int | None = None
    disabled: bool = False
    last_login_us: int | None = None


@dataclass(frozen=True, slots=True)
class UiSession:
    """A signed-in web session: the SHA-256 of its cookie token, never the token."""

    session_hash: str
    user_id: str
    csrf_token: str
    created_us: int
    last_seen_us: int
    expires_us: int


class UserStore(Protocol):
    """Where user accounts are kept."""

    def add(self, user: UserAccount) -> None:
        """Store a new user; a username already taken (in any case) raises ``InvalidInput``."""
        ...

    def get_by_username(self, username: str) -> UserAccount | None:
        """The user with that username, compared case-insensitively, or None."""
        ...

    def get_by_id(self, user_id: str) -> UserAccount | None:
        """The user with that id, or None."""
        ...

    def list(self) -> Sequence[UserAccount]:
        """Every user, disabled ones included, oldest first."""
        ...

    def record_failure(
        self, user_id: str, *, now_us: int, max_failures: int, lockout_us: int
    ) -> UserAccount:
        """Count one failed login, in one transaction; the ``max_failures``-th in a row locks
        the account until ``now_us + lockout_us`` and starts the count again."""
        ...

    def record_success(self, user_id: str, *, totp_step: int, now_us: int) -> bool:
        """Accept a login with the TOTP code of ``totp_step``: clear failures and lock, note
        the step and the time. False (nothing written) if a step at or after ``totp_step`` was
        already accepted: a concurrent replay of the same code loses."""
        ...

    def set_password_hash(self, user_id: str, password_hash: str, *, now_us: int) -> None:
        """Replace the password hash (``ObjectNotFound`` for an unknown user)."""
        ...

    def set_totp(self, user_id: str, totp_sealed: bytes, *, now_us: int) -> None:
        """Replace the sealed TOTP key and forget the last accepted step."""
        ...

    def set_disabled(self, user_id: str, disabled: bool, *, now_us: int) -> None:
        """Disable or enable; disabling also ends every session of the user, in the same
        transaction. Enabling clears failures and any lock."""
        ...


class SessionStore(Protocol):
    """Where signed-in web sessions are kept."""

    def add(self, session: UiSession) -> None:
        """Store a new session."""
        ...

    def get(self, session_hash: str) -> UiSession | None:
        """The session stored under ``session_hash``, or None."""
        ...

    def touch(self, session_hash: str, now_us: int) -> None:
        """Note a request at ``now_us`` (a later one already noted is kept)."""
        ...

    def delete(self, session_hash: str) -> None:
        """End a session (nothing if there is none)."""
        ...

    def delete_for_user(self, user_id: str) -> int:
        """End every session of a user; how many there were."""
        ...

    def delete_ended(self, *, now_us: int, idle_us: int) -> int:
        """Delete sessions past their expiry or idle for ``idle_us``; how many."""
        ...
