"""RFC 8785 canonical JSON (JCS), the byte form Entente hashes and signs."""

from __future__ import annotations

from typing import Any

import rfc8785

__all__ = ["canonical_json"]


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (sorted keys, ES6 numbers)."""
    return rfc8785.dumps(value)
