"""A merged case's markings are never less restrictive than any original's."""

from __future__ import annotations

from entente.cases import merged_markings
from entente.stix import Tlp, marking_id_for

STATEMENT = "marking-definition--00000000-0000-4000-8000-000000000001"


def test_the_strictest_tlp_of_the_originals_and_every_other_marking() -> None:
    green, red = marking_id_for(Tlp.GREEN), marking_id_for(Tlp.RED)
    assert merged_markings([(green,), (red, STATEMENT)], Tlp.AMBER) == (red, STATEMENT)
    assert merged_markings([(green,), (green,)], Tlp.AMBER) == (green,)


def test_an_original_without_tlp_reads_as_the_nodes_default() -> None:
    green = marking_id_for(Tlp.GREEN)
    strict = marking_id_for(Tlp.AMBER_STRICT)
    assert merged_markings([(green,), ()], Tlp.AMBER_STRICT) == (strict,)
    assert merged_markings([(green,), (STATEMENT,)], Tlp.CLEAR) == (green, STATEMENT)
