"""``[[collections]]``'s ``public`` flag: publishing there needs the publish-public approval."""

from __future__ import annotations

import pytest

from entente.config import parse_collections
from entente.errors import ConfigurationError


def test_a_collection_is_public_only_when_it_says_so() -> None:
    public, internal = parse_collections(
        [{"title": "Public", "public": True}, {"title": "Internal"}]
    )
    assert (public.public, internal.public) == (True, False)


def test_public_must_be_a_boolean() -> None:
    with pytest.raises(ConfigurationError, match="public must be true or false"):
        parse_collections([{"title": "Public", "public": "yes"}])
