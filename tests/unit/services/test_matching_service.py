"""Matching and hunting over a real store: what is matched, sightings, and only-new hunts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from entente.bootstrap import Node, federation, matching, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, StorageError
from entente.ingest import Candidate
from entente.matching.engine import Engine
from entente.matching.model import Hit
from entente.matching.suppression import SuppressedValue
from entente.scoring import WarninglistSet, default_warninglists
from entente.services import IngestService, TaxiiService, node_context, org_identity_id
from entente.services.matching import MatchService, ProgressEvent
from entente.sharing import Principal, Role
from entente.stix import Tlp, marking_id_for
from entente.store import ObjectQuery, Provenance, SourceKind

NODE, PARTNER = "US CERT", "IL CERT"
NODE_ORG, PARTNER_ORG = org_identity_id(NODE), org_identity_id(PARTNER)
# 2025-11-14T06:13:20Z, a day after the log records below.
NOW_US = 1_763_100_800_000_000
LOG_TS = 1_763_000_000.5

GREEN_DOMAIN = "indicator--a0000000-0000-4000-8000-000000000001"
UNMARKED_IP = "indicator--a0000000-0000-4000-8000-000000000002"
RED_IP = "indicator--a0000000-0000-4000-8000-000000000003"
REVOKED_IP = "indicator--a0000000-0000-4000-8000-000000000004"
EXPIRED_IP = "indicator--a0000000-0000-4000-8000-000000000005"
UNKNOWN_MARKING = "indicator--a0000000-0000-4000-8000-000000000006"
SIGMA = "indicator--a0000000-0000-4000-8000-000000000007"
LATER_IP = "indicator--a0000000-0000-4000-8000-000000000008"


def _indicator(indicator_id: str, pattern: str, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id,
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "created_by_ref": PARTNER_ORG,
        "name": indicator_id[-4:],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z",
    }
    obj.update(extra)
    return obj


BUNDLE: dict[str, Any] = {
    "type": "bundle",
    "id": "bundle--b0000000-0000-4000-8000-000000000001",
    "objects": [
        _indicator(
            GREEN_DOMAIN,
            "[domain-name:value = 'www.evil.example']",
            object_marking_refs=[marking_id_for(Tlp.GREEN)],
        ),
        _indicator(UNMARKED_IP, "[ipv4-addr:value = '203.0.113.7']"),
        # The node's org is no named individual: RED is not for matching (FIRST TLP 2.0).
        _indicator(
            RED_IP,
            "[ipv4-addr:value = '10.0.0.5']",
            object_marking_refs=[marking_id_for(Tlp.RED)],
        ),
        _indicator(REVOKED_IP, "[ipv4-addr:value = '10.0.0.6']", revoked=True),
        _indicator(
            EXPIRED_IP, "[ipv4-addr:value = '192.0.2.53']", valid_until="2025-06-01T00:00:00Z"
        ),
        # An unknown marking fails closed (architecture §2).
        _indicator(
            UNKNOWN_MARKING,
            "[domain-name:value = 'good.example']",
            object_marking_refs=["marking-definition--c0000000-0000-4000-8000-000000000001"],
        ),
        _indicator(SIGMA, "title: something", pattern_type="sigma"),
    ],
}

DNS_LINES = [
    {
        "ts": LOG_TS,
        "uid": "C1",
        "id.orig_h": "10.0.0.5",
        "id.resp_h": "192.0.2.53",
        "query": "www.evil.example",
        "answers": ["203.0.113.7"],
        "_path": "dns",
    },
    {
        "ts": LOG_TS + 100,
        "uid": "C2",
        "id.orig_h": "10.0.0.6",
        "id.resp_h": "192.0.2.53",
        "query": "good.example",
        "_path": "dns",
    },
    {
        "ts": LOG_TS - 86_400 * 30,
        "uid": "C3",
        "id.orig_h": "10.0.0.7",
        "id.resp_h": "203.0.113.7",
        "query": "www.evil.example",
        "_path": "dns",
    },
]


def _write_log(path: Path, lines: Sequence[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def _append_log(path: Path, lines: Sequence[dict[str, Any]]) -> None:
    with path.open("ab") as handle:
        handle.write(b"".join(orjson.dumps(line) + b"\n" for line in lines))


def _ingest(node: Node, objects: Sequence[dict[str, Any]]) -> None:
    service = IngestService(node.store, node.clock, principal="local:test")
    summary = service.ingest_candidates(
        [Candidate("bundle.json", f"objects[{i}]", o) for i, o in enumerate(objects)],
        Provenance(SourceKind.FILE, "bundle.json", "local:test"),
        source="bundle.json",
    )
    assert not summary.rejected, summary.rejected


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        org_name=NODE,
        default_marking=Tlp.AMBER_STRICT,
    )
    with open_node(settings, FixedClock(NOW_US)) as opened:
        _ingest(opened, BUNDLE["objects"])
        yield opened


def _service(
    node: Node, state: Path | None = None, lists: WarninglistSet | None = None
) -> MatchService:
    ids = iter(range(1, 1_000))
    return MatchService(
        store=node.store,
        clock=node.clock,
        org_name=NODE,
        default_marking=Tlp.AMBER_STRICT,
        context=lambda: node_context(
            node_org=NODE_ORG,
            tokens=node.tokens,
            agreements=(),
            default_marking=Tlp.AMBER_STRICT,
            now_us=node.clock.now_us(),
        ),
        matcher_factory=Engine,
        hunt_state=state or node.settings.home / "hunt-state.json",
        # No lists unless given: these tests match documentation addresses, which the shipped
        # RFC 5735 list names.
        warninglists=lambda: lists or WarninglistSet(()),
        new_id=lambda: str(uuid.UUID(int=next(ids), version=4)),
        batch_rows=2,
    )


class _Collect:
    def __init__(self) -> None:
        self.hits: list[Hit] = []

    def __call__(self, hits: Sequence[Hit]) -> None:
        self.hits.extend(hits)

    def found(self) -> set[tuple[str, int, str]]:
        return {(h.indicator_id, h.record, h.field) for h in self.hits}


def test_only_active_indicators_the_node_org_may_read_are_deployed(node: Node) -> None:
    active = _service(node).active_indicators()
    assert [i.id for i in active.indicators] == [GREEN_DOMAIN, UNMARKED_IP]
    assert [n.id for n in active.not_deployable] == [SIGMA]


def test_match_hits_the_readable_active_indicators_only(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    sink = _Collect()
    events: list[ProgressEvent] = []
    report = _service(node).match(
        [str(log)], principal="local:tester", hit_sink=sink, progress=events.append
    )
    assert sink.found() == {
        (GREEN_DOMAIN, 1, "query"),
        (UNMARKED_IP, 1, "answers"),
        (GREEN_DOMAIN, 3, "query"),
        (UNMARKED_IP, 3, "id.resp_h"),
    }
    assert (report.records, report.hits, report.indicators) == (3, 4, 2)
    assert [(i.id, i.hits) for i in report.by_indicator] == [(GREEN_DOMAIN, 2), (UNMARKED_IP, 2)]
    assert [n.id for n in report.not_deployable] == [SIGMA]
    assert report.sightings == ()
    [file_report] = report.files
    assert (file_report.format, file_report.records, file_report.malformed) == ("zeek-json", 3, 0)
    size = log.stat().st_size
    assert events[-1] == ProgressEvent(1, 1, size, size, 3, 4, None)
    # Two records per batch: the file is not done before its second batch.
    assert any(e.records == 2 and e.files_done == 0 for e in events)
    document = report.to_json()
    assert document["indicators_hit"] == 2
    assert document["files"][0]["source"] == str(log)


def test_since_drops_hits_of_older_records(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    sink = _Collect()
    report = _service(node).match(
        [str(log)], principal="local:tester", hit_sink=sink, since_us=NOW_US - 86_400 * 10**6 * 7
    )
    assert {record for _, record, _ in sink.found()} == {1}
    assert report.hits == 2
    # Record 3, thirty days old, had two hits: left out, and counted.
    assert report.skipped_old_hits == 2
    assert report.to_json()["skipped_old_hits"] == 2


def test_warninglisted_terms_neither_reach_the_sink_nor_become_sightings(
    node: Node, tmp_path: Path
) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    shipped = WarninglistSet(default_warninglists())
    sink = _Collect()
    report = _service(node, lists=shipped).match(
        [str(log)], principal="local:tester", hit_sink=sink, sightings=True
    )
    # 203.0.113.7 (TEST-NET-3) is on the RFC 5735 list; www.evil.example is on none.
    assert sink.found() == {(GREEN_DOMAIN, 1, "query"), (GREEN_DOMAIN, 3, "query")}
    assert [(i.id, i.hits) for i in report.by_indicator] == [(GREEN_DOMAIN, 2)]
    assert report.hits == 2
    rfc5735 = "List of RFC 5735 CIDR blocks"
    assert report.suppressed == (
        SuppressedValue("ip", "203.0.113.7", (rfc5735,), (UNMARKED_IP,), 2),
    )
    assert report.suppressed_hits == 2
    assert report.to_json()["suppressed"] == [
        {
            "kind": "ip",
            "value": "203.0.113.7",
            "lists": [rfc5735],
            "indicator_ids": [UNMARKED_IP],
            "hits": 2,
        }
    ]
    [sighting] = report.sightings
    [stored] = node.store.get_versions(sighting)
    assert stored.to_json()["sighting_of_ref"] == GREEN_DOMAIN
    # Turned off, the same run reports the address's hits as any other.
    off = _service(node, lists=shipped).match(
        [str(log)], principal="local:tester", warninglists=False
    )
    assert (off.hits, off.suppressed, off.warninglists) == (4, (), False)


def test_since_counts_only_the_ordinary_hits_it_leaves_out(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    report = _service(node, lists=WarninglistSet(default_warninglists())).match(
        [str(log)], principal="local:tester", since_us=NOW_US - 86_400 * 10**6 * 7
    )
    # Record 3 is old: its www.evil.example hit is counted as left out by the window, its
    # warninglisted 203.0.113.7 is neither counted nor tallied (it would not be reported).
    assert (report.hits, report.skipped_old_hits) == (1, 1)
    assert [(s.value, s.hits) for s in report.suppressed] == [("203.0.113.7", 1)]


def test_an_allowed_value_is_matched(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    allowing = WarninglistSet(default_warninglists(), allowed={"203.0.113.7"})
    report = _service(node, lists=allowing).match([str(log)], principal="local:tester")
    assert (report.hits, report.suppressed) == (4, ())


def test_sightings_are_stored_valid_with_their_provenance_and_markings(
    node: Node, tmp_path: Path
) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    report = _service(node).match([str(log)], principal="local:tester", sightings=True)
    assert len(report.sightings) == 2
    assert report.sighting_rejections == ()
    stored = {}
    for sighting_id in report.sightings:
        [version] = node.store.get_versions(sighting_id)
        assert version.provenance == Provenance(
            SourceKind.MATCHING, "entente match", "local:tester"
        )
        stored[version.to_json()["sighting_of_ref"]] = version.to_json()
    green = stored[GREEN_DOMAIN]
    assert green["count"] == 2
    assert green["created_by_ref"] == NODE_ORG
    assert green["where_sighted_refs"] == [NODE_ORG]
    assert green["first_seen"] == "2025-10-14T02:13:20.500000Z"
    assert green["last_seen"] == "2025-11-13T02:13:20.500000Z"
    assert green["object_marking_refs"] == [marking_id_for(Tlp.GREEN)]
    assert green["description"] == "Seen 2 times in this node's logs: zeek.dns query (2)."
    # The indicator has no marking: the sighting gets the node's default.
    assert stored[UNMARKED_IP]["object_marking_refs"] == [marking_id_for(Tlp.AMBER_STRICT)]


def test_a_sighting_reaches_the_partner_only_as_its_agreement_allows(
    node: Node, tmp_path: Path
) -> None:
    """The one sharing policy decides: allowed TLP only, anonymised when agreed."""
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    matching(node).match([str(log)], principal="local:tester", sightings=True)
    document = {
        "id": "us-il",
        "name": "US CERT and IL CERT",
        "parties": [NODE, PARTNER],
        "max_tlp": "amber",
        "onward_sharing": "none",
        "sightings": "anonymised",
    }
    agreement, _ = federation(node).add_agreement(document)
    service = TaxiiService(
        store=node.store,
        tokens=node.tokens,
        statuses=node.statuses,
        clock=node.clock,
        collections=(),
        org_name=NODE,
        agreements=lambda: (agreement,),
    )
    partner = Principal("tok_il", PARTNER_ORG, Role.PARTNER, is_individual=False)
    items = service.read(None, partner, ObjectQuery(types=("sighting",))).items
    # The GREEN indicator's sighting goes; the AMBER+STRICT one is above the agreement's max.
    [item] = items
    shared = orjson.loads(item.raw_json)
    assert shared["sighting_of_ref"] == GREEN_DOMAIN
    assert shared["count"] == 2
    for hidden in ("where_sighted_refs", "created_by_ref", "observed_data_refs"):
        assert hidden not in shared
    # Under a "named" agreement the partner learns who saw it.
    named = federation(node).add_agreement({**document, "sightings": "named"})[0]
    service = TaxiiService(
        store=node.store,
        tokens=node.tokens,
        statuses=node.statuses,
        clock=node.clock,
        collections=(),
        org_name=NODE,
        agreements=lambda: (named,),
    )
    [item] = service.read(None, partner, ObjectQuery(types=("sighting",))).items
    assert orjson.loads(item.raw_json)["where_sighted_refs"] == [NODE_ORG]


def test_hunt_reports_only_the_hits_of_indicators_it_has_not_hunted_with(
    node: Node, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    _write_log(archive / "dns.log", DNS_LINES)
    service = _service(node)
    first = _Collect()
    report = service.hunt([str(archive)], principal="local:tester", hit_sink=first)
    assert len(first.hits) == 4
    assert (report.new_files, report.new_indicators) == (1, 2)
    assert len(report.run.sightings) == 2
    again = _Collect()
    report = service.hunt([str(archive)], principal="local:tester", hit_sink=again)
    assert again.hits == []
    assert (report.unchanged_files, report.new_indicators, report.run.records) == (1, 0, 0)
    assert report.run.sightings == ()
    _ingest(node, [_indicator(LATER_IP, "[ipv4-addr:value = '10.0.0.7']")])
    later = _Collect()
    report = service.hunt([str(archive)], principal="local:tester", hit_sink=later)
    assert later.found() == {(LATER_IP, 3, "id.orig_h")}
    assert (report.unchanged_files, report.new_indicators) == (1, 1)
    assert [(i.id, i.hits) for i in report.run.by_indicator] == [(LATER_IP, 1)]


def test_hunt_reset_forgets_every_earlier_hunt_and_reports_all_hits_again(
    node: Node, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    _write_log(archive / "dns.log", DNS_LINES)
    elsewhere = _write_log(tmp_path / "other.log", DNS_LINES[:1])
    service = _service(node)
    first = _Collect()
    service.hunt([str(archive)], principal="local:tester", hit_sink=first, sightings=False)
    service.hunt([str(elsewhere)], principal="local:tester", sightings=False)
    again = _Collect()
    report = service.hunt(
        [str(archive)], principal="local:tester", hit_sink=again, sightings=False, reset=True
    )
    # Both files were forgotten, the one outside this archive too.
    assert report.forgotten_files == 2
    assert again.hits == first.hits
    assert (report.new_files, report.unchanged_files, report.new_indicators) == (1, 0, 2)
    assert report.to_json()["reset"] is True
    state = orjson.loads((node.settings.home / "hunt-state.json").read_bytes())
    assert list(state["files"]) == [str((archive / "dns.log").resolve())]
    plain = service.hunt([str(archive)], principal="local:tester", sightings=False)
    assert (plain.forgotten_files, plain.run.hits) == (None, 0)


def test_hunt_after_an_append_reports_the_new_records_only(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    service = _service(node)
    service.hunt([str(log)], principal="local:tester", sightings=False)
    _append_log(log, [{**DNS_LINES[0], "uid": "C4", "answers": None}])
    appended = _Collect()
    report = service.hunt([str(log)], principal="local:tester", hit_sink=appended)
    assert appended.found() == {(GREEN_DOMAIN, 4, "query")}
    assert report.grown_files == 1
    # Touched, not changed: nothing is new.
    stat = log.stat()
    os.utime(log, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched = _Collect()
    report = service.hunt([str(log)], principal="local:tester", hit_sink=touched)
    assert touched.hits == []
    assert report.grown_files == 1


def test_hunt_of_a_file_rewritten_in_place_reports_all_its_hits(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    service = _service(node)
    service.hunt([str(log)], principal="local:tester", sightings=False)
    _write_log(log, [{**DNS_LINES[0], "uid": "C9"}, *DNS_LINES])
    rewritten = _Collect()
    report = service.hunt([str(log)], principal="local:tester", hit_sink=rewritten)
    assert report.new_files == 1
    assert {record for _, record, _ in rewritten.found()} == {1, 2, 4}


def test_hunt_since_skips_old_files_and_keeps_them_for_later(node: Node, tmp_path: Path) -> None:
    old = _write_log(tmp_path / "old.log", DNS_LINES)
    os.utime(old, ns=(0, (NOW_US - 86_400 * 10**6 * 60) * 1000))
    service = _service(node)
    report = service.hunt(
        [str(old)], principal="local:tester", since_us=NOW_US - 86_400 * 10**6 * 30
    )
    assert (report.skipped_files, report.run.hits) == (1, 0)
    later = _Collect()
    report = service.hunt([str(old)], principal="local:tester", hit_sink=later)
    assert (report.new_files, len(later.hits)) == (1, 4)


def test_hunt_state_is_a_small_json_file_written_whole(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    state = tmp_path / "state" / "hunt.json"
    _service(node, state).hunt([str(log)], principal="local:tester", sightings=False)
    data = orjson.loads(state.read_bytes())
    assert (data["format"], data["version"]) == ("entente-hunt-state", 1)
    [entry] = data["files"].values()
    assert entry["size"] == log.stat().st_size
    assert entry["last_record"] == 3
    assert len(data["digest_sets"][entry["hunted"]]) == 2
    assert [p.name for p in state.parent.iterdir()] == ["hunt.json"]


def test_a_damaged_hunt_state_is_an_error_that_says_what_to_do(node: Node, tmp_path: Path) -> None:
    log = _write_log(tmp_path / "dns.log", DNS_LINES)
    state = tmp_path / "hunt.json"
    state.write_text('{"format": "entente-hunt-state", "version": 1, "files": {}}')
    with pytest.raises(StorageError, match="remove it"):
        _service(node, state).hunt([str(log)], principal="local:tester")


def test_hunt_needs_an_archive(node: Node) -> None:
    with pytest.raises(InvalidInput, match="no archive"):
        _service(node).hunt([], principal="local:tester")


def test_hunt_reports_a_file_no_reader_knows_and_reads_the_others(
    node: Node, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    _write_log(archive / "dns.log", DNS_LINES)
    (archive / "notes.txt").write_text("not a log\n")
    report = _service(node).hunt([str(archive)], principal="local:tester", sightings=False)
    formats = {Path(f.source).name: f.format for f in report.run.files}
    assert formats == {"dns.log": "zeek-json", "notes.txt": "unsupported"}
    assert report.run.hits == 4
