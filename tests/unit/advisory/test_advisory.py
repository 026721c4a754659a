"""A joint advisory from real ATT&CK for ICS data and OASIS indicators: the STIX report, the
pinned ATT&CK release, the IOCs, the mitigations and the human advisory's sections."""

from __future__ import annotations

import json

import pytest
import stix2
from tests.unit.advisory.sample import COAUTHOR, attack_data, draft, ics_objects, selection

from entente.advisory import build_advisory, render_markdown
from entente.errors import InvalidInput
from entente.stix import Tlp, marking_id_for

ROLE_IDENTIFICATION = "attack-pattern--23270e54-1d68-4c3b-b763-b25607bcef80"  # deprecated


def test_the_report_names_every_object_and_validates_with_stix2() -> None:
    advisory = build_advisory(draft(), selection(), attack_data(), default_tlp=Tlp.GREEN)
    bundle = {
        "type": "bundle",
        "id": "bundle--" + advisory.report_id[8:],
        "objects": list(advisory.objects),
    }
    parsed = stix2.parse(json.dumps(bundle), allow_custom=True, version="2.1")
    report = next(o for o in parsed.objects if o.type == "report")
    ids = {o.id for o in parsed.objects}
    assert set(report.object_refs) <= ids
    assert report.report_types == ["attack-pattern", "indicator", "threat-report"]
    assert report.x_entente_coauthors == [COAUTHOR.org_id]
    assert report.x_entente_attack_releases == ["ICS ATT&CK v18.1"]
    assert report.published == report.created
    # The analyst's own course of action is a STIX object of the advisory too.
    assert any(
        o.type == "course-of-action" and o.created_by_ref == advisory.draft.author.org_id
        for o in parsed.objects
    )


def test_the_marking_is_the_highest_tlp_of_the_content_not_of_attack() -> None:
    amber = build_advisory(draft(), selection(), attack_data(), default_tlp=Tlp.GREEN)
    assert amber.tlp is Tlp.AMBER
    assert marking_id_for(Tlp.AMBER) in amber.report["object_marking_refs"]
    green = build_advisory(
        draft(), selection(amber_indicator=False), attack_data(), default_tlp=Tlp.GREEN
    )
    assert green.tlp is Tlp.GREEN
    # Unmarked content reads as the node's default, as the sharing policy reads it.
    strict = build_advisory(
        draft(), selection(amber_indicator=False), attack_data(), default_tlp=Tlp.AMBER_STRICT
    )
    assert strict.tlp is Tlp.AMBER_STRICT


def test_techniques_are_pinned_to_the_release_with_their_use() -> None:
    advisory = build_advisory(draft(), selection(), attack_data(), default_tlp=Tlp.GREEN)
    rows = {row.attack_id: row for row in advisory.techniques}
    assert len(rows) == 10
    assert {row.release for row in rows.values()} == {"ICS ATT&CK v18.1"}
    assert rows["T0855"].tactics == ("Impair Process Control",)
    assert rows["T0855"].name == "Unauthorized Command Message"
    # MITRE's words for the campaign's use, without Markdown links and citation markers.
    assert rows["T0855"].use.startswith("In the Triton Safety Instrumented System Attack, TEMP.")
    assert "(Citation" not in rows["T0855"].use and "](" not in rows["T0855"].use
    mitigations = {m.attack_id: m for m in advisory.mitigations}
    assert mitigations["M0802"].name == "Communication Authenticity"
    assert "T0855" in mitigations["M0802"].mitigates
    assert mitigations[None].description.startswith("Keep safety controllers' key switches")


def test_a_deprecated_technique_is_refused_by_name() -> None:
    deprecated = next(o for o in ics_objects() if o["id"] == ROLE_IDENTIFICATION)
    with pytest.raises(InvalidInput, match="Role Identification is deprecated"):
        build_advisory(draft(), [*selection(), deprecated], attack_data(), default_tlp=Tlp.GREEN)


def test_a_technique_version_not_in_the_pinned_release_is_refused() -> None:
    chosen = selection()
    technique = next(o for o in chosen if o["type"] == "attack-pattern")
    edited = {**technique, "modified": "2026-01-01T00:00:00.000Z"}
    chosen = [edited if o is technique else o for o in chosen]
    with pytest.raises(InvalidInput, match=r"is in no pinned ATT&CK release \(ICS ATT&CK v18.1\)"):
        build_advisory(draft(), chosen, attack_data(), default_tlp=Tlp.GREEN)


def test_iocs_are_values_by_type_and_an_unreducible_pattern_is_listed_whole() -> None:
    advisory = build_advisory(draft(), selection(), attack_data(), default_tlp=Tlp.GREEN)
    assert [(i.kind, i.value) for i in advisory.iocs] == [
        ("Domain", "e.ct.toh.info"),
        ("IP address", "101.78.151.179"),
        ("IP address", "219.76.208.163"),
        ("STIX pattern", "[file:name = 'CBricksDoc']"),
    ]


def test_the_markdown_has_the_joint_advisory_sections_in_order() -> None:
    advisory = build_advisory(draft(), selection(), attack_data(), default_tlp=Tlp.GREEN)
    text = render_markdown(advisory)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert [h.lstrip("# ") for h in headings] == [
        "Triton Targets Safety Instrumented Systems in Industrial Plants",
        "Summary",
        "Technical Details",
        "MITRE ATT&CK Tactics and Techniques",
        "Indicators of Compromise",
        "Mitigations",
        "Resources",
        "Disclaimer",
        "Acknowledgements",
    ]
    assert text.startswith("**TLP:AMBER**") and text.rstrip().endswith("**TLP:AMBER**")
    assert "uses the MITRE ATT&CK framework, ICS ATT&CK v18.1" in text
    assert "| Impair Process Control | Unauthorized Command Message | T0855 |" in text
    assert "Co-sealed by Agency A (author) and Agency B." in text


def test_bad_drafts_are_refused() -> None:
    with pytest.raises(InvalidInput, match="title and a summary"):
        build_advisory(draft(title=" "), selection(), attack_data(), default_tlp=Tlp.GREEN)
    with pytest.raises(InvalidInput, match="at least one object"):
        build_advisory(draft(), [], attack_data(), default_tlp=Tlp.GREEN)
    with pytest.raises(InvalidInput, match="co-author"):
        build_advisory(
            draft(coauthors=(COAUTHOR, COAUTHOR)), selection(), attack_data(), default_tlp=Tlp.GREEN
        )
