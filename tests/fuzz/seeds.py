"""Seed inputs for the reader harness: real third-party samples from tests/data, one per route.

python tests/fuzz/seeds.py SEED_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

_DATA = Path(__file__).resolve().parents[1] / "data"
_MAX_BYTES = 128 * 1024
# Route bytes of fuzz_readers.test_one_input: 0 object, 1 pattern, 2-4 any format through
# open_document, 5 STIX whole, 6 STIX streamed, 7 structured.
_JSON_ROUTES = (0, 2, 3, 4, 5, 6)
_TEXT_ROUTES = (2, 3, 4)
_PATTERNS = (
    "[ipv4-addr:value = '198.51.100.1']",
    "[domain-name:value LIKE '%.example.com'] OR [url:value = 'http://x.example/a']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "([ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']) WITHIN 60 SECONDS",
)


def write_seeds(target: Path) -> int:
    """Write the seeds into ``target``; how many."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(_DATA.rglob("*")):
        if not path.is_file() or path.suffix == ".gz" or path.stat().st_size > _MAX_BYTES:
            continue
        body = path.read_bytes()
        routes = _JSON_ROUTES if body.lstrip()[:1] in (b"{", b"[") else _TEXT_ROUTES
        for route in routes:
            (target / f"{route}-{count}").write_bytes(bytes([route]) + body)
            count += 1
    for pattern in _PATTERNS:
        (target / f"1-{count}").write_bytes(b"\x01" + pattern.encode())
        count += 1
    return count


if __name__ == "__main__":
    print(write_seeds(Path(sys.argv[1])), "seeds")
