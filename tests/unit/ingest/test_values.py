"""Indicator value detection, normalisation, refanging and freetext extraction."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.ingest.values import (
    FILE_EXTENSIONS,
    TypedValue,
    ValueType,
    detect_value,
    extract_values,
    parse_value,
    refang,
)

V = ValueType
MD5 = "44d88612fea8a8f36de82e1278abb02f"  # EICAR test file
SHA1 = "3395856ce81f2b7382dee72602f798b642f14140"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    ("defanged", "expected"),
    [
        ("hxxp://evil[.]com/a", "http://evil.com/a"),
        ("hXXps://evil[.]com/a", "https://evil.com/a"),
        ("hxxps[:]//evil[.]com", "https://evil.com"),
        ("hxxp[://]evil[.]com", "http://evil.com"),
        ("fxp://files[.]example[.]org/x", "ftp://files.example.org/x"),
        ("1.2.3(.)4", "1.2.3.4"),
        ("1{.}2{.}3{.}4", "1.2.3.4"),
        ("evil(dot)com", "evil.com"),
        ("evil[dot]com", "evil.com"),
        ("evil dot com", "evil.com"),
        ("evil [.] com", "evil.com"),
        ("user[at]evil[.]com", "user@evil.com"),
        ("user(at)evil(.)com", "user@evil.com"),
        ("user[@]evil[.]com", "user@evil.com"),
        ("user [at] evil [.] com", "user@evil.com"),
        ("see hxxp://evil[.]com/x[.] Next", "see http://evil.com/x. Next"),
        ("198.51.100.7[:]8080", "198.51.100.7:8080"),
    ],
)
def test_refang_undoes_common_defangs(defanged: str, expected: str) -> None:
    assert refang(defanged) == expected


@pytest.mark.parametrize(
    "text",
    ["meet at noon", "the dot.", "a (b) [c] {d}", "http://already.example.com/", "hxxpd"],
)
def test_refang_leaves_ordinary_text_alone(text: str) -> None:
    assert refang(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3.4", TypedValue(V.IPV4, "1.2.3.4")),
        (" 198.51.100.7\n", TypedValue(V.IPV4, "198.51.100.7")),
        ("2001:DB8:0:0:0:0:0:1", TypedValue(V.IPV6, "2001:db8::1")),
        ("10.1.2.3/8", TypedValue(V.IPV4_CIDR, "10.0.0.0/8")),
        ("192.0.2.1/32", TypedValue(V.IPV4, "192.0.2.1")),
        ("2001:db8::/32", TypedValue(V.IPV6_CIDR, "2001:db8::/32")),
        ("192.0.2.24:0443", TypedValue(V.IP_PORT, "192.0.2.24:443")),
        ("[2001:DB8::1]:8443", TypedValue(V.IP_PORT, "[2001:db8::1]:8443")),
        ("Evil.Example.COM.", TypedValue(V.DOMAIN, "evil.example.com")),
        ("bücher.de", TypedValue(V.DOMAIN, "xn--bcher-kva.de")),
        ("evil[.]com", TypedValue(V.DOMAIN, "evil.com")),
        ("HTTP://Evil.COM:8080/Path?Q=A", TypedValue(V.URL, "http://evil.com:8080/Path?Q=A")),
        ("hxxp://evil[.]com/a", TypedValue(V.URL, "http://evil.com/a")),
        ("Mallory@Evil.COM", TypedValue(V.EMAIL, "Mallory@evil.com")),
        ("44D88612FEA8A8F36DE82E1278ABB02F", TypedValue(V.MD5, MD5)),
        (SHA1, TypedValue(V.SHA1, SHA1)),
        (EMPTY_SHA256, TypedValue(V.SHA256, EMPTY_SHA256)),
        ("a" * 128, TypedValue(V.SHA512, "a" * 128)),
    ],
)
def test_detect_value_types_and_normalises(text: str, expected: TypedValue) -> None:
    assert detect_value(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "1.2.3.4.5",  # a version number, not an IP
        "1.2.3",
        "256.1.1.1",
        "01.2.3.4",  # leading zeros are ambiguous (octal in some parsers)
        "report.pdf",  # a file name, not a domain
        "setup.exe",
        "Node.js",
        "archive.zip",
        "e.g.",
        "localhost",
        "example.c0m",
        "abc123",
        "a" * 33,  # hex, but no hash length
        "gopher://example.com/",  # not a URL scheme we take
        "1.2.3.4:70000",
        "fe80::1%eth0",
        "0.0.0.0/0",
        "two words.com",
        "-bad-.example.com",
    ],
)
def test_detect_value_rejects_non_iocs(text: str) -> None:
    assert detect_value(text) is None


def test_declared_domain_may_end_like_a_file() -> None:
    assert parse_value("invoice-2024.zip", V.DOMAIN) == TypedValue(V.DOMAIN, "invoice-2024.zip")
    assert parse_value(MD5, V.SHA256) is None
    assert parse_value("1.2.3.4", V.IPV6) is None


def test_ip_port_exposes_host_and_port() -> None:
    v4 = TypedValue(V.IP_PORT, "192.0.2.24:443")
    v6 = TypedValue(V.IP_PORT, "[2001:db8::1]:8443")
    assert (v4.host, v4.port) == ("192.0.2.24", 443)
    assert (v6.host, v6.port) == ("2001:db8::1", 8443)
    assert TypedValue(V.IPV4, "192.0.2.1").port is None


def test_file_extension_list_holds_no_common_tld() -> None:
    common = {"com", "net", "org", "ru", "cn", "de", "io", "pl", "so", "rs", "top", "xyz"}
    assert FILE_EXTENSIONS.isdisjoint(common)


_REPORT = """\
On 2024-01-02 at 12:30:45 UTC the actor (loader v1.2.3.4.5, build 10.0.19041.1) dropped
report.pdf and invoice.docx, fetched from hxxps://bad-domain[.]ru/dl/44d88612fea8a8f36de82e1278abb02f.exe
(see also http://files.example.org/a_(b)). The loader beacons to 198.51.100.7[:]8443 and
resolves c2[.]evil-site[.]com; exfiltration went to mallory[at]phish[.]net. The dropped
DLL has SHA-256 E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 and it
also talks to 2001:db8::dead:beef and 203.0.113.5. Node.js, e.g. and U.S. are not IOCs;
again: 203.0.113.5 and c2.evil-site.com.
"""


def test_extract_values_from_a_report_paragraph() -> None:
    assert extract_values(_REPORT) == [
        TypedValue(V.URL, "https://bad-domain.ru/dl/44d88612fea8a8f36de82e1278abb02f.exe"),
        TypedValue(V.URL, "http://files.example.org/a_(b)"),
        TypedValue(V.IP_PORT, "198.51.100.7:8443"),
        TypedValue(V.DOMAIN, "c2.evil-site.com"),
        TypedValue(V.EMAIL, "mallory@phish.net"),
        TypedValue(V.SHA256, EMPTY_SHA256),
        TypedValue(V.IPV6, "2001:db8::dead:beef"),
        TypedValue(V.IPV4, "203.0.113.5"),
    ]


def test_extract_values_does_not_report_a_hash_inside_a_url_twice() -> None:
    text = (
        "get http://x.example.com/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert [v.type for v in extract_values(text)] == [V.URL]


def test_extract_values_trims_sentence_punctuation_from_urls() -> None:
    assert extract_values("Visit http://evil.example.com/x, then (https://a.example.net/y).") == [
        TypedValue(V.URL, "http://evil.example.com/x"),
        TypedValue(V.URL, "https://a.example.net/y"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Version 1.2.3.4.5 and build 10.0.19041.1 shipped on 2024.01.02.",
        "Open report.pdf, setup.exe, payload.dll or index.html and read notes.txt.",
        "Times like 12:30:45 and MACs like 00:1a:2b:3c:4d:5e are not addresses.",
        "Use Node.js, e.g. with i.e. U.S. style abbreviations.",
        "Edit config.py, README.md and pyproject.toml, then run build.sh.",
    ],
)
def test_extract_values_has_no_false_positives_on_ordinary_prose(text: str) -> None:
    assert extract_values(text) == []


# --- properties ------------------------------------------------------------------------------

_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_TLD = st.from_regex(r"[a-z]{2,8}", fullmatch=True).filter(lambda t: t not in FILE_EXTENSIONS)
_DOMAINS = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(_LABEL, min_size=1, max_size=4), _TLD
).filter(lambda d: len(d) <= 253)
_HASHES = st.sampled_from([16, 20, 32, 64]).flatmap(
    lambda n: st.binary(min_size=n, max_size=n).map(bytes.hex)
)


def _defang(text: str) -> str:
    return text.replace("http", "hxxp").replace(".", "[.]").replace("@", "[at]")


@given(st.ip_addresses(v=4))
def test_ipv4_round_trips(ip: ipaddress.IPv4Address) -> None:
    assert detect_value(str(ip)) == TypedValue(V.IPV4, str(ip))
    assert detect_value(_defang(str(ip))) == TypedValue(V.IPV4, str(ip))


@given(st.ip_addresses(v=6))
def test_ipv6_round_trips(ip: ipaddress.IPv6Address) -> None:
    expected = TypedValue(V.IPV6, ip.compressed)
    assert detect_value(ip.compressed) == expected
    assert detect_value(ip.exploded.upper()) == expected


@given(_DOMAINS)
def test_domain_round_trips(domain: str) -> None:
    assert detect_value(domain) == TypedValue(V.DOMAIN, domain)
    assert detect_value(domain.upper() + ".") == TypedValue(V.DOMAIN, domain)
    assert refang(_defang(domain)) == domain
    assert detect_value(_defang(domain)) == TypedValue(V.DOMAIN, domain)


@given(_HASHES)
def test_hash_round_trips(digest: str) -> None:
    kind = {32: V.MD5, 40: V.SHA1, 64: V.SHA256, 128: V.SHA512}[len(digest)]
    assert detect_value(digest.upper()) == TypedValue(kind, digest)


@given(_DOMAINS, st.from_regex(r"(/[A-Za-z0-9._~-]{0,12}){0,3}", fullmatch=True))
def test_url_and_email_defang_refang_round_trip(domain: str, path: str) -> None:
    url = f"http://{domain}{path}"
    email = f"someone@{domain}"
    assert refang(_defang(url)) == url
    assert refang(_defang(email)) == email
    assert detect_value(_defang(url)) == TypedValue(V.URL, url)
    assert detect_value(_defang(email)) == TypedValue(V.EMAIL, email)
    if url[-1] not in ".,;:!?":  # trailing sentence punctuation is not taken into a URL
        assert extract_values(f"see {_defang(url)} now") == [TypedValue(V.URL, url)]
