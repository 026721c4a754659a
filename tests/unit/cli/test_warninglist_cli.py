"""``entente warninglist`` in-process: import, list, check, allow, disallow, remove."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

from entente.cli.warninglist import Kind, classify
from entente.errors import InvalidInput

LISTS = Path(__file__).parents[2] / "data" / "warninglists" / "lists"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.fixture
def run(tmp_path: Path) -> Any:
    return cli_for(tmp_path / "home", "US CERT")


def test_import_a_misp_directory_then_list_it(run: Any, tmp_path: Path) -> None:
    root = tmp_path / "lists"
    for name in ("sinkholes", "crl-hostname"):
        shutil.copytree(LISTS / name, root / name)
    result = run("warninglist", "import", str(root))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "imported sinkholes: 'List of known sinkholes' (cidr, 107 entries)" in text
    listed = run("warninglist", "list", "--json")
    assert listed.exit_code == 0, listed.output
    document = orjson.loads(listed.stdout)
    assert document["defaults"] is True
    origins = {wl["name"]: (wl["origin"], wl["stored_as"]) for wl in document["warninglists"]}
    assert origins["List of known sinkholes"] == ("imported", "sinkholes")
    assert origins["CRL and OCSP domains"] == ("imported", "crl-hostname")
    assert origins["List of RFC 1918 CIDR blocks"] == ("default", None)
    [sinkholes] = [wl for wl in document["warninglists"] if wl["stored_as"] == "sinkholes"]
    assert (sinkholes["type"], sinkholes["category"], sinkholes["entries"]) == (
        "cidr",
        "false-positive",
        107,
    )
    table = run("warninglist", "list")
    assert table.exit_code == 0
    assert "13 warninglists" in table.stdout  # the 11 defaults and the 2 imported


def test_a_bad_file_among_good_ones_exits_1_and_only_bad_ones_exit_2(
    run: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "Bad", "type": "regex", "list": ["(unclosed"]}')
    mixed = run("warninglist", "import", str(bad), str(LISTS / "multicast" / "list.json"))
    assert mixed.exit_code == 1
    assert "imported multicast" in mixed.stdout
    assert f"{bad}: list[0]:" in said(mixed)
    only_bad = run("warninglist", "import", str(bad), str(tmp_path / "nowhere"))
    assert only_bad.exit_code == 2
    assert "nowhere: no such file or directory" in said(only_bad)


def test_check_names_the_list_and_entry(run: Any) -> None:
    result = run("warninglist", "check", "1.1.1.1")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert text == (
        "ip 1.1.1.1: on warninglist 'List of known IPv4 public DNS resolvers' (entry 1.1.1.1): "
        "it is not exported"
    )
    clean = run("warninglist", "check", "evil.example")
    assert " ".join(clean.stdout.split()) == "domain evil.example: on no warninglist"
    document = orjson.loads(run("warninglist", "check", "10.0.0.0/8", "--json").stdout)
    assert document["kind"] == "ip" and document["op"] == "in_network"
    assert document["exported"] is False
    assert document["warninglist"]["name"] == "List of RFC 1918 CIDR blocks"
    assert document["warninglist"]["entry"] == "10.0.0.0/8"


def test_allow_and_disallow(run: Any) -> None:
    assert run("warninglist", "allow", "GOOGLE.com.").stdout.strip() == "google.com: allowed"
    assert run("warninglist", "allow", "google.com").stdout.strip() == (
        "google.com: already allowed"
    )
    document = orjson.loads(run("warninglist", "check", "google.com", "--json").stdout)
    assert (document["allowed"], document["exported"]) == (True, True)
    assert document["warninglist"]["entry"] == "google.com"
    assert "but allowed: it is exported" in " ".join(
        run("warninglist", "check", "google.com").stdout.split()
    )
    assert orjson.loads(run("warninglist", "list", "--json").stdout)["allowed"] == ["google.com"]
    assert run("warninglist", "disallow", "google.com").stdout.strip() == (
        "google.com: no longer allowed"
    )
    assert (
        orjson.loads(run("warninglist", "check", "google.com", "--json").stdout)["exported"]
        is False
    )


def test_remove_an_imported_list(run: Any) -> None:
    run("warninglist", "import", str(LISTS / "sinkholes" / "list.json"))
    assert run("warninglist", "remove", "sinkholes").exit_code == 0
    again = run("warninglist", "remove", "sinkholes")
    assert again.exit_code == 2
    assert "no imported warninglist is stored as 'sinkholes'" in said(again)


def test_a_value_that_is_not_one_exits_2(run: Any) -> None:
    result = run("warninglist", "check", "not a value!")
    assert result.exit_code == 2
    assert "is not a valid domain value" in said(result)


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("8.8.8.8", Kind.AUTO, ("ip", "equals", "8.8.8.8")),
        ("2001:DB8::1", Kind.AUTO, ("ip", "equals", "2001:db8::1")),
        ("10.1.2.3/8", Kind.AUTO, ("ip", "in_network", "10.0.0.0/8")),
        ("*.Evil.Example", Kind.AUTO, ("domain", "subdomain", "evil.example")),
        ("HTTP://Evil.Example:80/a", Kind.AUTO, ("url", "equals", "http://evil.example/a")),
        ("Bob@Evil.Example", Kind.AUTO, ("email", "equals", "bob@evil.example")),
        (EMPTY_MD5.upper(), Kind.AUTO, ("md5", "equals", EMPTY_MD5)),
        (EMPTY_SHA256, Kind.AUTO, ("sha256", "equals", EMPTY_SHA256)),
        (EMPTY_MD5, Kind.JA3, ("ja3", "equals", EMPTY_MD5)),
    ],
)  # fmt: skip
def test_classify_reads_a_value_as_the_kind_it_looks_like(
    text: str, kind: Kind, expected: tuple[str, str, str]
) -> None:
    assert classify(text, kind) == expected


def test_classify_refuses_a_value_of_the_wrong_kind() -> None:
    with pytest.raises(InvalidInput, match="not a valid ip value"):
        classify("evil.example", Kind.IP)


@pytest.mark.parametrize(
    ("value", "kind", "list_name", "entry"),
    [
        ("::1", "ip", "List of IPv6 special-purpose CIDR blocks", "::1/128"),
        ("fe80::1", "ip", "List of IPv6 special-purpose CIDR blocks", "fe80::/10"),
        ("fc00::1", "ip", "List of IPv6 special-purpose CIDR blocks", "fc00::/7"),
        ("fd12:3456::1", "ip", "List of IPv6 special-purpose CIDR blocks", "fc00::/7"),
        ("2001:db8::5", "ip", "List of IPv6 special-purpose CIDR blocks", "2001:db8::/32"),
        ("3fff:0:1::1", "ip", "List of IPv6 special-purpose CIDR blocks", "3fff::/20"),
        ("ff02::1", "ip", "List of IPv6 special-purpose CIDR blocks", "ff00::/8"),
        ("100.64.0.1", "ip", "List of RFC 6598 CIDR blocks", "100.64.0.0/10"),
        ("100.127.255.254", "ip", "List of RFC 6598 CIDR blocks", "100.64.0.0/10"),
        ("localhost", "domain", "List of RFC 6761 localhost names", "localhost"),
        ("db.localhost", "domain", "List of RFC 6761 localhost names", "localhost"),
    ],
)
def test_special_use_addresses_and_names_are_on_a_shipped_list(
    run: Any, value: str, kind: str, list_name: str, entry: str
) -> None:
    result = run("warninglist", "check", value, "--json")
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert document["kind"] == kind
    assert document["exported"] is False
    assert document["warninglist"]["name"].startswith(list_name)
    assert document["warninglist"]["entry"] == entry


@pytest.mark.parametrize("value", ["100.128.0.1", "2001:db9::1", "notlocalhost.example"])
def test_addresses_beside_the_special_ranges_are_on_no_list(run: Any, value: str) -> None:
    result = run("warninglist", "check", value, "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["warninglist"] is None
