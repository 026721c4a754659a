"""``entente search`` finds a value from every ingest path, with real third-party data: a STIX
bundle, a MISP event, an abuse.ch feed, free text, and the sightings ``entente match`` makes
from a log; correlation shows the sighting of the indicator it matched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tests.unit.cli.conftest import cli_for

DATA = Path(__file__).parents[1] / "data"
POISONIVY = DATA / "stix" / "poisonivy.json"  # the Poison Ivy report bundle (STIX 2.1 examples)
MISP_EVENT = DATA / "misp" / "pymisp" / "misp_event.json"
FEODO = DATA / "feeds" / "abusech" / "feodo" / "ipblocklist.csv"
URLHAUS = DATA / "feeds" / "abusech" / "urlhaus" / "urlhaus_recent_sample.csv"


def _found(invoke: Any, *query: str) -> list[dict[str, Any]]:
    result = invoke("search", *query, "--json", "--limit", "100")
    assert result.exit_code == 0, result.output
    objects: list[dict[str, Any]] = orjson.loads(result.stdout)["objects"]
    return objects


def _sources(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(o["source_kind"], o["source_name"]) for o in objects}


def test_search_finds_a_value_from_every_ingest_path(tmp_path: Path) -> None:
    invoke = cli_for(tmp_path / "home", "CERT-EU")
    # 1. STIX: an address of the Poison Ivy C2 indicator.
    assert invoke("ingest", str(POISONIVY), "--source", "stix examples").exit_code == 0
    stix_hit = _found(invoke, "219.76.208.163")
    assert ("file", "stix examples") in _sources(stix_hit)
    assert {o["type"] for o in stix_hit} == {"indicator"}
    # ... and the same address inside a CIDR query, and a domain of that report by its parent.
    assert _found(invoke, "219.76.208.0/24")
    assert _found(invoke, "dynssl.com")
    # 2. MISP: a URL attribute of the PyMISP sample event.
    assert invoke("ingest", str(MISP_EVENT), "--format", "misp", "--source", "misp").exit_code == 0
    assert ("file", "misp") in _sources(_found(invoke, "http://fake.website.com/malware/is/here"))
    # 3. Feeds: an abuse.ch Feodo Tracker C2 address and a URLhaus URL.
    assert invoke("ingest", str(FEODO), "--source", "feodo").exit_code == 0
    assert ("feed", "feodo") in _sources(_found(invoke, "85.239.243.155"))
    assert invoke("ingest", str(URLHAUS), "--source", "urlhaus").exit_code == 0
    assert ("feed", "urlhaus") in _sources(_found(invoke, "http://117.216.19.13:42598/i"))
    # 4. Free text: an analyst's note quoting a Feodo C2 (a second source of one value).
    note = tmp_path / "note.txt"
    note.write_text("Beaconing seen from the print server to 37.60.242.85 on port 9785.\n")
    assert invoke("ingest", str(note), "--format", "text", "--source", "note").exit_code == 0
    both = _sources(_found(invoke, "37.60.242.85"))
    assert {("feed", "note"), ("feed", "feodo")} <= both
    # 5. Sightings: a Zeek conn log where the Poison Ivy address answers; entente match stores
    # a sighting of that indicator, found by the indicator's id and in its correlation.
    log = tmp_path / "conn.log"
    record = {
        "ts": 1763000000.5,
        "uid": "CwQh1v2VB5ByOgaxz1",
        "id.orig_h": "10.20.30.40",
        "id.orig_p": 49822,
        "id.resp_h": "219.76.208.163",
        "id.resp_p": 443,
        "proto": "tcp",
        "_path": "conn",
    }
    log.write_bytes(orjson.dumps(record) + b"\n")
    matched = invoke("match", str(log), "--sightings", "--json")
    assert matched.exit_code == 0, matched.output
    (indicator,) = (o for o in stix_hit if o["type"] == "indicator")
    related = _found(invoke, indicator["id"])
    sightings = [o for o in related if o["type"] == "sighting"]
    assert [s["object"]["sighting_of_ref"] for s in sightings] == [indicator["id"]]
    assert _sources(sightings) == {("matching", "entente match")}
    assert _found(invoke, "--type", "sighting", "--source", "entente match") == sightings
    correlated = invoke("search", "--correlate", indicator["id"], "--json")
    assert correlated.exit_code == 0, correlated.output
    report = orjson.loads(correlated.stdout)
    assert [s["id"] for s in report["sightings"]] == [sightings[0]["id"]]
