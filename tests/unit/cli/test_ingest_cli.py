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


# --- free text: the review, --dry-run and --force -------------------------------------------

ACCEPTANCE = (
    "C2 at 8.8.8.8, 185.220.101.4, evil-example.net, google.com, 10.0.0.5 "
    "and our own 198.51.100.7\n"
)
REPORT = DATA / "feeds" / "handwritten" / "incident_report.txt"


@pytest.fixture
def own_run(tmp_path: Path) -> Any:
    """A node whose entente.toml names its own network and domain."""
    home = tmp_path / "own"
    invoke = cli_for(home, "CSIRT Nordland")
    with (home / "entente.toml").open("a") as settings:
        settings.write('own_networks = ["198.51.100.0/24"]\nown_domains = ["csirt-nordland.eu"]\n')
    return invoke


def _indicator_values(run: Any) -> set[str]:
    listed = run("objects", "list", "--type", "indicator", "--json")
    assert listed.exit_code == 0, listed.output
    return {o["object"]["name"] for o in orjson.loads(listed.stdout)["objects"]}


def test_a_dry_run_shows_each_value_with_type_line_and_decision_and_stores_nothing(
    own_run: Any, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text(ACCEPTANCE)
    before = _objects(own_run)
    result = own_run("ingest", "--format", "text", "--dry-run", "--json", str(note))
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert document["dry_run"] is True
    rows = [(v["position"], v["type"], v["value"], v["decision"]) for v in document["values"]]
    assert rows == [
        (
            "line 1",
            "ipv4-addr",
            "8.8.8.8",
            "left out: warninglist List of known IPv4 public DNS resolvers (entry 8.8.8.8)",
        ),
        ("line 1", "ipv4-addr", "185.220.101.4", "kept"),
        ("line 1", "domain-name", "evil-example.net", "kept"),
        (
            "line 1",
            "domain-name",
            "google.com",
            "left out: warninglist Top 10K most-used sites from Tranco (entry google.com)",
        ),
        (
            "line 1",
            "ipv4-addr",
            "10.0.0.5",
            "left out: warninglist List of RFC 1918 CIDR blocks (entry 10.0.0.0/8)",
        ),
        ("line 1", "ipv4-addr", "198.51.100.7", "left out: own network 198.51.100.0/24"),
    ]
    # What the real ingest would do: the note's identity and two indicators.
    assert (document["added"], len(document["left_out"]), document["rejected"]) == (3, 4, [])
    assert _objects(own_run) == before


def test_the_human_dry_run_prints_the_review_table(own_run: Any) -> None:
    result = own_run("ingest", "--dry-run", str(REPORT))
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Values found in free text" in out
    assert "nothing stored" in out
    # Rich wraps the cells to the test terminal's width: the row content is checked as JSON.
    assert "185.220.101.4" in out and "kept" in out
    assert "left out: 8 values of free text (2 own domain, 1 own network, 5 warninglist)" in out
    assert "indicator" not in _objects(own_run)


def test_a_real_ingest_stores_only_the_kept_values_and_says_what_it_left_out(
    own_run: Any, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text(ACCEPTANCE)
    result = own_run("ingest", "--format", "text", str(note))
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "left out: 4 values of free text (1 own network, 3 warninglist); --force keeps" in out
    assert _indicator_values(own_run) == {"185.220.101.4", "evil-example.net"}


def test_force_stores_every_value(own_run: Any) -> None:
    result = own_run("ingest", "--force", "--json", str(REPORT))
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert (document["added"], document["left_out"]) == (14, [])
    assert {"google.com", "8.8.8.8", "198.51.100.7", "soc@csirt-nordland.eu"} <= (
        _indicator_values(own_run)
    )


def test_a_dry_run_with_force_says_what_it_overrides(own_run: Any) -> None:
    result = own_run("ingest", "--force", "--dry-run", "--json", str(REPORT))
    assert result.exit_code == 0, result.output
    decisions = {v["value"]: v["decision"] for v in orjson.loads(result.stdout)["values"]}
    assert decisions["198.51.100.7"] == "kept (forced): own network 198.51.100.0/24"
    assert decisions["evil-example.net"] == "kept"
    assert "indicator" not in _objects(own_run)


def test_a_dry_run_of_a_stix_bundle_counts_and_stores_nothing(run: Any) -> None:
    bundle = DATA / "corpus" / "stix" / "cti-documentation" / "poisonivy.json"
    before = _objects(run)
    result = run("ingest", "--dry-run", "--json", str(bundle))
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert (document["added"], document["values"]) == (155, [])
    assert _objects(run) == before
    again = orjson.loads(run("ingest", "--json", str(bundle)).stdout)
    assert again["added"] == 155


def test_text_whose_every_value_is_left_out_stores_nothing_and_is_no_error(
    own_run: Any, tmp_path: Path
) -> None:
    note = tmp_path / "benign.txt"
    note.write_text("The sample checks connectivity with google.com and 8.8.8.8 first.\n")
    result = own_run("ingest", "--json", str(note))
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert (document["added"], document["rejected"], len(document["left_out"])) == (0, [], 2)
    assert "identity" not in _objects(own_run)
