"""OCSF 1.x events: the fields matched and the SQL that reads them.

The classes that carry indicators: Network Activity (4001), HTTP Activity (4002), DNS
Activity (4003), Email Activity (4009) and File System Activity (1001); a field an event does
not carry is NULL. ``time`` is epoch milliseconds (OCSF ``timestamp_t``); ``time_dt`` (an
ISO-8601 ``datetime_t``) is used when ``time`` is missing.
"""

from __future__ import annotations

from typing import Final

from entente.matching.duck import JsonShape, Projection, context_struct, epoch_seconds
from entente.matching.model import FieldSpec, ValueKind

__all__ = ["HASH_ALGORITHMS", "projection"]

# OCSF Fingerprint ``algorithm_id`` values (and ``algorithm`` captions) of the hashes matched.
HASH_ALGORITHMS: Final = (
    ("md5", 1, "MD5", ValueKind.MD5),
    ("sha1", 2, "SHA-1", ValueKind.SHA1),
    ("sha256", 3, "SHA-256", ValueKind.SHA256),
)


def projection() -> tuple[Projection, JsonShape]:
    """The projection of OCSF events, and the JSON keys it reads.

    ``log`` is ``ocsf.`` + ``class_uid``. ``file.hashes`` (a list of Fingerprint objects)
    becomes three columns, ``file.hashes.md5``/``sha1``/``sha256``: the value of the first
    fingerprint of each algorithm.
    """
    r = JsonShape()
    columns: list[tuple[FieldSpec, str]] = [
        (FieldSpec("src_endpoint.ip", ValueKind.IP), r.text("src_endpoint", "ip")),
        (FieldSpec("dst_endpoint.ip", ValueKind.IP), r.text("dst_endpoint", "ip")),
        (FieldSpec("src_endpoint.hostname", ValueKind.DOMAIN), r.text("src_endpoint", "hostname")),
        (FieldSpec("dst_endpoint.hostname", ValueKind.DOMAIN), r.text("dst_endpoint", "hostname")),
        (FieldSpec("query.hostname", ValueKind.DOMAIN), r.text("query", "hostname")),
        (
            FieldSpec("answers.rdata", ValueKind.HOST, many=True),
            "list_transform("
            + r.objects(("answers",), {"rdata": "VARCHAR"})
            + ", lambda answer: answer['rdata'])",
        ),
        (
            FieldSpec("http_request.url.url_string", ValueKind.URL),
            r.text("http_request", "url", "url_string"),
        ),
        (FieldSpec("tls.sni", ValueKind.DOMAIN), r.text("tls", "sni")),
        (FieldSpec("tls.ja3_hash.value", ValueKind.JA3), r.text("tls", "ja3_hash", "value")),
        (FieldSpec("tls.ja3s_hash.value", ValueKind.JA3S), r.text("tls", "ja3s_hash", "value")),
    ]
    hashes = r.objects(
        ("file", "hashes"), {"algorithm_id": "BIGINT", "algorithm": "VARCHAR", "value": "VARCHAR"}
    )
    for suffix, algorithm_id, caption, kind in HASH_ALGORITHMS:
        chosen = (
            f"list_filter({hashes}, lambda h: h['algorithm_id'] = {algorithm_id} "
            f"OR upper(h['algorithm']) = '{caption}')"
        )
        columns.append((FieldSpec(f"file.hashes.{suffix}", kind), f"({chosen})[1]['value']"))
    columns.append((FieldSpec("email.from", ValueKind.EMAIL), r.text("email", "from")))
    columns.append((FieldSpec("email.to", ValueKind.EMAIL, many=True), r.texts("email", "to")))
    context = [
        ("metadata.uid", r.text("metadata", "uid")),
        ("src_endpoint.ip", r.text("src_endpoint", "ip")),
        ("src_endpoint.port", r.integer("src_endpoint", "port")),
        ("dst_endpoint.ip", r.text("dst_endpoint", "ip")),
        ("dst_endpoint.port", r.integer("dst_endpoint", "port")),
        ("connection_info.protocol_name", r.text("connection_info", "protocol_name")),
    ]
    time_ms = r.text("time")
    ts = (
        f"coalesce((CASE WHEN isfinite(TRY_CAST({time_ms} AS DOUBLE)) "
        f"THEN TRY_CAST({time_ms} AS DOUBLE) / 1000.0 END), {epoch_seconds(r.text('time_dt'))})"
    )
    class_uid = r.integer("class_uid")
    result = Projection(
        ts=ts,
        log=f"coalesce('ocsf.' || CAST({class_uid} AS VARCHAR), 'ocsf')",
        context=context_struct(context),
        columns=tuple(columns),
    )
    return result, r
