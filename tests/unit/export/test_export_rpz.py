"""RPZ export: a zone that named-checkzone loads, whose records read back to the items, with
the draft's rpz-ip encoding, and names that cannot be owners left out with the reason.

Golden file ``golden/rpz.zone``; regenerate with ``ENTENTE_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.unit.export.conftest import check_golden, require_tool
from tests.unit.export.edge_items import CONTEXT, ITEMS
from tests.unit.export.rpz_reader import read_rpz

from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOutReason
from entente.export.rpz import DEFAULT_ORIGIN, render

_A = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
_B = "indicator--6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0"


def _item(
    kind: ItemKind, value: str, op: ItemOp = ItemOp.EQUALS, indicator_id: str = _A
) -> ExportItem:
    return ExportItem(indicator_id, kind, op, value, 60)


def _checkzone(body: bytes, tmp_path: Path, origin: str = DEFAULT_ORIGIN) -> str:
    tool = require_tool("named-checkzone")
    zone = tmp_path / "entente.rpz.zone"
    zone.write_bytes(body)
    result = subprocess.run(
        [tool, origin, str(zone)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_golden() -> None:
    rendered = render(ITEMS, CONTEXT)
    check_golden("rpz.zone", rendered.body)
    assert rendered.filename == "entente.rpz.zone"


def test_named_checkzone_loads_the_zone_with_the_context_serial(tmp_path: Path) -> None:
    out = _checkzone(render(ITEMS, CONTEXT).body, tmp_path)
    assert f"loaded serial {CONTEXT.serial}" in out


def test_records_read_back_to_the_items() -> None:
    triggers = read_rpz(render(ITEMS, CONTEXT).body.decode())
    assert triggers == {
        (ItemKind.IP, ItemOp.EQUALS, "198.51.100.7"),
        (ItemKind.IP, ItemOp.EQUALS, "2001:db8::7"),
        (ItemKind.IP, ItemOp.IN_NETWORK, "203.0.113.0/24"),
        (ItemKind.IP, ItemOp.IN_NETWORK, "2001:db8:0:0:1::/80"),
        (ItemKind.IP, ItemOp.IN_NETWORK, "2001:db8::/32"),
        (ItemKind.DOMAIN, ItemOp.EQUALS, "evil.example"),
        (ItemKind.DOMAIN, ItemOp.EQUALS, "_dmarc.x-y.example"),
        (ItemKind.DOMAIN, ItemOp.SUBDOMAIN, "bad.example"),
    }


@pytest.mark.parametrize(
    ("value", "owner"),
    [
        ("192.0.2.1", "32.1.2.0.192.rpz-ip"),
        ("10.0.0.0/8", "8.0.0.0.10.rpz-ip"),
        ("2001:db8::/32", "32.zz.db8.2001.rpz-ip"),
        ("::1", "128.1.zz.rpz-ip"),
        ("::/1", "1.zz.rpz-ip"),
        ("2001:db8::", "128.zz.db8.2001.rpz-ip"),
        # a single zero word stays "0"; the longest run is "zz"
        ("1:0:2:0:0:0:3:4", "128.4.3.zz.2.0.1.rpz-ip"),
        # on a tie the leftmost run is "zz" (RFC 5952 §4.2.3; BIND's canonical form)
        ("1:0:0:2:0:0:3:4", "128.4.3.0.0.2.zz.1.rpz-ip"),
        ("1:2:3:4:5:6:7:8", "128.8.7.6.5.4.3.2.1.rpz-ip"),
        ("::1:0", "128.0.1.zz.rpz-ip"),  # IPv4-compatible range: inet_ntop would write a quad
        ("fe80:0:0:1::/64", "64.zz.1.0.0.fe80.rpz-ip"),
    ],
)
def test_addresses_use_the_draft_rpz_ip_encoding(value: str, owner: str) -> None:
    op = ItemOp.IN_NETWORK if "/" in value else ItemOp.EQUALS
    body = render([_item(ItemKind.IP, value, op)], CONTEXT).body.decode()
    assert f"\n{owner} CNAME . ;" in body


def test_subdomains_are_a_wildcard_and_names_are_escaped(tmp_path: Path) -> None:
    items = [
        _item(ItemKind.DOMAIN, "evil.example", ItemOp.SUBDOMAIN),
        _item(ItemKind.DOMAIN, "evil.example"),
        _item(ItemKind.DOMAIN, "odd name;(x)@$.example"),  # not a normalised name, still safe
        _item(ItemKind.DOMAIN, "*.star.example"),  # a literal "*" label, not a wildcard
    ]
    rendered = render(items, CONTEXT)
    body = rendered.body.decode()
    assert "\n*.evil.example CNAME ." in body
    assert "\nevil.example CNAME ." in body
    assert "\n\\042.star.example CNAME ." in body
    _checkzone(rendered.body, tmp_path)
    assert (ItemKind.DOMAIN, ItemOp.EQUALS, "odd name;(x)@$.example") in read_rpz(body)


def test_names_that_cannot_be_owners_are_left_out(tmp_path: Path) -> None:
    longest_label = "a" * 63
    items = [
        _item(ItemKind.DOMAIN, "a" * 64 + ".example"),
        _item(ItemKind.DOMAIN, "a..example"),
        _item(ItemKind.DOMAIN, "münchen.example"),
        _item(ItemKind.DOMAIN, "x.rpz-ip"),
        _item(ItemKind.DOMAIN, "x.rpz-nsdname"),
        _item(ItemKind.DOMAIN, ".".join([longest_label] * 4)),  # 255 octets before the origin
        _item(ItemKind.IP, "0.0.0.0/0", ItemOp.IN_NETWORK),
        _item(ItemKind.IP, "10.0.0.0/8"),  # a block given as an address
        _item(ItemKind.URL, "http://evil.example/"),
    ]
    rendered = render(items, CONTEXT)
    assert all(out.reason is LeftOutReason.UNSUPPORTED for out in rendered.left_out)
    left = {out.value for out in rendered.left_out}
    assert left == {item.value for item in items}
    _checkzone(rendered.body, tmp_path)


def test_the_longest_name_that_fits_the_origin_is_kept(tmp_path: Path) -> None:
    # RFC 1035 §3.1: on the wire each label is a length octet and its octets, then the root's
    # zero octet, so name + origin take len(name) + 1 + len(origin) + 2 octets, at most 255.
    longest = 255 - len(DEFAULT_ORIGIN) - 3
    name = ".".join(["a" * (longest - 3 * 64), "b" * 63, "c" * 63, "d" * 63])
    assert len(name) == longest
    rendered = render([_item(ItemKind.DOMAIN, name), _item(ItemKind.DOMAIN, "x" + name)], CONTEXT)
    assert rendered.count == 1
    assert [out.value for out in rendered.left_out] == ["x" + name]
    _checkzone(rendered.body, tmp_path)


def test_one_record_per_trigger_names_every_indicator() -> None:
    items = [
        _item(ItemKind.DOMAIN, "evil.example", indicator_id=_A),
        _item(ItemKind.DOMAIN, "evil.example", indicator_id=_B),
        _item(ItemKind.IP, "192.0.2.1", indicator_id=_A),
        _item(ItemKind.IP, "192.0.2.1/32", ItemOp.IN_NETWORK, indicator_id=_B),
    ]
    rendered = render(items, CONTEXT)
    body = rendered.body.decode()
    assert rendered.count == 2
    assert f"\nevil.example CNAME . ; {_A} {_B}\n" in body
    assert f"\n32.1.2.0.192.rpz-ip CNAME . ; {_A} {_B}\n" in body


def test_the_serial_wraps_as_rfc_1982_serials_do(tmp_path: Path) -> None:
    from dataclasses import replace

    rendered = render(ITEMS, replace(CONTEXT, serial=2**32 + 5))
    assert " hostmaster.localhost. 5 " in rendered.body.decode()
    _checkzone(rendered.body, tmp_path)


def test_input_order_does_not_change_the_output() -> None:
    assert render(ITEMS, CONTEXT).body == render(tuple(reversed(ITEMS)), CONTEXT).body
