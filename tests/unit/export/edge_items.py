"""A fixed list of export items covering every kind and op, for the edge renderers' golden
files (Suricata, Zeek, RPZ, YARA), and the context they are rendered in."""

from __future__ import annotations

from entente.export.model import ExportContext, ExportItem, ItemKind, ItemOp

CONTEXT = ExportContext(
    generated_at="2026-11-26T12:00:00.000Z", producer="ACME CERT", serial=1_796_212_800
)

_A = "indicator--0b1a6c8e-6d1c-4c3e-9a53-2f0c1c7e9a01"
_B = "indicator--1c2b7d9f-7e2d-4d4f-8b64-3a1d2d8fab12"
_C = "indicator--2d3c8ea0-8f3e-4e50-9c75-4b2e3e90bc23"
_ORG = "identity--8a1f3b2c-9d4e-4f5a-8b6c-7d8e9f0a1b2c"
_MODIFIED = "2026-11-20T08:30:00.000Z"


def _item(
    indicator_id: str,
    kind: ItemKind,
    value: str,
    op: ItemOp = ItemOp.EQUALS,
    *,
    score: int = 80,
    name: str | None = "Sample campaign",
) -> ExportItem:
    return ExportItem(
        indicator_id=indicator_id,
        kind=kind,
        op=op,
        value=value,
        score=score,
        name=name,
        labels=("malicious-activity",),
        tlp="amber",
        created_by_ref=_ORG,
        modified=_MODIFIED,
    )


ITEMS: tuple[ExportItem, ...] = (
    _item(_A, ItemKind.IP, "198.51.100.7"),
    _item(_A, ItemKind.IP, "2001:db8::7"),
    _item(_A, ItemKind.IP, "203.0.113.0/24", ItemOp.IN_NETWORK),
    _item(_A, ItemKind.IP, "2001:db8:0:0:1::/80", ItemOp.IN_NETWORK),
    _item(_B, ItemKind.IP, "2001:db8::/32", ItemOp.IN_NETWORK, score=45),
    _item(_A, ItemKind.DOMAIN, "evil.example"),
    _item(_B, ItemKind.DOMAIN, "evil.example", score=55, name='Quote " and\ttab'),
    _item(_A, ItemKind.DOMAIN, "_dmarc.x-y.example"),
    _item(_C, ItemKind.DOMAIN, "bad.example", ItemOp.SUBDOMAIN, name="Bad zone\nsecond line"),
    _item(_A, ItemKind.URL, 'http://user@evil.example:8080/dl.php?a=1;b="x"|y'),
    _item(_A, ItemKind.URL, "http://192.0.2.10/gate.php"),
    _item(_A, ItemKind.URL, "https://evil.example/login"),
    _item(_A, ItemKind.URL, "ftp://files.evil.example/payload.bin"),
    _item(_A, ItemKind.EMAIL, "phish@evil.example"),
    _item(_C, ItemKind.MD5, "5d41402abc4b2a76b9719d911017c592", name="Dropper ünïcode"),
    _item(_C, ItemKind.SHA1, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", name=None),
    _item(
        _C,
        ItemKind.SHA256,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        score=100,
    ),
    _item(_B, ItemKind.JA3, "e7d705a3286e19ea42f587b344ee6865"),
    _item(_B, ItemKind.JA3S, "ae4edc6faf64d08308082ad26be60767"),
    _item(_B, ItemKind.JA4, "t13d1516h2_8daaf6152771_b0da82dd1658"),
    _item(_B, ItemKind.URL, "http://evil.example/", ItemOp.IN_NETWORK),
)
