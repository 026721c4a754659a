"""The SQL adapters of the UserStore and SessionStore ports, on the object store's engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from entente.errors import InvalidInput, ObjectNotFound, StorageError
from entente.store.failures import storage_errors
from entente.store.schema import ui_sessions, users
from entente.store.user_port import UiSession, UserAccount

__all__ = ["SqlSessionStore", "SqlUserStore"]

_U = users.c
_S = ui_sessions.c

_USER_COLUMNS = (
    _U.user_id,
    _U.username,
    _U.org,
    _U.org_name,
    _U.role,
    _U.password_hash,
    _U.totp_sealed,
    _U.created_us,
    _U.updated_us,
    _U.totp_last_step,
    _U.failed_attempts,
    _U.locked_until_us,
    _U.disabled,
    _U.last_login_us,
)
_SESSION_COLUMNS = (
    _S.session_hash,
    _S.user_id,
    _S.csrf_token,
    _S.created_us,
    _S.last_seen_us,
    _S.expires_us,
)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _user(row: Sequence[Any]) -> UserAccount:
    """A UserAccount from a row of ``_USER_COLUMNS``."""
    return UserAccount(
        user_id=row[0],
        username=row[1],
        org=row[2],
        org_name=row[3],
        role=row[4],
        password_hash=row[5],
        totp_sealed=bytes(row[6]),
        created_us=int(row[7]),
        updated_us=int(row[8]),
        totp_last_step=_optional_int(row[9]),
        failed_attempts=int(row[10]),
        locked_until_us=_optional_int(row[11]),
        disabled=bool(row[12]),
        last_login_us=_optional_int(row[13]),
    )


def _key(username: str) -> str:
    # The same rule as accounts.credentials.username_key (usernames are ASCII); the store
    # cannot import the accounts package (a sibling layer), and it is one lower().
    return username.strip().lower()


class SqlUserStore:
    """User accounts in the ``users`` table (migration 0009) of a migrated store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, user: UserAccount) -> None:
        """Store a new user; a username already taken (in any case) raises ``InvalidInput``."""
        values = {column.name: getattr(user, column.name) for column in _USER_COLUMNS}
        values["username_key"] = _key(user.username)
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(users).values(**values))
        except IntegrityError as exc:
            # The unique username_key decides, not a read before the insert: two adds of one
            # name at once cannot both succeed.
            raise InvalidInput(f"user {user.username} already exists") from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"storing user {user.username} failed: {exc}") from exc

    def get_by_username(self, username: str) -> UserAccount | None:
        """The user with that username, compared case-insensitively, or None."""
        return self._one(_U.username_key == _key(username))

    def get_by_id(self, user_id: str) -> UserAccount | None:
        """The user with that id, or None."""
        return self._one(_U.user_id == user_id)

    def _one(self, condition: Any) -> UserAccount | None:
        stmt = select(*_USER_COLUMNS).where(condition)
        with storage_errors("reading a user"), self._engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else _user(row)

    def list(self) -> Sequence[UserAccount]:
        """Every user, disabled ones included, oldest first."""
        stmt = select(*_USER_COLUMNS).order_by(_U.created_us, _U.username_key)
        with storage_errors("listing users"), self._engine.connect() as conn:
            return tuple(_user(row) for row in conn.execute(stmt))

    def record_failure(
        self, user_id: str, *, now_us: int, max_failures: int, lockout_us: int
    ) -> UserAccount:
        """Count one failed login; the ``max_failures``-th in a row locks the account."""
        with storage_errors("recording a failed login"), self._engine.begin() as conn:
            # The increment is done by the database (not read, add, write): two wrong
            # attempts at once both count.
            conn.execute(
                update(users)
                .where(_U.user_id == user_id)
                .values(failed_attempts=_U.failed_attempts + 1)
            )
            conn.execute(
                update(users)
                .where(_U.user_id == user_id, _U.failed_attempts >= max_failures)
                .values(failed_attempts=0, locked_until_us=now_us + lockout_us)
            )
            row = conn.execute(select(*_USER_COLUMNS).where(_U.user_id == user_id)).one_or_none()
        if row is None:
            raise ObjectNotFound(f"no user {user_id}")
        return _user(row)

    def record_success(self, user_id: str, *, totp_step: int, now_us: int) -> bool:
        """Accept a login with the code of ``totp_step`` unless that step was already used."""
        stmt = (
            update(users)
            .where(
                _U.user_id == user_id,
                or_(_U.totp_last_step.is_(None), _U.totp_last_step < totp_step),
            )
            .values(
                totp_last_step=totp_step,
                failed_attempts=0,
                locked_until_us=None,
                last_login_us=now_us,
            )
        )
        with storage_errors("recording a login"), self._engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def set_password_hash(self, user_id: str, password_hash: str, *, now_us: int) -> None:
        """Replace the password hash (``ObjectNotFound`` for an unknown user)."""
        self._update(user_id, "changing a password", password_hash=password_hash, updated_us=now_us)

    def set_totp(self, user_id: str, totp_sealed: bytes, *, now_us: int) -> None:
        """Replace the sealed TOTP key and forget the last accepted step."""
        self._update(
            user_id,
            "resetting a TOTP key",
            totp_sealed=totp_sealed,
            totp_last_step=None,
            updated_us=now_us,
        )

    def set_disabled(self, user_id: str, disabled: bool, *, now_us: int) -> None:
        """Disable (ending the user's sessions in the same transaction) or enable."""
        values: dict[str, Any] = {"disabled": disabled, "updated_us": now_us}
        if not disabled:
            values.update(failed_attempts=0, locked_until_us=None)
        with storage_errors("disabling a user"), self._engine.begin() as conn:
            changed = conn.execute(update(users).where(_U.user_id == user_id).values(**values))
            if changed.rowcount != 1:
                raise ObjectNotFound(f"no user {user_id}")
            if disabled:
                conn.execute(delete(ui_sessions).where(_S.user_id == user_id))

    def _update(self, user_id: str, action: str, **values: Any) -> None:
        with storage_errors(action), self._engine.begin() as conn:
            changed = conn.execute(update(users).where(_U.user_id == user_id).values(**values))
        if changed.rowcount != 1:
            raise ObjectNotFound(f"no user {user_id}")


