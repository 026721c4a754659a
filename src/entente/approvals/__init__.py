"""Approvals of outbound actions: the sans-IO core (values, policies, signatures, decisions,
the STIX form). Issue 15 item 1; ``services.approvals`` orchestrates."""

from __future__ import annotations

from entente.approvals.decision import decide, required_orgs
from entente.approvals.extension import (
    APPROVAL_EXTENSION_ID,
    APPROVAL_SCHEMA,
    REQUEST_CONTEXT,
    REQUEST_EXTENSION_ID,
    REQUEST_SCHEMA,
    extension_definitions,
    is_approval,
    is_request,
    parse_approval,
    parse_request,
    render_approval,
    render_request,
)
from entente.approvals.model import (
    APPROVER_ROLES,
    ActionType,
    Approval,
    Decision,
    Ignored,
    Policy,
    Request,
    State,
    Verdict,
    payload_digest,
)
from entente.approvals.policies import DEFAULT_KEY, default_policies, parse_policies
from entente.approvals.statement import PREDICATE_TYPE, check_signature, sign_approval, statement

__all__ = [
    "APPROVAL_EXTENSION_ID",
    "APPROVAL_SCHEMA",
    "APPROVER_ROLES",
    "DEFAULT_KEY",
    "PREDICATE_TYPE",
    "REQUEST_CONTEXT",
    "REQUEST_EXTENSION_ID",
    "REQUEST_SCHEMA",
    "ActionType",
    "Approval",
    "Decision",
    "Ignored",
    "Policy",
    "Request",
    "State",
    "Verdict",
    "check_signature",
    "decide",
    "default_policies",
    "extension_definitions",
    "is_approval",
    "is_request",
    "parse_approval",
    "parse_policies",
    "parse_request",
    "payload_digest",
    "render_approval",
    "render_request",
    "required_orgs",
    "sign_approval",
    "statement",
]
