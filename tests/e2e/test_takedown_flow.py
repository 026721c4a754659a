"""Issue 15's first acceptance end to end, on loopback: a takedown from a hit to an
acknowledged abuse report, sent only after two analysts approved exactly what went out.

A real node (``entente`` commands against its own home) holds an indicator for a
cloud-hosted address; matching over the Zeek DNS sample of tests/data/logs finds hits and stores
sightings; a takedown case is opened with them; the abuse contact is found from recorded RDAP
answers (IANA bootstrap, Verisign, the registrar's abuse desk) served on loopback; the X-ARF
report is drafted, validated against the official schema and put up for approval. Sending it
before approval is refused and nothing reaches the SMTP server (aiosmtpd on loopback). Two
analysts of the node's org, enrolled with ``entente user add`` and signed in with password
and TOTP as the web UI signs them in, approve; the send then delivers the report, the abuse
desk's acknowledgement is recorded, and the case shows it against the provider's SLA. Run
with ``pytest -s`` to see each step. Every server is stopped on the way out.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from tests.unit.abuse.local_rdap import LocalRdap
from tests.unit.abuse.local_smtp import LocalSmtp

from entente.abuse import validate_xarf
from entente.accounts.totp import totp_at
from entente.approvals import Verdict
from entente.bootstrap import approvals, open_node, users
from entente.cli.local_nodes import LocalNodes
from entente.cli.serve import load_cursor_secret
from entente.config import load_settings
from entente.services.tokens import org_identity_id

pytestmark = pytest.mark.integration

LOGS = Path(__file__).parents[1] / "data" / "logs" / "zeek" / "zeek-json" / "dns.json.gz"
AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
INDICATOR = "indicator--e2e00000-0000-4000-8000-0000000000d1"
# A cloud-hosted address the DNS sample resolves to, in the recorded RDAP answers (ARIN,
# Microsoft's network); google.com is there too, but the warninglists hold it back.
ADDRESS = "13.92.82.125"
DESK, PROVIDER = "abuse@microsoft.com", "Microsoft Corporation"
PASSWORD = "correct horse battery staple"


def step(text: str) -> None:
    """One step of the flow, printed for ``pytest -s``."""
    print(f"\n== {text}")


def show(value: Any) -> None:
    print(json.dumps(value, indent=2) if not isinstance(value, str) else value)


def test_a_takedown_goes_from_a_hit_to_an_acknowledged_approved_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalRdap() as rdap, LocalSmtp() as smtp, LocalNodes(tmp_path, ["Org A"]) as nodes:
        a = nodes["Org A"]
        a.init()
        with (a.home / "entente.toml").open("a", encoding="utf-8") as config:
            config.write(
                "\n[abuse]\n"
                f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_starttls = false\n'
                'reporter_org = "Org A CERT"\nreporter_email = "cert@org-a.example"\n'
                'reporter_domain = "org-a.example"\n'
                f'rdap_bootstrap_url = "{rdap.bootstrap_url}"\n'
                # The indicator is TLP:AMBER; this coalition lets AMBER evidence reach the
                # network's owner (the default, GREEN, would keep it home).
                'evidence_tlp = "amber"\n'
                "\n[takedown]\ndefault_sla_hours = 48\n"
                f'\n[takedown.providers."{PROVIDER}"]\nsla_hours = 24\n'
            )
        a.ingest(
            [
                {
                    "type": "indicator",
                    "spec_version": "2.1",
                    "id": INDICATOR,
                    "created": "2026-11-01T00:00:00.000Z",
                    "modified": "2026-11-01T00:00:00.000Z",
                    "created_by_ref": org_identity_id("Org A"),
                    "name": "C2 server",
                    "indicator_types": ["malicious-activity"],
                    "pattern": f"[ipv4-addr:value = '{ADDRESS}']",
                    "pattern_type": "stix",
                    "valid_from": "2020-01-01T00:00:00Z",
                    "object_marking_refs": [AMBER],
                }
            ]
        )

        step(f"1. matching over {LOGS.name} finds hits of {ADDRESS} and stores sightings")
        summary = a.cli_json("match", str(LOGS), "--sightings")
        assert summary["hits"] > 0, summary
        listed = a.cli_json("objects", "list", "--type", "sighting")["objects"]
        sightings = [
            o["object"]["id"] for o in listed if o["object"]["sighting_of_ref"] == INDICATOR
        ]
        assert sightings
        show({"hits": summary["hits"], "sightings": sightings})

        step("2. a takedown case is opened with the sightings as evidence")
        case = a.cli_json("case", "new", f"Takedown of {ADDRESS}", "--type", "takedown")
        cid = case["id"]
        a.cli_json("case", "attach", cid, *sightings, "--evidence")
        a.cli_json("case", "attach", cid, INDICATOR)
        assert case["case_type"] == "takedown"
        show({"case": cid, "type": case["case_type"], "tasks": [t["title"] for t in case["tasks"]]})

        step("3. the abuse contact from the recorded RDAP answers (on loopback)")
        contact = a.cli_json("abuse", "contact", ADDRESS)
        [desk] = contact["contacts"]
        assert (desk["email"], desk["provider"]) == (DESK, PROVIDER)
        assert contact["rdap_url"].startswith(rdap.base)
        show(contact)

        step("4. the X-ARF report: drafted, valid against the schema, put up for approval")
        monkeypatch.setenv("LOGNAME", "carol")  # the operator who drafts: local:carol
        out = tmp_path / "report.json"
        drafted = a.cli_json("abuse", "report", INDICATOR, "--case", cid, "--out", str(out))
        document = json.loads(out.read_bytes())
        validate_xarf(document)
        assert document["source_identifier"] == ADDRESS
        assert {e["description"] for e in document["evidence"]} >= {
            f"STIX 2.1 sighting {s} of the indicator" for s in sightings
        }
        rid, request_id = drafted["id"], drafted["approval_request"]
        assert (drafted["status"], drafted["approval"]) == ("draft", "pending: 2 more approval(s)")
        show({k: drafted[k] for k in ("id", "status", "approval_request", "approval", "sha256")})

        step("5. an unapproved send is refused; nothing reaches the SMTP server")
        refused = a.cli("abuse", "send", rid, check=False)
        assert refused.returncode == 2, (refused.stdout, refused.stderr)
        said = " ".join(refused.stderr.split())  # as the terminal wrapped it
        assert f"request {request_id} is pending: 2 more approval(s)" in said
        assert smtp.received == []
        show(f"exit {refused.returncode}: {said}")

        step("6. two analysts of Org A, signed in with password and TOTP, approve")
        password_file = tmp_path / "password.txt"
        password_file.write_text(PASSWORD + "\n", encoding="utf-8")
        secrets = {
            name: a.cli_json(
                "user", "add", name, "--org", "Org A", "--role", "analyst",
                "--password-file", str(password_file),
            )["totp_secret"]
            for name in ("alice", "bob")
        }  # fmt: skip
        with open_node(load_settings(a.env())) as opened:
            accounts = users(opened, load_cursor_secret(a.home))
            desk_of_approvals = approvals(opened)
            for name in ("alice", "bob"):
                signed_in = accounts.sign_in(name, PASSWORD, _code(secrets[name], opened))
                principal = accounts.session_of(signed_in.token).principal
                assert (principal.id, principal.role.value) == (f"user:{name}", "analyst")
                # What each approver is shown is exactly what will be sent.
                shown = desk_of_approvals.status(principal, request_id)
                assert shown.request.payload == out.read_bytes()
                desk_of_approvals.approve(
                    principal, request_id, Verdict.APPROVE, f"{name}: evidence checked"
                )
        decided = a.cli_json("approval", "show", request_id)
        assert decided["state"] == "approved"
        assert [(x["approver"], x["counts"]) for x in decided["approvals"]] == [
            ("user:alice", True),
            ("user:bob", True),
        ]
        show(
            {k: decided[k] for k in ("id", "state", "sha256")} | {"approvals": decided["approvals"]}
        )

        step("7. the send delivers the approved report to the local SMTP server")
        sent = a.cli_json("abuse", "send", rid)
        assert sent["status"] == "sent"
        [received] = smtp.received
        assert received.rcpt_tos == (DESK,)
        message = email.message_from_bytes(received.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        [attached] = list(message.iter_attachments())
        assert attached.get_payload(decode=True) == out.read_bytes()
        assert sent["message_id"] == message["Message-ID"]
        assert sent["sla"]["state"] == "waiting" and sent["sla"]["hours"] == 24
        show(
            {
                "mail_from": received.mail_from,
                "rcpt_tos": list(received.rcpt_tos),
                "subject": message["Subject"],
                "attachment": attached.get_filename(),
                "history": sent["history"],
                "sla": sent["sla"],
            }
        )

        step("8. the abuse desk's acknowledgement is recorded; the case shows it")
        acknowledged = a.cli_json(
            "abuse", "mark", rid, "acknowledged", "--detail", "Microsoft ticket 2026-1205"
        )
        assert acknowledged["status"] == "acknowledged"
        shown_case = a.cli_json("case", "show", cid)
        [report] = shown_case["abuse_reports"]
        assert (report["id"], report["status"], report["sla"]["state"]) == (
            rid,
            "acknowledged",
            "answered",
        )
        assert report["history"][-1]["detail"] == "Microsoft ticket 2026-1205"
        text = a.cli("case", "show", cid).stdout
        line = " ".join(text.split())  # as the terminal wrapped it
        assert f"abuse report {rid} on {ADDRESS} to {DESK} ({PROVIDER}): acknowledged" in line
        assert "[answered]" in line
        show(text)
    assert not any(node.proc for node in nodes)


def _code(secret: str, opened: Any) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return totp_at(key, opened.clock.now_us() // 1_000_000)
