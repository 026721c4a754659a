"""RFC 9224 bootstrap over IANA's recorded registry files: longest match, https first."""

from __future__ import annotations

import json

import pytest
from tests.unit.abuse.local_rdap import DATA

from entente.abuse import BootstrapRegistry, parse_bootstrap, parse_target, rdap_base_urls
from entente.errors import MalformedDocument


@pytest.fixture(scope="module")
def registry() -> BootstrapRegistry:
    data = json.loads((DATA / "whoisit-bootstrap.json").read_text("utf-8"))
    return parse_bootstrap(data["ipv4"], data["ipv6"], data["dns"])


@pytest.mark.parametrize(
    ("target", "first"),
    [
        ("1.1.1.1", "https://rdap.apnic.net/"),
        ("130.59.31.80", "https://rdap.arin.net/registry/"),
        ("2001:4860::8888", "https://rdap.arin.net/registry/"),
        ("41.1.2.3", "https://rdap.afrinic.net/rdap/"),
        ("GOOGLE.com.", "https://rdap.verisign.com/com/v1/"),
        ("www.norway.no", "https://rdap.norid.no/"),
    ],
)
def test_the_registry_names_the_server_of_a_target(
    registry: BootstrapRegistry, target: str, first: str
) -> None:
    assert rdap_base_urls(registry, parse_target(target))[0] == first


def test_https_urls_come_before_http(registry: BootstrapRegistry) -> None:
    urls = rdap_base_urls(registry, parse_target("41.1.2.3"))
    assert urls == ("https://rdap.afrinic.net/rdap/", "http://rdap.afrinic.net/rdap/")


def test_an_unregistered_tld_or_reserved_address_has_no_server(
    registry: BootstrapRegistry,
) -> None:
    assert rdap_base_urls(registry, parse_target("host.example.invalid")) == ()
    assert rdap_base_urls(registry, parse_target("10.1.2.3")) == ()


def test_the_longest_prefix_wins() -> None:
    def doc(services: list[list[list[str]]]) -> dict[str, object]:
        return {"version": "1.0", "publication": "2024-01-01T00:00:00Z", "services": services}

    registry = parse_bootstrap(
        doc([[["10.0.0.0/8"], ["https://wide.test/"]], [["10.1.0.0/16"], ["https://narrow.test"]]]),
        doc([]),
        doc([]),
    )
    assert rdap_base_urls(registry, parse_target("10.1.2.3")) == ("https://narrow.test/",)
    assert rdap_base_urls(registry, parse_target("10.2.2.3")) == ("https://wide.test/",)


def test_a_file_that_is_not_a_registry_is_refused() -> None:
    with pytest.raises(MalformedDocument, match="services"):
        parse_bootstrap({}, {"services": []}, {"services": []})
    with pytest.raises(MalformedDocument, match="not a prefix"):
        parse_bootstrap(
            {"services": [[["ten"], ["https://x/"]]]}, {"services": []}, {"services": []}
        )
