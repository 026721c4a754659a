"""Following a real publisher: Mobile ATT&CK releases 3.0 to 17.1 ingested in order.

MITRE breaks STIX 2.1 §3.6 while correcting its own data (17.0 -> 17.1 added
x_mitre_deprecated to 1,329 objects without a new modified, later releases re-version revoked
objects, a few objects changed created, the copyright marking-definition was rewritten in
place). Ingested by this node's operator, each release is the creator's word: the node must end
up serving exactly 17.1, count the corrections, keep what they replaced in history, and still
refuse a correction from anyone but the creator.
"""

from __future__ import annotations

import lzma
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from entente.bootstrap import Node, open_node, operator_ingest
from entente.clock import SystemClock
from entente.config import Settings
from entente.ingest import InputFormat, open_document
from entente.server import create_app
from entente.services import DEFAULT_COLLECTIONS, IngestSummary, create_token

pytestmark = pytest.mark.integration

MOBILE = Path(__file__).parent.parent / "data" / "corpus" / "mitre-attack" / "mobile"
RELEASES = ("3.0", "8.0", "10.1", "12.1", "14.1", "17.0", "17.1")
MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
TAXII = "application/taxii+json;version=2.1"
ALL = f"/taxii2/api/collections/{DEFAULT_COLLECTIONS[0].id}/objects/"
SECRET = b"0123456789abcdef0123456789abcdef"


def _release(version: str, into: Path) -> Path:
    """The release's bundle, decompressed (tests/data keeps it xz-compressed)."""
    path = into / f"mobile-attack-{version}.json"
    path.write_bytes(lzma.decompress((MOBILE / f"{path.name}.xz").read_bytes()))
    return path


def _ingest(node: Node, path: Path) -> IngestSummary:
    document = open_document(
        str(path), fmt=InputFormat.AUTO, source_name=None, now="2026-12-05T00:00:00Z", markings=()
    )
    return operator_ingest(node, "operator").ingest_document(document)


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, dict[str, Any]]]:
    """A node that ingested every release in order, and what each ingest reported."""
    home = tmp_path_factory.mktemp("attack")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'node.db'}")
    with open_node(settings, SystemClock()) as node:
        summaries = {v: _ingest(node, _release(v, home)) for v in RELEASES}
        yield node, {"summaries": summaries, "home": home}


def _served(node: Node, token: str) -> dict[str, dict[str, Any]]:
    """Every object the node serves over TAXII (latest versions), paged to the end."""
    served: dict[str, dict[str, Any]] = {}
    with TestClient(create_app(node, secret=SECRET)) as client:
        params: dict[str, Any] = {"limit": 1000}
        for _ in range(100):
            response = client.get(
                ALL, params=params, headers={"Authorization": f"Bearer {token}", "Accept": TAXII}
            )
            assert response.status_code == 200, response.text
            envelope = response.json()
            served.update({o["id"]: o for o in envelope.get("objects", [])})
            if not envelope.get("more"):
                break
            params = {"limit": 1000, "next": envelope["next"]}
    return served


def test_every_object_of_the_latest_release_is_served_exactly_as_published(
    followed: tuple[Node, dict[str, Any]],
) -> None:
    node, state = followed
    summaries: dict[str, IngestSummary] = state["summaries"]
    latest = summaries["17.1"]
    # 17.1 changed 1,329 objects under their 17.0 modified and re-versioned 17 revoked ones.
    assert latest.rejected == []
    assert (latest.corrected, latest.corrections) == (1346, {"content": 1329, "revoked": 17})
    assert summaries["17.0"].rejected == []
    # What stays refused is what is invalid whoever sends it: a relationship of 8.0-14.1
    # whose modified precedes its created (§3.2), and 8.0's versions of one technique that
    # dropped created_by_ref (another creator: never a correction).
    for version in ("8.0", "10.1", "12.1", "14.1"):
        reasons = {r.reason.split(":")[0] for r in summaries[version].rejected}
        assert reasons <= {"modified", "created_by_ref"}, summaries[version].rejected
    org = node.settings.org_name
    _, admin = create_token(node.tokens, node.clock, org_name=org, role="admin")
    served = _served(node, admin)
    published = orjson.loads(_release("17.1", state["home"]).read_bytes())["objects"]
    assert len(published) == 2148
    for obj in published:
        assert served.get(obj["id"]) == obj


def test_what_a_correction_replaced_stays_in_history_with_its_provenance(
    followed: tuple[Node, dict[str, Any]],
) -> None:
    node, state = followed
    published = orjson.loads(_release("17.1", state["home"]).read_bytes())["objects"]
    before = {
        o["id"]: o for o in orjson.loads(_release("17.0", state["home"]).read_bytes())["objects"]
    }
    changed = next(
        o
        for o in published
        if "x_mitre_deprecated" in o
        and o["id"] in before
        and "x_mitre_deprecated" not in before[o["id"]]
        and before[o["id"]]["modified"] == o["modified"]
    )
    history = node.store.history(changed["id"])
    assert history[-1].version.to_json() == before[changed["id"]]
    assert history[-1].version.provenance.source_name.endswith("mobile-attack-17.0.json")
    assert history[-1].correction == "content"


def test_a_correction_from_another_creator_is_still_rejected(
    followed: tuple[Node, dict[str, Any]], tmp_path: Path
) -> None:
    node, state = followed
    published = orjson.loads(_release("17.1", state["home"]).read_bytes())["objects"]
    target = next(o for o in published if o["type"] == "attack-pattern")
    forged = {
        **target,
        "created_by_ref": "identity--00000000-0000-4000-8000-00000000f0f0",
        "description": "rewritten by someone else",
    }
    path = tmp_path / "forged.json"
    path.write_bytes(
        orjson.dumps({"type": "bundle", "id": "bundle--" + target["id"][-36:], "objects": [forged]})
    )
    summary = _ingest(node, path)
    assert (summary.corrected, summary.added, summary.new_versions) == (0, 0, 0)
    [rejection] = summary.rejected
    assert rejection.reason.startswith("created_by_ref: only the creator may version")
    # Over TAXII, another org's analyst naming MITRE as creator is refused as well.
    _, analyst = create_token(node.tokens, node.clock, org_name="Org B", role="analyst")
    claimed = {**target, "description": "Org B speaking for MITRE"}
    with TestClient(create_app(node, secret=SECRET)) as client:
        status = client.post(
            ALL,
            json={"objects": [claimed]},
            headers={
                "Authorization": f"Bearer {analyst}",
                "Accept": TAXII,
                "Content-Type": TAXII,
            },
        ).json()
    assert (status["success_count"], status["failure_count"]) == (0, 1)
    [served] = node.store.get_versions(target["id"], ("last",))
    assert served.to_json() == target
    assert target["created_by_ref"] == MITRE
