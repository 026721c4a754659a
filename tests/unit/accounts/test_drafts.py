"""Sealed ingest drafts: they open unaltered, in their own session, within their lifetime."""

from __future__ import annotations

import pytest

from entente.accounts import DRAFT_TTL_US, Draft, DraftSealer
from entente.errors import InvalidInput

SECRET = b"0123456789abcdef0123456789abcdef"
DRAFT = Draft("report.txt", b"beacon to 185.220.101.47\n" * 100, "analyst notes", "green")
NOW = 1_700_000_000_000_000


def test_a_draft_opens_as_it_was_sealed_in_its_session() -> None:
    sealer = DraftSealer(SECRET)
    token = sealer.seal(DRAFT, "session-a", NOW)
    assert sealer.unseal(token, "session-a", NOW + DRAFT_TTL_US) == DRAFT
    # Compressed: a repetitive document travels in less than its size.
    assert len(token) < len(DRAFT.content)
    assert b"185.220" not in token.encode()


@pytest.mark.parametrize(
    ("binding", "at"),
    [("session-b", NOW), ("session-a", NOW + DRAFT_TTL_US + 1), ("session-a", NOW - 1)],
)
def test_a_draft_of_another_session_or_out_of_its_time_does_not_open(binding: str, at: int) -> None:
    sealer = DraftSealer(SECRET)
    token = sealer.seal(DRAFT, "session-a", NOW)
    with pytest.raises(InvalidInput, match="expired or does not belong"):
        sealer.unseal(token, binding, at)


def test_an_altered_or_foreign_draft_does_not_open() -> None:
    sealer = DraftSealer(SECRET)
    token = sealer.seal(DRAFT, "session-a", NOW)
    flipped = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    other = DraftSealer(b"f" * 32).seal(DRAFT, "session-a", NOW)
    for bad in (flipped, other, "", "!!!", token[:20]):
        with pytest.raises(InvalidInput):
            sealer.unseal(bad, "session-a", NOW)
