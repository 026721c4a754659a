"""The ATT&CK matrix page over the real app and a node holding the ATT&CK for ICS release."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from tests.unit.server.ui_sessions import UiNode, ui_node
from tests.unit.services.test_attack_matrix_service import ICS, ingest_file


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    with ui_node(tmp_path_factory.mktemp("attack"), ("analyst", "analyst_b")) as opened:
        ingest_file(opened.node, ICS)
        yield opened


def test_the_matrix_page_shows_the_loaded_domain_with_its_legend(ui: UiNode) -> None:
    page = ui.get("/attack", "analyst")
    assert page.status_code == 200
    html = page.text
    # A labelled selector of the domains loaded here; ICS is the only one.
    assert '<label for="domain">' in html and '<select id="domain" name="domain">' in html
    assert re.findall(r'<option value="([^"]+)"', html) == ["ics-attack"]
    assert '<table class="attack-matrix" id="matrix-ics-attack">' in html
    assert len(re.findall(r'<th scope="col"', html)) == 12
    assert '<ul class="matrix-legend"' in html
    assert 'href="/objects/attack-pattern--7830cfcf-b268-4ac0-a69e-73c6affbae9a"' in html
    assert "style=" not in html and "<script" not in html
    assert 'href="/attack" aria-current="page"' in html
    assert ui.get("/attack", "analyst", domain="ics-attack").text == html


def test_a_domain_not_loaded_is_an_empty_matrix_and_an_unknown_one_is_refused(
    ui: UiNode,
) -> None:
    empty = ui.get("/attack", "analyst", domain="mobile-attack")
    assert empty.status_code == 200
    assert 'id="matrix-mobile-attack"' in empty.text
    assert "<tbody></tbody>" in empty.text
    refused = ui.get("/attack", "analyst", domain="pre-attack")
    assert refused.status_code == 400
    assert "Unknown ATT&amp;CK domain" in refused.text


def test_a_reader_of_another_org_sees_no_matrix(ui: UiNode) -> None:
    # ATT&CK reads as the node's default marking, TLP:AMBER+STRICT: the node's org only.
    html = ui.get("/attack", "analyst_b").text
    assert "No ATT&amp;CK techniques that you may see are loaded on this node." in html
    assert "attack-pattern--" not in html and "<select" not in html
