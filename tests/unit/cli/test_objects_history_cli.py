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
