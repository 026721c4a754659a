"""``entente sync`` in-process: the JSON contract and exit codes, against a partner on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said
from tests.unit.server.conftest import SECRET, serving

from entente.bootstrap import Node, open_node
from entente.bootstrap import federation as federation_of
from entente.config import Settings
from entente.federation import card_document, generate_key, make_card
from entente.ingest import Candidate
from entente.server import create_app
from entente.services import IngestService, create_token, org_identity_id
from entente.services.sample_intel import sample_intel
from entente.store import Provenance, SourceKind

ORG_A, ORG_B = "Org A", "Org B"
AGREEMENT = {
    "id": "a-b",
    "name": "Org A and Org B",
    "parties": [ORG_A, ORG_B],
    "max_tlp": "amber+strict",
    "onward_sharing": "none",
}


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """Run ``entente ARGS`` in-process for a node "Org A" in a home of its own."""
    return cli_for(tmp_path / "a", ORG_A)


def _write_json(path: Path, value: Any) -> str:
    path.write_bytes(orjson.dumps(value))
    return str(path)


@pytest.fixture
def unreachable_card(tmp_path: Path) -> str:
    """The card file of a partner "Org B" that is not running."""
    key = generate_key()
    card = make_card(
        org_name=ORG_B,
        org_id=org_identity_id(ORG_B),
        public_key=key.public_key,
        taxii_url="http://127.0.0.1:9/taxii2/",
        api_root="http://127.0.0.1:9/taxii2/api/",
    )
    return _write_json(tmp_path / "card-b.json", card_document(card, key))


@pytest.fixture
def org_b(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Org B served on loopback with its sample intel: (its card file, a token for Org A)."""
    settings = Settings(
        home=tmp_path / "b", database_url=f"sqlite:///{tmp_path / 'b.db'}", org_name=ORG_B
    )
    with open_node(settings) as node:
        _prepare(node)
        _, token = create_token(node.tokens, node.clock, org_name=ORG_A, role="partner")
        with serving(create_app(node, secret=SECRET)) as base:
            card = federation_of(node).card(f"{base}/taxii2/", f"{base}/taxii2/api/")
            yield _write_json(tmp_path / "card-b.json", card), token


def _prepare(node: Node) -> None:
    federation_of(node).add_agreement(AGREEMENT)
    objects = sample_intel(ORG_B, octet=2, created="2026-11-01T00:00:00.000Z")
    summary = IngestService(node.store, node.clock, principal="local:test").ingest_candidates(
        [Candidate("intel.json", str(i), obj) for i, obj in enumerate(objects)],
        Provenance(SourceKind.FILE, "intel.json", "local:test"),
        source="intel.json",
    )
    assert summary.rejected == []


def test_sync_json_with_no_partners_prints_an_empty_list_and_exits_0(run: Any) -> None:
    result = run("sync", "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {"partners": []}


def test_sync_of_an_unknown_partner_exits_2(run: Any) -> None:
    result = run("sync", "--partner", "nobody", "--json")
    assert result.exit_code == 2
    assert "nobody" in said(result)


def test_sync_without_an_agreement_exits_1_and_the_partner_shows_as_failing(
    run: Any, unreachable_card: str
) -> None:
    assert run("partner", "add", "--card", unreachable_card, "--token", "t").exit_code == 0
    result = run("sync", "--json")
    assert result.exit_code == 1, result.output
    [outcome] = orjson.loads(result.stdout)["partners"]
    assert outcome["partner"] == "Org-B"
    assert "no agreement" in outcome["error"]
    [partner] = orjson.loads(run("partner", "list", "--json").stdout)["partners"]
    assert partner["status"] == "failing"
    assert partner["last_error"] == outcome["error"]
    assert partner["last_sync"] is not None


def test_sync_pulls_from_a_served_partner_and_a_second_run_adds_nothing(
    run: Any, org_b: tuple[str, str], tmp_path: Path
) -> None:
    card, token = org_b
    assert run("init", "--org", ORG_A).exit_code == 0
    assert run("partner", "add", "--card", card, "--token", token).exit_code == 0
    agreement = _write_json(tmp_path / "a-b.json", AGREEMENT)
    assert run("agreement", "add", agreement).exit_code == 0

    first = run("sync", "--json")
    assert first.exit_code == 0, first.output
    [outcome] = orjson.loads(first.stdout)["partners"]
    assert (outcome["error"], outcome["rejected"], outcome["added"]) == (None, [], 8)
    assert outcome["collections"] == 1 and outcome["pages"] >= 1

    again = run("sync", "--partner", "Org-B")
    assert again.exit_code == 0, again.output
    assert "Org-B: 0 added, 0 new versions" in again.stdout

    [partner] = orjson.loads(run("partner", "list", "--json").stdout)["partners"]
    assert (partner["status"], partner["objects_received"]) == ("ok", 8)
    assert token not in run("partner", "list", "--json").stdout
