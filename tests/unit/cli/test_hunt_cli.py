"""``entente hunt`` in-process: only new hits, the archive setting, --since, exit codes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

from entente.cli.hunt import parse_duration
from entente.errors import InvalidInput

NODE = "US CERT"
FIRST = "indicator--e0000000-0000-4000-8000-000000000001"
SECOND = "indicator--e0000000-0000-4000-8000-000000000002"
HOUR_US = 3_600 * 1_000_000


def _bundle(path: Path, *indicators: tuple[str, str]) -> str:
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": indicator_id,
            "created": "2025-01-01T00:00:00.000Z",
            "modified": "2025-01-01T00:00:00.000Z",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2025-01-01T00:00:00Z",
        }
        for indicator_id, pattern in indicators
    ]
    path.write_bytes(
        orjson.dumps({"type": "bundle", "id": f"bundle--{FIRST[11:]}", "objects": objects})
    )
    return str(path)


@pytest.fixture
def run(tmp_path: Path) -> Any:
    invoke = cli_for(tmp_path / "home", NODE)
    # The shipped RFC 5735 list names the documentation addresses these tests match; the
    # warninglists have tests of their own (test_match_warninglists_cli.py).
    (tmp_path / "home" / "entente.toml").write_text("default_warninglists = false\n")
    bundle = _bundle(tmp_path / "first.json", (FIRST, "[domain-name:value = 'evil.example']"))
    assert invoke("ingest", bundle).exit_code == 0
    return invoke


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    lines = [
        {"ts": 1763000000.0, "uid": "C1", "id.orig_h": "10.0.0.1", "id.resp_h": "203.0.113.9",
         "query": "evil.example", "_path": "dns"},
        {"ts": 1763000001.0, "uid": "C2", "id.orig_h": "10.0.0.2", "id.resp_h": "192.0.2.1",
         "query": "good.example", "_path": "dns"},
    ]  # fmt: skip
    (folder / "dns.log").write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return folder


@pytest.mark.parametrize(
    ("text", "micros"),
    [("30d", 30 * 24 * HOUR_US), ("12h", 12 * HOUR_US), ("90m", 90 * 60_000_000),
     ("1d12h", 36 * HOUR_US), ("2w", 14 * 24 * HOUR_US), (" 45S ", 45_000_000)],
)  # fmt: skip
def test_durations_read_as_numbers_with_units(text: str, micros: int) -> None:
    assert parse_duration(text) == micros


@pytest.mark.parametrize("text", ["30", "d", "-1d", "1.5h", "3 days", "0d", ""])
def test_other_durations_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="--since"):
        parse_duration(text)


def test_a_second_hunt_reports_only_the_new_indicators_hits(
    run: Any, archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hits.jsonl"
    first = run("hunt", "--archive", str(archive), "--out", str(out), "--json")
    assert first.exit_code == 0, first.output
    summary = orjson.loads(first.stdout)
    assert (summary["hits"], summary["new_files"], summary["new_indicators"]) == (1, 1, 1)
    assert len(summary["sightings"]) == 1
    assert [orjson.loads(line)["indicator_id"] for line in out.read_bytes().splitlines()] == [FIRST]
    again = orjson.loads(run("hunt", "--archive", str(archive), "--json").stdout)
    assert (again["hits"], again["unchanged_files"], again["sightings"]) == (0, 1, [])
    second = _bundle(tmp_path / "second.json", (SECOND, "[ipv4-addr:value = '192.0.2.1']"))
    assert run("ingest", second).exit_code == 0
    result = run("hunt", "--archive", str(archive), "--no-sightings", "--out", str(out))
    assert result.exit_code == 0, result.output
    [hit] = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert (hit["indicator_id"], hit["record"], hit["field"]) == (SECOND, 2, "id.resp_h")
    text = " ".join(result.stdout.split())
    assert "Hunt: new hits only" in text
    assert "1 unchanged" in text
    listed = orjson.loads(run("objects", "list", "--type", "sighting", "--json").stdout)
    assert len(listed["objects"]) == 1  # --no-sightings stored none the third time


def test_the_archive_comes_from_the_node_settings(run: Any, archive: Path, tmp_path: Path) -> None:
    # A TOML literal string ('...') takes a path as it is.
    with (tmp_path / "home" / "entente.toml").open("a") as config:
        config.write(f"hunt_archive = ['{archive}']\n")
    result = run("hunt", "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["hits"] == 1


def test_since_leaves_files_older_than_the_window_for_later(run: Any, archive: Path) -> None:
    os.utime(archive / "dns.log", (0, 0))
    summary = orjson.loads(
        run("hunt", "--archive", str(archive), "--since", "30d", "--json").stdout
    )
    assert (summary["skipped_files"], summary["hits"]) == (1, 0)


def test_without_an_archive_hunt_says_how_to_name_one(run: Any) -> None:
    result = run("hunt")
    assert result.exit_code == 2
    assert "no archive to hunt: pass --archive PATH or set ENTENTE_HUNT_ARCHIVE" in said(result)


def test_a_bad_since_is_a_usage_error(run: Any, archive: Path) -> None:
    result = run("hunt", "--archive", str(archive), "--since", "a month")
    assert result.exit_code == 2
    assert "is not a duration" in said(result)
