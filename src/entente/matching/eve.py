"""Suricata EVE JSON: the fields matched in each event and the SQL that reads them.

One reader for every ``event_type`` (alert, dns, http, tls, fileinfo, smtp, flow, ...): a
field an event does not carry is NULL. DNS comes in both EVE layouts: version 1 puts
``dns.rrname``/``dns.rdata`` on each query and answer event; version 2 and later put the
queries in ``dns.queries[].rrname`` and the answers in ``dns.answers[].rdata``.
"""

from __future__ import annotations

from typing import Final

from entente.matching.duck import JsonShape, Projection, context_struct, epoch_seconds, http_url
from entente.matching.model import FieldSpec, ValueKind

__all__ = ["CONTEXT_KEYS", "projection"]

# The correlation fields put in ``context`` (flow_id and ports as numbers).
CONTEXT_KEYS: Final = (
    "flow_id", "community_id", "src_ip", "src_port", "dest_ip", "dest_port", "proto",
)  # fmt: skip
_NUMBERS: Final = frozenset({"flow_id", "src_port", "dest_port"})


def projection() -> tuple[Projection, JsonShape]:
    """The projection of EVE events, and the JSON keys it reads.

    ``ts`` comes from ``timestamp`` (ISO-8601 with its offset, UTC without one); ``log`` is
    ``suricata.`` + ``event_type``. ``http.url`` is built as ``http://`` + ``hostname``
    (+ ``:`` + ``http_port`` unless 80) + ``url`` (see ``duck.http_url``).
    """
    r = JsonShape()
    columns = (
        (FieldSpec("src_ip", ValueKind.IP), r.text("src_ip")),
        (FieldSpec("dest_ip", ValueKind.IP), r.text("dest_ip")),
        (FieldSpec("dns.rrname", ValueKind.DOMAIN), r.text("dns", "rrname")),
        (FieldSpec("dns.rdata", ValueKind.HOST), r.text("dns", "rdata")),
        (
            FieldSpec("dns.queries.rrname", ValueKind.DOMAIN, many=True),
            _each(r.objects(("dns", "queries"), {"rrname": "VARCHAR"}), "rrname"),
        ),
        (
            FieldSpec("dns.answers.rdata", ValueKind.HOST, many=True),
            _each(r.objects(("dns", "answers"), {"rdata": "VARCHAR"}), "rdata"),
        ),
        (FieldSpec("http.hostname", ValueKind.HOST), r.text("http", "hostname")),
        (
            FieldSpec("http.url", ValueKind.URL),
            http_url(
                r.text("http", "hostname"), r.text("http", "url"), r.integer("http", "http_port")
            ),
        ),
        (FieldSpec("tls.sni", ValueKind.DOMAIN), r.text("tls", "sni")),
        (FieldSpec("tls.ja3.hash", ValueKind.JA3), r.text("tls", "ja3", "hash")),
        (FieldSpec("tls.ja3s.hash", ValueKind.JA3S), r.text("tls", "ja3s", "hash")),
        (FieldSpec("tls.ja4", ValueKind.JA4), r.text("tls", "ja4")),
        (FieldSpec("fileinfo.md5", ValueKind.MD5), r.text("fileinfo", "md5")),
        (FieldSpec("fileinfo.sha1", ValueKind.SHA1), r.text("fileinfo", "sha1")),
        (FieldSpec("fileinfo.sha256", ValueKind.SHA256), r.text("fileinfo", "sha256")),
        (FieldSpec("email.from", ValueKind.EMAIL), r.text("email", "from")),
        (FieldSpec("email.to", ValueKind.EMAIL, many=True), r.texts("email", "to")),
    )
    context = [(key, r.integer(key) if key in _NUMBERS else r.text(key)) for key in CONTEXT_KEYS]
    event_type = r.text("event_type")
    result = Projection(
        ts=epoch_seconds(r.text("timestamp")),
        log=f"coalesce('suricata.' || {event_type}, 'suricata')",
        context=context_struct(context),
        columns=columns,
    )
    return result, r


def _each(objects: str, member: str) -> str:
    """SQL: one member of every object in a list."""
    return f"list_transform({objects}, lambda item: item['{member}'])"
