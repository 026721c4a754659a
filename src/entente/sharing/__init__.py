"""Entente's pure sharing policy: principals, agreements, node context and ``decide``."""

from __future__ import annotations

from entente.sharing.agreements import (
    Agreement,
    InvalidAgreement,
    OnwardSharing,
    SightingsSharing,
    ThirdPartySharing,
    agreement_schema,
    parse_agreement,
)
from entente.sharing.granular import (
    GranularMarking,
    granular_markings_of,
    parse_selector,
    strip_selected,
)
from entente.sharing.ownership import (
    HeldObject,
    WriteContext,
    creator_refusal,
    is_node_admin,
    may_delete,
    may_store,
    owner_of,
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
    is_shareable,
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
    "GranularMarking",
    "HeldObject",
    "InvalidAgreement",
    "NodeContext",
    "OnwardSharing",
    "Principal",
    "Role",
    "SightingsSharing",
    "ThirdPartySharing",
    "VersionFacts",
    "WriteContext",
    "agreement_schema",
    "creator_refusal",
    "decide",
    "effective_tlp",
    "granular_markings_of",
    "is_allowed",
    "is_node_admin",
    "is_shareable",
    "may_delete",
    "may_store",
    "owner_of",
    "parse_agreement",
    "parse_selector",
    "redacted_copy",
    "strip_selected",
    "unknown_markings",
]
