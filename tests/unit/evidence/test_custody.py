"""The custody chain: each entry's hash covers it and the previous entry's hash."""

from __future__ import annotations

from entente.evidence.custody import chain, chain_problems, entry_hash


def _log() -> list[dict[str, object]]:
    return chain([{"seq": n, "event": "viewed"} for n in range(1, 5)])


def test_a_chained_log_is_sound() -> None:
    log = _log()
    assert chain_problems(log) == []
    assert log[0]["prev"] is None
    assert log[2]["prev"] == log[1]["hash"] == entry_hash(log[1])


def test_dropping_reordering_or_editing_an_entry_is_named() -> None:
    log = _log()
    assert chain_problems(log[:1] + log[2:]) == [
        "entry 2: prev does not match the previous entry's hash"
    ]
    assert chain_problems(log[1:]) == ["entry 1: prev does not match the previous entry's hash"]
    swapped = [log[0], log[2], log[1], log[3]]
    assert "entry 2: prev does not match the previous entry's hash" in chain_problems(swapped)
    edited = [dict(entry) for entry in log]
    edited[2]["event"] = "exported"
    assert chain_problems(edited) == ["entry 3: hash does not cover its content"]
    assert chain_problems(["x"]) == ["entry 1 is not a JSON object"]
