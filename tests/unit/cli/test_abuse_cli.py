"""``entente abuse ...``: contact, report, a refused and an allowed send, status, mark and
re-check, against recorded RDAP answers and aiosmtpd, both on loopback."""

from __future__ import annotations

import email
import email.policy
import hashlib
import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.abuse.local_rdap import LocalRdap
from tests.unit.abuse.local_smtp import LocalSmtp
from tests.unit.cli.conftest import cli_for, said

from entente.abuse import validate_xarf
from entente.stix import Tlp, marking_id_for

pytestmark = pytest.mark.integration

INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--5d1f3b6e-8a0c-4d2e-9b7f-1a2b3c4d5e6f",
    "created": "2024-01-01T00:00:00.000Z",
    "modified": "2024-01-01T00:00:00.000Z",
    "name": "Scanner",
    "indicator_types": ["malicious-activity"],
    "pattern": "[ipv4-addr:value = '1.1.1.1']",
    "pattern_type": "stix",
    "valid_from": "2024-01-01T00:00:00Z",
    "object_marking_refs": [marking_id_for(Tlp.GREEN)],
}


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr)
    text = result.stdout.strip()
    return orjson.loads(text) if text.startswith(("{", "[")) else text


@pytest.fixture
def world() -> Iterator[tuple[LocalRdap, LocalSmtp]]:
    with LocalRdap() as rdap, LocalSmtp() as smtp:
        yield rdap, smtp


@pytest.fixture
def cli(tmp_path: Path, world: tuple[LocalRdap, LocalSmtp]) -> Callable[..., Any]:
    rdap, smtp = world
    home = tmp_path / "home"
    invoke = cli_for(home)
    with (home / "entente.toml").open("a", encoding="utf-8") as config:
        config.write(
            "\n[abuse]\n"
            f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_starttls = false\n'
            'reporter_org = "Acme CERT"\nreporter_email = "cert@acme.example"\n'
            f'reporter_domain = "acme.example"\nrdap_bootstrap_url = "{rdap.bootstrap_url}"\n'
        )
    bundle = tmp_path / "indicator.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "objects": [INDICATOR]}))
    assert invoke("ingest", str(bundle)).exit_code == 0
    return invoke


def test_the_contact_of_an_address_is_printed_with_why(cli: Callable[..., Any]) -> None:
    found = ok(cli("abuse", "contact", "1.1.1.1", "--json"))
    assert [c["email"] for c in found["contacts"]] == ["helpdesk@apnic.net"]
    assert found["rdap_url"].endswith("/rdap.apnic.net/ip/1.1.1.1")
    text = ok(cli("abuse", "contact", "google.com"))
    assert "abusecomplaints@markmonitor.com" in text
    assert "registrar 292" in text


