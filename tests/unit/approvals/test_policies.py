"""The ``[approvals]`` table: four-eyes by default, per-type m-of-n, clear errors."""

from __future__ import annotations

import pytest

from entente.approvals import ActionType, Policy, default_policies, parse_policies
from entente.errors import InvalidInput

ORG_A = "identity--00000000-0000-4000-8000-00000000000a"
ORG_B = "identity--00000000-0000-4000-8000-00000000000b"


def test_every_action_type_is_four_eyes_by_default() -> None:
    assert parse_policies({}) == default_policies()
    assert all(p == Policy(2, (), (), False) for p in default_policies().values())
    assert set(default_policies()) == set(ActionType)


def test_a_type_gets_its_own_m_of_n_and_orgs_and_the_rest_the_default() -> None:
    policies = parse_policies(
        {
            "default": {"min_approvals": 3},
            "advisory": {"min_approvals": 2, "required_orgs": [ORG_A, ORG_B]},
            "publish-public": {"approver_orgs": [ORG_A]},
        }
    )
    assert policies[ActionType.ADVISORY] == Policy(2, (ORG_A, ORG_B))
    assert policies[ActionType.PUBLISH_PUBLIC] == Policy(3, (), (ORG_A,))
    assert policies[ActionType.ABUSE_REPORT] == Policy(3)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([], r"\[approvals\] must be a table"),
        ({"tweet": {}}, r"unknown action type\(s\) tweet; known: abuse-report"),
        ({"advisory": 2}, r"\[approvals.advisory\] must be a table"),
        ({"advisory": {"m": 2}}, r"\[approvals.advisory\]: unknown key\(s\) m"),
        ({"referral": {"min_approvals": 0}}, r"min_approvals must be a positive integer"),
        ({"referral": {"min_approvals": True}}, r"min_approvals must be a positive integer"),
        ({"referral": {"required_orgs": "x"}}, r"required_orgs must be a list"),
        ({"referral": {"required_orgs": ["acme"]}}, r"\[approvals.referral\]: .*identity id"),
        ({"referral": {"requester_may_approve": "no"}}, r"must be true or false"),
        (
            {"advisory": {"min_approvals": 1, "required_orgs": [ORG_A, ORG_B]}},
            r"2 required orgs cannot each approve within min_approvals = 1",
        ),
    ],
)
def test_a_wrong_table_says_where_and_what(table: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_policies(table)
