"""``entente case ...``: a case's whole life from the command line, and clear refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tests.unit.cli.conftest import cli_for, said

SIGHTING = {
    "type": "sighting",
    "spec_version": "2.1",
    "id": "sighting--00000000-0000-4000-8000-0000000000aa",
    "created": "2024-01-01T00:00:00.000Z",
    "modified": "2024-01-01T00:00:00.000Z",
    "sighting_of_ref": "indicator--00000000-0000-4000-8000-0000000000bb",
}

FILE = {
    "type": "file",
    "spec_version": "2.1",
    "id": "file--00000000-0000-4000-8000-0000000000cc",
    "hashes": {"SHA-256": "cd" * 32},
}


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr)
    return orjson.loads(result.stdout) if result.stdout.startswith("{") else result.stdout


def test_a_case_is_opened_worked_merged_and_closed(tmp_path: Path) -> None:
    cli = cli_for(tmp_path / "home")
    bundle = tmp_path / "sighting.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "objects": [SIGHTING, FILE]}))
    assert cli("ingest", str(bundle)).exit_code == 0
    first = ok(cli("case", "new", "Phishing wave", "--type", "takedown", "--json"))
    cid = first["id"]
    assert len(first["tasks"]) == 4
    ok(cli("case", "status", cid, "in-progress", "waiting on partner"))
    ok(cli("case", "task", "add", cid, "Call the registrar", "--owner", "bob",
           "--due", "2020-01-01T00:00:00Z"))  # fmt: skip
    ok(cli("case", "task", "done", cid, "task-1", "--result", "confirmed"))
    ok(cli("case", "attach", cid, SIGHTING["id"], "--evidence"))
    ok(cli("case", "attach", cid, "--hash", "CD" * 32))
    ok(cli("case", "note", cid, "registrar contacted"))
    shown = ok(cli("case", "show", cid, "--json"))
    assert (shown["stage"], shown["status"]) == ("in-progress", "waiting on partner")
    assert shown["attached"] == [SIGHTING["id"]]
    assert shown["refs"] == [SIGHTING["id"], FILE["id"]]
    assert shown["tasks"][-1]["overdue"] is True
    assert [e["event"] for e in shown["timeline"]] == [
        "opened", "status", "task-added", "task-done", "attached", "referenced", "note-added",
    ]  # fmt: skip
    text = ok(cli("case", "show", cid))
    assert "OVERDUE" in text and "Call the registrar" in text
    second = ok(cli("case", "new", "Same wave", "--no-template", "--json"))
    assert second["tasks"] == []
    merged = ok(cli("case", "merge", cid, second["id"], "--name", "Both", "--json"))
    assert merged["merged_from"] == [cid, second["id"]]
    ok(cli("case", "close", merged["id"], "duplicate"))
    copy = ok(cli("case", "share", cid, "--tlp", "green", "--task", "task-2", "--json"))
    assert [t["id"] for t in copy["tasks"]] == ["task-2"]
    assert copy["notes"] == []
    listed = ok(cli("case", "list", "--json"))["cases"]
    assert {c["id"] for c in listed} == {cid, second["id"], merged["id"], copy["id"]}
    assert "4 cases" in ok(cli("case", "list"))


def test_mistakes_exit_2_with_the_reason(tmp_path: Path) -> None:
    cli = cli_for(tmp_path / "home")
    cid = ok(cli("case", "new", "x", "--json"))["id"]
    refused = cli("case", "task", "done", cid, "task-42")
    assert refused.exit_code == 2
    assert "no task 'task-42'" in said(refused)
    bad_tlp = cli("case", "new", "x", "--tlp", "purple")
    assert (bad_tlp.exit_code, "not a TLP level" in said(bad_tlp)) == (2, True)
    unknown = cli("case", "show", "grouping--00000000-0000-4000-8000-000000000099")
    assert (unknown.exit_code, "no object" in said(unknown)) == (2, True)
    closing = cli("case", "status", cid, "closed", "closed")
    assert (closing.exit_code, "use close" in said(closing)) == (2, True)
    bad_type = cli("case", "new", "x", "--type", "picnic")
    assert bad_type.exit_code == 2
    attach = cli("case", "attach", cid, "indicator--00000000-0000-4000-8000-000000000001")
    assert (attach.exit_code, "no object" in said(attach)) == (2, True)
