"""Leak differential for the dashboard, graph, ATT&CK, hits, partners and Admin pages.

Objects of every TLP marking (and none: the node's default) from two creators, some with a
name under a granular marking, each name a unique canary, are stored on a real node. For
users of the node's org (admin, analyst, reader), of a community org and of an org outside
the community, each page must show exactly what the policy oracle (tests/unit/sharing/
oracle.py) lets that user see: the dashboard's figures count only objects seen whole, the
graph lists exactly the visible neighbours and answers 404 for a hidden object, the matrix
holds the visible techniques with their visible users, and no page holds the name or id of a
hidden object or a hidden name anywhere (text, attributes, SVG titles). A matching run that
names every indicator and sighting lists, for the node org's admins and analysts, exactly the
visible ones (and the suppressed values of visible indicators only); everyone else is refused
the hits and partners pages. The Admin page reads no stored object at all: it holds none, and
it is a 403 without the node's accounts for anyone but an admin of the node's org.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.factories import AMBER, CLEAR, GREEN, RED, ident, new_version, relationship, stix
from tests.unit.server.ui_sessions import FEED, USERS, UiNode, ui_node
from tests.unit.sharing.oracle import feed_facts as facts
from tests.unit.sharing.oracle import level_of, oracle_view

from entente.services import node_org_id
from entente.sharing import NodeContext, Principal, Role
from entente.store import MatchRunRecord

AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
MARKINGS = [None, CLEAR, GREEN, AMBER, AMBER_STRICT, RED]
CREATORS = [None, node_org_id("Org B")]
COMBOS = [(m, c) for m in MARKINGS for c in CREATORS]
N = len(COMBOS)
SIGHTED = 6  # sightings point at the first six indicators: the top ten hold them all
CANARY = re.compile(r"CANARY-[a-z]+-\d+")


def _marked(obj: dict[str, Any], combo: int, *, secret_name: bool = False) -> dict[str, Any]:
    mark, creator = COMBOS[combo % N]
    if mark is not None:
        obj["object_marking_refs"] = [mark]
    else:
        obj.pop("object_marking_refs", None)
    if creator is not None:
        obj["created_by_ref"] = creator
    if secret_name:
        obj["granular_markings"] = [{"marking_ref": AMBER_STRICT, "selectors": ["name"]}]
    return obj


def build() -> dict[str, dict[str, Any]]:
    """Every object, by id."""
    objects: list[dict[str, Any]] = []
    for k in range(N):
        indicator = stix(
            "indicator",
            k,
            None,
            name=f"CANARY-indicator-{k}",
            pattern=f"[ipv4-addr:value = '10.9.0.{k}']",
            pattern_type="stix",
            valid_from="2024-01-01T00:00:00Z",
        )
        objects += [
            _marked(indicator, k, secret_name=k % 3 == 2),
            _marked(
                stix(
                    "sighting",
                    k,
                    None,
                    sighting_of_ref=ident(k % SIGHTED, "indicator"),
                    count=k + 1,
                ),
                k + 4,
            ),
            _marked(
                stix("incident", k, None, name=f"CANARY-incident-{k}"),
                k + 2,
                secret_name=k % 4 == 1,
            ),
            _marked(
                stix(
                    "attack-pattern",
                    k,
                    None,
                    name=f"CANARY-technique-{k}",
                    kill_chain_phases=[
                        {"kill_chain_name": "mitre-attack", "phase_name": "execution"}
                    ],
                ),
                k + 6,
            ),
            _marked(stix("malware", k, None, name=f"CANARY-malware-{k}", is_family=False), k + 8),
            _marked(
                relationship(
                    100 + k, ident(k, "malware"), "uses", ident(7 * k % N, "attack-pattern")
                ),
                k + 10,
            ),
            _marked(
                relationship(200 + k, ident(k, "incident"), "uses", ident(k, "attack-pattern")),
                k + 3,
            ),
        ]
    return {o["id"]: o for o in objects}


OBJECTS = build()


# Properties an object is invalid without (STIX 2.1 §4.9 incident ``name``): a copy that
# would leave one out is withheld whole, as the leak test of the API treats a hidden pattern.
REQUIRED = {"incident": {"name"}, "indicator": {"pattern"}}


def _view(obj: dict[str, Any], who: Principal, ctx: NodeContext) -> set[str] | None:
    hidden = oracle_view(facts(obj), who, ctx)
    if hidden is not None and hidden & REQUIRED.get(obj["type"], set()):
        return None
    return hidden


class View:
    """What the oracle lets one user see of ``OBJECTS``."""

    def __init__(self, who: Principal, ctx: NodeContext) -> None:
        self.hidden_parts = {oid: _view(o, who, ctx) for oid, o in OBJECTS.items()}
        self.ctx = ctx

    def visible(self, oid: str) -> bool:
        return self.hidden_parts[oid] is not None

    def whole(self, oid: str) -> bool:
        return self.hidden_parts[oid] == set()

    def forbidden(self) -> set[str]:
        """Ids of hidden objects and canaries of hidden names."""
        out: set[str] = set()
        for oid, obj in OBJECTS.items():
            parts = self.hidden_parts[oid]
            if parts is None:
                out.add(oid)
            if "name" in obj and (parts is None or "name" in parts):
                out.add(obj["name"])
        return out

    def neighbours(self, centre: str) -> set[str]:
        found: set[str] = set()
        for oid, obj in OBJECTS.items():
            if not self.visible(oid):
                continue
            if obj["type"] == "relationship":
                ends = (obj["source_ref"], obj["target_ref"])
                if centre in ends:
                    other = ends[1] if ends[0] == centre else ends[0]
                    if self.visible(other):
                        found.add(other)
                elif oid == centre:
                    found |= {e for e in ends if self.visible(e)}
            if obj["type"] == "sighting":
                if obj["sighting_of_ref"] == centre:
                    found.add(oid)
                elif oid == centre and self.visible(obj["sighting_of_ref"]):
                    found.add(obj["sighting_of_ref"])
        return found

    def activity(self) -> tuple[int, int]:
        """(incidents, sightings) seen whole."""
        return tuple(  # type: ignore[return-value]
            sum(1 for oid, o in OBJECTS.items() if o["type"] == kind and self.whole(oid))
            for kind in ("incident", "sighting")
        )

    def tlp_mix(self) -> dict[str, int]:
        mix: dict[str, int] = {}
        for oid, obj in OBJECTS.items():
            if self.whole(oid):
                level = f"TLP:{str(level_of(facts(obj), self.ctx)).upper()}"
                mix[level] = mix.get(level, 0) + 1
        return mix

    def top_hits(self) -> dict[str, int]:
        hits: dict[str, int] = {}
        for oid, obj in OBJECTS.items():
            target = str(obj.get("sighting_of_ref"))
            if obj["type"] == "sighting" and self.whole(oid) and self.visible(target):
                hits[target] = hits.get(target, 0) + obj["count"]
        return hits

    def techniques(self) -> dict[str, int]:
        users: dict[str, set[str]] = {
            oid: set()
            for oid, o in OBJECTS.items()
            if o["type"] == "attack-pattern" and self.visible(oid)
        }
        for oid, obj in OBJECTS.items():
            if (
                obj["type"] == "relationship"
                and self.visible(oid)
                and obj["target_ref"] in users
                and self.visible(obj["source_ref"])
            ):
                users[obj["target_ref"]].add(obj["source_ref"])
        return {t: len(u) for t, u in users.items()}


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UiNode, dict[str, str]]]:
    with ui_node(tmp_path_factory.mktemp("leak")) as opened:
        before = {who: opened.get("/", who).text for who in USERS}
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(o), FEED) for o in OBJECTS.values()])
        yield opened, before


def _table(html: str, table: str) -> dict[str, list[str]]:
    """Row header (its text, or the href of its link) -> the row's cells."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for header, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S):
        link = re.search(r'href="/objects/([^"]+)"', header)
        rows[link.group(1) if link else header] = re.findall(r"<td>(.*?)</td>", cells, re.S)
    return rows


