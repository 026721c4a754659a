"""Store records: what a copy of a stored version keeps."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from entente.store import Provenance, SourceKind, StoredVersion


# The flags once each way round: a flag the copy forgot (its default is False) or two fields
# it swapped would show in one of them.
@pytest.mark.parametrize(("is_first", "is_last"), [(True, False), (False, True)])
def test_a_version_with_other_bytes_keeps_every_other_field(is_first: bool, is_last: bool) -> None:
    # No other field at its default and no two of the same value, so that one the copy
    # forgot or put in another's place would show.
    version = StoredVersion(
        id="indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        type="indicator",
        spec_version="2.1",
        version="2026-01-01T00:00:00.000000000Z",
        created="2025-12-01T00:00:00.000000000Z",
        modified="2026-01-02T00:00:00.000000000Z",
        created_by_ref="identity--1d96702c-5f3f-57c7-a12e-7f3ee3f1de56",
        revoked=True,
        marking_refs=("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",),
        raw_json=b'{"id": "old"}',
        date_added_us=17,
        provenance=Provenance(SourceKind.PARTNER, "partner", "org", "agreement", org="org"),
        granular_markings=(("marking-definition--x", ("name",)),),
        is_first=is_first,
        is_last=is_last,
    )
    copy = version.with_raw_json(b'{"id": "new"}')
    expected = replace(version, raw_json=b'{"id": "new"}')
    # Every field, those left out of equality (is_first, is_last) too.
    assert [getattr(copy, f.name) for f in fields(StoredVersion)] == [
        getattr(expected, f.name) for f in fields(StoredVersion)
    ]
    assert version.raw_json == b'{"id": "old"}'
