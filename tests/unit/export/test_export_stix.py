"""STIX 2.1 export: a bundle that Entente's validator and the OASIS stix2 library accept, whose
patterns compile back to exactly the exported values, marked with the items' TLP.

Golden file ``golden/bundle.json``; regenerate with ``ENTENTE_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from typing import Any

import stix2
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.export.conftest import check_golden
from tests.unit.export.edge_items import CONTEXT, ITEMS

from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOutReason
from entente.export.stix import SCORE_PROPERTY, render
from entente.matching.patterns import compile_pattern
from entente.stix import Tlp, is_valid_id, marking_id_for, parse_object

_A = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
_B = "indicator--6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0"
Entry = tuple[str, str, str]


def _item(
    kind: ItemKind,
    value: str,
    op: ItemOp = ItemOp.EQUALS,
    *,
    indicator_id: str = _A,
    tlp: str | None = "green",
    modified: str | None = "2026-11-20T08:30:00.000Z",
    score: int = 60,
) -> ExportItem:
    return ExportItem(indicator_id, kind, op, value, score, tlp=tlp, modified=modified)


def objects(body: bytes) -> list[dict[str, Any]]:
    """The objects of a bundle, each validated by Entente's STIX 2.1 validator."""
    bundle = json.loads(body)
    assert bundle["type"] == "bundle"
    assert is_valid_id(bundle["id"], "bundle")
    found: list[dict[str, Any]] = bundle.get("objects", [])
    for obj in found:
        parse_object(obj)
    return found


def indicators(body: bytes) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in objects(body) if obj["type"] == "indicator"}


def compiled(indicator: dict[str, Any]) -> set[Entry]:
    """What Entente's own pattern compiler makes of an exported pattern."""
    verdict = compile_pattern(indicator["pattern"])
    assert verdict.deployable, verdict.reason
    return {(str(term.kind), str(term.op), term.value) for term in verdict.terms}


def test_golden() -> None:
    rendered = render(ITEMS, CONTEXT)
    check_golden("bundle.json", rendered.body)
    assert rendered.media_type == "application/stix+json;version=2.1"
    assert rendered.count == 3


def test_the_oasis_library_parses_the_bundle() -> None:
    bundle = stix2.parse(render(ITEMS, CONTEXT).body.decode(), allow_custom=True)
    assert [obj.type for obj in bundle.objects] == ["marking-definition"] + ["indicator"] * 3


def test_patterns_compile_back_to_the_items_of_each_indicator() -> None:
    rendered = render(ITEMS, CONTEXT)
    expected: dict[str, set[Entry]] = defaultdict(set)
    left = {(out.indicator_id, out.value) for out in rendered.left_out}
    for item in ITEMS:
        if (item.indicator_id, item.value) not in left:
            expected[item.indicator_id].add((str(item.kind), str(item.op), item.value))
    found = indicators(rendered.body)
    assert {key: compiled(obj) for key, obj in found.items()} == expected


def test_an_indicator_carries_its_id_score_marking_and_times() -> None:
    indicator = indicators(render(ITEMS, CONTEXT).body)[ITEMS[16].indicator_id]
    assert indicator[SCORE_PROPERTY] == 100
    assert "confidence" not in indicator
    assert indicator["object_marking_refs"] == [marking_id_for(Tlp.AMBER)]
    assert indicator["created"] == indicator["modified"] == indicator["valid_from"]
    assert indicator["modified"] == ITEMS[16].modified
    assert indicator["created_by_ref"] == ITEMS[16].created_by_ref
    assert indicator["labels"] == ["malicious-activity"]
    assert indicator["name"] == "Bad zone\nsecond line"
    assert indicator["pattern_type"] == "stix"


def test_the_bundle_holds_each_marking_definition_it_uses() -> None:
    items = [
        _item(ItemKind.DOMAIN, "a.example", tlp="clear"),
        _item(ItemKind.DOMAIN, "b.example", indicator_id=_B, tlp="amber+strict"),
    ]
    found = objects(render(items, CONTEXT).body)
    definitions = [obj["id"] for obj in found if obj["type"] == "marking-definition"]
    assert definitions == [marking_id_for(Tlp.CLEAR), marking_id_for(Tlp.AMBER_STRICT)]


def test_the_most_restrictive_tlp_of_an_indicators_items_wins() -> None:
    items = [
        _item(ItemKind.DOMAIN, "a.example", tlp="green"),
        _item(ItemKind.DOMAIN, "b.example", tlp="amber"),
        _item(ItemKind.DOMAIN, "c.example", tlp=None),
    ]
    indicator = indicators(render(items, CONTEXT).body)[_A]
    assert indicator["object_marking_refs"] == [marking_id_for(Tlp.AMBER)]


def test_an_unknown_tlp_label_leaves_the_indicator_out_never_unmarked() -> None:
    items = [_item(ItemKind.DOMAIN, "a.example", tlp="purple"), _item(ItemKind.URL, "http://x/")]
    rendered = render(items, CONTEXT)
    assert rendered.count == 0
    assert {out.reason for out in rendered.left_out} == {LeftOutReason.POLICY}
    assert len(rendered.left_out) == 2
    assert "'purple' is not a TLP level" in rendered.left_out[0].detail


