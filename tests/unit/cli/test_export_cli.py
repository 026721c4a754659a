"""``entente export`` in-process: the body, the summary, the JSON report, the exit codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

NODE = "US CERT"
DNS = "indicator--c0000000-0000-4000-8000-000000000001"
EVIL = "indicator--c0000000-0000-4000-8000-000000000002"
SIGMA = "indicator--c0000000-0000-4000-8000-000000000003"
# The CLI reads the system clock: the indicators are a day old, so nothing has decayed away.
_DAY_AGO = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _indicator(indicator_id: str, pattern: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id,
        "created": _DAY_AGO,
        "modified": _DAY_AGO,
        "name": f"indicator {indicator_id[-1]}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": _DAY_AGO,
        "confidence": 80,
        **extra,
    }


BUNDLE = {
    "type": "bundle",
    "id": "bundle--c0000000-0000-4000-8000-000000000009",
    "objects": [
        _indicator(DNS, "[ipv4-addr:value = '8.8.8.8']"),
        _indicator(
            EVIL, "[domain-name:value = 'evil.example'] OR [ipv4-addr:value = '185.220.101.7']"
        ),
        _indicator(SIGMA, "title: x", pattern_type="sigma"),
    ],
}


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """``entente ARGS`` for a node "US CERT" holding the indicators of ``BUNDLE``."""
    invoke = cli_for(tmp_path / "home", NODE)
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(orjson.dumps(BUNDLE))
    assert invoke("ingest", str(bundle)).exit_code == 0
    return invoke


def test_the_body_goes_to_stdout_and_the_summary_to_stderr(run: Any) -> None:
    result = run("export", "edl-domains")
    assert result.exit_code == 0, result.output
    assert result.stdout == "evil.example\n"
    summary = said(result)
    assert "edl-domains: wrote 1 entries" in summary
    assert "warninglist: 1" in summary
    assert "ip 8.8.8.8" in summary and "public DNS resolvers" in summary
    assert "not_deployable: 1" in summary and SIGMA in summary


def test_json_report_with_out(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "intel.rules"
    result = run("export", "suricata", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["format"] == "suricata"
    assert report["out"] == str(out)
    assert report["count"] >= 2
    assert report["bytes"] == out.stat().st_size
    assert report["etag"].startswith('W/"')
    assert report["min_score"] == 1
    assert report["left_out_by_reason"]["warninglist"] == 1
    [listed] = [e for e in report["left_out"] if e["reason"] == "warninglist"]
    assert listed == {
        "indicator_id": DNS,
        "reason": "warninglist",
        "detail": "on warninglist 'List of known IPv4 public DNS resolvers' (entry 8.8.8.8)",
        "kind": "ip",
        "value": "8.8.8.8",
    }
    assert b"evil.example" in out.read_bytes()
    assert b"8.8.8.8" not in out.read_bytes()


def test_min_score_leaves_out_what_scores_below(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "list.txt"
    result = run("export", "edl-addresses", "--min-score", "100", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["count"] == 0
    assert report["left_out_by_reason"]["score"] == 2  # evil.example and 185.220.101.7
    assert out.read_bytes() == b""


def test_an_allowed_value_is_exported(run: Any) -> None:
    assert run("warninglist", "allow", "8.8.8.8").exit_code == 0
    result = run("export", "edl-addresses")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["8.8.8.8", "185.220.101.7"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "pf"], "unknown export format 'pf'; known formats: suricata, zeek"),
        (["export", "zeek", "--json"], "--json prints the report on stdout"),
        (["export", "zeek", "--min-score", "101"], "less than or equal to 100"),
    ],
)
def test_usage_errors_exit_2(run: Any, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in said(result)


def test_objects_show_explains_the_score_of_an_indicator(run: Any) -> None:
    result = run("objects", "show", EVIL)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "score reliability: F" in text
    assert "confidence: 80 (from the indicator)" in text
    assert "base: 80 x 0.5 = 40" in text
    assert "score: 40 x" in text


HASH = "indicator--c0000000-0000-4000-8000-000000000004"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def test_suricata_hash_lists_are_written_beside_the_rules(run: Any, tmp_path: Path) -> None:
    bundle = tmp_path / "hash.json"
    bundle.write_bytes(orjson.dumps(_indicator(HASH, f"[file:hashes.'SHA-256' = '{SHA256}']")))
    assert run("ingest", str(bundle)).exit_code == 0
    rules = tmp_path / "suricata" / "entente.rules"
    rules.parent.mkdir()
    result = run("export", "suricata", "--out", str(rules), "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    listed = rules.parent / "entente-sha256.lst"
    assert report["files"] == [str(rules), str(listed)]
    assert listed.read_text() == f"{SHA256}\n"
    assert b"filesha256:entente-sha256.lst" in rules.read_bytes()
    # On stdout the lists cannot follow: the rules are printed, with a warning and exit 1.
    bare = run("export", "suricata")
    assert bare.exit_code == 1
    assert "filesha256:entente-sha256.lst" in bare.stdout
    assert "the rules need 1 more files (entente-sha256.lst)" in said(bare)
