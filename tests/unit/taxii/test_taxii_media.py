"""TAXII 2.1 §1.6.8 content negotiation: Accept (→ 406) and POST Content-Type (→ 415)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.taxii.media import (
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    is_acceptable_content_type,
    negotiate,
)


@pytest.mark.parametrize(
    "accept",
    [
        "application/taxii+json;version=2.1",
        "application/taxii+json",  # medallion answered 406 to this; §1.6.8.2 means "latest"
        "APPLICATION/TAXII+JSON; VERSION=2.1",
        'application/taxii+json; version="2.1"',
        "*/*",
        "application/*",
        "text/html, application/taxii+json;q=0.1",
        "application/taxii+json;version=2.1;q=0.5",
        "  application/taxii+json ; version=2.1  ",
    ],
)
def test_taxii_media_ranges_covering_taxii_21_are_accepted(accept: str) -> None:
    assert negotiate(accept, TAXII_MEDIA_TYPE) == TAXII_MEDIA_TYPE


@pytest.mark.parametrize(
    "accept",
    [
        "application/taxii+json;version=2.0",
        "application/json",
        "text/html",
        "application/taxii+json;q=0",
        "application/taxii+json;version=2.1;q=0, */*",  # the specific q=0 wins over */*
        "*/*;q=0",
        "application/*;q=0, */*;q=0.0",
        "application/stix+json;version=2.1",
        "nonsense",
    ],
)
def test_taxii_media_ranges_not_covering_taxii_21_give_406(accept: str) -> None:
    assert negotiate(accept, TAXII_MEDIA_TYPE) is None


def test_taxii_media_missing_or_blank_accept_means_anything() -> None:
    assert negotiate(None, TAXII_MEDIA_TYPE) == TAXII_MEDIA_TYPE
    assert negotiate("  ", TAXII_MEDIA_TYPE) == TAXII_MEDIA_TYPE


def test_taxii_media_more_specific_range_overrides_wildcard_exclusion() -> None:
    assert negotiate("*/*;q=0, application/taxii+json", TAXII_MEDIA_TYPE) == TAXII_MEDIA_TYPE


def test_taxii_media_malformed_members_are_skipped_not_fatal() -> None:
    assert negotiate("garbage;;=, application/taxii+json", TAXII_MEDIA_TYPE) == TAXII_MEDIA_TYPE
    assert negotiate("application/taxii+json;q=2", TAXII_MEDIA_TYPE) is None
    assert negotiate("application/taxii+json;q=abc", TAXII_MEDIA_TYPE) is None


def test_taxii_media_quoted_comma_does_not_split_a_member() -> None:
    header = 'application/taxii+json;foo="a,b";version=2.1'
    # "foo" is not a parameter of the offered type, so the range does not match it.
    assert negotiate(header, TAXII_MEDIA_TYPE) is None
    assert negotiate(header + ", application/*", TAXII_MEDIA_TYPE) == TAXII_MEDIA_TYPE


def test_taxii_media_offered_must_be_concrete() -> None:
    with pytest.raises(ValueError, match="concrete"):
        negotiate("*/*", "application/*")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/taxii+json;version=2.1",
        "application/taxii+json",
        "Application/TAXII+JSON ;  Version=2.1",
        "application/taxii+json; charset=utf-8; version=2.1",
        'application/taxii+json;version="2.1"',
    ],
)
def test_taxii_media_post_content_type_taxii_21_is_accepted(content_type: str) -> None:
    assert is_acceptable_content_type(content_type, TAXII_MEDIA_TYPE)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/taxii+json;version=2.0",
        "application/json",
        "application/stix+json;version=2.1",
        "application/*",
        "*/*",
        "application/taxii+json; charset=latin-1",
        "application/taxii+json, application/json",
        "application/taxii+json;version",
    ],
)
def test_taxii_media_post_content_type_other_is_refused(content_type: str | None) -> None:
    assert not is_acceptable_content_type(content_type, TAXII_MEDIA_TYPE)


def test_taxii_media_stix_constant_is_the_stix_21_type() -> None:
    assert STIX_MEDIA_TYPE == "application/stix+json;version=2.1"
    assert is_acceptable_content_type("application/stix+json", STIX_MEDIA_TYPE)


# --- property: negotiate agrees with a naive reading of RFC 9110 §12.5.1 -------------------

_TYPES = [
    "application/taxii+json",
    "application/stix+json",
    "application/json",
    "application/*",
    "text/html",
    "text/*",
    "*/*",
]
_VERSIONS = [None, "2.1", "2.0"]
_QS = [None, "0", "0.0", "0.001", "0.5", "1", "1.000"]

_member = st.tuples(st.sampled_from(_TYPES), st.sampled_from(_VERSIONS), st.sampled_from(_QS))


def _render(member: tuple[str, str | None, str | None], spaces: str) -> str:
    media, version, q = member
    text = media
    if version is not None:
        text += f";{spaces}version={version}"
    if q is not None:
        text += f"{spaces};q={q}"
    return text


def _reference(members: list[tuple[str, str | None, str | None]]) -> bool:
    """Naive: find every range matching application/taxii+json;version=2.1, rank, decide."""
    ranked = []
    for media, version, q in members:
        kind, sub = media.split("/")
        if kind not in ("*", "application") or sub not in ("*", "taxii+json"):
            continue
        if version not in (None, "2.1"):
            continue
        rank = 0 if kind == "*" else 1 if sub == "*" else 2
        ranked.append((rank, 0 if version is None else 1, float(q) if q is not None else 1.0))
    if not ranked:
        return False
    return max(ranked)[2] > 0


@given(st.lists(_member, max_size=6), st.sampled_from(["", " ", "  "]))
def test_taxii_media_negotiate_agrees_with_naive_reference(
    members: list[tuple[str, str | None, str | None]], spaces: str
) -> None:
    header = f",{spaces}".join(_render(m, spaces) for m in members)
    expected = _reference(members) if members else True
    assert (negotiate(header, TAXII_MEDIA_TYPE) == TAXII_MEDIA_TYPE) is expected
