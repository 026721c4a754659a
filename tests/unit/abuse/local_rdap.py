"""RDAP registries on loopback, answering with recorded real responses (tests/data/rdap).

Each recorded answer is served under the path of the server that gave it (its ``self``
link), below ``http://127.0.0.1:PORT/<host>/``; IANA's bootstrap files (as recorded) are
served with every server URL rewritten to that loopback form, and an answer's ``up`` link
(RFC 9083 §4.2) is rewritten the same way when served: those are the only changes made to the
recorded data. A server asked for a resource another registry holds answers
``301 Moved Permanently`` to that registry (RFC 7480 §5.2), as ARIN does for address space
transferred to RIPE; a network asked for by its CIDR (as "up" links name them) is the answer
with exactly that range. ``extra`` answers, written by a test, are served the same way.
Leaving the ``with`` stops the server.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

__all__ = ["DATA", "LocalRdap"]

DATA = Path(__file__).parents[2] / "data" / "rdap"
_ANSWERS = (
    "whoisit-ip_v4",
    "whoisit-ip_v4_2",
    "whoisit-ip_v4_3",
    "whoisit-ip_v6",
    "whoisit-domain1",
    "whoisit-domain2",
    "whoisit-domain3",
    "ipwhois-ip_v6_jpnic",
)


def _self_link(answer: dict[str, Any]) -> str:
    return next(str(link["href"]) for link in answer["links"] if link.get("rel") == "self")


class LocalRdap:
    """The recorded RDAP world on 127.0.0.1; ``bootstrap_url`` is its IANA-like base."""

    def __init__(self, extra: Sequence[dict[str, Any]] = ()) -> None:
        self.answers: list[tuple[str, str, dict[str, Any]]] = []  # (base path, kind, answer)
        recorded = [json.loads((DATA / f"{n}.json").read_text(encoding="utf-8")) for n in _ANSWERS]
        for answer in [*recorded, *extra]:
            link = urlsplit(_self_link(answer))
            kind = "ip" if answer["objectClassName"] == "ip network" else "domain"
            base = f"/{link.hostname}{link.path.split(f'/{kind}/')[0]}/"
            self.answers.append((base, kind, answer))
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                status, headers, body = owner.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def bootstrap_url(self) -> str:
        """Where ``ipv4.json``, ``ipv6.json`` and ``dns.json`` are served."""
        return f"{self.base}/iana/"

    def _rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{self.base}/{parts.hostname}{parts.path}"

    def _bootstrap(self, name: str) -> dict[str, Any]:
        recorded = json.loads((DATA / "whoisit-bootstrap.json").read_text(encoding="utf-8"))
        document = recorded[name.removesuffix(".json")]
        for service in document["services"]:
            service[1] = [self._rewrite(u) for u in service[1]]
        return dict(document)

    def _served(self, answer: dict[str, Any]) -> dict[str, Any]:
        links = [
            {**link, "href": self._rewrite(str(link["href"]))} if link.get("rel") == "up" else link
            for link in answer.get("links", [])
        ]
        return {**answer, "links": links}

    def _holder(self, kind: str, value: str) -> tuple[str, dict[str, Any]] | None:
        for base, answer_kind, answer in self.answers:
            if answer_kind != kind:
                continue
            if kind == "domain" and str(answer["ldhName"]).lower() == value.lower():
                return base, answer
            if kind == "ip":
                first = ipaddress.ip_address(answer["startAddress"])
                last = ipaddress.ip_address(answer["endAddress"])
                if "/" in value:  # a network by its CIDR: exactly that range
                    network = ipaddress.ip_network(value)
                    if (network.network_address, network.broadcast_address) == (first, last):
                        return base, answer
                    continue
                address = ipaddress.ip_address(value)
                if address.version == first.version and int(first) <= int(address) <= int(last):
                    return base, answer
        return None

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one GET."""
        json_type = {"Content-Type": "application/rdap+json"}
        if path.startswith("/iana/"):
            body = json.dumps(self._bootstrap(path.removeprefix("/iana/"))).encode()
            return 200, {"Content-Type": "application/json"}, body
        for kind in ("ip", "domain"):
            base, sep, value = path.partition(f"/{kind}/")
            if not sep:
                continue
            holder = self._holder(kind, value)
            if holder is None:
                return 404, json_type, b'{"errorCode": 404, "title": "Not Found"}'
            if holder[0] != f"{base}/":
                return 301, {"Location": f"{self.base}{holder[0]}{kind}/{value}"}, b""
            return 200, json_type, json.dumps(self._served(holder[1])).encode()
        return 404, json_type, b'{"errorCode": 404}'

    def __enter__(self) -> LocalRdap:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