def _clean(html: str, forbidden: set[str], where: str) -> None:
    leaked = {mark for mark in forbidden if mark in html}
    assert not leaked, (where, sorted(leaked))


@pytest.mark.parametrize("who", list(USERS))
def test_the_dashboard_counts_what_the_user_sees_whole_and_shows_nothing_hidden(
    ui: tuple[UiNode, dict[str, str]], who: str
) -> None:
    node, before = ui
    view = View(node.principals[who], node.context())
    html = node.get("/", who).text
    _clean(html, view.forbidden(), f"{who}: dashboard")
    month = list(_table(html, "activity-table"))[-1]
    then = [int(v) for v in _table(before[who], "activity-table")[month]]
    now = [int(v) for v in _table(html, "activity-table")[month]]
    assert (now[0] - then[0], now[1] - then[1]) == view.activity(), who
    mix_then = {k: int(v[0]) for k, v in _table(before[who], "tlp-table").items()}
    mix_now = {k: int(v[0]) for k, v in _table(html, "tlp-table").items()}
    expected = view.tlp_mix()
    assert {k: mix_now[k] - mix_then[k] for k in mix_now} == {
        k: expected.get(k, 0) for k in mix_now
    }, who
    hits = {
        oid: int(cells[1])
        for oid, cells in (
            _table(html, "top-hits-table") if "top-hits-table" in html else {}
        ).items()
    }
    assert hits == view.top_hits(), who
    # A hidden name is never the label of a hit: the id stands in for it.
    for oid in hits:
        if "name" in (view.hidden_parts[oid] or set()):
            assert f'<a href="/objects/{oid}">{oid}</a>' in html


