"""Suricata export: rules that parse under a strict grammar, stable sids, the right keywords
per kind, dataset rules and their files for large sets, and nothing dropped silently.

Golden files: ``golden/suricata.rules`` (default threshold), ``golden/suricata_sets.rules`` and
``golden/suricata_sets.files`` (every group as a set). Regenerate with
``ENTENTE_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import base64
import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.export.conftest import check_golden
from tests.unit.export.edge_items import CONTEXT, ITEMS
from tests.unit.export.suricata_grammar import (
    Rule,
    RuleSyntaxError,
    check_rules,
    decode_content,
    parse_rule,
    parse_rules,
)

from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOutReason
from entente.export.suricata import (
    FILE_PROTOCOLS,
    MAX_RULE_LENGTH,
    SID_BASE,
    SID_COUNT,
    render,
    render_datasets,
)

_ID = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"


def _item(
    kind: ItemKind,
    value: str,
    op: ItemOp = ItemOp.EQUALS,
    *,
    indicator_id: str = _ID,
    name: str | None = "n",
    modified: str | None = "2026-01-02T03:04:05.678Z",
    score: int = 70,
) -> ExportItem:
    return ExportItem(indicator_id, kind, op, value, score, name=name, modified=modified)


def _rules(items: tuple[ExportItem, ...] | list[ExportItem], **options: int) -> list[Rule]:
    rendered = render(items, CONTEXT, **options)  # type: ignore[arg-type]
    rules = parse_rules(rendered.body.decode("utf-8"))
    check_rules(rules)
    return rules


def _sets_files(files: dict[str, bytes]) -> bytes:
    return b"".join(b"## " + name.encode() + b"\n" + data for name, data in files.items())


def test_golden_rules() -> None:
    rendered = render(ITEMS, CONTEXT)
    check_golden("suricata.rules", rendered.body)
    assert rendered.filename == "entente.rules"


def test_golden_set_rules_and_files() -> None:
    check_golden("suricata_sets.rules", render(ITEMS, CONTEXT, dataset_threshold=0).body)
    check_golden(
        "suricata_sets.files", _sets_files(render_datasets(ITEMS, CONTEXT, dataset_threshold=0))
    )


@pytest.mark.parametrize("threshold", [0, 1000])
def test_every_rule_parses_and_sids_are_unique_and_in_range(threshold: int) -> None:
    rules = _rules(ITEMS, dataset_threshold=threshold)
    assert rules
    assert all(SID_BASE <= rule.sid < SID_BASE + SID_COUNT for rule in rules)


def test_grammar_check_refuses_broken_rules() -> None:
    good = (
        'alert ip any any -> any any (msg:"x"; classtype:bad-unknown; sid:1; rev:1; metadata:a b;)'
    )
    parse_rule(good)
    for broken in (
        good.replace('msg:"x"', 'msg:"a;b"'),  # an unescaped ';' ends the option early
        good.replace("sid:1; ", ""),
        good.replace("any any ->", "300.1.1.1 any ->"),
        good.replace("any any ->", "10.0.0.1/8 any ->"),  # host bits set
        good.replace('msg:"x";', 'msg:"x"; content:"a:b";'),
        good.replace('msg:"x";', 'msg:"x"; http.host; content:"a"; nocase;'),
        good.replace('msg:"x";', 'msg:"x"; nocase;'),
        good.replace('msg:"x";', 'msg:"x"; bogus;'),
    ):
        with pytest.raises(RuleSyntaxError):
            check_rules([parse_rule(broken)])


def test_input_order_does_not_change_the_output() -> None:
    assert render(ITEMS, CONTEXT).body == render(tuple(reversed(ITEMS)), CONTEXT).body
    twice = ITEMS + ITEMS
    assert render(twice, CONTEXT).body == render(ITEMS, CONTEXT).body


def test_nothing_is_dropped_silently() -> None:
    rendered = render(ITEMS, CONTEXT)
    unique = {(i.indicator_id, i.kind, i.op, i.value) for i in ITEMS}
    assert rendered.count + len(rendered.left_out) == len(unique)
    assert all(out.reason is LeftOutReason.UNSUPPORTED for out in rendered.left_out)
    left = {(out.kind, out.value): out.detail for out in rendered.left_out}
    assert "email address" in left[ItemKind.EMAIL, "phish@evil.example"]
    assert "ja4" in left[ItemKind.JA4, "t13d1516h2_8daaf6152771_b0da82dd1658"]
    assert "clear-text HTTP" in left[ItemKind.URL, "https://evil.example/login"]
    assert "clear-text HTTP" in left[ItemKind.URL, "ftp://files.evil.example/payload.bin"]


def test_ip_items_match_both_directions_with_the_home_net() -> None:
    rules = _rules(
        [_item(ItemKind.IP, "192.0.2.1"), _item(ItemKind.IP, "2001:db8::/32", ItemOp.IN_NETWORK)]
    )
    assert {(r.proto, r.src, r.direction, r.dst) for r in rules} == {
        ("ip", "192.0.2.1", "<>", "$HOME_NET"),
        ("ip", "2001:db8::/32", "<>", "$HOME_NET"),
    }
    assert all(r.metadata["entente_indicator"] == _ID for r in rules)


def test_an_exact_domain_is_the_whole_buffer_on_dns_tls_and_http() -> None:
    rules = _rules([_item(ItemKind.DOMAIN, "evil.example")])
    chains = {r.proto: r.chain() for r in rules}
    assert chains == {
        "dns": [
            ("dns.query", None),
            ("content", "evil.example"),
            ("nocase", None),
            ("startswith", None),
            ("endswith", None),
        ],
        "tls": [
            ("tls.sni", None),
            ("content", "evil.example"),
            ("nocase", None),
            ("startswith", None),
            ("endswith", None),
        ],
        "http": [
            ("http.host", None),
            ("content", "evil.example"),
            ("startswith", None),
            ("endswith", None),
        ],
    }


def test_a_subdomain_item_matches_strict_subdomains_only() -> None:
    rules = _rules([_item(ItemKind.DOMAIN, "evil.example", ItemOp.SUBDOMAIN)])
    for rule in rules:
        chain = rule.chain()
        assert ("content", ".evil.example") in chain
        assert ("endswith", None) in chain
        assert ("startswith", None) not in chain
        assert "dotprefix" not in rule.line  # it would match evil.example itself


def test_rev_is_the_version_time_and_a_newer_version_raises_it() -> None:
    older = _rules([_item(ItemKind.JA3, "e7d705a3286e19ea42f587b344ee6865")])[0]
    newer = _rules(
        [_item(ItemKind.JA3, "e7d705a3286e19ea42f587b344ee6865", modified="2026-02-01T00:00:00Z")]
    )[0]
    unknown = _rules([_item(ItemKind.JA3, "e7d705a3286e19ea42f587b344ee6865", modified=None)])[0]
    assert older.rev == 1767323045  # 2026-01-02T03:04:05Z
    assert newer.rev > older.rev
    assert older.sid == newer.sid == unknown.sid
    assert unknown.rev == 1


def test_sids_are_stable_when_other_items_come_and_go() -> None:
    base = [_item(ItemKind.DOMAIN, f"host{i}.example") for i in range(50)]
    before = {r.msg: r.sid for r in _rules(base)}
    after = {r.msg: r.sid for r in _rules([*base, _item(ItemKind.IP, "192.0.2.77")])}
    assert all(after[msg] == sid for msg, sid in before.items())


def test_sid_collisions_take_the_next_free_sid_and_a_full_range_leaves_items_out() -> None:
    items = [_item(ItemKind.JA3, f"{i:032x}") for i in range(6)]
    rendered = render(items, CONTEXT, sid_base=500, sid_count=4)
    rules = parse_rules(rendered.body.decode())
    check_rules(rules)
    assert sorted(r.sid for r in rules) == [500, 501, 502, 503]
    assert len(rendered.left_out) == 2
    assert all("no free sid" in out.detail for out in rendered.left_out)
    assert rendered.body == render(list(reversed(items)), CONTEXT, sid_base=500, sid_count=4).body


def test_urls_become_host_and_raw_uri_with_escaped_content() -> None:
    nasty = 'http://user@evil.example:8080/a b/dl.php?x=1;y="2"|z\\w:é'
    rules = _rules([_item(ItemKind.URL, nasty), _item(ItemKind.URL, "http://[2001:db8::1]/gate?a")])
    by_dst = {r.dst: r for r in rules}
    named = by_dst["any"]
    assert named.dport == "8080"
    assert named.chain() == [
        ("http.host", None),
        ("content", "evil.example"),
        ("startswith", None),
        ("endswith", None),
        ("http.uri.raw", None),
        ("content", '/a b/dl.php?x=1;y="2"|z\\w:é'),
        ("startswith", None),
        ("endswith", None),
    ]
    literal = by_dst["2001:db8::1"]
    assert literal.chain()[:2] == [("http.uri.raw", None), ("content", "/gate?a")]


def test_an_over_long_rule_is_left_out() -> None:
    long_url = "http://evil.example/" + '"' * 4000  # every quote becomes |22|
    rendered = render([_item(ItemKind.URL, long_url)], CONTEXT)
    assert rendered.count == 0
    assert f"{MAX_RULE_LENGTH}-byte" in rendered.left_out[0].detail


def test_hashes_travel_as_list_files_with_one_rule_per_protocol() -> None:
    md5 = "5d41402abc4b2a76b9719d911017c592"
    items = [_item(ItemKind.MD5, md5), _item(ItemKind.MD5, md5, indicator_id="indicator--x")]
    rules = _rules(items)
    assert sorted(r.proto for r in rules) == sorted(FILE_PROTOCOLS)
    assert {r.one("filemd5") for r in rules} == {"entente-md5.lst"}
    assert render_datasets(items, CONTEXT) == {"entente-md5.lst": md5.encode() + b"\n"}
    assert render(items, CONTEXT).count == 2


def test_large_domain_sets_become_dataset_rules_with_base64_files() -> None:
    names = [f"host{i}.example" for i in range(5)]
    items = [_item(ItemKind.DOMAIN, name) for name in names]
    rules = _rules(items, dataset_threshold=4)
    assert len(rules) == 3
    for rule in rules:
        dataset = rule.one("dataset")
        assert dataset == "isset,entente-domain, type string, load entente-domain.lst"
    assert "to_lowercase" in {name for name, _ in rules[0].options}
    files = render_datasets(items, CONTEXT, dataset_threshold=4)
    lines = files["entente-domain.lst"].decode().splitlines()
    assert sorted(base64.b64decode(line).decode() for line in lines) == sorted(names)
    assert render(items, CONTEXT, dataset_threshold=4).count == 5


def test_large_subdomain_sets_pick_the_parent_with_pcrexform() -> None:
    parents = ["evil.example", "bad.co.example", "zip"]
    items = [_item(ItemKind.DOMAIN, p, ItemOp.SUBDOMAIN) for p in parents]
    rules = _rules(items, dataset_threshold=0)
    files = render_datasets(items, CONTEXT, dataset_threshold=0)
    sets: dict[str, set[str]] = {
        name: {base64.b64decode(line).decode() for line in data.decode().splitlines()}
        for name, data in files.items()
    }
    regexes = {}
    for rule in rules:
        values = rule.values("pcrexform")
        assert len(values) == 1 and values[0] is not None
        # Suricata passes the quoted text to PCRE as it is; Python's re reads it the same.
        name = rule.one("dataset").split(",")[1]
        regexes[name] = re.compile(values[0][1:-1])
    assert set(regexes) == {"entente-subdomain-1", "entente-subdomain-2", "entente-subdomain-3"}

    def listed(query: str) -> bool:
        for name, regex in regexes.items():
            m = regex.search(query)
            if m is not None and m.group(1) in sets[f"{name}.lst"]:
                return True
        return False

    assert listed("a.evil.example") and listed("x.y.evil.example")
    assert listed("w.bad.co.example") and listed("anything.zip")
    assert not listed("evil.example") and not listed("notevil.example")
    assert not listed("bad.co.example") and not listed("zip") and not listed("co.example")


def test_large_ip_sets_become_address_lists_under_the_rule_size_limit() -> None:
    items = [_item(ItemKind.IP, f"10.{i // 256}.{i % 256}.1") for i in range(3000)]
    items.append(_item(ItemKind.IP, "2001:db8::/48", ItemOp.IN_NETWORK))
    rules = _rules(items, dataset_threshold=100)
    assert len(rules) > 1
    listed: set[str] = set()
    for rule in rules:
        assert rule.src.startswith("[")
        listed.update(rule.src[1:-1].split(","))
    assert listed == {item.value for item in items}


def test_dataset_files_are_exactly_those_the_rules_name() -> None:
    rules = _rules(ITEMS, dataset_threshold=0)
    named: set[str] = set()
    for rule in rules:
        for key in ("filemd5", "filesha1", "filesha256"):
            named.update(v for v in rule.values(key) if v is not None)
        for value in rule.values("dataset"):
            assert value is not None
            named.add(value.split("load ")[1].strip())
    assert named == set(render_datasets(ITEMS, CONTEXT, dataset_threshold=0))


def test_drop_action_for_prevention() -> None:
    rules = _rules(ITEMS, action="drop")  # type: ignore[arg-type]
    assert {rule.action for rule in rules} == {"drop"}
    with pytest.raises(ValueError, match="action"):
        render(ITEMS, CONTEXT, action="reject")  # type: ignore[arg-type]


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(name=_TEXT, path=_TEXT, producer=_TEXT)
def test_any_name_and_url_path_give_rules_that_parse_and_match_the_value(
    name: str, path: str, producer: str
) -> None:
    url = "http://evil.example/" + path
    items = [
        _item(ItemKind.URL, url, name=name),
        _item(ItemKind.DOMAIN, "evil.example", name=name),
    ]
    context = dataclasses.replace(CONTEXT, producer=producer)
    rendered = render(items, context)
    rules = parse_rules(rendered.body.decode("utf-8"))
    check_rules(rules)
    http = [r for r in rules if "http.uri.raw" in {key for key, _ in r.options}]
    contents = [v for key, v in http[0].options if key == "content" and v is not None]
    assert decode_content(contents[-1]).decode("utf-8") == "/" + path.partition("#")[0]
