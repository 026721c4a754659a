"""The advisory desk's file store: names only from report ids, a draft kept once (in a
private folder) and shown to the node's operators only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.factories import GREEN, new_version
from tests.unit.server.ui_sessions import FEED

from entente.bootstrap import advisory_desk, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound
from entente.services import node_org_id
from entente.services.advisories import AdvisoryRequest
from entente.services.advisory_desk import advisory_file_stem
from entente.sharing import Principal, Role

INDICATOR: dict[str, Any] = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--a4000000-0000-4000-8000-000000000001",
    "created": "2024-01-01T00:00:00.000Z",
    "modified": "2024-01-01T00:00:00.000Z",
    "pattern": "[ipv4-addr:value = '10.8.0.1']",
    "pattern_type": "stix",
    "valid_from": "2024-01-01T00:00:00Z",
    "object_marking_refs": [GREEN],
}


@pytest.mark.parametrize(
    "report_id",
    [
        "report--../../node.db",
        "report--",
        "indicator--a4000000-0000-4000-8000-000000000001",
        "report--a4000000-0000-4000-8000-000000000001/../x",
        "",
    ],
)
def test_only_a_report_uuid_names_a_file(report_id: str) -> None:
    with pytest.raises(ObjectNotFound):
        advisory_file_stem(report_id)


def test_a_file_name_is_the_canonical_uuid() -> None:
    stem = advisory_file_stem("report--A4000000-0000-4000-8000-00000000000A")
    assert stem == "a4000000-0000-4000-8000-00000000000a"


def test_a_draft_is_kept_once_and_shown_only_to_the_nodes_operators(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as node:
        with node.store.transaction() as tx:
            tx.insert([(new_version(INDICATOR, INDICATOR["modified"]), FEED)])
        desk = advisory_desk(node)
        alice = Principal("user:alice", node_org_id("Entente node"), Role.ANALYST, True)
        asked = AdvisoryRequest(title="T", summary="S", object_ids=(INDICATOR["id"],))
        made = desk.draft(alice, asked, "All objects", channel="cli")
        stem = advisory_file_stem(made.report_id)
        assert sorted(p.name for p in (tmp_path / "advisories").iterdir()) == [
            f"{stem}.json",
            f"{stem}.tar",
        ]
        assert (tmp_path / "advisories").stat().st_mode & 0o077 == 0
        with pytest.raises(InvalidInput, match="drafted already"):
            desk.draft(alice, asked, "All objects", channel="cli")
        [shown] = desk.list_drafts(alice)
        assert (shown.report_id, shown.published, shown.approved) == (made.report_id, False, False)
        outsider = Principal("user:eve", node_org_id("Org B"), Role.ANALYST, True)
        assert desk.list_drafts(outsider) == []
        with pytest.raises(ObjectNotFound):
            desk.show(outsider, made.report_id)
