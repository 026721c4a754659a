"""Alembic environment: migrates the connection that ``open_store`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from entente.store.schema import metadata


def _run() -> None:
    """Run the pending revisions on the caller's connection (online mode only)."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        # Offline (--sql) mode and alembic.ini-driven runs are not supported: the store
        # migrates itself when it is opened.
        raise RuntimeError("entente migrations run through entente.store.open_store only")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
