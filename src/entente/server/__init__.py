"""The HTTP server: TAXII 2.1 and REST routes over FastAPI."""

from __future__ import annotations

from entente.server.app import create_app

__all__ = ["create_app"]