def _session(row: Sequence[Any]) -> UiSession:
    return UiSession(
        session_hash=row[0],
        user_id=row[1],
        csrf_token=row[2],
        created_us=int(row[3]),
        last_seen_us=int(row[4]),
        expires_us=int(row[5]),
    )


class SqlSessionStore:
    """Web sessions in the ``ui_sessions`` table (migration 0009)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, session: UiSession) -> None:
        """Store a new session."""
        values = {column.name: getattr(session, column.name) for column in _SESSION_COLUMNS}
        with storage_errors("storing a session"), self._engine.begin() as conn:
            conn.execute(insert(ui_sessions).values(**values))

    def get(self, session_hash: str) -> UiSession | None:
        """The session stored under ``session_hash``, or None."""
        stmt = select(*_SESSION_COLUMNS).where(_S.session_hash == session_hash)
        with storage_errors("reading a session"), self._engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else _session(row)

    def touch(self, session_hash: str, now_us: int) -> None:
        """Note a request at ``now_us`` (a later one already noted is kept)."""
        stmt = (
            update(ui_sessions)
            .where(_S.session_hash == session_hash, _S.last_seen_us < now_us)
            .values(last_seen_us=now_us)
        )
        with storage_errors("noting a session's use"), self._engine.begin() as conn:
            conn.execute(stmt)

    def delete(self, session_hash: str) -> None:
        """End a session (nothing if there is none)."""
        with storage_errors("ending a session"), self._engine.begin() as conn:
            conn.execute(delete(ui_sessions).where(_S.session_hash == session_hash))

    def delete_for_user(self, user_id: str) -> int:
        """End every session of a user; how many there were."""
        with storage_errors("ending a user's sessions"), self._engine.begin() as conn:
            return conn.execute(delete(ui_sessions).where(_S.user_id == user_id)).rowcount

    def delete_ended(self, *, now_us: int, idle_us: int) -> int:
        """Delete sessions past their expiry or idle for ``idle_us``; how many."""
        stmt = delete(ui_sessions).where(
            or_(_S.expires_us <= now_us, _S.last_seen_us <= now_us - idle_us)
        )
        with storage_errors("deleting ended sessions"), self._engine.begin() as conn:
            return conn.execute(stmt).rowcount
