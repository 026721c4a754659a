"""The ownership rules: provenance is bound to the poster; versions and deletes to the owner."""

from __future__ import annotations

import pytest

from entente.sharing import (
    HeldObject,
    Principal,
    Role,
    WriteContext,
    creator_refusal,
    is_node_admin,
    may_delete,
    may_store,
    owner_of,
)

NODE = "identity--00000001-0000-4000-8000-000000000000"
ORG_B = "identity--00000002-0000-4000-8000-000000000000"
PARTNER = "identity--00000003-0000-4000-8000-000000000000"
FEED = "identity--00000004-0000-4000-8000-000000000000"
CTX = WriteContext(node_org=NODE, partner_orgs=frozenset({PARTNER}))


def who(org: str, role: Role) -> Principal:
    return Principal(id=f"{role}@{org[-4:]}", org=org, role=role, is_individual=False)


NODE_ADMIN = who(NODE, Role.ADMIN)
NODE_ANALYST = who(NODE, Role.ANALYST)
B_ADMIN = who(ORG_B, Role.ADMIN)
B_ANALYST = who(ORG_B, Role.ANALYST)


def test_only_this_nodes_admins_administer_the_node() -> None:
    assert is_node_admin(NODE_ADMIN, CTX)
    assert not is_node_admin(NODE_ANALYST, CTX)
    # An admin token of another org administers nothing here.
    assert not is_node_admin(B_ADMIN, CTX)


@pytest.mark.parametrize(
    ("creator", "poster", "allowed"),
    [
        (None, B_ANALYST, True),
        (ORG_B, B_ANALYST, True),
        (NODE, NODE_ANALYST, True),
        # Nobody outside the node's org speaks in its name, whatever the role.
        (NODE, B_ANALYST, False),
        (NODE, B_ADMIN, False),
        # Another org's content: only this node's admins ingest it (third-party).
        (FEED, B_ANALYST, False),
        (FEED, B_ADMIN, False),
        (FEED, NODE_ANALYST, False),
        (FEED, NODE_ADMIN, True),
        (ORG_B, NODE_ADMIN, True),
        # A partner's content only as it signed it, even for this node's admins.
        (PARTNER, NODE_ADMIN, False),
    ],
)
def test_created_by_ref_is_the_posters_org(
    creator: str | None, poster: Principal, allowed: bool
) -> None:
    assert (creator_refusal(creator, poster, CTX) is None) is allowed
    assert (may_store(creator, None, poster, CTX) is None) is allowed


def test_a_partners_content_is_stored_with_its_signature() -> None:
    assert may_store(PARTNER, None, NODE_ADMIN, CTX, signed_by_creator=True) is None
    held = HeldObject(creator=PARTNER, stored_by=PARTNER)
    assert may_store(PARTNER, held, NODE_ADMIN, CTX, signed_by_creator=True) is None
    reason = may_store(PARTNER, held, NODE_ADMIN, CTX)
    assert reason is not None and "signature" in reason


@pytest.mark.parametrize(
    ("held", "poster", "allowed"),
    [
        # The creator's org adds versions; another org does not.
        (HeldObject(creator=ORG_B, stored_by=NODE), B_ANALYST, True),
        (HeldObject(creator=NODE, stored_by=None), B_ANALYST, False),
        # Without a creator, the org that first stored it owns it; the operator is the node.
        (HeldObject(creator=None, stored_by=ORG_B), B_ANALYST, True),
        (HeldObject(creator=None, stored_by=ORG_B), NODE_ANALYST, False),
        (HeldObject(creator=None, stored_by=None), B_ANALYST, False),
        (HeldObject(creator=None, stored_by=None), NODE_ANALYST, True),
        # This node's admins update what the node holds, a partner's objects aside.
        (HeldObject(creator=None, stored_by=ORG_B), NODE_ADMIN, True),
        (HeldObject(creator=None, stored_by=PARTNER), NODE_ADMIN, False),
    ],
)
def test_new_versions_go_to_the_owner(held: HeldObject, poster: Principal, allowed: bool) -> None:
    creator = held.creator
    assert (may_store(creator, held, poster, CTX) is None) is allowed


@pytest.mark.parametrize(
    ("held", "poster", "allowed"),
    [
        (HeldObject(creator=NODE, stored_by=None), NODE_ANALYST, True),
        # An analyst of another org deletes nothing of ours.
        (HeldObject(creator=NODE, stored_by=None), B_ANALYST, False),
        (HeldObject(creator=None, stored_by=None), B_ANALYST, False),
        (HeldObject(creator=ORG_B, stored_by=NODE), B_ANALYST, True),
        (HeldObject(creator=None, stored_by=ORG_B), B_ANALYST, True),
        # This node's admins delete anything the node holds; another org's admin does not.
        (HeldObject(creator=PARTNER, stored_by=PARTNER), NODE_ADMIN, True),
        (HeldObject(creator=NODE, stored_by=None), B_ADMIN, False),
    ],
)
def test_deletes_go_to_the_owner(held: HeldObject, poster: Principal, allowed: bool) -> None:
    assert (may_delete(held, poster, CTX) is None) is allowed


def test_the_owner_is_the_creator_else_who_stored_it_else_the_node() -> None:
    assert owner_of(HeldObject(ORG_B, NODE), CTX) == ORG_B
    assert owner_of(HeldObject(None, ORG_B), CTX) == ORG_B
    assert owner_of(HeldObject(None, None), CTX) == NODE
