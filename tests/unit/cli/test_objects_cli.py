"""``entente objects list``: pages with a cursor, and a type that does not exist is an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

from entente.cli.output import ExitCode

DATA = Path(__file__).parents[2] / "data" / "corpus"
POISONIVY = DATA / "stix" / "cti-documentation" / "poisonivy.json"
ICS = DATA / "mitre-attack" / "ics-attack.json"


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """A node holding the Poison Ivy report (OASIS CTI documentation): 155 objects."""
    invoke = cli_for(tmp_path / "home")
    assert invoke("ingest", str(POISONIVY)).exit_code == 0
    return invoke


def _listed(run: Any, *args: str) -> dict[str, Any]:
    result = run("objects", "list", *args, "--json")
    assert result.exit_code == 0, result.output
    listed: dict[str, Any] = orjson.loads(result.stdout)
    return listed


def test_following_next_lists_every_object_once_in_the_order_added(run: Any) -> None:
    everything = [item["id"] for item in _listed(run, "--limit", "1000")["objects"]]
    assert len(everything) == 155 + 9  # the report's objects and the built-in markings
    walked: list[str] = []
    cursor: list[str] = []
    pages = 0
    while True:
        page = _listed(run, "--limit", "50", *cursor)
        pages += 1
        walked += [item["id"] for item in page["objects"]]
        assert page["more"] is (page["next"] is not None)
        if page["next"] is None:
            break
        cursor = ["--cursor", page["next"]]
    assert pages == 4
    assert walked == everything


def test_a_cursor_pages_within_the_types_it_was_printed_for(run: Any) -> None:
    indicators = [item["id"] for item in _listed(run, "-t", "indicator", "-n", "100")["objects"]]
    first = _listed(run, "--type", "indicator", "--limit", "3")
    assert first["next"] is not None
    rest = _listed(run, "--type", "indicator", "--limit", "100", "--cursor", first["next"])
    assert [item["id"] for item in first["objects"] + rest["objects"]] == indicators
    assert rest["next"] is None
    assert {item["type"] for item in rest["objects"]} == {"indicator"}


def test_the_human_listing_prints_the_next_cursor_only_when_more_remain(run: Any) -> None:
    more = run("objects", "list", "--type", "indicator", "--limit", "3")
    assert more.exit_code == 0, more.output
    [line] = [x for x in more.stdout.splitlines() if x.startswith("next cursor: ")]
    cursor = line.split()[2]
    assert f"entente objects list --type indicator --cursor {cursor}" in line
    rest = run("objects", "list", "--type", "indicator", "--limit", "1000", "--cursor", cursor)
    assert rest.exit_code == 0, rest.output
    assert "next cursor" not in rest.stdout


def test_a_cursor_for_other_types_or_made_up_is_a_usage_error(run: Any) -> None:
    cursor = _listed(run, "--type", "indicator", "--limit", "3")["next"]
    for args in (("--type", "malware", "--cursor", cursor), ("--cursor", "not-a-cursor")):
        result = run("objects", "list", *args, "--json")
        assert result.exit_code == ExitCode.INPUT
        assert "is not one that `entente objects list` printed" in said(result)
        assert result.stdout == ""


def test_a_typo_in_the_type_is_an_error_naming_the_closest_and_every_stix_type(
    run: Any,
) -> None:
    result = run("objects", "list", "--type", "indicatr", "--json")
    assert result.exit_code == ExitCode.INPUT
    message = said(result)
    assert "--type 'indicatr' is no STIX 2.1 type" in message
    assert "did you mean 'indicator'?" in message
    for name in ("attack-pattern", "ipv4-addr", "x509-certificate"):
        assert name in message
    assert result.stdout == ""


def test_a_custom_type_is_listed_when_the_node_holds_one_and_an_error_otherwise(
    tmp_path: Path,
) -> None:
    run = cli_for(tmp_path / "home")
    assert run("objects", "list", "--type", "x-mitre-tactic").exit_code == ExitCode.INPUT
    assert run("ingest", str(ICS)).exit_code == 0
    tactics = _listed(run, "--type", "x-mitre-tactic", "--limit", "100")
    assert len(tactics["objects"]) == 12  # ATT&CK for ICS's tactics
    missing = run("objects", "list", "--type", "x-mitre-tactics", "--json")
    assert missing.exit_code == ExitCode.INPUT
    assert "nor a custom type of an object stored here" in said(missing)
