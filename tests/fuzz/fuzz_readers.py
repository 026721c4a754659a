"""Atheris (libFuzzer) harness over the STIX parser and the ingest readers.

Each input is routed by its first byte to one target; the rest of it is the document:

* a STIX object decoded and validated (``decode_document`` + ``parse_object``);
* a STIX pattern (``validate_pattern``);
* a document through ``open_document`` as stdin, in each format (auto, STIX, MISP, CSV and
  text feeds) with every candidate validated, as ``entente ingest -`` would;
* a STIX bundle read whole and streamed (``read_stix``);
* a STIX object built field by field from the input (``atheris.FuzzedDataProvider``).

A crash is any exception other than the documented ``entente.errors.InvalidInput`` family
(bad input, told with its reason). Run it with ``make fuzz`` (``FUZZ_SECONDS``) or

    python tests/fuzz/fuzz_readers.py -max_total_time=600 -rss_limit_mb=2048 CORPUS_DIR SEEDS
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterable
from typing import Any

import atheris

with atheris.instrument_imports(include=["entente"]):
    from entente.errors import InvalidInput
    from entente.ingest import Candidate, InputFormat, open_document
    from entente.ingest.stix_bundle import read_stix
    from entente.stix import decode_document, parse_object, validate_pattern

_FORMATS = list(InputFormat)
_PROPERTIES = [
    "type", "id", "spec_version", "created", "modified", "created_by_ref", "revoked",
    "labels", "confidence", "lang", "external_references", "object_marking_refs",
    "granular_markings", "extensions", "name", "description", "pattern", "pattern_type",
    "valid_from", "valid_until", "kill_chain_phases", "object_refs", "sighting_of_ref",
    "count", "first_seen", "last_seen", "value", "hashes", "number_observed",
    "first_observed", "last_observed", "relationship_type", "source_ref", "target_ref",
]  # fmt: skip
_TYPES = [
    "indicator", "malware", "sighting", "relationship", "report", "identity", "ipv4-addr",
    "file", "marking-definition", "observed-data", "x-custom", "bundle", "location",
]  # fmt: skip


def _validate_all(candidates: Iterable[Candidate]) -> None:
    for candidate in candidates:
        if candidate.data is not None:
            with contextlib.suppress(InvalidInput):
                parse_object(dict(candidate.data))


def _value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> Any:
    kind = fdp.ConsumeIntInRange(0, 7 if depth < 3 else 4)
    if kind == 0:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
    if kind == 1:
        return fdp.ConsumeInt(8)
    if kind == 2:
        return fdp.ConsumeBool()
    if kind == 3:
        return None
    if kind == 4:
        return fdp.ConsumeRegularFloat()
    if kind == 5:
        return [_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    return {
        fdp.PickValueInList(_PROPERTIES): _value(fdp, depth + 1)
        for _ in range(fdp.ConsumeIntInRange(0, 3))
    }


def _structured(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    kind = fdp.PickValueInList(_TYPES)
    obj: dict[str, Any] = {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--00000000-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
    }
    for _ in range(fdp.ConsumeIntInRange(0, 8)):
        obj[fdp.PickValueInList(_PROPERTIES)] = _value(fdp)
    with contextlib.suppress(InvalidInput):
        parse_object(obj)


def test_one_input(data: bytes) -> None:
    """One fuzz input: see the module docstring for how it is routed."""
    if not data:
        return
    route, body = data[0] % 8, data[1:]
    try:
        if route == 0:
            document = decode_document(body)
            items = document if isinstance(document, list) else [document]
            for item in items:
                with contextlib.suppress(InvalidInput):
                    parse_object(item)
        elif route == 1:
            validate_pattern(body.decode("utf-8", errors="replace"))
        elif route in (2, 3, 4):
            fmt = _FORMATS[(route - 2 + (body[:1] or b"\0")[0]) % len(_FORMATS)]
            document = open_document(
                "-",
                fmt=fmt,
                source_name=None,
                now="2024-01-01T00:00:00.000Z",
                markings=(),
                stdin=io.BytesIO(body),
            )
            _validate_all(document.candidates)
        elif route == 5:
            _validate_all(read_stix(io.BytesIO(body), source="fuzz", size=len(body)))
        elif route == 6:
            _validate_all(read_stix(io.BytesIO(body), source="fuzz", size=None))
        else:
            _structured(body)
    except InvalidInput:
        pass


def main() -> None:
    """Run libFuzzer over ``test_one_input`` with the command line's options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