def test_what_a_pattern_cannot_state_is_left_out_as_unsupported() -> None:
    items = [
        _item(ItemKind.DOMAIN, "_dmarc.example", ItemOp.SUBDOMAIN),  # "_" is a LIKE wildcard
        _item(ItemKind.IP, "192.0.2.1", ItemOp.SUBDOMAIN),
        _item(ItemKind.URL, "http://x/", ItemOp.IN_NETWORK),
        _item(ItemKind.MD5, "not-a-digest"),
        _item(ItemKind.IP, "'; DROP"),
        _item(ItemKind.DOMAIN, "fine.example", indicator_id="not-an-indicator-id"),
        _item(ItemKind.DOMAIN, "kept.example"),
    ]
    rendered = render(items, CONTEXT)
    detail = {str(out.value): out.detail for out in rendered.left_out}
    assert sorted(detail) == sorted(item.value for item in items[:6])
    assert {out.reason for out in rendered.left_out} == {LeftOutReason.UNSUPPORTED}
    assert "LIKE wildcards" in detail["_dmarc.example"]
    assert "not an indicator id" in detail["fine.example"]
    assert compiled(indicators(rendered.body)[_A]) == {("domain", "equals", "kept.example")}


def test_quotes_and_backslashes_are_escaped_in_the_pattern_and_the_json() -> None:
    url = 'http://evil.example/it\'s\\here?q="x"'
    indicator = indicators(render([_item(ItemKind.URL, url)], CONTEXT).body)[_A]
    assert indicator["pattern"] == "[url:value = 'http://evil.example/it\\'s\\\\here?q=\"x\"']"
    assert compiled(indicator) == {("url", "equals", url)}


def test_the_same_items_in_any_order_give_the_same_bytes() -> None:
    forward = render(ITEMS, CONTEXT).body
    assert render(tuple(reversed(ITEMS)), CONTEXT).body == forward
    changed = render(ITEMS[:-2], CONTEXT).body
    assert json.loads(changed)["id"] != json.loads(forward)["id"]


def test_the_export_time_stands_in_for_a_missing_or_bad_modified() -> None:
    items = [
        _item(ItemKind.DOMAIN, "a.example", modified=None),
        _item(ItemKind.DOMAIN, "b.example", indicator_id=_B, modified="yesterday"),
    ]
    found = indicators(render(items, CONTEXT).body)
    assert {obj["modified"] for obj in found.values()} == {CONTEXT.generated_at}


def test_an_empty_export_is_a_bundle_without_objects() -> None:
    rendered = render([], CONTEXT)
    assert objects(rendered.body) == []
    assert "objects" not in json.loads(rendered.body)
    assert rendered.count == 0


_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
_NAME = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)
_HEX = "0123456789abcdef"


def _address(v6: bool, number: int) -> str:
    return str(ipaddress.IPv6Address(number) if v6 else ipaddress.IPv4Address(number))


@st.composite
def ip_items(draw: st.DrawFn) -> tuple[ItemKind, ItemOp, str]:
    v6 = draw(st.booleans())
    width = 128 if v6 else 32
    number = draw(st.integers(0, 2**width - 1))
    if v6 and ipaddress.IPv6Address(number).ipv4_mapped is not None:
        number = 0x20010DB8 << 96 | number & 0xFFFF  # mapped addresses are IPv4 values
    if draw(st.booleans()):
        return ItemKind.IP, ItemOp.EQUALS, _address(v6, number)
    prefix = draw(st.integers(0 if not v6 else 1, width - 1))  # a /32 or /128 is an address
    return ItemKind.IP, ItemOp.IN_NETWORK, str(ipaddress.ip_network((number, prefix), False))


def _digests(kind: ItemKind, size: int) -> st.SearchStrategy[tuple[ItemKind, ItemOp, str]]:
    return st.text(_HEX, min_size=size, max_size=size).map(lambda v: (kind, ItemOp.EQUALS, v))


def _urls(scheme: str, host: str, path: str) -> tuple[ItemKind, ItemOp, str]:
    return ItemKind.URL, ItemOp.EQUALS, f"{scheme}://{host}/{path}"


def _emails(local: str, host: str) -> tuple[ItemKind, ItemOp, str]:
    return ItemKind.EMAIL, ItemOp.EQUALS, f"{local}@{host}"


_ENTRIES = st.one_of(
    ip_items(),
    st.tuples(st.just(ItemKind.DOMAIN), st.sampled_from([ItemOp.EQUALS, ItemOp.SUBDOMAIN]), _NAME),
    st.builds(
        _urls,
        st.sampled_from(["http", "https", "ftp"]),
        _NAME,
        st.text("abcXYZ019-._~/?=&%;'\\\"", max_size=16),
    ),
    st.builds(_emails, _LABEL, _NAME),
    _digests(ItemKind.MD5, 32),
    _digests(ItemKind.SHA1, 40),
    _digests(ItemKind.SHA256, 64),
    _digests(ItemKind.JA3, 32),
    _digests(ItemKind.JA3S, 32),
    st.text(_HEX + "t_", min_size=1, max_size=36).map(lambda v: (ItemKind.JA4, ItemOp.EQUALS, v)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([_A, _B]), _ENTRIES), max_size=20))
def test_every_bundle_validates_and_compiles_back_to_its_items(
    drawn: list[tuple[str, tuple[ItemKind, ItemOp, str]]],
) -> None:
    items = [
        ExportItem(indicator_id, kind, op, value, 50, tlp="amber")
        for indicator_id, (kind, op, value) in drawn
    ]
    rendered = render(items, CONTEXT)
    assert rendered.left_out == ()
    expected: dict[str, set[Entry]] = defaultdict(set)
    for item in items:
        expected[item.indicator_id].add((str(item.kind), str(item.op), item.value))
    found = indicators(rendered.body)
    assert {key: compiled(obj) for key, obj in found.items()} == expected
    assert rendered.count == len(expected)
