"""The retro-hunt ``serve`` schedules: new hits appended, sightings stored, nothing twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from entente.bootstrap import open_node, scheduled_hunt
from entente.config import HUNT_HITS_FILE, load_settings
from entente.ingest import Candidate
from entente.services import IngestService
from entente.services.matching import HuntReport
from entente.store import ObjectQuery, Provenance, SourceKind


def _indicator(n: int, pattern: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--d0000000-0000-4000-8000-{n:012d}",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": f"ioc {n}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    }


def _ingest(home: Path, obj: dict[str, Any]) -> None:
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        service = IngestService(node.store, node.clock, principal="local:test")
        provenance = Provenance(SourceKind.FILE, "test", "local:test")
        summary = service.ingest_candidates(
            [Candidate(source="test", position="[0]", data=obj)], provenance, source="test"
        )
        assert summary.added == 1


def _run(home: Path, archive: Path, *, lists: bool) -> HuntReport:
    env = {
        "ENTENTE_HOME": str(home),
        "ENTENTE_HUNT_ARCHIVE": str(archive),
        "ENTENTE_HUNT_INTERVAL": "900",
        "ENTENTE_DEFAULT_WARNINGLISTS": "true" if lists else "false",
    }
    with open_node(load_settings(env)) as node:
        job = scheduled_hunt(node)
        assert job is not None
        return job()


def _hunt(home: Path, archive: Path) -> int:
    # Without the shipped lists: RFC 5735 names the documentation addresses matched here.
    return _run(home, archive, lists=False).run.hits


def test_each_run_appends_only_new_hits_and_stores_sightings(tmp_path: Path) -> None:
    home, archive = tmp_path / "home", tmp_path / "logs"
    archive.mkdir()
    records = [
        {"_path": "dns", "ts": 1.7e9, "uid": "C1", "id.resp_h": "203.0.113.7", "query": "a.ex"},
        {"_path": "dns", "ts": 1.7e9 + 1, "uid": "C2", "id.resp_h": "203.0.113.8"},
    ]
    (archive / "dns.json").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    _ingest(home, _indicator(1, "[ipv4-addr:value = '203.0.113.7']"))

    assert _hunt(home, archive) == 1
    assert _hunt(home, archive) == 0  # nothing new: nothing reported twice
    _ingest(home, _indicator(2, "[ipv4-addr:value = '203.0.113.8']"))
    assert _hunt(home, archive) == 1  # only the new indicator's hit

    hits = [orjson.loads(line) for line in (home / HUNT_HITS_FILE).read_bytes().splitlines()]
    assert [(h["record"], h["indicator_name"]) for h in hits] == [(1, "ioc 1"), (2, "ioc 2")]
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        sightings = list(node.store.iter_all(ObjectQuery(types=("sighting",), limit=100)))
    assert sorted(s.to_json()["sighting_of_ref"][-1] for s in sightings) == ["1", "2"]


def test_no_archive_or_a_zero_interval_schedules_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        assert scheduled_hunt(node) is None
    env = {
        "ENTENTE_HOME": str(home),
        "ENTENTE_HUNT_ARCHIVE": str(tmp_path),
        "ENTENTE_HUNT_INTERVAL": "0",
    }
    with open_node(load_settings(env)) as node:
        assert scheduled_hunt(node) is None


def test_the_scheduled_hunt_holds_back_warninglisted_values(tmp_path: Path) -> None:
    home, archive = tmp_path / "home", tmp_path / "logs"
    archive.mkdir()
    record = {"_path": "dns", "ts": 1.7e9, "uid": "C1", "id.resp_h": "203.0.113.7"}
    (archive / "dns.json").write_bytes(orjson.dumps(record) + b"\n")
    _ingest(home, _indicator(1, "[ipv4-addr:value = '203.0.113.7']"))
    report = _run(home, archive, lists=True)
    assert report.run.hits == 0
    assert [(s.value, s.lists, s.hits) for s in report.run.suppressed] == [
        ("203.0.113.7", ("List of RFC 5735 CIDR blocks",), 1)
    ]
    assert not (home / HUNT_HITS_FILE).read_bytes()
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        assert not list(node.store.iter_all(ObjectQuery(types=("sighting",), limit=100)))
