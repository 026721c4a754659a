"""nftables export: a ruleset ``nft -c -f`` accepts, whose interval sets cover exactly the
indicators' addresses with disjoint elements, and that reloads over itself.

Golden file ``golden/nftables.nft``; regenerate with ``ENTENTE_REGENERATE_GOLDEN=1``. The
checker tests run the real ``nft`` (Debian package ``nftables``); ``nft -c`` needs
CAP_NET_ADMIN (it asks the kernel to check the ruleset without committing it), so they skip
when nft is missing or not permitted, and fail instead under ``CI=true``.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.export.conftest import check_golden, require_tool
from tests.unit.export.edge_items import CONTEXT, ITEMS

from entente.export.model import ExportContext, ExportItem, ItemKind, ItemOp, LeftOutReason
from entente.export.nftables import SET_V4, SET_V6, render

_ID = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
_SET_RE = re.compile(r"\tset (\S+) \{\n(.*?)\n\t\}", re.DOTALL)
_ELEMENTS_RE = re.compile(r"elements = \{\n(.*?)\n\t\t\}", re.DOTALL)

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(value: str, op: ItemOp = ItemOp.EQUALS) -> ExportItem:
    return ExportItem(_ID, ItemKind.IP, op, value, 70)


def elements(body: bytes) -> dict[str, list[str]]:
    """The elements of each set of a rendered ruleset, as written."""
    found: dict[str, list[str]] = {}
    for name, block in _SET_RE.findall(body.decode()):
        match = _ELEMENTS_RE.search(block)
        lines = match.group(1).splitlines() if match else []
        found[name] = [line.strip().removesuffix(",") for line in lines]
    return found


def interval(element: str) -> tuple[int, int]:
    """The addresses an nft element (address, prefix or ``a-b`` range) covers."""
    if "-" in element:
        first, last = element.split("-")
        return int(ipaddress.ip_address(first)), int(ipaddress.ip_address(last))
    network = ipaddress.ip_network(element)
    return int(network.network_address), int(network.broadcast_address)


def collapse(networks: list[IpNetwork]) -> list[str]:
    """The union of ``networks`` as collapsed CIDR blocks (ipaddress is the oracle)."""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return [str(n) for n in ipaddress.collapse_addresses(v4)] + [
        str(n) for n in ipaddress.collapse_addresses(v6)
    ]


def covered(element_texts: list[str], version: int) -> list[str]:
    """The addresses the elements cover, as collapsed CIDR blocks."""
    blocks: list[IpNetwork] = []
    for element in element_texts:
        first, last = interval(element)
        if version == 4:
            v4 = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)
            blocks.extend(ipaddress.summarize_address_range(*v4))
        else:
            v6 = ipaddress.IPv6Address(first), ipaddress.IPv6Address(last)
            blocks.extend(ipaddress.summarize_address_range(*v6))
    return collapse(blocks)


def _nft_check(nft: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [nft, "-c", "-f", str(path)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def nft(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The nft binary, once it has shown it may check a ruleset here (CAP_NET_ADMIN)."""
    path = require_tool("nft")
    probe = tmp_path_factory.mktemp("nft") / "probe.nft"
    probe.write_text("table inet entente_probe {\n}\n")
    result = _nft_check(path, probe)
    if result.returncode != 0:
        message = f"nft -c cannot run here (needs CAP_NET_ADMIN): {result.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_golden() -> None:
    rendered = render(ITEMS, CONTEXT)
    check_golden("nftables.nft", rendered.body)
    assert rendered.filename == "entente.nft"
    assert rendered.media_type == "text/plain; charset=utf-8"


def test_nft_accepts_the_golden_ruleset_and_a_reload_over_it(nft: str, tmp_path: Path) -> None:
    body = render(ITEMS, CONTEXT).body
    path = tmp_path / "entente.nft"
    path.write_bytes(body)
    result = _nft_check(nft, path)
    assert result.returncode == 0, result.stderr
    # Loading twice in one transaction is a reload: the delete must find the first table.
    path.write_bytes(body + body)
    result = _nft_check(nft, path)
    assert result.returncode == 0, result.stderr


def test_nft_accepts_an_empty_export(nft: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.nft"
    path.write_bytes(render([], CONTEXT).body)
    assert _nft_check(nft, path).returncode == 0


def test_nft_refuses_overlap_so_the_checker_is_real(nft: str, tmp_path: Path) -> None:
    body = render([_ip("10.0.0.0/8", ItemOp.IN_NETWORK)], CONTEXT).body.decode()
    path = tmp_path / "overlap.nft"
    path.write_text(body.replace("10.0.0.0/8,", "10.0.0.0/8,\n\t\t\t10.1.0.0/16,"))
    result = _nft_check(nft, path)
    assert result.returncode != 0
    assert "conflicting intervals" in result.stderr


def test_nft_accepts_many_random_blocks_and_the_whole_address_space(
    nft: str, tmp_path: Path
) -> None:
    values = [_ip(f"10.{i % 256}.{(i * 7) % 256}.{(i * 13) % 256}") for i in range(3000)]
    values += [_ip(f"2001:db8:{i:x}::/48", ItemOp.IN_NETWORK) for i in range(0, 4000, 3)]
    values += [_ip("0.0.0.0/1", ItemOp.IN_NETWORK), _ip("255.255.255.255")]
    values += [_ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), _ip("::")]
    path = tmp_path / "many.nft"
    path.write_bytes(render(values, CONTEXT).body)
    result = _nft_check(nft, path)
    assert result.returncode == 0, result.stderr