@pytest.mark.parametrize("who", list(USERS))
def test_each_graph_lists_exactly_the_visible_neighbours(
    ui: tuple[UiNode, dict[str, str]], who: str
) -> None:
    node, _ = ui
    view = View(node.principals[who], node.context())
    forbidden = view.forbidden()
    for oid in OBJECTS:
        page = node.get(f"/graph/{oid}", who)
        if not view.visible(oid):
            assert page.status_code == 404, (who, oid)
            _clean(page.text, forbidden - {oid}, f"{who}: 404 of {oid}")
            continue
        assert page.status_code == 200, (who, oid)
        _clean(page.text, forbidden, f"{who}: graph of {oid}")
        listed = page.text.split('id="neighbours-heading"', 1)[1]
        shown = set(re.findall(r'<a href="/graph/([^"]+)">', listed))
        assert shown == view.neighbours(oid), (who, oid)
        drawn = set(re.findall(r'data-object-id="([^"]+)"', page.text))
        assert drawn == shown | {oid}, (who, oid)
        # Expanding each neighbour with nothing shown lists its own visible neighbours.
        for neighbour in sorted(shown)[:2]:
            fragment = node.get(f"/graph/{oid}/expand", who, node=neighbour)
            assert fragment.status_code == 200
            _clean(fragment.text, forbidden, f"{who}: expansion of {neighbour}")
            listed = set(re.findall(r'<a href="/graph/([^"]+)">', fragment.text))
            assert listed == view.neighbours(neighbour), (who, neighbour)


@pytest.mark.parametrize("who", list(USERS))
def test_the_matrix_holds_the_visible_techniques_and_their_visible_users(
    ui: tuple[UiNode, dict[str, str]], who: str
) -> None:
    node, _ = ui
    view = View(node.principals[who], node.context())
    html = node.get("/attack", who, domain="enterprise-attack").text
    _clean(html, view.forbidden(), f"{who}: matrix")
    counts = {
        oid: int(n)
        for oid, n in re.findall(
            r'<a href="/objects/(attack-pattern--[^"]+)">.*?'
            r'<span class="count">(\d+) users?</span>',
            html,
        )
    }
    assert counts == view.techniques(), who


@pytest.mark.parametrize("who", list(USERS))
def test_the_admin_page_holds_no_object_and_only_node_admins_get_its_lists(
    ui: tuple[UiNode, dict[str, str]], who: str
) -> None:
    node, _ = ui
    page = node.get("/admin", who)
    assert CANARY.search(page.text) is None, who
    assert not [oid for oid in OBJECTS if oid in page.text], who
    if who == "admin":
        assert page.status_code == 200
        assert all(f'<th scope="row">{name}</th>' in page.text for name in USERS)
        return
    assert page.status_code == 403, who
    # Neither the node's accounts nor its tokens, nor a way to them.
    assert "users-table" not in page.text and "tokens-table" not in page.text, who
    others = [name for name in USERS if name != who]
    assert not [name for name in others if f'class="username">{name}<' in page.text], who
    assert not [name for name in others if f'"row">{name}<' in page.text], who
    assert "tok_" not in page.text and 'href="/admin"' not in page.text, who


