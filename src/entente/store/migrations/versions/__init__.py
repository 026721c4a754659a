"""Alembic revision scripts of the object store, oldest first."""
