"""``entente preservation new|send|list|verify|answer|contacts`` and ``entente case
hold|release``: a request from a case to a configured 24/7 point of contact, approved by two
people before it is recorded as sent, its letter verified offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

from entente.federation.keys import generate_key

INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--00000000-0000-4000-8000-0000000000aa",
    "created": "2026-11-01T00:00:00.000Z",
    "modified": "2026-11-01T00:00:00.000Z",
    "pattern": "[domain-name:value = 'c2.example.org']",
    "pattern_type": "stix",
    "valid_from": "2026-11-01T00:00:00Z",
}
CONTACT = """
[[preservation.contacts]]
country = "NL"
authority = "Team High Tech Crime, Netherlands Police"
email = "24-7@example.nl"
phone = "+31 70 000 0000"
"""
ELEMENTS = [
    "--authority", "CERT-X, Ministry of Justice",
    "--offence", "Illegal access (Art. 2)",
    "--facts", "Intrusions in November 2026.",
    "--link", "The domain named the command server.",
    "--custodian", "Example Registrar B.V.",
    "--necessity", "Logs are rotated after 30 days.",
    "--signatory", "J. Doe, Head of CERT-X",
]  # fmt: skip


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr)
    return orjson.loads(result.stdout) if result.stdout.startswith("{") else result.stdout


def _node(tmp_path: Path) -> tuple[Any, str]:
    home = tmp_path / "home"
    cli = cli_for(home)
    with (home / "entente.toml").open("a", encoding="utf-8") as config:
        config.write(CONTACT)
    bundle = tmp_path / "indicator.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "objects": [INDICATOR]}))
    ok(cli("ingest", str(bundle)))
    case_id = ok(cli("case", "new", "Harbour", "--json"))["id"]
    ok(cli("case", "attach", case_id, INDICATOR["id"]))
    return cli, case_id


def test_a_request_is_approved_written_signed_verified_recorded_and_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, case_id = _node(tmp_path)
    out = tmp_path / "request.pdf"
    monkeypatch.setenv("LOGNAME", "carol")  # the operator who drafts (local:carol)
    text = ok(cli("preservation", "new", case_id, "--contact", "nl", *ELEMENTS))
    for n in range(1, 7):
        assert f"\n{n}. " in text
    assert "domain-name c2.example.org" in text
    assert "pending: 2 more approval(s)" in " ".join(text.split())
    (listed,) = ok(cli("preservation", "list", case_id, "--json"))["requests"]
    assert listed["state"] == "pending approval"
    # Unapproved: refused, no file written and nothing recorded.
    refused = cli("preservation", "send", case_id, "1", "--out", str(out))
    assert refused.exit_code == 2 and "pending: 2 more approval(s)" in said(refused)
    assert list(tmp_path.glob("request*")) == []
    assert ok(cli("case", "show", case_id, "--json"))["preservation_requests"] == []
    assert cli("approval", "approve", listed["approval_request"]).exit_code == 2  # own request
    for approver in ("alice", "bob"):
        monkeypatch.setenv("LOGNAME", approver)
        ok(cli("approval", "approve", listed["approval_request"]))
    monkeypatch.setenv("LOGNAME", "carol")
    text = ok(cli("preservation", "send", case_id, "1", "--out", str(out)))
    signature = tmp_path / "request.dsse.json"
    assert f"signature: {signature}" in " ".join(text.split())
    again = cli("preservation", "send", case_id, "1", "--out", str(tmp_path / "again.pdf"))
    assert again.exit_code == 2 and "already sent" in said(again)
    assert out.read_bytes().startswith(b"%PDF-1.4") and (tmp_path / "request.md").is_file()
    verified = ok(cli("preservation", "verify", str(out), str(signature)))
    assert "request.pdf: verified" in verified
    changed = bytearray(out.read_bytes())
    changed[200] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(bytes(changed))
    failed = cli("preservation", "verify", str(tmp_path / "changed.pdf"), str(signature))
    assert failed.exit_code == 1
    assert "the letter was changed" in said(failed)
    stranger = generate_key().public_key_text
    other = cli("preservation", "verify", str(out), str(signature), "--key", stranger)
    assert other.exit_code == 1 and "no valid signature by the key" in said(other)
    shown = ok(cli("case", "show", case_id, "--json"))
    (request,) = shown["preservation_requests"]
    assert request["addressee"] == "Team High Tech Crime, Netherlands Police (NL)"
    answer = ["--answer", "preserved", "--until", "2027-03-01T00:00:00Z", "--json"]
    answered = ok(cli("preservation", "answer", case_id, "--reference", request["reference"],
                      *answer))  # fmt: skip
    assert answered["preservation_requests"][0]["answer"] == "preserved"
    events = [e["event"] for e in ok(cli("case", "show", case_id, "--json"))["timeline"]]
    assert events[-2:] == ["preservation-requested", "preservation-answered"]


def test_a_missing_element_is_named_and_nothing_is_written_or_recorded(tmp_path: Path) -> None:
    cli, case_id = _node(tmp_path)
    result = cli("preservation", "new", case_id, "--contact", "NL", *ELEMENTS[:-6])
    assert result.exit_code == 2
    message = said(result)
    assert "(d) the custodian of the stored computer data" in message
    assert "(e) the necessity of the preservation" in message
    assert "(a)" not in message
    assert list(tmp_path.glob("request*")) == []
    assert ok(cli("preservation", "list", case_id, "--json")) == {"requests": []}
    unknown = cli("preservation", "new", case_id, "--contact", "FR", *ELEMENTS)
    assert unknown.exit_code == 2 and "configured: NL" in said(unknown)
    assert ok(cli("case", "show", case_id, "--json"))["preservation_requests"] == []


def test_case_hold_and_release_need_a_reason_and_show_on_the_case(tmp_path: Path) -> None:
    cli, case_id = _node(tmp_path)
    assert cli("case", "hold", case_id).exit_code == 2  # --reason is required
    ok(cli("case", "hold", case_id, "--reason", "Court order 4711"))
    assert "LEGAL HOLD since" in " ".join(ok(cli("case", "show", case_id)).split())
    again = cli("case", "hold", case_id, "--reason", "again")
    assert again.exit_code == 2 and "already under a legal hold" in said(again)
    released = ok(cli("case", "release", case_id, "--reason", "Order lifted", "--json"))
    assert released["legal_hold"] is None
    assert released["legal_holds"][0]["release_reason"] == "Order lifted"
    listed = ok(cli("preservation", "contacts"))
    assert "NL  Team High Tech Crime, Netherlands Police  24-7@example.nl" in listed
