"""TAXII 2.1 §3.4 query parameters: added_after, limit, next, match[<field>]."""

from __future__ import annotations

import pytest

from entente.store.records import ObjectQuery, VersionFilter
from entente.taxii.params import (
    OBJECT_MATCH_FIELDS,
    VERSIONS_MATCH_FIELDS,
    ObjectFilters,
    parse_object_filters,
)
from entente.taxii.problems import InvalidParameter

IND = "indicator--3600ad1b-fff1-4c98-bcc9-4de3bc2e2ffb"
SIG = "sighting--4600ad1b-fff1-4c58-bcc9-4de3bc5e2ffd"
BASE_US = 1_451_610_061_000_000  # 2016-01-01T01:01:01Z


def test_taxii_params_no_parameters_means_everything_latest_versions() -> None:
    filters = parse_object_filters([])
    assert filters == ObjectFilters()
    assert filters.to_query(100, 1000) == ObjectQuery(versions=(VersionFilter.LAST,), limit=100)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-01-01T01:01:01Z", BASE_US),
        ("2016-01-01T01:01:01.1Z", BASE_US + 100_000),
        ("2016-01-01T01:01:01.123Z", BASE_US + 123_000),
        ("2016-01-01T01:01:01.123456Z", BASE_US + 123_456),
        ("2016-01-01T01:01:01.123456789Z", BASE_US + 123_456),  # nanoseconds floor to µs
        ("1970-01-01T00:00:00.000001Z", 1),
    ],
)
def test_taxii_params_added_after_any_precision_becomes_microseconds(
    value: str, expected: int
) -> None:
    assert parse_object_filters([("added_after", value)]).added_after_us == expected


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2016-01-01", "2016-01-01T01:01:01+00:00", "2016-02-30T00:00:00Z", "", "1"],
)
def test_taxii_params_malformed_added_after_is_invalid_parameter_not_a_crash(value: str) -> None:
    # medallion answered a 500 HTML page here; §3.4 requires a 400.
    with pytest.raises(InvalidParameter) as caught:
        parse_object_filters([("added_after", value)])
    assert caught.value.parameter == "added_after"
    assert "added_after" in str(caught.value)


def test_taxii_params_added_after_twice_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="at most once"):
        parse_object_filters(
            [("added_after", "2016-01-01T01:01:01Z"), ("added_after", "2017-01-01T01:01:01Z")]
        )


def test_taxii_params_limit_is_a_positive_integer_capped_by_the_server() -> None:
    filters = parse_object_filters([("limit", "5000")])
    assert filters.limit == 5000
    assert filters.to_query(100, 1000).limit == 1000
    assert parse_object_filters([("limit", "7")]).to_query(100, 1000).limit == 7


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "abc", "", " 5", "٣", "9007199254740992"])
def test_taxii_params_bad_limit_is_invalid_parameter(value: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_object_filters([("limit", value)])
    assert caught.value.parameter == "limit"


def test_taxii_params_to_query_checks_its_own_bounds() -> None:
    with pytest.raises(ValueError, match="limit_default"):
        ObjectFilters().to_query(0, 10)


def test_taxii_params_next_is_kept_opaque_and_passed_cursor_is_used() -> None:
    filters = parse_object_filters([("next", "abc")])
    assert filters.next == "abc"
    assert filters.to_query(10, 10, cursor_after_us=42).after_cursor == 42


def test_taxii_params_match_values_comma_separated_and_repeated_are_ored() -> None:
    filters = parse_object_filters(
        [
            ("match[type]", "indicator,malware"),
            ("match[type]", "threat-actor"),
            ("match[id]", f"{IND},{SIG}"),
            ("match[spec_version]", "2.0,2.1"),
        ]
    )
    assert filters.types == ("indicator", "malware", "threat-actor")
    assert filters.ids == (IND, SIG)
    assert filters.spec_versions == ("2.0", "2.1")
    query = filters.to_query(10, 10)
    assert query.types == filters.types
    assert query.ids == filters.ids
    assert query.spec_versions == ("2.0", "2.1")


def test_taxii_params_match_repeats_are_deduplicated() -> None:
    filters = parse_object_filters([("match[type]", "indicator"), ("match[type]", "indicator")])
    assert filters.types == ("indicator",)


def test_taxii_params_match_version_keywords_and_timestamps_become_version_keys() -> None:
    filters = parse_object_filters(
        [("match[version]", "first,2018-03-02T01:01:01.123Z"), ("match[version]", "last")]
    )
    assert filters.versions == ("first", "2018-03-02T01:01:01.123000000Z", "last")
    assert parse_object_filters([("match[version]", "all")]).to_query(1, 1).versions == ("all",)


def test_taxii_params_match_version_nanosecond_timestamp_parses() -> None:
    filters = parse_object_filters([("match[version]", "2018-03-02T01:01:01.123456789Z")])
    assert filters.versions == ("2018-03-02T01:01:01.123456789Z",)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("match[version]", "newest"),
        ("match[version]", "all,last"),
        ("match[version]", "2018-03-02"),
        ("match[type]", "Indicator"),
        ("match[type]", "a;b"),
        ("match[type]", "indicator,,malware"),
        ("match[type]", ""),
        ("match[id]", "indicator--not-a-uuid"),
        ("match[spec_version]", "two"),
    ],
)
def test_taxii_params_malformed_match_values_are_invalid_parameter(name: str, value: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_object_filters([(name, value)])
    assert caught.value.parameter == name


@pytest.mark.parametrize("name", ["match[labels]", "match[]", "match[type", "match[[id]]"])
def test_taxii_params_unknown_or_malformed_match_fields_are_refused(name: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_object_filters([(name, "x")])
    assert caught.value.parameter == name


def test_taxii_params_endpoint_decides_which_match_fields_exist() -> None:
    parse_object_filters([("match[version]", "all")], match_fields=OBJECT_MATCH_FIELDS)
    with pytest.raises(InvalidParameter, match="supported: match\\[spec_version\\]"):
        parse_object_filters([("match[type]", "indicator")], match_fields=VERSIONS_MATCH_FIELDS)


def test_taxii_params_non_taxii_parameters_are_ignored() -> None:
    assert parse_object_filters([("_", "1700000000"), ("format", "x")]) == ObjectFilters()
