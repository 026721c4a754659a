"""The approval policy of each action type, from the ``[approvals]`` table of entente.toml.

Every outbound action type needs approval; one the table does not name gets four-eyes
(``Policy()``: two distinct approvers, the requester excluded). ``[approvals.default]``
changes what the unnamed types get; ``[approvals.<action-type>]`` sets one type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from entente.approvals.model import ActionType, Policy
from entente.errors import InvalidInput

__all__ = ["DEFAULT_KEY", "default_policies", "parse_policies"]

DEFAULT_KEY = "default"
_KEYS = frozenset({"min_approvals", "required_orgs", "approver_orgs", "requester_may_approve"})


def default_policies() -> dict[ActionType, Policy]:
    """Four-eyes for every action type."""
    return {action: Policy() for action in ActionType}


OrgResolver = Callable[[str], str]


def _orgs(
    entry: Mapping[str, object], key: str, where: str, org_id: OrgResolver
) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidInput(f"{where}.{key} must be a list of org names or identity ids")
    return tuple(dict.fromkeys(org_id(v) for v in value))


def _policy(entry: object, where: str, base: Policy, org_id: OrgResolver) -> Policy:
    if not isinstance(entry, dict):
        raise InvalidInput(f"{where} must be a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise InvalidInput(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
        )
    minimum = entry.get("min_approvals", base.min_approvals)
    if type(minimum) is not int or minimum < 1:
        raise InvalidInput(f"{where}.min_approvals must be a positive integer, not {minimum!r}")
    allowed = entry.get("requester_may_approve", base.requester_may_approve)
    if not isinstance(allowed, bool):
        raise InvalidInput(f"{where}.requester_may_approve must be true or false")
    required = (
        _orgs(entry, "required_orgs", where, org_id)
        if "required_orgs" in entry
        else base.required_orgs
    )
    approvers = (
        _orgs(entry, "approver_orgs", where, org_id)
        if "approver_orgs" in entry
        else base.approver_orgs
    )
    try:
        return Policy(minimum, required, approvers, allowed)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from exc


def parse_policies(
    table: object, org_id: OrgResolver = lambda org: org
) -> dict[ActionType, Policy]:
    """The policy of every action type from the ``[approvals]`` table; ``InvalidInput``
    names the table and key that is wrong. ``org_id`` turns what the table names an org by
    (the config's org names) into its identity id."""
    if not isinstance(table, dict):
        raise InvalidInput("[approvals] must be a table")
    known = {action.value for action in ActionType} | {DEFAULT_KEY}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InvalidInput(
            f"[approvals]: unknown action type(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    base = Policy()
    if DEFAULT_KEY in table:
        base = _policy(table[DEFAULT_KEY], f"[approvals.{DEFAULT_KEY}]", base, org_id)
    return {
        action: _policy(table[action.value], f"[approvals.{action.value}]", base, org_id)
        if action.value in table
        else base
        for action in ActionType
    }
