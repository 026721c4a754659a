"""The object page over the real app and a SQLite node: properties, versions and their diff,
provenance, markings, links, sightings, correlations, and one 404 for hidden and absent."""

from __future__ import annotations

import re
from typing import Any

from tests.unit.server.conftest import Harness, indicator
from tests.unit.server.ui_users import Browser, assert_page_rules, sign_in

from entente.stix import Tlp, marking_id_for

GREEN = marking_id_for(Tlp.GREEN)
MALWARE = "malware--00000000-0000-4000-8000-000000000101"
OPTION = re.compile(r'<option value="([^"]+)"')


def malware(name: str = "EvilBot", modified: str = "2024-01-01T00:00:00.000Z") -> dict[str, Any]:
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": MALWARE,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": modified,
        "name": name,
        "is_family": True,
        "object_marking_refs": [GREEN],
    }


def sro(n: int, kind: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--00000000-0000-4000-8000-{n:012d}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "object_marking_refs": [GREEN],
        **properties,
    }


def analyst(harness: Harness) -> Browser:
    return sign_in(harness, "alice", org="Entente node", role="analyst")


def test_the_page_shows_properties_provenance_and_markings(harness: Harness) -> None:
    obj = indicator(1, tlp=Tlp.GREEN)
    obj["kill_chain_phases"] = [{"kill_chain_name": "lockheed", "phase_name": "delivery"}]
    harness.post_objects([obj])
    page = analyst(harness).client.get(f"/objects/{obj['id']}")
    assert page.status_code == 200
    assert '<th scope="row"><code>pattern</code></th>' in page.text
    assert "[ipv4-addr:value = &#39;10.0.0.1&#39;]" in page.text
    # Nested values are indented JSON in <pre>.
    assert "<pre>[\n  {\n    &#34;kill_chain_name&#34;: &#34;lockheed&#34;" in page.text
    assert "TLP:GREEN" in page.text
    assert "<dt>Source</dt><dd>user: " in page.text
    assert "none carried" in page.text  # not signed


def test_versions_are_listed_and_two_chosen_ones_are_diffed(harness: Harness) -> None:
    harness.post_objects([malware("EvilBot")])
    harness.post_objects([malware("EvilBot v2", "2024-02-01T00:00:00.000Z")])
    alice = analyst(harness)
    page = alice.client.get(f"/objects/{MALWARE}")
    assert "EvilBot v2" in page.text
    # The diff form's versions (the action forms below it have options of their own).
    diff_form = page.text.split('class="diff-form"')[1].split("</form>")[0]
    keys = list(dict.fromkeys(OPTION.findall(diff_form)))
    assert len(keys) == 2
    newer, older = keys
    diffed = alice.client.get(f"/objects/{MALWARE}", params={"older": older, "newer": newer})
    assert diffed.status_code == 200
    assert "<h3>Differences</h3>" in diffed.text
    assert re.search(r"<code>name</code></th><td>changed</td><td><pre>EvilBot</pre></td>"
                     r"<td><pre>EvilBot v2</pre>", diffed.text)  # fmt: skip
    assert re.search(r"<code>modified</code></th><td>changed</td>", diffed.text)
    assert_page_rules(diffed.text)
    assert "default-src 'self'" in diffed.headers["content-security-policy"]
    unknown = alice.client.get(
        f"/objects/{MALWARE}", params={"older": older, "newer": "2030-01-01T00:00:00.000000000Z"}
    )
    assert "Choose two of the versions listed." in unknown.text


def test_relationships_sightings_and_correlations_are_shown(harness: Harness) -> None:
    ind = indicator(1, tlp=Tlp.GREEN)
    twin = indicator(2, tlp=Tlp.GREEN)
    twin["pattern"] = ind["pattern"]
    rel = sro(201, "relationship", relationship_type="indicates", source_ref=ind["id"],
              target_ref=MALWARE)  # fmt: skip
    sighting = sro(301, "sighting", sighting_of_ref=ind["id"], count=3)
    harness.post_objects([malware(), ind, twin, rel, sighting])
    page = analyst(harness).client.get(f"/objects/{ind['id']}")
    assert page.status_code == 200
    assert "<td>to</td><td>indicates</td>" in page.text
    assert f'<a href="/objects/{MALWARE}">EvilBot</a>' in page.text
    assert f'<a href="/objects/{sighting["id"]}">' in page.text
    assert "Sightings of it: 1" in page.text
    # The other indicator holds the same address.
    assert re.search(r"<code>10\.0\.0\.1</code></th>\s*<td>1</td>", page.text)
    assert f'<a href="/objects/{twin["id"]}">indicator</a>' in page.text
    assert_page_rules(page.text)


def test_hidden_absent_and_malformed_ids_get_the_same_404_page(harness: Harness) -> None:
    secret = indicator(5, tlp=Tlp.AMBER_STRICT)
    harness.post_objects([secret])
    outsider = sign_in(harness, "bob", org="Org B", role="analyst")
    hidden = outsider.client.get(f"/objects/{secret['id']}")
    absent = outsider.client.get(f"/objects/{indicator(6)['id']}")
    malformed = outsider.client.get("/objects/not-an-id")
    assert hidden.status_code == absent.status_code == malformed.status_code == 404
    assert hidden.text == absent.text == malformed.text
    assert secret["id"] not in hidden.text
    # The node's own analyst sees it.
    assert analyst(harness).client.get(f"/objects/{secret['id']}").status_code == 200


def test_partner_strings_are_escaped_in_the_page(harness: Harness) -> None:
    obj = indicator(7, tlp=Tlp.GREEN)
    obj["name"] = '<img src=x onerror="alert(1)">'
    obj["labels"] = ["<b>bold</b>"]
    harness.post_objects([obj])
    page = analyst(harness).client.get(f"/objects/{obj['id']}")
    assert "<img src=x" not in page.text and "<b>bold</b>" not in page.text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text


def test_the_page_needs_a_session(harness: Harness) -> None:
    answer = harness.client.get(f"/objects/{indicator(1)['id']}", follow_redirects=False)
    assert answer.status_code == 303
