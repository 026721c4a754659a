"""``entente match`` applies the warninglists as ``entente export`` does, on the real logs.

A poisoned report names ``google.com`` (on the shipped Tranco top-sites list) next to a real
attacker address: the honeypot's peer ``138.68.3.71`` in the Suricata sample. Matching the
shared Zeek and Suricata samples (``tests/data/logs``) must report the attacker as a hit with a
sighting, and ``google.com`` only as suppressed, with the list that names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for

NODE = "US CERT"
GOOGLE = "indicator--f0000000-0000-4000-8000-000000000001"
ATTACKER = "indicator--f0000000-0000-4000-8000-000000000002"
TRANCO = "Top 10K most-used sites from Tranco"
LOGS = Path(__file__).parents[2] / "data" / "logs"
SAMPLES = (str(LOGS / "zeek"), str(LOGS / "suricata"))


def _indicator(indicator_id: str, name: str, pattern: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id,
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": name,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z",
    }


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """``entente ARGS`` for a node with the shipped warninglists and the two indicators."""
    invoke = cli_for(tmp_path / "home", NODE)
    bundle = tmp_path / "report.json"
    objects = [
        _indicator(GOOGLE, "C2 (poisoned)", "[domain-name:value = 'google.com']"),
        _indicator(ATTACKER, "honeypot attacker", "[ipv4-addr:value = '138.68.3.71']"),
    ]
    bundle.write_bytes(
        orjson.dumps({"type": "bundle", "id": f"bundle--{GOOGLE[11:]}", "objects": objects})
    )
    assert invoke("ingest", str(bundle)).exit_code == 0
    return invoke


def test_google_com_is_suppressed_by_tranco_and_the_attacker_is_a_hit_with_a_sighting(
    run: Any, tmp_path: Path
) -> None:
    out = tmp_path / "hits.jsonl"
    result = run("match", *SAMPLES, "--sightings", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    hits = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert {h["indicator_id"] for h in hits} == {ATTACKER}
    assert {h["matched"] for h in hits} == {"138.68.3.71"}
    assert all("suricata" in h["source"] for h in hits)
    assert summary["hits"] == len(hits) > 0
    assert summary["by_indicator"] == [
        {"id": ATTACKER, "name": "honeypot attacker", "hits": len(hits)}
    ]
    [suppressed] = summary["suppressed"]
    assert suppressed["value"] == "google.com"
    assert suppressed["lists"] == [TRANCO]
    assert suppressed["indicator_ids"] == [GOOGLE]
    # The same hits the lists turned off report as ordinary ones (next test).
    unfiltered = orjson.loads(run("match", *SAMPLES, "--no-warninglists", "--json").stdout)
    google = {i["id"]: i["hits"] for i in unfiltered["by_indicator"]}[GOOGLE]
    assert suppressed["hits"] == summary["suppressed_hits"] == google > 0
    # One sighting, of the attacker: google.com never becomes one.
    listed = orjson.loads(run("objects", "list", "--type", "sighting", "--json").stdout)
    assert [o["object"]["sighting_of_ref"] for o in listed["objects"]] == [ATTACKER]
    assert listed["objects"][0]["object"]["count"] == len(hits)


def test_the_summary_names_the_suppressed_value_and_its_list(run: Any) -> None:
    result = run("match", *SAMPLES)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    summary = orjson.loads(run("match", *SAMPLES, "--json").stdout)
    count = summary["suppressed_hits"]
    assert f"suppressed {count} hits on 1 warninglisted value: google.com ({TRANCO})" in text
    assert "honeypot attacker" in text


def test_no_warninglists_reports_google_com_as_ordinary_hits(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "hits.jsonl"
    result = run("match", *SAMPLES, "--no-warninglists", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert (summary["warninglists"], summary["suppressed"], summary["suppressed_hits"]) == (
        False,
        [],
        0,
    )
    hits = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert {h["indicator_id"] for h in hits} == {GOOGLE, ATTACKER}
    assert {h["matched"] for h in hits if h["indicator_id"] == GOOGLE} == {"google.com"}
    human = run("match", *SAMPLES, "--no-warninglists")
    assert "warninglists not applied (--no-warninglists)" in " ".join(human.stdout.split())


def test_an_allowed_value_is_matched_as_exports_export_it(run: Any) -> None:
    assert run("warninglist", "allow", "google.com").exit_code == 0
    summary = orjson.loads(run("match", *SAMPLES, "--json").stdout)
    assert summary["suppressed"] == []
    assert {i["id"] for i in summary["by_indicator"]} == {GOOGLE, ATTACKER}
