"""Real Zeek, Suricata and OCSF logs: every sample reads with its record count, and indicators
planted from values in them are found by the engine exactly where the reference finds them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from entente.matching.engine import Engine
from entente.matching.indicators import select_active
from entente.matching.model import Hit, IndicatorSet
from entente.matching.reference import match_batch
from entente.matching.sources import open_logs

pytestmark = pytest.mark.integration

LOGS = Path(__file__).parents[2] / "data" / "logs"

# Record counts as the files' publishers state them (tests/data/logs/SOURCES.md).
RECORDS = {
    "zeek/zeek-default/dns.log.gz": 53615,
    "zeek/zeek-default/notice.log.gz": 207,
    "zeek/zeek-default/ssl.log.gz": 49474,
    "zeek/zeek-default/x509.log.gz": 348,
    "zeek/zeek-json/dns.json.gz": 53615,
    "zeek/zeek-json/notice.json.gz": 207,
    "zeek/zeek-json/x509.json.gz": 348,
    "zeek/zeekparse-tsv/simple_conn.log": 13,
    "zeek/zeekparse-tsv/simple_dns.log": 3,
    "zeek/zeekparse-tsv/simple_http.log": 2,
    "zeek/zeekparse-tsv/simple_ssl.log": 26,
    "zeek/zeekparse-tsv/simple_x509.log": 1,
    "suricata/honeypot-2018/alerts-only.json": 44,
    "suricata/wrccdc-2017/alerts-only.json": 161,
    "suricata/output-eve-fileinfo/eve.json": 1,
    "ocsf/events.ndjson": 5,
    "ocsf/events-array.json": 2,
}

# Values read off the samples by eye (not through our readers): an address and an IPv6
# address from DNS answers, a block around the zeekparse hosts, a parent domain of DNS queries,
# URLs of a Suricata alert and of a Zeek HTTP request, the EICAR MD5 of the OCSF sample.
PLANTED = {
    "address": "[ipv4-addr:value = '134.71.3.16']",
    "ipv6": "[ipv6-addr:value = '2620:df:8000:1601:0:1:3:16']",
    "cidr": "[ipv4-addr:value ISSUBSET '192.168.1.0/24']",
    "parent-domain": "[domain-name:value LIKE '%.wrccdc.org']",
    "domain": "[domain-name:value = 'google.com']",
    "suricata-url": (
        "[url:value = 'http://www.internetdownloadmanager.com/data/update623.txt?v=628b1']"
    ),
    "zeek-url": "[url:value = 'http://192.168.1.140/ssdp/device-desc.xml']",
    "hash": "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']",
}


def _indicators() -> IndicatorSet:
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "name": name,
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        }
        for i, (name, pattern) in enumerate(PLANTED.items())
    ]
    indicators = select_active(objects, now_us=1_800_000_000_000_000)
    assert not indicators.not_deployable
    return indicators


def test_every_sample_reads_with_its_record_count() -> None:
    paths = [str(LOGS / name) for name in RECORDS]
    with open_logs(paths) as reader:
        counted = Counter[str]()
        for batch in reader:
            counted[batch.source] += batch.num_rows
        reports = {report.source: report for report in reader.reports()}
    for name, expected in RECORDS.items():
        report = reports[str(LOGS / name)]
        assert (report.records, report.malformed) == (expected, 0), name
        assert counted[str(LOGS / name)] == expected, name


def test_planted_indicators_are_found_exactly_where_the_reference_finds_them() -> None:
    indicators = _indicators()
    engine = Engine(indicators)
    found: list[Hit] = []
    expected: list[Hit] = []
    with open_logs([str(LOGS / name) for name in RECORDS], batch_rows=20_000) as reader:
        for batch in reader:
            found.extend(engine.match(batch))
            expected.extend(match_batch(indicators, batch))
    assert [h.key() for h in found] == [h.key() for h in expected]
    assert found == expected
    by_name = Counter(hit.indicator_name for hit in found)
    # Every planted indicator hits, in the logs it was taken from.
    assert set(by_name) == set(PLANTED)
    where = {(hit.indicator_name, hit.log) for hit in found}
    assert ("parent-domain", "zeek.dns") in where
    assert ("address", "zeek.dns") in where
    assert ("ipv6", "zeek.dns") in where
    assert ("cidr", "zeek.conn") in where
    assert ("suricata-url", "suricata.alert") in where
    assert ("zeek-url", "zeek.http") in where
    assert ("hash", "ocsf.1001") in where
    # The TSV and JSON forms of the same DNS traffic give the same hits.
    tsv = Counter(
        (h.record, h.field, h.value, h.indicator_id)
        for h in found
        if h.source.endswith("zeek-default/dns.log.gz")
    )
    assert tsv
    json_hits = Counter(
        (h.field, h.value, h.indicator_id) for h in found if h.source.endswith("dns.json.gz")
    )
    assert Counter((f, v, i) for (_, f, v, i) in tsv.elements()) == json_hits
