"""``entente ingest`` in-process: logs and junk are refused, free text is reviewed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

DATA = Path(__file__).parents[2] / "data"
LOGS = DATA / "logs"


@pytest.fixture
def run(tmp_path: Path) -> Any:
    invoke = cli_for(tmp_path / "home", "CERT-EU")
    assert invoke("init").exit_code == 0
    return invoke


def _objects(run: Any) -> dict[str, int]:
    stats = run("stats", "--json")
    assert stats.exit_code == 0, stats.output
    by_type: dict[str, int] = orjson.loads(stats.stdout)["by_type"]
    return {k: v for k, v in by_type.items() if k != "marking-definition"}


def test_a_directory_of_zeek_logs_stores_nothing_and_says_why_for_each_file(
    run: Any, tmp_path: Path
) -> None:
    before = _objects(run)
    logs = tmp_path / "zeek"
    shutil.copytree(LOGS / "zeek" / "zeekparse-tsv", logs / "tsv")
    shutil.copytree(LOGS / "zeek" / "zeek-json", logs / "json")
    result = run("ingest", "--json", str(logs))
    assert result.exit_code == 2, result.output
    document = orjson.loads(result.stdout)
    assert document["added"] == 0
    files = sorted(p.name for p in logs.rglob("*") if p.is_file())
    assert sorted(Path(r["source"]).name for r in document["rejected"]) == files
    for rejection in document["rejected"]:
        assert "this is a Zeek log" in rejection["reason"]
        assert "use entente match" in rejection["reason"]
    assert _objects(run) == before


def test_one_suricata_log_is_an_input_error(run: Any) -> None:
    result = run("ingest", str(LOGS / "suricata" / "output-eve-fileinfo" / "eve.json"))
    assert result.exit_code == 2
    assert "this is a Suricata EVE log; use entente match" in said(result)


def test_junk_beside_a_good_feed_is_rejected_and_the_feed_stored(run: Any, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.json").write_bytes(b"")
    (tmp_path / "in" / "page.json").write_text("<html>502 Bad Gateway</html>\n")
    (tmp_path / "in" / "blob.dat").write_bytes(bytes(range(256)))
    (tmp_path / "in" / "prose.txt").write_text("Nothing to see here.\n")
    shutil.copy(DATA / "feeds" / "handwritten" / "feodo_ipblocklist.txt", tmp_path / "in")
    result = run("ingest", "--json", str(tmp_path / "in"))
    assert result.exit_code == 1, result.output
    document = orjson.loads(result.stdout)
    reasons = {Path(r["source"]).name: r["reason"] for r in document["rejected"]}
    assert "empty file" in reasons["empty.json"]
    assert "named .json but not JSON" in reasons["page.json"]
    assert "binary content" in reasons["blob.dat"]
    assert "no indicator value" in reasons["prose.txt"]
    # One identity: the Feodo feed's; none for the files nothing was found in.
    assert _objects(run)["identity"] == 1
