"""Bad input over HTTP: refused alone, authorised before it is read, bounded in memory."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from tests.unit.server.conftest import ALL, ROOT, SECRET, TAXII, Harness, indicator, serving

from entente.server import create_app
from entente.server.bodies import BodyGate

OBJECTS = f"{ROOT}collections/{ALL}/objects/"


def deep_text(obj: dict[str, Any], depth: int) -> bytes:
    return orjson.dumps(obj)[:-1] + b',"x_deep":' + b'{"x":' * depth + b"1" + b"}" * depth + b"}"


@pytest.mark.parametrize("depth", [70, 300, 2000])
def test_a_posted_object_nested_too_deep_fails_alone(harness: Harness, depth: int) -> None:
    siblings = [indicator(1), indicator(3)]
    body = (
        b'{"objects":['
        + orjson.dumps(siblings[0])
        + b","
        + deep_text(indicator(2), depth)
        + b","
        + orjson.dumps(siblings[1])
        + b"]}"
    )
    response = harness.client.post(
        OBJECTS,
        content=body,
        headers={**harness.headers["admin"], "Accept": TAXII, "Content-Type": TAXII},
    )
    assert response.status_code == 202, response.text
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (2, 1)
    [failure] = status["failures"]
    assert "nested deeper than 64 levels" in failure["message"]
    assert [s["id"] for s in status["successes"]] == [o["id"] for o in siblings]


def test_a_reader_post_is_refused_before_its_body_is_read(harness: Harness) -> None:
    consumed: list[int] = []

    def body() -> Iterator[bytes]:
        consumed.append(1)
        yield orjson.dumps({"objects": [indicator(1)]})

    response = harness.client.post(
        OBJECTS,
        content=body(),
        headers={**harness.headers["reader_b"], "Accept": TAXII, "Content-Type": TAXII},
    )
    assert response.status_code == 403
    assert consumed == []
    # Even a body far over the size limit: the role is what is refused, first.
    huge = harness.client.post(
        OBJECTS,
        content=b"x" * 200_000,
        headers={**harness.headers["reader_b"], "Accept": TAXII, "Content-Type": TAXII},
    )
    assert huge.status_code == 403


def test_the_gate_holds_at_most_its_slots_and_lets_every_request_through() -> None:
    gate = BodyGate(slots=2)
    inside = 0
    most = 0

    class Body:
        """A request that yields its body after a pause (as a slow client would)."""

        def __init__(self) -> None:
            self.headers: dict[str, str] = {}

        async def stream(self) -> Any:
            await asyncio.sleep(0.01)
            yield b"{}"

    async def one() -> None:
        nonlocal inside, most
        async with gate.held(Body(), 100) as raw:  # type: ignore[arg-type]
            inside += 1
            most = max(most, inside)
            assert raw == b"{}"
            await asyncio.sleep(0.01)
            inside -= 1

    async def many() -> None:
        await asyncio.gather(*(one() for _ in range(12)))

    asyncio.run(many())
    assert most == gate.most_held == 2


def test_parallel_large_posts_all_succeed_through_a_real_server(harness: Harness) -> None:
    # Twelve near-limit bodies at once against uvicorn on loopback (the harness allows 64 KiB).
    def envelope(k: int) -> bytes:
        objects = [indicator(k * 1000 + n) for n in range(150)]
        return orjson.dumps({"objects": objects})

    app = create_app(harness.node, secret=SECRET)
    results: list[int] = []
    with serving(app) as base:

        def post(k: int) -> None:
            response = httpx.post(
                f"{base}{OBJECTS}",
                content=envelope(k),
                headers={**harness.headers["admin"], "Accept": TAXII, "Content-Type": TAXII},
                timeout=60,
            )
            results.append(response.json()["success_count"] if response.status_code == 202 else -1)

        assert 30_000 < len(envelope(1)) < 65_536
        threads = [threading.Thread(target=post, args=(k,)) for k in range(1, 13)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert results == [150] * 12
    gate = app.state.body_gate
    assert 1 <= gate.most_held <= gate.slots
