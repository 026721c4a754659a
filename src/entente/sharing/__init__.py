"""Entente's pure sharing policy: principals, node context and the one ``decide`` function."""

from __future__ import annotations

from entente.sharing.policy import (
    Allow,
    Decision,
    Deny,
    NodeContext,
    VersionFacts,
    decide,
    effective_tlp,
    is_allowed,
    unknown_markings,
)
from entente.sharing.principals import Audience, Principal, Role

__all__ = [
    "Allow",
    "Audience",
    "Decision",
    "Deny",
    "NodeContext",
    "Principal",
    "Role",
    "VersionFacts",
    "decide",
    "effective_tlp",
    "is_allowed",
    "unknown_markings",
]
