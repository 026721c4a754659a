"""Who would receive an object: each partner org through the one policy, shown only to the
node's operators and only when they see the current version whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.factories import GREEN, RED, new_version, stix

from entente.clock import FixedClock
from entente.errors import ObjectNotFound, PermissionDenied
from entente.services.recipients import Recipient, RecipientsService, partner_audience
from entente.services.tokens import org_identity_id
from entente.services.visibility import version_facts
from entente.sharing import NodeContext, Principal, Role, decide, is_allowed, parse_agreement
from entente.stix import Tlp, marking_id_for, parse_object
from entente.store import PartnerRecord, Provenance, SourceKind
from entente.store.sql import SqlStore, open_store

NODE_ORG = org_identity_id("Node")
ORG_B = org_identity_id("Org B")
ORG_C = org_identity_id("Org C")
ANALYST = Principal(id="alice", org=NODE_ORG, role=Role.ANALYST, is_individual=True)
ADMIN = Principal(id="root", org=NODE_ORG, role=Role.ADMIN, is_individual=True)
OWN_READER = Principal(id="rita", org=NODE_ORG, role=Role.READER, is_individual=True)
OTHER_ANALYST = Principal(id="bob", org=ORG_B, role=Role.ANALYST, is_individual=True)
LOCAL = Provenance(SourceKind.USER, "rest", "alice", org=NODE_ORG)
# Org B is a registered partner with no agreement; Org C is a party to one (up to AMBER,
# without indicators' descriptions) and no registered partner.
AGREEMENT = parse_agreement(
    {
        "id": "node-c",
        "name": "node and Org C",
        "parties": ["Node", "Org C"],
        "max_tlp": "amber",
        "onward_sharing": "none",
        "redact": {"indicator": ["description"]},
    },
    org_id=org_identity_id,
)
PARTNER_B = PartnerRecord(
    name="org-b",
    org_id=ORG_B,
    org_name="Org B",
    public_key="ed25519:AAAA",
    api_root="http://127.0.0.1:9/taxii2/api/",
    token="t",
    added_us=1,
)
CONTEXT = NodeContext(
    node_org=NODE_ORG,
    community_orgs=frozenset({NODE_ORG, ORG_B, ORG_C}),
    agreements=(AGREEMENT,),
    now_us=1_800_000_000_000_000,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    yield opened
    opened.close()


def put(store: SqlStore, obj: dict[str, Any], provenance: Provenance = LOCAL) -> None:
    with store.transaction() as tx:
        tx.insert([(new_version(obj, parse_object(obj).version_key), provenance)])


def indicator(marking: str) -> dict[str, Any]:
    return stix(
        "indicator",
        1,
        marking,
        created_by_ref=NODE_ORG,
        pattern="[ipv4-addr:value = '10.0.0.1']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
        description="seen at the border",
    )


def service(store: SqlStore) -> RecipientsService:
    return RecipientsService(store=store, context=lambda: CONTEXT, partners=lambda: [PARTNER_B])


def by_name(found: tuple[Recipient, ...] | None) -> dict[str, Recipient]:
    assert found is not None
    return {r.name: r for r in found}


def test_each_partner_gets_the_policy_answer_and_the_copy_it_would_be_sent(
    store: SqlStore,
) -> None:
    obj = indicator(GREEN)
    put(store, obj)
    found = by_name(service(store).recipients(ANALYST, obj["id"]))
    assert set(found) == {"org-b", ORG_C}
    b, c = found["org-b"], found[ORG_C]
    assert (b.allowed, b.copy) == (False, None)
    assert "no agreement" in b.reason and b.agreements == ()
    assert c.agreements == ("node and Org C",)
    assert c.allowed and "node-c" in c.reason and "description" in c.reason
    assert c.copy == {k: v for k, v in obj.items() if k != "description"}
    # The same answers the policy gives a partner principal itself.
    facts = version_facts(store.get_versions(obj["id"], ("last",))[-1], NODE_ORG)
    for org, shown in ((ORG_B, b), (ORG_C, c)):
        assert shown.allowed is is_allowed(decide(facts, partner_audience(org), CONTEXT))


def test_a_level_above_the_agreement_is_denied_with_its_reason(store: SqlStore) -> None:
    obj = indicator(marking_id_for(Tlp.AMBER_STRICT))
    put(store, obj)
    c = by_name(service(store).recipients(ADMIN, obj["id"]))[ORG_C]
    assert not c.allowed and c.copy is None
    assert "max TLP" in c.reason


def test_what_came_from_a_partner_is_not_sent_back_to_it(store: SqlStore) -> None:
    obj = indicator(GREEN)
    obj["created_by_ref"] = ORG_C
    put(store, obj, Provenance(SourceKind.PARTNER, "org-c", ORG_C, agreement="node-c"))
    c = by_name(service(store).recipients(ANALYST, obj["id"]))[ORG_C]
    assert not c.allowed and "came from this partner" in c.reason


@pytest.mark.parametrize("reader", [OWN_READER, OTHER_ANALYST])
def test_only_the_node_operators_may_ask(store: SqlStore, reader: Principal) -> None:
    obj = indicator(GREEN)
    put(store, obj)
    with pytest.raises(PermissionDenied):
        service(store).recipients(reader, obj["id"])


def test_nothing_is_shown_when_the_reader_sees_the_current_version_only_in_part(
    store: SqlStore,
) -> None:
    obj = indicator(GREEN)
    obj["granular_markings"] = [{"marking_ref": RED, "selectors": ["description"]}]
    put(store, obj)
    assert service(store).recipients(ANALYST, obj["id"]) is None


def test_nothing_is_shown_when_a_newer_version_is_hidden_from_the_reader(
    store: SqlStore,
) -> None:
    put(store, indicator(GREEN))
    newer = indicator(RED)
    newer["modified"] = "2024-02-01T00:00:00.000Z"
    put(store, newer)
    assert service(store).recipients(ANALYST, newer["id"]) is None


def test_an_object_the_reader_may_not_see_is_not_found(store: SqlStore) -> None:
    put(store, indicator(RED))
    with pytest.raises(ObjectNotFound):
        service(store).recipients(ANALYST, indicator(RED)["id"])
