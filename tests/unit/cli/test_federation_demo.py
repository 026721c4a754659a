"""The federation demo's explanations come from the sharing policy itself."""

from __future__ import annotations

from typing import Any

from entente.cli.federation_demo import AGREEMENTS, CREATED, IL, US, UTILITY, _why_not
from entente.clock import SystemClock
from entente.services.sample_intel import sample_intel
from entente.services.tokens import org_identity_id
from entente.sharing import parse_agreement


def _named(word: str) -> dict[str, Any]:
    """The US CERT sample object whose name contains ``word``."""
    return next(o for o in sample_intel(US, octet=1, created=CREATED) if word in str(o.get("name")))


def test_the_demo_agreements_are_valid_and_bind_the_three_orgs() -> None:
    agreements = [parse_agreement(doc, org_id=org_identity_id) for doc in AGREEMENTS]
    parties = set().union(*(a.parties for a in agreements))
    assert parties == {org_identity_id(org) for org in (US, IL, UTILITY)}


def test_red_is_explained_as_never_leaving_the_node() -> None:
    red = next(
        o for o in sample_intel(US, octet=1, created=CREATED) if "ongoing" in str(o.get("name"))
    )
    assert "RED never leaves" in _why_not(red, US, IL, SystemClock().now_us())


def test_amber_to_the_utility_is_above_its_green_agreement() -> None:
    amber = next(
        o for o in sample_intel(US, octet=1, created=CREATED) if "c2 url" in str(o.get("name"))
    )
    reason = _why_not(amber, US, UTILITY, SystemClock().now_us())
    assert "above the max TLP" in reason
    assert not reason.startswith("not visible")


def test_what_the_agreement_allows_is_not_explained_as_denied() -> None:
    green = next(
        o for o in sample_intel(US, octet=1, created=CREATED) if "phishing" in str(o.get("name"))
    )
    assert _why_not(green, US, UTILITY, SystemClock().now_us()).startswith("allowed")
