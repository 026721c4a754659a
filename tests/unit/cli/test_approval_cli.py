"""``entente approval ...``: list, show (what will be sent), approve and reject, and refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tests.unit.cli.conftest import cli_for, said

from entente.approvals import ActionType
from entente.bootstrap import approvals, open_node
from entente.config import load_settings
from entente.services import node_org_id
from entente.sharing import Principal, Role

CASE = "grouping--11111111-1111-4111-8111-111111111111"
PAYLOAD = b'{"Category": "fraud", "Source": "198.51.100.7"}'


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr)
    return orjson.loads(result.stdout) if result.stdout.startswith("{") else result.stdout


def ask(home: Path, who: str = "user:alice") -> str:
    settings = load_settings({"ENTENTE_HOME": str(home)})
    with open_node(settings) as opened:
        alice = Principal(who, node_org_id(settings.org_name), Role.ANALYST, True)
        return (
            approvals(opened)
            .request(
                alice,
                ActionType.ABUSE_REPORT,
                PAYLOAD,
                summary="X-ARF report to abuse@example.net",
                targets=["abuse@example.net"],
                refs=[CASE],
            )
            .id
        )


def test_the_operator_sees_what_will_be_sent_and_decides(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli = cli_for(home)
    rid = ask(home)
    listed = ok(cli("approval", "list", "--mine", "--json"))
    assert [r["id"] for r in listed["requests"]] == [rid]
    text = ok(cli("approval", "show", rid, "--payload-out", str(tmp_path / "out.bin")))
    assert "abuse@example.net" in text and "198.51.100.7" in text and "[pending]" in text
    assert (tmp_path / "out.bin").read_bytes() == PAYLOAD
    shown = ok(cli("approval", "approve", rid, "--comment", "checked", "--json"))
    assert shown["state"] == "pending"
    assert shown["missing"] == "1 more approval(s)"
    assert [(a["verdict"], a["counts"], a["comment"]) for a in shown["approvals"]] == [
        ("approve", True, "checked")
    ]
    assert ok(cli("approval", "list", "--mine", "--json"))["requests"] == []
    other = ask(home, "user:bob")
    rejected = ok(cli("approval", "reject", other, "--comment", "no", "--json"))
    assert rejected["state"] == "rejected"
    states = ok(cli("approval", "list", "--state", "rejected", "--json"))
    assert [r["id"] for r in states["requests"]] == [other]


def test_refusals_are_clear(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli = cli_for(home)
    missing = cli("approval", "show", "grouping--00000000-0000-4000-8000-000000000099")
    assert missing.exit_code != 0
    assert "no approval request" in said(missing)
    bad = cli("approval", "approve", "indicator--x")
    assert bad.exit_code != 0
    assert "is not an approval request id" in said(bad)
