"""``entente ingest`` of a publisher's in-place correction, and ``entente objects history``."""

from __future__ import annotations

import lzma
from pathlib import Path
from typing import Any

import orjson
from tests.unit.cli.conftest import cli_for

MOBILE = Path(__file__).parents[2] / "data" / "corpus" / "mitre-attack" / "mobile"


def _objects(version: str) -> dict[str, dict[str, Any]]:
    data = lzma.decompress((MOBILE / f"mobile-attack-{version}.json.xz").read_bytes())
    return {o["id"]: o for o in orjson.loads(data)["objects"]}


def _bundle(path: Path, *objects: dict[str, Any]) -> Path:
    path.write_bytes(
        orjson.dumps(
            {
                "type": "bundle",
                "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
                "objects": list(objects),
            }
        )
    )
    return path


def test_an_in_place_correction_is_counted_and_its_history_shown(tmp_path: Path) -> None:
    before, after = _objects("17.0"), _objects("17.1")
    # Real ATT&CK: 17.1 added x_mitre_deprecated to this object under 17.0's modified.
    changed = next(
        o
        for oid, o in after.items()
        if oid in before and before[oid]["modified"] == o["modified"] and before[oid] != o
    )
    old = before[changed["id"]]
    run = cli_for(tmp_path / "home")
    assert run("init").exit_code == 0
    first = run("ingest", str(_bundle(tmp_path / "17.0.json", old)), "--json")
    assert orjson.loads(first.stdout)["added"] == 1
    second = run("ingest", str(_bundle(tmp_path / "17.1.json", changed)), "--json")
    summary = orjson.loads(second.stdout)
    assert (summary["corrected"], summary["corrections"]) == (1, {"content": 1})
    assert (summary["new_versions"], summary["rejected"]) == (0, [])
    human = run("ingest", str(_bundle(tmp_path / "17.0-again.json", old)))
    # Sending the replaced content again corrects back: the creator's latest word wins.
    assert "corrected by their creators: 1 content" in " ".join(human.stdout.split())
    shown = orjson.loads(run("objects", "history", changed["id"], "--json").stdout)
    statuses = [
        (v["status"], v["object"] == changed, v["object"] == old) for v in shown["versions"]
    ]
    assert statuses == [
        ("replaced", False, True),
        ("replaced", True, False),
        ("current", False, True),
    ]
    assert shown["versions"][0]["provenance"]["source_name"].endswith("17.0.json")
    assert shown["versions"][0]["correction"] == "content"
    text = run("objects", "history", changed["id"])
    assert text.exit_code == 0 and "replaced" in text.stdout


def test_history_of_an_unknown_object_is_not_found(tmp_path: Path) -> None:
    run = cli_for(tmp_path / "home")
    assert run("init").exit_code == 0
    result = run("objects", "history", "attack-pattern--00000000-0000-4000-8000-000000000000")
    assert result.exit_code != 0
    assert "no object" in " ".join(result.stderr.split())


def test_a_snapshot_withdraws_what_its_source_no_longer_holds(tmp_path: Path) -> None:
    objects = list(_objects("17.1").values())
    kept, dropped = objects[:20], objects[20:25]
    run = cli_for(tmp_path / "home")
    assert run("init").exit_code == 0
    first = _bundle(tmp_path / "r1.json", *kept, *dropped)
    assert run("ingest", str(first), "--snapshot", "--source", "mobile").exit_code == 0
    again = run(
        "ingest",
        str(_bundle(tmp_path / "r2.json", *kept)),
        "--snapshot",
        "--source",
        "mobile",
        "--json",
    )
    assert orjson.loads(again.stdout)["withdrawn"] == len(dropped)
    shown = orjson.loads(run("objects", "history", dropped[0]["id"], "--json").stdout)
    assert [(v["status"], v["correction"]) for v in shown["versions"]] == [
        ("replaced", "withdrawn")
    ]
    # Another source's snapshot leaves what "mobile" sent alone.
    other = run(
        "ingest",
        str(_bundle(tmp_path / "r3.json", dropped[0])),
        "--snapshot",
        "--source",
        "another",
        "--json",
    )
    assert orjson.loads(other.stdout)["withdrawn"] == 0


def test_a_snapshot_with_an_unreadable_object_withdraws_nothing(tmp_path: Path) -> None:
    objects = list(_objects("17.1").values())[:10]
    run = cli_for(tmp_path / "home")
    assert run("init").exit_code == 0
    run("ingest", str(_bundle(tmp_path / "r1.json", *objects)), "--snapshot", "--source", "s")
    broken = _bundle(tmp_path / "r2.json", *objects[:5], "not an object")  # type: ignore[arg-type]
    result = run("ingest", str(broken), "--snapshot", "--source", "s", "--json")
    summary = orjson.loads(result.stdout)
    assert summary["withdrawn"] == 0
    assert "nothing withdrawn" in summary["snapshot"]


def test_a_snapshot_needs_a_source_name(tmp_path: Path) -> None:
    run = cli_for(tmp_path / "home")
    assert run("init").exit_code == 0
    path = _bundle(tmp_path / "r.json", *list(_objects("17.1").values())[:1])
    result = run("ingest", str(path), "--snapshot")
    assert result.exit_code == 2
    assert "--snapshot needs --source" in " ".join(result.stderr.split())
