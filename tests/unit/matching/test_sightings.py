"""Sightings from hits: one per indicator, counted and dated, marked like their indicator."""

from __future__ import annotations

import itertools
import uuid

import pytest

from entente.clock import FixedClock
from entente.matching.model import CompiledIndicator, Hit, Term, TermOp, ValueKind
from entente.matching.sightings import SightingAggregator
from entente.services.tokens import org_identity_id
from entente.stix import Tlp, marking_id_for, parse_object

ORG = org_identity_id("US CERT")
MARKED = "indicator--11111111-1111-4111-8111-111111111111"
UNMARKED = "indicator--22222222-2222-4222-8222-222222222222"
CLOCK = FixedClock(1_700_000_000_000_000)  # 2023-11-14T22:13:20Z


def _indicator(indicator_id: str, markings: tuple[str, ...]) -> CompiledIndicator:
    return CompiledIndicator(
        id=indicator_id,
        name=None,
        labels=(),
        score=None,
        terms=(Term(ValueKind.DOMAIN, TermOp.EQUALS, "evil.example"),),
        marking_refs=markings,
    )


INDICATORS = (
    _indicator(MARKED, (marking_id_for(Tlp.GREEN),)),
    _indicator(UNMARKED, ()),
)


def _hit(indicator_id: str, record: int, ts: float | None, log: str, field: str) -> Hit:
    return Hit("dns.log", record, field, "evil.example", indicator_id, ts=ts, log=log)


def _render(aggregator: SightingAggregator) -> list[dict[str, object]]:
    ids = itertools.count(1)
    return aggregator.render(
        observer_org=ORG,
        default_marking=Tlp.AMBER,
        clock=CLOCK,
        new_id=lambda: str(uuid.UUID(int=next(ids), version=4)),
    )


def test_one_sighting_per_indicator_counts_hits_and_dates_them_from_the_records() -> None:
    aggregator = SightingAggregator(INDICATORS)
    aggregator.add(
        [
            _hit(MARKED, 1, 1_600_000_000.5, "zeek.dns", "query"),
            _hit(MARKED, 9, 1_500_000_000.25, "zeek.dns", "query"),
        ]
    )
    aggregator.add([_hit(MARKED, 3, 1_550_000_000.0, "zeek.ssl", "server_name")])
    assert len(aggregator) == 1
    [sighting] = _render(aggregator)
    assert sighting == {
        "type": "sighting",
        "spec_version": "2.1",
        "id": "sighting--00000000-0000-4000-8000-000000000001",
        "created": "2023-11-14T22:13:20.000000Z",
        "modified": "2023-11-14T22:13:20.000000Z",
        "created_by_ref": ORG,
        "sighting_of_ref": MARKED,
        "count": 3,
        "first_seen": "2017-07-14T02:40:00.250000Z",
        "last_seen": "2020-09-13T12:26:40.500000Z",
        "where_sighted_refs": [ORG],
        "description": (
            "Seen 3 times in this node's logs: zeek.dns query (2), zeek.ssl server_name (1)."
        ),
        "object_marking_refs": [marking_id_for(Tlp.GREEN)],
    }
    # The node's own validator accepts it (STIX 2.1 §5.2).
    assert parse_object(sighting).type == "sighting"


def test_an_unmarked_indicator_gives_a_sighting_with_the_default_marking() -> None:
    aggregator = SightingAggregator(INDICATORS)
    aggregator.add([_hit(UNMARKED, 1, 1_600_000_000.0, "csv", "host")])
    [sighting] = _render(aggregator)
    assert sighting["object_marking_refs"] == [marking_id_for(Tlp.AMBER)]
    assert sighting["description"] == "Seen once in this node's logs: csv host (1)."


def test_records_without_a_time_count_as_seen_at_the_run() -> None:
    aggregator = SightingAggregator(INDICATORS)
    aggregator.add([_hit(MARKED, 1, None, "zeek.dns", "query")])
    aggregator.add([_hit(MARKED, 2, 1_600_000_000.0, "zeek.dns", "query")])
    [sighting] = _render(aggregator)
    assert sighting["first_seen"] == "2020-09-13T12:26:40.000000Z"
    assert sighting["last_seen"] == "2023-11-14T22:13:20.000000Z"
    assert "dated to the matching run" in str(sighting["description"])
    parse_object(sighting)


def test_sightings_come_in_indicator_id_order_and_a_description_names_at_most_ten_places() -> None:
    aggregator = SightingAggregator(INDICATORS)
    aggregator.add([_hit(UNMARKED, i, 1.0, "zeek.dns", f"field{i:02d}") for i in range(12)])
    aggregator.add([_hit(MARKED, 1, 1.0, "zeek.dns", "query")])
    rendered = _render(aggregator)
    assert [s["sighting_of_ref"] for s in rendered] == [MARKED, UNMARKED]
    description = str(rendered[1]["description"])
    assert description.startswith("Seen 12 times")
    assert "field09 (1), and 2 more." in description
    assert "field10" not in description


def test_a_hit_of_an_indicator_outside_the_set_is_refused() -> None:
    aggregator = SightingAggregator(INDICATORS)
    with pytest.raises(ValueError, match="not in the set"):
        aggregator.add([_hit("indicator--33333333-3333-4333-8333-333333333333", 1, None, "x", "y")])


def test_nothing_hit_renders_nothing() -> None:
    assert _render(SightingAggregator(INDICATORS)) == []
