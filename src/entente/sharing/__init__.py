"""Entente's pure sharing policy: principals, agreements, node context and ``decide``."""

from __future__ import annotations

from entente.sharing.agreements import (
    Agreement,
    InvalidAgreement,
    OnwardSharing,
    SightingsSharing,
    agreement_schema,
    parse_agreement,
)
from entente.sharing.policy import (
    Allow,
    Decision,
    Deny,
    NodeContext,
    VersionFacts,
    decide,
    effective_tlp,
    is_allowed,
    redacted_copy,
    unknown_markings,
)
from entente.sharing.principals import Audience, Principal, Role

__all__ = [
    "Agreement",
    "Allow",
    "Audience",
    "Decision",
    "Deny",
    "InvalidAgreement",
    "NodeContext",
    "OnwardSharing",
    "Principal",
    "Role",
    "SightingsSharing",
    "VersionFacts",
    "agreement_schema",
    "decide",
    "effective_tlp",
    "is_allowed",
    "parse_agreement",
    "redacted_copy",
    "unknown_markings",
]
