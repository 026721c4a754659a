"""A preservation request needs each of the six elements of Art. 29(2); a missing one is named."""

from __future__ import annotations

import pytest
from tests.unit.preservation.letters import complete

from entente.errors import InvalidInput
from entente.preservation import ELEMENTS, MLA_INTENT

# Each element, the argument that empties it, and what the error says is missing.
MISSING = [
    ("a", {"requesting_authority": "  "}, "missing the requesting authority"),
    ("b", {"offence": ""}, "missing offence"),
    ("b", {"facts": ""}, "missing facts"),
    ("c", {"data": ()}, "missing data (no object of the case you may see names any)"),
    ("c", {"data_link": ""}, "missing the data's relationship to the offence"),
    ("d", {"custodian": ""}, "missing the custodian or location"),
    ("e", {"necessity": "\n"}, "missing the necessity"),
    ("f", {"mutual_assistance": ""}, "missing the mutual assistance intent"),
]


@pytest.mark.parametrize(("letter", "change", "said"), MISSING)
def test_each_missing_element_is_named_with_its_letter_and_title(
    letter: str, change: dict[str, object], said: str
) -> None:
    element = next(e for e in ELEMENTS if e.letter == letter)
    with pytest.raises(InvalidInput) as caught:
        complete(**change)
    message = str(caught.value)
    assert f"({letter}) {element.title.lower()}: {said}" in message
    assert "Art. 29(2)" in message
    others = {e.letter for e in ELEMENTS} - {letter}
    assert not any(f"({other}) " in message for other in others)


def test_every_missing_element_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        complete(requesting_authority="", offence="", facts="", data=(), data_link="",
                 custodian="", necessity="", mutual_assistance="")  # fmt: skip
    message = str(caught.value)
    assert [f"({e.letter})" in message for e in ELEMENTS] == [True] * 6


def test_a_complete_request_keeps_its_text_trimmed_and_the_convention_s_mla_wording() -> None:
    request = complete(offence="  Illegal access  ")
    assert request.offence == "Illegal access"
    assert request.mutual_assistance == MLA_INTENT
    assert [e.citation for e in ELEMENTS] == [f"Art. 29(2)({x})" for x in "abcdef"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"reference": "PR 1"}, "is not a reference"),
        ({"date": "5 Dec 2026"}, "is not YYYY-MM-DD"),
        ({"signatory": ""}, "needs a signatory"),
        ({"facts": "x" * 10_001}, "longer than"),
    ],
)
def test_a_bad_reference_date_signatory_or_text_is_refused(
    change: dict[str, object], said: str
) -> None:
    with pytest.raises(InvalidInput, match=said):
        complete(**change)
