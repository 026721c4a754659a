"""Leak differential for the case pages: the list, the board and each case page.

Cases of every TLP marking (and none: the node's default) from two creators (the node's org
and Org B), each named by a unique canary and holding a canary note, reference indicators of
every marking and name another case they were merged from; all arrive from a feed as two
versions each (opened, then noted and referenced), so the timeline has events to show, and
each case's custody log names its indicators and the case it was merged from. For
users of the node's org (admin, analyst, reader), of a community org and of an org outside
the community, the list and the board hold exactly the cases the policy oracle
(tests/unit/sharing/oracle.py) lets that user see; a case page is a 200 for those and the
same 404 as an absent case for every other; and no page holds the name, note or id of a
hidden case, nor the id of a hidden referenced object, anywhere (text, attributes, links,
the timeline). The custody log and evidence pages of a case are the node operators' (its
admin and analyst): a 200 for the cases they may see, holding no hidden id or canary either
(entries name hidden ids: withheld), the case pages' 404 for the others; every other user
gets one 403 page for every case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from tests.factories import AMBER, CLEAR, GREEN, RED, new_version
from tests.unit.server.ui_sessions import FEED, USERS, UiNode, ui_node
from tests.unit.sharing.oracle import feed_facts as facts
from tests.unit.sharing.oracle import oracle_view

from entente.bootstrap import audit_log
from entente.cases import (
    CaseType,
    StatusScheme,
    add_note,
    attach,
    new_case,
    render_case,
    render_incident,
)
from entente.services import node_org_id
from entente.services.cases import custody_draft
from entente.sharing import NodeContext, Principal

AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
MARKINGS = [None, CLEAR, GREEN, AMBER, AMBER_STRICT, RED]
CREATORS = [node_org_id("CERT-X"), node_org_id("Org B")]
COMBOS = [(m, c) for m in MARKINGS for c in CREATORS]
N = len(COMBOS)
OPENED_US = 1_700_000_000_000_000
CANARY = re.compile(r"CANARY-[a-z]+-\d+")


def _case_id(k: int) -> str:
    return f"grouping--c0000000-0000-4000-8000-{k:012d}"


def _incident_id(k: int) -> str:
    return f"incident--c0000000-0000-4000-8000-{k:012d}"


def _indicator_id(k: int) -> str:
    return f"indicator--c1000000-0000-4000-8000-{k:012d}"


def _set_id(k: int) -> str:
    return f"intrusion-set--c2000000-0000-4000-8000-{k:012d}"


def _attribution_id(k: int) -> str:
    return f"relationship--c3000000-0000-4000-8000-{k:012d}"


def _marked(obj: dict[str, Any], combo: int) -> dict[str, Any]:
    mark, creator = COMBOS[combo % N]
    obj["object_marking_refs"] = [] if mark is None else [mark]
    if not obj["object_marking_refs"]:
        del obj["object_marking_refs"]
    obj["created_by_ref"] = creator
    return obj


def _indicator(k: int) -> dict[str, Any]:
    return _marked(
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": _indicator_id(k),
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "name": f"CANARY-indicator-{k}",
            "pattern": f"[ipv4-addr:value = '10.8.0.{k}']",
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        },
        k + 3,
    )


def _intrusion_set(k: int) -> dict[str, Any]:
    return _marked(
        {
            "type": "intrusion-set",
            "spec_version": "2.1",
            "id": _set_id(k),
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "name": f"CANARY-set-{k}",
        },
        k + 1,
    )


def _attributed_to(k: int) -> dict[str, Any]:
    """Case k's incident attributed to set k+2 (a rival k+9), citing indicator k+4, each of
    another marking, so that a visible attribution may name what its reader may not see."""
    target, rival, cited = _set_id((k + 2) % N), _set_id((k + 9) % N), _indicator_id((k + 4) % N)
    return _marked(
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": _attribution_id(k),
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "relationship_type": "attributed-to",
            "source_ref": _incident_id(k),
            "target_ref": target,
            "confidence": 40,
            "description": f"CANARY-explanation-{k}\n1. {target}: inconsistency 0.00\n"
            f"2. {rival}: inconsistency 0.63 (against: {cited})",
            "x_entente_evidence_refs": [cited],
        },
        k + 6,
    )


def build() -> list[dict[str, Any]]:
    """Every object, each case as two versions (oldest first)."""
    objects = [_indicator(k) for k in range(N)]
    objects += [_intrusion_set(k) for k in range(N)]
    objects += [_attributed_to(k) for k in range(N)]
    scheme = StatusScheme()
    for k in range(N):
        mark, creator = COMBOS[k]
        markings = () if mark is None else (mark,)
        opened = new_case(
            case_id=_case_id(k),
            incident_id=_incident_id(k),
            name=f"CANARY-case-{k}",
            case_type=list(CaseType)[k % len(CaseType)],
            now_us=OPENED_US + k,
            scheme=scheme,
            description=f"CANARY-description-{k}",
        )
        # Merged from another case (of another marking): its id is shown only where visible.
        opened = replace(opened, merged_from=(_case_id((k + 5) % N),))
        later = add_note(opened, f"CANARY-note-{k}", f"CANARY-author-{k}", OPENED_US + 1000 + k)
        later = attach(
            later,
            [_indicator_id(k), _indicator_id((k + 7) % N), _attribution_id(k)],
            later.modified_us + 1,
            as_evidence=False,
        )
        objects.append(render_incident(opened, created_by_ref=creator, marking_refs=markings))
        objects += [
            render_case(version, created_by_ref=creator, marking_refs=markings)
            for version in (opened, later)
        ]
    return objects


OBJECTS = build()
BY_ID = {o["id"]: o for o in OBJECTS}


class View:
    """What the oracle lets one user see of the cases and the objects they name."""

    def __init__(self, who: Principal, ctx: NodeContext) -> None:
        self.visible = {oid for oid, o in BY_ID.items() if oracle_view(facts(o), who, ctx) == set()}

    def cases(self) -> set[str]:
        return {_case_id(k) for k in range(N) if _case_id(k) in self.visible}

    def forbidden(self) -> set[str]:
        """Ids of hidden objects and the canaries of hidden cases and indicators."""
        out = {oid for oid in BY_ID if oid not in self.visible}
        for k in range(N):
            if _case_id(k) not in self.visible:
                out |= {f"CANARY-{part}-{k}" for part in ("case", "description", "note", "author")}
            if _indicator_id(k) not in self.visible:
                out.add(f"CANARY-indicator-{k}")
            if _set_id(k) not in self.visible:
                out.add(f"CANARY-set-{k}")
            if _attribution_id(k) not in self.visible:
                out.add(f"CANARY-explanation-{k}")
        # A canary's number is a prefix of larger ones: match whole canaries only.
        return out


def _leaks(html: str, forbidden: set[str]) -> set[str]:
    ids = {oid for oid in forbidden if "--" in oid and oid in html}
    return ids | (set(CANARY.findall(html)) & forbidden)


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    with ui_node(tmp_path_factory.mktemp("case-leak")) as opened:
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(o, o["modified"]), FEED) for o in OBJECTS])
        log = audit_log(opened.node)
        for k in range(N):
            named = [_indicator_id(k), _indicator_id((k + 7) % N), _case_id((k + 5) % N)]
            draft = custody_draft(opened.principals["admin"], "acquired", "cli", named)
            log.record_custody(_case_id(k), [draft])
        yield opened


def _listed(html: str) -> set[str]:
    return set(re.findall(r'href="/cases/(grouping--[0-9a-f-]{36})"', html))


@pytest.mark.parametrize("who", list(USERS))
def test_the_list_and_the_board_hold_exactly_the_visible_cases(ui: UiNode, who: str) -> None:
    view = View(ui.principals[who], ui.context())
    for path in ("/cases", "/cases/board"):
        answer = ui.get(path, who)
        assert answer.status_code == 200, (who, path)
        assert _listed(answer.text) == view.cases(), (who, path)
        assert not _leaks(answer.text, view.forbidden()), (who, path)


@pytest.mark.parametrize("who", list(USERS))
def test_each_case_page_shows_only_what_the_user_may_see(ui: UiNode, who: str) -> None:
    view = View(ui.principals[who], ui.context())
    absent = ui.get("/cases/grouping--c0000000-0000-4000-8000-00000000ffff", who)
    assert absent.status_code == 404
    for k in range(N):
        case_id = _case_id(k)
        answer = ui.get(f"/cases/{case_id}", who)
        if case_id not in view.cases():
            assert answer.status_code == 404, (who, k)
            assert answer.text == absent.text, (who, k)
            continue
        assert answer.status_code == 200, (who, k)
        html = answer.text
        assert not _leaks(html, view.forbidden()), (who, k)
        assert f"CANARY-note-{k}" in html and f"CANARY-case-{k}" in html
        named = {_indicator_id(k), _indicator_id((k + 7) % N)}
        shown = set(re.findall(r'href="/objects/(indicator--[0-9a-f-]{36})"', html))
        assert shown == named & view.visible, (who, k)
        merged = _case_id((k + 5) % N)
        assert (f'href="/cases/{merged}"' in html) is (merged in view.visible), (who, k)
        assert "note-added" in html and "opened" in html


def test_the_users_differ_in_what_they_may_see(ui: UiNode) -> None:
    seen = {who: frozenset(View(ui.principals[who], ui.context()).cases()) for who in USERS}
    # The differential means something only if the users are shown different cases.
    assert len(set(seen.values())) >= 3, seen
    assert all(seen.values()) and any(len(s) < N for s in seen.values())


@pytest.mark.parametrize("who", list(USERS))
def test_each_attribution_page_shows_only_what_the_user_may_see(ui: UiNode, who: str) -> None:
    view = View(ui.principals[who], ui.context())
    absent = ui.get("/cases/grouping--c0000000-0000-4000-8000-00000000ffff/attribution", who)
    assert absent.status_code == 404
    # A set the user may see, chosen as the matrix's hypothesis: the form then lists rows.
    sets = sorted(i for i in view.visible if i.startswith("intrusion-set--"))
    assert sets, who
    matrices = 0
    for k in range(N):
        case_id = _case_id(k)
        answer = ui.get(f"/cases/{case_id}/attribution", who, other=sets[0])
        if case_id not in view.cases():
            assert answer.status_code == 404, (who, k)
            assert answer.text == absent.text, (who, k)
            continue
        assert answer.status_code == 200, (who, k)
        html = answer.text
        assert not _leaks(html, view.forbidden()), (who, k)
        # The case references no technique: no hypothesis is offered.
        assert "references no ATT&amp;CK technique" in html, (who, k)
        rel = _attribution_id(k)
        assert (f'href="/objects/{rel}"' in html) is (rel in view.visible), (who, k)
        assert (f"CANARY-explanation-{k}" in html) is (rel in view.visible), (who, k)
        rows = set(re.findall(r'name="ref_\d+" value="([^"]+)"', html))
        if 'name="hypothesis_0"' in html:
            matrices += 1
            assert rows == {_indicator_id(k), _indicator_id((k + 7) % N)} & view.visible
        else:
            assert not rows, (who, k)
    # The matrix form is offered to admins and analysts, on their own org's cases only.
    writer = ui.principals[who].role.value in ("admin", "analyst")
    assert (matrices > 0) is writer, (who, matrices)


def test_some_visible_attribution_names_what_its_reader_may_not_see(ui: UiNode) -> None:
    # The attribution pages' differential means something only if a released relationship
    # names a hidden target or item of evidence, which the page must then not show.
    mixed = [
        (who, k)
        for who in USERS
        for view in [View(ui.principals[who], ui.context())]
        for k in range(N)
        if _case_id(k) in view.visible
        and _attribution_id(k) in view.visible
        and not {_set_id((k + 2) % N), _indicator_id((k + 4) % N)} <= view.visible
    ]
    assert mixed
    who, k = mixed[0]
    html = ui.get(f"/cases/{_case_id(k)}/attribution", who).text
    assert "[an object you may not see]" in html


@pytest.mark.parametrize("who", list(USERS))
def test_add_to_a_case_offers_exactly_the_visible_open_cases_of_the_node_org(
    ui: UiNode, who: str
) -> None:
    view = View(ui.principals[who], ui.context())
    seen = sorted(i for i in view.visible if i.startswith("indicator--"))
    assert seen, who
    html = ui.get(f"/objects/{seen[0]}", who).text
    assert not _leaks(html, view.forbidden()), who
    offered = set(re.findall(r'<option value="(grouping--[0-9a-f-]{36})">', html))
    if ui.principals[who].role.value not in ("admin", "analyst") or USERS[who][0] != "CERT-X":
        assert "Add to a case" not in html and not offered, who
        return
    mine = {_case_id(k) for k in range(N) if COMBOS[k][1] == CREATORS[0]}
    assert offered == view.cases() & mine, who
    assert offered, who


OPERATORS = ("admin", "analyst")


@pytest.mark.parametrize("who", list(USERS))
def test_the_custody_and_evidence_pages_show_only_what_the_user_may_see(
    ui: UiNode, who: str
) -> None:
    view = View(ui.principals[who], ui.context())
    for page in ("custody", "evidence"):
        absent = ui.get(f"/cases/grouping--c0000000-0000-4000-8000-00000000ffff/{page}", who)
        assert absent.status_code == (404 if who in OPERATORS else 403), (who, page)
        for k in range(N):
            case_id = _case_id(k)
            answer = ui.get(f"/cases/{case_id}/{page}", who)
            if who not in OPERATORS or case_id not in view.cases():
                assert answer.status_code == absent.status_code, (who, page, k)
                assert answer.text == absent.text, (who, page, k)
                continue
            assert answer.status_code == 200, (who, page, k)
            html = answer.text
            assert not _leaks(html, view.forbidden()), (who, page, k)
            assert f"CANARY-case-{k}" in html
            if page == "custody":
                # The fixture's custody entry names these; the "viewed" entries of the case
                # page views (in other tests) name the case and its references again, the
                # attribution among them.
                named = {_indicator_id(k), _indicator_id((k + 7) % N), _case_id((k + 5) % N)}
                viewed = {case_id, _attribution_id(k)}
                shown = set(re.findall(r'href="/objects/([a-z-]+--[0-9a-f-]{36})"', html))
                assert shown - viewed == named & view.visible, (who, k)
                assert "Verified:" in html, (who, k)
                # Each entry counts the objects it names that the user may not see.
                withheld = sum(int(n) for n in re.findall(r"(\d+) objects? withheld", html))
                if named - view.visible:
                    assert withheld > 0, (who, k)
                if not (named | viewed) - view.visible:
                    assert withheld == 0, (who, k)


def test_the_operators_are_withheld_some_custody_ids(ui: UiNode) -> None:
    # The screening means something only if an operator sees a case naming hidden ids.
    for who in OPERATORS:
        view = View(ui.principals[who], ui.context())
        assert any(
            {_indicator_id(k), _indicator_id((k + 7) % N)} - view.visible
            for k in range(N)
            if _case_id(k) in view.cases()
        ), who


@pytest.mark.parametrize("who", list(USERS))
def test_each_preservation_page_shows_only_what_the_user_may_see(ui: UiNode, who: str) -> None:
    """The hold and preservation page (its data to preserve read from the case's objects) is
    a 200 exactly for the cases the oracle lets the user see, else the absent case's 404; it
    holds no hidden id or canary, and neither do its letter downloads."""
    view = View(ui.principals[who], ui.context())
    absent = ui.get("/cases/grouping--c0000000-0000-4000-8000-00000000ffff/preservation", who)
    assert absent.status_code == 404
    for k in range(N):
        case_id = _case_id(k)
        answer = ui.get(f"/cases/{case_id}/preservation", who)
        letter = ui.get(f"/cases/{case_id}/preservation/1/letter.pdf", who)
        assert letter.status_code == 404, (who, k)
        assert letter.text == absent.text, (who, k)
        if case_id not in view.cases():
            assert answer.status_code == 404, (who, k)
            assert answer.text == absent.text, (who, k)
            continue
        assert answer.status_code == 200, (who, k)
        assert not _leaks(answer.text, view.forbidden()), (who, k)
        assert f"CANARY-case-{k}" in answer.text
