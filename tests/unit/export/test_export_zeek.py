"""Zeek Intel export: a file Zeek's reader reads back to the same indicators, escaped where
it must be, with subdomain and fingerprint items reported, not dropped.

Golden file ``golden/zeek.intel``; regenerate with ``ENTENTE_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.export.conftest import check_golden
from tests.unit.export.edge_items import CONTEXT, ITEMS
from tests.unit.export.zeek_intel_reader import read_intel

from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOutReason
from entente.export.zeek import FIELDS, render

_ID = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"


def _item(
    kind: ItemKind, value: str, op: ItemOp = ItemOp.EQUALS, *, name: str | None = "n"
) -> ExportItem:
    return ExportItem(_ID, kind, op, value, 60, name=name, tlp="green")


def test_golden() -> None:
    rendered = render(ITEMS, CONTEXT)
    check_golden("zeek.intel", rendered.body)
    assert rendered.filename == "entente.intel"


def test_the_reader_gets_back_every_indicator_with_its_type_and_source() -> None:
    entries = read_intel(render(ITEMS, CONTEXT).body)
    assert {(e["indicator"], e["indicator_type"], e["meta.source"]) for e in entries} == {
        ("198.51.100.7", "Intel::ADDR", ITEMS[0].indicator_id),
        ("2001:db8::7", "Intel::ADDR", ITEMS[0].indicator_id),
        ("203.0.113.0/24", "Intel::SUBNET", ITEMS[0].indicator_id),
        ("2001:db8:0:0:1::/80", "Intel::SUBNET", ITEMS[0].indicator_id),
        ("2001:db8::/32", "Intel::SUBNET", ITEMS[4].indicator_id),
        ("evil.example", "Intel::DOMAIN", ITEMS[5].indicator_id),
        ("evil.example", "Intel::DOMAIN", ITEMS[6].indicator_id),
        ("_dmarc.x-y.example", "Intel::DOMAIN", ITEMS[7].indicator_id),
        ('evil.example:8080/dl.php?a=1;b="x"|y', "Intel::URL", ITEMS[9].indicator_id),
        ("192.0.2.10/gate.php", "Intel::URL", ITEMS[10].indicator_id),
        ("evil.example/login", "Intel::URL", ITEMS[11].indicator_id),
        ("files.evil.example/payload.bin", "Intel::URL", ITEMS[12].indicator_id),
        ("phish@evil.example", "Intel::EMAIL", ITEMS[13].indicator_id),
        (ITEMS[14].value, "Intel::FILE_HASH", ITEMS[14].indicator_id),
        (ITEMS[15].value, "Intel::FILE_HASH", ITEMS[15].indicator_id),
        (ITEMS[16].value, "Intel::FILE_HASH", ITEMS[16].indicator_id),
    }


def test_the_header_names_the_fields_and_says_what_entries_mean() -> None:
    text = render(ITEMS, CONTEXT).body.decode()
    assert "#fields\t" + "\t".join(FIELDS) + "\n" in text
    assert "Intel::DOMAIN that exact name only" in text
    desc = {e["indicator"]: e["meta.desc"] for e in read_intel(text.encode())}
    assert str(desc["evil.example/login"]).startswith("this URL")


def test_subdomains_and_fingerprints_are_left_out_with_the_reason() -> None:
    rendered = render(ITEMS, CONTEXT)
    left = {(out.kind, out.value): out for out in rendered.left_out}
    sub = left[ItemKind.DOMAIN, "bad.example"]
    assert sub.reason is LeftOutReason.UNSUPPORTED
    assert "Zeek Intel matches exact names; subdomains of bad.example cannot" in sub.detail
    for kind in (ItemKind.JA3, ItemKind.JA3S, ItemKind.JA4):
        assert any(out.kind is kind for out in rendered.left_out)
    unique = {(i.indicator_id, i.kind, i.op, i.value) for i in ITEMS}
    assert rendered.count + len(rendered.left_out) == len(unique)


def test_tabs_newlines_backslashes_and_a_leading_hash_are_escaped() -> None:
    items = [
        _item(ItemKind.EMAIL, "#team@evil.example", name="a\tb\nc\\x41 d\r"),
        _item(ItemKind.URL, "http://evil.example/a\tb"),
    ]
    body = render(items, CONTEXT).body
    data_lines = [line for line in body.split(b"\n") if line and not line.startswith(b"#")]
    assert len(data_lines) == 2
    assert all(line.count(b"\t") == 3 for line in data_lines)
    entries = {e["indicator"]: e for e in read_intel(body)}
    assert entries["#team@evil.example"]["meta.desc"] == (
        "this email address; a\tb\nc\\x41 d\r; score 60; tlp green"
    )
    assert "evil.example/a\tb" in entries


@pytest.mark.parametrize(
    ("url", "indicator"),
    [
        ("http://evil.example/", "evil.example/"),
        ("https://u:p@evil.example:8443/x?y", "evil.example:8443/x?y"),
        ("ftp://evil.example/f", "evil.example/f"),
        ("http://[2001:db8::1]/x", "[2001:db8::1]/x"),
    ],
)
def test_urls_lose_scheme_and_userinfo(url: str, indicator: str) -> None:
    entries = read_intel(render([_item(ItemKind.URL, url)], CONTEXT).body)
    assert [(e["indicator"], e["indicator_type"]) for e in entries] == [(indicator, "Intel::URL")]


def test_other_schemes_and_bad_addresses_are_left_out() -> None:
    rendered = render(
        [
            _item(ItemKind.URL, "ldap://evil.example/x"),
            _item(ItemKind.IP, "10.0.0.0/8"),  # a block given as an address
            _item(ItemKind.IP, "not-an-address", ItemOp.IN_NETWORK),
        ],
        CONTEXT,
    )
    assert rendered.count == 0
    assert len(rendered.left_out) == 3


def test_input_order_does_not_change_the_output() -> None:
    assert render(ITEMS, CONTEXT).body == render(tuple(reversed(ITEMS)), CONTEXT).body


@settings(max_examples=100, deadline=None)
@given(name=st.text(st.characters(codec="utf-8")), local=st.text(min_size=1))
def test_any_name_and_email_read_back_unchanged(name: str, local: str) -> None:
    email = local + "@evil.example"
    entries = read_intel(render([_item(ItemKind.EMAIL, email, name=name)], CONTEXT).body)
    assert len(entries) == 1
    assert entries[0]["indicator"] == email
    assert (
        entries[0]["meta.desc"]
        == f"this email address; {name or 'unnamed indicator'}; score 60; tlp green"
    )
