"""Tests for principals and roles (architecture §2 "Organization / principal")."""

from __future__ import annotations

import dataclasses

import pytest

from entente.sharing import Principal, Role

ORG = "identity--c1f0c6a2-5bd2-4a5e-9a0b-8f7f3c2b1a00"


def test_roles_are_the_four_of_the_architecture() -> None:
    assert [str(role) for role in Role] == ["admin", "analyst", "reader", "partner"]
    assert Role("partner") is Role.PARTNER


def test_principal_is_frozen_and_compares_by_value() -> None:
    alice = Principal(id="alice", org=ORG, role=Role.ANALYST, is_individual=True)
    assert alice == Principal(id="alice", org=ORG, role=Role.ANALYST, is_individual=True)
    assert hash(alice) == hash(Principal("alice", ORG, Role.ANALYST, True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        alice.role = Role.ADMIN  # type: ignore[misc]  # asserting the runtime refusal
