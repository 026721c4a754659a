"""Tests for STIX 2.1 timestamps (§3.2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from entente.errors import InvalidObject
from entente.stix import (
    Timestamp,
    format_timestamp_us,
    parse_timestamp,
    parse_timestamp_reference,
    timestamp_key_from_us,
    timestamp_us_from_key,
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2016-04-06T20:03:48Z", "2016-04-06T20:03:48.000000000Z"),
        ("2016-04-06T20:03:48.1Z", "2016-04-06T20:03:48.100000000Z"),
        ("2016-04-06T20:03:48.123Z", "2016-04-06T20:03:48.123000000Z"),
        ("2016-04-06T20:03:48.123456789Z", "2016-04-06T20:03:48.123456789Z"),
        ("2020-02-29T23:59:59.999999Z", "2020-02-29T23:59:59.999999000Z"),
        ("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000000000Z"),
    ],
)
def test_valid_timestamps_get_a_nine_digit_key_and_keep_their_text(text: str, key: str) -> None:
    ts = parse_timestamp(text, "created")
    assert ts.key == key
    assert ts.text == text


def test_fraction_beyond_nanoseconds_is_accepted_and_truncated_in_the_key() -> None:
    ts = parse_timestamp("2016-04-06T20:03:48.1234567891234Z", "modified")
    assert ts.key == "2016-04-06T20:03:48.123456789Z"
    assert ts.text == "2016-04-06T20:03:48.1234567891234Z"


def test_equality_and_order_use_the_instant_not_the_text() -> None:
    a = parse_timestamp("2016-04-06T20:03:48Z", "created")
    b = parse_timestamp("2016-04-06T20:03:48.000Z", "created")
    c = parse_timestamp("2016-04-06T20:03:48.001Z", "created")
    assert a == b
    assert a < c
    assert sorted([c, b]) == [b, c]
    assert Timestamp("k", "x") == Timestamp("k", "y")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2022-101-27T13:49:54.326Z", "not a valid timestamp"),
        ("2022-10-27T13:49:54.326+01:00", "not in UTC"),
        ("2022-10-27T13:49:54.326+0000", "not in UTC"),
        ("2022-10-27T13:49:54.326z", "not in UTC"),
        ("2022-10-27T13:49:54.326", "not a valid timestamp"),
        ("2022-13-01T00:00:00Z", "month 13"),
        ("2022-00-01T00:00:00Z", "month 00"),
        ("2022-02-30T00:00:00Z", "day 30"),
        ("2021-02-29T00:00:00Z", "2021-02 has 28 days"),
        ("1900-02-29T00:00:00Z", "1900-02 has 28 days"),
        ("2022-04-31T00:00:00Z", "day 31"),
        ("2022-04-00T00:00:00Z", "day 00"),
        ("2022-10-27T24:00:00Z", "hour 24"),
        ("2022-10-27T23:60:00Z", "minute 60"),
        ("2022-10-27T23:59:60Z", "second 60"),
        ("2022-10-27T13:49Z", "no seconds"),
        ("2022-10-27", "date without a time"),
        ("2022-10-27 13:49:54Z", "not a valid timestamp"),
        ("2022-10-27T13:49:54.Z", "not a valid timestamp"),
        ("0000-01-01T00:00:00Z", "year 0000"),
        ("２０２２-10-27T13:49:54Z", "not a valid timestamp"),
        ("", "not a valid timestamp"),
    ],
)
def test_invalid_timestamps_are_rejected_with_a_precise_reason(text: str, fragment: str) -> None:
    with pytest.raises(InvalidObject) as info:
        parse_timestamp(text, "created")
    assert info.value.field == "created"
    assert fragment in info.value.reason


@pytest.mark.parametrize("value", [None, 1459972800, 1.5, ["2016-04-06T20:03:48Z"], b"x"])
def test_non_string_timestamps_are_rejected_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidObject, match="must be a timestamp string") as info:
        parse_timestamp(value, "valid_from")
    assert info.value.field == "valid_from"


def test_format_timestamp_us_writes_six_fraction_digits() -> None:
    micros = int(datetime(2026, 11, 26, 15, 17, 0, 123456, tzinfo=UTC).timestamp()) * 10**6
    micros += 123456
    assert format_timestamp_us(micros) == "2026-11-26T15:17:00.123456Z"
    assert timestamp_key_from_us(micros) == "2026-11-26T15:17:00.123456000Z"


def test_epoch_helpers_handle_the_epoch_and_times_before_it() -> None:
    assert format_timestamp_us(0) == "1970-01-01T00:00:00.000000Z"
    assert format_timestamp_us(-1) == "1969-12-31T23:59:59.999999Z"
    assert timestamp_key_from_us(-1) == "1969-12-31T23:59:59.999999000Z"


@given(st.integers(min_value=-(62135596800 * 10**6), max_value=253402300799 * 10**6))
def test_formatted_microseconds_parse_back_to_the_same_key(micros: int) -> None:
    ts = parse_timestamp(format_timestamp_us(micros), "created")
    assert ts.key == timestamp_key_from_us(micros)


# --------------------------------------------------------------------- fast vs reference twin

_valid_texts = st.builds(
    lambda moment, frac: (
        moment.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0")
        + (f".{frac}" if frac is not None else "")
        + "Z"
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    st.none() | st.text(alphabet="0123456789", min_size=1, max_size=12),
)


def _mutate(text: str, data: st.DataObject) -> str:
    position = data.draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)))
    action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
    char = data.draw(st.sampled_from(list("0123456789-:TZz.+ 9")))
    if action == "replace":
        return text[:position] + char + text[position + 1 :]
    if action == "delete":
        return text[:position] + text[position + 1 :]
    return text[:position] + char + text[position:]


def _fast_key(text: str) -> str | None:
    try:
        return parse_timestamp(text, "created").key
    except InvalidObject:
        return None


@given(_valid_texts)
def test_fast_parser_and_reference_agree_on_valid_timestamps(text: str) -> None:
    assert _fast_key(text) == parse_timestamp_reference(text)
    assert _fast_key(text) is not None


@given(_valid_texts, st.data())
@example("2022-02-30T00:00:00Z", None)
def test_fast_parser_and_reference_agree_on_mutated_timestamps(
    text: str, data: st.DataObject | None
) -> None:
    mutated = _mutate(text, data) if data is not None else text
    assert _fast_key(mutated) == parse_timestamp_reference(mutated)


@given(
    st.from_regex(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,12})?Z\Z",
        fullmatch=True,
    )
)
def test_fast_parser_and_reference_agree_on_arbitrary_digit_fields(text: str) -> None:
    assert _fast_key(text) == parse_timestamp_reference(text)


@given(st.integers(min_value=-62_135_596_800_000_000, max_value=253_402_300_799_999_999))
def test_key_and_epoch_microseconds_round_trip(micros: int) -> None:
    assert timestamp_us_from_key(timestamp_key_from_us(micros)) == micros


def test_key_with_nanoseconds_rounds_down_to_the_microsecond() -> None:
    key = parse_timestamp("2026-11-26T15:17:00.123456789Z", "t").key
    assert timestamp_us_from_key(key) == timestamp_us_from_key(
        parse_timestamp("2026-11-26T15:17:00.123456Z", "t").key
    )
