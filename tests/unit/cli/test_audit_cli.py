"""``entente audit verify|query|checkpoint`` in-process: output, JSON and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine, update
from tests.unit.cli.conftest import cli_for

from entente.audit import Actor, EntryDraft
from entente.bootstrap import audit_log, open_node
from entente.cli.audit import parse_since
from entente.config import load_settings
from entente.errors import InvalidInput
from entente.services import org_identity_id
from entente.store.schema import audit_entries

OBJECT = "indicator--11111111-0000-4000-8000-000000000000"


def record(home: Path, org: str, objects: tuple[str, ...], n: int = 1) -> None:
    """Append ``n`` read entries by a reader of ``org`` to the audit log of the node in home."""
    settings = load_settings({"ENTENTE_HOME": str(home)})
    with open_node(settings) as opened:
        actor = Actor(f"token--{org}", org_identity_id(org), "reader")
        drafts = [EntryDraft(actor, "read", "taxii", objects, "amber") for _ in range(n)]
        audit_log(opened).record(drafts)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_verify_reports_counts_and_ok(home: Path) -> None:
    cli = cli_for(home)
    record(home, "Org B", (OBJECT,), n=3)
    assert cli("audit", "checkpoint").exit_code == 0
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "node: 3 entries checked, 1 checkpoints checked" in result.stdout
    assert result.stdout.strip().endswith("OK")
    document = orjson.loads(cli("audit", "verify", "--json").stdout)
    assert document["ok"] is True
    assert document["chains"][0]["signed_through"] == 3


def test_verify_names_the_first_changed_entry_and_exits_1(home: Path) -> None:
    cli = cli_for(home)
    record(home, "Org B", (OBJECT,), n=4)
    settings = load_settings({"ENTENTE_HOME": str(home)})
    with open_node(settings) as opened:
        body = next(r.body for r in opened.audit.entries("node") if r.seq == 3)
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        changed = body.replace(b'"amber"', b'"clear"')
        conn.execute(update(audit_entries).where(audit_entries.c.seq == 3).values(body=changed))
    engine.dispose()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "FAILED at entry 3: entry was changed" in " ".join(result.stdout.split())
    document: dict[str, Any] = orjson.loads(cli("audit", "verify", "--json").stdout)
    assert document["ok"] is False
    assert document["chains"][0]["failure"]["seq"] == 3


def test_query_answers_who_saw_an_object(home: Path) -> None:
    cli = cli_for(home)
    record(home, "Org B", (OBJECT,))
    record(home, "Org C", ("note--x",))
    record(home, "Org C", (OBJECT,))
    saw = orjson.loads(cli("audit", "query", "--object", OBJECT, "--json").stdout)["entries"]
    assert [e["actor"]["org"] for e in saw] == [org_identity_id("Org C"), org_identity_id("Org B")]
    by_org = orjson.loads(cli("audit", "query", "--org", "Org C", "--json").stdout)["entries"]
    assert [e["seq"] for e in by_org] == [3, 2]
    by_id = cli("audit", "query", "--org", org_identity_id("Org B"), "--json").stdout
    assert [e["seq"] for e in orjson.loads(by_id)["entries"]] == [1]
    later = cli("audit", "query", "--since", "2999-01-01T00:00:00Z", "--json").stdout
    assert orjson.loads(later)["entries"] == []
    table = cli("audit", "query", "--object", OBJECT)
    assert table.exit_code == 0 and "2 audit entries" in table.stdout


def test_a_bad_since_is_a_clear_input_error(home: Path) -> None:
    cli = cli_for(home)
    result = cli("audit", "query", "--since", "yesterday")
    assert result.exit_code == 2
    assert "RFC 3339" in " ".join(result.stderr.split())


def test_parse_since_reads_times_and_dates_as_utc() -> None:
    assert parse_since("1970-01-01T00:00:01Z") == 1_000_000
    assert parse_since("1970-01-02") == 86_400_000_000
    assert parse_since("1970-01-01T01:00:00+01:00") == 0
    with pytest.raises(InvalidInput):
        parse_since("soon")


def test_admin_commands_are_recorded_with_channel_cli(home: Path) -> None:
    cli = cli_for(home)
    created = cli("token", "create", "--org", "Org D", "--role", "reader", "--json")
    assert created.exit_code == 0, created.output
    token_id = orjson.loads(created.stdout)["token_id"]
    assert cli("token", "revoke", token_id).exit_code == 0
    assert cli("warninglist", "allow", "8.8.8.8").exit_code == 0
    assert cli("warninglist", "allow", "8.8.8.8").exit_code == 0  # already allowed: no change
    found = orjson.loads(cli("audit", "query", "--json").stdout)["entries"]
    assert [e["action"] for e in found] == [
        "admin.warninglists.allow",
        "admin.tokens.revoke",
        "admin.tokens.create",
    ]
    assert {e["channel"] for e in found} == {"cli"}
    assert all(e["actor"]["id"].startswith("local:") for e in found)
    assert found[2]["details"] == {"token_id": token_id, "org": "Org D", "role": "reader"}
    assert "secret" not in str(found)
    assert cli("audit", "verify").exit_code == 0


def test_an_export_records_what_it_released_above_clear(home: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    cli = cli_for(home, "US CERT")
    day_ago = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    unmarked = "indicator--c0000000-0000-4000-8000-000000000001"
    clear = "indicator--c0000000-0000-4000-8000-000000000002"

    def indicator(object_id: str, domain: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": object_id,
            "created": day_ago,
            "modified": day_ago,
            "pattern": f"[domain-name:value = '{domain}']",
            "pattern_type": "stix",
            "valid_from": day_ago,
            "confidence": 80,
            **extra,
        }

    clear_marking = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(
        orjson.dumps(
            {
                "type": "bundle",
                "id": "bundle--c0000000-0000-4000-8000-000000000009",
                "objects": [
                    indicator(unmarked, "evil.example"),
                    indicator(clear, "bad.example", object_marking_refs=[clear_marking]),
                ],
            }
        )
    )
    assert cli("ingest", str(bundle)).exit_code == 0
    assert cli("export", "edl-domains").exit_code == 0
    [entry] = orjson.loads(cli("audit", "query", "--json").stdout)["entries"]
    assert (entry["action"], entry["channel"]) == ("read", "export")
    assert entry["objects"] == [unmarked]
    assert entry["tlp"] == "amber+strict"
    assert entry["details"]["format"] == "edl-domains"