def test_the_users_differ_in_what_they_may_see(ui: tuple[UiNode, dict[str, str]]) -> None:
    # The differential means something only if the users' views differ: a name hidden in
    # part, objects hidden from some, and more hidden outside the community than inside.
    node, _ = ui
    views = {who: View(node.principals[who], node.context()) for who in USERS}
    hidden = {who: {oid for oid in OBJECTS if not v.visible(oid)} for who, v in views.items()}
    assert hidden["admin"] < hidden["analyst_b"] < hidden["reader_c"]
    for who in ("analyst_b", "reader_c"):
        assert any(parts and "name" in parts for parts in views[who].hidden_parts.values())
    assert views["analyst_b"].top_hits() != views["admin"].top_hits()


def _suppressed_value(oid: str) -> str:
    # Zero-padded, so that no value is a substring of another.
    return f"CANARY-value-{int(oid[-12:]):02d}x"


@pytest.fixture(scope="module")
def run_page(ui: tuple[UiNode, dict[str, str]]) -> str:
    """The page of a matching run that names every indicator and sighting."""
    node, _ = ui
    indicators = sorted(oid for oid, o in OBJECTS.items() if o["type"] == "indicator")
    sightings = sorted(oid for oid, o in OBJECTS.items() if o["type"] == "sighting")
    run_id = node.node.match_runs.add(
        MatchRunRecord(
            None,
            "match",
            1,
            2,
            {
                "hits": len(indicators),
                "by_indicator": [{"id": oid, "hits": 1} for oid in indicators],
                "suppressed": [
                    {
                        "kind": "ip",
                        "value": _suppressed_value(oid),
                        "lists": ["a list"],
                        "indicator_ids": [oid],
                        "hits": 1,
                    }
                    for oid in indicators
                ],
                "sightings": sightings,
            },
        )
    )
    return f"/hits/{run_id}"


@pytest.mark.parametrize("who", list(USERS))
def test_a_run_lists_exactly_the_visible_indicators_and_sightings_to_the_node_staff(
    ui: tuple[UiNode, dict[str, str]], run_page: str, who: str
) -> None:
    node, _ = ui
    principal = node.principals[who]
    view = View(principal, node.context())
    indicators = {oid for oid, o in OBJECTS.items() if o["type"] == "indicator"}
    forbidden = view.forbidden() | {
        _suppressed_value(oid) for oid in indicators if not view.visible(oid)
    }
    staff = principal.org == node_org_id("CERT-X") and principal.role in (
        Role.ADMIN,
        Role.ANALYST,
    )
    for path in (run_page, "/hits", "/partners"):
        page = node.get(path, who)
        assert page.status_code == (200 if staff else 403), (who, path)
        _clean(page.text, forbidden, f"{who}: {path}")
    if not staff:
        return
    html = node.get(run_page, who).text
    listed = _table(html, "indicators-table")
    assert set(listed) == {oid for oid in indicators if view.visible(oid)}, who
    for oid in listed:
        if "name" in (view.hidden_parts[oid] or set()):
            assert f'<a href="/objects/{oid}">{oid}</a>' in html
    values = set(re.findall(r"<code>(CANARY-value-\d+x)</code>", html))
    assert values == {_suppressed_value(oid) for oid in indicators if view.visible(oid)}, who
    shown = set(re.findall(r'<li><a href="/objects/(sighting--[^"]+)">', html))
    assert shown == {
        oid for oid, o in OBJECTS.items() if o["type"] == "sighting" and view.visible(oid)
    }, who


@pytest.mark.parametrize("who", list(USERS))
def test_the_exports_and_ingest_pages_show_nothing_hidden(
    ui: tuple[UiNode, dict[str, str]], who: str
) -> None:
    # The downloads are compared with the oracle in test_ui_exports_leak; here every page and
    # file a user reaches from the exports page, and the ingest page, name nothing hidden.
    node, _ = ui
    view = View(node.principals[who], node.context())
    forbidden = view.forbidden()
    page = node.get("/exports", who)
    assert page.status_code == 200
    _clean(page.text, forbidden, f"{who}: exports")
    # The page gives counts only: no id, name or value of any indicator, shown or not.
    assert not CANARY.search(page.text) and "indicator--" not in page.text
    for href in sorted(set(re.findall(r'href="(/exports/[^"]+)"', page.text))):
        download = node.get(href, who)
        assert download.status_code == 200, (who, href)
        _clean(download.text, forbidden, f"{who}: {href}")
    ingest = node.get("/ingest", who)
    _clean(ingest.text, forbidden, f"{who}: ingest")
    offered = 'action="/ingest/preview"' in ingest.text
    assert offered is (who in ("admin", "analyst")), who
