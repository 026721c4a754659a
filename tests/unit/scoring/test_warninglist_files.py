"""``load_warninglists`` (files, directories, MISP's layout) and the shipped defaults."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest

from entente.errors import InvalidInput, MalformedDocument
from entente.scoring import default_warninglists, load_warninglists

MISP_LISTS = Path(__file__).parents[2] / "data" / "warninglists" / "lists"


def test_a_misp_lists_directory_is_read_in_path_order() -> None:
    lists = load_warninglists([MISP_LISTS])
    names = [path.parent.name for path in sorted(MISP_LISTS.glob("*/list.json"))]
    assert len(lists) == len(names) == 21
    assert [Path(wl.source).parent.name for wl in lists] == names
    by_name = {wl.name: wl for wl in lists}
    assert len(by_name["List of known IPv4 public DNS resolvers"].entries) == 62745


def test_files_and_directories_mix_and_keep_the_order_given(tmp_path: Path) -> None:
    single = tmp_path / "mine.json"
    single.write_text(json.dumps({"name": "mine", "type": "string", "list": ["x.test"]}))
    lists = load_warninglists([single, MISP_LISTS / "rfc1918"])
    assert [wl.name for wl in lists] == ["mine", "List of RFC 1918 CIDR blocks"]
    assert lists[0].source == str(single)


def test_a_directory_with_list_json_files_reads_only_those(tmp_path: Path) -> None:
    # A misp-warninglists checkout has schema.json and helper files beside the lists.
    shutil.copytree(MISP_LISTS / "rfc1918", tmp_path / "lists" / "rfc1918")
    (tmp_path / "schema.json").write_text('{"title": "Validator for misp-warninglists"}')
    lists = load_warninglists([tmp_path])
    assert [wl.name for wl in lists] == ["List of RFC 1918 CIDR blocks"]


def test_a_directory_of_plain_json_files_reads_them_all_recursively(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name, where in (("b", tmp_path), ("a", tmp_path / "sub")):
        (where / f"{name}.json").write_text(json.dumps({"name": name, "list": ["v"]}))
    assert [wl.name for wl in load_warninglists([tmp_path])] == ["b", "a"]  # b.json < sub/a.json


def test_broken_json_is_a_malformed_document_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x", "list": [')
    with pytest.raises(MalformedDocument, match=f"^{path}: not valid JSON"):
        load_warninglists([path])


def test_a_bad_entry_names_the_file_and_the_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "x", "type": "cidr", "list": ["10.0.0.0/8", "nope"]}))
    with pytest.raises(InvalidInput, match=f"^{path}: list\\[1\\]: 'nope' is not an IPv4"):
        load_warninglists([path])


def test_missing_paths_and_empty_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_warninglists([tmp_path / "absent.json"])
    with pytest.raises(InvalidInput, match=r"no \*\.json warninglist files"):
        load_warninglists([tmp_path])


def test_defaults_are_the_promised_lists() -> None:
    lists = default_warninglists()
    assert [wl.name for wl in lists] == [
        "List of known hashes for empty files",
        "List of IPv6 special-purpose CIDR blocks (RFC 4291, 4193, 3849, 9637)",
        "List of RFC 6761 localhost names",
        "List of RFC 5771 multicast CIDR blocks",
        "List of known IPv4 public DNS resolvers",
        "List of known IPv6 public DNS resolvers",
        "List of RFC 1918 CIDR blocks",
        "List of RFC 5735 CIDR blocks",
        "List of RFC 6598 CIDR blocks",
        "List of RFC 6761 Special-Use Domain Names",
        "Top 10K most-used sites from Tranco",
    ]
    assert lists[0].source == "entente:default_warninglists/empty-hashes.json"
    assert all(wl.ignored == () for wl in lists)


def test_shipped_defaults_stay_small_and_are_attributed() -> None:
    directory = resources.files("entente.scoring").joinpath("default_warninglists")
    files = [f for f in directory.iterdir() if f.name.endswith(".json")]
    assert sum(len(f.read_bytes()) for f in files) < 1_000_000
    sources = directory.joinpath("SOURCES.md").read_text("utf-8")
    assert "MISP/misp-warninglists" in sources
    assert "CC0-1.0" in sources
    for f in files:
        assert f"`{f.name}`" in sources


def test_unmodified_defaults_are_byte_copies_of_the_upstream_files() -> None:
    directory = resources.files("entente.scoring").joinpath("default_warninglists")
    for name in ("empty-hashes", "multicast", "public-dns-v6", "rfc1918", "rfc5735", "rfc6761"):
        shipped = directory.joinpath(f"{name}.json").read_bytes()
        assert shipped == (MISP_LISTS / name / "list.json").read_bytes(), name


def test_reduced_defaults_are_subsets_of_the_upstream_lists() -> None:
    directory = resources.files("entente.scoring").joinpath("default_warninglists")
    for name in ("public-dns-v4", "tranco10k"):
        shipped = json.loads(directory.joinpath(f"{name}.json").read_bytes())
        upstream = json.loads((MISP_LISTS / name / "list.json").read_bytes())
        assert set(shipped["list"]) < set(upstream["list"])
        assert {k: v for k, v in shipped.items() if k != "list"} == {
            k: v for k, v in upstream.items() if k != "list"
        }
