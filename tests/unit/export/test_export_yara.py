"""YARA export: rules that ``yara`` compiles and that match files by their hash, with valid,
unique, stable names, escaped meta, and other kinds left out with the reason.

Golden file ``golden/yara.yar``; regenerate with ``ENTENTE_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.export.conftest import check_golden, require_tool
from tests.unit.export.edge_items import CONTEXT, ITEMS

from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOutReason
from entente.export.yara import render

_ID = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
_RULE_RE = re.compile(r"^rule (\S+) : entente$", re.MULTILINE)
_META_RE = re.compile(r'^\s+(\w+) = ("(?:[^"\\]|\\.)*"|\d+)$', re.MULTILINE)


def _item(kind: ItemKind, value: str, *, indicator_id: str = _ID, name: str = "n") -> ExportItem:
    return ExportItem(indicator_id, kind, ItemOp.EQUALS, value, 90, name=name, tlp="clear")


def _yara(rules: bytes, target: Path, tmp_path: Path) -> list[str]:
    """Rule names ``yara`` reports for ``target``; fails the test if the rules do not compile."""
    tool = require_tool("yara")
    path = tmp_path / "entente.yar"
    path.write_bytes(rules)
    result = subprocess.run(
        [tool, "-w", str(path), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    return sorted(line.split()[0] for line in result.stdout.splitlines())


def _unquote(literal: str) -> str:
    """A YARA text string literal's value (escapes ``\\"``, ``\\\\``, ``\\xHH``)."""
    data = bytearray()
    body, i = literal[1:-1], 0
    while i < len(body):
        if body[i] == "\\":
            if body[i + 1] == "x":
                data.append(int(body[i + 2 : i + 4], 16))
                i += 4
                continue
            data += body[i + 1].encode()
            i += 2
            continue
        data += body[i].encode()
        i += 1
    return data.decode("utf-8")


def test_golden() -> None:
    rendered = render(ITEMS, CONTEXT)
    check_golden("yara.yar", rendered.body)
    assert rendered.filename == "entente.yar"


def test_yara_compiles_the_golden_rules(tmp_path: Path) -> None:
    assert _yara(render(ITEMS, CONTEXT).body, Path("/dev/null"), tmp_path) == []


def test_rules_match_files_by_md5_sha1_and_sha256(tmp_path: Path) -> None:
    data = b"entente sample payload\n"
    sample = tmp_path / "sample.bin"
    sample.write_bytes(data)
    items = [
        _item(ItemKind.MD5, hashlib.md5(data).hexdigest()),
        _item(ItemKind.SHA1, hashlib.sha1(data).hexdigest()),
        _item(ItemKind.SHA256, hashlib.sha256(data).hexdigest()),
        _item(ItemKind.SHA256, hashlib.sha256(b"other").hexdigest()),
    ]
    rendered = render(items, CONTEXT)
    names = _RULE_RE.findall(rendered.body.decode())
    matched = _yara(rendered.body, sample, tmp_path)
    assert len(matched) == 3
    assert set(matched) < set(names)
    assert all(("_md5_" in n or "_sha1_" in n or "_sha256_" in n) for n in matched)
    assert hashlib.sha256(b"other").hexdigest() not in " ".join(matched)


def test_rule_names_are_valid_unique_and_derived_from_the_indicator() -> None:
    md5 = "5d41402abc4b2a76b9719d911017c592"
    items = [
        _item(ItemKind.MD5, md5),
        _item(ItemKind.MD5, md5, indicator_id="indicator--not-a-uuid"),
        _item(ItemKind.MD5, md5, indicator_id="indicator--not_a-uuid"),
        _item(ItemKind.SHA256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
    ]
    names = _RULE_RE.findall(render(items, CONTEXT).body.decode())
    assert len(names) == len(set(names)) == 4
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", name) for name in names)
    assert f"entente_{_ID.removeprefix('indicator--').replace('-', '_')}_md5_{md5}" in names


def test_meta_carries_the_indicator_and_is_escaped(tmp_path: Path) -> None:
    name = 'A "quoted" name\\ with\nnewline, tab\t and ünïcode ✓'
    rendered = render([_item(ItemKind.MD5, "0" * 32, name=name)], CONTEXT)
    meta = dict(_META_RE.findall(rendered.body.decode()))
    assert _unquote(meta["indicator"]) == _ID
    assert _unquote(meta["name"]) == name
    assert meta["score"] == "90"
    assert _unquote(meta["tlp"]) == "clear"
    assert rendered.body.isascii()
    _yara(rendered.body, Path("/dev/null"), tmp_path)


def test_other_kinds_and_bad_hashes_are_left_out_with_the_reason() -> None:
    rendered = render([*ITEMS, _item(ItemKind.MD5, "XYZ"), _item(ItemKind.SHA1, "A" * 40)], CONTEXT)
    assert rendered.count == 3
    assert all(out.reason is LeftOutReason.UNSUPPORTED for out in rendered.left_out)
    kinds = {out.kind for out in rendered.left_out}
    assert ItemKind.MD5 in kinds and ItemKind.DOMAIN in kinds and ItemKind.IP in kinds
    unique = {(i.indicator_id, i.kind, i.op, i.value) for i in ITEMS}
    assert rendered.count + len(rendered.left_out) == len(unique) + 2


def test_input_order_does_not_change_the_output() -> None:
    assert render(ITEMS, CONTEXT).body == render(tuple(reversed(ITEMS)), CONTEXT).body


@settings(max_examples=100, deadline=None)
@given(name=st.text(st.characters(codec="utf-8"), max_size=60))
def test_any_name_round_trips_through_the_meta_string(name: str) -> None:
    rendered = render([_item(ItemKind.MD5, "0" * 32, name=name)], CONTEXT)
    meta = dict(_META_RE.findall(rendered.body.decode()))
    if name:
        assert _unquote(meta["name"]) == name[:1000]
    else:
        assert "name" not in meta
