"""The SQL adapter of the TokenStore port, on the object store's engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from entente.clock import Clock
from entente.errors import ObjectNotFound, StorageError
from entente.store.failures import storage_errors
from entente.store.schema import api_tokens
from entente.store.token_port import ApiToken

__all__ = ["SqlTokenStore"]

_T = api_tokens.c

_COLUMNS = (
    _T.token_id,
    _T.name,
    _T.org,
    _T.org_name,
    _T.role,
    _T.secret_hash,
    _T.created_us,
    _T.expires_us,
    _T.revoked_us,
    _T.last_used_us,
)


# One statement, executed for many tokens at once (executemany).
_RECORD_USE = (
    update(api_tokens)
    .where(
        _T.token_id == bindparam("use_id"),
        or_(_T.last_used_us.is_(None), _T.last_used_us < bindparam("use_us")),
    )
    .values(last_used_us=bindparam("use_us"))
)


def _token(row: Sequence[Any]) -> ApiToken:
    """An ApiToken from a row of ``_COLUMNS``."""
    return ApiToken(
        token_id=row[0],
        name=row[1],
        org=row[2],
        org_name=row[3],
        role=row[4],
        secret_hash=row[5],
        created_us=int(row[6]),
        expires_us=None if row[7] is None else int(row[7]),
        revoked_us=None if row[8] is None else int(row[8]),
        last_used_us=None if row[9] is None else int(row[9]),
    )


class SqlTokenStore:
    """API tokens in the ``api_tokens`` table (migration 0002) of a migrated store."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def add(self, token: ApiToken) -> None:
        """Store a new token; an already used ``token_id`` raises ``StorageError``."""
        values = {column.name: getattr(token, column.name) for column in _COLUMNS}
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(api_tokens).values(**values))
        except IntegrityError as exc:
            raise StorageError(f"token id {token.token_id} is already used ({exc.orig})") from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"storing token {token.token_id} failed: {exc}") from exc

    def list(self) -> Sequence[ApiToken]:
        """Every token, revoked and expired ones included, oldest first."""
        stmt = select(*_COLUMNS).order_by(_T.created_us, _T.token_id)
        with storage_errors("listing tokens"), self._engine.connect() as conn:
            return tuple(_token(row) for row in conn.execute(stmt))

    def get_by_id(self, token_id: str) -> ApiToken | None:
        """The token with that id, or None."""
        stmt = select(*_COLUMNS).where(_T.token_id == token_id)
        with storage_errors("reading a token"), self._engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else _token(row)

    def revoke(self, token_id: str) -> ApiToken:
        """Mark the token revoked now (kept as it was if already revoked) and return it."""
        now = self._clock.now_us()
        with storage_errors("revoking a token"), self._engine.begin() as conn:
            # The write comes first, so that SQLite takes its write lock at once.
            conn.execute(
                update(api_tokens)
                .where(_T.token_id == token_id, _T.revoked_us.is_(None))
                .values(revoked_us=now)
            )
            row = conn.execute(select(*_COLUMNS).where(_T.token_id == token_id)).one_or_none()
        if row is None:
            raise ObjectNotFound(f"no token {token_id}")
        return _token(row)

    def record_uses(self, uses: Mapping[str, int]) -> None:
        """Record, in one transaction, each token's last use (token id -> microseconds).

        A later use already recorded is kept (two servers on one database may flush in any
        order); unknown ids are ignored.
        """
        if not uses:
            return
        rows = [{"use_id": token_id, "use_us": at_us} for token_id, at_us in uses.items()]
        with storage_errors("recording token use"), self._engine.begin() as conn:
            conn.execute(_RECORD_USE, rows)
