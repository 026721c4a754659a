"""What the run log keeps of a matching run: the counts, and each list bounded."""

from __future__ import annotations

from entente.matching.reports import FileReport
from entente.matching.suppression import SuppressedValue
from entente.services.match_runs import KEEP_INDICATOR_IDS, KEEP_ITEMS, bounded_report, run_record
from entente.services.matching import HuntReport, IndicatorHits, MatchReport


def _report(indicators: int, sightings: int, suppressed: int) -> MatchReport:
    return MatchReport(
        files=(
            FileReport("a.log", "zeek-json", 10, 1, (), 100),
            FileReport("b.log", "zeek-json", 5, 0, (), 50),
        ),
        indicators=indicators + 3,
        records=15,
        hits=indicators * 2,
        by_indicator=tuple(
            IndicatorHits(f"indicator--{n:032d}", f"name {n}", 2) for n in range(indicators)
        ),
        not_deployable=(),
        sightings=tuple(f"sighting--{n:032d}" for n in range(sightings)),
        sighting_rejections=(),
        seconds=1.25,
        scan_seconds=1.0,
        suppressed=tuple(
            SuppressedValue(
                "domain",
                f"host{n}.example",
                ("Top sites",),
                tuple(f"indicator--{i:032d}" for i in range(KEEP_INDICATOR_IDS + 5)),
                1,
            )
            for n in range(suppressed)
        ),
        skipped_old_hits=4,
    )


def test_a_small_run_is_kept_whole_without_names_or_file_details() -> None:
    kept = bounded_report(_report(2, 1, 1).to_json())
    assert kept["files"] == 2 and kept["records"] == 15 and kept["malformed"] == 1
    assert (kept["hits"], kept["indicators"], kept["skipped_old_hits"]) == (4, 5, 4)
    assert kept["by_indicator"] == [
        {"id": f"indicator--{0:032d}", "hits": 2},
        {"id": f"indicator--{1:032d}", "hits": 2},
    ]
    assert kept["by_indicator_total"] == 2
    assert kept["sightings"] == [f"sighting--{0:032d}"] and kept["sightings_total"] == 1
    [value] = kept["suppressed"]
    assert value["value"] == "host0.example" and value["lists"] == ["Top sites"]
    assert len(value["indicator_ids"]) == KEEP_INDICATOR_IDS
    assert kept["suppressed_hits"] == 1 and kept["warninglists"] is True
    assert "name 0" not in str(kept) and "a.log" not in str(kept)


def test_each_list_of_a_large_run_keeps_its_first_entries_and_its_length() -> None:
    kept = bounded_report(_report(KEEP_ITEMS + 7, KEEP_ITEMS + 1, KEEP_ITEMS + 2).to_json())
    assert len(kept["by_indicator"]) == KEEP_ITEMS
    assert kept["by_indicator_total"] == KEEP_ITEMS + 7
    assert len(kept["sightings"]) == KEEP_ITEMS and kept["sightings_total"] == KEEP_ITEMS + 1
    assert len(kept["suppressed"]) == KEEP_ITEMS and kept["suppressed_total"] == KEEP_ITEMS + 2


def test_a_hunt_keeps_how_it_treated_the_archive() -> None:
    hunt = HuntReport(
        run=_report(1, 0, 0),
        new_files=1,
        grown_files=2,
        unchanged_files=3,
        skipped_files=4,
        new_indicators=5,
        state="/tmp/state.json",
    )
    record = run_record("hunt", hunt.to_json(), started_us=10, finished_us=20)
    assert (record.run_id, record.kind, record.started_us, record.finished_us) == (
        None,
        "hunt",
        10,
        20,
    )
    assert {k: record.report[k] for k in ("new_files", "grown_files", "new_indicators")} == {
        "new_files": 1,
        "grown_files": 2,
        "new_indicators": 5,
    }
    assert "state" not in record.report
    matched = run_record("match", _report(1, 0, 0).to_json(), started_us=1, finished_us=2)
    assert "new_files" not in matched.report