def test_a_report_is_sent_only_once_two_other_operators_approved_it_then_tracked(
    cli: Callable[..., Any],
    tmp_path: Path,
    world: tuple[LocalRdap, LocalSmtp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, smtp = world
    out = tmp_path / "report.json"
    monkeypatch.setenv("LOGNAME", "carol")  # the operator who drafts (local:carol)
    drafted = ok(cli("abuse", "report", INDICATOR["id"], "--out", str(out), "--json"))
    validate_xarf(orjson.loads(out.read_bytes()))
    assert drafted["contact"]["email"] == "helpdesk@apnic.net"
    assert drafted["contact"]["provider"] == "APNIC-LABS"
    assert (drafted["status"], drafted["approval"]) == ("draft", "pending: 2 more approval(s)")
    report_id, request_id = drafted["id"], drafted["approval_request"]
    # What the approvers see is exactly the report that will be sent.
    shown = ok(cli("approval", "show", request_id, "--json"))
    assert shown["payload_text"].encode("utf-8") == out.read_bytes()
    assert shown["refs"] == [report_id, INDICATOR["id"]]

    refused = cli("abuse", "send", report_id)
    assert refused.exit_code == 2
    assert "pending: 2 more approval(s)" in said(refused)
    assert cli("approval", "approve", request_id).exit_code == 2  # not the requester's own
    monkeypatch.setenv("LOGNAME", "alice")
    ok(cli("approval", "approve", request_id))
    assert "pending: 1 more approval(s)" in said(cli("abuse", "send", report_id))
    assert smtp.received == []
    monkeypatch.setenv("LOGNAME", "bob")
    ok(cli("approval", "approve", request_id))
    assert ok(cli("abuse", "status", report_id, "--json"))["approval"] == "approved"

    monkeypatch.setenv("LOGNAME", "carol")
    sent = ok(cli("abuse", "send", report_id, "--json"))
    assert sent["status"] == "sent"
    assert sent["sla"]["state"] == "waiting"
    assert "by local:alice" in sent["history"][-2]["detail"]
    assert len(smtp.received) == 1
    message = email.message_from_bytes(smtp.received[0].content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    [attached] = list(message.iter_attachments())
    assert attached.get_payload(decode=True) == out.read_bytes()

    ok(cli("abuse", "mark", report_id, "acknowledged", "--detail", "ticket 1"))
    [listed] = ok(cli("abuse", "status", "--json"))
    assert (listed["id"], listed["status"], listed["sla"]["state"]) == (
        report_id,
        "acknowledged",
        "answered",
    )
    assert "answered" in ok(cli("abuse", "status"))
    assert "resolves n/a" in ok(cli("abuse", "recheck", report_id))


def test_bad_requests_are_clear_errors(cli: Callable[..., Any], tmp_path: Path) -> None:
    out = str(tmp_path / "r.json")
    unknown = cli(
        "abuse", "report", "indicator--00000000-0000-4000-8000-000000000000", "--out", out
    )
    assert unknown.exit_code == 2
    arf = cli("abuse", "report", INDICATOR["id"], "--format", "arf", "--out", out)
    assert arf.exit_code == 2
    assert "original" in said(arf)
    package = tmp_path / "package.tar"
    package.write_bytes(b"a package")
    loose = cli(
        "abuse", "report", INDICATOR["id"], "--evidence-package", str(package), "--out", out
    )
    assert loose.exit_code == 2
    assert "needs --case" in said(loose)
    bad = cli("abuse", "mark", "note--00000000-0000-4000-8000-000000000000", "sent")
    assert bad.exit_code == 2
    assert cli("abuse", "contact", "not a target").exit_code == 2


def test_an_unreachable_registry_is_named_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path / "home"
    invoke = cli_for(home)
    with (home / "entente.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[abuse]\nrdap_bootstrap_url = "http://127.0.0.1:{port}/"\n')
    result = invoke("abuse", "contact", "1.1.1.1")
    assert result.exit_code == 1
    assert "not delivered: RDAP" in said(result)


def test_a_takedown_cases_package_travels_in_the_report_and_the_case_shows_it(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    case = ok(cli("case", "new", "Scanner takedown", "--type", "takedown", "--json"))
    package = tmp_path / "package.tar"
    package.write_bytes(b"the bytes of the case's evidence package")
    out = tmp_path / "report.json"
    drafted = ok(
        cli(
            "abuse", "report", INDICATOR["id"], "--case", case["id"],
            "--evidence-package", str(package), "--out", str(out), "--json",
        )
    )  # fmt: skip
    evidence = orjson.loads(out.read_bytes())["evidence"]
    digest = hashlib.sha256(package.read_bytes()).hexdigest()
    assert [e["hash"] for e in evidence if e["content_type"] == "application/x-tar"] == [
        f"sha256:{digest}"
    ]
    shown = ok(cli("case", "show", case["id"], "--json"))
    [listed] = shown["abuse_reports"]
    assert (listed["id"], listed["status"], listed["sla"]["state"]) == (
        drafted["id"],
        "draft",
        "not-sent",
    )
    assert f"abuse report {drafted['id']}" in ok(cli("case", "show", case["id"]))


def test_asking_again_replaces_the_request_and_its_approvals_no_longer_count(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "carol")
    out = str(tmp_path / "report.json")
    drafted = ok(cli("abuse", "report", INDICATOR["id"], "--out", out, "--json"))
    first = drafted["approval_request"]
    monkeypatch.setenv("LOGNAME", "alice")
    ok(cli("approval", "approve", first))
    monkeypatch.setenv("LOGNAME", "carol")
    again = ok(cli("abuse", "request-approval", drafted["id"], "--json"))
    assert again["approval_request"] not in (None, first)
    assert again["approval"] == "pending: 2 more approval(s)"
    assert again["history"][-1]["detail"] == f"approval requested: {again['approval_request']}"
