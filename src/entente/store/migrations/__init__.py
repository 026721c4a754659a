"""Alembic migrations of the object store, run by ``open_store`` (no alembic.ini on disk)."""