def test_overlapping_and_adjacent_values_become_one_element() -> None:
    items = [
        _ip("10.0.0.0/8", ItemOp.IN_NETWORK),
        _ip("10.1.0.0/16", ItemOp.IN_NETWORK),  # inside the /8
        _ip("11.0.0.0/8", ItemOp.IN_NETWORK),  # adjacent: with the /8 above, 10.0.0.0/7
        _ip("192.0.2.1"),
        _ip("192.0.2.2"),
        _ip("192.0.2.3"),  # three adjacent addresses: a range
        _ip("198.51.100.7"),
        _ip("198.51.100.7"),  # a duplicate
        _ip("2001:db8::/33", ItemOp.IN_NETWORK),
        _ip("2001:db8:8000::/33", ItemOp.IN_NETWORK),  # the other half of 2001:db8::/32
        _ip("2001:db8::1"),
    ]
    rendered = render(items, CONTEXT)
    assert elements(rendered.body) == {
        SET_V4: ["10.0.0.0/7", "192.0.2.1-192.0.2.3", "198.51.100.7"],
        SET_V6: ["2001:db8::/32"],
    }
    assert rendered.count == 4
    assert rendered.left_out == ()


def test_a_value_that_is_exactly_an_element_is_written_as_given() -> None:
    body = render([_ip("203.0.113.0/24", ItemOp.IN_NETWORK), _ip("2001:db8::7")], CONTEXT).body
    assert elements(body) == {SET_V4: ["203.0.113.0/24"], SET_V6: ["2001:db8::7"]}


def test_other_kinds_and_bad_values_are_left_out_as_unsupported() -> None:
    rendered = render(ITEMS, CONTEXT)
    ips = [item for item in ITEMS if item.kind is ItemKind.IP]
    assert len(rendered.left_out) == len(ITEMS) - len(ips)
    assert {out.reason for out in rendered.left_out} == {LeftOutReason.UNSUPPORTED}
    domain = next(out for out in rendered.left_out if out.kind is ItemKind.DOMAIN)
    assert "not domain values" in domain.detail
    bad = render(
        [_ip("not an address"), _ip("10.0.0.0/33", ItemOp.IN_NETWORK), _ip("a", ItemOp.SUBDOMAIN)],
        CONTEXT,
    )
    assert [out.value for out in bad.left_out] == ["a", "not an address", "10.0.0.0/33"]
    assert bad.count == 0
    assert "not an IP address or CIDR block" in bad.left_out[1].detail


def test_comments_cannot_be_broken_by_the_producer_name() -> None:
    context = ExportContext(CONTEXT.generated_at, "Evil\nflush ruleset", CONTEXT.serial)
    body = render([_ip("192.0.2.1")], context).body.decode()
    assert "\nflush ruleset" not in body
    assert "Evil flush ruleset" in body


_V4 = st.one_of(
    st.integers(0, 2**32 - 1),
    st.integers(0, 600).map(lambda n: 0x0A000000 + n),  # clustered: overlaps and adjacency
    st.sampled_from([0, 2**32 - 1]),
)
_V6 = st.one_of(
    st.integers(0, 2**128 - 1),
    st.integers(0, 600).map(lambda n: 0x20010DB8 << 96 | n),
    st.sampled_from([0, 2**128 - 1]),
)


@st.composite
def ip_values(draw: st.DrawFn) -> ExportItem:
    v6 = draw(st.booleans())
    number = draw(_V6 if v6 else _V4)
    width = 128 if v6 else 32
    if draw(st.booleans()):
        address = ipaddress.IPv6Address(number) if v6 else ipaddress.IPv4Address(number)
        return _ip(str(address))
    prefix = draw(st.integers(max(0, width - 12), width) | st.integers(0, width))
    network = ipaddress.ip_network((number, prefix), strict=False)
    return _ip(str(network), ItemOp.IN_NETWORK)


@settings(max_examples=200, deadline=None)
@given(st.lists(ip_values(), max_size=60))
def test_the_sets_cover_exactly_the_inputs_with_disjoint_elements(items: list[ExportItem]) -> None:
    found = elements(render(items, CONTEXT).body)
    for name, version in ((SET_V4, 4), (SET_V6, 6)):
        networks = [ipaddress.ip_network(item.value) for item in items]
        expected = collapse([n for n in networks if n.version == version])
        assert covered(found.get(name, []), version) == expected
        spans = [interval(element) for element in found.get(name, [])]
        assert spans == sorted(spans)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end + 1 < start  # disjoint and not adjacent: nothing left to merge
