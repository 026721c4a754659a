"""Who is asking: principals of an org, each with a role (architecture §2, "principal")."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["Audience", "Principal", "Role"]


class Role(enum.StrEnum):
    """The roles a principal may hold (architecture §2); roles grant actions, not TLP visibility."""

    ADMIN = "admin"
    ANALYST = "analyst"
    READER = "reader"
    PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user, an API token, a service or a partner node."""

    id: str
    # The STIX identity id of the principal's organization (architecture §2).
    org: str
    role: Role
    # True only for a named person; tokens, services and partner nodes are never individuals,
    # which matters for TLP:RED (FIRST TLP 2.0: "For the eyes and ears of individual recipients
    # only").
    is_individual: bool


Audience: TypeAlias = Principal | None
"""Who a read is for: a principal, or ``None`` for an unauthenticated (public) endpoint."""
