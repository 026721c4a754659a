"""``entente hunt`` in-process: only new hits, the archive setting, --since, exit codes."""

from __future__ import annotations

import os
import shutil
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


LOGS = Path(__file__).parents[2] / "data" / "logs"
ATTACKER = "indicator--e0000000-0000-4000-8000-000000000003"
MIRROR = "indicator--e0000000-0000-4000-8000-000000000004"


@pytest.fixture
def real(tmp_path: Path) -> tuple[Any, Path]:
    """A node (shipped warninglists on) hunting copies of the real Suricata and Zeek samples
    for the honeypot's attacker and a mirror the Zeek DNS log looks up (neither is listed).

    The copies are new files (``shutil.copy`` gives them the current mtime), so ``--since``
    reads them: only their records, from 2018 and 2019, are older than any window.
    """
    invoke = cli_for(tmp_path / "real-home", NODE)
    bundle = _bundle(
        tmp_path / "real.json",
        (ATTACKER, "[ipv4-addr:value = '138.68.3.71']"),
        (MIRROR, "[domain-name:value = 'mirror.atlantic.net']"),
    )
    assert invoke("ingest", bundle).exit_code == 0
    folder = tmp_path / "real-archive"
    folder.mkdir()
    shutil.copy(LOGS / "suricata" / "honeypot-2018" / "alerts-only.json", folder / "eve.json")
    shutil.copy(LOGS / "zeek" / "zeek-default" / "dns.log.gz", folder / "dns.log.gz")
    return invoke, folder


def test_since_counts_and_shows_the_hits_older_than_the_window(real: tuple[Any, Path]) -> None:
    run, folder = real
    everything = orjson.loads(
        run("hunt", "--archive", str(folder), "--no-sightings", "--reset", "--json").stdout
    )
    by_id = {i["id"]: i["hits"] for i in everything["by_indicator"]}
    assert set(by_id) == {ATTACKER, MIRROR}
    windowed = run("hunt", "--archive", str(folder), "--since", "30d", "--reset", "--json")
    assert windowed.exit_code == 0, windowed.output
    summary = orjson.loads(windowed.stdout)
    # Every record of the samples is years old: each hit is skipped, and counted.
    assert (summary["hits"], summary["skipped_files"]) == (0, 0)
    assert summary["skipped_old_hits"] == everything["hits"] == sum(by_id.values())
    human = run("hunt", "--archive", str(folder), "--since", "30d", "--reset")
    assert human.exit_code == 0, human.output
    text = " ".join(human.stdout.split())
    assert f"skipped {everything['hits']:,} hits older than 30d" in text


def test_since_does_not_count_hits_reported_before(real: tuple[Any, Path]) -> None:
    run, folder = real
    first = orjson.loads(run("hunt", "--archive", str(folder), "--no-sightings", "--json").stdout)
    assert first["hits"] > 0
    # Nothing is new to the archive: no hit is reported, and none was held back by the window.
    again = orjson.loads(run("hunt", "--archive", str(folder), "--since", "30d", "--json").stdout)
    assert (again["hits"], again["skipped_old_hits"]) == (0, 0)


def test_reset_forgets_earlier_hunts_and_reports_every_hit_again(
    real: tuple[Any, Path], tmp_path: Path
) -> None:
    run, folder = real
    out = tmp_path / "first.jsonl"
    first = orjson.loads(run("hunt", "--archive", str(folder), "--out", str(out), "--json").stdout)
    assert first["hits"] > 0 and first["reset"] is False
    assert orjson.loads(run("hunt", "--archive", str(folder), "--json").stdout)["hits"] == 0
    again = tmp_path / "again.jsonl"
    result = run("hunt", "--archive", str(folder), "--reset", "--no-sightings", "--out", str(again))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "reset: forgot 2 files of earlier hunts" in text
    assert "this hunt reports every hit again" in text
    assert "2 new or rewritten" in text
    assert again.read_bytes() == out.read_bytes()
    summary = orjson.loads(
        run("hunt", "--archive", str(folder), "--reset", "--no-sightings", "--json").stdout
    )
    assert (summary["reset"], summary["forgotten_files"], summary["hits"]) == (
        True,
        2,
        first["hits"],
    )
    assert summary["new_indicators"] == 2  # the digest sets were forgotten too
