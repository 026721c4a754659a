"""Real feeds and MISP events through the whole ingest path into a real store."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from stix2patterns.validator import run_validator
from typer.testing import CliRunner

from entente.cli.main import app
from entente.clock import FixedClock
from entente.ingest import InputFormat, discover, open_document
from entente.services import IngestService, IngestSummary
from entente.stix import format_timestamp_us
from entente.store import ObjectQuery, ObjectStore, SourceKind

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"


def _ingest(store: ObjectStore, clock: FixedClock, path: str) -> IngestSummary:
    document = open_document(
        path,
        fmt=InputFormat.AUTO,
        source_name=None,
        now=format_timestamp_us(clock.now_us()),
        markings=(),
    )
    return IngestService(store, clock, principal="test").ingest_document(document)


def _indicator_patterns(store: ObjectStore) -> list[str]:
    return [
        v.to_json()["pattern"]
        for v in store.iter_all(ObjectQuery(types=("indicator",), limit=1000))
        if v.to_json()["pattern_type"] == "stix"
    ]


@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("urlhaus_recent_sample.csv", 100),
        ("ips_head500.txt", 400),  # ThreatFox IOC IP list
        ("ipsum_slice.txt", 300),
        ("3_head300.txt", 250),  # IPsum level-3 plain list
        ("threatfox_export.csv", 3),
        ("feodo_ipblocklist.csv", 3),
        ("feodo_ipblocklist.txt", 3),
        ("ipblocklist.csv", 28),  # real Feodo Tracker CSV, IP and port
    ],
)
def test_feed_becomes_indicators_that_stix2_patterns_accepts_and_reingest_adds_nothing(
    store: ObjectStore, clock: FixedClock, name: str, minimum: int
) -> None:
    [path] = [p for p in discover([str(DATA / "feeds")]) if Path(p).name == name]
    first = _ingest(store, clock, path)
    assert first.added >= minimum
    assert not first.rejected
    patterns = _indicator_patterns(store)
    assert len(patterns) >= minimum - 1
    assert all(run_validator(p) == [] for p in patterns)
    stored = next(iter(store.iter_all(ObjectQuery(types=("indicator",), limit=1))))
    assert stored.provenance.source_kind is SourceKind.FEED
    clock.advance(86_400_000_000)  # a day later: same values, same ids, nothing new
    second = _ingest(store, clock, path)
    assert (second.added, second.new_versions, second.duplicates) == (0, 0, first.added)


def test_misp_events_become_indicators_that_stix2_patterns_accepts(
    store: ObjectStore, clock: FixedClock
) -> None:
    total = IngestSummary()
    for path in discover([str(DATA / "misp" / "pymisp")]):
        if Path(path).name != "sighting.json":  # a MISP sighting, not an event
            total.merge(_ingest(store, clock, path))
    patterns = _indicator_patterns(store)
    assert len(patterns) > 100
    assert all(run_validator(p) == [] for p in patterns)
    # Attributes with no STIX 2.1 equivalent are reported, never dropped in silence.
    assert all(r.reason.startswith("MISP ") for r in total.rejected), total.rejected
    reports = list(store.iter_all(ObjectQuery(types=("report",))))
    assert reports and all(r.created_by_ref for r in reports)


@pytest.mark.parametrize("fmt", ["csv", "suricata", "nftables", "yara", "stix"])
def test_indicators_our_importers_make_are_exported_and_rules_are_left_out_with_why(
    tmp_path: Path, fmt: str
) -> None:
    # The real path an analyst takes: ingest a MISP event and a feed, then export.
    runner = CliRunner()
    env = {"ENTENTE_HOME": str(tmp_path / "home"), "ENTENTE_DATABASE_URL": ""}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    inputs = [
        DATA / "misp" / "pymisp" / "long_event.json",  # yara, snort, pehash, domain|ip, ...
        DATA / "misp" / "misp-stix" / "test_objects_collection_1.json",  # a file object
        DATA / "feeds" / "abusech" / "feodo" / "ipblocklist.csv",  # IP and port
    ]
    for path in inputs:
        result = runner.invoke(app, ["ingest", str(path), "--json"], env=env)
        assert result.exit_code == 0, result.output
        assert orjson.loads(result.stdout)["rejected"] == [], path.name
    out = tmp_path / f"export.{fmt}"
    args = ["export", fmt, "--min-score", "0", "--out", str(out), "--json"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    not_deployable = [e for e in report["left_out"] if e["reason"] == "not_deployable"]
    details = " | ".join(e["detail"] for e in not_deployable)
    # The rules are carried in STIX, and each export says why it leaves them out.
    assert "pattern_type 'yara'" in details and "pattern_type 'snort'" in details
    # No address-and-port, file-object or domain|ip AND is left out as undeployable any more.
    assert "AND across comparisons" not in details
    assert "network-traffic" not in details
    body = out.read_text(encoding="utf-8")
    if fmt in {"csv", "suricata", "nftables"}:
        assert "192.9.135.73" in body  # the first Feodo C2 address (port 1194)
    if fmt in {"csv", "yara"}:
        assert "8764605c6f388c89096b534d33565802" in body  # the MISP file object's MD5
