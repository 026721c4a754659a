"""CSV column mappings parse as documented and say which entry is wrong."""

from __future__ import annotations

import pytest

from entente.errors import InvalidInput
from entente.matching.csvflows import CsvMapping, parse_csv_mapping
from entente.matching.model import FieldSpec, ValueKind


def test_a_mapping_names_the_time_column_and_the_fields() -> None:
    mapping = parse_csv_mapping("ts=time,src=ip,dst=ip,qname=domain,answers=host[]")
    assert mapping == CsvMapping(
        ts="ts",
        fields=(
            FieldSpec("src", ValueKind.IP),
            FieldSpec("dst", ValueKind.IP),
            FieldSpec("qname", ValueKind.DOMAIN),
            FieldSpec("answers", ValueKind.HOST, many=True),
        ),
    )
    assert mapping.columns == ("ts", "src", "dst", "qname", "answers")


def test_spaces_and_case_are_forgiven_and_time_is_optional() -> None:
    mapping = parse_csv_mapping(" Source Address = IP , hash = SHA256 [] ")
    assert mapping.ts is None
    assert mapping.fields == (
        FieldSpec("Source Address", ValueKind.IP),
        FieldSpec("hash", ValueKind.SHA256, many=True),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "entry 1 is empty"),
        ("src=ip,,dst=ip", "entry 2 is empty"),
        ("src", "entry 1 'src': expected column=kind"),
        ("=ip", "no column name"),
        ("src=ip=x", "more than one '='"),
        ("src=address", "unknown kind 'address'"),
        ("src=ip,src=domain", "mapped twice"),
        ("ts=time,t2=time,src=ip", "a second time column"),
        ("ts=time[],src=ip", "not a list"),
        ("ts=time", "no column to match"),
    ],
)
def test_bad_mappings_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[")):
        parse_csv_mapping(text)
