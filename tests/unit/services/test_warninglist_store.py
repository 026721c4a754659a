"""The node's warninglists on disk: imports, defaults, allowed values, the set in force."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from entente.errors import StorageError
from entente.scoring import default_warninglists
from entente.services.warninglist_store import WarninglistStore, safe_name

LISTS = Path(__file__).parents[2] / "data" / "warninglists" / "lists"


def _copy(tmp_path: Path, *names: str) -> Path:
    """A MISP-style ``lists/`` directory with some of the test lists."""
    root = tmp_path / "misp" / "lists"
    for name in names:
        shutil.copytree(LISTS / name, root / name)
    return root


def test_a_directory_in_misp_layout_is_imported_list_by_list(tmp_path: Path) -> None:
    store = WarninglistStore.in_home(tmp_path / "home")
    root = _copy(tmp_path, "rfc1918", "sinkholes")
    (root.parent / "schema.json").write_text("{}")  # not a list: MISP's layout skips it
    report = store.import_paths([root.parent])
    assert report.errors == ()
    assert [(i.stored_as, i.replaced) for i in report.imported] == [
        ("rfc1918", False),
        ("sinkholes", False),
    ]
    stored = orjson.loads((tmp_path / "home" / "warninglists" / "rfc1918.json").read_bytes())
    assert stored["name"] == "List of RFC 1918 CIDR blocks"
    assert stored["list"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    again = store.import_paths([root / "rfc1918" / "list.json"])
    assert [(i.stored_as, i.replaced) for i in again.imported] == [("rfc1918", True)]


def test_a_bad_file_is_reported_and_the_others_are_imported(tmp_path: Path) -> None:
    store = WarninglistStore.in_home(tmp_path / "home")
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x", "type": "cidr", "list": ["not-an-address"]}')
    not_json = tmp_path / "notes.json"
    not_json.write_text("hello")
    good = LISTS / "multicast" / "list.json"
    report = store.import_paths([broken, not_json, tmp_path / "missing.json", good])
    assert [i.stored_as for i in report.imported] == ["multicast"]
    reasons = dict(report.errors)
    assert "list[0]" in reasons[str(broken)] and "not-an-address" in reasons[str(broken)]
    assert "not valid JSON" in reasons[str(not_json)]
    assert reasons[str(tmp_path / "missing.json")] == "no such file or directory"
    assert not (tmp_path / "home" / "warninglists" / "broken.json").exists()


def test_the_defaults_apply_unless_turned_off_and_an_import_replaces_its_namesake(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    store = WarninglistStore.in_home(home)
    defaults = {wl.name for wl in default_warninglists()}
    assert {item.warninglist.name for item in store.lists()} == defaults
    store.import_paths([LISTS / "rfc1918" / "list.json", LISTS / "cloudflare" / "list.json"])
    listed = {item.warninglist.name: item.origin for item in store.lists()}
    assert listed["List of RFC 1918 CIDR blocks"] == "imported"
    assert listed["List of known Cloudflare IP ranges"] == "imported"
    assert len(listed) == len(defaults) + 1
    off = WarninglistStore.in_home(home, defaults=False)
    assert [item.stored_as for item in off.lists()] == ["cloudflare", "rfc1918"]
    assert off.current().match("ip", "equals", "8.8.8.8") is None
    assert store.current().match("ip", "equals", "8.8.8.8") is not None


def test_allowed_values_are_kept_sorted_and_apply_at_once(tmp_path: Path) -> None:
    store = WarninglistStore.in_home(tmp_path / "home")
    assert store.current().match("ip", "equals", "8.8.8.8") is not None
    assert store.allow("8.8.8.8") is True
    assert store.allow("1.1.1.1") is True
    assert store.allow("8.8.8.8") is False
    assert orjson.loads(store.allow_path.read_bytes()) == ["1.1.1.1", "8.8.8.8"]
    assert store.current().match("ip", "equals", "8.8.8.8") is None
    hit, allowed = store.check("ip", "equals", "8.8.8.8")
    assert allowed and hit is not None and hit.entry == "8.8.8.8"
    assert store.disallow("8.8.8.8") is True
    assert store.disallow("8.8.8.8") is False
    assert store.current().match("ip", "equals", "8.8.8.8") is not None


def test_the_set_is_built_once_until_a_file_changes(tmp_path: Path) -> None:
    store = WarninglistStore.in_home(tmp_path / "home")
    first = store.current()
    assert store.current() is first
    store.import_paths([LISTS / "sinkholes" / "list.json"])
    assert store.current() is not first


def test_damaged_files_are_storage_errors(tmp_path: Path) -> None:
    store = WarninglistStore.in_home(tmp_path / "home")
    store.allow_path.parent.mkdir(parents=True)
    store.allow_path.write_text('{"not": "a list"}')
    with pytest.raises(StorageError, match="array of strings"):
        store.allowed()
    store.directory.mkdir()
    (store.directory / "bad.json").write_text("[]")
    with pytest.raises(StorageError, match="import it again"):
        store.imported()


def test_remove_forgets_an_imported_list(tmp_path: Path) -> None:
    store = WarninglistStore.in_home(tmp_path / "home", defaults=False)
    store.import_paths([LISTS / "sinkholes" / "list.json"])
    assert store.remove("sinkholes") is True
    assert store.remove("sinkholes") is False
    assert store.lists() == []


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("lists/public-dns-v4/list.json", "public-dns-v4"),
        ("My Lists/Corp Allow.JSON", "corp-allow"),
        ("../../etc/passwd.json", "passwd"),
        ("/tmp/.json", "json"),
        ("/tmp/---.json", "warninglist"),
    ],
)
def test_stored_names_are_safe_file_names(path: str, name: str) -> None:
    assert safe_name(Path(path)) == name
