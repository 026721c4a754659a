"""The data to preserve (Art. 29(2)(c)) read from a case's objects: OASIS's own examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from entente.preservation import DataItem, data_to_preserve, followed_refs

STIX = Path(__file__).parents[2] / "data" / "stix"


def _objects(*names: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        for obj in orjson.loads((STIX / name).read_bytes())["objects"]:
            found[obj["id"]] = obj
    return found


C2 = "indicator--33fe3b22-0201-47cf-85d0-97c02164528d"
URL_INDICATOR = "indicator--9299f726-ce06-492e-8472-2b52ccb53191"
SIGHTING = "sighting--8356e820-8080-4692-aa91-ecbe94006833"


def test_an_indicator_gives_its_pattern_s_value_over_its_validity() -> None:
    objects = _objects("indicator-for-c2-ip-address.json")
    assert data_to_preserve((C2,), objects) == (
        DataItem("ipv4-addr", "10.0.0.0", C2, "2014-05-08T09:00:00Z", None),
    )


def test_a_sighting_gives_what_it_sighted_over_when_it_was_seen() -> None:
    objects = _objects("sighting-of-an-indicator.json")
    assert followed_refs(objects[SIGHTING]) == (URL_INDICATOR,)
    (item,) = data_to_preserve((SIGHTING,), objects)
    assert (item.kind, item.value, item.source_id) == (
        "url",
        "http://paypa1.banking.com/",
        SIGHTING,
    )
    assert item.period == "from 2017-02-27T21:37:11Z"


def test_one_value_named_twice_is_one_item_over_the_widest_period() -> None:
    objects = _objects("sighting-of-an-indicator.json")
    (item,) = data_to_preserve((URL_INDICATOR, SIGHTING), objects)
    assert item.source_id == URL_INDICATOR
    assert item.period == "from 2015-06-29T09:10:15Z to 2017-02-27T21:37:11Z"


def test_an_observed_data_gives_its_scos_values_over_what_was_observed() -> None:
    objects: dict[str, dict[str, Any]] = {
        "observed-data--00000000-0000-4000-8000-000000000001": {
            "type": "observed-data",
            "id": "observed-data--00000000-0000-4000-8000-000000000001",
            "first_observed": "2026-11-01T10:00:00Z",
            "last_observed": "2026-11-02T10:00:00.5Z",
            "number_observed": 3,
            "object_refs": [
                "domain-name--00000000-0000-4000-8000-000000000002",
                "ipv4-addr--00000000-0000-4000-8000-000000000003",
            ],
        },
        "domain-name--00000000-0000-4000-8000-000000000002": {
            "type": "domain-name",
            "id": "domain-name--00000000-0000-4000-8000-000000000002",
            "value": "c2.example.org",
        },
    }
    (item,) = data_to_preserve(("observed-data--00000000-0000-4000-8000-000000000001",), objects)
    # The address is not among the objects (its reader may not see it): left out.
    assert (item.kind, item.value) == ("domain-name", "c2.example.org")
    assert item.period == "from 2026-11-01T10:00:00Z to 2026-11-02T10:00:00Z"


def test_refs_not_among_the_objects_and_objects_without_data_give_nothing() -> None:
    objects = _objects("sighting-of-observed-data.json")
    refs = (*objects, "indicator--00000000-0000-4000-8000-00000000ffff")
    # The example's SCOs are a file and a registry key: no network data to preserve.
    assert data_to_preserve(refs, objects) == ()
