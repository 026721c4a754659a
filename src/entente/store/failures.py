"""Database failures as Entente errors, for every SQL adapter of the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from entente.errors import StorageError

__all__ = ["storage_errors"]


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """Turn database failures into StorageError (errors.py: never the client's fault)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageError(f"{action} failed: {exc}") from exc
