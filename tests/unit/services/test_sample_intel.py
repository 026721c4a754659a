"""Sample intel: valid STIX 2.1 created by the org, one object at each TLP level, stable ids."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from entente.clock import FixedClock
from entente.ingest import Candidate
from entente.services import IngestService, ensure_builtin_markings, org_identity_id
from entente.services.sample_intel import sample_intel
from entente.stix import Tlp, parse_object, tlp_of
from entente.store import Provenance, SourceKind
from entente.store.sql import open_store

CREATED = "2026-11-01T00:00:00.000Z"


def test_every_object_is_valid_stix_created_by_the_org_at_the_given_time() -> None:
    objects = sample_intel("US CERT", octet=1, created=CREATED)
    org = org_identity_id("US CERT")
    for obj in objects:
        parsed = parse_object(obj)
        assert parsed.created_by_ref == org
        assert obj["created"] == obj["modified"] == CREATED
    assert objects[0]["id"] == org and objects[0]["name"] == "US CERT"


def test_there_is_an_object_at_every_tlp_level_and_exactly_one_red() -> None:
    objects = sample_intel("US CERT", octet=1, created=CREATED)
    levels = Counter(tlp_of(obj["object_marking_refs"][0]) for obj in objects)
    assert set(levels) == set(Tlp)
    assert levels[Tlp.RED] == 1


def test_the_incident_names_a_victim_and_the_sighting_says_who_saw_what() -> None:
    objects = {obj["type"]: obj for obj in sample_intel("IL CERT", octet=2, created=CREATED)}
    assert "IL CERT" in objects["incident"]["x_victim_name"]
    sighting = objects["sighting"]
    assert sighting["where_sighted_refs"] == [org_identity_id("IL CERT")]
    green = [
        obj
        for obj in sample_intel("IL CERT", octet=2, created=CREATED)
        if obj["id"] == sighting["sighting_of_ref"]
    ]
    assert green and tlp_of(green[0]["object_marking_refs"][0]) is Tlp.GREEN


def test_ids_depend_on_the_org_only_so_reruns_repeat_and_two_orgs_never_collide() -> None:
    first = sample_intel("US CERT", octet=1, created=CREATED)
    again = sample_intel("US CERT", octet=7, created=CREATED)
    other = sample_intel("IL CERT", octet=1, created=CREATED)
    assert [o["id"] for o in first] == [o["id"] for o in again]
    assert not {o["id"] for o in first} & {o["id"] for o in other}
    assert len({o["id"] for o in first}) == len(first)


def test_the_octet_varies_the_indicator_values() -> None:
    one = [o.get("pattern") for o in sample_intel("US CERT", octet=1, created=CREATED)]
    two = [o.get("pattern") for o in sample_intel("US CERT", octet=2, created=CREATED)]
    assert "[ipv4-addr:value = '198.51.100.1']" in one
    assert "[ipv4-addr:value = '198.51.100.2']" in two


@pytest.mark.parametrize("octet", [0, 255, -1])
def test_an_octet_outside_1_to_254_is_refused(octet: int) -> None:
    with pytest.raises(ValueError, match="1-254"):
        sample_intel("US CERT", octet=octet, created=CREATED)


def test_it_ingests_without_rejections_and_a_rerun_is_all_duplicates(tmp_path: Path) -> None:
    clock = FixedClock()
    store = open_store(f"sqlite:///{tmp_path / 'node.db'}", clock)
    try:
        ensure_builtin_markings(store, clock)
        service = IngestService(store, clock, principal="tester")
        objects = sample_intel("Power Utility", octet=3, created=CREATED)
        provenance = Provenance(SourceKind.FILE, "sample", "tester")

        def ingest() -> tuple[int, int, int]:
            candidates = [Candidate("sample", str(i), o) for i, o in enumerate(objects)]
            summary = service.ingest_candidates(candidates, provenance, source="sample")
            assert summary.rejected == []
            return summary.added, summary.duplicates, summary.new_versions

        assert ingest() == (len(objects), 0, 0)
        assert ingest() == (0, len(objects), 0)
    finally:
        store.close()
