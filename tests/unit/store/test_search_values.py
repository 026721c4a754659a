"""Value-index keys: containment as key ranges agrees with a brute-force reference."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from entente.store import Probe
from entente.store.search_values import (
    _pattern_entries,
    _reference_pattern_entries,
    domain_key,
    index_entries,
    ip_key,
    network_key,
    probes_for,
    references_of,
    render_key,
    text_of,
    tokens_of,
)


def _hit(probes: list[Probe], entry: tuple[str, str]) -> bool:
    kind, key = entry
    return any(p.kind == kind and p.low <= key <= p.high for p in probes)


def _indicator(pattern: str, **extra: object) -> dict[str, object]:
    return {
        "type": "indicator",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "pattern": pattern,
        "pattern_type": "stix",
        **extra,
    }


v4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
v6 = (
    st.integers(0, 2**128 - 1)
    .map(lambda n: ipaddress.IPv6Address(n).compressed)
    .filter(lambda a: ipaddress.IPv6Address(a).ipv4_mapped is None)
)
v4_nets = st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
    lambda t: str(ipaddress.IPv4Network((t[0], t[1]), strict=False))
)
v6_nets = st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 95)).map(
    lambda t: str(ipaddress.IPv6Network((t[0], t[1]), strict=False))
)


@given(query=v4_nets, stored=v4 | v4_nets)
def test_ipv4_cidr_query_finds_exactly_the_addresses_and_blocks_inside_it(
    query: str, stored: str
) -> None:
    entry = network_key(stored) if "/" in stored else ip_key(stored)
    assert entry is not None
    inside = ipaddress.ip_network(stored).subnet_of(ipaddress.ip_network(query))  # type: ignore[arg-type]
    assert _hit(probes_for(query), entry) is inside


@given(query=v6_nets, stored=v6 | v6_nets)
def test_ipv6_cidr_query_finds_exactly_the_addresses_and_blocks_inside_it(
    query: str, stored: str
) -> None:
    entry = network_key(stored) if "/" in stored else ip_key(stored)
    assert entry is not None
    inside = ipaddress.ip_network(stored).subnet_of(ipaddress.ip_network(query))  # type: ignore[arg-type]
    assert _hit(probes_for(query), entry) is inside


@given(address=v4 | v6, stored=v4_nets | v6_nets | v4 | v6)
def test_address_query_finds_itself_and_the_blocks_that_contain_it(
    address: str, stored: str
) -> None:
    entry = network_key(stored) if "/" in stored else ip_key(stored)
    assert entry is not None
    ip = ipaddress.ip_address(address)
    net = ipaddress.ip_network(stored)
    assert _hit(probes_for(address), entry) is (ip.version == net.version and ip in net)


labels = st.sampled_from(["evil", "com", "www", "a", "b-c", "x1", "evi", "evill", "co"])
names = st.lists(labels, min_size=1, max_size=4).map(".".join)


@given(query=names, stored=names, like=st.booleans())
def test_domain_query_finds_itself_its_subdomains_and_patterns_over_its_parents(
    query: str, stored: str, like: bool
) -> None:
    key = domain_key(stored)
    assert key is not None
    entry = ("domain", key + ".*" if like else key)
    if like:
        # LIKE '%.stored': every strict subdomain of ``stored``, which ``query`` may be,
        # and the query's own subdomains may be too (both are "where the name appears").
        expected = query.endswith("." + stored) or stored.endswith("." + query) or stored == query
    else:
        expected = stored == query or stored.endswith("." + query)
    assert _hit(probes_for(query), entry) is expected


def test_patterns_are_read_by_the_matchers_compiler_and_its_parser() -> None:
    deployable = _indicator("[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'Evil.COM']")
    assert index_entries(deployable) == [("ipv4", "c6336407"), ("domain", "com.evil")]
    misp_file = _indicator(
        "[file:name = 'a.exe' AND file:hashes.'SHA-512' = '"
        + "AB" * 64
        + "' AND file:hashes.MD5 = '"
        + "0" * 32
        + "']"
    )
    assert index_entries(misp_file) == [("hash", "ab" * 64), ("hash", "0" * 32)]
    negated = _indicator("[NOT ipv4-addr:value = '198.51.100.7']")
    assert index_entries(negated) == []
    assert index_entries(_indicator("rule x { condition: true }", pattern_type="yara")) == []


def test_scos_observed_data_sightings_and_named_entities_have_entries() -> None:
    assert index_entries({"type": "ipv6-addr", "value": "2001:DB8::1"}) == [
        ("ipv6", "20010db8000000000000000000000001")
    ]
    assert index_entries({"type": "file", "hashes": {"SHA-256": "A" * 64}}) == [("hash", "a" * 64)]
    observed = {
        "type": "observed-data",
        "objects": {"0": {"type": "email-addr", "value": "Bad@Evil.com"}},
    }
    assert index_entries(observed) == [("email", "bad@evil.com")]
    sighting = {"type": "sighting", "sighting_of_ref": "indicator--1", "labels": ["Hit"]}
    # Labels are filtered through the full-text index, not held as values.
    assert index_entries(sighting) == [("ref", "indicator--1")]
    actor = {"type": "intrusion-set", "name": "APT28", "aliases": ["Sofacy", " "]}
    assert index_entries(actor) == [("name", "apt28"), ("name", "sofacy")]


R1 = "report--00000000-0000-4000-8000-000000000001"
I1 = "indicator--00000000-0000-4000-8000-000000000001"
M1 = "malware--00000000-0000-4000-8000-000000000001"
ORG = "identity--00000000-0000-4000-8000-000000000001"
TLP = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def test_references_are_link_entries_but_creator_and_markings() -> None:
    relationship = {
        "type": "relationship",
        "source_ref": I1,
        "target_ref": M1,
        "created_by_ref": ORG,
        "object_marking_refs": [TLP],
    }
    assert index_entries(relationship) == [("link", I1), ("link", M1)]
    report = {"type": "report", "object_refs": [I1, M1, I1, "not an id"], "x_ref": 3}
    assert index_entries(report) == [("link", I1), ("link", M1)]
    assert references_of(report) == [("object_refs", I1), ("object_refs", M1), ("object_refs", I1)]
    # A sighting's indicator is a ``ref`` row already; where it was sighted is a link.
    sighting = {"type": "sighting", "sighting_of_ref": I1, "where_sighted_refs": [ORG]}
    assert index_entries(sighting) == [("ref", I1), ("link", ORG)]
    # An indicator with one value and a custom reference leaves the fast path for both.
    ind = {
        "type": "indicator",
        "pattern": "[ipv4-addr:value = '10.1.2.3']",
        "pattern_type": "stix",
        "x_campaign_ref": R1,
        "created_by_ref": ORG,
    }
    assert index_entries(ind) == [("ipv4", "0a010203"), ("link", R1)]
    nested = {"type": "email-message", "body_multipart": [{"body_raw_ref": I1}]}
    assert index_entries(nested) == []


def test_keys_render_back_as_analysts_write_values() -> None:
    for value, kind in (("10.1.0.0/16", "ipv4"), ("2001:db8::/32", "ipv6")):
        entry = network_key(value)
        assert entry == (kind, entry[1]) if entry else False
        assert render_key(*entry) == value  # type: ignore[misc]
    assert render_key("domain", "com.evil.*") == "*.evil.com"
    assert render_key("domain", "com.evil.www") == "www.evil.com"


def test_text_is_the_words_of_labels_names_aliases_and_descriptions() -> None:
    obj = {"name": "Fancy-Bear", "aliases": ["Sofacy"], "description": "Uses X_Agent.", "x": "no"}
    assert text_of(obj) == "fancy bear sofacy uses x agent"
    # Labels first: a description cut at MAX_TEXT cannot push them out of the index.
    long = {"labels": ["C2-node"], "description": "word " * 20_000}
    assert text_of(long).startswith("c2 node word")
    assert tokens_of("CANARY-5-description") == ["canary", "5", "description"]


def test_what_is_no_value_gives_no_probe() -> None:
    assert probes_for("") == []
    assert probes_for("10.0.0.0/33") == []
    assert probes_for("not a domain!") == []


_hashes = st.sampled_from(["MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "TLSH", "x"])
_hex = st.text("0123456789abcdefABCDEF", min_size=1, max_size=130)
_literal = (
    v4
    | v6
    | v4_nets
    | v6_nets
    | names
    | names.map(lambda n: "%." + n)
    | names.map(lambda n: f"http://{n}/a b?q=1#f")
    | names.map(lambda n: f"User@{n}")
    | _hex
    | st.text(max_size=12)
)
_space = st.sampled_from(["", " ", "  ", "\t"])


@given(
    sco=st.sampled_from(
        ["ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "x-ja3", "x-ja4"]
    ),
    value=_literal,
    algorithm=_hashes,
    quoted=st.booleans(),
    file_hash=st.booleans(),
    gap=_space,
)
def test_the_fast_pattern_reading_agrees_with_the_compiler(
    *, sco: str, value: str, algorithm: str, quoted: bool, file_hash: bool, gap: str
) -> None:
    """The single-comparison fast path indexes what the matcher's compiler would."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    if file_hash:
        path = f"hashes.'{algorithm}'" if quoted or "-" in algorithm else f"hashes.{algorithm}"
        pattern = f"[{gap}file:{path}{gap}={gap}'{escaped}'{gap}]"
    else:
        pattern = f"[{gap}{sco}:value{gap}={gap}'{escaped}'{gap}]"
    assert list(_pattern_entries(pattern)) == list(_reference_pattern_entries(pattern))
